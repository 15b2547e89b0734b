//! Meaning checks on what the user wrote, turning raw groups into compiled [`Group`]s.
//!
//! Runs every check promtool's `check rules` makes and every check vmalert makes, plus tocsin's own (unknown keys
//! are caught earlier, in `raw`; `cron` must parse). Every finding goes to the report with its position and field
//! path; nothing stops at the first problem. Pure.

use super::diagnostic::{Report, Severity};
use super::duration::{Duration, DurationSyntax};
use super::identity::{group_id, rule_id};
use super::model::{DatasourceType, Group, Rule, RuleKind, Schedule};
use super::names::{is_valid_label_name, is_valid_metric_name};
use super::raw::{RawGroup, RawRule, Sp, StringMap};
use super::{Dialect, LoadOptions};
use std::collections::{BTreeMap, HashMap};

/// Validates the raw groups of one file and compiles those without errors. Groups with errors are left out.
pub fn compile_groups(
    file: &str,
    raw: &[RawGroup],
    opts: &LoadOptions,
    report: &mut Report,
) -> Vec<Group> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut groups = Vec::with_capacity(raw.len());
    for g in raw {
        report.group = g.name.as_ref().map(|n| n.value.clone());
        report.rule = None;
        let errors_before = count_errors(report);
        if let Some(name) = &g.name
            && !name.value.is_empty()
        {
            if let Some(first_line) = seen.get(name.value.as_str()) {
                report.error(
                    name.pos,
                    &format!("{}.name", g.path()),
                    format!(
                        "group name {:?} is repeated in the same file (first at line {first_line})",
                        name.value
                    ),
                );
            } else {
                seen.insert(&name.value, name.pos.line);
            }
        }
        let group = compile_group(file, g, opts, report);
        if count_errors(report) == errors_before
            && let Some(group) = group
        {
            groups.push(group);
        }
    }
    report.group = None;
    report.rule = None;
    groups
}

fn count_errors(report: &Report) -> usize {
    report
        .items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// A promtool-only finding: an error when checking as promtool does, a warning when loading as vmalert does.
fn promtool_only(
    report: &mut Report,
    opts: &LoadOptions,
    pos: super::yaml::Pos,
    path: &str,
    message: String,
) {
    match opts.dialect {
        Dialect::Prometheus => report.error(pos, path, message),
        Dialect::Vmalert => report.warn(
            pos,
            path,
            format!("{message} (accepted as vmalert accepts it)"),
        ),
    }
}

fn duration(
    field: &Option<Sp<String>>,
    syntax: DurationSyntax,
    path: &str,
    allow_negative: bool,
    report: &mut Report,
) -> Option<Duration> {
    let sp = field.as_ref()?;
    match Duration::parse(&sp.value, syntax) {
        Ok(d) if d.is_negative() && !allow_negative => {
            report.error(
                sp.pos,
                path,
                format!("duration {:?} must not be negative", sp.value),
            );
            None
        }
        Ok(d) => Some(d),
        Err(message) => {
            report.error(sp.pos, path, message);
            None
        }
    }
}

fn compile_group(
    file: &str,
    g: &RawGroup,
    opts: &LoadOptions,
    report: &mut Report,
) -> Option<Group> {
    let path = g.path();
    // Prometheus's fields use Prometheus's grammar when checking as promtool; vmalert's fields always use vmalert's.
    let prom_syntax = match opts.dialect {
        Dialect::Prometheus => DurationSyntax::Prometheus,
        Dialect::Vmalert => DurationSyntax::MetricsQl,
    };
    let name = match &g.name {
        Some(n) if !n.value.is_empty() => n.value.clone(),
        Some(n) => {
            report.error(
                n.pos,
                &format!("{path}.name"),
                "group name must not be empty",
            );
            String::new()
        }
        None => {
            if !g.bad_fields.contains(&"name") {
                report.error(g.pos, &format!("{path}.name"), "group name must be set");
            }
            String::new()
        }
    };

    let interval = duration(
        &g.interval,
        prom_syntax,
        &format!("{path}.interval"),
        false,
        report,
    );
    let schedule = schedule(g, interval, opts, report);
    let interval = interval
        .filter(|d| *d != Duration::ZERO)
        .unwrap_or(opts.default_interval);
    let query_offset = duration(
        &g.query_offset,
        prom_syntax,
        &format!("{path}.query_offset"),
        false,
        report,
    );
    let eval_offset = duration(
        &g.eval_offset,
        DurationSyntax::MetricsQl,
        &format!("{path}.eval_offset"),
        true,
        report,
    );
    let eval_delay = duration(
        &g.eval_delay,
        DurationSyntax::MetricsQl,
        &format!("{path}.eval_delay"),
        false,
        report,
    );
    if let (Some(offset), Some(sp)) = (eval_offset, &g.eval_offset) {
        if offset.abs() > interval {
            report.error(
                sp.pos,
                &format!("{path}.eval_offset"),
                format!(
                    "eval_offset {} must be smaller than the group interval {}",
                    sp.value, interval
                ),
            );
        }
        if g.eval_delay.is_some() {
            report.error(
                sp.pos,
                &format!("{path}.eval_offset"),
                "eval_offset cannot be combined with eval_delay",
            );
        }
        if g.cron.is_some() {
            report.error(
                sp.pos,
                &format!("{path}.eval_offset"),
                "eval_offset cannot be combined with cron",
            );
        }
    }
    if let (Some(_), Some(sp)) = (&g.query_offset, &g.eval_delay) {
        report.error(
            sp.pos,
            &format!("{path}.eval_delay"),
            "eval_delay cannot be combined with query_offset: both delay the query time; set one",
        );
    }
    let limit = non_negative(&g.limit, &format!("{path}.limit"), report).unwrap_or(0);
    let concurrency = non_negative(&g.concurrency, &format!("{path}.concurrency"), report)
        .unwrap_or(1)
        .max(1);
    let datasource_type = match &g.datasource_type {
        None => DatasourceType::Prometheus,
        Some(t) => {
            match t.value.as_str() {
                "" | "prometheus" => DatasourceType::Prometheus,
                "graphite" | "vlogs" => {
                    report.error(
                    t.pos,
                    &format!("{path}.type"),
                    format!("datasource type {:?} is not supported by tocsin; only \"prometheus\" is", t.value),
                );
                    DatasourceType::Prometheus
                }
                other => {
                    report.error(
                    t.pos,
                    &format!("{path}.type"),
                    format!("unknown datasource type {other:?}; want \"prometheus\", \"graphite\" or \"vlogs\""),
                );
                    DatasourceType::Prometheus
                }
            }
        }
    };
    let mut params = Vec::new();
    for (key, values) in &g.params {
        if key.value.is_empty() {
            report.error(
                key.pos,
                &format!("{path}.params"),
                "parameter name must not be empty",
            );
        }
        params.extend(values.iter().map(|v| (key.value.clone(), v.value.clone())));
    }
    let headers = header_list(&g.headers, &format!("{path}.headers"), report);
    let notifier_headers = header_list(
        &g.notifier_headers,
        &format!("{path}.notifier_headers"),
        report,
    );
    let labels = label_map(&g.labels, &format!("{path}.labels"), opts, report);
    if let Some(t) = &g.tenant {
        report.error(
            t.pos,
            &format!("{path}.tenant"),
            "tenant is a vmalert enterprise field that tocsin does not support; put the tenant in -datasource.url",
        );
    }
    if let Some(p) = &g.partial_response_strategy {
        if p.value.eq_ignore_ascii_case("abort")
            || p.value.eq_ignore_ascii_case("warn")
            || p.value.is_empty()
        {
            report.warn(
                p.pos,
                &format!("{path}.partial_response_strategy"),
                "partial_response_strategy is a Thanos field and is ignored",
            );
        } else {
            report.error(
                p.pos,
                &format!("{path}.partial_response_strategy"),
                format!(
                    "invalid partial_response_strategy {:?}; want \"abort\" or \"warn\"",
                    p.value
                ),
            );
        }
    }
    let group_debug = g.debug.as_ref().is_some_and(|d| d.value);

    let mut rules = Vec::with_capacity(g.rules.len());
    let mut ids: HashMap<u64, (String, usize)> = HashMap::new();
    for raw in &g.rules {
        report.rule = Some(raw.name().to_string());
        if let Some(rule) = compile_rule(raw, &path, group_debug, opts, report) {
            let rule_path = format!("{path}.rules[{}]", raw.index);
            if let Some((other, line)) = ids.get(&rule.id) {
                report.error(
                    raw.pos,
                    &rule_path,
                    format!(
                        "rule {:?} duplicates rule {other:?} at line {line}: same name, expression and labels",
                        rule.name()
                    ),
                );
            } else {
                ids.insert(rule.id, (rule.name().to_string(), raw.pos.line));
            }
            rules.push(rule);
        }
    }
    report.rule = None;

    let id = group_id(file, &name, datasource_type.as_str(), interval, eval_offset);
    Some(Group {
        id,
        file: file.to_string(),
        name,
        pos: g.pos,
        schedule: schedule?,
        interval,
        query_offset,
        eval_offset,
        eval_delay,
        eval_alignment: g.eval_alignment.as_ref().map(|a| a.value),
        limit,
        concurrency,
        datasource_type,
        params,
        headers,
        notifier_headers,
        labels,
        query_matchers: Vec::new(),
        debug: group_debug,
        rules,
    })
}

fn schedule(
    g: &RawGroup,
    interval: Option<Duration>,
    opts: &LoadOptions,
    report: &mut Report,
) -> Option<Schedule> {
    let path = g.path();
    let Some(cron) = &g.cron else {
        if let Some(tz) = &g.cron_timezone {
            report.error(
                tz.pos,
                &format!("{path}.cron_timezone"),
                "cron_timezone needs cron to be set",
            );
        }
        return Some(Schedule::Interval(
            interval
                .filter(|d| *d != Duration::ZERO)
                .unwrap_or(opts.default_interval),
        ));
    };
    let mut ok = true;
    if let Some(i) = &g.interval {
        report.error(
            i.pos,
            &format!("{path}.interval"),
            "interval and cron are mutually exclusive; set one",
        );
        ok = false;
    }
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build();
    if let Err(e) = parser.parse(&cron.value) {
        report.error(
            cron.pos,
            &format!("{path}.cron"),
            format!("invalid cron expression {:?}: {e} (want 5 fields: minute hour day-of-month month day-of-week)", cron.value),
        );
        ok = false;
    }
    let timezone = g.cron_timezone.as_ref().map(|tz| tz.value.clone());
    if let Some(tz) = &g.cron_timezone
        && let Err(why) = super::timezone::load(&tz.value)
    {
        report.error(
            tz.pos,
            &format!("{path}.cron_timezone"),
            format!(
                "unknown time zone {:?}; want an IANA name such as \"Europe/Berlin\" or \"UTC\" ({why})",
                tz.value
            ),
        );
        ok = false;
    }
    ok.then(|| Schedule::Cron {
        expr: cron.value.clone(),
        timezone,
    })
}

fn non_negative(field: &Option<Sp<i64>>, path: &str, report: &mut Report) -> Option<usize> {
    let sp = field.as_ref()?;
    match usize::try_from(sp.value) {
        Ok(v) => Some(v),
        Err(_) => {
            report.error(
                sp.pos,
                path,
                format!("must not be negative, got {}", sp.value),
            );
            None
        }
    }
}

/// `"Name: value"` headers; a missing `:` or an empty name is an error.
fn header_list(headers: &[Sp<String>], path: &str, report: &mut Report) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let p = format!("{path}[{i}]");
        match h.value.split_once(':') {
            Some((name, value)) if is_header_name(name.trim()) => {
                out.push((name.trim().to_string(), value.trim().to_string()));
            }
            Some(_) => report.error(h.pos, &p, format!("invalid header name in {:?}", h.value)),
            None => report.error(
                h.pos,
                &p,
                format!("header {:?} must be written as \"Name: value\"", h.value),
            ),
        }
    }
    out
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn label_map(
    labels: &StringMap,
    path: &str,
    opts: &LoadOptions,
    report: &mut Report,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in labels {
        let p = format!("{path}.{}", k.value);
        if k.value == "__name__" {
            report.error(
                k.pos,
                &p,
                "label name \"__name__\" is not allowed in rule labels",
            );
        } else if !is_valid_label_name(&k.value) {
            promtool_only(
                report,
                opts,
                k.pos,
                &p,
                format!("invalid label name: {}", k.value),
            );
        }
        out.insert(k.value.clone(), v.value.clone());
    }
    out
}

fn compile_rule(
    r: &RawRule,
    group_path: &str,
    group_debug: bool,
    opts: &LoadOptions,
    report: &mut Report,
) -> Option<Rule> {
    let path = format!("{group_path}.rules[{}]", r.index);
    if r.bad_fields.contains(&"rule") {
        // Not a mapping: already reported, and nothing else can be said about it.
        return None;
    }
    let errors_before = count_errors(report);
    let prom_syntax = match opts.dialect {
        Dialect::Prometheus => DurationSyntax::Prometheus,
        Dialect::Vmalert => DurationSyntax::MetricsQl,
    };
    let record = r.record.as_ref().filter(|s| !s.value.is_empty());
    let alert = r.alert.as_ref().filter(|s| !s.value.is_empty());
    match (record, alert) {
        (Some(_), Some(a)) => {
            report.error(
                a.pos,
                &format!("{path}.alert"),
                "only one of 'record' and 'alert' must be set",
            );
        }
        (None, None) if !r.bad_fields.iter().any(|f| *f == "alert" || *f == "record") => {
            report.error(r.pos, &path, "one of 'record' or 'alert' must be set");
        }
        _ => {}
    }
    let expr = match &r.expr {
        Some(e) if !e.value.trim().is_empty() => {
            check_expr(&e.value, e.pos, &format!("{path}.expr"), opts, report);
            e.value.clone()
        }
        Some(e) => {
            report.error(
                e.pos,
                &format!("{path}.expr"),
                "field 'expr' must be set in rule",
            );
            String::new()
        }
        None => {
            if !r.bad_fields.contains(&"expr") {
                report.error(
                    r.pos,
                    &format!("{path}.expr"),
                    "field 'expr' must be set in rule",
                );
            }
            String::new()
        }
    };
    let labels = label_map(&r.labels, &format!("{path}.labels"), opts, report);
    let for_ = duration(&r.for_, prom_syntax, &format!("{path}.for"), false, report)
        .unwrap_or(Duration::ZERO);
    let keep_firing_for = duration(
        &r.keep_firing_for,
        prom_syntax,
        &format!("{path}.keep_firing_for"),
        false,
        report,
    )
    .unwrap_or(Duration::ZERO);
    let update_entries_limit = r.update_entries_limit.as_ref().map(|sp| {
        if sp.value < 1 {
            report.warn(
                sp.pos,
                &format!("{path}.update_entries_limit"),
                format!(
                    "update_entries_limit {} is below the minimum and is treated as 1",
                    sp.value
                ),
            );
        }
        usize::try_from(sp.value).unwrap_or(0).max(1)
    });

    let kind = if let Some(name) = record {
        if !is_valid_metric_name(&name.value) {
            let hint = if name.value.contains('{') {
                " (braces are not allowed in a recording rule name)"
            } else {
                ""
            };
            promtool_only(
                report,
                opts,
                name.pos,
                &format!("{path}.record"),
                format!("invalid recording rule name: {}{hint}", name.value),
            );
        }
        for (field, value) in [("for", &r.for_), ("keep_firing_for", &r.keep_firing_for)] {
            if let Some(sp) = value {
                promtool_only(
                    report,
                    opts,
                    sp.pos,
                    &format!("{path}.{field}"),
                    format!("invalid field '{field}' in recording rule"),
                );
            }
        }
        if let Some((k, _)) = r.annotations.first() {
            promtool_only(
                report,
                opts,
                k.pos,
                &format!("{path}.annotations"),
                "invalid field 'annotations' in recording rule".to_string(),
            );
        }
        RuleKind::Recording {
            name: name.value.clone(),
        }
    } else {
        let mut annotations = BTreeMap::new();
        for (k, v) in &r.annotations {
            let p = format!("{path}.annotations.{}", k.value);
            if !is_valid_label_name(&k.value) {
                promtool_only(
                    report,
                    opts,
                    k.pos,
                    &p,
                    format!("invalid annotation name: {}", k.value),
                );
            }
            if opts.validate_templates {
                check_template(r.name(), &v.value, v.pos, &p, opts, report);
            }
            annotations.insert(k.value.clone(), v.value.clone());
        }
        if opts.validate_templates {
            for (k, v) in &r.labels {
                check_template(
                    r.name(),
                    &v.value,
                    v.pos,
                    &format!("{path}.labels.{}", k.value),
                    opts,
                    report,
                );
            }
        }
        RuleKind::Alerting {
            name: alert.map(|a| a.value.clone()).unwrap_or_default(),
            for_,
            keep_firing_for,
            annotations: annotations.into(),
        }
    };
    if count_errors(report) > errors_before {
        return None;
    }
    let id = rule_id(
        &expr,
        matches!(kind, RuleKind::Alerting { .. }),
        r.name(),
        &labels,
    );
    Some(Rule {
        id,
        pos: r.pos,
        kind,
        expr,
        labels: labels.into(),
        debug: r.debug.as_ref().map_or(group_debug, |d| d.value),
        update_entries_limit,
    })
}

/// Parses the expression in the dialect being checked. A parse error names the position inside the expression.
fn check_expr(
    expr: &str,
    pos: super::yaml::Pos,
    path: &str,
    opts: &LoadOptions,
    report: &mut Report,
) {
    if !opts.validate_expressions {
        return;
    }
    match opts.dialect {
        Dialect::Prometheus => {
            if let Err(message) = crate::promql::parse_promql(expr) {
                // promql-parser's messages carry no position; tocsin's own parser usually fails at the same
                // place and knows where.
                let at = match crate::promql::metricsql::parse(expr) {
                    Err(e) => format!(
                        " (at line {}, column {} of the expression)",
                        e.line, e.column
                    ),
                    Ok(_) => String::new(),
                };
                report.error(
                    pos,
                    path,
                    format!("could not parse expression: {message}{at}"),
                );
            }
        }
        // vmalert validates MetricsQL, a superset of PromQL. An expression that is MetricsQL but not PromQL is
        // noted once, so users who also run Prometheus know which rules it would refuse.
        Dialect::Vmalert => match crate::promql::metricsql::parse(expr) {
            Err(e) => report.error(
                pos,
                path,
                format!("could not parse expression as MetricsQL: {e}"),
            ),
            Ok(_) => {
                if let Err(message) = crate::promql::parse_promql(expr) {
                    report.warn(
                        pos,
                        path,
                        format!("valid MetricsQL but not PromQL ({message})"),
                    );
                }
            }
        },
    }
}

/// Parses an annotation or alert-label template as promtool (or vmalert, in that dialect) parses it. The error is
/// placed at the value in the file and says where inside the template the problem is.
fn check_template(
    alert: &str,
    text: &str,
    pos: super::yaml::Pos,
    path: &str,
    opts: &LoadOptions,
    report: &mut Report,
) {
    if !text.contains("{{") {
        // Text without an action is always a valid template; most label values are plain text.
        return;
    }
    let dialect = match opts.dialect {
        Dialect::Prometheus => crate::template::TemplateDialect::Prometheus,
        Dialect::Vmalert => crate::template::TemplateDialect::Vmalert,
    };
    if let Err(e) = crate::template::check_alert_template(alert, text, dialect) {
        let message = match &e {
            crate::template::TemplateError::Parse { line, column, .. } => {
                format!("invalid template (line {line}, column {column} of the template): {e}")
            }
            _ => format!("invalid template: {e}"),
        };
        report.error(pos, path, message);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Dialect, LoadOptions, RuleKind, Schedule, Severity, load_text_with_env};

    fn load(text: &str, dialect: Dialect) -> crate::config::LoadedFile {
        let opts = LoadOptions {
            dialect,
            ..LoadOptions::default()
        };
        load_text_with_env("t.yml", text, &opts, |_| None)
    }

    fn errors(text: &str) -> Vec<String> {
        load(text, Dialect::Prometheus)
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{}:{} {}: {}", d.pos.line, d.pos.col, d.path, d.message))
            .collect()
    }

    #[test]
    fn compiles_a_full_group() {
        let text = "groups:\n- name: g\n  interval: 30s\n  labels: {team: a}\n  rules:\n  - alert: A\n    expr: up == 0\n    for: 5m\n    keep_firing_for: 1m\n    annotations: {s: x}\n  - record: job:up:sum\n    expr: sum by (job) (up)\n";
        let f = load(text, Dialect::Prometheus);
        assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
        let g = &f.groups[0];
        assert_eq!(
            g.schedule,
            Schedule::Interval(crate::config::Duration::from_secs(30))
        );
        assert_eq!(g.labels.get("team").map(String::as_str), Some("a"));
        assert!(
            matches!(&g.rules[0].kind, RuleKind::Alerting { for_, .. } if for_.as_millis() == 300_000)
        );
        assert!(matches!(&g.rules[1].kind, RuleKind::Recording { name } if name == "job:up:sum"));
        assert_eq!(f.rules_found, 2);
    }

    #[test]
    fn every_error_in_a_file_is_reported() {
        let text = "groups:\n- name: g\n  interval: 1.5m\n  rules:\n  - record: a-b\n    expr: up\n  - alert: X\n    expr: rate(up)\n- name: g\n  rules: []\n";
        let got = errors(text);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got[0].starts_with("3:13 groups[0].interval: not a valid duration string"),
            "{}",
            got[0]
        );
        assert!(
            got[1].starts_with("5:13 groups[0].rules[0].record: invalid recording rule name: a-b"),
            "{}",
            got[1]
        );
        assert!(
            got[2].starts_with("8:11 groups[0].rules[1].expr: could not parse expression"),
            "{}",
            got[2]
        );
        assert!(
            got[3].starts_with("9:9 groups[1].name: group name \"g\" is repeated"),
            "{}",
            got[3]
        );
    }

    #[test]
    fn vmalert_dialect_downgrades_promtool_only_findings() {
        let text = "groups:\n- name: g\n  rules:\n  - record: a-b\n    expr: up\n    for: 1m\n    labels: {ins-tance: x}\n";
        assert_eq!(errors(text).len(), 3);
        let f = load(text, Dialect::Vmalert);
        assert!(!f.has_errors(), "{:?}", f.diagnostics);
        assert_eq!(f.diagnostics.len(), 3);
        assert_eq!(f.groups[0].rules.len(), 1);
    }

    #[test]
    fn vmalert_checks() {
        let cases = [
            (
                "  interval: 1m\n  eval_offset: 2m\n",
                "eval_offset 2m must be smaller",
            ),
            (
                "  eval_offset: 10s\n  eval_delay: 5s\n",
                "eval_offset cannot be combined with eval_delay",
            ),
            ("  limit: -1\n", "must not be negative"),
            ("  concurrency: -2\n", "must not be negative"),
            ("  type: influx\n", "unknown datasource type"),
            (
                "  headers: [\"NoColon\"]\n",
                "must be written as \"Name: value\"",
            ),
            ("  cron: \"61 * * * *\"\n", "invalid cron expression"),
            (
                "  cron: \"0 9 * * 1\"\n  interval: 1m\n",
                "mutually exclusive",
            ),
            (
                "  cron: \"0 9 * * 1\"\n  cron_timezone: Mars/Base\n",
                "unknown time zone",
            ),
        ];
        for (fields, want) in cases {
            let text =
                format!("groups:\n- name: g\n{fields}  rules:\n  - alert: A\n    expr: up\n");
            let got = errors(&text);
            assert!(
                got.iter().any(|e| e.contains(want)),
                "{fields:?}: want {want:?} in {got:#?}"
            );
        }
    }

    #[test]
    fn cron_groups_compile() {
        let text = "groups:\n- name: weekly\n  cron: \"0 9 * * 1\"\n  cron_timezone: Europe/Berlin\n  rules:\n  - alert: A\n    expr: up\n";
        let f = load(text, Dialect::Prometheus);
        assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
        assert_eq!(
            f.groups[0].schedule,
            Schedule::Cron {
                expr: "0 9 * * 1".into(),
                timezone: Some("Europe/Berlin".into())
            }
        );
    }

    #[test]
    fn duplicate_rule_ids_in_a_group_are_errors() {
        let rule = "  - alert: A\n    expr: up == 0\n    labels: {s: x}\n";
        let text = format!("groups:\n- name: g\n  rules:\n{rule}{rule}");
        let got = errors(&text);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert!(
            got[0].contains("duplicates rule \"A\" at line 4"),
            "{}",
            got[0]
        );
        // The same rule in two groups is fine.
        let text = format!("groups:\n- name: g\n  rules:\n{rule}- name: h\n  rules:\n{rule}");
        assert!(errors(&text).is_empty());
    }

    #[test]
    fn env_placeholders() {
        let opts = LoadOptions::default();
        let text = "groups:\n- name: g-%{ENV}\n  rules: []\n";
        let f = load_text_with_env("t.yml", text, &opts, |n| {
            (n == "ENV").then(|| "prod".to_string())
        });
        assert_eq!(f.groups[0].name, "g-prod");
        let f = load_text_with_env("t.yml", text, &opts, |_| None);
        assert!(f.has_errors());
        assert_eq!(f.diagnostics[0].pos.line, 2);
    }
}

#[cfg(test)]
mod template_tests {
    use crate::config::{Dialect, LoadOptions, load_text_with_env};

    fn messages(text: &str, dialect: Dialect) -> Vec<String> {
        let opts = LoadOptions {
            dialect,
            ..LoadOptions::default()
        };
        load_text_with_env("t.yml", text, &opts, |_| None)
            .diagnostics
            .into_iter()
            .map(|d| d.to_string())
            .collect()
    }

    #[test]
    fn bad_templates_name_rule_and_field() {
        let cases = [
            (
                "annotations: {summary: \"{{ $labels.x \"}",
                "annotations.summary",
                "unclosed action",
            ),
            (
                "annotations: {summary: \"{{ if true }}x\"}",
                "annotations.summary",
                "unexpected EOF",
            ),
            (
                "annotations: {summary: \"{{ nosuchfunc 1 }}\"}",
                "annotations.summary",
                "function \"nosuchfunc\" not defined",
            ),
            (
                "labels: {severity: \"{{ $nope }}\"}",
                "labels.severity",
                "undefined variable \"$nope\"",
            ),
        ];
        for (field, path, want) in cases {
            let text =
                format!("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    {field}\n");
            let got = messages(&text, Dialect::Prometheus);
            assert_eq!(got.len(), 1, "{field}: {got:#?}");
            assert!(
                got[0].contains(&format!(
                    "groups[0].rules[0].{path} (group \"g\", rule \"A\")"
                )),
                "{}",
                got[0]
            );
            assert!(
                got[0].contains(want),
                "{field}: want {want:?} in {}",
                got[0]
            );
        }
    }

    #[test]
    fn vmalert_variables_only_in_the_vmalert_dialect() {
        let text = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations: {q: \"{{ $expr }}\"}\n";
        assert_eq!(messages(text, Dialect::Prometheus).len(), 1);
        assert!(messages(text, Dialect::Vmalert).is_empty());
    }

    #[test]
    fn recording_rule_labels_are_not_templates() {
        let text = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    labels: {x: \"{{ nosuchfunc }}\"}\n";
        assert!(messages(text, Dialect::Prometheus).is_empty());
    }
}
