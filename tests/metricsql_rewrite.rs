//! Label enforcement (`inject_matchers`): every series selector gets the enforced matchers — inside subqueries,
//! function arguments, aggregations, `@` expressions, every `or` alternative and `WITH` template bodies —
//! conflicting matchers on the enforced label are replaced, and the touched selectors are reported with their
//! source spans. Checked case by case and over the whole rule corpus.

#[path = "metricsql_support.rs"]
mod support;

use tocsin::promql::metricsql::{self, Expr, LabelMatcher, MatchOp, ast::walk, inject_matchers};

fn ns(v: &str) -> LabelMatcher {
    LabelMatcher::new("namespace", MatchOp::Equal, v)
}

/// Injects and returns (printed result, source texts of the touched selectors).
fn inject(src: &str, matchers: &[LabelMatcher]) -> (String, Vec<String>) {
    let mut e = metricsql::parse(src).unwrap_or_else(|err| panic!("{src}: {err}"));
    let spans = inject_matchers(&mut e, matchers);
    let printed = e.to_string();
    let again = metricsql::parse(&printed).unwrap_or_else(|err| panic!("{printed}: {err}"));
    assert_eq!(again, e, "{printed}");
    (
        printed,
        spans
            .iter()
            .map(|s| src[s.start..s.end].to_string())
            .collect(),
    )
}

#[test]
fn reaches_every_kind_of_selector() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("up", "up{namespace=\"t\"}", &["up"]),
        (
            "{job=\"a\"}",
            "{job=\"a\", namespace=\"t\"}",
            &["{job=\"a\"}"],
        ),
        ("rate(x[5m])", "rate(x{namespace=\"t\"}[5m])", &["x"]),
        (
            "max_over_time(rate(x[5m])[1h:1m] @ end())",
            "max_over_time(rate(x{namespace=\"t\"}[5m])[1h:1m] @ end())",
            &["x"],
        ),
        (
            "x offset 1h @ y",
            "x{namespace=\"t\"} offset 1h @ y{namespace=\"t\"}",
            &["x", "y"],
        ),
        (
            "sum by (job) (a) / on (job) group_left b",
            "sum(a{namespace=\"t\"}) by (job) / on (job) group_left () b{namespace=\"t\"}",
            &["a", "b"],
        ),
        (
            "label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")",
            "label_replace(x{namespace=\"t\"}, \"a\", \"$1\", \"b\", \"(.*)\")",
            &["x"],
        ),
        (
            "x{a=\"1\" or b=\"2\"}",
            "x{a=\"1\", namespace=\"t\" or b=\"2\", namespace=\"t\"}",
            &["x{a=\"1\" or b=\"2\"}"],
        ),
        (
            "(x, y)",
            "(x{namespace=\"t\"}, y{namespace=\"t\"})",
            &["x", "y"],
        ),
        ("1 + time()", "1 + time()", &[]),
        // A template is expanded at each use: each copy is enforced and reported where it is used.
        (
            "WITH (base = m{job=\"j\"}) base / base offset 1d",
            "m{job=\"j\", namespace=\"t\"} / m{job=\"j\", namespace=\"t\"} offset 1d",
            &["base", "base"],
        ),
        (
            "WITH (s = sum(m) by (job)) s / s",
            "sum(m{namespace=\"t\"}) by (job) / sum(m{namespace=\"t\"}) by (job)",
            &["m", "m"],
        ),
        (
            "WITH (f(s) = rate(s[5m])) f(a) + f(b{c=\"d\"})",
            "rate(a{namespace=\"t\"}[5m]) + rate(b{c=\"d\", namespace=\"t\"}[5m])",
            &["a", "b{c=\"d\"}"],
        ),
        (
            "WITH (cf = {job=\"j\"}) x{cf}",
            "x{job=\"j\", namespace=\"t\"}",
            &["x{cf}"],
        ),
    ];
    for (src, want, touched) in cases {
        let (printed, spans) = inject(src, &[ns("t")]);
        assert_eq!(&printed, want, "{src}");
        assert_eq!(spans, *touched, "{src}");
    }
}

#[test]
fn enforced_value_replaces_conflicting_matchers() {
    let cases = [
        ("x{namespace=\"other\"}", "x{namespace=\"t\"}"),
        ("x{namespace!=\"t\"}", "x{namespace=\"t\"}"),
        (
            "x{namespace=~\".*\", job=\"a\"}",
            "x{job=\"a\", namespace=\"t\"}",
        ),
        ("x{namespace=\"a\", namespace=\"b\"}", "x{namespace=\"t\"}"),
        (
            "x{namespace=\"a\" or namespace=\"b\"}",
            "x{namespace=\"t\" or namespace=\"t\"}",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(inject(src, &[ns("t")]).0, want, "{src}");
    }
    // Already enforced: nothing to do, nothing reported.
    assert!(inject("x{namespace=\"t\"}", &[ns("t")]).1.is_empty());
}

#[test]
fn several_matchers_and_operators() {
    let m = [
        ns("t"),
        LabelMatcher::new("cluster", MatchOp::Regex, "eu-.*"),
    ];
    assert_eq!(
        inject("x{cluster=\"us\"} and y", &m).0,
        "x{namespace=\"t\", cluster=~\"eu-.*\"} and y{namespace=\"t\", cluster=~\"eu-.*\"}"
    );
    let name = [LabelMatcher::new("__name__", MatchOp::Equal, "z")];
    assert_eq!(inject("x{a=\"b\"}", &name).0, "{a=\"b\", __name__=\"z\"}");
    assert!(inject("x", &[]).1.is_empty());
}

/// Over the corpus: after injection every selector alternative holds exactly the enforced matcher on its label,
/// and the printed result parses back to the same tree.
#[test]
fn corpus_selectors_are_all_enforced() {
    let Some(dir) = support::corpus_dir() else {
        eprintln!("skipped: no rule corpus at /work/shared/corpus (set TOCSIN_CORPUS)");
        return;
    };
    let mut checked = 0;
    for c in support::corpus_exprs(&dir) {
        let Ok(mut e) = metricsql::parse(&c.expr) else {
            continue;
        };
        let mut selectors = 0;
        walk(&e, &mut |n| {
            selectors += usize::from(matches!(n, Expr::Selector(_)))
        });
        let touched = inject_matchers(&mut e, &[ns("tenant-a")]);
        assert!(touched.len() <= selectors, "{}", c.expr);
        walk(&e, &mut |n| {
            if let Expr::Selector(s) = n {
                assert!(!s.groups.is_empty(), "{}: {e}", c.expr);
                for g in &s.groups {
                    let on_label: Vec<_> = g.iter().filter(|m| m.label == "namespace").collect();
                    assert_eq!(on_label.len(), 1, "{}", c.expr);
                    assert_eq!(
                        (on_label[0].op, on_label[0].value.as_str()),
                        (MatchOp::Equal, "tenant-a")
                    );
                }
            }
        });
        let printed = e.to_string();
        assert_eq!(metricsql::parse(&printed).as_ref(), Ok(&e), "{printed}");
        checked += 1;
    }
    assert!(checked > 1000, "only {checked} corpus expressions checked");
}
