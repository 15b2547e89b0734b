//! `tocsin test` from the command line: promtool's failure text for rule errors (captured from promtool 2.42),
//! strict file reading, `--run`, `--junit`, `--format=json`, `--diff`, `--debug`, coverage, and the vmalert-tool
//! format (whose expectations follow vmalert-tool's documented semantics; no vmalert-tool binary is available).

use std::path::Path;
use std::process::Command;

const TOCSIN: &str = env!("CARGO_BIN_EXE_tocsin");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tocsin(dir: &Path, args: &[&str]) -> Out {
    let o = Command::new(TOCSIN)
        .arg("test")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("run tocsin: {e}"));
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
}

const ERR_RULES: &str = "groups:
  - name: g
    rules:
      - record: ok:copy
        expr: a
      - alert: Dup
        expr: a + on() b
";

const ERR_TEST: &str = "rule_files: [err.rules.yml]
tests:
  - name: first passes
    interval: 1m
    input_series:
      - series: 'a{x=\"1\"}'
        values: '1 1 1'
    promql_expr_test:
      - expr: a
        eval_time: 0m
        exp_samples:
          - {labels: 'a{x=\"1\"}', value: 2}
  - name: rule error stops the group
    interval: 1m
    input_series:
      - series: 'a{x=\"1\"}'
        values: '1 1 1'
      - series: 'b{y=\"1\"}'
        values: '_ 1 1'
      - series: 'b{y=\"2\"}'
        values: '_ 1 1'
    alert_rule_test:
      - eval_time: 0m
        alertname: Dup
        exp_alerts: [{}]
      - eval_time: 2m
        alertname: Dup
        exp_alerts: []
";

/// promtool 2.42's output for ERR_TEST, byte for byte.
const PROMTOOL_STDOUT: &str = "Unit Testing:  err.test.yml\n\n\n\n\n";
const PROMTOOL_STDERR: &str = r#"  FAILED:
    expr: "a", time: 0s,
        exp: {__name__="a", x="1"} 2E+00
        got: {__name__="a", x="1"} 1E+00
    name: rule error stops the group,
    alertname: Dup, time: 0s, 
        exp:[
            0:
              Labels:{alertname="Dup"}
              Annotations:{}
            ], 
        got:[]
    rule: Dup, time: 1m0s, err: found duplicate series for the match group {} on the right hand-side of the operation: [{__name__="b", y="2"}, {__name__="b", y="1"}];many-to-many matching not allowed: matching labels must be unique on one side
"#;

fn err_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write(d.path(), "err.rules.yml", ERR_RULES);
    write(d.path(), "err.test.yml", ERR_TEST);
    d
}

#[test]
fn rule_errors_print_as_promtool_does() {
    let d = err_dir();
    let o = tocsin(d.path(), &["--coverage=false", "err.test.yml"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stdout, PROMTOOL_STDOUT);
    assert_eq!(o.stderr, PROMTOOL_STDERR);
}

#[test]
fn run_selects_groups_by_name() {
    let d = err_dir();
    let o = tocsin(
        d.path(),
        &["--coverage=false", "--run", "^rule error", "err.test.yml"],
    );
    assert_eq!(o.code, 1);
    assert!(!o.stderr.contains("expr: \"a\""), "{}", o.stderr);
    assert!(o.stderr.contains("rule: Dup"));
    let o = tocsin(
        d.path(),
        &[
            "--coverage=false",
            "--run",
            "nothing-matches",
            "err.test.yml",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "Unit Testing:  err.test.yml\n  SUCCESS\n\n");
}

#[test]
fn junit_and_json_reports() {
    let d = err_dir();
    let o = tocsin(
        d.path(),
        &[
            "--coverage=false",
            "--junit",
            "out.xml",
            "--format=json",
            "err.test.yml",
        ],
    );
    assert_eq!(o.code, 1);
    let v: serde_json::Value =
        serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("json: {e}\n{}", o.stdout));
    assert_eq!(v["success"], false);
    assert_eq!(v["files"][0]["tests"][0]["name"], "first passes");
    assert_eq!(
        v["files"][0]["tests"][1]["failures"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let xml = std::fs::read_to_string(d.path().join("out.xml")).unwrap_or_default();
    assert!(
        xml.contains("<testsuite name=\"err.test.yml\" tests=\"2\" failures=\"2\">"),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\"rule error stops the group\">"));
}

#[test]
fn diff_debug_and_coverage() {
    let d = err_dir();
    let o = tocsin(
        d.path(),
        &["--diff", "--debug", "--run", "first", "err.test.yml"],
    );
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("diff (-exp +got):"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("          - {__name__=\"a\", x=\"1\"} 2E+00")
    );
    assert!(
        o.stderr
            .contains("          + {__name__=\"a\", x=\"1\"} 1E+00")
    );
    assert!(
        o.stdout.contains("debug: time: 0s, group: g, alert: Dup"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("Coverage: 0 of 2 rules exercised"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .contains("not exercised: err.rules.yml: group \"g\", record \"ok:copy\"")
    );
}

#[test]
fn unknown_keys_are_rejected_with_position() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write(
        d.path(),
        "t.yml",
        "tests:\n  - input_series:\n      - series: up\n        values: '1'\n    promql_expr_tests: []\n",
    );
    let o = tocsin(d.path(), &["t.yml"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("t.yml:5:5: tests[0].promql_expr_tests: unknown field"),
        "{}",
        o.stderr
    );
}

fn vmtool_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promtool/vmalert_tool")
}

#[test]
fn vmalert_tool_format_runs_with_its_semantics() {
    let o = tocsin(&vmtool_dir(), &["--coverage=false", "basic.vmtest.yml"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{}", o.stdout);
}

#[test]
fn metricsql_is_reported_as_unsupported() {
    let o = tocsin(&vmtool_dir(), &["--coverage=false", "metricsql.vmtest.yml"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("unsupported: tocsin has no MetricsQL parser yet"),
        "{}",
        o.stderr
    );
}

#[test]
fn bad_flags_exit_2() {
    let d = err_dir();
    assert_eq!(tocsin(d.path(), &["--format=xml", "err.test.yml"]).code, 2);
    assert_eq!(tocsin(d.path(), &["--run", "(", "err.test.yml"]).code, 2);
    assert_eq!(tocsin(d.path(), &[]).code, 2);
}

/// Newer promtool keys that 2.42 rejects: `start_timestamp` moves time zero, `fuzzy_compare` allows one ULP.
#[test]
fn start_timestamp_and_fuzzy_compare() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write(
        d.path(),
        "t.yml",
        "fuzzy_compare: true
tests:
  - start_timestamp: '2024-01-01T00:00:00Z'
    interval: 1m
    input_series:
      - series: 'x'
        values: '0.1 0.2'
    promql_expr_test:
      - expr: timestamp(x)
        eval_time: 1m
        exp_samples:
          - {labels: '{}', value: 1704067260}
      - expr: x + 0.2
        eval_time: 0m
        exp_samples:
          - {labels: '{}', value: 0.30000000000000004}
      - expr: x{} + 0.2
        eval_time: 0m
        exp_samples:
          - {labels: '{}', value: 0.3}
  - start_timestamp: 1000
    input_series:
      - series: 'y'
        values: '5'
    promql_expr_test:
      - expr: timestamp(y)
        eval_time: 0m
        exp_samples:
          - {labels: '{}', value: 1000}
",
    );
    let o = tocsin(d.path(), &["--coverage=false", "t.yml"]);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{}", o.stdout);
}

#[test]
fn missing_alertname_is_promtools_error() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write(
        d.path(),
        "t.yml",
        "tests:\n  - name: grp\n    alert_rule_test:\n      - eval_time: 1m\n        exp_alerts: []\n",
    );
    let o = tocsin(d.path(), &["--coverage=false", "t.yml"]);
    assert_eq!(o.code, 1);
    // promtool 2.42's text for the same file.
    assert_eq!(
        o.stderr,
        "  FAILED:\nan item under alert_rule_test misses required attribute alertname at eval_time 1m (in TestGroup grp)\n"
    );
}

/// Range boundaries. `m` has one sample a minute, 1 at 0m up to 6 at 5m; `n` has one sample, 7 at 0m. At 5m:
/// - Prometheus 2.x (closed, `[t-d, t]`): `m[2m]` covers 3m..5m inclusive, samples 4, 5, 6, so `count_over_time` is
///   3; the lookback window `[0m, 5m]` still holds `n`'s sample at 0m, so `n` is 7.
/// - Prometheus 3 (left-open, `(t-d, t]`): the sample at 3m drops out, so the count is 2; the window `(0m, 5m]`
///   excludes `n`'s only sample, so `n` is absent.
///
/// The recording rule sees the same ranges as expression tests.
const BOUNDARY_RULES: &str = "groups:
  - name: g
    rules:
      - record: m:count2m
        expr: count_over_time(m[2m])
";

fn boundary_test(count: u32, n_samples: &str) -> String {
    format!(
        "rule_files: [b.rules.yml]
tests:
  - interval: 1m
    input_series:
      - series: 'm'
        values: '1 2 3 4 5 6'
      - series: 'n'
        values: '7'
    promql_expr_test:
      - expr: count_over_time(m[2m])
        eval_time: 5m
        exp_samples:
          - {{labels: '{{}}', value: {count}}}
      - expr: m:count2m
        eval_time: 5m
        exp_samples:
          - {{labels: 'm:count2m', value: {count}}}
      - expr: n
        eval_time: 5m
        exp_samples: {n_samples}
"
    )
}

#[test]
fn range_boundaries_flag_decides_the_verdict() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write(d.path(), "b.rules.yml", BOUNDARY_RULES);
    write(
        d.path(),
        "closed.test.yml",
        &boundary_test(3, "[{labels: 'n', value: 7}]"),
    );
    write(d.path(), "left_open.test.yml", &boundary_test(2, "[]"));

    let code = |args: &[&str]| tocsin(d.path(), args).code;
    assert_eq!(code(&["closed.test.yml"]), 0, "default is closed");
    assert_eq!(code(&["--range-boundaries=closed", "closed.test.yml"]), 0);
    assert_eq!(
        code(&["--range-boundaries=left-open", "left_open.test.yml"]),
        0
    );
    assert_eq!(code(&["left_open.test.yml"]), 1);
    assert_eq!(
        code(&["--range-boundaries=closed", "left_open.test.yml"]),
        1
    );

    // Under left-open, every expectation of the closed file fails: the count twice (expression and rule), and `n`.
    let o = tocsin(
        d.path(),
        &["--range-boundaries=left-open", "closed.test.yml"],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("exp: {} 3E+00\n        got: {} 2E+00"),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains("expr: \"m:count2m\""), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("exp: {__name__=\"n\"} 7E+00\n        got: nil"),
        "{}",
        o.stderr
    );

    assert_eq!(code(&["--range-boundaries=open", "closed.test.yml"]), 2);

    // promtool 2.42 has closed boundaries: it agrees with the default.
    let promtool = |file: &str| {
        std::process::Command::new("promtool")
            .args(["test", "rules", file])
            .current_dir(d.path())
            .output()
            .unwrap_or_else(|e| panic!("promtool is not installed (run scripts/test.sh): {e}"))
            .status
            .code()
    };
    assert_eq!(promtool("closed.test.yml"), Some(0));
    assert_eq!(promtool("left_open.test.yml"), Some(1));
}
