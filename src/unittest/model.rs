//! The test-file model of `promtool test rules` and `vmalert-tool unittest`, read strictly from the YAML tree:
//! unknown keys, wrong shapes and bad durations are errors with line, column and field path.
//!
//! Which tool's format a file follows is decided from the file itself: `metricsql_expr_test` or an alert test's
//! `groupname` make it a vmalert-tool file. Pure: reads text handed in; never opens rule files.

use crate::config::duration::{Duration, DurationSyntax};
use crate::config::yaml::{self, Node, NodeKind, Pos};
use crate::rule::Labels;

/// Which tool's test format a file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `promtool test rules`: time starts at the Unix epoch (or `start_timestamp`).
    Promtool,
    /// `vmalert-tool unittest`: time starts at 2000-01-01T00:00:00Z, `alertgroup` is part of alert labels.
    VmalertTool,
}

/// A test file.
#[derive(Debug, Clone, PartialEq)]
pub struct TestFile {
    pub format: Format,
    pub rule_files: Vec<String>,
    pub evaluation_interval: Duration,
    pub group_eval_order: Vec<String>,
    pub fuzzy_compare: bool,
    pub tests: Vec<TestGroup>,
}

/// One entry of `tests`: input series and the checks run over them.
#[derive(Debug, Clone, PartialEq)]
pub struct TestGroup {
    pub pos: Pos,
    pub name: String,
    /// The series step. Unset, it is 0 for promtool 2.42 (every sample lands at time zero and the first one
    /// wins) and the file's `evaluation_interval` for vmalert-tool.
    pub interval: Duration,
    pub input_series: Vec<InputSeries>,
    pub alert_rule_test: Vec<AlertTest>,
    /// `promql_expr_test` (promtool) or `metricsql_expr_test` (vmalert-tool).
    pub expr_test: Vec<ExprTest>,
    pub external_labels: Labels,
    pub external_url: String,
    /// Milliseconds since the epoch of the first step.
    pub start_ms: i64,
}

/// One `input_series` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSeries {
    pub pos: Pos,
    pub series: String,
    pub values: String,
}

/// One `alert_rule_test` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertTest {
    pub pos: Pos,
    pub eval_time: Duration,
    pub alertname: String,
    pub groupname: String,
    pub exp_alerts: Vec<ExpAlert>,
}

/// One expected firing alert.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpAlert {
    pub exp_labels: Labels,
    pub exp_annotations: Labels,
}

/// One `promql_expr_test` / `metricsql_expr_test` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprTest {
    pub pos: Pos,
    pub expr: String,
    pub eval_time: Duration,
    pub exp_samples: Vec<ExpSample>,
}

/// One expected sample: labels in PromQL series notation and a value.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpSample {
    pub pos: Pos,
    pub labels: String,
    pub value: f64,
}

/// A problem with the test file itself, with where it was found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{pos}: {path}{sep}{message}", sep = if path.is_empty() { "" } else { ": " })]
pub struct ModelError {
    pub pos: Pos,
    /// Field path, as `tests[0].input_series[2].values`.
    pub path: String,
    pub message: String,
}

/// vmalert-tool's time zero: 2000-01-01T00:00:00Z in milliseconds.
pub const VMALERT_TOOL_T0_MS: i64 = 946_684_800_000;

const PROMTOOL_FILE: &[&str] = &[
    "rule_files",
    "evaluation_interval",
    "group_eval_order",
    "fuzzy_compare",
    "tests",
];
const VMTOOL_FILE: &[&str] = &[
    "rule_files",
    "evaluation_interval",
    "group_eval_order",
    "tests",
];
const PROMTOOL_GROUP: &[&str] = &[
    "name",
    "interval",
    "input_series",
    "alert_rule_test",
    "promql_expr_test",
    "external_labels",
    "external_url",
    "start_timestamp",
];
const VMTOOL_GROUP: &[&str] = &[
    "name",
    "interval",
    "input_series",
    "alert_rule_test",
    "metricsql_expr_test",
    "external_labels",
];
const SERIES: &[&str] = &["series", "values"];
const PROMTOOL_ALERT: &[&str] = &["eval_time", "alertname", "exp_alerts"];
const VMTOOL_ALERT: &[&str] = &["eval_time", "groupname", "alertname", "exp_alerts"];
const EXP_ALERT: &[&str] = &["exp_labels", "exp_annotations"];
const EXPR_TEST: &[&str] = &["expr", "eval_time", "exp_samples"];
const EXP_SAMPLE: &[&str] = &["labels", "value"];

/// Parses a test file's text.
pub fn parse(text: &str) -> Result<TestFile, ModelError> {
    let docs = yaml::parse_documents(text).map_err(|e| ModelError {
        pos: e.pos,
        path: String::new(),
        message: format!("invalid YAML: {}", e.message),
    })?;
    let root = match docs.as_slice() {
        [] => {
            return Err(ModelError {
                pos: Pos { line: 1, col: 1 },
                path: String::new(),
                message: "empty test file".into(),
            });
        }
        [one] => one,
        [_, second, ..] => return Err(err(second, "", "more than one YAML document")),
    };
    let format = if mentions(root, &["metricsql_expr_test", "groupname"], 0) {
        Format::VmalertTool
    } else {
        Format::Promtool
    };
    let (file_keys, group_keys) = match format {
        Format::Promtool => (PROMTOOL_FILE, PROMTOOL_GROUP),
        Format::VmalertTool => (VMTOOL_FILE, VMTOOL_GROUP),
    };
    let mut file = TestFile {
        format,
        rule_files: Vec::new(),
        evaluation_interval: Duration::from_secs(60),
        group_eval_order: Vec::new(),
        fuzzy_compare: false,
        tests: Vec::new(),
    };
    let mut tests_node = None;
    for (key, value) in fields(root, "", file_keys)? {
        match key {
            "rule_files" => file.rule_files = strings(value, key)?,
            "evaluation_interval" => {
                if !value.is_null() {
                    file.evaluation_interval = duration(value, key)?;
                }
            }
            "group_eval_order" => file.group_eval_order = strings(value, key)?,
            "fuzzy_compare" => file.fuzzy_compare = boolean(value, key)?,
            _ => tests_node = Some(value),
        }
    }
    if file.evaluation_interval.as_millis() <= 0 {
        return Err(err(root, "evaluation_interval", "must be positive"));
    }
    for (i, name) in file.group_eval_order.iter().enumerate() {
        if file.group_eval_order[..i].contains(name) {
            return Err(err(
                root,
                "group_eval_order",
                &format!("group name repeated in evaluation order: {name}"),
            ));
        }
    }
    if let Some(tests) = tests_node {
        for (i, node) in list(tests, "tests")?.iter().enumerate() {
            let path = format!("tests[{i}]");
            file.tests
                .push(test_group(node, &path, group_keys, format, &file)?);
        }
    }
    Ok(file)
}

fn test_group(
    node: &Node,
    path: &str,
    keys: &[&'static str],
    format: Format,
    file: &TestFile,
) -> Result<TestGroup, ModelError> {
    let mut g = TestGroup {
        pos: node.pos,
        name: String::new(),
        interval: match format {
            Format::Promtool => Duration::ZERO,
            Format::VmalertTool => file.evaluation_interval,
        },
        input_series: Vec::new(),
        alert_rule_test: Vec::new(),
        expr_test: Vec::new(),
        external_labels: Labels::new(),
        external_url: String::new(),
        start_ms: match format {
            Format::Promtool => 0,
            Format::VmalertTool => VMALERT_TOOL_T0_MS,
        },
    };
    for (key, value) in fields(node, path, keys)? {
        let p = format!("{path}.{key}");
        match key {
            "name" => g.name = string(value, &p)?,
            "interval" => {
                if !value.is_null() {
                    g.interval = duration(value, &p)?;
                }
            }
            "input_series" => {
                for (i, s) in list(value, &p)?.iter().enumerate() {
                    let sp = format!("{p}[{i}]");
                    let mut series = InputSeries {
                        pos: s.pos,
                        series: String::new(),
                        values: String::new(),
                    };
                    for (k, v) in fields(s, &sp, SERIES)? {
                        let vp = format!("{sp}.{k}");
                        if k == "series" {
                            series.series = string(v, &vp)?;
                        } else {
                            series.values = string(v, &vp)?;
                        }
                    }
                    g.input_series.push(series);
                }
            }
            "alert_rule_test" => {
                let akeys = match format {
                    Format::Promtool => PROMTOOL_ALERT,
                    Format::VmalertTool => VMTOOL_ALERT,
                };
                for (i, a) in list(value, &p)?.iter().enumerate() {
                    g.alert_rule_test
                        .push(alert_test(a, &format!("{p}[{i}]"), akeys)?);
                }
            }
            "promql_expr_test" | "metricsql_expr_test" => {
                for (i, e) in list(value, &p)?.iter().enumerate() {
                    g.expr_test.push(expr_test(e, &format!("{p}[{i}]"))?);
                }
            }
            "external_labels" => g.external_labels = string_map(value, &p)?,
            "external_url" => g.external_url = string(value, &p)?,
            _ => g.start_ms = timestamp(value, &p)?,
        }
    }
    if g.interval.as_millis() < 0 {
        return Err(err(
            node,
            &format!("{path}.interval"),
            "must not be negative",
        ));
    }
    Ok(g)
}

fn alert_test(node: &Node, path: &str, keys: &[&'static str]) -> Result<AlertTest, ModelError> {
    let mut a = AlertTest {
        pos: node.pos,
        eval_time: Duration::ZERO,
        alertname: String::new(),
        groupname: String::new(),
        exp_alerts: Vec::new(),
    };
    for (key, value) in fields(node, path, keys)? {
        let p = format!("{path}.{key}");
        match key {
            "eval_time" => a.eval_time = duration(value, &p)?,
            "alertname" => a.alertname = string(value, &p)?,
            "groupname" => a.groupname = string(value, &p)?,
            _ => {
                for (i, e) in list(value, &p)?.iter().enumerate() {
                    let ep = format!("{p}[{i}]");
                    let mut exp = ExpAlert::default();
                    for (k, v) in fields(e, &ep, EXP_ALERT)? {
                        let m = string_map(v, &format!("{ep}.{k}"))?;
                        if k == "exp_labels" {
                            exp.exp_labels = m;
                        } else {
                            exp.exp_annotations = m;
                        }
                    }
                    a.exp_alerts.push(exp);
                }
            }
        }
    }
    Ok(a)
}

fn expr_test(node: &Node, path: &str) -> Result<ExprTest, ModelError> {
    let mut t = ExprTest {
        pos: node.pos,
        expr: String::new(),
        eval_time: Duration::ZERO,
        exp_samples: Vec::new(),
    };
    for (key, value) in fields(node, path, EXPR_TEST)? {
        let p = format!("{path}.{key}");
        match key {
            "expr" => t.expr = string(value, &p)?,
            "eval_time" => t.eval_time = duration(value, &p)?,
            _ => {
                for (i, s) in list(value, &p)?.iter().enumerate() {
                    let sp = format!("{p}[{i}]");
                    let mut sample = ExpSample {
                        pos: s.pos,
                        labels: String::new(),
                        value: 0.0,
                    };
                    for (k, v) in fields(s, &sp, EXP_SAMPLE)? {
                        let vp = format!("{sp}.{k}");
                        if k == "labels" {
                            sample.labels = string(v, &vp)?;
                        } else {
                            sample.value = float(v, &vp)?;
                        }
                    }
                    t.exp_samples.push(sample);
                }
            }
        }
    }
    Ok(t)
}

/// True when any mapping key at any depth (bounded) is one of `keys`.
fn mentions(node: &Node, keys: &[&str], depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    match &node.kind {
        NodeKind::Map(pairs) => pairs.iter().any(|(k, v)| {
            k.as_scalar().is_some_and(|k| keys.contains(&k)) || mentions(v, keys, depth + 1)
        }),
        NodeKind::Seq(items) => items.iter().any(|n| mentions(n, keys, depth + 1)),
        NodeKind::Scalar { .. } => false,
    }
}

fn err(node: &Node, path: &str, message: &str) -> ModelError {
    ModelError {
        pos: node.pos,
        path: path.to_string(),
        message: message.to_string(),
    }
}

/// The pairs of a mapping, each key checked against `allowed` and given once. A null node is an empty mapping.
fn fields<'n>(
    node: &'n Node,
    path: &str,
    allowed: &[&'static str],
) -> Result<Vec<(&'static str, &'n Node)>, ModelError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    let NodeKind::Map(pairs) = &node.kind else {
        return Err(err(
            node,
            path,
            &format!("expected a mapping, got {}", node.kind_name()),
        ));
    };
    let mut out: Vec<(&'static str, &Node)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let Some(key) = k.as_scalar() else {
            return Err(err(k, path, "mapping keys must be strings"));
        };
        let Some(known) = allowed.iter().find(|a| **a == key) else {
            let at = if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            return Err(err(
                k,
                &at,
                &format!("unknown field (allowed: {})", allowed.join(", ")),
            ));
        };
        if out.iter().any(|(seen, _)| seen == known) {
            return Err(err(k, &format!("{path}.{key}"), "field given twice"));
        }
        out.push((known, v));
    }
    Ok(out)
}

fn list<'n>(node: &'n Node, path: &str) -> Result<&'n [Node], ModelError> {
    match &node.kind {
        NodeKind::Seq(items) => Ok(items),
        _ if node.is_null() => Ok(&[]),
        _ => Err(err(
            node,
            path,
            &format!("expected a list, got {}", node.kind_name()),
        )),
    }
}

fn string(node: &Node, path: &str) -> Result<String, ModelError> {
    if node.is_null() {
        return Ok(String::new());
    }
    node.as_scalar().map(str::to_string).ok_or_else(|| {
        err(
            node,
            path,
            &format!("expected a string, got {}", node.kind_name()),
        )
    })
}

fn strings(node: &Node, path: &str) -> Result<Vec<String>, ModelError> {
    list(node, path)?
        .iter()
        .enumerate()
        .map(|(i, n)| string(n, &format!("{path}[{i}]")))
        .collect()
}

fn string_map(node: &Node, path: &str) -> Result<Labels, ModelError> {
    if node.is_null() {
        return Ok(Labels::new());
    }
    let NodeKind::Map(pairs) = &node.kind else {
        return Err(err(
            node,
            path,
            &format!("expected a mapping, got {}", node.kind_name()),
        ));
    };
    let mut out = Labels::new();
    for (k, v) in pairs {
        let key = string(k, path)?;
        out.insert(key.clone(), string(v, &format!("{path}.{key}"))?);
    }
    Ok(out)
}

fn duration(node: &Node, path: &str) -> Result<Duration, ModelError> {
    let text = string(node, path)?;
    Duration::parse(&text, DurationSyntax::Prometheus)
        .map_err(|e| err(node, path, &format!("invalid duration {text:?}: {e}")))
}

fn boolean(node: &Node, path: &str) -> Result<bool, ModelError> {
    match string(node, path)?.as_str() {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" | "" => Ok(false),
        other => Err(err(
            node,
            path,
            &format!("expected a boolean, got {other:?}"),
        )),
    }
}

/// A YAML float as Go's yaml.v2 reads one: decimal, exponent, `.inf`, `-.inf`, `.nan`.
fn float(node: &Node, path: &str) -> Result<f64, ModelError> {
    let text = string(node, path)?;
    let parsed = match text.to_ascii_lowercase().as_str() {
        ".inf" | "+.inf" => Ok(f64::INFINITY),
        "-.inf" => Ok(f64::NEG_INFINITY),
        ".nan" => Ok(f64::NAN),
        t if t.contains("inf") || t.contains("nan") => Err(()),
        t => t.parse::<f64>().map_err(|_| ()),
    };
    parsed.map_err(|()| err(node, path, &format!("cannot read {text:?} as a float")))
}

/// `start_timestamp`: Unix seconds (fractions allowed) or RFC 3339.
fn timestamp(node: &Node, path: &str) -> Result<i64, ModelError> {
    let text = string(node, path)?;
    if let Ok(secs) = text.parse::<f64>() {
        return Ok((secs * 1000.0).round() as i64);
    }
    chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| t.timestamp_millis())
        .map_err(|e| err(node, path, &format!("invalid timestamp {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_promtool_file() {
        let f = parse(
            "rule_files: [a.yml]\nevaluation_interval: 30s\ntests:\n- name: t\n  interval: 15s\n  input_series:\n  - series: up\n    values: 1x3\n  alert_rule_test:\n  - eval_time: 1m\n    alertname: A\n    exp_alerts:\n    - exp_labels: {a: b}\n  promql_expr_test:\n  - expr: up\n    eval_time: 0\n    exp_samples:\n    - labels: up\n      value: .inf\n",
        );
        let f = f.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(f.format, Format::Promtool);
        assert_eq!(f.evaluation_interval, Duration::from_secs(30));
        let g = &f.tests[0];
        assert_eq!(g.interval, Duration::from_secs(15));
        assert_eq!(g.alert_rule_test[0].exp_alerts[0].exp_labels["a"], "b");
        assert_eq!(g.expr_test[0].exp_samples[0].value, f64::INFINITY);
    }

    #[test]
    fn unknown_keys_are_rejected_with_position_and_path() {
        let e = parse("tests:\n- input_series:\n  - series: up\n    valeus: 1\n").err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.starts_with("4:5: tests[0].input_series[0].valeus: unknown field"),
            "{e}"
        );
    }

    #[test]
    fn vmalert_tool_format_is_detected() {
        let f = parse("tests:\n- metricsql_expr_test:\n  - expr: up\n    eval_time: 1m\n").ok();
        assert_eq!(f.as_ref().map(|f| f.format), Some(Format::VmalertTool));
        assert_eq!(f.map(|f| f.tests[0].start_ms), Some(VMALERT_TOOL_T0_MS));
        // promtool-only keys are rejected in a vmalert-tool file.
        assert!(parse("tests:\n- external_url: x\n  metricsql_expr_test: []\n").is_err());
    }

    #[test]
    fn shape_errors() {
        assert!(parse("tests: 3\n").is_err());
        assert!(parse("evaluation_interval: 5x\n").is_err());
        assert!(parse("group_eval_order: [a, a]\n").is_err());
        assert!(
            parse("tests:\n- promql_expr_test:\n  - exp_samples:\n    - value: Inf\n").is_err()
        );
    }
}
