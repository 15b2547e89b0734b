//! The failure drill (issue #5 item 6): one stack per ruler under test (single-node VictoriaMetrics behind a
//! gate, three clustered Alertmanager peers notifying an in-process receiver, three replicas of the ruler), then
//! five phases one after another, each recorded separately:
//!
//! 0. settle; 1. rolling restart of every ruler replica (SIGKILL, start, wait until up);
//! 2. rolling restart of every Alertmanager peer (SIGKILL, start on the same ports and cluster peers, wait until
//!    it rejoined); 3. a VictoriaMetrics outage (gates answer 503 to queries and writes, or to writes only);
//! 4. a restart of every ruler replica during such an outage.
//!
//! The drill runs real processes over wall-clock time: its waits are the scenario, not a wait for a schedule. It
//! judges nothing itself; `figures` turns the records into numbers and `goals` says which must be 0.

pub mod figures;
pub mod goals;
pub mod report;
pub mod ruler;
pub mod rules;
pub mod settings;
pub mod watch;
pub mod webhook;

use crate::peers::{AmCluster, Gate, Vm, now_ms, write_file};
use figures::{Phase, Record};
use report::RunFigures;
use ruler::{Replica, RulerKind, Wiring};
use settings::DrillSettings;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub const REPLICAS: usize = 3;
pub const PEERS: usize = 3;

pub const PHASES: [&str; 5] = [
    "settle",
    "ruler rolling restart",
    "alertmanager rolling restart",
    "victoriametrics outage",
    "ruler restarts in outage",
];

/// Alertmanager configuration of peer `i`: every alert its own group, the drill's timers, the receiver.
pub fn am_config(s: &DrillSettings, receiver_url: &str) -> String {
    let ms = |d: Duration| format!("{}ms", d.as_millis());
    format!(
        "route:
  receiver: drill
  group_by: ['...']
  group_wait: {}
  group_interval: {}
  repeat_interval: {}
receivers:
  - name: drill
    webhook_configs:
      - url: {receiver_url}
        send_resolved: true
",
        ms(s.group_wait),
        ms(s.group_interval),
        ms(s.repeat_interval)
    )
}

fn log(kind: RulerKind, what: &str) {
    eprintln!(
        "[drill {} {}] {what}",
        chrono::Utc::now().format("%H:%M:%S"),
        kind.name()
    );
}

async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

/// Runs the whole drill against `kind` and returns its figures. Panics (with logs) when a process fails to start.
pub async fn run(kind: RulerKind, s: &DrillSettings) -> RunFigures {
    log(kind, &format!("starting; about {:?}", s.estimate()));
    let vm = Vm::start(&["-dedup.minScrapeInterval=1ms"]).await;
    let reads = Gate::start(vm.url()).await;
    let writes = Gate::start(vm.url()).await;
    let set_up = |up: bool| {
        writes.set_open(up);
        if s.outage_reads {
            reads.set_open(up);
        }
    };
    let receiver = webhook::Webhook::start().await;
    let seeded_at = now_ms();
    let horizon = seeded_at + 2 * s.estimate().as_millis() as i64 + 300_000;
    vm.seed(
        &rules::input_data(seeded_at - 120_000, horizon),
        "drill_input",
        seeded_at,
        2,
    )
    .await;
    let mut am = AmCluster::start_with(
        PEERS,
        |i| am_config(s, &receiver.url_for(i)),
        &[format!(
            "--cluster.peer-timeout={}ms",
            s.peer_timeout.as_millis()
        )],
    )
    .await;
    let am_urls = am.urls();
    let watch = watch::Watch::start(am_urls.clone(), s.poll_every);

    let dir = tempfile::tempdir().expect("tempdir");
    let rule_path = write_file(dir.path(), "drill.yml", &rules::rule_file(s));
    let ports = ruler::ports(REPLICAS);
    let (read_url, write_url) = (reads.url(), writes.url());
    let wiring = Wiring {
        rules: &rule_path,
        vm: &read_url,
        write: &write_url,
        alertmanagers: &am_urls,
        ports: &ports,
        flush_interval: (s.interval / 2).min(Duration::from_secs(1)),
    };
    let extra = match kind {
        RulerKind::Tocsin => &s.tocsin_flags,
        RulerKind::Vmalert => &s.vmalert_flags,
    };
    let mut phases: Vec<Phase> = Vec::new();
    let mut outages: Vec<(i64, i64)> = Vec::new();
    let begin = |name: &str, phases: &mut Vec<Phase>| {
        let t = now_ms();
        if let Some(p) = phases.last_mut() {
            p.end_ms = t;
        }
        phases.push(Phase {
            name: name.to_string(),
            start_ms: t,
            end_ms: i64::MAX,
        });
        log(kind, &format!("phase {}: {name}", phases.len() - 1));
    };

    // Phase 0 starts with the replicas, so that their first notifications count in it.
    begin(PHASES[0], &mut phases);
    let mut replicas = Vec::with_capacity(REPLICAS);
    for i in 0..REPLICAS {
        replicas.push(Replica::start(kind, i, &wiring, extra).await);
    }
    let evals_from_ms = now_ms();
    sleep(s.settle).await;

    begin(PHASES[1], &mut phases);
    let watch_from_ms = now_ms();
    for r in &mut replicas {
        r.kill();
        r.start_again().await;
        sleep(s.restart_gap).await;
    }

    begin(PHASES[2], &mut phases);
    for i in 0..PEERS {
        watch.set_live(i, false);
        am.peers[i].proc.kill();
        am.peers[i].proc.start_again();
        am.wait_ready(i, Duration::from_secs(60)).await;
        watch.set_live(i, true);
        sleep(s.restart_gap).await;
    }

    begin(PHASES[3], &mut phases);
    set_up(false);
    let down = now_ms();
    sleep(s.outage).await;
    set_up(true);
    outages.push((down, now_ms()));
    sleep(s.recovery).await;

    begin(PHASES[4], &mut phases);
    set_up(false);
    let down = now_ms();
    let step = s.outage / (REPLICAS as u32 + 1);
    for r in &mut replicas {
        sleep(step).await;
        r.kill();
        r.start_again().await;
    }
    let left = s
        .outage
        .saturating_sub(Duration::from_millis((now_ms() - down) as u64));
    sleep(left).await;
    set_up(true);
    outages.push((down, now_ms()));
    sleep(s.recovery).await;

    let evals_to_ms = now_ms();
    if let Some(p) = phases.last_mut() {
        p.end_ms = evals_to_ms;
    }
    for r in &mut replicas {
        r.assert_running();
    }
    log(kind, "phases done; reading the records");
    // Let the last evaluations reach VictoriaMetrics and the last notifications the receiver.
    sleep(s.interval + Duration::from_secs(3)).await;
    let mut recorded = BTreeMap::new();
    for name in rules::RECORDS {
        let ts: BTreeSet<i64> = vm
            .export(name)
            .await
            .iter()
            .flat_map(|e| e.points.iter().filter(|p| p.1.is_some()).map(|p| p.0))
            .collect();
        recorded.insert(name.to_string(), ts);
    }
    for mut r in replicas {
        r.kill();
    }
    let notifications = receiver.notifications();
    let observations = watch.observations();
    drop(am);
    // Evaluations due while queries failed cannot have happened; a write-only outage excuses nothing.
    if !s.outage_reads {
        outages.clear();
    }
    let record = Record {
        settings: s,
        phases: &phases,
        evals_from_ms,
        evals_to_ms,
        outages: &outages,
        notifications: &notifications,
        observations: &observations,
        watch_from_ms,
        recorded: &recorded,
    };
    log(kind, "done");
    RunFigures {
        ruler: kind.name().to_string(),
        phases: figures::compute(&record),
        timeline: figures::timeline(&record, evals_from_ms),
    }
}
