//! Remote-write counters, plain atomics the `/metrics` endpoint reads. Each field names the vmalert metric it
//! feeds, so existing dashboards keep working. Counting only: no logging, no IO.

use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic counters of one remote writer.
#[derive(Debug, Default)]
pub struct RemoteWriteStats {
    /// `vmalert_remotewrite_total`: push calls.
    pub pushes: AtomicU64,
    /// `vmalert_remotewrite_sent_rows_total`: samples acknowledged by the remote storage.
    pub sent_rows: AtomicU64,
    /// `vmalert_remotewrite_sent_bytes_total`: compressed bytes of acknowledged requests.
    pub sent_bytes: AtomicU64,
    /// `vmalert_remotewrite_dropped_rows_total`: samples given up (queue full or closed, rejected batch, retries
    /// exhausted, shutdown deadline).
    pub dropped_rows: AtomicU64,
    /// `vmalert_remotewrite_errors_total`: refused pushes plus batches given up, as vmalert counts them.
    pub errors: AtomicU64,
    /// `tocsin_remotewrite_requests_total`: HTTP attempts, retries included.
    pub requests: AtomicU64,
    /// `tocsin_remotewrite_retries_total`: attempts that failed in a retryable way and were retried.
    pub retries: AtomicU64,
    /// `tocsin_remotewrite_disk_queue_dropped_rows_total`: samples the disk queue dropped, oldest first, because
    /// it was full, or because a record could not be read back. Also counted in `dropped_rows`.
    pub disk_dropped_rows: AtomicU64,
    /// `tocsin_remotewrite_disk_queue_truncated_bytes_total`: bytes cut off segment ends at open (torn tails).
    pub disk_truncated_bytes: AtomicU64,
}

/// A point-in-time copy of [`RemoteWriteStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    pub pushes: u64,
    pub sent_rows: u64,
    pub sent_bytes: u64,
    pub dropped_rows: u64,
    pub errors: u64,
    pub requests: u64,
    pub retries: u64,
    pub disk_dropped_rows: u64,
    pub disk_truncated_bytes: u64,
}

impl RemoteWriteStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            pushes: get(&self.pushes),
            sent_rows: get(&self.sent_rows),
            sent_bytes: get(&self.sent_bytes),
            dropped_rows: get(&self.dropped_rows),
            errors: get(&self.errors),
            requests: get(&self.requests),
            retries: get(&self.retries),
            disk_dropped_rows: get(&self.disk_dropped_rows),
            disk_truncated_bytes: get(&self.disk_truncated_bytes),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}
