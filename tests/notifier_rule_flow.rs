//! The path a group runner takes, end to end against a real Alertmanager 0.25: the production alerting state
//! machine decides what is due, the notifier sends it, and the rule is marked sent only when every peer accepted.

mod common_am;

use common_am::{Alertmanager, now_ms, parse_ms};
use serde_json::json;
use tocsin::notifier::{DefaultAlertSource, Fanout, PayloadContext, SendReport, resolve_after_ms};
use tocsin::rule::labels::from_pairs;
use tocsin::rule::{
    AlertState, AlertingRule, AlertingSettings, QueryResult, QuerySample, VerbatimTemplater,
};

const INTERVAL: i64 = 30_000;

fn rule() -> AlertingRule {
    AlertingRule::new(AlertingSettings {
        name: "TocsinFlowDown".into(),
        group_name: "nodes".into(),
        group_id: 11,
        expr: "up == 0".into(),
        for_ms: INTERVAL,
        keep_firing_for_ms: 0,
        labels: from_pairs(&[("severity", "page")]).into(),
        annotations: from_pairs(&[("summary", "host down")]).into(),
        alertgroup_label: true,
        limit: 0,
        label_conflict: tocsin::rule::labels::LabelConflict::Export,
    })
}

fn down(instances: &[&str]) -> QueryResult {
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

/// Sends what is due at `now` and marks it sent when every peer accepted; returns the report.
async fn notify(
    rule: &mut AlertingRule,
    notifier: &Fanout,
    now: i64,
    resend_ms: i64,
) -> SendReport {
    let source = DefaultAlertSource {
        external_url: "http://tocsin:8880".to_string(),
    };
    let ctx = PayloadContext {
        now_ms: now,
        resolve_after_ms: resolve_after_ms(INTERVAL, resend_ms, 0),
        group_id: rule.settings.group_id,
        source: &source,
    };
    let due = rule.due_for_sending(now, resend_ms);
    let due_refs: Vec<&tocsin::rule::Alert> = due.iter().map(|a| a.as_ref()).collect();
    let report = notifier.send(&due_refs, &ctx, &[]).await;
    let sent: Vec<(tocsin::rule::PackedLabels, AlertState)> =
        due.iter().map(|a| (a.labels.clone(), a.state)).collect();
    if report.all_ok() {
        for (labels, state) in &sent {
            rule.mark_sent(labels, *state, now);
        }
    }
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_is_never_sent_firing_is_listed_and_the_resolve_removes_it() {
    let am = Alertmanager::spawn(None);
    am.wait_ready().await;
    let notifier = Fanout::from_settings(&[tocsin::notifier::AlertmanagerSettings::new(am.url())])
        .expect("notifier");
    let mut rule = rule();
    let t0 = now_ms() - 4 * INTERVAL;
    let resend = 60_000;

    // Pending: nothing due, nothing sent.
    rule.eval(t0, Ok(&down(&["h1"])), &VerbatimTemplater);
    let report = notify(&mut rule, &notifier, t0 + 1, resend).await;
    assert!(report.peers.is_empty());

    // Firing: sent, listed with startsAt = the firing evaluation and endsAt = send time + 4 intervals.
    let fired = t0 + INTERVAL;
    rule.eval(fired, Ok(&down(&["h1"])), &VerbatimTemplater);
    let now = now_ms();
    let report = notify(&mut rule, &notifier, now, resend).await;
    assert!(report.all_ok(), "{report:?}");
    let listed = am.wait_alerts("TocsinFlowDown", 10, |l| l.len() == 1).await;
    assert_eq!(
        listed[0]["labels"],
        json!({"alertname": "TocsinFlowDown", "alertgroup": "nodes", "instance": "h1", "job": "node", "severity": "page"})
    );
    assert_eq!(listed[0]["annotations"], json!({"summary": "host down"}));
    assert_eq!(parse_ms(&listed[0]["startsAt"]), fired);
    assert_eq!(parse_ms(&listed[0]["endsAt"]), now + 4 * resend);

    // Marked sent: not due again before -rule.resendDelay has passed.
    assert!(rule.due_for_sending(now + 1, resend).is_empty());
    assert_eq!(rule.due_for_sending(now + resend + 1, resend).len(), 1);

    // Resolved: due at once (its state changed), sent with endsAt = the resolve evaluation, gone from the listing.
    let resolved = t0 + 2 * INTERVAL;
    rule.eval(resolved, Ok(&down(&[])), &VerbatimTemplater);
    let due = rule.due_for_sending(now + 2, resend);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].ends_at(now + 2, 0), resolved);
    let report = notify(&mut rule, &notifier, now + 2, resend).await;
    assert!(report.all_ok(), "{report:?}");
    am.wait_alerts("TocsinFlowDown", 10, |l| l.is_empty()).await;
    assert!(rule.due_for_sending(now + 3, resend).is_empty());
}

#[tokio::test]
async fn a_failed_send_leaves_the_alert_due() {
    // A peer that is down: the report has its error, the alert is not marked, the next evaluation sends it again.
    let notifier = Fanout::from_settings(&[tocsin::notifier::AlertmanagerSettings::new(
        common_am::fake::closed_port_url(),
    )])
    .expect("notifier");
    let mut rule = rule();
    let t0 = now_ms();
    rule.eval(t0, Ok(&down(&["h1"])), &VerbatimTemplater);
    rule.eval(t0 + INTERVAL, Ok(&down(&["h1"])), &VerbatimTemplater);
    let report = notify(&mut rule, &notifier, t0 + INTERVAL, 60_000).await;
    assert!(!report.any_ok());
    assert_eq!(rule.due_for_sending(t0 + INTERVAL + 1, 60_000).len(), 1);
}
