//! What the user wrote: groups and rules read from the YAML tree field by field, each value with its position.
//!
//! This layer checks shape only (known keys, scalars where scalars belong, lists where lists belong) and reports
//! every problem it finds; meaning (durations, names, expressions) is checked in `validate`. Pure.

use super::diagnostic::Report;
use super::names::closest;
use super::yaml::{Node, NodeKind, Pos};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    pub pos: Pos,
}

/// Ordered `key: value` pairs of strings, as written.
pub type StringMap = Vec<(Sp<String>, Sp<String>)>;

/// Keys allowed at the top of a rule file.
pub const FILE_FIELDS: &[&str] = &["groups"];

/// Keys allowed in a group: Prometheus's, vmalert's, and tocsin's `cron` and `cron_timezone`.
pub const GROUP_FIELDS: &[&str] = &[
    "name",
    "interval",
    "cron",
    "cron_timezone",
    "query_offset",
    "eval_offset",
    "eval_delay",
    "eval_alignment",
    "limit",
    "concurrency",
    "type",
    "params",
    "headers",
    "notifier_headers",
    "labels",
    "debug",
    "tenant",
    "partial_response_strategy",
    "rules",
];

/// Keys allowed in a rule.
pub const RULE_FIELDS: &[&str] = &[
    "record",
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
    "debug",
    "update_entries_limit",
];

/// One group as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawGroup {
    /// Index in the file (over all YAML documents), for field paths.
    pub index: usize,
    pub pos: Pos,
    /// Fields whose value had the wrong shape (already reported): validation does not report them again.
    pub bad_fields: Vec<&'static str>,
    pub name: Option<Sp<String>>,
    pub interval: Option<Sp<String>>,
    pub cron: Option<Sp<String>>,
    pub cron_timezone: Option<Sp<String>>,
    pub query_offset: Option<Sp<String>>,
    pub eval_offset: Option<Sp<String>>,
    pub eval_delay: Option<Sp<String>>,
    pub eval_alignment: Option<Sp<bool>>,
    pub limit: Option<Sp<i64>>,
    pub concurrency: Option<Sp<i64>>,
    pub datasource_type: Option<Sp<String>>,
    pub params: Vec<(Sp<String>, Vec<Sp<String>>)>,
    pub headers: Vec<Sp<String>>,
    pub notifier_headers: Vec<Sp<String>>,
    pub labels: StringMap,
    pub debug: Option<Sp<bool>>,
    pub tenant: Option<Sp<String>>,
    pub partial_response_strategy: Option<Sp<String>>,
    pub rules: Vec<RawRule>,
}

impl RawGroup {
    pub fn path(&self) -> String {
        format!("groups[{}]", self.index)
    }
}

/// One rule as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawRule {
    pub index: usize,
    pub pos: Pos,
    /// Fields whose value had the wrong shape (already reported), or `"rule"` when the rule itself was not a
    /// mapping: validation does not report them again.
    pub bad_fields: Vec<&'static str>,
    pub record: Option<Sp<String>>,
    pub alert: Option<Sp<String>>,
    pub expr: Option<Sp<String>>,
    pub for_: Option<Sp<String>>,
    pub keep_firing_for: Option<Sp<String>>,
    pub labels: StringMap,
    pub annotations: StringMap,
    pub debug: Option<Sp<bool>>,
    pub update_entries_limit: Option<Sp<i64>>,
}

impl RawRule {
    /// The rule's name as written (`alert` or `record`), empty when neither is set.
    pub fn name(&self) -> &str {
        self.alert
            .as_ref()
            .or(self.record.as_ref())
            .map(|s| s.value.as_str())
            .unwrap_or("")
    }
}

/// The keys a source accepts in a group and in a rule. Rule files accept [`GROUP_FIELDS`] and [`RULE_FIELDS`];
/// Kubernetes objects accept the fields of their CRD (see `crate::kube::convert`).
#[derive(Debug, Clone, Copy)]
pub struct FieldSet {
    pub group: &'static [&'static str],
    pub rule: &'static [&'static str],
}

/// The fields of a rule file.
pub const FILE_FIELD_SET: FieldSet = FieldSet {
    group: GROUP_FIELDS,
    rule: RULE_FIELDS,
};

/// Reads the groups of every document of a rule file. Problems go to `report`; what could be read is returned.
pub fn read_groups(documents: &[Node], report: &mut Report) -> Vec<RawGroup> {
    read_groups_with(documents, FILE_FIELD_SET, report)
}

/// [`read_groups`] accepting the keys of `fields` in groups and rules.
pub fn read_groups_with(documents: &[Node], known: FieldSet, report: &mut Report) -> Vec<RawGroup> {
    let mut groups = Vec::new();
    for doc in documents {
        if doc.is_null() {
            continue;
        }
        report.group = None;
        report.rule = None;
        for (key, value) in fields(doc, "", "rule file", FILE_FIELDS, report) {
            if key == "groups" {
                for item in list(value, "groups", report) {
                    let index = groups.len();
                    groups.push(read_group(item, index, known, report));
                }
            }
        }
    }
    groups
}

fn read_group(node: &Node, index: usize, known: FieldSet, report: &mut Report) -> RawGroup {
    let mut g = RawGroup {
        index,
        pos: node.pos,
        ..RawGroup::default()
    };
    let path = g.path();
    // The name first, so that every later message can say which group it is about.
    if let NodeKind::Map(entries) = &node.kind
        && let Some((_, v)) = entries.iter().find(|(k, _)| k.as_scalar() == Some("name"))
    {
        g.name = string(v, &format!("{path}.name"), report);
        if g.name.is_none() {
            g.bad_fields.push("name");
        }
        report.group = g.name.as_ref().map(|n| n.value.clone());
    } else {
        report.group = None;
    }
    report.rule = None;
    for (key, value) in fields(node, &path, "group", known.group, report) {
        let p = format!("{path}.{key}");
        match key {
            "name" => {}
            "interval" => g.interval = duration_text(value, &p, report),
            "cron" => g.cron = string(value, &p, report),
            "cron_timezone" => g.cron_timezone = string(value, &p, report),
            "query_offset" => g.query_offset = duration_text(value, &p, report),
            "eval_offset" => g.eval_offset = duration_text(value, &p, report),
            "eval_delay" => g.eval_delay = duration_text(value, &p, report),
            "eval_alignment" => g.eval_alignment = boolean(value, &p, report),
            "limit" => g.limit = integer(value, &p, report),
            "concurrency" => g.concurrency = integer(value, &p, report),
            "type" => g.datasource_type = string(value, &p, report),
            "params" => g.params = params(value, &p, report),
            "headers" => g.headers = strings(value, &p, report),
            "notifier_headers" => g.notifier_headers = strings(value, &p, report),
            "labels" => g.labels = string_map(value, &p, report),
            "debug" => g.debug = boolean(value, &p, report),
            "tenant" => g.tenant = string(value, &p, report),
            "partial_response_strategy" => g.partial_response_strategy = string(value, &p, report),
            "rules" => {
                for (i, item) in list(value, &p, report).into_iter().enumerate() {
                    g.rules.push(read_rule(item, i, &p, known.rule, report));
                }
                report.rule = None;
            }
            _ => {}
        }
    }
    g
}

fn read_rule(
    node: &Node,
    index: usize,
    group_path: &str,
    known: &'static [&'static str],
    report: &mut Report,
) -> RawRule {
    let mut r = RawRule {
        index,
        pos: node.pos,
        ..RawRule::default()
    };
    let path = format!("{group_path}[{index}]");
    // Name first, so that messages about the other fields can say which rule they are about.
    if let NodeKind::Map(entries) = &node.kind {
        for (k, v) in entries {
            match k.as_scalar() {
                Some("alert") => {
                    r.alert = string(v, &format!("{path}.alert"), report);
                    if r.alert.is_none() {
                        r.bad_fields.push("alert");
                    }
                }
                Some("record") => {
                    r.record = string(v, &format!("{path}.record"), report);
                    if r.record.is_none() {
                        r.bad_fields.push("record");
                    }
                }
                _ => {}
            }
        }
    } else {
        r.bad_fields.push("rule");
    }
    report.rule = Some(r.name().to_string());
    for (key, value) in fields(node, &path, "rule", known, report) {
        let p = format!("{path}.{key}");
        match key {
            "expr" => {
                r.expr = string(value, &p, report);
                if r.expr.is_none() {
                    r.bad_fields.push("expr");
                }
            }
            "for" => r.for_ = duration_text(value, &p, report),
            "keep_firing_for" => r.keep_firing_for = duration_text(value, &p, report),
            "labels" => r.labels = string_map(value, &p, report),
            "annotations" => r.annotations = string_map(value, &p, report),
            "debug" => r.debug = boolean(value, &p, report),
            "update_entries_limit" => r.update_entries_limit = integer(value, &p, report),
            _ => {}
        }
    }
    r
}

/// The entries of a mapping whose keys are known; unknown keys and non-mappings are reported.
pub(crate) fn fields<'n>(
    node: &'n Node,
    path: &str,
    what: &str,
    known: &'static [&'static str],
    report: &mut Report,
) -> Vec<(&'static str, &'n Node)> {
    let NodeKind::Map(entries) = &node.kind else {
        if !node.is_null() {
            report.error(
                node.pos,
                path,
                format!("expected {what} as a mapping, got {}", node.kind_name()),
            );
        }
        return Vec::new();
    };
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let name = k.as_scalar().unwrap_or("");
        match known.iter().find(|f| **f == name) {
            Some(f) => out.push((*f, v)),
            None => {
                let field_path = if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                };
                let hint = match closest(name, known) {
                    Some(c) => format!("; did you mean {c:?}?"),
                    None => format!("; known fields: {}", known.join(", ")),
                };
                report.error(
                    k.pos,
                    &field_path,
                    format!("unknown field {name:?} in {what}{hint}"),
                );
            }
        }
    }
    out
}

/// The items of a list; a null is an empty list; anything else is reported.
pub(crate) fn list<'n>(node: &'n Node, path: &str, report: &mut Report) -> Vec<&'n Node> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        _ if node.is_null() => Vec::new(),
        _ => {
            report.error(
                node.pos,
                path,
                format!("expected a list, got {}", node.kind_name()),
            );
            Vec::new()
        }
    }
}

/// A scalar as a string, as Go's YAML decoders allow for string fields (`expr: 1` is "1"); null is "".
pub(crate) fn string(node: &Node, path: &str, report: &mut Report) -> Option<Sp<String>> {
    match &node.kind {
        _ if node.is_null() => Some(Sp {
            value: String::new(),
            pos: node.pos,
        }),
        NodeKind::Scalar { value, .. } => Some(Sp {
            value: value.clone(),
            pos: node.pos,
        }),
        _ => {
            report.error(
                node.pos,
                path,
                format!("expected a string, got {}", node.kind_name()),
            );
            None
        }
    }
}

/// An integer as Go's YAML decoders read one into an int field: decimal with an optional sign, `0x`/`0o`/`0b`
/// prefixes, and a float with its fraction dropped.
fn parse_yaml_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let body = body.replace('_', "");
    let magnitude = if let Some(hex) = body.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = body.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()
    } else if let Some(bin) = body.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()
    } else if let Ok(v) = body.parse::<i64>() {
        Some(v)
    } else {
        body.parse::<f64>()
            .ok()
            .filter(|f| {
                f.is_finite() && f.abs() < 9.2e18 && !body.contains(['e', 'E', 'i', 'n', 'N'])
            })
            .map(|f| f.trunc() as i64)
    };
    magnitude.map(|m| if negative { -m } else { m })
}

/// A duration's text; null means the field is absent (Go's decoders leave the zero duration), while an empty
/// quoted string is kept so that validation rejects it as promtool does.
pub(crate) fn duration_text(node: &Node, path: &str, report: &mut Report) -> Option<Sp<String>> {
    if node.is_null() {
        return None;
    }
    string(node, path, report)
}

/// True for a quoted scalar: Go's decoders refuse a quoted string where a number or boolean belongs.
fn is_quoted(node: &Node) -> bool {
    matches!(node.kind, NodeKind::Scalar { quoted: true, .. })
}

pub(crate) fn boolean(node: &Node, path: &str, report: &mut Report) -> Option<Sp<bool>> {
    if is_quoted(node) {
        report.error(
            node.pos,
            path,
            format!(
                "expected true or false, got the string {:?}",
                node.as_scalar().unwrap_or("")
            ),
        );
        return None;
    }
    let value = match node.as_scalar() {
        Some("true" | "True" | "TRUE") => true,
        Some("false" | "False" | "FALSE") => false,
        _ if node.is_null() => return None,
        _ => {
            let got = node
                .as_scalar()
                .map(|s| format!("{s:?}"))
                .unwrap_or_else(|| node.kind_name().to_string());
            report.error(node.pos, path, format!("expected true or false, got {got}"));
            return None;
        }
    };
    Some(Sp {
        value,
        pos: node.pos,
    })
}

pub(crate) fn integer(node: &Node, path: &str, report: &mut Report) -> Option<Sp<i64>> {
    if node.is_null() {
        return None;
    }
    if is_quoted(node) {
        report.error(
            node.pos,
            path,
            format!(
                "expected an integer, got the string {:?}",
                node.as_scalar().unwrap_or("")
            ),
        );
        return None;
    }
    match node.as_scalar().and_then(parse_yaml_int) {
        Some(value) => Some(Sp {
            value,
            pos: node.pos,
        }),
        _ => {
            let got = node
                .as_scalar()
                .map(|s| format!("{s:?}"))
                .unwrap_or_else(|| node.kind_name().to_string());
            report.error(node.pos, path, format!("expected an integer, got {got}"));
            None
        }
    }
}

pub(crate) fn strings(node: &Node, path: &str, report: &mut Report) -> Vec<Sp<String>> {
    list(node, path, report)
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| string(item, &format!("{path}[{i}]"), report))
        .collect()
}

/// The entries of a mapping whose keys are names (`labels`, `annotations`, `params`); a null is empty, another
/// shape is reported as not being "a mapping of names to {values}", and a non-scalar key is reported and skipped.
fn named_entries<'n>(
    node: &'n Node,
    path: &str,
    values: &str,
    report: &mut Report,
) -> Vec<(Sp<String>, &'n Node)> {
    let NodeKind::Map(entries) = &node.kind else {
        if !node.is_null() {
            report.error(
                node.pos,
                path,
                format!(
                    "expected a mapping of names to {values}, got {}",
                    node.kind_name()
                ),
            );
        }
        return Vec::new();
    };
    let mut out = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match k.as_scalar() {
            Some(key) => out.push((
                Sp {
                    value: key.to_string(),
                    pos: k.pos,
                },
                v,
            )),
            None => report.error(
                k.pos,
                path,
                format!("expected a name as key, got {}", k.kind_name()),
            ),
        }
    }
    out
}

fn string_map(node: &Node, path: &str, report: &mut Report) -> StringMap {
    named_entries(node, path, "strings", report)
        .into_iter()
        .filter_map(|(key, v)| {
            let value = string(v, &format!("{path}.{}", key.value), report)?;
            Some((key, value))
        })
        .collect()
}

/// vmalert's `params`: a mapping of names to lists of values, as in a URL query.
fn params(node: &Node, path: &str, report: &mut Report) -> Vec<(Sp<String>, Vec<Sp<String>>)> {
    let mut out = Vec::new();
    for (key, v) in named_entries(node, path, "lists", report) {
        let p = format!("{path}.{}", key.value);
        if let NodeKind::Scalar { .. } = v.kind
            && !v.is_null()
        {
            report.error(
                v.pos,
                &p,
                format!(
                    "expected a list of values, got a scalar (write [{:?}])",
                    v.as_scalar().unwrap_or("")
                ),
            );
            continue;
        }
        out.push((key, strings(v, &p, report)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::yaml::parse_documents;
    use super::*;

    fn read(text: &str) -> (Vec<RawGroup>, Report) {
        let docs = parse_documents(text).expect("yaml");
        let mut report = Report::new("f.yml");
        let groups = read_groups(&docs, &mut report);
        (groups, report)
    }

    #[test]
    fn reads_every_field_with_positions() {
        let text = r#"groups:
  - name: g
    interval: 1m
    eval_offset: 10s
    concurrency: 2
    params: {nocache: ["1"]}
    headers: ["X-A: b"]
    labels: {team: infra}
    rules:
      - alert: A
        expr: up == 0
        for: 5m
        labels: {severity: page}
        annotations: {summary: "x"}
        debug: true
        update_entries_limit: 5
"#;
        let (groups, report) = read(text);
        assert!(report.items.is_empty(), "{:?}", report.items);
        let g = &groups[0];
        assert_eq!(g.name.as_ref().map(|s| s.value.as_str()), Some("g"));
        assert_eq!(g.concurrency.as_ref().map(|s| s.value), Some(2));
        assert_eq!(g.params[0].1[0].value, "1");
        let r = &g.rules[0];
        assert_eq!(r.name(), "A");
        assert_eq!(
            r.for_.as_ref().map(|s| s.pos),
            Some(Pos { line: 12, col: 14 })
        );
        assert_eq!(r.debug.as_ref().map(|s| s.value), Some(true));
        assert_eq!(r.update_entries_limit.as_ref().map(|s| s.value), Some(5));
    }

    #[test]
    fn reports_every_shape_problem() {
        let text = r#"groups:
  - name: g
    intervall: 1m
    concurrency: many
    rules:
      - alert: A
        expr: [up]
        lables: {}
extra: 1
"#;
        let (_, report) = read(text);
        let got: Vec<String> = report.items.iter().map(|d| d.to_string()).collect();
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(got.iter().any(|m| m.contains("f.yml:3:5: groups[0].intervall (group \"g\"): unknown field \"intervall\" in group; did you mean \"interval\"?")), "{got:#?}");
        assert!(got.iter().any(|m| m.contains("groups[0].concurrency")
            && m.contains("expected an integer, got \"many\"")));
        assert!(got.iter().any(|m| {
            m.contains("groups[0].rules[0].expr (group \"g\", rule \"A\"): expected a string")
        }));
        assert!(got.iter().any(|m| m.contains("did you mean \"labels\"")));
        assert!(
            got.iter()
                .any(|m| m.contains("f.yml:9:1: extra: unknown field \"extra\" in rule file"))
        );
    }

    #[test]
    fn quoted_numbers_and_booleans_are_strings() {
        let (_, report) =
            read("groups:\n- name: g\n  limit: \"5\"\n  debug: 'true'\n  rules: []\n");
        let got: Vec<String> = report.items.iter().map(|d| d.message.clone()).collect();
        assert_eq!(
            got,
            vec![
                "expected an integer, got the string \"5\"",
                "expected true or false, got the string \"true\""
            ]
        );
    }

    #[test]
    fn null_durations_are_absent_but_empty_strings_are_kept() {
        let (groups, report) = read(
            "groups:\n- name: g\n  interval:\n  rules:\n  - alert: A\n    expr: up\n    for: ''\n",
        );
        assert!(report.items.is_empty());
        assert_eq!(groups[0].interval, None);
        assert_eq!(
            groups[0].rules[0].for_.as_ref().map(|s| s.value.as_str()),
            Some("")
        );
    }

    #[test]
    fn groups_from_all_documents() {
        let (groups, report) = read("groups:\n- name: a\n---\ngroups:\n- name: b\n");
        assert!(report.items.is_empty());
        assert_eq!(
            groups.iter().map(|g| g.index).collect::<Vec<_>>(),
            vec![0, 1]
        );
    }
}
