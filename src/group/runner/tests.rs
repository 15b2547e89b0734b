//! The group loop driven by a scripted querier, recording outputs and tokio's paused clock.

use super::*;
use crate::group::schedule::{DEFAULT_EVAL_DELAY_MS, DEFAULT_MAX_START_DELAY_MS};
use crate::group::testkit::{Recorder, Scripted, group, series};
use crate::rule::labels::from_pairs;
use crate::rule::{AlertState, VerbatimTemplater};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

const M: i64 = 60_000;
const START: i64 = 1_700_049_600_000; // a multiple of one minute

const RULES: &str = "groups:\n- name: nodes\n  interval: 1m\n  concurrency: 2\n  labels: {team: infra}\n  notifier_headers: [\"X-Team: infra\"]\n  rules:\n  - alert: HostDown\n    expr: up == 0\n    labels: {severity: page}\n  - record: job:up:sum\n    expr: sum by (job) (up)\n  - alert: Other\n    expr: other\n";

fn runner(q: Arc<Scripted>, out: Arc<Recorder>, settings: RunnerSettings) -> GroupRunner {
    let g = group(RULES);
    let schedule = GroupSchedule::new(&g, DEFAULT_EVAL_DELAY_MS, DEFAULT_MAX_START_DELAY_MS)
        .expect("schedule");
    GroupRunner::new(
        g,
        schedule,
        q,
        out,
        Arc::new(VerbatimTemplater),
        Arc::new(TokioClock::starting_at(START)),
        settings,
    )
}

#[tokio::test(start_paused = true)]
async fn one_evaluation_writes_notifies_and_marks_sent_only_on_success() {
    let q = Arc::new(Scripted::default());
    q.set(
        "up == 0",
        series(
            &[&[("__name__", "up"), ("instance", "a"), ("job", "node")]],
            0.0,
        ),
    );
    q.set("sum by (job) (up)", series(&[&[("job", "node")]], 3.0));
    let out = Arc::new(Recorder::default());
    let settings = RunnerSettings {
        external_labels: from_pairs(&[("cluster", "eu")]),
        ..RunnerSettings::default()
    };
    let mut r = runner(q.clone(), out.clone(), settings);

    let report = r.eval_at(START + 17_000).await;
    assert_eq!(
        report.query_time_ms,
        START - M,
        "tick 17s past the minute, 30s delay, aligned to 1m"
    );
    assert!(
        q.seen
            .lock()
            .expect("lock")
            .iter()
            .all(|(_, t)| *t == START - M)
    );
    assert_eq!(
        report
            .rules
            .iter()
            .map(|e| e.error.clone())
            .collect::<Vec<_>>(),
        vec![None, None, None]
    );

    let written = out.written.lock().expect("lock").clone();
    let names: Vec<String> = written
        .iter()
        .map(|s| s.labels["__name__"].to_string())
        .collect();
    assert_eq!(names, vec!["ALERTS", "ALERTS_FOR_STATE", "job:up:sum"]);
    assert_eq!(
        written[2].labels,
        from_pairs(&[
            ("__name__", "job:up:sum"),
            ("cluster", "eu"),
            ("job", "node"),
            ("team", "infra")
        ])
    );
    let batches = out.notified.lock().expect("lock").clone();
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    assert_eq!(
        (b.rule_name.as_str(), b.resolve_after_ms),
        ("HostDown", 4 * M)
    );
    assert_eq!(b.headers, vec![("X-Team".to_string(), "infra".to_string())]);
    assert_eq!(
        b.alerts[0].labels,
        from_pairs(&[
            ("alertgroup", "nodes"),
            ("alertname", "HostDown"),
            ("cluster", "eu"),
            ("instance", "a"),
            ("job", "node"),
            ("severity", "page"),
            ("team", "infra"),
        ])
    );
    // The notifier refused: the alert was not marked sent.
    let RuleState::Alerting(rule) = &r.rules()[0] else {
        panic!("alerting")
    };
    assert_eq!(rule.alerts().next().map(|a| a.last_sent.get()), Some(None));

    out.accept.store(true, Ordering::SeqCst);
    r.eval_at(START + M + 17_000).await;
    let RuleState::Alerting(rule) = &r.rules()[0] else {
        panic!("alerting")
    };
    assert_eq!(
        rule.alerts()
            .next()
            .and_then(|a| a.last_sent.get())
            .map(|(_, s)| s),
        Some(AlertState::Firing)
    );
    assert!(
        q.max_in_flight.load(Ordering::SeqCst) >= 2,
        "concurrency 2 runs queries in parallel"
    );
}

#[tokio::test(start_paused = true)]
async fn a_query_error_writes_and_sends_nothing_for_that_rule() {
    let q = Arc::new(Scripted::default());
    q.set("up == 0", series(&[&[("instance", "a")]], 0.0));
    let out = Arc::new(Recorder::default());
    out.accept.store(true, Ordering::SeqCst);
    let mut r = runner(q.clone(), out.clone(), RunnerSettings::default());
    r.eval_at(START).await;
    let before_written = out.written.lock().expect("lock").len();
    let before_sent = out.notified.lock().expect("lock").len();
    q.set(
        "up == 0",
        Err(QueryError::Retryable("connection refused".into())),
    );
    let report = r.eval_at(START + M).await;
    assert_eq!(
        report.rules[0].error.as_deref(),
        Some("query failed: connection refused")
    );
    let written = out.written.lock().expect("lock");
    assert!(
        written[before_written..]
            .iter()
            .all(|s| &s.labels["__name__"] == "job:up:sum")
    );
    assert_eq!(out.notified.lock().expect("lock").len(), before_sent);
    let RuleState::Alerting(rule) = &r.rules()[0] else {
        panic!("alerting")
    };
    assert_eq!(
        rule.alerts().next().map(|a| a.state),
        Some(AlertState::Firing),
        "state untouched"
    );
}

#[tokio::test(start_paused = true)]
async fn the_loop_evaluates_at_each_tick_and_stops_on_shutdown() {
    let q = Arc::new(Scripted::default());
    let out = Arc::new(Recorder::default());
    let r = runner(q.clone(), out.clone(), RunnerSettings::default());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let seen = ticks.clone();
    let task = tokio::spawn(r.run(stopped, move |e| {
        seen.lock()
            .expect("lock")
            .push((e.tick_ms, e.query_time_ms))
    }));
    // Three intervals of paused time pass in a blink.
    tokio::time::sleep(std::time::Duration::from_millis(3 * M as u64 + 1)).await;
    stop.send(true).expect("send");
    task.await.expect("runner ends");
    let ticks = ticks.lock().expect("lock").clone();
    assert!(ticks.len() >= 2 && ticks.len() <= 3, "{ticks:?}");
    for w in ticks.windows(2) {
        assert_eq!(w[1].0 - w[0].0, M, "one tick per interval");
        assert_eq!(w[1].1 - w[0].1, M);
    }
    assert!(
        ticks.iter().all(|(_, ts)| ts.rem_euclid(M) == 0),
        "aligned query times"
    );
}

/// Alerts of the batches sent since `from`, as (rule, state) pairs.
fn sent_since(out: &Recorder, from: usize) -> Vec<(String, AlertState)> {
    out.notified.lock().expect("lock")[from..]
        .iter()
        .flat_map(|b| b.alerts.iter().map(|a| (b.rule_name.clone(), a.state)))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn failing_queries_hold_firing_alerts_for_the_hold_time_and_raise_the_outage_alert() {
    let q = Arc::new(Scripted::default());
    q.set("up == 0", series(&[&[("instance", "a")]], 0.0));
    let out = Arc::new(Recorder::default());
    out.accept.store(true, Ordering::SeqCst);
    let settings = RunnerSettings {
        hold_on_error_ms: 3 * M,
        datasource_alert: Some("http://vm:8428/".into()),
        ..RunnerSettings::default()
    };
    let mut r = runner(q.clone(), out.clone(), settings);
    r.eval_at(START).await;
    assert_eq!(
        sent_since(&out, 0),
        vec![("HostDown".to_string(), AlertState::Firing)]
    );
    let down = || Err(QueryError::Retryable("connection refused".into()));
    for expr in ["up == 0", "sum by (job) (up)", "other"] {
        q.set(expr, down());
    }
    let outage = super::OUTAGE_ALERT_NAME.to_string();
    for k in 1..=5 {
        tokio::time::advance(std::time::Duration::from_millis(M as u64)).await;
        let from = out.notified.lock().expect("lock").len();
        r.eval_at(START + k * M).await;
        let sent = sent_since(&out, from);
        // Failing since START + 1m: held while now - since <= 3m, i.e. up to k = 4.
        let held = sent.contains(&("HostDown".to_string(), AlertState::Firing));
        assert_eq!(held, k <= 4, "k={k}: {sent:?}");
        assert!(
            sent.contains(&(outage.clone(), AlertState::Firing)),
            "k={k}: {sent:?}"
        );
    }
    q.set("up == 0", series(&[&[("instance", "a")]], 0.0));
    tokio::time::advance(std::time::Duration::from_millis(M as u64)).await;
    let from = out.notified.lock().expect("lock").len();
    r.eval_at(START + 6 * M).await;
    let sent = sent_since(&out, from);
    assert!(sent.contains(&("HostDown".to_string(), AlertState::Firing)));
    assert!(
        sent.contains(&(outage.clone(), AlertState::Inactive)),
        "resolved on recovery: {sent:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_bad_expression_is_not_an_outage() {
    let q = Arc::new(Scripted::default());
    for expr in ["up == 0", "sum by (job) (up)", "other"] {
        q.set(expr, Err(QueryError::Permanent("bad expression".into())));
    }
    let out = Arc::new(Recorder::default());
    out.accept.store(true, Ordering::SeqCst);
    let settings = RunnerSettings {
        datasource_alert: Some("http://vm:8428/".into()),
        ..RunnerSettings::default()
    };
    let mut r = runner(q, out.clone(), settings);
    r.eval_at(START).await;
    assert!(sent_since(&out, 0).is_empty());
}

#[tokio::test(start_paused = true)]
async fn history_keeps_each_rules_limit_and_one_copy_of_a_repeated_error() {
    let g = group(
        "groups:\n- name: g\n  interval: 1m\n  rules:\n  - alert: Down\n    expr: up == 0\n    update_entries_limit: 2\n  - record: r\n    expr: sum(up)\n",
    );
    let schedule = GroupSchedule::new(&g, DEFAULT_EVAL_DELAY_MS, DEFAULT_MAX_START_DELAY_MS)
        .expect("schedule");
    let q = Arc::new(Scripted::default());
    q.set(
        "up == 0",
        Err(QueryError::Retryable("connection refused".into())),
    );
    q.set("sum(up)", series(&[&[("job", "a")], &[("job", "b")]], 1.0));
    let settings = RunnerSettings {
        update_entries_limit: 3,
        ..RunnerSettings::default()
    };
    let mut r = GroupRunner::new(
        g,
        schedule,
        q,
        Arc::new(Recorder::default()),
        Arc::new(VerbatimTemplater),
        Arc::new(TokioClock::starting_at(START)),
        settings,
    );
    let mut reports = Vec::new();
    for i in 0..4 {
        reports.push(r.eval_at(START + i * M).await);
        tokio::time::advance(std::time::Duration::from_secs(60)).await;
    }
    let snap = r.snapshot();
    let (down, recorded) = (&snap.rules[0].history, &snap.rules[1].history);
    assert_eq!(
        (down.len(), recorded.len()),
        (2, 3),
        "the rule's own limit, else the process's"
    );
    let stored: Vec<_> = recorded
        .iter()
        .map(|e| {
            (
                e.started_ms(),
                e.query_time_ms(),
                e.duration_ms(),
                e.samples(),
                e.series_fetched(),
                e.error(),
            )
        })
        .collect();
    let reported: Vec<_> = reports[1..]
        .iter()
        .map(|g| &g.rules[1])
        .map(|e| {
            (
                e.started_ms,
                e.query_time_ms,
                e.duration_ms,
                e.samples,
                e.series_fetched,
                e.error.as_deref(),
            )
        })
        .collect();
    assert_eq!(stored, reported);
    assert_eq!(stored[2].0, START + 3 * M, "the latest last");
    assert_eq!(stored[2].3, 2);
    let errors: Vec<&str> = down.iter().filter_map(|e| e.error()).collect();
    assert_eq!(errors, vec!["query failed: connection refused"; 2]);
    assert_eq!(
        errors[0].as_ptr(),
        errors[1].as_ptr(),
        "one copy of the repeated message"
    );
}
