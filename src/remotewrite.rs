//! Remote write: the output that stores recording-rule results and `ALERTS` / `ALERTS_FOR_STATE` series in the
//! datasource, over Prometheus remote write 1.0 (protobuf + snappy block format).
//!
//! The pipeline, one file per step:
//! - [`proto`]: the `prompb` messages, written by hand with `prost` derives (no protoc);
//! - [`encode`]: pure, turns samples into a compressed request body, tested byte for byte;
//! - [`queue`]: the bounded buffer between evaluation and the senders, behind the [`SampleQueue`] seam:
//!   vmalert's in-memory queue, or [`disk`], the durable queue of `-remoteWrite.queuePath`;
//! - [`client`]: one HTTP POST with the protocol headers and auth, and the retry policy around it;
//! - [`writer`]: the [`RemoteWriter`] that owns the workers (batching, flush interval, concurrency, shutdown);
//! - [`rate`]: the pace at which a durable queue's backlog is sent;
//! - [`stats`]: counters the metrics endpoint reads.
//!
//! Remote write knows nothing about rules or groups: it receives finished [`Sample`](crate::rule::Sample)s and
//! never looks at what produced them. `push` never blocks evaluation: when the queue is full, the rows are dropped
//! and counted, and the caller decides how to log that.

pub mod client;
pub mod config;
pub mod disk;
pub mod encode;
pub mod proto;
pub mod queue;
pub mod rate;
pub mod stats;
pub mod writer;

pub use client::SendError;
pub use config::{Auth, DiskQueueSettings, RemoteWriteSettings, Secret, TlsSettings};
pub use disk::{DiskLimits, DiskQueue, DiskQueueError};
pub use encode::{EncodeError, encode, to_write_request};
pub use queue::{Batch, DiskUsage, DropReason, Dropped, MemoryQueue, Outcome, SampleQueue};
pub use stats::{RemoteWriteStats, StatsSnapshot};
pub use writer::{RemoteWriteError, RemoteWriteHandle, RemoteWriter, ShutdownReport};
