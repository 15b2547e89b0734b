//! Runs one test group: loads its input series into the embedded store, evaluates every rule group at every
//! `evaluation_interval` step with the production state machine (`rule::AlertingRule`, `rule::RecordingRule`),
//! writes their samples (`ALERTS` included) back so later rules see them, and checks alerts and expressions.
//!
//! Must not: decide alert state itself. Firing, pending, `for` and `keep_firing_for` are the state machine's; this
//! module only feeds it query results and reads the alerts it holds. Pure: rule files arrive loaded.

use std::collections::BTreeSet;

use promql_parser::parser::Expr;

use super::RunOptions;
use super::format::{LabelsAndAnnotations, compare_labels, go_quote, sort_alerts};
use super::model::{Format, TestFile, TestGroup};
use super::series;
use super::series_labels::parse_series_labels;
use crate::config::{Group, RuleKind};
use crate::promql::engine::{self, Engine, EngineOptions, Storage, Value};
use crate::rule::alerting::EvalError as AlertEvalError;
use crate::rule::labels::LabelConflict;
use crate::rule::recording::RecordingError;
use crate::rule::templates::{EngineQuerier, EngineTemplater};
use crate::rule::{
    AlertState, AlertingRule, AlertingSettings, Labels, QueryResult, QuerySample, RecordingRule,
};
use crate::template::TemplateDialect;

/// One failed check or a problem that stopped the group, with what promtool prints for it.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Firing alerts differ from the expected ones.
    Alert {
        test_name: String,
        alertname: String,
        eval_time: String,
        exp: Vec<LabelsAndAnnotations>,
        got: Vec<LabelsAndAnnotations>,
    },
    /// An expression's samples differ.
    Expr {
        expr: String,
        eval_time: String,
        exp: Vec<(Labels, f64)>,
        got: Vec<(Labels, f64)>,
    },
    /// An expression failed, or its expected labels did not parse.
    ExprError {
        expr: String,
        eval_time: String,
        err: String,
    },
    /// A rule failed to evaluate; the test group stops there.
    Rule {
        rule: String,
        time: String,
        err: String,
    },
    /// The test group could not run (bad series, bad rules).
    Setup(String),
}

/// What one test group produced.
#[derive(Debug, Clone, Default)]
pub struct GroupOutcome {
    /// Checks run (alert and expression tests).
    pub cases: usize,
    pub failures: Vec<Failure>,
    /// `--debug`: the state of every alert at every evaluation.
    pub debug: Vec<String>,
}

/// A rule of the loaded rule files with its compiled expression and state.
enum RuleRun {
    Alerting(AlertingRule),
    Recording(RecordingRule),
}

struct RunRule<'e> {
    name: String,
    expr: &'e Expr,
    state: RuleRun,
}

struct RunGroup<'e> {
    name: String,
    rules: Vec<RunRule<'e>>,
}

/// Orders groups as `group_eval_order` says: listed groups by their position, others first (as promtool's map
/// order puts them at position 0), file order among equals.
pub fn order_groups<'a>(groups: &'a [Group], order: &[String]) -> Vec<&'a Group> {
    let mut out: Vec<&Group> = groups.iter().collect();
    out.sort_by_key(|g| order.iter().position(|n| *n == g.name).unwrap_or(0));
    out
}

/// The rule groups of a test file in evaluation order, with every rule expression parsed once for all test groups
/// of the file (parsing, with the regex compilation of `=~` matchers, costs more than many evaluations).
pub struct OrderedGroups<'a> {
    groups: Vec<&'a Group>,
    /// Per group, per rule, the parsed expression; or the first parse error, which fails every test group.
    exprs: Result<Vec<Vec<Expr>>, String>,
}

impl<'a> OrderedGroups<'a> {
    /// Orders `groups` (see [`order_groups`]) and parses their expressions.
    pub fn new(groups: &'a [Group], order: &[String]) -> Self {
        let groups = order_groups(groups, order);
        let exprs = groups
            .iter()
            .map(|g| {
                g.rules
                    .iter()
                    .map(|r| {
                        crate::promql::parse_promql(&r.expr).map_err(|e| {
                            format!("{}: group {:?}, rule {:?}: {e}", g.file, g.name, r.name())
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect();
        Self { groups, exprs }
    }
}

/// Runs one test group over `groups`. `opts.debug` records alert states; `opts.left_open_ranges` picks the
/// engine's range boundaries.
pub fn run_group(
    file: &TestFile,
    tg: &TestGroup,
    groups: &OrderedGroups<'_>,
    opts: &RunOptions,
) -> GroupOutcome {
    let mut outcome = GroupOutcome {
        cases: tg.alert_rule_test.len() + tg.expr_test.len(),
        ..GroupOutcome::default()
    };
    match run(file, tg, groups, opts, &mut outcome) {
        Ok(()) => {}
        Err(f) => outcome.failures.push(f),
    }
    outcome
}

fn setup(msg: impl Into<String>) -> Failure {
    Failure::Setup(msg.into())
}

fn run(
    file: &TestFile,
    tg: &TestGroup,
    ordered: &OrderedGroups<'_>,
    opts: &RunOptions,
    out: &mut GroupOutcome,
) -> Result<(), Failure> {
    let vmtool = file.format == Format::VmalertTool;
    // Rule labels the result already has: vmalert keeps the old value as `exported_<name>`, Prometheus overwrites.
    let conflict = if vmtool {
        LabelConflict::Export
    } else {
        LabelConflict::Overwrite
    };
    let interval = file.evaluation_interval.as_millis();
    if let Some(a) = tg.alert_rule_test.iter().find(|a| a.alertname.is_empty()) {
        let in_group = if tg.name.is_empty() {
            String::new()
        } else {
            format!(" (in TestGroup {})", tg.name)
        };
        return Err(setup(format!(
            "an item under alert_rule_test misses required attribute alertname at eval_time {}{in_group}",
            a.eval_time
        )));
    }
    let t0 = tg.start_ms;

    // Input samples, sorted by time, loaded lazily up to each step as promtool's lazy loader does.
    let mut inputs: Vec<(i64, engine::Labels, f64)> = Vec::new();
    for s in &tg.input_series {
        let labels = parse_series_labels(&s.series)
            .map_err(|e| setup(format!("{}:{}: parse error: {e}", s.pos.line, s.pos.col)))?;
        let values = series::expand(&s.values).map_err(|e| {
            setup(format!(
                "1:{}: parse error: {}",
                s.series.len() + 2 + e.offset,
                e.message
            ))
        })?;
        let el = engine::Labels::new(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let step = tg.interval.as_millis();
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                inputs.push((t0 + i as i64 * step, el.clone(), *v));
                if step == 0 {
                    // Every sample lands at one timestamp; promtool's store keeps the first.
                    break;
                }
            }
        }
    }
    inputs.sort_by_key(|(t, _, _)| *t);

    let templater = EngineTemplater::new(
        if vmtool {
            TemplateDialect::Vmalert
        } else {
            TemplateDialect::Prometheus
        },
        tg.external_labels.clone(),
        tg.external_url.clone(),
    )
    .errors_as_text(!vmtool);

    let exprs = ordered.exprs.as_ref().map_err(|e| setup(e.clone()))?;
    let mut run_groups = Vec::with_capacity(ordered.groups.len());
    for (g, g_exprs) in ordered.groups.iter().zip(exprs) {
        let mut rules = Vec::with_capacity(g.rules.len());
        for (r, expr) in g.rules.iter().zip(g_exprs) {
            // promtool applies rule labels only; vmalert also adds external labels to alerts and series.
            let labels = if vmtool {
                crate::rule::labels::merge(&[&tg.external_labels, &g.labels, &r.labels.to_labels()])
            } else {
                crate::rule::labels::merge(&[&g.labels, &r.labels.to_labels()])
            };
            let state = match &r.kind {
                RuleKind::Alerting {
                    name,
                    for_,
                    keep_firing_for,
                    annotations,
                } => RuleRun::Alerting(AlertingRule::new(AlertingSettings {
                    name: name.clone(),
                    group_name: g.name.clone(),
                    group_id: g.id,
                    expr: r.expr.clone(),
                    for_ms: for_.as_millis(),
                    keep_firing_for_ms: keep_firing_for.as_millis(),
                    labels: crate::rule::PackedLabels::new(&labels),
                    annotations: annotations.clone(),
                    alertgroup_label: vmtool,
                    limit: g.limit,
                    label_conflict: conflict,
                })),
                RuleKind::Recording { name } => {
                    let mut rule = RecordingRule::new(name.clone(), labels.clone(), g.limit);
                    rule.label_conflict = conflict;
                    RuleRun::Recording(rule)
                }
            };
            rules.push(RunRule {
                name: r.name().to_string(),
                expr,
                state,
            });
        }
        run_groups.push(RunGroup {
            name: g.name.clone(),
            rules,
        });
    }

    let engine = Engine::new(EngineOptions {
        default_subquery_step_ms: interval,
        left_open_ranges: opts.left_open_ranges,
        ..EngineOptions::default()
    });
    let max_eval = tg
        .alert_rule_test
        .iter()
        .map(|a| a.eval_time.as_millis())
        .chain(tg.expr_test.iter().map(|e| e.eval_time.as_millis()))
        .max()
        .unwrap_or(0)
        .max(0);
    let mut alert_times: Vec<i64> = tg
        .alert_rule_test
        .iter()
        .map(|a| a.eval_time.as_millis())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    alert_times.retain(|t| *t >= 0);
    let mut curr = 0;

    let mut storage = Storage::new();
    let mut next_input = 0;
    let steps = max_eval / interval;
    for step in 0..=steps {
        let rel = step * interval;
        let ts = t0 + rel;
        while next_input < inputs.len() && inputs[next_input].0 <= ts {
            let (t, l, v) = &inputs[next_input];
            storage.add(l, *t, *v);
            next_input += 1;
        }
        let mut eval_errs = Vec::new();
        for g in &mut run_groups {
            for r in &mut g.rules {
                let result = query(&engine, &storage, r.expr, ts);
                let written = match &mut r.state {
                    RuleRun::Alerting(ar) => {
                        let querier = EngineQuerier {
                            engine: &engine,
                            source: &storage,
                        };
                        let bound = templater.bind(&r.name, Some(&querier));
                        let o = ar.eval(ts, result.as_ref().map_err(String::as_str), &bound);
                        if let Some(e) = &o.error {
                            eval_errs.push(rule_failure(&r.name, rel, alert_error_text(e)));
                        }
                        o.samples
                    }
                    RuleRun::Recording(rr) => {
                        match rr.eval(ts, result.as_ref().map_err(String::as_str)) {
                            Ok(samples) => samples,
                            Err(e) => {
                                eval_errs.push(rule_failure(
                                    &r.name,
                                    rel,
                                    recording_error_text(&e),
                                ));
                                Vec::new()
                            }
                        }
                    }
                };
                for s in written {
                    let l = engine::Labels::new(s.labels.iter());
                    storage.add(&l, ts, s.value);
                }
            }
        }
        if opts.debug {
            debug_states(&run_groups, rel, t0, &mut out.debug);
        }
        if !eval_errs.is_empty() {
            out.failures.extend(eval_errs);
            return Ok(());
        }
        while curr < alert_times.len()
            && rel <= alert_times[curr]
            && alert_times[curr] < rel + interval
        {
            let t = alert_times[curr];
            for test in tg
                .alert_rule_test
                .iter()
                .filter(|a| a.eval_time.as_millis() == t)
            {
                let mut got = Vec::new();
                for g in &run_groups {
                    if vmtool && !test.groupname.is_empty() && g.name != test.groupname {
                        continue;
                    }
                    for r in &g.rules {
                        let RuleRun::Alerting(ar) = &r.state else {
                            continue;
                        };
                        if r.name != test.alertname {
                            continue;
                        }
                        got.extend(ar.alerts().filter(|a| a.state == AlertState::Firing).map(
                            |a| LabelsAndAnnotations {
                                labels: a.labels.to_labels(),
                                annotations: a.annotations.to_labels(),
                            },
                        ));
                    }
                }
                let mut exp: Vec<LabelsAndAnnotations> = test
                    .exp_alerts
                    .iter()
                    .map(|e| {
                        let mut labels = e.exp_labels.clone();
                        labels.insert("alertname".into(), test.alertname.clone());
                        if vmtool && !test.groupname.is_empty() {
                            labels.insert("alertgroup".into(), test.groupname.clone());
                        }
                        LabelsAndAnnotations {
                            labels,
                            annotations: e.exp_annotations.clone(),
                        }
                    })
                    .collect();
                sort_alerts(&mut got);
                sort_alerts(&mut exp);
                if got != exp {
                    out.failures.push(Failure::Alert {
                        test_name: tg.name.clone(),
                        alertname: test.alertname.clone(),
                        eval_time: test.eval_time.to_string(),
                        exp,
                        got,
                    });
                }
            }
            curr += 1;
        }
    }

    for test in &tg.expr_test {
        let eval_time = test.eval_time.to_string();
        let fail = |err: String| Failure::ExprError {
            expr: test.expr.clone(),
            eval_time: eval_time.clone(),
            err,
        };
        let parsed = match parse_expr(&test.expr, vmtool) {
            Ok(p) => p,
            Err(e) => {
                out.failures.push(fail(e));
                continue;
            }
        };
        let got = match query(&engine, &storage, &parsed, t0 + test.eval_time.as_millis()) {
            Ok(r) => r,
            Err(e) => {
                out.failures.push(fail(e));
                continue;
            }
        };
        let mut got: Vec<(Labels, f64)> = got
            .samples
            .into_iter()
            .map(|s| (s.labels.to_labels(), s.value))
            .collect();
        let mut exp = Vec::with_capacity(test.exp_samples.len());
        let mut bad = None;
        for s in &test.exp_samples {
            match parse_series_labels(&s.labels) {
                Ok(l) => exp.push((l, s.value)),
                Err(e) => {
                    bad = Some(format!("labels {}: {e}", go_quote(&s.labels)));
                    break;
                }
            }
        }
        if let Some(e) = bad {
            out.failures.push(fail(e));
            continue;
        }
        exp.sort_by(|a, b| compare_labels(&a.0, &b.0));
        got.sort_by(|a, b| compare_labels(&a.0, &b.0));
        let same = exp.len() == got.len()
            && exp
                .iter()
                .zip(&got)
                .all(|(e, g)| e.0 == g.0 && floats_equal(e.1, g.1, file.fuzzy_compare));
        if !same {
            out.failures.push(Failure::Expr {
                expr: test.expr.clone(),
                eval_time,
                exp,
                got,
            });
        }
    }
    Ok(())
}

fn rule_failure(rule: &str, rel_ms: i64, err: String) -> Failure {
    Failure::Rule {
        rule: rule.to_string(),
        time: crate::config::Duration::from_millis(rel_ms).go_string(),
        err,
    }
}

/// The error text Prometheus keeps as a rule's last error.
fn alert_error_text(e: &AlertEvalError) -> String {
    match e {
        AlertEvalError::Query(q) => q.clone(),
        AlertEvalError::DuplicateLabelSet(_) => {
            "vector contains metrics with the same labelset after applying alert labels".into()
        }
        AlertEvalError::Limit { limit, count } => {
            format!("exceeded limit of {limit} with {count} alerts")
        }
        other => other.to_string(),
    }
}

fn recording_error_text(e: &RecordingError) -> String {
    match e {
        RecordingError::Query(q) => q.clone(),
        RecordingError::DuplicateLabelSet(_) => {
            "vector contains metrics with the same labelset after applying rule labels".into()
        }
        RecordingError::Limit { limit, count } => {
            format!("exceeded limit of {limit} with {count} series")
        }
    }
}

/// Equal as promtool compares: exactly (NaN never equals), or within one unit in the last place with
/// `fuzzy_compare` (NaN equals NaN there).
fn floats_equal(a: f64, b: f64, fuzzy: bool) -> bool {
    if !fuzzy {
        return a == b;
    }
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    if a.is_sign_negative() != b.is_sign_negative() {
        return false;
    }
    a.to_bits().abs_diff(b.to_bits()) <= 1
}

/// Parses an expression of an expression test; vmalert-tool files may use MetricsQL, which is reported.
fn parse_expr(expr: &str, vmtool: bool) -> Result<Expr, String> {
    crate::promql::parse_promql(expr).map_err(|e| {
        if vmtool {
            format!("unsupported: tocsin has no MetricsQL parser yet and reads expressions as PromQL: {e}")
        } else {
            e
        }
    })
}

/// Runs `expr` at `ts` and shapes the result as rules see it (a scalar becomes one sample without labels).
fn query(engine: &Engine, storage: &Storage, expr: &Expr, ts: i64) -> Result<QueryResult, String> {
    let samples = match engine
        .instant(storage, expr, ts)
        .map_err(|e| e.to_string())?
    {
        Value::Vector(v) => v
            .into_iter()
            .map(|s| QuerySample {
                labels: s.labels.iter().collect(),
                value: s.v,
                timestamp_ms: ts,
            })
            .collect(),
        Value::Scalar(v, _) => vec![QuerySample {
            labels: Default::default(),
            value: v,
            timestamp_ms: ts,
        }],
        _ => return Err("rule result is not a vector or scalar".into()),
    };
    Ok(QueryResult {
        samples,
        ..QueryResult::default()
    })
}

fn debug_states(groups: &[RunGroup], rel_ms: i64, t0: i64, out: &mut Vec<String>) {
    let time = crate::config::Duration::from_millis(rel_ms);
    for g in groups {
        for r in &g.rules {
            let RuleRun::Alerting(ar) = &r.state else {
                continue;
            };
            let mut any = false;
            for a in ar.alerts() {
                any = true;
                out.push(format!(
                    "time: {time}, group: {}, alert: {}, state: {}, labels: {}, value: {}, active_at: {}",
                    g.name,
                    r.name,
                    a.state.as_str(),
                    super::format::labels_string(&a.labels.to_labels()),
                    super::format::go_float_e(a.value),
                    crate::config::Duration::from_millis(a.active_at - t0),
                ));
            }
            if !any {
                out.push(format!(
                    "time: {time}, group: {}, alert: {}, state: inactive (no alerts)",
                    g.name, r.name
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_floats() {
        assert!(!floats_equal(f64::NAN, f64::NAN, false));
        assert!(floats_equal(f64::NAN, f64::NAN, true));
        assert!(floats_equal(0.1 + 0.2, 0.3, true));
        assert!(!floats_equal(0.1 + 0.2, 0.3, false));
        assert!(floats_equal(-0.0, 0.0, false));
    }
}
