//! The bounded buffer between evaluation and the remote-write workers, and the seam a durable queue plugs into.
//!
//! [`SampleQueue`] is what the workers see: non-blocking `push`, `take` of a batch, `settle` once a batch has
//! left for good, and a wake-up future. [`MemoryQueue`] is vmalert's behaviour: samples live in memory, a push
//! that does not fit is dropped, and nothing survives a restart. A durable queue keeps a batch until it is
//! settled as [`Outcome::Delivered`] or [`Outcome::Rejected`], and hands [`Outcome::Abandoned`] batches out again
//! after a restart. The queue knows nothing about HTTP, encoding or rules.

use crate::rule::Sample;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::Notify;

/// A boxed future, so that queues can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Samples that were not accepted. Counted in [`RemoteWriteStats`](super::RemoteWriteStats); the caller logs it
/// with its own context (group, rule).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dropped {rows} samples: {reason}")]
pub struct Dropped {
    pub rows: usize,
    pub reason: DropReason,
}

/// Why samples were dropped on push.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DropReason {
    #[error("remote-write queue is full ({capacity} samples; see -remoteWrite.maxQueueSize)")]
    QueueFull { capacity: usize },
    #[error("remote writer is shut down")]
    Closed,
    /// The durable queue could not store them (disk error, or a record larger than the whole queue).
    #[error("remote-write disk queue cannot store them: {reason}")]
    Storage { reason: String },
}

/// What a durable queue holds on disk, for gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiskUsage {
    /// Bytes of all segment files.
    pub bytes: u64,
    /// Samples not yet settled (waiting or in flight).
    pub rows: u64,
    /// Records (stored batches) not yet settled.
    pub batches: u64,
}

/// Samples taken from the queue to be sent as one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Identifies the batch in [`SampleQueue::settle`].
    pub id: u64,
    pub samples: Vec<Sample>,
}

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The remote storage acknowledged it (2xx).
    Delivered,
    /// Given up: rejected with a 4xx, retries exhausted, or not encodable. A durable queue forgets it too.
    Rejected,
    /// Not sent before the shutdown deadline. A durable queue keeps it for the next start.
    Abandoned,
}

/// A bounded queue of samples. Every method returns promptly; only [`SampleQueue::wait_for`] waits.
pub trait SampleQueue: Send + Sync {
    /// Accepts as many samples as fit and returns the rest as dropped. Never blocks.
    fn push(&self, samples: Vec<Sample>) -> Result<(), Dropped>;
    /// Takes up to `max` samples, oldest first, or `None` when empty.
    fn take(&self, max: usize) -> Option<Batch>;
    /// Reports what became of a batch returned by `take`.
    fn settle(&self, id: u64, outcome: Outcome);
    /// Samples waiting (not yet taken).
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Refuses further pushes; `take` keeps returning what is left.
    fn close(&self);
    /// Resolves when at least `min_len` samples wait, or when the queue is closed.
    fn wait_for(&self, min_len: usize) -> BoxFuture<'_, ()>;
    /// True when the queue keeps unsettled batches across restarts. The writer then sends in order with one
    /// worker, retries retryable failures until shutdown instead of giving up, and leaves what is unsent at
    /// shutdown in the queue.
    fn durable(&self) -> bool {
        false
    }
    /// Makes what was pushed so far survive a power cut (fsync). May block briefly; the writer calls it from a
    /// blocking task.
    fn sync(&self) {}
    /// Bytes, rows and batches held on disk; `None` for a memory queue.
    fn disk_usage(&self) -> Option<DiskUsage> {
        None
    }
}

/// vmalert's in-memory queue: a bounded FIFO of samples.
#[derive(Debug)]
pub struct MemoryQueue {
    capacity: usize,
    samples: Mutex<VecDeque<Sample>>,
    closed: AtomicBool,
    next_id: AtomicU64,
    changed: Notify,
}

impl MemoryQueue {
    /// A queue of at most `capacity` samples (at least 1).
    pub fn new(capacity: usize) -> Self {
        MemoryQueue {
            capacity: capacity.max(1),
            samples: Mutex::new(VecDeque::new()),
            closed: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Sample>> {
        // A panic while holding the lock cannot leave the deque half-updated (push_back/drain are atomic from
        // our point of view), so a poisoned lock is safe to keep using.
        self.samples.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SampleQueue for MemoryQueue {
    fn push(&self, mut samples: Vec<Sample>) -> Result<(), Dropped> {
        if samples.is_empty() {
            return Ok(());
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(Dropped {
                rows: samples.len(),
                reason: DropReason::Closed,
            });
        }
        let rejected = {
            let mut queue = self.lock();
            let room = self.capacity.saturating_sub(queue.len());
            let rejected = samples.len().saturating_sub(room);
            samples.truncate(samples.len() - rejected);
            queue.extend(samples);
            rejected
        };
        self.changed.notify_waiters();
        if rejected > 0 {
            return Err(Dropped {
                rows: rejected,
                reason: DropReason::QueueFull {
                    capacity: self.capacity,
                },
            });
        }
        Ok(())
    }

    fn take(&self, max: usize) -> Option<Batch> {
        let mut queue = self.lock();
        if queue.is_empty() {
            return None;
        }
        let n = max.max(1).min(queue.len());
        let samples: Vec<Sample> = queue.drain(..n).collect();
        Some(Batch {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            samples,
        })
    }

    fn settle(&self, _id: u64, _outcome: Outcome) {}

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.changed.notify_waiters();
    }

    fn wait_for(&self, min_len: usize) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Each turn waits for a push or close; the caller bounds the wait (it races a flush timer).
            loop {
                let notified = self.changed.notified();
                tokio::pin!(notified);
                // Register before checking, so a push between the check and the await is not missed.
                notified.as_mut().enable();
                if self.closed.load(Ordering::Acquire) || self.len() >= min_len {
                    return;
                }
                notified.await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::labels::from_pairs;

    fn samples(n: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                labels: from_pairs(&[("__name__", "m")]).into(),
                value: i as f64,
                timestamp_ms: i as i64,
            })
            .collect()
    }

    #[test]
    fn full_queue_keeps_what_fits_and_reports_the_rest() {
        let q = MemoryQueue::new(5);
        assert_eq!(q.push(samples(3)), Ok(()));
        assert_eq!(
            q.push(samples(4)),
            Err(Dropped {
                rows: 2,
                reason: DropReason::QueueFull { capacity: 5 }
            })
        );
        assert_eq!(q.len(), 5);
        let batch = q.take(4).unwrap();
        assert_eq!(batch.samples.len(), 4);
        assert_eq!(batch.samples[0].value, 0.0);
        assert_eq!(q.take(4).unwrap().samples.len(), 1);
        assert!(q.take(4).is_none());
    }

    #[test]
    fn closed_queue_refuses_pushes_but_drains() {
        let q = MemoryQueue::new(10);
        q.push(samples(2)).unwrap();
        q.close();
        assert_eq!(q.push(samples(1)).unwrap_err().reason, DropReason::Closed);
        assert_eq!(q.take(10).unwrap().samples.len(), 2);
    }

    #[tokio::test]
    async fn wait_for_wakes_on_push_and_close() {
        let q = std::sync::Arc::new(MemoryQueue::new(10));
        let waiter = {
            let q = q.clone();
            tokio::spawn(async move { q.wait_for(3).await })
        };
        tokio::task::yield_now().await;
        q.push(samples(2)).unwrap();
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        q.push(samples(1)).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();

        let closing = {
            let q = std::sync::Arc::new(MemoryQueue::new(10));
            let w = {
                let q = q.clone();
                tokio::spawn(async move { q.wait_for(1).await })
            };
            tokio::task::yield_now().await;
            q.close();
            w
        };
        tokio::time::timeout(std::time::Duration::from_secs(5), closing)
            .await
            .unwrap()
            .unwrap();
    }
}
