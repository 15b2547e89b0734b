//! The online [`Querier`]: sends each instant query to the Prometheus HTTP API (vmselect or single-node
//! VictoriaMetrics) the way vmalert does, retries once when the connection was dropped, bounds the whole query
//! with a timeout, and sorts failures into retryable and permanent ones.
//!
//! Keeps no alert state and knows nothing of rules. Error messages never carry secrets: URLs are shown without
//! userinfo or query string, and known secret strings are scrubbed from every message as a last guard.

use super::auth;
use super::decode::{self, DecodeError};
use super::request::{self, Endpoint, PreparedRequest};
use super::settings::{DatasourceSettings, SettingsError};
use super::{BoxFuture, InstantQuery, Querier, QueryError};
use crate::rule::QueryResult;
use std::error::Error as StdError;

/// At most this much of an unexpected response body goes into an error message.
const MAX_BODY_IN_ERROR: usize = 512;

/// The HTTP datasource client. Cheap to share (`Arc`), safe to use from many group runners at once.
pub struct HttpQuerier {
    settings: DatasourceSettings,
    endpoint: Endpoint,
    client: reqwest::Client,
    /// With `-datasource.tlsServerName` on an https URL: (the server name, the URL's original `Host` value).
    server_name: Option<(String, String)>,
    /// Secrets known up front (password, token, URL password, header values) to scrub from messages.
    secrets: Vec<String>,
}

/// How one attempt failed.
enum AttemptError {
    /// The connection was closed or reset under us: worth exactly one more try.
    Dropped(String),
    Final(QueryError),
}

impl HttpQuerier {
    /// Validates `settings`, reads the TLS files and builds the connection pool. Opens no connection.
    pub fn new(settings: DatasourceSettings) -> Result<Self, SettingsError> {
        settings.validate()?;
        let endpoint = Endpoint::parse(&settings)?;
        // vmalert's transport is HTTP/1.1 only (`httputil.NewTransport(false, …)`); so is this one, which also keeps
        // the dropped-connection errors the retry looks for those of HTTP/1.1.
        let mut builder = reqwest::Client::builder()
            .http1_only()
            .user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(settings.idle_conn_timeout)
            .pool_max_idle_per_host(if settings.disable_keep_alive {
                0
            } else {
                settings.max_idle_connections
            });
        builder = super::tls::apply(builder, &settings.tls)?;
        let server_name = match (&settings.tls.server_name, endpoint.base.host_str()) {
            (Some(name), Some(host)) if endpoint.base.scheme() == "https" && !name.is_empty() => {
                let real_host = host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string();
                builder = builder.dns_resolver(super::tls::ServerNameResolver {
                    server_name: name.clone(),
                    real_host,
                });
                let host_header = match endpoint.base.port() {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_string(),
                };
                Some((name.clone(), host_header))
            }
            _ => None,
        };
        let client = builder
            .build()
            .map_err(|e| SettingsError::Client(error_chain(&e)))?;
        let mut secrets = Vec::new();
        if let Some((user, pass)) = &endpoint.userinfo {
            secrets.push(auth::basic_token(user, pass));
            secrets.push(pass.clone());
        }
        if let Some(b) = &settings.basic_auth
            && let Some(p) = &b.password
        {
            secrets.push(p.expose().to_string());
        }
        if let Some(super::settings::BearerToken::Token(t)) = &settings.bearer {
            secrets.push(t.expose().to_string());
        }
        secrets.extend(secret_header_values(&settings.headers));
        secrets.retain(|s| !s.is_empty());
        Ok(HttpQuerier {
            settings,
            endpoint,
            client,
            server_name,
            secrets,
        })
    }

    pub fn settings(&self) -> &DatasourceSettings {
        &self.settings
    }

    /// Runs one instant query; see the module docs for retry and timeout behaviour.
    pub async fn query_instant(&self, query: &InstantQuery<'_>) -> Result<QueryResult, QueryError> {
        let mut secrets = self.secrets.clone();
        secrets.extend(secret_header_values(query.headers));
        secrets.retain(|s| !s.is_empty());
        let run = async {
            let resolved = auth::resolve(&self.settings)
                .await
                .map_err(|e| QueryError::Retryable(e.to_string()))?;
            secrets.extend(resolved.secrets.iter().cloned());
            let req = request::build(
                &self.settings,
                &self.endpoint,
                query,
                resolved.authorization.as_deref(),
            );
            match self.attempt(&req).await {
                Ok(r) => Ok(r),
                Err(AttemptError::Final(e)) => Err(e),
                Err(AttemptError::Dropped(first)) => {
                    tracing::debug!(error = %crate::secrets::scrub(&first, &secrets), "datasource connection dropped; retrying once");
                    match self.attempt(&req).await {
                        Ok(r) => Ok(r),
                        Err(AttemptError::Final(e)) => Err(prefix_second(e)),
                        Err(AttemptError::Dropped(m)) => {
                            Err(QueryError::Retryable(format!("second attempt: {m}")))
                        }
                    }
                }
            }
        };
        let out = match self.settings.timeout {
            Some(t) if !t.is_zero() => match tokio::time::timeout(t, run).await {
                Ok(r) => r,
                Err(_) => Err(QueryError::Retryable(format!(
                    "query to {} timed out after {t:?}",
                    self.redacted_url()
                ))),
            },
            _ => run.await,
        };
        out.map_err(|e| match e {
            QueryError::Retryable(m) => QueryError::Retryable(crate::secrets::scrub(&m, &secrets)),
            QueryError::Permanent(m) => QueryError::Permanent(crate::secrets::scrub(&m, &secrets)),
        })
    }

    /// The datasource URL without credentials or query parameters, safe to show (labels, logs, the UI).
    pub fn display_url(&self) -> String {
        self.endpoint.base.to_string()
    }

    fn redacted_url(&self) -> String {
        self.endpoint.redacted_query_url(&self.settings)
    }

    async fn attempt(&self, req: &PreparedRequest) -> Result<QueryResult, AttemptError> {
        let url = self.redacted_url();
        // Go's client sends `Content-Length: 0` on a POST without a body; hyper does not unless told.
        let mut rb = match &self.server_name {
            None => self.client.post(&req.url),
            Some((name, host_header)) => {
                let mut url = reqwest::Url::parse(&req.url).map_err(|e| {
                    AttemptError::Final(QueryError::Permanent(format!("bad request URL: {e}")))
                })?;
                url.set_host(Some(name)).map_err(|e| {
                    AttemptError::Final(QueryError::Permanent(format!(
                        "bad -datasource.tlsServerName: {e}"
                    )))
                })?;
                self.client
                    .post(url)
                    .header(reqwest::header::HOST, host_header.as_str())
            }
        };
        rb = rb
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .body(Vec::new());
        for (k, v) in &req.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        let resp = rb.send().await.map_err(|e| {
            let msg = format!("error getting response from {url}: {}", error_chain(&e));
            if is_dropped(&e) {
                AttemptError::Dropped(msg)
            } else {
                AttemptError::Final(QueryError::Retryable(msg))
            }
        })?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| {
            let msg = format!("error reading response from {url}: {}", error_chain(&e));
            if is_dropped(&e) {
                AttemptError::Dropped(msg)
            } else {
                AttemptError::Final(QueryError::Retryable(msg))
            }
        })?;
        if status != 200 {
            let detail = match decode::decode_error(&body) {
                Some((t, e)) => format!("errorType {t:?}: {e}"),
                None => truncated(&body),
            };
            let msg = format!("unexpected response code {status} for {url}: {detail}");
            return Err(AttemptError::Final(if status >= 500 || status == 429 {
                QueryError::Retryable(msg)
            } else {
                QueryError::Permanent(msg)
            }));
        }
        decode::decode_instant(&body).map_err(|e| {
            AttemptError::Final(QueryError::Permanent(match e {
                DecodeError::Api { .. } => format!("{e} (from {url})"),
                _ => format!("error parsing response from {url}: {e}"),
            }))
        })
    }
}

impl Querier for HttpQuerier {
    fn query<'a>(
        &'a self,
        query: InstantQuery<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, QueryError>> {
        Box::pin(async move { self.query_instant(&query).await })
    }
}

fn prefix_second(e: QueryError) -> QueryError {
    match e {
        QueryError::Retryable(m) => QueryError::Retryable(format!("second attempt: {m}")),
        QueryError::Permanent(m) => QueryError::Permanent(format!("second attempt: {m}")),
    }
}

fn truncated(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX_BODY_IN_ERROR) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// The error and its sources joined by `: `, with reqwest's URL removed (it may carry query-string secrets).
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    if e.is_timeout() {
        parts.push("timed out".into());
    } else if e.is_connect() {
        parts.push("cannot connect".into());
    }
    let mut src = e.source();
    while let Some(s) = src {
        let text = s.to_string();
        if !parts.iter().any(|p| p.ends_with(&text)) {
            parts.push(text);
        }
        src = s.source();
    }
    if parts.is_empty() {
        // reqwest's own message, without the URL it would append.
        let mut plain = e.to_string();
        if let Some(url) = e.url() {
            plain = plain
                .replace(&format!(" ({url})"), "")
                .replace(url.as_str(), "<url>");
        }
        parts.push(plain);
    }
    parts.join(": ")
}

/// vmalert retries once on EOF, unexpected EOF, "broken pipe" and "reset by peer": a connection something in the
/// middle closed. A refused connection is not that, and is not retried.
fn is_dropped(e: &reqwest::Error) -> bool {
    if e.is_connect() || e.is_timeout() {
        return false;
    }
    let mut src: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        let text = s.to_string().to_ascii_lowercase();
        if [
            "connection closed before message completed",
            "reset by peer",
            "broken pipe",
            "unexpected eof",
            "end of file before message length reached",
            "incomplete message",
        ]
        .iter()
        .any(|p| text.contains(p))
        {
            return true;
        }
        src = s.source();
    }
    false
}

/// Values of secret-looking headers (`Authorization`, `X-Api-Key`, …), and of each the part after a scheme word
/// (`Bearer <token>`), since servers tend to echo only that part.
fn secret_header_values(headers: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in headers {
        if super::settings::is_secret_header(k) {
            out.push(v.clone());
            if let Some((_, rest)) = v.split_once(' ') {
                out.push(rest.trim().to_string());
            }
        }
    }
    out
}
