//! The engine's public API: range queries, options, `@ start()/end()`, staleness at the top level, errors, and what
//! the parser accepts beyond Prometheus 2.42 (`limitk`). Expected values are worked out by hand from the
//! Prometheus 2.42 semantics that tests/engine_oracle.rs checks against promtool.

use promql_parser::parser::parse;
use tocsin::promql::engine::{
    Engine, EngineOptions, EvalError, Labels, STALE_NAN, Sample, Storage, Value,
};

fn store() -> Storage {
    let mut st = Storage::new();
    let a = Labels::new([("__name__", "x"), ("k", "a")]);
    let b = Labels::new([("__name__", "x"), ("k", "b")]);
    for i in 0..10 {
        st.add(&a, i * 60_000, i as f64);
    }
    st.add(&b, 0, 100.0);
    st.add(&b, 60_000, STALE_NAN);
    st
}

fn vector(v: Value) -> Vec<Sample> {
    match v {
        Value::Vector(v) => v,
        other => panic!("not a vector: {other:?}"),
    }
}

#[test]
fn range_query_is_instant_query_per_step() {
    let st = store();
    let engine = Engine::default();
    let expr = parse("x * 2").unwrap();
    let series = engine.range(&st, &expr, 0, 180_000, 60_000).unwrap();
    assert_eq!(series.len(), 2);
    let a = &series[0];
    assert_eq!(a.labels, Labels::new([("k", "a")]));
    assert_eq!(
        a.points.iter().map(|p| (p.t, p.v)).collect::<Vec<_>>(),
        [(0, 0.0), (60_000, 2.0), (120_000, 4.0), (180_000, 6.0)]
    );
    // k="b" went stale at 1m: only the 0s step has it.
    assert_eq!(series[1].points.len(), 1);
}

#[test]
fn range_query_of_scalar_has_empty_labels() {
    let engine = Engine::default();
    let series = engine
        .range(
            &Storage::new(),
            &parse("time()").unwrap(),
            0,
            120_000,
            60_000,
        )
        .unwrap();
    assert_eq!(series.len(), 1);
    assert!(series[0].labels.is_empty());
    assert_eq!(series[0].points[2].v, 120.0);
}

#[test]
fn range_query_rejects_bad_steps() {
    let engine = Engine::new(EngineOptions {
        max_steps: 10,
        ..EngineOptions::default()
    });
    let e = parse("x").unwrap();
    assert!(matches!(
        engine.range(&store(), &e, 0, 60_000, 0),
        Err(EvalError::InvalidStep(_))
    ));
    assert!(matches!(
        engine.range(&store(), &e, 0, 60_000_000, 1),
        Err(EvalError::InvalidStep(_))
    ));
}

#[test]
fn at_start_and_end_refer_to_the_range_query() {
    let engine = Engine::default();
    let e = parse("x{k=\"a\"} @ start() + on() x{k=\"a\"} @ end()").unwrap();
    let series = engine.range(&store(), &e, 60_000, 240_000, 60_000).unwrap();
    assert!(series[0].points.iter().all(|p| p.v == 5.0));
}

#[test]
fn lookback_delta_is_an_option() {
    let st = store();
    let e = parse("x{k=\"a\"}").unwrap();
    let short = Engine::new(EngineOptions {
        lookback_delta_ms: 60_000,
        ..EngineOptions::default()
    });
    // The last sample is at 9m: visible at 10m with a 1m lookback, gone at 10m0.001s.
    assert_eq!(vector(short.instant(&st, &e, 600_000).unwrap()).len(), 1);
    assert_eq!(vector(short.instant(&st, &e, 600_001).unwrap()).len(), 0);
    assert_eq!(
        vector(Engine::default().instant(&st, &e, 840_000).unwrap()).len(),
        1
    );
}

#[test]
fn left_open_ranges_exclude_the_left_end() {
    let st = store();
    let e = parse("count_over_time(x{k=\"a\"}[2m])").unwrap();
    let closed = Engine::default();
    let open = Engine::new(EngineOptions {
        left_open_ranges: true,
        ..EngineOptions::default()
    });
    assert_eq!(vector(closed.instant(&st, &e, 300_000).unwrap())[0].v, 3.0);
    assert_eq!(vector(open.instant(&st, &e, 300_000).unwrap())[0].v, 2.0);
    // Subquery steps follow the same rule.
    let sq = parse("count_over_time(x{k=\"a\"}[2m:1m])").unwrap();
    assert_eq!(vector(closed.instant(&st, &sq, 300_000).unwrap())[0].v, 3.0);
    assert_eq!(vector(open.instant(&st, &sq, 300_000).unwrap())[0].v, 2.0);
    // A bare subquery keeps its left-end step, as Prometheus 3 does.
    let bare = parse("x{k=\"a\"}[2m:1m]").unwrap();
    match open.instant(&st, &bare, 300_000).unwrap() {
        Value::Matrix(m) => assert_eq!(m[0].points.len(), 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn default_subquery_step_is_an_option() {
    let st = store();
    let e = parse("count_over_time(x{k=\"a\"}[4m:])").unwrap();
    let two = Engine::new(EngineOptions {
        default_subquery_step_ms: 120_000,
        ..EngineOptions::default()
    });
    assert_eq!(
        vector(Engine::default().instant(&st, &e, 480_000).unwrap())[0].v,
        5.0
    );
    assert_eq!(vector(two.instant(&st, &e, 480_000).unwrap())[0].v, 3.0);
}

#[test]
fn instant_results_carry_the_evaluation_time() {
    let v = vector(
        Engine::default()
            .instant(&store(), &parse("x").unwrap(), 90_000)
            .unwrap(),
    );
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].t, v[0].v), (90_000, 1.0));
}

#[test]
fn bare_range_selector_returns_raw_points() {
    match Engine::default()
        .instant(&store(), &parse("x[2m]").unwrap(), 120_000)
        .unwrap()
    {
        Value::Matrix(m) => {
            assert_eq!(m.len(), 2);
            assert_eq!(
                m[0].points.iter().map(|p| p.t).collect::<Vec<_>>(),
                [0, 60_000, 120_000]
            );
            assert_eq!(m[1].points.len(), 1, "the staleness marker is not a point");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn string_literal_evaluates_to_string() {
    let v = Engine::default()
        .instant(&store(), &parse("\"hi\"").unwrap(), 0)
        .unwrap();
    assert_eq!(v, Value::String("hi".into()));
}

#[test]
fn duplicate_labelsets_are_an_error() {
    let mut st = store();
    st.add(&Labels::new([("__name__", "y"), ("k", "a")]), 0, 1.0);
    let e = parse("abs({k=\"a\"})").unwrap();
    assert_eq!(
        Engine::default().instant(&st, &e, 0),
        Err(EvalError::DuplicateLabelset)
    );
}

#[test]
fn limitk_keeps_the_first_k_per_group_and_limit_ratio_is_unsupported() {
    let st = store();
    let v = vector(
        Engine::default()
            .instant(&st, &parse("limitk(1, x)").unwrap(), 0)
            .unwrap(),
    );
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].labels.get("k"), Some("a"));
    let e = parse("limit_ratio(0.5, x)").unwrap();
    assert!(matches!(
        Engine::default().instant(&st, &e, 0),
        Err(EvalError::Unsupported(_))
    ));
}

#[test]
fn parser_coverage_notes() {
    // What docs/promql-engine.md says about promql-parser 0.11.
    assert!(parse("x @ start()").is_ok());
    assert!(parse("x[5m:] @ end()").is_ok());
    assert!(parse("holt_winters(x[5m], 0.5, 0.5)").is_err());
    assert!(parse("double_exponential_smoothing(x[5m], 0.5, 0.5)").is_ok());
    assert!(parse("limitk(2, x)").is_ok());
}
