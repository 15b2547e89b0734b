//! What the datasource client is configured with: plain data resolved from `-datasource.*` flags by the CLI,
//! checked once by [`DatasourceSettings::validate`], plus the curl rendering the UI shows.
//!
//! Pure: reads no files and opens no connections. Secrets live in [`Secret`], whose `Debug` never prints them.

use super::InstantQuery;
use super::request::{self, Endpoint};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// A string that must not reach logs, errors or the UI. `Debug` and `Display` print `<secret>`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the one place that puts it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// `-datasource.basicAuth.*`. Files are read on every request, so rotated credentials take effect at once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BasicAuth {
    pub username: String,
    pub username_file: Option<PathBuf>,
    pub password: Option<Secret>,
    pub password_file: Option<PathBuf>,
}

/// `-datasource.bearerToken` or `-datasource.bearerTokenFile` (read on every request).
#[derive(Debug, Clone, PartialEq)]
pub enum BearerToken {
    Token(Secret),
    File(PathBuf),
}

/// TLS settings, shared by every HTTP client.
pub use crate::secrets::TlsSettings;

/// The datasource client's settings. Build with [`DatasourceSettings::new`] and adjust fields.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasourceSettings {
    /// `-datasource.url`, e.g. `http://vmselect:8481/select/0/prometheus`. Its path and query parameters are kept;
    /// credentials in it are sent as basic auth unless another `Authorization` is configured.
    pub url: String,
    /// `-datasource.appendTypePrefix` (false): add `/prometheus` to the URL's path.
    pub append_type_prefix: bool,
    /// `-remoteRead.disablePathAppend` (false): do not add `/api/v1/query` (vmalert applies it to the datasource too).
    pub disable_path_append: bool,
    /// `-datasource.queryStep` (5m): the `step` parameter, whole seconds. Zero means the group interval.
    pub query_step: Duration,
    /// `-datasource.disableStepParam` (false): send no `step` at all.
    pub disable_step_param: bool,
    /// `-datasource.roundDigits` (0 = off): the `round_digits` parameter.
    pub round_digits: u32,
    /// `nocache=1` on every query. vmalert sets it only in replay mode; off for `tocsin run`.
    pub nocache: bool,
    /// `-datasource.headers`, parsed with [`parse_headers`]. Values are treated as secrets in the curl rendering only
    /// when the header's name looks secret (as vmalert does).
    pub headers: Vec<(String, String)>,
    pub basic_auth: Option<BasicAuth>,
    pub bearer: Option<BearerToken>,
    pub tls: TlsSettings,
    /// Bounds one query, its retry included. vmalert has no such limit; the default (1m) is longer than vmselect's
    /// `-search.maxQueryDuration` (30s) so the server's own error arrives first. `None` or zero disables it.
    pub timeout: Option<Duration>,
    /// `-datasource.maxIdleConnections` (100).
    pub max_idle_connections: usize,
    /// `-datasource.idleConnTimeout` (50s).
    pub idle_conn_timeout: Duration,
    /// `-datasource.disableKeepAlive` (false).
    pub disable_keep_alive: bool,
}

/// A setting that cannot work. Messages never include secret values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid -datasource.url: {0}")]
    Url(String),
    #[error("missing ':' in header {0:?}; expecting \"Name: value\"")]
    Header(String),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("cannot read {what} {path:?}: {reason}")]
    File {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("invalid TLS settings: {0}")]
    Tls(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl DatasourceSettings {
    /// Settings for `url` with vmalert's defaults.
    pub fn new(url: impl Into<String>) -> Self {
        DatasourceSettings {
            url: url.into(),
            append_type_prefix: false,
            disable_path_append: false,
            query_step: Duration::from_secs(300),
            disable_step_param: false,
            round_digits: 0,
            nocache: false,
            headers: Vec::new(),
            basic_auth: None,
            bearer: None,
            tls: TlsSettings::default(),
            timeout: Some(Duration::from_secs(60)),
            max_idle_connections: 100,
            idle_conn_timeout: Duration::from_secs(50),
            disable_keep_alive: false,
        }
    }

    /// Checks what can be checked without IO, as vmalert does at start-up.
    pub fn validate(&self) -> Result<(), SettingsError> {
        Endpoint::parse(self)?;
        if let Some(b) = &self.basic_auth {
            if !b.username.is_empty() && b.username_file.is_some() {
                return Err(SettingsError::Conflict(
                    "both -datasource.basicAuth.username and -datasource.basicAuth.usernameFile are set",
                ));
            }
            if b.password.is_some() && b.password_file.is_some() {
                return Err(SettingsError::Conflict(
                    "both -datasource.basicAuth.password and -datasource.basicAuth.passwordFile are set",
                ));
            }
            if self.bearer.is_some() {
                return Err(SettingsError::Conflict(
                    "cannot use both -datasource.basicAuth.* and -datasource.bearerToken*",
                ));
            }
        }
        if self.tls.cert_file.is_some() != self.tls.key_file.is_some() {
            return Err(SettingsError::Tls(
                "-datasource.tlsCertFile and -datasource.tlsKeyFile must be set together".into(),
            ));
        }
        Ok(())
    }

    /// A curl command line reproducing `query`, as vmalert's UI shows it: `-k` for https, `-X POST`, headers sorted
    /// by name with secret-looking ones (and `Authorization`) as `<secret>`, and the URL with any password replaced
    /// by `<secret>`. Arguments are single-quoted for a POSIX shell.
    pub fn curl_command(&self, query: &InstantQuery<'_>) -> String {
        let endpoint = match Endpoint::parse(self) {
            Ok(e) => e,
            Err(e) => return format!("# {e}"),
        };
        let auth_placeholder =
            (self.basic_auth.is_some() || self.bearer.is_some() || endpoint.userinfo.is_some())
                .then_some("<secret>");
        let req = request::build(self, &endpoint, query, auth_placeholder);
        let mut headers = req.headers.clone();
        headers.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = String::from("curl");
        if endpoint.base.scheme() == "https" {
            out.push_str(" -k");
        }
        out.push_str(" -X POST");
        for (name, value) in &headers {
            let value = if is_secret_header(name) {
                "<secret>"
            } else {
                value.as_str()
            };
            out.push_str(" -H ");
            out.push_str(&shell_quote(&format!("{name}: {value}")));
        }
        let url = match &endpoint.userinfo {
            Some((user, _)) => req.url.replacen("://", &format!("://{user}:<secret>@"), 1),
            None => req.url.clone(),
        };
        out.push(' ');
        out.push_str(&shell_quote(&url));
        out
    }
}

/// vmalert's test for headers whose values the UI hides.
pub(crate) fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["auth", "pass", "key", "secret", "token"]
        .iter()
        .any(|w| n.contains(w))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Parses `-datasource.headers`: `Name: value` pairs separated by `^^`. Names are canonicalised as Go's
/// `http.CanonicalHeaderKey` does (`x-scope-orgid` → `X-Scope-Orgid`); names and values are trimmed.
pub fn parse_headers(flag: &str) -> Result<Vec<(String, String)>, SettingsError> {
    if flag.is_empty() {
        return Ok(Vec::new());
    }
    flag.split("^^")
        .map(|h| match h.split_once(':') {
            Some((name, value)) => {
                Ok((canonical_header_key(name.trim()), value.trim().to_string()))
            }
            // The header's value may be secret; show only its name part.
            None => Err(SettingsError::Header(h.chars().take(40).collect())),
        })
        .collect()
}

/// Go's `textproto.CanonicalMIMEHeaderKey` for valid token names: first letter and letters after `-` upper case.
pub fn canonical_header_key(name: &str) -> String {
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return name.to_string();
    }
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_flag_is_split_trimmed_and_canonicalised() {
        assert_eq!(
            parse_headers("x-scope-orgid: 42 ^^Authorization:Bearer a:b").unwrap(),
            vec![
                ("X-Scope-Orgid".to_string(), "42".to_string()),
                ("Authorization".to_string(), "Bearer a:b".to_string()),
            ]
        );
        assert_eq!(parse_headers("").unwrap(), vec![]);
        assert!(matches!(
            parse_headers("a: b^^novalue"),
            Err(SettingsError::Header(_))
        ));
    }

    #[test]
    fn secret_debug_hides_value() {
        let mut s = DatasourceSettings::new("http://h");
        s.bearer = Some(BearerToken::Token(Secret::new("tok3n")));
        assert!(!format!("{s:?}").contains("tok3n"));
    }

    #[test]
    fn validate_rejects_conflicts() {
        let mut s = DatasourceSettings::new("http://h");
        s.basic_auth = Some(BasicAuth {
            username: "u".into(),
            password: Some(Secret::new("p")),
            ..Default::default()
        });
        assert!(s.validate().is_ok());
        s.bearer = Some(BearerToken::Token(Secret::new("t")));
        assert!(s.validate().is_err());
        let mut s = DatasourceSettings::new("ftp://h");
        assert!(s.validate().is_err());
        s.url = "http://h".into();
        s.tls.cert_file = Some("c.pem".into());
        assert!(s.validate().is_err());
    }
}
