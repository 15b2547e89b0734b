//! Resolved settings for one Alertmanager: what vmalert's per-index `-notifier.*` flags say about the `i`-th
//! `-notifier.url`. The CLI turns flags into these; this module parses nothing and reads no files.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// vmalert's `-notifier.sendTimeout` default.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The path appended to every `-notifier.url`.
pub const ALERTS_PATH: &str = "/api/v2/alerts";

/// A secret given inline or as a file read at every send (so a rotated token is picked up, as vmalert does).
#[derive(Clone, PartialEq, Eq)]
pub enum Secret {
    Value(String),
    File(PathBuf),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Secret::Value(_) => f.write_str("Secret::Value(<redacted>)"),
            Secret::File(p) => f.debug_tuple("Secret::File").field(p).finish(),
        }
    }
}

/// How to authenticate to one Alertmanager (`-notifier.basicAuth.*`, `-notifier.bearerToken*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Auth {
    #[default]
    None,
    Basic {
        username: Secret,
        password: Option<Secret>,
    },
    Bearer(Secret),
    /// `authorization: {type, credentials}` of `-notifier.config`: `Authorization: <scheme> <credentials>`.
    Scheme {
        scheme: String,
        credentials: Secret,
    },
}

/// TLS settings, shared by every HTTP client.
pub use crate::secrets::TlsSettings;

/// Everything about sending to one Alertmanager. `Debug` shows no secrets: the URL is redacted and header values
/// are left out.
#[derive(Clone, PartialEq, Eq)]
pub struct AlertmanagerSettings {
    /// `-notifier.url`: scheme, host, port and an optional path prefix; [`ALERTS_PATH`] is appended after a
    /// trailing `/` is trimmed. User info in the URL is sent as basic auth and never shown.
    pub url: String,
    pub auth: Auth,
    pub tls: TlsSettings,
    /// `-notifier.headers` for this URL, in order; set before the `Authorization` header, which they cannot
    /// override (vmalert's order). Group `notifier_headers` are set last and override both.
    pub headers: Vec<(String, String)>,
    /// `-notifier.sendTimeout` for this URL: bounds connecting, sending and reading the answer. Zero means no
    /// timeout, as in vmalert.
    pub timeout: Duration,
    /// The URL is the whole endpoint (targets of `-notifier.config` carry their `__alerts_path__`): nothing is
    /// appended to it.
    pub exact_endpoint: bool,
}

impl AlertmanagerSettings {
    /// Settings for `url` with no auth, no TLS options, no headers and the default timeout.
    pub fn new(url: impl Into<String>) -> Self {
        AlertmanagerSettings {
            url: url.into(),
            auth: Auth::None,
            tls: TlsSettings::default(),
            headers: Vec::new(),
            timeout: DEFAULT_SEND_TIMEOUT,
            exact_endpoint: false,
        }
    }
}

impl fmt::Debug for AlertmanagerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("AlertmanagerSettings")
            .field("url", &super::auth::redact(&self.url))
            .field("auth", &self.auth)
            .field("tls", &self.tls)
            .field("headers", &header_names)
            .field("timeout", &self.timeout)
            .field("exact_endpoint", &self.exact_endpoint)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secrets() {
        let mut s = AlertmanagerSettings::new("http://user:pw-in-url@am:9093");
        s.auth = Auth::Bearer(Secret::Value("token-value".to_string()));
        s.headers = vec![("X-Api-Key".to_string(), "key-value".to_string())];
        let shown = format!("{s:?}");
        for secret in ["pw-in-url", "token-value", "key-value"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("X-Api-Key") && shown.contains("am:9093"),
            "{shown}"
        );
    }
}
