//! One Alertmanager peer's queue of alerts waiting to be delivered: pure bookkeeping, no IO, no clock, no tokio.
//!
//! Rules it keeps (each tested below):
//! - **One state per alert.** An alert is identified by its group and its label set ([`AlertKey`]). A newer state
//!   of an alert that is already waiting replaces the older entry (counted as superseded) and goes to the back, so a
//!   resolve queued after a firing is never overtaken by the older firing, and never queued behind it either.
//! - **Bounded.** At most `capacity` entries wait; when a push finds the queue full, the oldest entries are dropped
//!   and counted. Entries taken for sending ("in flight", at most one batch) are not counted against the capacity.
//! - **Retry keeps the order.** A batch whose send failed is given back with its original sequence numbers, so it is
//!   retried ahead of what arrived later; an entry of it whose alert got a newer state in the meantime is discarded
//!   (superseded), since the newer state is what the peer must see.
//!
//! The sender (`peer.rs`) does the waiting, sending and backoff around it. Must not know about HTTP or time.

use crate::rule::PackedLabels;
use bytes::Bytes;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Identity of an alert for superseding: the group it comes from and its label set as the rule produced it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlertKey {
    pub group_id: u64,
    pub labels: PackedLabels,
}

/// One alert waiting for one peer: its rendered JSON object and the headers its group sends with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: AlertKey,
    /// One element of the `POST /api/v2/alerts` array, already relabeled for this peer.
    pub body: Bytes,
    /// The group's `notifier_headers`; entries are only batched with entries that send the same headers.
    pub headers: Arc<Vec<(String, String)>>,
}

/// Entries taken for one send, oldest first, all with the same headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    entries: Vec<(u64, Entry)>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn headers(&self) -> &[(String, String)] {
        self.entries
            .first()
            .map(|(_, e)| e.headers.as_slice())
            .unwrap_or(&[])
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|(_, e)| e)
    }

    /// The request body: the entries' objects joined into one JSON array.
    pub fn body(&self) -> Bytes {
        let len: usize = self.entries.iter().map(|(_, e)| e.body.len() + 1).sum();
        let mut out = Vec::with_capacity(len + 2);
        out.push(b'[');
        for (i, (_, e)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&e.body);
        }
        out.push(b']');
        Bytes::from(out)
    }

    /// The keys in the batch, in order.
    pub fn keys(&self) -> impl Iterator<Item = &AlertKey> {
        self.entries.iter().map(|(_, e)| &e.key)
    }
}

/// What a push or a give-back did besides queuing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Older entries of the same alerts that were replaced or discarded.
    pub superseded: usize,
    /// Entries dropped because the queue was full (oldest first).
    pub dropped: usize,
}

/// Lifetime counters of one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounters {
    pub superseded: u64,
    pub dropped: u64,
}

/// A peer's bounded queue. See the module docs for its rules.
#[derive(Debug)]
pub struct PeerQueue {
    capacity: usize,
    next_seq: u64,
    /// Waiting entries by sequence number: iteration order is age order.
    waiting: BTreeMap<u64, Entry>,
    /// Where each waiting alert sits.
    index: HashMap<AlertKey, u64>,
    in_flight: usize,
    counters: QueueCounters,
}

impl PeerQueue {
    /// A queue holding at most `capacity` waiting entries (at least one).
    pub fn new(capacity: usize) -> Self {
        PeerQueue {
            capacity: capacity.max(1),
            next_seq: 0,
            waiting: BTreeMap::new(),
            index: HashMap::new(),
            in_flight: 0,
            counters: QueueCounters::default(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries waiting (not counting a batch in flight).
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Entries taken by the sender and not yet completed or given back.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    pub fn counters(&self) -> QueueCounters {
        self.counters
    }

    /// Queues `entry` at the back, replacing a waiting entry of the same alert, then drops the oldest entries
    /// while more than `capacity` wait.
    pub fn push(&mut self, entry: Entry) -> Outcome {
        let mut outcome = Outcome::default();
        if let Some(old) = self.index.remove(&entry.key) {
            self.waiting.remove(&old);
            outcome.superseded += 1;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.index.insert(entry.key.clone(), seq);
        self.waiting.insert(seq, entry);
        outcome.dropped = self.enforce_capacity();
        self.count(outcome);
        outcome
    }

    /// Takes up to `max` of the oldest waiting entries that share the oldest entry's headers. `None` when nothing
    /// waits. The caller must hand the batch back through [`PeerQueue::complete`] or [`PeerQueue::give_back`].
    pub fn take_batch(&mut self, max: usize) -> Option<Batch> {
        let headers = self.waiting.values().next()?.headers.clone();
        let seqs: Vec<u64> = self
            .waiting
            .iter()
            .filter(|(_, e)| e.headers == headers)
            .take(max.max(1))
            .map(|(s, _)| *s)
            .collect();
        let mut entries = Vec::with_capacity(seqs.len());
        for seq in seqs {
            if let Some(e) = self.waiting.remove(&seq) {
                self.index.remove(&e.key);
                entries.push((seq, e));
            }
        }
        self.in_flight += entries.len();
        Some(Batch { entries })
    }

    /// The batch was delivered (or given up on): it leaves the queue for good.
    pub fn complete(&mut self, batch: Batch) {
        self.in_flight = self.in_flight.saturating_sub(batch.len());
    }

    /// The batch failed and will be retried: its entries wait again in their old places, except those whose alert
    /// got a newer state meanwhile. The oldest entries are dropped if that overfills the queue.
    pub fn give_back(&mut self, batch: Batch) -> Outcome {
        self.in_flight = self.in_flight.saturating_sub(batch.len());
        let mut outcome = Outcome::default();
        for (seq, e) in batch.entries {
            if self.index.contains_key(&e.key) {
                outcome.superseded += 1;
                continue;
            }
            self.index.insert(e.key.clone(), seq);
            self.waiting.insert(seq, e);
        }
        outcome.dropped = self.enforce_capacity();
        self.count(outcome);
        outcome
    }

    /// Empties the queue (a removed peer, or what is left at shutdown); returns how many entries were waiting.
    pub fn clear(&mut self) -> usize {
        let n = self.waiting.len();
        self.waiting.clear();
        self.index.clear();
        n
    }

    fn enforce_capacity(&mut self) -> usize {
        let mut dropped = 0;
        while self.waiting.len() > self.capacity {
            if let Some((_, e)) = self.waiting.pop_first() {
                self.index.remove(&e.key);
                dropped += 1;
            }
        }
        dropped
    }

    fn count(&mut self, o: Outcome) {
        self.counters.superseded += o.superseded as u64;
        self.counters.dropped += o.dropped as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(group: u64, name: &str) -> AlertKey {
        AlertKey {
            group_id: group,
            labels: [("alertname".to_string(), name.to_string())]
                .into_iter()
                .collect(),
        }
    }

    fn entry(group: u64, name: &str, state: &str) -> Entry {
        Entry {
            key: key(group, name),
            body: Bytes::from(format!("{{\"{name}\":\"{state}\"}}")),
            headers: Arc::new(Vec::new()),
        }
    }

    fn bodies(b: &Batch) -> Vec<String> {
        b.entries
            .iter()
            .map(|(_, e)| String::from_utf8_lossy(&e.body).to_string())
            .collect()
    }

    #[test]
    fn fifo_order_and_batch_size() {
        let mut q = PeerQueue::new(10);
        for n in ["a", "b", "c"] {
            q.push(entry(1, n, "firing"));
        }
        let b = q.take_batch(2).expect("batch");
        assert_eq!(bodies(&b), vec!["{\"a\":\"firing\"}", "{\"b\":\"firing\"}"]);
        assert_eq!(b.body(), "[{\"a\":\"firing\"},{\"b\":\"firing\"}]");
        assert_eq!((q.waiting(), q.in_flight()), (1, 2));
        q.complete(b);
        assert_eq!(q.in_flight(), 0);
        assert_eq!(
            bodies(&q.take_batch(5).expect("rest")),
            vec!["{\"c\":\"firing\"}"]
        );
        assert!(q.take_batch(5).is_none());
    }

    #[test]
    fn newer_state_replaces_the_waiting_one_and_goes_to_the_back() {
        let mut q = PeerQueue::new(10);
        q.push(entry(1, "a", "firing"));
        q.push(entry(1, "b", "firing"));
        let o = q.push(entry(1, "a", "resolved"));
        assert_eq!(
            o,
            Outcome {
                superseded: 1,
                dropped: 0
            }
        );
        assert_eq!(q.waiting(), 2);
        let b = q.take_batch(10).expect("batch");
        assert_eq!(
            bodies(&b),
            vec!["{\"b\":\"firing\"}", "{\"a\":\"resolved\"}"]
        );
        assert_eq!(q.counters().superseded, 1);
    }

    #[test]
    fn same_labels_in_another_group_is_another_alert() {
        let mut q = PeerQueue::new(10);
        q.push(entry(1, "a", "firing"));
        let o = q.push(entry(2, "a", "firing"));
        assert_eq!(o.superseded, 0);
        assert_eq!(q.waiting(), 2);
    }

    #[test]
    fn full_queue_drops_oldest_first_and_counts() {
        let mut q = PeerQueue::new(3);
        for n in ["a", "b", "c"] {
            assert_eq!(q.push(entry(1, n, "firing")).dropped, 0);
        }
        assert_eq!(q.push(entry(1, "d", "firing")).dropped, 1);
        assert_eq!(q.push(entry(1, "e", "firing")).dropped, 1);
        assert_eq!(q.counters().dropped, 2);
        assert_eq!(q.waiting(), 3);
        let b = q.take_batch(10).expect("batch");
        assert_eq!(
            bodies(&b),
            vec![
                "{\"c\":\"firing\"}",
                "{\"d\":\"firing\"}",
                "{\"e\":\"firing\"}"
            ]
        );
        // A superseding push into a full queue replaces instead of dropping.
        let mut q = PeerQueue::new(2);
        q.push(entry(1, "a", "firing"));
        q.push(entry(1, "b", "firing"));
        assert_eq!(
            q.push(entry(1, "a", "resolved")),
            Outcome {
                superseded: 1,
                dropped: 0
            }
        );
    }

    #[test]
    fn in_flight_entries_do_not_count_against_capacity() {
        let mut q = PeerQueue::new(2);
        q.push(entry(1, "a", "firing"));
        q.push(entry(1, "b", "firing"));
        let b = q.take_batch(10).expect("batch");
        assert_eq!(q.push(entry(1, "c", "firing")).dropped, 0);
        assert_eq!(q.push(entry(1, "d", "firing")).dropped, 0);
        assert_eq!((q.waiting(), q.in_flight()), (2, 2));
        // Giving the older batch back overfills the queue: the oldest (the given-back ones) go first.
        let o = q.give_back(b);
        assert_eq!(o.dropped, 2);
        let rest = q.take_batch(10).expect("batch");
        assert_eq!(
            bodies(&rest),
            vec!["{\"c\":\"firing\"}", "{\"d\":\"firing\"}"]
        );
    }

    #[test]
    fn failed_batch_is_retried_before_newer_entries() {
        let mut q = PeerQueue::new(10);
        q.push(entry(1, "a", "firing"));
        q.push(entry(1, "b", "firing"));
        let b = q.take_batch(10).expect("batch");
        q.push(entry(1, "c", "firing"));
        assert_eq!(q.give_back(b), Outcome::default());
        assert_eq!(
            bodies(&q.take_batch(10).expect("retry")),
            vec![
                "{\"a\":\"firing\"}",
                "{\"b\":\"firing\"}",
                "{\"c\":\"firing\"}"
            ]
        );
    }

    #[test]
    fn failed_entry_superseded_while_in_flight_is_discarded() {
        let mut q = PeerQueue::new(10);
        q.push(entry(1, "a", "firing"));
        q.push(entry(1, "b", "firing"));
        let b = q.take_batch(10).expect("batch");
        // While the firing batch is being sent, "a" resolves.
        q.push(entry(1, "a", "resolved"));
        let o = q.give_back(b);
        assert_eq!(
            o,
            Outcome {
                superseded: 1,
                dropped: 0
            }
        );
        // The old firing "a" is gone; "b" keeps its old place ahead of the resolve.
        assert_eq!(
            bodies(&q.take_batch(10).expect("retry")),
            vec!["{\"b\":\"firing\"}", "{\"a\":\"resolved\"}"]
        );
        assert_eq!(q.counters().superseded, 1);
    }

    #[test]
    fn batches_never_mix_headers() {
        let mut q = PeerQueue::new(10);
        let h = Arc::new(vec![("X-Tenant".to_string(), "1".to_string())]);
        q.push(entry(1, "a", "firing"));
        q.push(Entry {
            headers: h.clone(),
            ..entry(2, "b", "firing")
        });
        q.push(entry(1, "c", "firing"));
        let first = q.take_batch(10).expect("batch");
        assert_eq!(
            bodies(&first),
            vec!["{\"a\":\"firing\"}", "{\"c\":\"firing\"}"]
        );
        assert!(first.headers().is_empty());
        let second = q.take_batch(10).expect("batch");
        assert_eq!(second.headers(), h.as_slice());
        assert_eq!(second.len(), 1);
    }

    #[test]
    fn clear_reports_what_was_waiting() {
        let mut q = PeerQueue::new(10);
        q.push(entry(1, "a", "firing"));
        q.push(entry(1, "b", "firing"));
        assert_eq!(q.clear(), 2);
        assert!(q.take_batch(1).is_none());
    }
}
