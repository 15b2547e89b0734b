//! tocsin's own alert about a datasource a group cannot reach, `TocsinDatasourceUnreachable`: it fires while every
//! query of the group's evaluation failed and at least one failure was retryable (network, 5xx, 429: the
//! datasource, not a bad expression), and resolves at the first evaluation with a successful query.
//!
//! It runs on the ordinary alerting state machine, fed a one-series result while the outage lasts, so it is sent,
//! re-sent and resolved exactly like a rule's alert. Its labels name the group and the datasource and carry no
//! replica identity, so every replica sends the same alert and Alertmanager merges them. Its `ALERTS` series are
//! not written (the datasource is what is failing). Pure.

use crate::config::Group;
use crate::datasource::QueryError;
use crate::rule::alerting::{AlertingRule, AlertingSettings, VerbatimTemplater};
use crate::rule::labels::{self, Labels};
use crate::rule::{Alert, QueryResult, QuerySample};

/// The alert's name.
pub const ALERT_NAME: &str = "TocsinDatasourceUnreachable";

/// The outage rule of `group`, for the datasource shown as `datasource`.
pub fn rule(group: &Group, datasource: &str, external: &Labels) -> AlertingRule {
    let mut own = Labels::new();
    own.insert("severity".to_string(), "critical".to_string());
    own.insert("datasource".to_string(), datasource.to_string());
    let mut annotations = Labels::new();
    annotations.insert(
        "summary".to_string(),
        format!(
            "tocsin cannot query {datasource} for group {:?}",
            group.name
        ),
    );
    annotations.insert(
        "description".to_string(),
        "Every query of the group's last evaluation failed with a network error, a 5xx or a 429. Its rules are not \
         evaluated; firing alerts are held for -rule.holdOnError."
            .to_string(),
    );
    AlertingRule::new(AlertingSettings {
        name: ALERT_NAME.to_string(),
        group_name: group.name.clone(),
        group_id: group.id,
        expr: String::new(),
        for_ms: 0,
        keep_firing_for_ms: 0,
        labels: crate::rule::PackedLabels::new(&labels::merge(&[external, &group.labels, &own])),
        annotations: crate::rule::PackedLabels::new(&annotations),
        alertgroup_label: true,
        limit: 0,
        label_conflict: labels::LabelConflict::Export,
    })
}

/// The first error of an evaluation in outage (every query failed, one of them retryable), or `None`.
pub fn detect<'a, T: 'a>(
    results: impl Iterator<Item = &'a Result<T, QueryError>> + Clone,
) -> Option<String> {
    let mut any = false;
    let mut retryable = None;
    for r in results {
        any = true;
        match r {
            Ok(_) => return None,
            Err(e @ QueryError::Retryable(_)) => {
                retryable.get_or_insert_with(|| e.to_string());
            }
            Err(QueryError::Permanent(_)) => {}
        }
    }
    if any { retryable } else { None }
}

/// Moves the outage alert at evaluation time `ts` and returns what is due for sending at `now`.
pub fn eval(
    rule: &mut AlertingRule,
    ts: i64,
    now: i64,
    error: Option<&str>,
    resend_delay_ms: i64,
) -> Vec<std::sync::Arc<Alert>> {
    let samples = match error {
        Some(_) => vec![QuerySample {
            labels: Default::default(),
            value: 1.0,
            timestamp_ms: ts,
        }],
        None => Vec::new(),
    };
    let result = QueryResult {
        samples,
        ..QueryResult::default()
    };
    // The outcome's samples (ALERTS series) are dropped on purpose: see the module doc.
    let _ = rule.eval(ts, Ok(&result), &VerbatimTemplater);
    rule.due_for_sending(now, resend_delay_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::AlertState;

    fn group() -> Group {
        let loaded = crate::config::load_text(
            "r.yml",
            "groups:\n- name: g\n  labels: {team: a}\n  rules:\n  - record: r\n    expr: up\n",
            &crate::config::LoadOptions::default(),
        );
        loaded.groups.into_iter().next().expect("one group")
    }

    type R = Result<(), QueryError>;

    #[test]
    fn outage_means_every_query_failed_and_one_was_retryable() {
        let net = || -> R { Err(QueryError::Retryable("connection refused".into())) };
        let bad = || -> R { Err(QueryError::Permanent("bad expr".into())) };
        assert_eq!(
            detect([bad(), net()].iter()).as_deref(),
            Some("connection refused")
        );
        assert_eq!(
            detect([bad(), bad()].iter()),
            None,
            "bad rules are no outage"
        );
        assert_eq!(
            detect([Ok(()), net()].iter()),
            None,
            "one answer: reachable"
        );
        assert_eq!(detect(std::iter::empty::<&R>()), None);
    }

    #[test]
    fn fires_during_the_outage_and_resolves_once_after() {
        let g = group();
        let mut ext = Labels::new();
        ext.insert("cluster".into(), "c1".into());
        let mut rule = rule(&g, "http://vm:8428/", &ext);
        let sent = eval(&mut rule, 1_000, 1_000, Some("refused"), 0);
        assert_eq!(sent.len(), 1);
        let a = &sent[0];
        assert_eq!(a.state, AlertState::Firing, "fires at once");
        let l = |k: &str| a.labels.get(k);
        assert_eq!(l("alertname"), Some(ALERT_NAME));
        assert_eq!(l("alertgroup"), Some("g"));
        assert_eq!(l("datasource"), Some("http://vm:8428/"));
        assert_eq!(l("team"), Some("a"));
        assert_eq!(l("cluster"), Some("c1"));
        rule.mark_sent(&a.labels, a.state, 1_000);
        let sent = eval(&mut rule, 2_000, 2_000, None, 0);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].state, AlertState::Inactive);
        rule.mark_sent(&sent[0].labels, sent[0].state, 2_000);
        // A resolve is re-sent as vmalert does (every evaluation with no resend delay), but never as firing.
        let again = eval(&mut rule, 3_000, 3_000, None, 60_000);
        assert!(again.is_empty());
    }
}
