//! Notifying Alertmanager: the API v2 payload ([`payload`], pure), per-peer settings ([`config`]), one HTTP client
//! per Alertmanager ([`send`], with credentials and redaction in [`auth`]) and the fan-out of a batch to every peer
//! at once ([`fanout`]).
//!
//! Place in the pipeline: after evaluation. A group runner asks its rules which alerts are due
//! (`AlertingRule::due_for_sending`), hands them here with the send time and resolve duration, and decides from the
//! per-peer [`SendReport`] what to mark as sent. This module knows nothing about evaluation, schedules or state
//! transitions: it never chooses which alerts to send, and it never changes an alert. See `docs/notifier.md`.

pub mod auth;
pub mod config;
pub mod fanout;
pub mod payload;
pub mod send;

pub use auth::redact;
pub use config::{
    ALERTS_PATH, AlertmanagerSettings, Auth, DEFAULT_SEND_TIMEOUT, Secret, TlsSettings,
};
pub use fanout::{BLACKHOLE_ADDR, Notifier, PeerResult, SendReport};
pub use payload::{
    AlertSource, DefaultAlertSource, ExternalAlertSource, Payload, PayloadContext, build,
    resolve_after_ms,
};
pub use send::{AlertmanagerClient, ClientError, PeerStats, SendError};
