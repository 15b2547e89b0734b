//! Fuzzes the template parser and executor: any text must parse or fail with an error, and any parsed template
//! must render or fail with an error, in both dialects, without panicking or hanging.
//!
//! Run: `cargo +nightly fuzz run template -- -max_total_time=300` (see docs/templates.md).

#![no_main]

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use tocsin::template::{
    AlertTemplateData, QuerySample, RenderContext, Template, TemplateDialect, TemplateQuerier, TemplateSet,
};

struct Fixed;

impl TemplateQuerier for Fixed {
    fn query(&self, expr: &str, _ts: SystemTime) -> Result<Vec<QuerySample>, String> {
        if expr.is_empty() {
            return Err("empty query".into());
        }
        let mut labels = BTreeMap::new();
        labels.insert("__name__".to_string(), expr.chars().take(8).collect());
        labels.insert("instance".to_string(), "a:1".to_string());
        Ok(vec![QuerySample { labels, value: 1.5, timestamp: 1 }, QuerySample::default()])
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // An optional second part after a NUL is loaded as a -rule.templates file.
    let (main, defs) = text.split_once('\0').unwrap_or((text, ""));
    let mut alert = AlertTemplateData { value: 1234.5, ..Default::default() };
    alert.labels.insert("instance".into(), "host.example.com:9100".into());
    alert.labels.insert("job".into(), "node".into());
    alert.for_ = Duration::from_secs(60);
    let ctx = RenderContext {
        external_url: "http://x.example/p",
        querier: Some(&Fixed),
        eval_time: SystemTime::UNIX_EPOCH,
        now: SystemTime::UNIX_EPOCH,
    };
    for dialect in [TemplateDialect::Prometheus, TemplateDialect::Vmalert] {
        let set = TemplateSet::parse(&[("defs", defs)], dialect).unwrap_or_default();
        if let Ok(t) = Template::parse_alert("fuzz", main, dialect, &set) {
            let _ = t.render(&alert, &ctx);
        }
    }
    let _ = tocsin::template::fmt::go_float_v(f64::from_bits(data.iter().fold(0u64, |a, b| a.rotate_left(8) ^ u64::from(*b))));
});
