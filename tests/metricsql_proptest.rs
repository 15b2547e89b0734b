//! Property: for generated MetricsQL text, parse → print → parse gives the same tree, and printing is stable
//! (printing the re-parsed tree gives the same text). The generator writes expressions the way people do —
//! every construct of the grammar, random spacing and case — so the printer meets shapes it did not produce.

use proptest::prelude::*;
use tocsin::promql::metricsql::{self, functions};

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("up".to_string()),
        Just("http_requests_total".to_string()),
        Just("job:rate5m:sum".to_string()),
        Just("node_cpu_seconds_total".to_string()),
        "[a-z_][a-z0-9_:]{0,8}",
        // Names that collide with keywords or aggregations must still print back as names.
        Just("sum".to_string()),
        Just("offset".to_string()),
        Just("bool".to_string()),
        Just("inf".to_string()),
    ]
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9._-]{0,6}".prop_map(|s| format!("\"{s}\"")),
        "[a-z]{0,4}".prop_map(|s| format!("'{s}'")),
        "[a-z.*+|]{0,6}".prop_map(|s| format!("`{s}`")),
        Just("\"a\\\"b\\n\"".to_string()),
        Just("\"é\\u00e9\"".to_string()),
        ("[a-z]{1,3}", "[a-z]{1,3}").prop_map(|(a, b)| format!("\"{a}\" + \"{b}\"")),
    ]
}

fn matcher() -> impl Strategy<Value = String> {
    (
        "[a-z_][a-z0-9_]{0,5}",
        prop_oneof![Just("="), Just("!="), Just("=~"), Just("!~")],
        label_value(),
    )
        .prop_map(|(l, op, v)| format!("{l}{op}{v}"))
}

fn selector() -> impl Strategy<Value = String> {
    (
        proptest::option::of(ident()),
        proptest::collection::vec(proptest::collection::vec(matcher(), 0..3), 0..3),
    )
        .prop_map(|(name, groups)| {
            let groups: Vec<String> = groups
                .into_iter()
                .filter(|g| !g.is_empty())
                .map(|g| g.join(", "))
                .collect();
            match (name, groups.is_empty()) {
                (Some(n), true) => n,
                (n, _) => format!("{}{{{}}}", n.unwrap_or_default(), groups.join(" or ")),
            }
        })
}

fn duration() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("5m".to_string()),
        Just("1h30m".to_string()),
        Just("90s".to_string()),
        Just("1.5h".to_string()),
        Just("3i".to_string()),
        Just("1d-1h".to_string()),
        Just("300".to_string()),
        Just("250ms".to_string()),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        Just("0.5".to_string()),
        Just(".25".to_string()),
        Just("1e3".to_string()),
        Just("2.5E-2".to_string()),
        Just("0x1F".to_string()),
        Just("1Ki".to_string()),
        Just("2MB".to_string()),
        Just("3k".to_string()),
        Just("Inf".to_string()),
        Just("NaN".to_string()),
    ]
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => selector(),
        2 => number(),
        1 => label_value(),
        1 => duration(),
        1 => Just("time()".to_string()),
    ]
}

fn args_for(name: &str, inner: &[String], min: usize) -> Vec<String> {
    // String-typed positions get strings so the call is valid; the rest take generated expressions.
    let rule = functions::ARG_RULES.iter().find(|r| r.name == name);
    let n = min.max(1).min(inner.len().max(min));
    let mut n = n.min(min.max(1));
    if let Some(p) = rule.and_then(|r| r.pairs_from) {
        n = (n.max(p) - p).div_ceil(2) * 2 + p;
    }
    (0..n)
        .map(|i| {
            let string = rule
                .is_some_and(|r| r.strings.contains(&i) || r.strings_from.is_some_and(|f| i >= f));
            if string {
                format!("\"l{i}\"")
            } else {
                inner[i % inner.len()].clone()
            }
        })
        .collect()
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let fns: Vec<&'static functions::Function> = functions::FUNCTIONS.iter().collect();
        prop_oneof![
            // binary operations with modifiers
            (
                inner.clone(),
                prop_oneof![
                    Just("+"),
                    Just("-"),
                    Just("*"),
                    Just("/"),
                    Just("%"),
                    Just("^"),
                    Just("atan2"),
                    Just("=="),
                    Just(">"),
                    Just("<="),
                    Just("and"),
                    Just("OR"),
                    Just("unless"),
                    Just("if"),
                    Just("ifnot"),
                    Just("default"),
                    Just("> bool"),
                    Just("== bool"),
                ],
                prop_oneof![
                    Just(""),
                    Just(" on(job)"),
                    Just(" ignoring(instance)"),
                    Just(" on(job) group_left"),
                    Just(" on(a, b) group_right(c)"),
                ],
                inner.clone(),
            )
                .prop_map(|(l, op, m, r)| {
                    let set = matches!(op, "and" | "OR" | "unless");
                    let m = if set && m.contains("group") { "" } else { m };
                    format!("{l} {op}{m} {r}")
                }),
            inner.clone().prop_map(|e| format!("({e})")),
            inner.clone().prop_map(|e| format!("-{e}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}, {b})")),
            // rollups and subqueries
            (
                selector(),
                duration(),
                proptest::option::of(duration()),
                any::<bool>()
            )
                .prop_map(|(s, w, o, at)| {
                    let mut t = format!("{s}[{w}]");
                    if let Some(o) = o {
                        t.push_str(&format!(" offset {o}"));
                    }
                    if at {
                        t.push_str(" @ end()");
                    }
                    t
                }),
            (inner.clone(), duration(), duration()).prop_map(|(e, w, s)| format!("({e})[{w}:{s}]")),
            (inner.clone(), proptest::option::of(duration())).prop_map(|(e, o)| match o {
                Some(o) => format!("{e} offset -{o}"),
                None => format!("{e} @ 1700000000"),
            }),
            // function calls from the catalogue, with valid counts
            (
                proptest::sample::select(fns),
                proptest::collection::vec(inner.clone(), 1..4),
                any::<bool>()
            )
                .prop_map(|(f, args, keep)| {
                    let args = args_for(f.name, &args, f.min_args);
                    match f.kind {
                        functions::Kind::Aggregate => {
                            let m = if keep {
                                " by (job)"
                            } else {
                                " without (instance) limit 3"
                            };
                            format!("{}({}){m}", f.name, args.join(", "))
                        }
                        _ => {
                            let call = format!("{}({})", f.name, args.join(", "));
                            if keep {
                                format!("{call} keep_metric_names")
                            } else {
                                call
                            }
                        }
                    }
                }),
            // WITH templates
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("WITH (t = {a}, f(x) = x + t) f({b})")),
            (selector(), matcher()).prop_map(|(s, m)| format!("WITH (cf = {{{m}}}) {s}{{cf}}")),
        ]
    })
}

/// Runs `f` on a thread with a large stack: proptest's recursive strategies need it in debug builds (the parser
/// itself is tested on ordinary 2 MiB test threads elsewhere).
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

fn check_round_trip(src: &str) -> Result<(), TestCaseError> {
    // Generated text can be invalid (a regex, an unknown template); only what parses is checked.
    if let Ok(tree) = metricsql::parse(src) {
        let printed = tree.to_string();
        let again = metricsql::parse(&printed);
        prop_assert!(
            again.is_ok(),
            "{src:?} printed as {printed:?}: {:?}",
            again.err()
        );
        let again = again.unwrap();
        prop_assert_eq!(&again, &tree, "{:?} printed as {:?}", src, printed);
        prop_assert_eq!(again.to_string(), printed);
    }
    Ok(())
}

#[test]
fn parse_print_parse_is_identity() {
    let cases = std::env::var("METRICSQL_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    with_big_stack(move || {
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases,
            ..ProptestConfig::default()
        });
        if let Err(e) = runner.run(&expr(), |src| check_round_trip(&src)) {
            panic!("{e}");
        }
    });
}

#[test]
fn generator_mostly_produces_valid_expressions() {
    with_big_stack(|| {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = expr();
        let (mut ok, total) = (0, 500);
        for _ in 0..total {
            let src = strategy.new_tree(&mut runner).expect("generate").current();
            if metricsql::parse(&src).is_ok() {
                ok += 1;
            }
        }
        assert!(
            ok * 10 >= total * 6,
            "only {ok} of {total} generated expressions parse"
        );
    });
}
