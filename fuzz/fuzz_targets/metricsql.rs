//! Fuzzes the MetricsQL parser and printer: any text must parse or fail with an error, never panic or hang, and
//! what parses must print to text that parses back to the same tree.
//!
//! Run: `cargo +nightly fuzz run metricsql -- -max_total_time=300` (see docs/metricsql.md).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::promql::metricsql;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(expr) = metricsql::parse(text) {
        let printed = expr.to_string();
        let again = metricsql::parse(&printed).unwrap_or_else(|e| panic!("printed form {printed:?} of {text:?} does not parse: {e}"));
        assert_eq!(expr, again, "round trip changed the tree: {text:?} -> {printed:?}");
    }
});
