//! `tocsin run`, the real binary, with `-remoteWrite.queuePath` against real victoria-metrics 1.79: the write path
//! is cut (a gate answering 503), tocsin is SIGKILLed mid-outage and started again on the same queue directory,
//! then writes are let through, and every timestamp of the recording rule that either process evaluated must be
//! in VictoriaMetrics. The expected timestamps come from the schedule (one evaluation per interval, aligned), not
//! from tocsin's output.

mod peers;

use peers::{Gate, Vm, now_ms, poll};
use std::collections::BTreeSet;
use std::time::Duration;

const INTERVAL_MS: i64 = 1000;
const RULES: &str = "groups:\n  - name: durable\n    interval: 1s\n    rules:\n      - record: tocsin_durable_one\n        expr: vector(1)\n";

fn args(rules: &std::path::Path, vm: &Vm, gate: &Gate, queue: &std::path::Path) -> Vec<String> {
    vec![
        "run".to_string(),
        format!("-rule={}", rules.display()),
        format!("-datasource.url={}", vm.url()),
        format!("-remoteWrite.url={}", gate.url()),
        format!("-remoteWrite.queuePath={}", queue.display()),
        "-rule.evalDelay=0s".to_string(),
        "-remoteWrite.flushInterval=200ms".to_string(),
        "-remoteWrite.retryMinInterval=100ms".to_string(),
        // A memory queue would drop a batch after one second of failures.
        "-remoteWrite.retryMaxTime=1s".to_string(),
        "-httpListenAddr=127.0.0.1:0".to_string(),
    ]
}

/// Refused remote-write requests so far.
fn refused_writes(gate: &Gate) -> usize {
    gate.answered()
        .iter()
        .filter(|(r, s)| *s == 503 && r.target.ends_with("/api/v1/write"))
        .count()
}

/// The aligned timestamps in `[from, to]` missing from `have`.
fn missing(have: &BTreeSet<i64>, from: i64, to: i64) -> Vec<i64> {
    let first = from.div_euclid(INTERVAL_MS) * INTERVAL_MS;
    (0..)
        .map(|i| first + i * INTERVAL_MS)
        .take_while(|t| *t <= to)
        .filter(|t| *t >= from && !have.contains(t))
        .collect()
}

async fn stored(vm: &Vm) -> BTreeSet<i64> {
    vm.export("tocsin_durable_one")
        .await
        .iter()
        .flat_map(|s| s.points.iter().map(|(t, _)| *t))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_recording_sample_is_lost_through_an_outage_and_a_sigkill() {
    let vm = Vm::start(&[]).await;
    let gate = Gate::start(vm.url()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = peers::write_file(dir.path(), "rules.yml", RULES);
    let queue = dir.path().join("rw-queue");
    let args = args(&rules, &vm, &gate, &queue);

    let mut first = peers::tocsin("tocsin-1", &args);
    let before = poll(
        Duration::from_secs(20),
        "samples written while VM is up",
        || async {
            let have = stored(&vm).await;
            (have.len() >= 2).then_some(have)
        },
    )
    .await;
    let first_ts = *before.first().expect("a sample");

    // The outage: every write answers 503 from now on.
    gate.set_open(false);
    let closed_at = now_ms();
    poll(
        Duration::from_secs(30),
        "tocsin-1 retrying through the outage",
        || async { (refused_writes(&gate) >= 6 && now_ms() - closed_at >= 5000).then_some(()) },
    )
    .await;
    first.kill();
    let killed_at = now_ms();

    let refused = refused_writes(&gate);
    let mut second = peers::tocsin("tocsin-2", &args);
    let second_started = now_ms();
    poll(
        Duration::from_secs(30),
        "tocsin-2 retrying through the outage",
        || async {
            (refused_writes(&gate) >= refused + 3 && now_ms() - second_started >= 3000)
                .then_some(())
        },
    )
    .await;
    let during = stored(&vm).await;
    let leaked: Vec<&i64> = during
        .iter()
        .filter(|t| **t > closed_at + INTERVAL_MS)
        .collect();
    assert!(
        leaked.is_empty(),
        "nothing gets through a closed gate: {leaked:?}"
    );

    gate.set_open(true);
    let opened_at = now_ms();
    // tocsin-1 evaluated every second from its first sample until it was killed (its last evaluation may have
    // been cut short by the kill); tocsin-2 from its first evaluation on.
    let have = poll(
        Duration::from_secs(30),
        "the backlog in VictoriaMetrics",
        || async {
            let have = stored(&vm).await;
            let second_first = have.range(killed_at..).next().copied()?;
            let ok = missing(&have, first_ts, killed_at - 1500).is_empty()
                && missing(&have, second_first, opened_at + 2000).is_empty();
            ok.then_some(have)
        },
    )
    .await;
    second.terminate(Duration::from_secs(15));

    assert!(
        have.iter().all(|t| t % INTERVAL_MS == 0),
        "aligned: {have:?}"
    );
    let outage: Vec<&i64> = have.range(closed_at + INTERVAL_MS..opened_at).collect();
    assert!(
        outage.len() >= 5,
        "samples evaluated during the outage by both processes reached VM: {outage:?}"
    );
    let second_first = *have.range(killed_at..).next().expect("tocsin-2 samples");
    assert!(
        second_first <= second_started + 3000,
        "tocsin-2's first evaluations ({second_first}, started {second_started}) are there too"
    );
    // The outage lasted at least 5 s before the kill, so tocsin-1 evaluated several times into a closed gate;
    // `missing` above found all of those in VM.
    assert!(
        have.range(closed_at + INTERVAL_MS..killed_at - 1500)
            .count()
            >= 2,
        "tocsin-1's outage samples survived the SIGKILL: closed {closed_at}, killed {killed_at}, {have:?}"
    );
}
