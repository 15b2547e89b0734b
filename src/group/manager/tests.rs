//! Reloads on tokio's paused clock: what keeps its state, what is resolved, what stops.

use super::*;
use crate::group::runner::TokioClock;
use crate::group::testkit::{Recorder, Scripted, series};
use crate::rule::{AlertState, VerbatimTemplater};
use std::sync::atomic::Ordering;
use std::time::Duration;

const START: i64 = 1_700_049_600_000;

fn groups(text: &str) -> Vec<Group> {
    let f = crate::config::load_text_with_env(
        "rules.yml",
        text,
        &crate::config::LoadOptions::default(),
        |_| None,
    );
    assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
    f.groups
}

const V1: &str = "groups:\n- name: g\n  interval: 10s\n  rules:\n  - alert: Kept\n    expr: a\n    for: 30s\n    annotations: {summary: one}\n  - alert: Changed\n    expr: b\n";
// `Kept` only changes an annotation (same identity); `Changed` gets a new expression (a new identity).
const V2: &str = "groups:\n- name: g\n  interval: 10s\n  rules:\n  - alert: Kept\n    expr: a\n    for: 30s\n    annotations: {summary: two}\n  - alert: Changed\n    expr: b2\n";

fn manager() -> (Manager, Arc<Scripted>, Arc<Recorder>, Arc<StateRegistry>) {
    let q = Arc::new(Scripted::default());
    q.set("a", series(&[&[("x", "1")]], 1.0));
    q.set("b", series(&[&[("y", "1")]], 1.0));
    q.set("b2", series(&[&[("y", "1")]], 1.0));
    let out = Arc::new(Recorder::default());
    out.accept.store(true, Ordering::SeqCst);
    let registry = Arc::new(StateRegistry::new());
    let deps = Deps {
        querier: q.clone(),
        outputs: out.clone(),
        clock: Arc::new(TokioClock::starting_at(START)),
        settings: RunnerSettings::default(),
        eval_delay_ms: 0,
        max_start_delay_ms: 0,
        registry: registry.clone(),
    };
    (
        Manager::new(deps, Arc::new(VerbatimTemplater)),
        q,
        out,
        registry,
    )
}

/// (state, active_at) of the only alert of the rule named `name`.
fn alert_of(registry: &StateRegistry, name: &str) -> Option<(AlertState, i64)> {
    let g = registry.groups().into_iter().next()?;
    let i = g.group.rules.iter().position(|r| r.name() == name)?;
    let a = g.rules[i].alerts.first()?;
    Some((a.state, a.active_at))
}

#[tokio::test(start_paused = true)]
async fn reload_keeps_unchanged_rules_and_resolves_changed_ones() {
    let (mut m, _q, out, registry) = manager();
    let c = m.apply(groups(V1), None, &Restore::default()).await;
    assert_eq!(
        c,
        Ok(Change {
            started: 1,
            ..Change::default()
        })
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (state, active_at) = alert_of(&registry, "Kept").expect("Kept has an alert");
    assert_eq!(state, AlertState::Firing);
    let iterations = registry.groups()[0].iterations;
    assert!(iterations >= 5, "{iterations}");

    out.notified.lock().expect("lock").clear();
    let c = m.apply(groups(V2), None, &Restore::default()).await;
    assert_eq!(
        c,
        Ok(Change {
            restarted: 1,
            ..Change::default()
        })
    );
    // The changed rule's alert was resolved at once, not left to expire.
    let resolved: Vec<(String, AlertState)> = out
        .notified
        .lock()
        .expect("lock")
        .iter()
        .flat_map(|b| b.alerts.iter().map(|a| (b.rule_name.clone(), a.state)))
        .collect();
    assert_eq!(
        resolved,
        vec![("Changed".to_string(), AlertState::Inactive)]
    );
    tokio::time::sleep(Duration::from_secs(30)).await;
    // The kept rule is still firing since the same moment; its new annotation is in use.
    assert_eq!(
        alert_of(&registry, "Kept"),
        Some((AlertState::Firing, active_at))
    );
    let g = registry.groups()[0].clone();
    assert!(
        g.iterations > iterations,
        "history and counters carried over"
    );
    assert_eq!(g.rules[0].alerts[0].annotations.get("summary"), Some("two"));
    // The changed rule starts over.
    let (_, new_active) = alert_of(&registry, "Changed").expect("new alert");
    assert!(new_active > active_at);
    m.stop_all().await;
}

#[tokio::test(start_paused = true)]
async fn an_unchanged_rule_set_restarts_nothing_and_a_bad_one_changes_nothing() {
    let (mut m, _q, _out, registry) = manager();
    m.apply(groups(V1), None, &Restore::default())
        .await
        .expect("start");
    tokio::time::sleep(Duration::from_secs(25)).await;
    let before = registry.groups()[0].iterations;
    assert_eq!(
        m.apply(groups(V1), None, &Restore::default()).await,
        Ok(Change {
            unchanged: 1,
            ..Change::default()
        })
    );
    let mut twice = groups(V1);
    twice.extend(groups(V2));
    let err = m
        .apply(twice, None, &Restore::default())
        .await
        .expect_err("duplicate group");
    assert!(err.contains("defined twice"), "{err}");
    tokio::time::sleep(Duration::from_secs(25)).await;
    assert!(registry.groups()[0].iterations > before, "still running");
    assert_eq!(m.len(), 1);
    m.stop_all().await;
}

#[tokio::test(start_paused = true)]
async fn a_removed_group_resolves_its_alerts_and_leaves_the_registry() {
    let (mut m, _q, out, registry) = manager();
    m.apply(groups(V1), None, &Restore::default())
        .await
        .expect("start");
    tokio::time::sleep(Duration::from_secs(60)).await;
    out.notified.lock().expect("lock").clear();
    out.written.lock().expect("lock").clear();
    let c = m.apply(Vec::new(), None, &Restore::default()).await;
    assert_eq!(
        c,
        Ok(Change {
            stopped: 1,
            ..Change::default()
        })
    );
    let mut resolved: Vec<String> = out
        .notified
        .lock()
        .expect("lock")
        .iter()
        .flat_map(|b| {
            b.alerts
                .iter()
                .filter(|a| a.state == AlertState::Inactive)
                .map(|a| a.labels["alertname"].to_string())
        })
        .collect();
    resolved.sort();
    assert_eq!(resolved, vec!["Changed", "Kept"]);
    let stale = out
        .written
        .lock()
        .expect("lock")
        .iter()
        .filter(|s| s.is_stale())
        .count();
    assert_eq!(stale, 4, "ALERTS and ALERTS_FOR_STATE of both alerts");
    assert!(registry.groups().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_sibling_state_brings_firing_alerts_back_firing() {
    let (mut m, _q, out, registry) = manager();
    let g = groups(V1);
    let rule_id = g[0].rules[0].id;
    let mut labels = crate::rule::Labels::new();
    for (k, v) in [("alertgroup", "g"), ("alertname", "Kept"), ("x", "1")] {
        labels.insert(k.into(), v.into());
    }
    let alert = Alert {
        id: 0,
        labels: labels.into(),
        annotations: Default::default(),
        state: AlertState::Firing,
        value: 1.0,
        active_at: START - 3_600_000,
        fired_at: Some(START - 3_570_000),
        resolved_at: None,
        keep_firing_since: None,
        last_sent: crate::rule::alert::LastSent::new(Some((START - 1_000, AlertState::Firing))),
        restored: false,
    };
    let restore = Restore {
        sibling: Some(HashMap::from([(
            g[0].id,
            HashMap::from([(rule_id, vec![alert])]),
        )])),
        ..Restore::default()
    };
    m.apply(g, None, &restore).await.expect("start");
    tokio::time::sleep(Duration::from_secs(11)).await;
    // Firing from the first evaluation on, with the sibling's times: never pending, never a second startsAt.
    let first = out
        .notified
        .lock()
        .expect("lock")
        .iter()
        .find(|b| b.rule_name == "Kept")
        .map(|b| (b.alerts[0].state, b.alerts[0].fired_at))
        .expect("Kept sent");
    assert_eq!(first, (AlertState::Firing, Some(START - 3_570_000)));
    assert_eq!(
        alert_of(&registry, "Kept"),
        Some((AlertState::Firing, START - 3_600_000))
    );
    m.stop_all().await;
}

#[tokio::test(start_paused = true)]
async fn for_state_read_back_from_the_datasource_fires_at_the_first_evaluation() {
    let (mut m, q, out, registry) = manager();
    let hour_ago = START - 3_600_000;
    q.set(
        "last_over_time(ALERTS_FOR_STATE{alertname=\"Kept\",alertgroup=\"g\"}[1h])",
        series(
            &[&[
                ("__name__", "ALERTS_FOR_STATE"),
                ("alertgroup", "g"),
                ("alertname", "Kept"),
                ("x", "1"),
            ]],
            hour_ago as f64 / 1000.0,
        ),
    );
    let restore = Restore {
        remote_read: Some(q.clone()),
        lookback_ms: 3_600_000,
        ..Restore::default()
    };
    m.apply(groups(V1), None, &restore).await.expect("start");
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(
        alert_of(&registry, "Kept"),
        Some((AlertState::Firing, hour_ago)),
        "active for an hour already: firing at once, not pending for 30s"
    );
    let states: Vec<AlertState> = out
        .notified
        .lock()
        .expect("lock")
        .iter()
        .filter(|b| b.rule_name == "Kept")
        .flat_map(|b| b.alerts.iter().map(|a| a.state))
        .collect();
    assert_eq!(states.first(), Some(&AlertState::Firing));
    m.stop_all().await;
}
