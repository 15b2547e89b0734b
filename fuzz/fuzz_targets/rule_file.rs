//! libFuzzer target for the rule-file loader behind `tocsin check`: any bytes that are UTF-8 are loaded in both
//! dialects and must not panic, and the diagnostics must keep the invariants the property tests check
//! (`tests/check_parser_props.rs`). Run with `scripts/fuzz.sh` (nightly and cargo-fuzz).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::config::{self, Dialect, LoadOptions, Severity};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let last_line = text.lines().count().max(1) + 1;
    let mut rules_found = None;
    for dialect in [Dialect::Prometheus, Dialect::Vmalert] {
        let opts = LoadOptions {
            dialect,
            ..LoadOptions::default()
        };
        let loaded = config::load_text_with_env("fuzz.yml", text, &opts, |name| {
            (name == "SET").then(|| "value".to_string())
        });
        let mut previous = None;
        for d in &loaded.diagnostics {
            assert_eq!(d.file, "fuzz.yml");
            assert!(!d.message.is_empty(), "{d:?}");
            if d.severity == Severity::Error {
                assert!(d.pos.line >= 1 && d.pos.col >= 1, "{d:?}");
            }
            assert!(d.pos.line <= last_line, "{d:?}");
            assert!(previous <= Some(d.pos), "diagnostics not sorted: {d:?}");
            previous = Some(d.pos);
        }
        if !loaded.has_errors() {
            let compiled: usize = loaded.groups.iter().map(|g| g.rules.len()).sum();
            assert_eq!(compiled, loaded.rules_found);
        }
        if let Some(n) = rules_found {
            assert_eq!(n, loaded.rules_found, "dialects count rules differently");
        }
        rules_found = Some(loaded.rules_found);
    }
});
