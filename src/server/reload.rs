//! Seams between the server and the parts of tocsin that own reloads and readiness: a channel of reload requests
//! (each with a reply), the readiness flag `/-/ready` reports, and the reload counters `/metrics` shows. The
//! server only asks and reads; the reload manager does the work and updates the counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// One request to reload the configuration; the manager answers `Ok` or the error text (no secrets in it).
#[derive(Debug)]
pub struct ReloadRequest {
    pub reply: oneshot::Sender<Result<(), String>>,
}

/// The sending side handed to the server.
#[derive(Debug, Clone)]
pub struct ReloadTrigger {
    tx: mpsc::Sender<ReloadRequest>,
}

impl ReloadTrigger {
    /// A trigger and the receiver the reload manager drains. `capacity` bounds queued requests.
    pub fn channel(capacity: usize) -> (ReloadTrigger, mpsc::Receiver<ReloadRequest>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (ReloadTrigger { tx }, rx)
    }

    /// Asks for a reload and waits for its outcome.
    pub async fn request(&self) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(ReloadRequest { reply })
            .await
            .map_err(|_| "the reload manager has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the reload manager dropped the request".to_string())?
    }
}

/// Whether tocsin is ready to serve (rules loaded, state restored). Cheap to clone; clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn set_ready(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// `vmalert_config_last_reload_*`: updated by whoever loads the configuration (startup counts as the first load).
#[derive(Debug, Default)]
pub struct ReloadStats {
    total: AtomicU64,
    errors: AtomicU64,
    successful: AtomicBool,
    success_ts: AtomicI64,
}

/// A copy of [`ReloadStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReloadCounts {
    pub total: u64,
    pub errors: u64,
    pub successful: bool,
    /// Unix seconds of the last successful load; 0 before the first.
    pub success_timestamp: i64,
}

impl ReloadStats {
    pub fn record_success(&self, unix_seconds: i64) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.successful.store(true, Ordering::Relaxed);
        self.success_ts.store(unix_seconds, Ordering::Relaxed);
    }

    pub fn record_failure(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.successful.store(false, Ordering::Relaxed);
    }

    pub fn counts(&self) -> ReloadCounts {
        ReloadCounts {
            total: self.total.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            successful: self.successful.load(Ordering::Relaxed),
            success_timestamp: self.success_ts.load(Ordering::Relaxed),
        }
    }
}
