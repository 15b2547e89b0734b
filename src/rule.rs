//! Rules at evaluation time: the alerting state machine, recording rules, the `ALERTS` / `ALERTS_FOR_STATE`
//! series and their staleness markers, label merging and alert identity.
//!
//! Pure: evaluating a rule is a function of (rule state, query result, timestamp) that returns an outcome — samples
//! to write, alerts to send, state changes. This module never sends, sleeps or queries; `tocsin run` feeds it from
//! the HTTP datasource and `tocsin test` from the embedded engine, so both run this one state machine.

pub mod alert;
pub mod alert_series;
pub mod alerting;
pub mod labels;
pub mod packed_labels;
pub mod recording;
pub mod sample;
pub mod series;
pub mod templates;

pub use alert::{Alert, AlertState};
pub use alerting::{AlertingRule, AlertingSettings, TemplateInput, Templater, VerbatimTemplater};
pub use labels::Labels;
pub use packed_labels::PackedLabels;
pub use recording::RecordingRule;
pub use sample::{QueryResult, QuerySample, STALE_NAN, Sample};
