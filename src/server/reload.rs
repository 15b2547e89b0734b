//! Seams between the server and the parts of tocsin that own reloads and readiness: a channel of reload requests
//! (each with a reply) and the readiness flag `/-/ready` reports. The server only asks and reads; the reload
//! manager does the work (and records it in the registry's reload counters, which `/metrics` shows).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
