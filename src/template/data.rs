//! Template data (what `.` and `$labels`, `$value`, … are) and the render context (external URL, querier,
//! evaluation time).
//!
//! Plain data; conversion to template values happens in `to_value`. No IO: queries go through
//! [`TemplateQuerier`], implemented by the caller.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::TemplateDialect;
use super::value::Value;

/// One sample of an instant-query result, as templates see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuerySample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
    /// Sample time in Unix seconds (vmalert exposes it as `.Timestamp`).
    pub timestamp: i64,
}

/// Runs an instant query for the `query` template function at the rule's evaluation time.
pub trait TemplateQuerier {
    /// Returns the samples of `expr` evaluated at `ts`, or a message saying why it failed.
    fn query(&self, expr: &str, ts: SystemTime) -> Result<Vec<QuerySample>, String>;
}

/// Data an alert annotation or label template renders with.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertTemplateData {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
    pub external_labels: BTreeMap<String, String>,
    pub external_url: String,
    pub expr: String,
    pub alert_id: u64,
    pub group_id: u64,
    pub active_at: SystemTime,
    pub for_: Duration,
    pub type_: String,
    pub is_partial: bool,
    pub interval: Duration,
}

impl Default for AlertTemplateData {
    fn default() -> Self {
        AlertTemplateData {
            labels: BTreeMap::new(),
            value: 0.0,
            external_labels: BTreeMap::new(),
            external_url: String::new(),
            expr: String::new(),
            alert_id: 0,
            group_id: 0,
            active_at: SystemTime::UNIX_EPOCH,
            for_: Duration::ZERO,
            type_: String::new(),
            is_partial: false,
            interval: Duration::ZERO,
        }
    }
}

/// What template functions may consult besides the data.
#[derive(Clone, Copy)]
pub struct RenderContext<'a> {
    /// The external URL (`externalURL`, `pathPrefix`).
    pub external_url: &'a str,
    /// Runs `query`; `None` makes `query` fail with an error.
    pub querier: Option<&'a dyn TemplateQuerier>,
    /// The rule's evaluation time (the time `query` asks for).
    pub eval_time: SystemTime,
    /// What `now` returns (vmalert); injected so tests are reproducible.
    pub now: SystemTime,
}

impl Default for RenderContext<'_> {
    fn default() -> Self {
        RenderContext {
            external_url: "",
            querier: None,
            eval_time: SystemTime::UNIX_EPOCH,
            now: SystemTime::UNIX_EPOCH,
        }
    }
}

impl AlertTemplateData {
    /// The root value `.` for `dialect`.
    pub(crate) fn to_value(&self, dialect: TemplateDialect) -> Value {
        let _ = dialect;
        Value::Nil
    }
}
