//! Table-driven tests of the whole parser: shapes, positions, hints, printing.

use super::*;

fn p(s: &str) -> Expr {
    parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn round_trip(s: &str) -> String {
    let e = p(s);
    let printed = e.to_string();
    let again = parse(&printed).unwrap_or_else(|err| panic!("{s} printed as {printed}: {err}"));
    assert_eq!(e, again, "{s} printed as {printed}");
    printed
}

#[test]
fn prints_back_to_same_tree() {
    let cases = [
        ("rate(x[5m])", "rate(x[5m])"),
        (
            "sum by (a) (rate(x{b=\"c\"}[5m]))",
            "sum(rate(x{b=\"c\"}[5m])) by (a)",
        ),
        ("-x ^ 2", "0 - x ^ 2"),
        ("(-1) ^ 2", "(-1) ^ 2"),
        ("-1", "-1"),
        ("a + b * c", "a + b * c"),
        ("(a + b) * c", "(a + b) * c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a ^ b) ^ c", "(a ^ b) ^ c"),
        ("a * -x", "a * (0 - x)"),
        ("-x * a", "0 - x * a"),
        ("(a or b) and c", "(a or b) and c"),
        ("(x + \"a\") + \"b\"", "x + \"a\" + (\"b\")"),
        ("1 @ \"a\" + up{}", "1 @ \"a\" + (up)"),
        (
            "-\"\" + {__name__=\"offset\"}[5m]",
            "0 - \"\" + (\\offset[5m])",
        ),
        ("\"a\" + x{} * y", "\"a\" + (x * y)"),
        ("a - b - c", "a - b - c"),
        ("a ^ b ^ c", "a ^ b ^ c"),
        ("x offset -5m @ end()", "x offset -5m @ end()"),
        ("rate(x)[1h:5m]", "rate(x)[1h:5m]"),
        ("x[5m:]", "x[5m:]"),
        ("x[:1m]", "x[:1m]"),
        ("1Ki + 0x1F", "1Ki + 0x1F"),
        ("\"a\" + \"b\"", "\"ab\""),
        ("x default 0", "x default 0"),
        ("x if y ifnot z", "x if y ifnot z"),
        ("topk(3, x) by (a) limit 5", "topk(3, x) by (a) limit 5"),
        ("abs(x) keep_metric_names", "abs(x) keep_metric_names"),
        ("x * on(a) group_left(b) y", "x * on (a) group_left (b) y"),
        ("x == bool 1", "x == bool 1"),
        ("x * on(a) group_left y", "x * on (a) group_left () y"),
        ("{a=\"b\" or c=~\"d\"}", "{a=\"b\" or c=~\"d\"}"),
        ("(x, y)", "(x, y)"),
        ("{__name__=\"inf\"}", "\\inf"),
        ("{__name__=\"offset\"}", "\\offset"),
        ("\"a\" + x{}", "\"a\" + (x)"),
        ("x # comment\n + 1", "x + 1"),
        ("WITH (f(a) = a + 1) f(x)", "x + 1"),
    ];
    for (src, want) in cases {
        assert_eq!(round_trip(src), want, "{src}");
    }
}

#[test]
fn with_templates_expand() {
    let cases = [
        ("WITH (x = 1) x", "1"),
        ("WITH (f = {a=\"b\"}) m{f, c=\"d\"}", "m{a=\"b\", c=\"d\"}"),
        ("WITH (c = \"z\") m{a=\"b\" + c}", "m{a=\"bz\"}"),
        ("WITH (m = x{a=\"1\"}) m{b=\"2\"}", "x{a=\"1\", b=\"2\"}"),
        ("WITH (l = (a, b)) sum(x) by (l)", "sum(x) by (a, b)"),
        ("WITH (f(x) = x * 2, g(y) = f(y) + 1) g(z)", "z * 2 + 1"),
        ("WITH (a = 1, b = WITH (a = 2) a) a + b", "1 + 2"),
        ("ru(free, max)", "ru(free, max{})"),
        ("WITH (cf = {}) {cf}", "{}"),
        ("WITH (cf = {}) x{cf}", "x"),
    ];
    for (src, want) in cases {
        assert_eq!(p(src).to_string(), want, "{src}");
    }
}

#[test]
fn errors_have_positions_and_hints() {
    let cases: [(&str, usize, usize, &str); 9] = [
        (
            "rat(x)",
            1,
            1,
            "unknown function \"rat\"; did you mean \"rate\"?",
        ),
        (
            "sum(\n  rate(x, 1))",
            2,
            3,
            "wrong number of arguments to \"rate\"",
        ),
        ("x{a=~\"(\"}", 1, 3, "invalid regexp"),
        ("x +", 1, 4, "unexpected end of expression"),
        ("x + bool 1", 1, 5, "bool modifier cannot be applied"),
        ("WITH (f(a) = a) f(1, 2)", 1, 17, "invalid number of args"),
        ("share(x)", 1, 1, "needs a newer VictoriaMetrics"),
        ("x{a==\"b\"}", 1, 4, "label matchers use a single"),
        ("sum(x) limit 1.5", 1, 14, "cannot parse limit"),
    ];
    for (src, line, col, msg) in cases {
        let e = parse(src).expect_err(src);
        assert_eq!((e.line, e.column), (line, col), "{src}: {e}");
        assert!(e.to_string().contains(msg), "{src}: {e}");
    }
}

#[test]
fn injection_reaches_every_selector() {
    let mut e = p(
        "WITH (t = y{ns=\"other\"}) sum(rate(x[5m])) / on(a) t + max_over_time(z{a=\"1\" or b=\"2\"}[1h:5m] @ w)",
    );
    let touched = inject_matchers(&mut e, &[LabelMatcher::new("ns", MatchOp::Equal, "team")]);
    assert_eq!(touched.len(), 4);
    let printed = e.to_string();
    assert_eq!(
        printed,
        "sum(rate(x{ns=\"team\"}[5m])) / on (a) y{ns=\"team\"} + max_over_time(z{a=\"1\", ns=\"team\" or b=\"2\", ns=\"team\"}[1h:5m] @ w{ns=\"team\"})"
    );
    // Enforcing again changes nothing.
    assert!(inject_matchers(&mut e, &[LabelMatcher::new("ns", MatchOp::Equal, "team")]).is_empty());
}

#[test]
fn hostile_nesting_is_refused_without_overflow() {
    // Runs on the test thread's 2 MiB stack: deep trees must neither overflow it nor be accepted past the limits.
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(parse(&deep).is_err());
    let minus = format!("{}1", "-".repeat(5000));
    assert!(parse(&minus).is_err());
    let chain = vec!["a"; 5000].join(" + ");
    assert!(parse(&chain).is_err());
    let ok_chain = vec!["a"; 990].join(" ^ ");
    let e = p(&ok_chain);
    assert_eq!(parse(&e.to_string()).unwrap(), e);
    let calls = format!("{}x{}", "abs(".repeat(990), ")".repeat(990));
    assert!(parse(&calls).is_ok());
    let minus = format!("{}x", "-".repeat(990));
    let e = p(&minus);
    assert_eq!(parse(&e.to_string()).unwrap(), e);
    let bomb = "WITH (a0 = x, a1 = a0 + a0, a2 = a1 + a1, a3 = a2 + a2, a4 = a3 + a3, a5 = a4 + a4, a6 = a5 + a5, \
                a7 = a6 + a6, a8 = a7 + a7, a9 = a8 + a8, b0 = a9 + a9, b1 = b0 + b0, b2 = b1 + b1, b3 = b2 + b2, \
                b4 = b3 + b3, b5 = b4 + b4, b6 = b5 + b5, b7 = b6 + b6, b8 = b7 + b7, b9 = b8 + b8) b9";
    assert!(parse(bomb).is_err());
}
