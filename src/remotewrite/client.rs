//! Sending one encoded batch: the HTTP POST with the remote-write 1.0 headers and auth, and the retry policy
//! around it (exponential backoff on network errors, 5xx and 429; no retry on other 4xx).
//!
//! Thin IO over a body the encoder produced; it knows nothing about samples, queues or rules. Errors and logs
//! name the endpoint without credentials and never include secrets or header values.

use super::config::{Auth, RemoteWriteSettings};
use super::stats::RemoteWriteStats;
use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::Duration;

/// The remote-write protocol version header value of Prometheus remote write 1.0.
pub const PROTOCOL_VERSION: &str = "0.1.0";
/// Upper bound on retries of one batch, on top of `retry_max_time`, so a zero delay cannot spin forever.
const MAX_RETRIES: usize = 64;
/// How much of an error response body is kept for the log.
const MAX_ERROR_BODY: usize = 512;

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Connection refused or reset, timeout: worth retrying.
    #[error("cannot reach {endpoint}: {reason}")]
    Network { endpoint: String, reason: String },
    /// A non-2xx answer; retryable for 5xx and 429.
    #[error("{endpoint} answered {status}: {body}")]
    Status {
        endpoint: String,
        status: u16,
        body: String,
    },
    /// The request could not be built (a secret file is unreadable, a header value is invalid): not retried.
    #[error("cannot build request to {endpoint}: {reason}")]
    Request { endpoint: String, reason: String },
}

impl SendError {
    /// Network errors, 5xx and 429 are retried; everything else drops the batch.
    pub fn is_retryable(&self) -> bool {
        match self {
            SendError::Network { .. } => true,
            SendError::Status { status, .. } => *status >= 500 || *status == 429,
            SendError::Request { .. } => false,
        }
    }
}

/// Posts encoded batches to one remote-write endpoint.
#[derive(Debug)]
pub struct HttpSender {
    client: reqwest::Client,
    endpoint: reqwest::Url,
    /// The endpoint without user info, for errors and logs.
    shown: String,
    auth: Auth,
    headers: Vec<(HeaderName, super::config::Secret)>,
    backoff: ExponentialBuilder,
    /// The backoff of [`HttpSender::send_until_acknowledged`]: no total limit.
    persistent: ExponentialBuilder,
    stats: Arc<RemoteWriteStats>,
}

impl HttpSender {
    /// Builds the client; `client` carries the timeout and TLS settings (see `writer`).
    pub(crate) fn new(
        client: reqwest::Client,
        endpoint: reqwest::Url,
        auth: Auth,
        settings: &RemoteWriteSettings,
        headers: Vec<(HeaderName, super::config::Secret)>,
        stats: Arc<RemoteWriteStats>,
    ) -> Self {
        let mut shown = endpoint.clone();
        // Both calls fail only for URLs that cannot have user info, which then have none to hide.
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        HttpSender {
            client,
            shown: shown.to_string(),
            endpoint,
            auth,
            headers,
            backoff: backoff(settings.retry_min_interval, settings.retry_max_time),
            persistent: persistent_backoff(settings.retry_min_interval, settings.retry_max_time),
            stats,
        }
    }

    /// The endpoint as logs show it (no credentials).
    pub fn endpoint(&self) -> &str {
        &self.shown
    }

    /// Sends `body`, retrying retryable failures with exponential backoff until `retry_max_time` worth of delays
    /// is spent. Returns the last error when the batch is given up.
    pub async fn send(&self, body: &[u8]) -> Result<(), SendError> {
        (|| self.send_once(body))
            .retry(self.backoff)
            .when(SendError::is_retryable)
            .notify(|err: &SendError, delay: Duration| {
                RemoteWriteStats::add(&self.stats.retries, 1);
                tracing::warn!(endpoint = %self.shown, error = %err, retry_in = ?delay, "remote write failed, retrying");
            })
            .await
    }

    /// Sends `body` until it is acknowledged or refused for good: retryable failures are retried for ever, with
    /// delays doubling from `retry_min_interval` (at least 10 ms) up to `retry_max_time` each. For a durable
    /// queue; the caller ends the wait by dropping the future (shutdown deadline).
    pub async fn send_until_acknowledged(&self, body: &[u8]) -> Result<(), SendError> {
        (|| self.send_once(body))
            .retry(self.persistent)
            .when(SendError::is_retryable)
            .notify(|err: &SendError, delay: Duration| {
                RemoteWriteStats::add(&self.stats.retries, 1);
                tracing::warn!(endpoint = %self.shown, error = %err, retry_in = ?delay,
                    "remote write failed; the batch stays queued and is retried");
            })
            .await
    }

    /// One POST, no retry.
    pub async fn send_once(&self, body: &[u8]) -> Result<(), SendError> {
        RemoteWriteStats::add(&self.stats.requests, 1);
        let request = self.build(body)?;
        let response = request.send().await.map_err(|e| SendError::Network {
            endpoint: self.shown.clone(),
            reason: describe(&e.without_url()),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        // The body is only for the log; failing to read it does not change the verdict.
        let text = response.text().await.unwrap_or_default();
        let mut body: String = text.chars().take(MAX_ERROR_BODY).collect();
        if body.len() < text.len() {
            body.push('…');
        }
        Err(SendError::Status {
            endpoint: self.shown.clone(),
            status: status.as_u16(),
            body,
        })
    }

    fn build(&self, body: &[u8]) -> Result<reqwest::RequestBuilder, SendError> {
        let fail = |reason: String| SendError::Request {
            endpoint: self.shown.clone(),
            reason,
        };
        let mut request = self
            .client
            .post(self.endpoint.clone())
            .header(CONTENT_ENCODING, "snappy")
            .header(CONTENT_TYPE, "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", PROTOCOL_VERSION);
        for (name, secret) in &self.headers {
            let value = secret
                .read()
                .map_err(|e| fail(format!("cannot read header {name}: {e}")))?;
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                fail(format!(
                    "header {name} has a value that is not valid in HTTP"
                ))
            })?;
            value.set_sensitive(true);
            request = request.header(name.clone(), value);
        }
        match &self.auth {
            Auth::None => {}
            Auth::Basic { username, password } => {
                let password = password
                    .read()
                    .map_err(|e| fail(format!("cannot read basic auth password: {e}")))?;
                request = request.basic_auth(username, Some(password));
            }
            Auth::Bearer(token) => {
                let token = token
                    .read()
                    .map_err(|e| fail(format!("cannot read bearer token: {e}")))?;
                let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| fail("bearer token is not a valid header value".to_string()))?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
        }
        Ok(request.body(body.to_vec()))
    }
}

/// vmalert's policy: start at `min`, double each time, stop once the delays would exceed `max_total`.
fn backoff(min: Duration, max_total: Duration) -> ExponentialBuilder {
    // Capped so that backon's sums of delays cannot overflow.
    let cap = Duration::from_secs(365 * 24 * 3600);
    let (min, max_total) = (min.min(cap), max_total.min(cap));
    ExponentialBuilder::default()
        .with_min_delay(min)
        .with_factor(2.0)
        .with_max_delay(max_total.max(min))
        .with_total_delay(Some(max_total))
        .with_max_times(MAX_RETRIES)
}

/// A durable queue's policy: start at `min` (at least 10 ms), double, cap each delay at `max_delay`, never stop.
fn persistent_backoff(min: Duration, max_delay: Duration) -> ExponentialBuilder {
    let cap = Duration::from_secs(365 * 24 * 3600);
    let min = min.clamp(Duration::from_millis(10), cap);
    ExponentialBuilder::default()
        .with_min_delay(min)
        .with_factor(2.0)
        .with_max_delay(max_delay.clamp(min, cap))
        .with_total_delay(None)
        .without_max_times()
}

/// An error and its causes on one line (reqwest's top-level message alone says little).
fn describe(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    // Error chains are short; the bound only guards against a cyclic `source`.
    for _ in 0..8 {
        let Some(e) = source else { break };
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> SendError {
        SendError::Status {
            endpoint: String::new(),
            status: code,
            body: String::new(),
        }
    }

    #[test]
    fn retry_classification_follows_the_spec() {
        assert!(status(500).is_retryable());
        assert!(status(503).is_retryable());
        assert!(status(429).is_retryable());
        assert!(!status(400).is_retryable());
        assert!(!status(404).is_retryable());
        assert!(!status(413).is_retryable());
    }

    #[test]
    fn backoff_doubles_from_min_within_the_budget() {
        use backon::BackoffBuilder;
        let delays: Vec<u64> = backoff(Duration::from_secs(1), Duration::from_secs(30))
            .build()
            .map(|d| d.as_secs())
            .collect();
        // 1+2+4+8 = 15; the next (16) would pass 30 s.
        assert_eq!(delays, vec![1, 2, 4, 8]);
    }

    #[test]
    fn persistent_backoff_doubles_to_the_cap_and_does_not_stop() {
        use backon::BackoffBuilder;
        let delays: Vec<u64> = persistent_backoff(Duration::from_secs(1), Duration::from_secs(30))
            .build()
            .take(100)
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(delays.len(), 100);
        assert_eq!(&delays[..7], &[1, 2, 4, 8, 16, 30, 30]);
        assert!(delays.iter().all(|&d| d <= 30));
        let floor = persistent_backoff(Duration::ZERO, Duration::ZERO)
            .build()
            .next();
        assert_eq!(floor, Some(Duration::from_millis(10)));
    }

    #[test]
    fn zero_delays_are_still_bounded() {
        use backon::BackoffBuilder;
        let n = backoff(Duration::ZERO, Duration::ZERO).build().count();
        assert_eq!(n, MAX_RETRIES);
    }
}
