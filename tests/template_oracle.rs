//! Renders every case of `tests/data/template/cases.json` with tocsin and compares byte for byte with the
//! expectation recorded there (from promtool 2.42, or `spec` for vmalert-only behaviour).
//!
//! Regenerate the data with `scripts/template-oracle.py`. Set `TEMPLATE_ORACLE_SHOW=N` to print N failures.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde_json::Value as Json;
use tocsin::template::{
    AlertTemplateData, QuerySample, RenderContext, Template, TemplateDialect, TemplateQuerier,
    TemplateSet, check_alert_template,
};

/// Serves the oracle's fixed series for plain selectors like `up` or `up{job='db'}`.
struct World(Vec<(BTreeMap<String, String>, f64)>);

impl TemplateQuerier for World {
    fn query(&self, expr: &str, _ts: SystemTime) -> Result<Vec<QuerySample>, String> {
        let (name, matchers) = match expr.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (expr, ""),
        };
        let mut want = vec![("__name__".to_string(), name.to_string())];
        for m in matchers.split(',').filter(|m| !m.is_empty()) {
            let (k, v) = m
                .split_once('=')
                .ok_or_else(|| format!("unsupported matcher {m}"))?;
            want.push((
                k.trim().to_string(),
                v.trim().trim_matches(['\'', '"']).to_string(),
            ));
        }
        let out: Vec<QuerySample> = self
            .0
            .iter()
            .filter(|(l, _)| want.iter().all(|(k, v)| l.get(k) == Some(v)))
            .map(|(l, v)| QuerySample {
                labels: l.clone(),
                value: *v,
                timestamp: 300,
            })
            .collect();
        // Prometheus's in-memory test storage returns series in creation order.
        Ok(out)
    }
}

fn labels(v: &Json) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn float(s: &str) -> f64 {
    match s {
        "NaN" => f64::NAN,
        "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().expect("case value is a float"),
    }
}

/// Oracle cases tocsin answers differently on purpose: (dialect, template, why).
const DELIBERATE: &[(&str, &str, &str)] = &[(
    "vmalert",
    "{{ now }}",
    "`now` came after vmalert 1.79.5; tocsin's vmalert dialect follows current vmalert",
)];

fn deliberate(c: &Json) -> bool {
    c["source"] == "vmalert-1.79.5"
        && DELIBERATE
            .iter()
            .any(|(d, t, _)| c["dialect"] == *d && c["template"] == *t)
}

#[test]
fn template_cases_match_the_oracle() {
    let text =
        std::fs::read_to_string("tests/data/template/cases.json").expect("cases.json is readable");
    let doc: Json = serde_json::from_str(&text).expect("cases.json is JSON");
    let world = World(
        doc["world"]
            .as_array()
            .expect("world")
            .iter()
            .map(|s| {
                (
                    labels(&s["labels"]),
                    s["value"].as_f64().unwrap_or_default(),
                )
            })
            .collect(),
    );
    let eval_time = SystemTime::UNIX_EPOCH
        + Duration::from_secs(doc["eval_time_seconds"].as_u64().unwrap_or(0));
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 400, "the table must hold at least 400 cases");
    let mut failures = Vec::new();
    for c in cases {
        let id = c["id"].as_str().unwrap_or_default();
        let tpl = c["template"].as_str().unwrap_or_default();
        let expected = c["expected"].as_str().unwrap_or_default();
        let dialect = match c["dialect"].as_str() {
            Some("vmalert") => TemplateDialect::Vmalert,
            _ => TemplateDialect::Prometheus,
        };
        let got = match c["kind"].as_str() {
            Some("check") => match check_alert_template(id, tpl, dialect) {
                Ok(()) => "ok".to_string(),
                Err(e) => e.to_string(),
            },
            _ => render_case(c, id, tpl, dialect, &doc, &world, eval_time),
        };
        if deliberate(c) {
            assert_ne!(
                got, expected,
                "{id} is listed as a deliberate difference but now agrees"
            );
            continue;
        }
        if got != expected {
            failures.push(format!("{id} {tpl:?}\n  want {expected:?}\n  got  {got:?}"));
        }
    }
    let show: usize = std::env::var("TEMPLATE_ORACLE_SHOW")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    for f in failures.iter().take(show) {
        eprintln!("{f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from the oracle",
        failures.len(),
        cases.len()
    );
}

fn render_case(
    c: &Json,
    id: &str,
    tpl: &str,
    dialect: TemplateDialect,
    doc: &Json,
    world: &World,
    eval_time: SystemTime,
) -> String {
    let (external_url, external_labels) = match dialect {
        TemplateDialect::Prometheus => (
            doc["external_url"].as_str().unwrap_or_default(),
            labels(&doc["external_labels"]),
        ),
        TemplateDialect::Vmalert => {
            // The vmalert oracle ran with only the region external label.
            let mut l = BTreeMap::new();
            let region = doc["external_labels"]["region"]
                .as_str()
                .unwrap_or_default();
            l.insert("region".to_string(), region.to_string());
            (doc["vmalert_external_url"].as_str().unwrap_or_default(), l)
        }
    };
    let data = AlertTemplateData {
        labels: labels(&c["labels"]),
        value: float(c["value"].as_str().unwrap_or("0")),
        external_labels,
        external_url: external_url.to_string(),
        expr: c["expr"].as_str().unwrap_or("up == 0").to_string(),
        alert_id: 42,
        group_id: 7,
        active_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000),
        for_: Duration::from_secs(300),
        ..Default::default()
    };
    let ctx = RenderContext {
        external_url,
        querier: Some(world),
        eval_time,
        now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000),
    };
    let set = match dialect {
        TemplateDialect::Prometheus => TemplateSet::default(),
        TemplateDialect::Vmalert => {
            let defs = doc["vmalert_rule_templates"].as_str().unwrap_or_default();
            TemplateSet::parse(&[("defs.tpl", defs)], dialect)
                .expect("the oracle's -rule.templates file parses")
        }
    };
    match Template::parse_alert(id, tpl, dialect, &set) {
        Ok(t) => t.render_annotation(&data, &ctx),
        Err(e) => format!("parse error: {e}"),
    }
}
