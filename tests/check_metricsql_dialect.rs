//! `tocsin check --dialect=metricsql` through the real binary: VictoriaMetrics' own rule files are accepted, and
//! broken MetricsQL is rejected with the position inside the expression.

use std::process::Command;

fn tocsin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
}

fn corpus() -> std::path::PathBuf {
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if beside.is_dir() {
        beside
    } else {
        std::path::PathBuf::from("/work/shared/corpus")
    }
}

#[test]
fn victoriametrics_rule_files_are_accepted() {
    let rules = corpus().join("rules");
    for name in [
        "VictoriaMetrics__rules__alerts-cluster.yml",
        "VictoriaMetrics__rules__alerts-health.yml",
        "VictoriaMetrics__rules__alerts-single-node.yml",
        "VictoriaMetrics__rules__alerts-vmauth.yml",
        "sloth__victoria-metrics.yml",
    ] {
        let out = tocsin()
            .args(["check", "--dialect=metricsql"])
            .arg(rules.join(name))
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn broken_metricsql_is_rejected_with_positions() {
    let dir = tempfile::tempdir().expect("tempdir");
    // (expression, expected line:column inside the expression, expected words in the message)
    let cases = [
        ("rat(up[5m])", "line 1, column 1", "unknown function"),
        ("label_replace(up)", "line 1, column 1", "label_replace"),
        ("WITH (a = up) (a", "line 1", "unexpected end"),
        ("rate(up[5x])", "line 1, column", ""),
        ("sum(up", "line 1, column", ""),
    ];
    for (i, (expr, at, words)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.yml"));
        let text = format!("groups:\n- name: g\n  rules:\n  - record: r\n    expr: '{expr}'\n");
        std::fs::write(&file, text).expect("write");
        let out = tocsin()
            .args(["check", "--dialect=metricsql"])
            .arg(&file)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{expr}: {stderr}");
        assert!(stderr.contains(":5:11: groups[0].rules[0].expr (group \"g\", rule \"r\"): could not parse expression as MetricsQL:"), "{expr}: {stderr}");
        let inner = stderr.split("MetricsQL: ").nth(1).unwrap_or_default();
        let want = at
            .replace("line ", "")
            .replace(", column", ":")
            .replace(' ', "");
        let want = want.trim_end_matches(':');
        assert!(
            inner.starts_with(want),
            "{expr}: position {want:?} expected at the start of {inner:?}"
        );
        assert!(
            inner.contains(words),
            "{expr}: {words:?} expected in {inner:?}"
        );
    }
}
