//! Notifying Alertmanager: the API v2 payload ([`payload`], pure), per-peer settings ([`config`]), one HTTP client
//! per Alertmanager ([`send`], with credentials and redaction in [`auth`]), a bounded queue per peer ([`queue`],
//! pure) emptied by a retrying sender ([`peer`]), the [`Notifier`] that queues every alert for every peer
//! ([`dispatch`]), Prometheus relabeling ([`relabel`]), the `-notifier.config` file ([`file`]) and DNS discovery
//! of its targets ([`discovery`]). [`fanout`] is the direct, queue-less send.
//!
//! Place in the pipeline: after evaluation. A group runner asks its rules which alerts are due
//! (`AlertingRule::due_for_sending`) and hands them to [`Notifier::enqueue`], which returns at once. This module
//! knows nothing about evaluation, schedules or state transitions: it never chooses which alerts to send, and it
//! never changes an alert. See `docs/notifier.md`.

pub mod auth;
pub mod config;
pub mod discovery;
pub mod dispatch;
pub mod fanout;
pub mod file;
pub mod payload;
pub mod peer;
pub mod queue;
pub mod relabel;
pub mod send;

pub use auth::redact;
pub use config::{
    ALERTS_PATH, AlertmanagerSettings, Auth, DEFAULT_SEND_TIMEOUT, Secret, TlsSettings,
};
pub use dispatch::{BLACKHOLE_ADDR, Notifier, ReloadReport, ShutdownReport, Target, TargetSet};
pub use fanout::{Fanout, PeerResult, SendReport};
pub use payload::{
    AlertSource, DefaultAlertSource, ExternalAlertSource, Payload, PayloadContext, build,
    resolve_after_ms,
};
pub use peer::{DEFAULT_QUEUE_SIZE, PeerStatus, QueueSettings};
pub use send::{AlertmanagerClient, ClientError, PeerStats, SendError};
