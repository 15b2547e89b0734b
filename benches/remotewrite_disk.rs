//! The durable remote-write queue on the local disk: push throughput for recording-rule-shaped pushes, bytes per
//! sample on disk, drain (take + settle) throughput, and the time to reopen (scan) a queue after a restart.
//!
//! Run: `cargo bench --bench remotewrite_disk` (`RW_DISK_BENCH_PUSHES` sets the number of pushes, default 2000;
//! each push is 200 series of 8 labels at one timestamp). The queue lives in a temp dir under `TMPDIR`.

use std::sync::Arc;
use std::time::Instant;
use tocsin::remotewrite::stats::RemoteWriteStats;
use tocsin::remotewrite::{DiskLimits, DiskQueue, Outcome, SampleQueue};
use tocsin::rule::Sample;
use tocsin::rule::labels::from_pairs;

const SERIES: usize = 200;

fn push_of(i: usize) -> Vec<Sample> {
    (0..SERIES)
        .map(|s| Sample {
            labels: from_pairs(&[
                ("__name__", "namespace_pod:http_requests:rate5m"),
                ("cluster", "eu-west-1-prod"),
                ("namespace", &format!("team-{}", s % 17)),
                ("pod", &format!("api-7d9c8b{:04}-x{:02}", s, s % 13)),
                ("job", "kubernetes-pods"),
                ("instance", &format!("10.12.{}.{}:8080", s / 250, s % 250)),
                ("code", ["200", "404", "500"][s % 3]),
                ("region", "eu-west-1"),
            ])
            .into(),
            value: (i * SERIES + s) as f64 * 0.731,
            timestamp_ms: 1_790_000_000_000 + i as i64 * 15_000,
        })
        .collect()
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let pushes: usize = if measuring {
        std::env::var("RW_DISK_BENCH_PUSHES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2000)
    } else {
        5 // `cargo test --all-targets` runs this once as a smoke test
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = DiskLimits::new(4 << 30, 10_000);
    let batches: Vec<Vec<Sample>> = (0..pushes).map(push_of).collect();
    let rows = (pushes * SERIES) as f64;

    let queue =
        DiskQueue::open(dir.path(), limits, Arc::new(RemoteWriteStats::default())).expect("open");
    let t = Instant::now();
    for b in batches {
        queue.push(b).expect("push");
    }
    let push_secs = t.elapsed().as_secs_f64();
    queue.sync();
    let bytes = queue.disk_usage().expect("usage").bytes as f64;
    drop(queue);

    let t = Instant::now();
    let queue =
        DiskQueue::open(dir.path(), limits, Arc::new(RemoteWriteStats::default())).expect("reopen");
    let open_secs = t.elapsed().as_secs_f64();
    assert_eq!(queue.len(), pushes * SERIES);

    let t = Instant::now();
    let mut drained = 0;
    // Bounded by the rows pushed.
    while let Some(batch) = queue.take(10_000) {
        drained += batch.samples.len();
        queue.settle(batch.id, Outcome::Delivered);
    }
    let drain_secs = t.elapsed().as_secs_f64();
    assert_eq!(drained, pushes * SERIES);

    println!("pushes: {pushes} of {SERIES} samples ({rows} samples)");
    println!(
        "push:   {:.0} samples/s, {:.1} µs per push",
        rows / push_secs,
        push_secs * 1e6 / pushes as f64
    );
    println!(
        "disk:   {:.1} bytes per sample ({:.1} MiB)",
        bytes / rows,
        bytes / 1048576.0
    );
    println!(
        "reopen: {:.3} s ({:.0} MiB/s scanned)",
        open_secs,
        bytes / 1048576.0 / open_secs
    );
    println!(
        "drain:  {:.0} samples/s (take + decode + settle)",
        rows / drain_secs
    );
}
