//! Differential test of the embedded PromQL engine against promtool 2.42.
//!
//! `tests/data/engine/cases.yaml` holds instant-query results that `promtool test rules` computed
//! (regenerate with `scripts/engine-oracle.py`). Each case loads its fixture's series, evaluates the expression at
//! the case's time and must give the same samples (labels exactly, values equal or within 1e-12 relative, NaN = NaN)
//! or the same error. Cases marked `divergence` are deliberate differences and are reported, not compared.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use tocsin::promql::engine::{Engine, EngineOptions, Labels, STALE_NAN, Storage, Value};

#[derive(Deserialize)]
struct CaseFile {
    fixtures: BTreeMap<String, Fixture>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Fixture {
    series: Vec<FixtureSeries>,
}

#[derive(Deserialize)]
struct FixtureSeries {
    labels: BTreeMap<String, String>,
    points: String,
}

#[derive(Deserialize)]
struct Case {
    fixture: String,
    expr: String,
    eval_time_ms: i64,
    samples_till_ms: i64,
    source: String,
    #[serde(default)]
    tocsin_expr: Option<String>,
    #[serde(default)]
    unstable: bool,
    #[serde(default)]
    samples: Option<Vec<ExpectedSample>>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    divergence: Option<String>,
}

#[derive(Deserialize)]
struct ExpectedSample {
    labels: BTreeMap<String, String>,
    value: String,
}

/// Cases whose values matched within the tolerance but not bit for bit.
static APPROXIMATE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn parse_value(s: &str) -> f64 {
    if s == "stale" {
        return STALE_NAN;
    }
    s.parse()
        .unwrap_or_else(|_| panic!("bad value {s:?} in cases.yaml"))
}

/// The fixture's series with the samples promtool had loaded by then (`t <= till`).
fn load_storage(fx: &Fixture, till: i64) -> Storage {
    let mut st = Storage::new();
    for s in &fx.series {
        let labels = Labels::new(s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for p in s.points.split_whitespace() {
            let (t, v) = p.split_once('=').expect("point is t=v");
            let t: i64 = t.parse().expect("timestamp");
            if t <= till {
                st.add(&labels, t, parse_value(v));
            }
        }
    }
    st
}

fn same_value(want: f64, got: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want == got {
        return true;
    }
    let scale = want.abs().max(got.abs());
    scale.is_finite() && (want - got).abs() <= 1e-12 * scale
}

/// For errors whose details depend on series order: the same message up to the first `[`.
fn same_prefix(got: &str, want: &str) -> bool {
    got.split('[').next() == want.split('[').next()
}

fn render(samples: &[(Labels, f64)]) -> String {
    if samples.is_empty() {
        return "nil".into();
    }
    samples
        .iter()
        .map(|(l, v)| format!("{l} {v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compares one case; `Err` describes the difference.
fn check(engine: &Engine, storage: &Storage, case: &Case) -> Result<(), String> {
    let parsed = promql_parser::parser::parse(case.tocsin_expr.as_deref().unwrap_or(&case.expr));
    if let Some(want_err) = &case.error {
        if want_err.contains("parse error") {
            return match parsed {
                Err(_) => Ok(()),
                Ok(_) => Err(format!("want parse error {want_err:?}, tocsin parsed it")),
            };
        }
        let expr = parsed.map_err(|e| format!("tocsin cannot parse: {e}"))?;
        let result = engine.instant(storage, &expr, case.eval_time_ms);
        // promtool's own check on the result type, not an evaluation error.
        if want_err == "rule result is not a vector or scalar" {
            return match result {
                Ok(Value::Matrix(_) | Value::String(_)) => Ok(()),
                other => Err(format!("want a matrix or string result, got {other:?}")),
            };
        }
        return match result {
            Err(e) if e.to_string() == *want_err => Ok(()),
            Err(e) if case.unstable && same_prefix(&e.to_string(), want_err) => Ok(()),
            Err(e) => Err(format!(
                "want error {want_err:?}\n got error {:?}",
                e.to_string()
            )),
            Ok(v) => Err(format!("want error {want_err:?}\n got {v:?}")),
        };
    }
    let want_samples = case
        .samples
        .as_ref()
        .ok_or("case has neither samples nor error")?;
    let expr = parsed.map_err(|e| format!("tocsin cannot parse: {e}"))?;
    let got = engine
        .instant(storage, &expr, case.eval_time_ms)
        .map_err(|e| format!("unexpected error: {e}"))?;
    let mut got: Vec<(Labels, f64)> = match got {
        Value::Vector(v) => v.into_iter().map(|s| (s.labels, s.v)).collect(),
        Value::Scalar(v, _) => vec![(Labels::default(), v)],
        other => return Err(format!("result is not a vector or scalar: {other:?}")),
    };
    let mut want: Vec<(Labels, f64)> = want_samples
        .iter()
        .map(|s| {
            let l = Labels::new(s.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            (l, parse_value(&s.value))
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    want.sort_by(|a, b| a.0.cmp(&b.0));
    let same = got.len() == want.len()
        && (case.unstable
            || got
                .iter()
                .zip(&want)
                .all(|(g, w)| g.0 == w.0 && same_value(w.1, g.1)));
    if same {
        let exact = got
            .iter()
            .zip(&want)
            .all(|(g, w)| g.1 == w.1 || (g.1.is_nan() && w.1.is_nan()));
        if !exact {
            APPROXIMATE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    } else {
        Err(format!("want: {}\n got: {}", render(&want), render(&got)))
    }
}

#[test]
fn engine_matches_promtool_2_42() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/engine/cases.yaml"
    ))
    .expect("read cases.yaml");
    let file: CaseFile = serde_saphyr::from_str(&text).expect("parse cases.yaml");
    let engine = Engine::new(EngineOptions::default());
    let mut storages: HashMap<(&str, i64), Storage> = HashMap::new();
    let (mut passed, mut diverged, mut failures) = (0usize, Vec::new(), Vec::new());
    for (i, case) in file.cases.iter().enumerate() {
        assert_eq!(
            case.source, "promtool-2.42",
            "case {i} must come from the oracle"
        );
        let fixture = &file.fixtures[&case.fixture];
        let storage = storages
            .entry((case.fixture.as_str(), case.samples_till_ms))
            .or_insert_with(|| load_storage(fixture, case.samples_till_ms));
        let result = check(&engine, storage, case);
        match (&case.divergence, result) {
            (Some(why), Ok(())) if case.tocsin_expr.is_some() => {
                passed += 1;
                diverged.push(format!(
                    "case {i} `{}` evaluated as `{:?}`: {why}",
                    case.expr, case.tocsin_expr
                ));
            }
            (Some(why), Err(_)) if case.tocsin_expr.is_none() => {
                diverged.push(format!("case {i} `{}`: {why}", case.expr))
            }
            (Some(why), result) => failures.push(format!(
                "case {i} `{}` @{}ms is marked as a divergence ({why}) but gives {result:?}",
                case.expr, case.eval_time_ms
            )),
            (None, Ok(())) => passed += 1,
            (None, Err(diff)) => failures.push(format!(
                "case {i} `{}` @{}ms ({}):\n{diff}",
                case.expr, case.eval_time_ms, case.fixture
            )),
        }
    }
    eprintln!(
        "engine oracle: {passed} passed ({} within 1e-12, not bit-exact), {} deliberate divergences, {} failures, of {} cases",
        APPROXIMATE.load(std::sync::atomic::Ordering::Relaxed),
        diverged.len(),
        failures.len(),
        file.cases.len()
    );
    for d in &diverged {
        eprintln!("divergence: {d}");
    }
    assert!(
        failures.is_empty(),
        "{} cases differ from promtool:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
