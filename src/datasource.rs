//! Querying the datasource: the [`Querier`] seam the group runner evaluates through, and (in `http`) the
//! Prometheus HTTP API client vmalert uses against vmselect or single-node VictoriaMetrics.
//!
//! Keeps no alert state and knows nothing about rules beyond the query it is handed. The offline engine of
//! `tocsin test` implements the same trait, so evaluation code is shared.

use crate::rule::QueryResult;
use std::future::Future;
use std::pin::Pin;

/// A boxed future, so that queriers can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One instant query, as a group runner asks it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstantQuery<'a> {
    pub expr: &'a str,
    /// The evaluation timestamp, milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// The group's evaluation interval in milliseconds (the `step` when `-datasource.queryStep` is 0).
    pub interval_ms: i64,
    /// The group's `params`, added to (and overriding) the URL's.
    pub params: &'a [(String, String)],
    /// The group's `headers`, added to (and overriding) `-datasource.headers`.
    pub headers: &'a [(String, String)],
}

/// Why a query failed. Retryable failures (network, 5xx, 429) may succeed later; permanent ones (4xx, a bad
/// expression) will not until the rule changes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Retryable(String),
    #[error("{0}")]
    Permanent(String),
}

impl QueryError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, QueryError::Retryable(_))
    }
}

/// Runs instant queries. Implemented by the HTTP datasource and by the embedded engine.
pub trait Querier: Send + Sync {
    fn query<'a>(
        &'a self,
        query: InstantQuery<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, QueryError>>;
}

pub mod auth;
pub mod decode;
pub mod http;
pub mod request;
pub mod settings;
mod tls;

pub use http::HttpQuerier;
pub use settings::{
    BasicAuth, BearerToken, DatasourceSettings, Secret, SettingsError, TlsSettings,
};
