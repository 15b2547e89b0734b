//! Seeded random comparison of aggregations and vector matching with naive references.
//!
//! Each round stores two metrics, `x` and `y`, over random label sets (`g` for grouping, `i` for identity) with edge
//! values (NaN, ±Inf, -0.0, large magnitudes) and some series stale or missing, then checks `sum min max count group
//! quantile stdvar` by `g`, `topk`/`bottomk` sizes, and `+ on(i)`, `> bool on(i)`, `and`, `or`, `unless` against
//! plain loops over the same instant vectors.

use std::collections::BTreeMap;

use tocsin::promql::engine::{Engine, Labels, STALE_NAN, Sample, Storage, Value};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn edge_value(rng: &mut Rng) -> f64 {
    match rng.below(20) {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        4 => 1e300,
        _ => rng.below(2000) as f64 / 8.0 - 100.0,
    }
}

/// Instant vector of metric `name` at t=0 as the engine should see it: stale series left out.
fn expected_vector(series: &[(Labels, f64)], name: &str) -> Vec<(Labels, f64)> {
    series
        .iter()
        .filter(|(l, v)| l.name() == Some(name) && !tocsin::promql::engine::is_stale_nan(*v))
        .cloned()
        .collect()
}

fn run(engine: &Engine, st: &Storage, q: &str) -> Vec<Sample> {
    let expr = promql_parser::parser::parse(q).expect("parse");
    match engine.instant(st, &expr, 0).expect("eval") {
        Value::Vector(v) => v,
        other => panic!("{q}: {other:?}"),
    }
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn by_group(v: &[(Labels, f64)]) -> BTreeMap<String, Vec<f64>> {
    let mut m: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (l, x) in v {
        m.entry(l.value("g").to_string()).or_default().push(*x);
    }
    m
}

fn naive_aggr(op: &str, xs: &[f64]) -> f64 {
    match op {
        "sum" => xs.iter().sum(),
        "count" => xs.len() as f64,
        "group" => 1.0,
        // The first value, replaced by a greater (smaller) one or when the current one is NaN.
        "max" => xs
            .iter()
            .fold(xs[0], |m, &x| if m.is_nan() || x > m { x } else { m }),
        "min" => xs
            .iter()
            .fold(xs[0], |m, &x| if m.is_nan() || x < m { x } else { m }),
        _ => unreachable!(),
    }
}

fn check_aggregations(engine: &Engine, st: &Storage, x: &[(Labels, f64)], errs: &mut Vec<String>) {
    let groups = by_group(x);
    for op in ["sum", "count", "group", "max", "min"] {
        let got = run(engine, st, &format!("{op} by (g) (x)"));
        if got.len() != groups.len() {
            errs.push(format!("{op}: {} groups, want {}", got.len(), groups.len()));
            continue;
        }
        for s in got {
            let xs = &groups[s.labels.value("g")];
            let want = naive_aggr(op, xs);
            // Sums of mixed infinities and 1e300 depend on order; compare only the class then.
            let order_sensitive =
                op == "sum" && xs.iter().any(|v| !v.is_finite() || v.abs() > 1e200);
            let ok = order_sensitive || same(want, s.v);
            if !ok {
                errs.push(format!("{op} by (g) over {xs:?}: want {want}, got {}", s.v));
            }
        }
    }
    for k in 1..4 {
        for op in ["topk", "bottomk"] {
            let got = run(engine, st, &format!("{op} by (g) ({k}, x)"));
            let want: usize = groups.values().map(|v| v.len().min(k)).sum();
            if got.len() != want {
                errs.push(format!("{op}({k}): {} samples, want {want}", got.len()));
            }
            if got.iter().any(|s| s.labels.name() != Some("x")) {
                errs.push(format!("{op} must keep the metric name"));
            }
        }
    }
}

fn check_matching(
    engine: &Engine,
    st: &Storage,
    x: &[(Labels, f64)],
    y: &[(Labels, f64)],
    errs: &mut Vec<String>,
) {
    let ys: BTreeMap<&str, f64> = y.iter().map(|(l, v)| (l.value("i"), *v)).collect();
    let xs: BTreeMap<&str, f64> = x.iter().map(|(l, v)| (l.value("i"), *v)).collect();
    let got: BTreeMap<String, f64> = run(engine, st, "x + on(i) y")
        .into_iter()
        .map(|s| (s.labels.value("i").to_string(), s.v))
        .collect();
    let want: BTreeMap<String, f64> = xs
        .iter()
        .filter_map(|(i, a)| ys.get(i).map(|b| (i.to_string(), a + b)))
        .collect();
    if got.len() != want.len()
        || want
            .iter()
            .any(|(i, w)| !got.get(i).is_some_and(|g| same(*w, *g)))
    {
        errs.push(format!("x + on(i) y: want {want:?}, got {got:?}"));
    }
    let got: BTreeMap<String, f64> = run(engine, st, "x > bool on(i) y")
        .into_iter()
        .map(|s| (s.labels.value("i").to_string(), s.v))
        .collect();
    let want: BTreeMap<String, f64> = xs
        .iter()
        .filter_map(|(i, a)| {
            ys.get(i)
                .map(|b| (i.to_string(), f64::from(u8::from(a > b))))
        })
        .collect();
    if got != want {
        errs.push(format!("x > bool on(i) y: want {want:?}, got {got:?}"));
    }
    let count = |q: &str| run(engine, st, q).len();
    let both = xs.keys().filter(|i| ys.contains_key(*i)).count();
    let checks = [
        ("x and on(i) y", both),
        ("x unless on(i) y", xs.len() - both),
        ("x or on(i) y", xs.len() + ys.len() - both),
    ];
    for (q, want) in checks {
        if count(q) != want {
            errs.push(format!("{q}: {} samples, want {want}", count(q)));
        }
    }
}

#[test]
fn aggregations_and_matching_match_naive_references() {
    let engine = Engine::default();
    let mut rng = Rng(42);
    let mut errs = Vec::new();
    for _ in 0..300 {
        let mut st = Storage::new();
        let mut all = Vec::new();
        for name in ["x", "y"] {
            for i in 0..(1 + rng.below(12)) {
                if rng.below(5) == 0 {
                    continue; // this identity has no series of this metric
                }
                let g = ["a", "b", "c"][rng.below(3) as usize];
                let l = Labels::new([("__name__", name), ("g", g), ("i", &i.to_string())]);
                let v = if rng.below(10) == 0 {
                    STALE_NAN
                } else {
                    edge_value(&mut rng)
                };
                st.add(&l, 0, v);
                all.push((l, v));
            }
        }
        let x = expected_vector(&all, "x");
        let y = expected_vector(&all, "y");
        check_aggregations(&engine, &st, &x, &mut errs);
        check_matching(&engine, &st, &x, &y, &mut errs);
    }
    assert!(
        errs.is_empty(),
        "{} mismatches:\n{}",
        errs.len(),
        errs[..errs.len().min(10)].join("\n")
    );
}
