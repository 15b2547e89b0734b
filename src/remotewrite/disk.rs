//! The durable remote-write queue (`-remoteWrite.queuePath`): a [`SampleQueue`] that appends every accepted push
//! to segment files before it is sent, hands batches out strictly in order, and forgets a batch only once it is
//! settled as delivered (2xx) or rejected for good, so that an outage of the remote storage or a crash of tocsin
//! (SIGKILL included) loses nothing that `push` accepted.
//!
//! Layout of `DIR`: `<id>.seg` segment files of framed records (`segment`, `frame`, `record`), the persisted
//! cursor (`cursor`), and `lock`, held while the queue is open so two processes never share a directory.
//!
//! Durability: `push` writes each record with one `write` call before it returns, so it survives a crash of the
//! process; the data is fsynced by [`SampleQueue::sync`] (the writer calls it every second), at every segment
//! rotation (on the next sync) and on close, so a power cut loses at most the last second. The cursor is replaced
//! atomically after every settled batch and not fsynced (losing it only resends). On open, each segment is cut at
//! its first torn or corrupt record and sending resumes at the cursor.
//!
//! Bounded by `max_bytes`: when a record does not fit, whole segments are dropped oldest first (counted in
//! `dropped_rows` and `disk_dropped_rows`, and logged), because the newest results are the ones alerting and
//! dashboards read. Every method returns promptly (file writes, no fsync, except `close`); no HTTP, no rules.

mod cursor;
mod frame;
mod record;
mod segment;

use super::queue::{Batch, BoxFuture, DiskUsage, DropReason, Dropped, Outcome, SampleQueue};
use super::stats::RemoteWriteStats;
use crate::rule::Sample;
use cursor::Pos;
use frame::{FRAME_HEADER, Frame};
use segment::START;
pub use segment::SegmentError;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// Largest segment file; smaller when `max_bytes / 8` is smaller, so the bound is kept to within one eighth.
pub const MAX_SEGMENT_BYTES: u64 = 64 << 20;
const MIN_SEGMENT_BYTES: u64 = 4096;

/// Why the queue could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DiskQueueError {
    #[error("cannot use remote-write queue directory {path}: {source}")]
    Dir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("remote-write queue directory {path} is in use by another process")]
    Locked { path: String },
    #[error("remote-write queue: {0}")]
    Segment(#[from] SegmentError),
}

/// Sizes the queue works within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskLimits {
    /// Total bytes of all segment files (`-remoteWrite.maxDiskUsage`).
    pub max_bytes: u64,
    /// A new segment is started when a record would make the current one larger than this.
    pub segment_bytes: u64,
    /// Samples per record: a push is split into records of at most this many (`-remoteWrite.maxBatchSize`).
    pub record_rows: usize,
}

impl DiskLimits {
    /// Limits for `max_bytes`, with segments of an eighth of it (between 4 KiB and 64 MiB).
    pub fn new(max_bytes: u64, record_rows: usize) -> Self {
        DiskLimits {
            max_bytes,
            segment_bytes: (max_bytes / 8).clamp(MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES),
            record_rows: record_rows.max(1),
        }
    }
}

#[derive(Debug)]
struct Segment {
    id: u64,
    bytes: u64,
    rows: u64,
    records: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settled {
    Pending,
    /// Delivered or rejected: the cursor may pass it.
    Done,
    /// Abandoned at shutdown: kept on disk, the cursor stops before it.
    Kept,
}

#[derive(Debug)]
struct InFlight {
    id: u64,
    end: Pos,
    rows: u64,
    records: u64,
    settled: Settled,
}

#[derive(Debug)]
struct State {
    /// Oldest first; never empty; the last one is appended to.
    segments: VecDeque<Segment>,
    active: File,
    /// Sealed segments not fsynced yet.
    unsynced: Vec<File>,
    /// The active segment or the directory changed since the last sync.
    dirty: bool,
    dir_dirty: bool,
    /// Next record to hand out, and the rows and records of its segment before it.
    read: Pos,
    read_rows: u64,
    read_records: u64,
    /// Everything before this is settled; persisted in `cursor`.
    committed: Pos,
    in_flight: VecDeque<InFlight>,
    next_id: u64,
    unread_rows: u64,
    unread_records: u64,
    /// Sum of the segments' lengths.
    bytes: u64,
}

impl State {
    fn index(&self, id: u64) -> Option<usize> {
        self.segments.binary_search_by_key(&id, |s| s.id).ok()
    }

    fn last(&self) -> &Segment {
        // Never empty: open creates a segment and nothing removes the last one.
        &self.segments[self.segments.len() - 1]
    }
}

/// The durable queue. See the module documentation.
#[derive(Debug)]
pub struct DiskQueue {
    dir: PathBuf,
    limits: DiskLimits,
    state: Mutex<State>,
    closed: AtomicBool,
    changed: Notify,
    stats: Arc<RemoteWriteStats>,
    /// Holds the directory lock while the queue lives.
    _lock: File,
}

impl DiskQueue {
    /// Opens (or creates) the queue in `dir`: cuts torn tails, drops segments the cursor has passed, and resumes
    /// at the cursor. Counters go to `stats`.
    pub fn open(
        dir: &Path,
        limits: DiskLimits,
        stats: Arc<RemoteWriteStats>,
    ) -> Result<DiskQueue, DiskQueueError> {
        let dir_err = |source| DiskQueueError::Dir {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(dir_err)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("lock"))
            .map_err(dir_err)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DiskQueueError::Locked {
                    path: dir.display().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(dir_err(e)),
        }
        let mut ids = segment::list(dir).map_err(dir_err)?;
        let saved = cursor::load(dir).unwrap_or_else(|why| {
            tracing::warn!(path = %dir.display(), reason = %why,
                "remote-write queue cursor is unreadable; resending from the oldest record");
            None
        });
        if ids.is_empty() {
            let id = saved.map_or(1, |c| c.seg.max(1));
            segment::create(dir, id)?;
            ids.push(id);
        }
        let first = ids[0];
        let mut committed = match saved {
            None => Pos {
                seg: first,
                off: START,
            },
            Some(c) => match ids.iter().find(|&&id| id >= c.seg) {
                Some(&id) if id == c.seg => Pos {
                    seg: id,
                    off: c.off.max(START),
                },
                Some(&id) => Pos {
                    seg: id,
                    off: START,
                },
                // Past every segment: everything was sent.
                None => Pos {
                    seg: ids[ids.len() - 1],
                    off: u64::MAX,
                },
            },
        };
        let mut segments = VecDeque::new();
        let (mut unread_rows, mut unread_records, mut read_rows, mut read_records) = (0, 0, 0, 0);
        for &id in &ids {
            if id < committed.seg {
                let p = segment::path(dir, id);
                std::fs::remove_file(&p).map_err(|e| SegmentError::io(&p, e))?;
                continue;
            }
            let from = if id == committed.seg {
                committed.off
            } else {
                START
            };
            let scan = segment::scan(dir, id, from)?;
            if let Some((bytes, why)) = scan.cut {
                tracing::warn!(segment = %segment::path(dir, id).display(), cut_bytes = bytes, reason = why,
                    "remote-write queue segment cut at its last intact record");
                RemoteWriteStats::add(&stats.disk_truncated_bytes, bytes as usize);
            }
            if id == committed.seg {
                committed.off = committed.off.min(scan.bytes);
                read_rows = scan.rows - scan.rows_from;
                read_records = scan.records - scan.records_from;
            }
            unread_rows += scan.rows_from;
            unread_records += scan.records_from;
            segments.push_back(Segment {
                id,
                bytes: scan.bytes,
                rows: scan.rows,
                records: scan.records,
            });
        }
        let active = segment::append(dir, segments[segments.len() - 1].id)?;
        let bytes = segments.iter().map(|s| s.bytes).sum();
        let state = State {
            segments,
            active,
            unsynced: Vec::new(),
            dirty: false,
            dir_dirty: true,
            read: committed,
            read_rows,
            read_records,
            committed,
            in_flight: VecDeque::new(),
            next_id: 0,
            unread_rows,
            unread_records,
            bytes,
        };
        let queue = DiskQueue {
            dir: dir.to_path_buf(),
            limits,
            state: Mutex::new(state),
            closed: AtomicBool::new(false),
            changed: Notify::new(),
            stats,
            _lock: lock,
        };
        {
            let mut st = queue.lock();
            queue.commit(&mut st);
            tracing::info!(path = %dir.display(), pending_rows = st.unread_rows, pending_batches = st.unread_records,
                disk_bytes = st.bytes, max_bytes = limits.max_bytes, "remote-write disk queue opened");
        }
        Ok(queue)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update of the state is completed before the guard drops, except on a panic in between, after
        // which the counters may be off but positions still point at record boundaries: safe to keep using.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends one framed record of `rows` samples, making room first.
    fn append(&self, st: &mut State, rows: u64, bytes: &[u8]) -> Result<(), DropReason> {
        let len = bytes.len() as u64;
        if len + START > self.limits.max_bytes {
            return Err(DropReason::Storage {
                reason: format!(
                    "a record of {len} bytes does not fit in -remoteWrite.maxDiskUsage={}",
                    self.limits.max_bytes
                ),
            });
        }
        let last = st.last();
        if last.bytes > START && last.bytes + len > self.limits.segment_bytes {
            self.rotate(st)?;
        }
        self.make_room(st, len)?;
        if let Err(e) = st.active.write_all(bytes) {
            // Undo a partial write so the segment ends at a record boundary (the next open would cut it anyway),
            // and put the file position back there so the next record does not leave a hole.
            let end = st.last().bytes;
            let _ = st.active.set_len(end);
            let _ = st.active.seek(SeekFrom::Start(end));
            return Err(DropReason::Storage {
                reason: format!("cannot write {}: {e}", self.dir.display()),
            });
        }
        let n = st.segments.len() - 1;
        let seg = &mut st.segments[n];
        seg.bytes += len;
        seg.rows += rows;
        seg.records += 1;
        st.bytes += len;
        st.unread_rows += rows;
        st.unread_records += 1;
        st.dirty = true;
        Ok(())
    }

    /// Drops the oldest segments until `len` more bytes fit.
    fn make_room(&self, st: &mut State, len: u64) -> Result<(), DropReason> {
        // Each turn removes a segment, or seals the only one when it holds records (removed on the next turn);
        // an only segment without records ends the loop.
        while st.bytes + len > self.limits.max_bytes {
            if st.segments.len() == 1 {
                if st.last().bytes <= START {
                    break;
                }
                self.rotate(st)?;
            }
            self.drop_oldest(st);
        }
        Ok(())
    }

    /// Seals the active segment and starts the next one.
    fn rotate(&self, st: &mut State) -> Result<(), DropReason> {
        let id = st.last().id + 1;
        let file = segment::create(&self.dir, id).map_err(|e| DropReason::Storage {
            reason: e.to_string(),
        })?;
        let sealed = std::mem::replace(&mut st.active, file);
        st.unsynced.push(sealed);
        st.dirty = true;
        st.dir_dirty = true;
        st.segments.push_back(Segment {
            id,
            bytes: START,
            rows: 0,
            records: 0,
        });
        st.bytes += START;
        Ok(())
    }

    /// Removes the oldest segment (never the active one), counting the rows in it that were not handed out.
    fn drop_oldest(&self, st: &mut State) {
        if st.segments.len() < 2 {
            return;
        }
        let Some(seg) = st.segments.pop_front() else {
            return;
        };
        let next = Pos {
            seg: st.segments[0].id,
            off: START,
        };
        let (rows, records) = if st.read.seg > seg.id {
            (0, 0)
        } else {
            (seg.rows - st.read_rows, seg.records - st.read_records)
        };
        if st.read < next {
            st.read = next;
            st.read_rows = 0;
            st.read_records = 0;
        }
        st.committed = st.committed.max(next);
        st.unread_rows -= rows;
        st.unread_records -= records;
        st.bytes -= seg.bytes;
        self.store_cursor(st.committed);
        let path = segment::path(&self.dir, seg.id);
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::error!(segment = %path.display(), error = %e, "cannot remove remote-write queue segment");
        }
        st.dir_dirty = true;
        if rows > 0 {
            RemoteWriteStats::add(&self.stats.dropped_rows, rows as usize);
            RemoteWriteStats::add(&self.stats.disk_dropped_rows, rows as usize);
            RemoteWriteStats::add(&self.stats.errors, 1);
            tracing::warn!(path = %self.dir.display(), dropped_rows = rows, dropped_batches = records,
                max_bytes = self.limits.max_bytes,
                "remote-write disk queue is full (-remoteWrite.maxDiskUsage): dropped its oldest samples");
        }
    }

    /// Moves the committed cursor past fully read sealed segments, persists it, and deletes passed segments.
    fn commit(&self, st: &mut State) {
        // Each turn moves to the next segment; bounded by their number.
        while let Some(i) = st.index(st.committed.seg) {
            if st.committed.off < st.segments[i].bytes || i + 1 == st.segments.len() {
                break;
            }
            st.committed = Pos {
                seg: st.segments[i + 1].id,
                off: START,
            };
        }
        if st.read < st.committed {
            st.read = st.committed;
            st.read_rows = 0;
            st.read_records = 0;
        }
        self.store_cursor(st.committed);
        // Bounded by the number of segments; the last one is never before the cursor.
        while st.segments.len() > 1 && st.segments[0].id < st.committed.seg {
            if let Some(seg) = st.segments.pop_front() {
                st.bytes -= seg.bytes;
                let path = segment::path(&self.dir, seg.id);
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::error!(segment = %path.display(), error = %e, "cannot remove remote-write queue segment");
                }
                st.dir_dirty = true;
            }
        }
    }

    fn store_cursor(&self, pos: Pos) {
        if let Err(e) = cursor::store(&self.dir, pos) {
            // Not fatal: the old cursor makes the next start resend more, never less.
            tracing::error!(path = %self.dir.display(), error = %e, "cannot persist the remote-write queue cursor");
        }
    }

    /// Reads the records of one batch (at most `max` rows, at least one record) and advances the read position.
    fn read_batch(&self, st: &mut State, max: u64) -> Vec<(u64, Vec<u8>)> {
        let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut rows = 0;
        let mut reader = None;
        // Each turn consumes a record or moves to the next segment or ends; bounded by the records on disk.
        while let Some(i) = st.index(st.read.seg) {
            let (seg_id, seg_bytes, seg_rows, seg_records) = {
                let s = &st.segments[i];
                (s.id, s.bytes, s.rows, s.records)
            };
            if st.read.off >= seg_bytes {
                if i + 1 == st.segments.len() {
                    break;
                }
                st.read = Pos {
                    seg: st.segments[i + 1].id,
                    off: START,
                };
                st.read_rows = 0;
                st.read_records = 0;
                reader = None;
                continue;
            }
            if reader.is_none() {
                reader = Some(segment::reader_at(&self.dir, seg_id, st.read.off));
            }
            let frame = match reader.as_mut() {
                Some(Ok(r)) => frame::read(r).map_err(|e| e.to_string()),
                Some(Err(e)) => Err(e.to_string()),
                None => Err("no reader".to_string()),
            };
            let damage = match frame {
                Ok(Frame::Record(payload)) => match record::rows(&payload) {
                    Ok(n) => {
                        if !out.is_empty() && rows + n > max {
                            break;
                        }
                        st.read.off += (FRAME_HEADER + payload.len()) as u64;
                        st.read_rows += n;
                        st.read_records += 1;
                        st.unread_rows -= n;
                        st.unread_records -= 1;
                        rows += n;
                        out.push((n, payload));
                        if rows >= max {
                            break;
                        }
                        continue;
                    }
                    Err(e) => e.to_string(),
                },
                Ok(Frame::Corrupt(why)) => why.to_string(),
                Ok(Frame::End | Frame::Torn) => "segment is shorter than recorded".to_string(),
                Err(e) => e,
            };
            // The segment says records are here, so anything else is damage: skip the rest of the segment.
            let lost_rows = seg_rows - st.read_rows;
            let lost_records = seg_records - st.read_records;
            st.read.off = seg_bytes;
            st.read_rows = seg_rows;
            st.read_records = seg_records;
            st.unread_rows -= lost_rows;
            st.unread_records -= lost_records;
            reader = None;
            RemoteWriteStats::add(&self.stats.dropped_rows, lost_rows as usize);
            RemoteWriteStats::add(&self.stats.disk_dropped_rows, lost_rows as usize);
            RemoteWriteStats::add(&self.stats.errors, 1);
            tracing::error!(segment = %segment::path(&self.dir, seg_id).display(), reason = %damage,
                dropped_rows = lost_rows, "remote-write queue segment is unreadable; skipping the rest of it");
        }
        out
    }

    /// Fsyncs what was written since the last call: sealed segments, the active one, the directory.
    fn sync_now(&self) {
        let (sealed, active, dir) = {
            let mut st = self.lock();
            let active = if st.dirty {
                st.active.try_clone().ok()
            } else {
                None
            };
            st.dirty = false;
            let dir = std::mem::take(&mut st.dir_dirty);
            (std::mem::take(&mut st.unsynced), active, dir)
        };
        for f in sealed.iter().chain(active.iter()) {
            if let Err(e) = f.sync_data() {
                tracing::error!(path = %self.dir.display(), error = %e, "cannot fsync the remote-write queue");
            }
        }
        if dir && let Err(e) = File::open(&self.dir).and_then(|d| d.sync_all()) {
            tracing::error!(path = %self.dir.display(), error = %e, "cannot fsync the remote-write queue directory");
        }
    }
}

impl SampleQueue for DiskQueue {
    fn push(&self, samples: Vec<Sample>) -> Result<(), Dropped> {
        if samples.is_empty() {
            return Ok(());
        }
        let total = samples.len();
        if self.closed.load(Ordering::Acquire) {
            return Err(Dropped {
                rows: total,
                reason: DropReason::Closed,
            });
        }
        let mut frames = Vec::new();
        for chunk in samples.chunks(self.limits.record_rows) {
            match record::encode(chunk) {
                Ok(payload) => frames.push((chunk.len() as u64, frame::encode(&payload))),
                Err(e) => {
                    return Err(Dropped {
                        rows: total,
                        reason: DropReason::Storage {
                            reason: e.to_string(),
                        },
                    });
                }
            }
        }
        let mut written = 0;
        let mut result = Ok(());
        {
            let mut st = self.lock();
            for (rows, bytes) in &frames {
                if let Err(reason) = self.append(&mut st, *rows, bytes) {
                    result = Err(Dropped {
                        rows: total - written,
                        reason,
                    });
                    break;
                }
                written += *rows as usize;
            }
        }
        self.changed.notify_waiters();
        result
    }

    fn take(&self, max: usize) -> Option<Batch> {
        let (id, records) = {
            let mut st = self.lock();
            let records = self.read_batch(&mut st, max.max(1) as u64);
            if records.is_empty() {
                return None;
            }
            let id = st.next_id;
            st.next_id += 1;
            let end = st.read;
            st.in_flight.push_back(InFlight {
                id,
                end,
                rows: records.iter().map(|(n, _)| n).sum(),
                records: records.len() as u64,
                settled: Settled::Pending,
            });
            (id, records)
        };
        let mut samples = Vec::new();
        for (rows, payload) in records {
            match record::decode(&payload) {
                Ok(s) => samples.extend(s),
                Err(e) => {
                    RemoteWriteStats::add(&self.stats.dropped_rows, rows as usize);
                    RemoteWriteStats::add(&self.stats.disk_dropped_rows, rows as usize);
                    RemoteWriteStats::add(&self.stats.errors, 1);
                    tracing::error!(path = %self.dir.display(), error = %e, rows, "dropping an undecodable remote-write queue record");
                }
            }
        }
        Some(Batch { id, samples })
    }

    fn settle(&self, id: u64, outcome: Outcome) {
        let mut st = self.lock();
        if let Some(entry) = st.in_flight.iter_mut().find(|e| e.id == id) {
            entry.settled = match outcome {
                Outcome::Delivered | Outcome::Rejected => Settled::Done,
                Outcome::Abandoned => Settled::Kept,
            };
        }
        let before = st.committed;
        // Bounded by the batches in flight.
        while st
            .in_flight
            .front()
            .is_some_and(|e| e.settled == Settled::Done)
        {
            if let Some(e) = st.in_flight.pop_front() {
                st.committed = st.committed.max(e.end);
            }
        }
        if st.committed != before {
            self.commit(&mut st);
        }
    }

    fn len(&self) -> usize {
        self.lock().unread_rows as usize
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.changed.notify_waiters();
        self.sync_now();
    }

    fn wait_for(&self, min_len: usize) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Each turn waits for a push or close; the caller bounds the wait (it races a flush timer).
            loop {
                let notified = self.changed.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.closed.load(Ordering::Acquire) || self.len() >= min_len {
                    return;
                }
                notified.await;
            }
        })
    }

    fn durable(&self) -> bool {
        true
    }

    fn sync(&self) {
        self.sync_now();
    }

    fn disk_usage(&self) -> Option<DiskUsage> {
        let st = self.lock();
        let (rows, batches) = st
            .in_flight
            .iter()
            .filter(|e| e.settled != Settled::Done)
            .fold((0, 0), |(r, b), e| (r + e.rows, b + e.records));
        Some(DiskUsage {
            bytes: st.bytes,
            rows: st.unread_rows + rows,
            batches: st.unread_records + batches,
        })
    }
}

#[cfg(test)]
mod tests;
