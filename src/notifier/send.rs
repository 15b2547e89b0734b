//! The HTTP edge: one [`AlertmanagerClient`] POSTs a built [`Payload`] to one Alertmanager and says whether it was
//! accepted. No retries and no queue here: a later per-peer queue wraps a client and decides when to try again,
//! using [`SendError::is_retryable`].
//!
//! Knows nothing about rules or evaluation; never logs or returns a secret (passwords, tokens, URL user info).

use super::auth::{self, redact};
use super::config::{ALERTS_PATH, AlertmanagerSettings, Auth};
use super::payload::Payload;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How much of an error answer's body is kept in the error.
const BODY_EXCERPT_CHARS: usize = 256;

/// Why a client could not be built from its settings. Permanent: the settings must change.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid notifier url {url:?}: {message}")]
    Url { url: String, message: String },
    #[error("cannot read {what} {path:?}: {source}")]
    File {
        what: &'static str,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("invalid {what}: {message}")]
    Tls { what: &'static str, message: String },
    #[error("-notifier.tlsServerName is not supported yet (asked for {0:?})")]
    ServerNameUnsupported(String),
    #[error("invalid header {name:?}: {message}")]
    Header { name: String, message: String },
    #[error("cannot build http client: {0}")]
    Build(String),
}

/// Why one send failed. `addr` is the redacted URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Alertmanager answered, but not with 2xx. A 400 means it rejected (some of) the alerts as invalid; the
    /// valid ones in the batch are stored all the same.
    #[error("unexpected status {status} from {addr}; response body: {body}")]
    Status {
        addr: String,
        status: u16,
        body: String,
    },
    #[error("no answer from {addr} within {timeout:?}")]
    Timeout { addr: String, timeout: Duration },
    /// Connecting, sending or reading failed (refused, reset, TLS).
    #[error("cannot send to {addr}: {message}")]
    Transport { addr: String, message: String },
    #[error("cannot read credentials for {addr}: {message}")]
    Credentials { addr: String, message: String },
    #[error("invalid header {name:?} for {addr}")]
    Header { addr: String, name: String },
}

impl SendError {
    /// True when trying the same request again later may succeed: timeouts, transport errors, 5xx and 429.
    /// Other 4xx answers and local problems (credentials, headers) need a change first.
    pub fn is_retryable(&self) -> bool {
        match self {
            SendError::Timeout { .. } | SendError::Transport { .. } => true,
            SendError::Status { status, .. } => *status >= 500 || *status == 429,
            SendError::Credentials { .. } | SendError::Header { .. } => false,
        }
    }

    /// The HTTP status, when Alertmanager answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            SendError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Counters for one peer, under vmalert's names (`vmalert_alerts_sent_total{addr}`,
/// `vmalert_alerts_send_errors_total{addr}`): alerts attempted, and alerts in failed sends.
#[derive(Debug, Default)]
pub struct PeerStats {
    pub alerts_sent: AtomicU64,
    pub alerts_send_errors: AtomicU64,
}

/// Sends to one Alertmanager. Cheap to clone; clones share the connection pool and counters. `Debug` shows the
/// redacted address only.
#[derive(Clone)]
pub struct AlertmanagerClient {
    http: reqwest::Client,
    /// Where to POST, user info removed.
    endpoint: reqwest::Url,
    /// The URL as shown in logs, errors and metrics: user info replaced by `<redacted>`.
    addr: String,
    basic_from_url: Option<(String, String)>,
    auth: Auth,
    headers: HeaderMap,
    timeout: Duration,
    stats: Arc<PeerStats>,
}

impl std::fmt::Debug for AlertmanagerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertmanagerClient")
            .field("addr", &self.addr)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl AlertmanagerClient {
    /// Builds a client; reads the TLS files once.
    pub fn new(settings: &AlertmanagerSettings) -> Result<Self, ClientError> {
        let url_err = |message: String| ClientError::Url {
            url: redact(&settings.url),
            message,
        };
        let base = reqwest::Url::parse(&settings.url).map_err(|e| url_err(e.to_string()))?;
        if base.scheme() != "http" && base.scheme() != "https" {
            return Err(url_err(format!("unsupported scheme {:?}", base.scheme())));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(url_err("a query or fragment is not allowed".to_string()));
        }
        let basic_from_url = (!base.username().is_empty()).then(|| {
            (
                base.username().to_string(),
                base.password().unwrap_or_default().to_string(),
            )
        });
        let mut endpoint = base.clone();
        // Setting user info cannot fail on an http(s) URL with a host, which parse and the scheme check ensured.
        let _ = endpoint.set_username("");
        let _ = endpoint.set_password(None);
        if !settings.exact_endpoint {
            let path = format!("{}{}", endpoint.path().trim_end_matches('/'), ALERTS_PATH);
            endpoint.set_path(&path);
        }

        let mut headers = HeaderMap::new();
        for (name, value) in &settings.headers {
            let (n, mut v) = header_pair(name, value).ok_or_else(|| ClientError::Header {
                name: name.clone(),
                message: "not a valid HTTP header".to_string(),
            })?;
            // -notifier.headers is a secret flag in vmalert: values may carry API keys.
            v.set_sensitive(true);
            headers.insert(n, v);
        }

        let mut builder =
            reqwest::Client::builder().user_agent(concat!("tocsin/", env!("CARGO_PKG_VERSION")));
        let tls = &settings.tls;
        if let Some(name) = &tls.server_name {
            return Err(ClientError::ServerNameUnsupported(name.clone()));
        }
        if let Some(path) = &tls.ca_file {
            let pem = read_file("tls CA file", path)?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ClientError::Tls {
                    what: "tls CA file",
                    message: e.to_string(),
                })?;
            builder = builder.tls_certs_only(certs);
        }
        match (&tls.cert_file, &tls.key_file) {
            (Some(cert), Some(key)) => {
                let mut pem = read_file("tls cert file", cert)?;
                pem.push(b'\n');
                pem.extend(read_file("tls key file", key)?);
                let id = reqwest::Identity::from_pem(&pem).map_err(|e| ClientError::Tls {
                    what: "client certificate",
                    message: e.to_string(),
                })?;
                builder = builder.identity(id);
            }
            (None, None) => {}
            _ => {
                return Err(ClientError::Tls {
                    what: "client certificate",
                    message: "-notifier.tlsCertFile and -notifier.tlsKeyFile go together"
                        .to_string(),
                });
            }
        }
        if tls.insecure_skip_verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder
            .build()
            .map_err(|e| ClientError::Build(e.without_url().to_string()))?;
        Ok(AlertmanagerClient {
            http,
            endpoint,
            addr: redact(&settings.url),
            basic_from_url,
            auth: settings.auth.clone(),
            headers,
            timeout: settings.timeout,
            stats: Arc::new(PeerStats::default()),
        })
    }

    /// The redacted `-notifier.url`, as used in errors, logs and the `addr` metric label.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The full URL requests go to, user info removed.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn stats(&self) -> &PeerStats {
        &self.stats
    }

    /// POSTs `payload` with the group's `notifier_headers` (which override every other header). Succeeds only on
    /// a 2xx answer within the timeout.
    pub async fn send(
        &self,
        payload: &Payload,
        notifier_headers: &[(String, String)],
    ) -> Result<(), SendError> {
        self.stats
            .alerts_sent
            .fetch_add(payload.alerts as u64, Ordering::Relaxed);
        let post = self.post(payload, notifier_headers);
        let result = if self.timeout.is_zero() {
            // A zero -notifier.sendTimeout means no timeout, as in vmalert.
            post.await
        } else {
            match tokio::time::timeout(self.timeout, post).await {
                Ok(r) => r,
                Err(_) => Err(SendError::Timeout {
                    addr: self.addr.clone(),
                    timeout: self.timeout,
                }),
            }
        };
        if result.is_err() {
            self.stats
                .alerts_send_errors
                .fetch_add(payload.alerts as u64, Ordering::Relaxed);
        }
        result
    }

    async fn post(
        &self,
        payload: &Payload,
        notifier_headers: &[(String, String)],
    ) -> Result<(), SendError> {
        let mut headers = self.headers.clone();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let credentials = auth::authorization(&self.auth, self.basic_from_url.as_ref())
            .await
            .map_err(|message| SendError::Credentials {
                addr: self.addr.clone(),
                message,
            })?;
        let secrets = match credentials {
            Some(c) => {
                headers.insert(AUTHORIZATION, c.header);
                c.secrets
            }
            None => Vec::new(),
        };
        for (name, value) in notifier_headers {
            let (n, v) = header_pair(name, value).ok_or_else(|| SendError::Header {
                addr: self.addr.clone(),
                name: name.clone(),
            })?;
            headers.insert(n, v);
        }
        let response = self
            .http
            .post(self.endpoint.clone())
            .headers(headers)
            .body(payload.body.clone())
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = excerpt(response).await;
        Err(SendError::Status {
            addr: self.addr.clone(),
            status: status.as_u16(),
            body: auth::scrub(&body, &secrets),
        })
    }

    fn transport(&self, e: reqwest::Error) -> SendError {
        if e.is_timeout() {
            return SendError::Timeout {
                addr: self.addr.clone(),
                timeout: self.timeout,
            };
        }
        // without_url: the error must not carry the URL (it may hold user info); the chain says what went wrong.
        let e = e.without_url();
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        SendError::Transport {
            addr: self.addr.clone(),
            message,
        }
    }
}

fn header_pair(name: &str, value: &str) -> Option<(HeaderName, HeaderValue)> {
    let n = HeaderName::from_bytes(name.trim().as_bytes()).ok()?;
    let v = HeaderValue::from_str(value.trim()).ok()?;
    Some((n, v))
}

fn read_file(what: &'static str, path: &std::path::Path) -> Result<Vec<u8>, ClientError> {
    std::fs::read(path).map_err(|source| ClientError::File {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// The first [`BODY_EXCERPT_CHARS`] characters of an error answer, whitespace collapsed.
async fn excerpt(mut response: reqwest::Response) -> String {
    let mut raw = Vec::new();
    while raw.len() < BODY_EXCERPT_CHARS * 4 {
        match response.chunk().await {
            Ok(Some(chunk)) => raw.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&raw);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(BODY_EXCERPT_CHARS).collect();
    if collapsed.chars().count() > BODY_EXCERPT_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_appends_the_api_path_once() {
        for (url, want) in [
            ("http://am:9093", "http://am:9093/api/v2/alerts"),
            ("http://am:9093/", "http://am:9093/api/v2/alerts"),
            ("http://am:9093/am/", "http://am:9093/am/api/v2/alerts"),
            ("https://u:p@am/x", "https://am/x/api/v2/alerts"),
        ] {
            let c = AlertmanagerClient::new(&AlertmanagerSettings::new(url)).expect("client");
            assert_eq!(c.endpoint(), want, "{url}");
            assert!(!c.addr().contains(":p@"), "{}", c.addr());
            assert!(!format!("{c:?}").contains(":p@"), "{c:?}");
        }
        assert!(matches!(
            AlertmanagerClient::new(&AlertmanagerSettings::new("ftp://am")),
            Err(ClientError::Url { .. })
        ));
    }

    #[test]
    fn retryable_errors() {
        let status = |status| SendError::Status {
            addr: String::new(),
            status,
            body: String::new(),
        };
        assert!(status(503).is_retryable());
        assert!(status(429).is_retryable());
        assert!(!status(400).is_retryable());
        assert!(!status(415).is_retryable());
    }
}
