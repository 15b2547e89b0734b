//! Template data (what `.` and `$labels`, `$value`, … are) and the render context (external URL, querier,
//! evaluation time).
//!
//! Plain data; conversion to template values happens in `to_value`. No IO: queries go through
//! [`TemplateQuerier`], implemented by the caller.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::TemplateDialect;
use std::rc::Rc;

use super::funcs::time::system_time_nanos;
use super::value::{StructValue, Value, string_map};

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

/// Alert data converted once into template values, for rendering several templates of one dialect
/// ([`crate::template::Template::render_prepared`]). Holds shared, single-threaded values: prepare per evaluation.
pub struct PreparedAlertData<'a> {
    pub(crate) data: &'a AlertTemplateData,
    pub(crate) dialect: TemplateDialect,
    pub(crate) root: Value,
}

impl AlertTemplateData {
    /// Converts the data once for rendering several `dialect` templates.
    pub fn prepare(&self, dialect: TemplateDialect) -> PreparedAlertData<'_> {
        PreparedAlertData {
            data: self,
            dialect,
            root: self.to_value(dialect),
        }
    }

    /// The root value `.` for `dialect`.
    pub(crate) fn to_value(&self, dialect: TemplateDialect) -> Value {
        let labels = Value::Map(string_map(&self.labels));
        let external = Value::Map(string_map(&self.external_labels));
        let url = Value::str(&self.external_url);
        let value = Value::Float(self.value);
        let st = match dialect {
            TemplateDialect::Prometheus => StructValue {
                type_name: "struct { Labels map[string]string; ExternalLabels map[string]string; \
                            ExternalURL string; Value float64 }",
                fields: vec![
                    ("Labels", labels),
                    ("ExternalLabels", external),
                    ("ExternalURL", url),
                    ("Value", value),
                ],
            },
            TemplateDialect::Vmalert => StructValue {
                type_name: "notifier.tplData",
                fields: vec![
                    ("Type", Value::str(&self.type_)),
                    ("Labels", labels),
                    ("Value", value),
                    ("Expr", Value::str(&self.expr)),
                    ("AlertID", Value::Int(self.alert_id as i64)),
                    ("GroupID", Value::Int(self.group_id as i64)),
                    (
                        "ActiveAt",
                        Value::Time {
                            nanos: system_time_nanos(self.active_at),
                            ptr: false,
                        },
                    ),
                    (
                        "For",
                        Value::Duration(i64::try_from(self.for_.as_nanos()).unwrap_or(i64::MAX)),
                    ),
                    ("IsPartial", Value::Bool(self.is_partial)),
                    (
                        "Interval",
                        Value::Duration(
                            i64::try_from(self.interval.as_nanos()).unwrap_or(i64::MAX),
                        ),
                    ),
                    ("ExternalLabels", external),
                    ("ExternalURL", url),
                ],
            },
        };
        Value::Struct(Rc::new(st))
    }
}
