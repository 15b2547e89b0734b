//! Every transition of the alerting state machine, driven with explicit timestamps.

use super::*;
use crate::rule::labels::from_pairs;
use crate::rule::sample::QuerySample;

const M: i64 = 60_000;

fn settings(for_ms: i64, keep_ms: i64) -> AlertingSettings {
    AlertingSettings {
        name: "HostDown".into(),
        group_name: "nodes".into(),
        group_id: 7,
        expr: "up == 0".into(),
        for_ms,
        keep_firing_for_ms: keep_ms,
        labels: from_pairs(&[("severity", "page")]).into(),
        annotations: from_pairs(&[("summary", "host down")]).into(),
        alertgroup_label: true,
        limit: 0,
        label_conflict: crate::rule::labels::LabelConflict::Export,
    }
}

fn result(instances: &[&str]) -> QueryResult {
    QueryResult {
        samples: instances
            .iter()
            .map(|i| QuerySample {
                labels: from_pairs(&[("__name__", "up"), ("instance", i), ("job", "node")]).into(),
                value: 0.0,
                timestamp_ms: 0,
            })
            .collect(),
        ..QueryResult::default()
    }
}

fn eval(rule: &mut AlertingRule, ts: i64, instances: &[&str]) -> Outcome {
    rule.eval(ts, Ok(&result(instances)), &VerbatimTemplater)
}

fn states(rule: &AlertingRule) -> Vec<(String, AlertState)> {
    rule.alerts()
        .map(|a| (a.labels["instance"].to_string(), a.state))
        .collect()
}

/// Written series as `name{alertstate}=value`, staleness as `stale`.
fn written(out: &Outcome) -> Vec<String> {
    out.samples
        .iter()
        .map(|s| {
            let state = s
                .labels
                .get("alertstate")
                .map(|v| format!("{{{v}}}"))
                .unwrap_or_default();
            let v = if s.is_stale() {
                "stale".to_string()
            } else {
                s.value.to_string()
            };
            format!("{}{state}={v}", &s.labels["__name__"])
        })
        .collect()
}

#[test]
fn new_result_is_pending_then_fires_after_for() {
    let mut r = AlertingRule::new(settings(5 * M, 0));
    let out = eval(&mut r, 10 * M, &["a"]);
    assert_eq!(states(&r), vec![("a".into(), AlertState::Pending)]);
    assert_eq!(
        written(&out),
        vec!["ALERTS{pending}=1", "ALERTS_FOR_STATE=600"]
    );
    let a = r.alerts().next().expect("alert");
    assert_eq!(a.active_at, 10 * M);
    assert_eq!(
        a.labels,
        from_pairs(&[
            ("alertgroup", "nodes"),
            ("alertname", "HostDown"),
            ("instance", "a"),
            ("job", "node"),
            ("severity", "page")
        ])
    );
    assert_eq!(a.annotations, from_pairs(&[("summary", "host down")]));

    eval(&mut r, 14 * M, &["a"]);
    assert_eq!(states(&r), vec![("a".into(), AlertState::Pending)]);
    let out = eval(&mut r, 15 * M, &["a"]);
    assert_eq!(states(&r), vec![("a".into(), AlertState::Firing)]);
    assert_eq!(r.alerts().next().map(|a| a.fired_at), Some(Some(15 * M)));
    // The pending series ends with a staleness marker when the alert fires.
    assert_eq!(
        written(&out),
        vec![
            "ALERTS{firing}=1",
            "ALERTS_FOR_STATE=600",
            "ALERTS{pending}=stale"
        ]
    );
}

#[test]
fn for_zero_fires_in_the_same_evaluation() {
    let mut r = AlertingRule::new(settings(0, 0));
    let out = eval(&mut r, M, &["a"]);
    assert_eq!(states(&r), vec![("a".into(), AlertState::Firing)]);
    assert_eq!(
        written(&out),
        vec!["ALERTS{firing}=1", "ALERTS_FOR_STATE=60"]
    );
}

#[test]
fn a_gap_deletes_a_pending_alert_and_resets_for() {
    let mut r = AlertingRule::new(settings(5 * M, 0));
    eval(&mut r, M, &["a"]);
    let out = eval(&mut r, 2 * M, &[]);
    assert!(states(&r).is_empty());
    assert_eq!(
        written(&out),
        vec!["ALERTS{pending}=stale", "ALERTS_FOR_STATE=stale"]
    );
    eval(&mut r, 3 * M, &["a"]);
    assert_eq!(r.alerts().next().map(|a| a.active_at), Some(3 * M));
}

#[test]
fn firing_resolves_is_kept_15_minutes_then_dropped() {
    let mut r = AlertingRule::new(settings(0, 0));
    eval(&mut r, M, &["a"]);
    let out = eval(&mut r, 2 * M, &[]);
    assert_eq!(states(&r), vec![("a".into(), AlertState::Inactive)]);
    assert_eq!(r.alerts().next().map(|a| a.resolved_at), Some(Some(2 * M)));
    assert_eq!(
        written(&out),
        vec!["ALERTS{firing}=stale", "ALERTS_FOR_STATE=stale"]
    );
    eval(&mut r, 16 * M, &[]);
    assert_eq!(states(&r).len(), 1, "kept while younger than 15 minutes");
    eval(&mut r, 17 * M, &[]);
    assert!(states(&r).is_empty(), "dropped after 15 minutes");
}

#[test]
fn a_resolved_alert_that_returns_starts_over_as_pending() {
    let mut r = AlertingRule::new(settings(2 * M, 0));
    eval(&mut r, 0, &["a"]);
    eval(&mut r, 2 * M, &["a"]);
    eval(&mut r, 3 * M, &[]);
    assert_eq!(states(&r), vec![("a".into(), AlertState::Inactive)]);
    eval(&mut r, 4 * M, &["a"]);
    let a = r.alerts().next().expect("alert");
    assert_eq!(
        (a.state, a.active_at, a.fired_at, a.resolved_at),
        (AlertState::Pending, 4 * M, None, None)
    );
}

#[test]
fn keep_firing_for_holds_then_resolves() {
    let mut r = AlertingRule::new(settings(0, 3 * M));
    eval(&mut r, 0, &["a"]);
    let out = eval(&mut r, M, &[]);
    let a = r.alerts().next().expect("alert");
    assert!(a.state == AlertState::Firing && a.stabilizing());
    assert_eq!(
        written(&out),
        vec!["ALERTS{firing}=1", "ALERTS_FOR_STATE=0"],
        "still written while held"
    );
    eval(&mut r, 3 * M, &[]);
    assert_eq!(states(&r), vec![("a".into(), AlertState::Firing)]);
    eval(&mut r, 4 * M, &[]);
    assert_eq!(states(&r), vec![("a".into(), AlertState::Inactive)]);
    assert_eq!(r.alerts().next().map(|a| a.resolved_at), Some(Some(4 * M)));
}

#[test]
fn returning_result_clears_keep_firing_since() {
    let mut r = AlertingRule::new(settings(0, 3 * M));
    eval(&mut r, 0, &["a"]);
    eval(&mut r, M, &[]);
    eval(&mut r, 2 * M, &["a"]);
    assert!(!r.alerts().next().expect("alert").stabilizing());
    eval(&mut r, 3 * M, &[]);
    eval(&mut r, 5 * M, &[]);
    assert_eq!(
        states(&r),
        vec![("a".into(), AlertState::Firing)],
        "the hold restarted at 3m"
    );
}

#[test]
fn a_query_error_changes_nothing_and_writes_nothing() {
    let mut r = AlertingRule::new(settings(5 * M, 0));
    eval(&mut r, 0, &["a"]);
    let before: Vec<Alert> = r.alerts().cloned().collect();
    let out = r.eval(10 * M, Err("connection refused"), &VerbatimTemplater);
    assert_eq!(
        out.error,
        Some(EvalError::Query("connection refused".into()))
    );
    assert!(out.samples.is_empty());
    assert_eq!(r.alerts().cloned().collect::<Vec<_>>(), before);
}

#[test]
fn duplicate_label_sets_fail_without_changing_state() {
    let mut s = settings(0, 0);
    s.labels = from_pairs(&[("instance", "")]).into(); // removing the only distinguishing label makes them collide
    let mut r = AlertingRule::new(s);
    let out = eval(&mut r, M, &["a", "b"]);
    assert!(matches!(out.error, Some(EvalError::DuplicateLabelSet(_))));
    assert!(states(&r).is_empty());
    assert!(out.samples.is_empty());
}

#[test]
fn exceeding_the_limit_clears_every_alert() {
    let mut s = settings(0, 0);
    s.limit = 1;
    let mut r = AlertingRule::new(s);
    eval(&mut r, M, &["a"]);
    let out = eval(&mut r, 2 * M, &["a", "b"]);
    assert_eq!(out.error, Some(EvalError::Limit { limit: 1, count: 2 }));
    assert!(states(&r).is_empty());
    assert!(out.samples.is_empty());
}

#[test]
fn rule_labels_use_the_exported_rule_and_alertgroup_can_be_disabled() {
    let mut s = settings(0, 0);
    s.labels = from_pairs(&[("job", "blackbox")]).into();
    s.alertgroup_label = false;
    let mut r = AlertingRule::new(s);
    eval(&mut r, M, &["a"]);
    assert_eq!(
        r.alerts().next().map(|a| a.labels.to_labels()),
        Some(from_pairs(&[
            ("alertname", "HostDown"),
            ("exported_job", "node"),
            ("instance", "a"),
            ("job", "blackbox")
        ]))
    );
}

struct Failing;
impl Templater for Failing {
    fn render(&self, field: &str, text: &str, _: &TemplateInput<'_>) -> Result<String, String> {
        if text.contains("{{") {
            Err(format!("cannot render {field}"))
        } else {
            Ok(text.to_string())
        }
    }
}

#[test]
fn annotation_template_errors_keep_the_alert_with_the_error_text() {
    let mut s = settings(0, 0);
    s.annotations = from_pairs(&[
        ("summary", "{{ broken }}"),
        ("runbook", "https://runbooks/x"),
    ])
    .into();
    let mut r = AlertingRule::new(s);
    let out = r.eval(M, Ok(&result(&["a"])), &Failing);
    assert_eq!(out.error, None);
    assert_eq!(
        out.template_errors,
        vec!["annotations.summary: cannot render annotations.summary"]
    );
    let a = r.alerts().next().expect("alert kept");
    assert_eq!(a.state, AlertState::Firing);
    assert_eq!(
        &a.annotations["summary"],
        "cannot render annotations.summary"
    );
    assert_eq!(&a.annotations["runbook"], "https://runbooks/x");
}

#[test]
fn label_template_errors_fail_the_evaluation() {
    let mut s = settings(0, 0);
    s.labels = from_pairs(&[("severity", "{{ broken }}")]).into();
    let mut r = AlertingRule::new(s);
    let out = r.eval(M, Ok(&result(&["a"])), &Failing);
    assert!(matches!(out.error, Some(EvalError::LabelTemplate(_))));
    assert!(states(&r).is_empty());
}

fn due(r: &AlertingRule, now: i64, delay: i64) -> Vec<(String, AlertState)> {
    r.due_for_sending(now, delay)
        .into_iter()
        .map(|a| (a.labels["instance"].to_string(), a.state))
        .collect()
}

fn sent(r: &mut AlertingRule, now: i64) {
    let key = r
        .alerts()
        .next()
        .map(|a| (a.labels.clone(), a.state))
        .expect("alert");
    r.mark_sent(&key.0, key.1, now);
}

#[test]
fn sending_decisions() {
    use AlertState::{Firing, Inactive};
    let mut r = AlertingRule::new(settings(M, 0));
    eval(&mut r, 0, &["a"]);
    assert!(due(&r, 0, 0).is_empty(), "pending alerts are never sent");
    eval(&mut r, M, &["a"]);
    assert_eq!(
        due(&r, M, 2 * M),
        vec![("a".into(), Firing)],
        "a new firing alert is sent at once"
    );
    assert_eq!(
        due(&r, M + 1, 2 * M).len(),
        1,
        "still due until a send is confirmed"
    );
    sent(&mut r, M);
    assert!(due(&r, 2 * M, 2 * M).is_empty(), "within the resend delay");
    assert_eq!(due(&r, 3 * M + 1, 2 * M).len(), 1, "after the resend delay");
    assert_eq!(
        due(&r, M + 1, 0).len(),
        1,
        "a zero resend delay sends every evaluation"
    );
    sent(&mut r, 3 * M + 1);
    eval(&mut r, 4 * M, &[]);
    assert_eq!(
        due(&r, 4 * M, 2 * M),
        vec![("a".into(), Inactive)],
        "a resolve is sent at once"
    );
    sent(&mut r, 4 * M);
    assert!(due(&r, 5 * M, 2 * M).is_empty());
    assert_eq!(
        due(&r, 6 * M + 1, 2 * M).len(),
        1,
        "the resolve is re-sent while kept"
    );
    let a = r.alerts().next().expect("alert");
    assert_eq!(
        a.ends_at(6 * M, 4 * M),
        4 * M,
        "endsAt of a resolved alert is its resolve time"
    );
    // Fires again: sent at once although the resend delay has not passed since the resolve was sent.
    eval(&mut r, 6 * M + 2, &["a"]);
    eval(&mut r, 7 * M + 2, &["a"]);
    assert_eq!(due(&r, 7 * M + 3, 10 * M), vec![("a".into(), Firing)]);
    assert_eq!(
        r.alerts().next().map(|a| a.ends_at(7 * M, 4 * M)),
        Some(11 * M)
    );
}

#[test]
fn colliding_vmalert_ids_stay_separate_alerts() {
    // {a="b1"} and {ab="1"} share vmalert's 64-bit ID; they must still be two alerts.
    let mut s = settings(0, 0);
    s.labels = Labels::new().into();
    let mut r = AlertingRule::new(s);
    let res = QueryResult {
        samples: vec![
            QuerySample {
                labels: from_pairs(&[("a", "b1")]).into(),
                value: 1.0,
                timestamp_ms: 0,
            },
            QuerySample {
                labels: from_pairs(&[("ab", "1")]).into(),
                value: 1.0,
                timestamp_ms: 0,
            },
        ],
        ..QueryResult::default()
    };
    let out = r.eval(M, Ok(&res), &VerbatimTemplater);
    assert_eq!(out.error, None);
    let alerts: Vec<&Alert> = r.alerts().collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].id, alerts[1].id);
}

/// Renders `$labels.<name>` for texts of the form `$labels.<name>`, to show what templates see.
struct LabelEcho;
impl Templater for LabelEcho {
    fn render(&self, _: &str, text: &str, input: &TemplateInput<'_>) -> Result<String, String> {
        Ok(match text.strip_prefix("$labels.") {
            Some(name) => input.labels.get(name).cloned().unwrap_or_default(),
            None => text.to_string(),
        })
    }
}

#[test]
fn templates_see_the_results_own_labels_including_the_metric_name() {
    let mut s = settings(0, 0);
    s.labels = from_pairs(&[("job", "override"), ("source", "$labels.job")]).into();
    s.annotations = from_pairs(&[("metric", "$labels.__name__"), ("job", "$labels.job")]).into();
    let mut r = AlertingRule::new(s);
    r.eval(M, Ok(&result(&["a"])), &LabelEcho);
    let a = r.alerts().next().expect("alert");
    assert_eq!(
        &a.labels["source"], "node",
        "label templates see the result's job, not the rule's"
    );
    assert_eq!(&a.annotations["metric"], "up");
    assert_eq!(&a.annotations["job"], "node");
}
