//! The `-notifier.config` file, read as vmalert reads it: globals (`scheme`, `path_prefix`, `timeout`, HTTP client
//! settings), `static_configs`, `dns_sd_configs`, target `relabel_configs` and `alert_relabel_configs` (global, and
//! per static or DNS entry). Every problem in the file is reported with file, line, column and field path, through
//! the rule loader's YAML tree (`config::yaml`) and shape readers (`config::raw`).
//!
//! Pure: it is handed the text and the directory relative paths are resolved against; it reads no file (secret
//! and TLS files are read later, by the client).

use super::config::{Auth, DEFAULT_SEND_TIMEOUT, Secret, TlsSettings};
use super::relabel::{RelabelRule, RelabelSpec, Relabeling};
use crate::config::diagnostic::{Diagnostic, Report};
use crate::config::duration::DurationSyntax;
use crate::config::raw::{self, Sp};
use crate::config::yaml::{self, Node, NodeKind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// HTTP client settings of one level (global, or one static config); `None` where the level says nothing, so a
/// static config falls back to the global value field by field, as vmalert merges them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpConfig {
    pub auth: Option<Auth>,
    pub tls: Option<TlsSettings>,
    pub headers: Option<Vec<(String, String)>>,
}

impl HttpConfig {
    /// `self` with every field it leaves unset taken from `parent`.
    pub fn or(&self, parent: &HttpConfig) -> HttpConfig {
        HttpConfig {
            auth: self.auth.clone().or_else(|| parent.auth.clone()),
            tls: self.tls.clone().or_else(|| parent.tls.clone()),
            headers: self.headers.clone().or_else(|| parent.headers.clone()),
        }
    }
}

/// One `static_configs` entry.
#[derive(Debug, Clone)]
pub struct StaticConfig {
    /// `host:port`, or a full URL with a path (`https://am:9093/prefix/api/v2/alerts`).
    pub targets: Vec<String>,
    pub http: HttpConfig,
    pub alert_relabel: Arc<Relabeling>,
}

/// Which records a `dns_sd_configs` entry asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsKind {
    Srv,
    A,
    Aaaa,
}

/// One `dns_sd_configs` entry.
#[derive(Debug, Clone)]
pub struct DnsSdConfig {
    pub names: Vec<String>,
    pub kind: DnsKind,
    /// Required for A and AAAA; SRV records carry their own.
    pub port: Option<u16>,
    pub alert_relabel: Arc<Relabeling>,
}

/// The whole file.
#[derive(Debug, Clone)]
pub struct NotifierFileConfig {
    pub scheme: String,
    pub path_prefix: String,
    pub timeout: Duration,
    pub http: HttpConfig,
    pub static_configs: Vec<StaticConfig>,
    pub dns_sd_configs: Vec<DnsSdConfig>,
    /// Target `relabel_configs`.
    pub relabel: Arc<Relabeling>,
    /// Global `alert_relabel_configs`.
    pub alert_relabel: Arc<Relabeling>,
}

/// Every problem found in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct FileError {
    pub diagnostics: Vec<Diagnostic>,
}

const TOP_FIELDS: &[&str] = &[
    "scheme",
    "path_prefix",
    "timeout",
    "static_configs",
    "dns_sd_configs",
    "consul_sd_configs",
    "relabel_configs",
    "alert_relabel_configs",
    "authorization",
    "basic_auth",
    "bearer_token",
    "bearer_token_file",
    "tls_config",
    "headers",
    "oauth2",
    "follow_redirects",
    "proxy_url",
];

const STATIC_FIELDS: &[&str] = &[
    "targets",
    "alert_relabel_configs",
    "authorization",
    "basic_auth",
    "bearer_token",
    "bearer_token_file",
    "tls_config",
    "headers",
    "oauth2",
    "follow_redirects",
    "proxy_url",
];

const DNS_FIELDS: &[&str] = &["names", "type", "port", "alert_relabel_configs"];

const RELABEL_FIELDS: &[&str] = &[
    "source_labels",
    "separator",
    "target_label",
    "regex",
    "modulus",
    "replacement",
    "action",
];

const TLS_FIELDS: &[&str] = &[
    "ca_file",
    "cert_file",
    "key_file",
    "server_name",
    "insecure_skip_verify",
    "ca",
    "cert",
    "key",
    "min_version",
];

/// Parses the file `name` (used in messages) with text `text`; relative paths in it are resolved against
/// `base_dir` (the file's directory, as vmalert does).
pub fn parse(name: &str, text: &str, base_dir: &Path) -> Result<NotifierFileConfig, FileError> {
    let mut report = Report::new(name);
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            report.error(e.pos, "", e.message);
            return Err(FileError {
                diagnostics: report.items,
            });
        }
    };
    let mut cfg = NotifierFileConfig {
        scheme: "http".to_string(),
        path_prefix: String::new(),
        timeout: DEFAULT_SEND_TIMEOUT,
        http: HttpConfig::default(),
        static_configs: Vec::new(),
        dns_sd_configs: Vec::new(),
        relabel: Arc::default(),
        alert_relabel: Arc::default(),
    };
    let mut r = Reader {
        report: &mut report,
        base_dir,
    };
    if docs.len() > 1 {
        r.report
            .error(docs[1].pos, "", "expected one YAML document, got several");
    }
    if let Some(doc) = docs.first() {
        r.top(doc, &mut cfg);
    }
    if report.has_errors() {
        return Err(FileError {
            diagnostics: report.items,
        });
    }
    Ok(cfg)
}

struct Reader<'a> {
    report: &'a mut Report,
    base_dir: &'a Path,
}

impl Reader<'_> {
    fn top(&mut self, doc: &Node, cfg: &mut NotifierFileConfig) {
        let mut http = Vec::new();
        for (key, value) in raw::fields(doc, "", "notifier config", TOP_FIELDS, self.report) {
            match key {
                "scheme" => {
                    if let Some(s) = self.string(value, key) {
                        if s.value != "http" && s.value != "https" {
                            self.report.error(
                                s.pos,
                                key,
                                format!("unsupported scheme {:?}; want http or https", s.value),
                            );
                        } else {
                            cfg.scheme = s.value;
                        }
                    }
                }
                "path_prefix" => {
                    if let Some(s) = self.string(value, key) {
                        cfg.path_prefix = s.value;
                    }
                }
                "timeout" => {
                    if let Some(t) = self.duration(value, key) {
                        cfg.timeout = t;
                    }
                }
                "static_configs" => {
                    for (i, item) in raw::list(value, key, self.report).into_iter().enumerate() {
                        let p = format!("static_configs[{i}]");
                        cfg.static_configs.push(self.static_config(item, &p));
                    }
                }
                "dns_sd_configs" => {
                    for (i, item) in raw::list(value, key, self.report).into_iter().enumerate() {
                        let p = format!("dns_sd_configs[{i}]");
                        if let Some(d) = self.dns_config(item, &p) {
                            cfg.dns_sd_configs.push(d);
                        }
                    }
                }
                "consul_sd_configs" => self.report.error(
                    value.pos,
                    key,
                    "consul_sd_configs is not supported by tocsin; use static_configs or dns_sd_configs",
                ),
                "relabel_configs" => cfg.relabel = Arc::new(self.relabel(value, key)),
                "alert_relabel_configs" => cfg.alert_relabel = Arc::new(self.relabel(value, key)),
                _ => http.push((key, value)),
            }
        }
        cfg.http = self.http(&http, "");
    }

    fn static_config(&mut self, node: &Node, path: &str) -> StaticConfig {
        let mut out = StaticConfig {
            targets: Vec::new(),
            http: HttpConfig::default(),
            alert_relabel: Arc::default(),
        };
        let mut http = Vec::new();
        for (key, value) in raw::fields(node, path, "static config", STATIC_FIELDS, self.report) {
            let p = format!("{path}.{key}");
            match key {
                "targets" => {
                    out.targets = raw::strings(value, &p, self.report)
                        .into_iter()
                        .enumerate()
                        .filter_map(|(i, t)| {
                            if t.value.trim().is_empty() {
                                self.report
                                    .error(t.pos, &format!("{p}[{i}]"), "empty target");
                                None
                            } else {
                                Some(t.value)
                            }
                        })
                        .collect()
                }
                "alert_relabel_configs" => out.alert_relabel = Arc::new(self.relabel(value, &p)),
                _ => http.push((key, value)),
            }
        }
        out.http = self.http(&http, path);
        out
    }

    fn dns_config(&mut self, node: &Node, path: &str) -> Option<DnsSdConfig> {
        let mut names = Vec::new();
        let mut kind = DnsKind::Srv;
        let mut port = None;
        let mut alert_relabel = Arc::default();
        for (key, value) in raw::fields(node, path, "dns_sd_config", DNS_FIELDS, self.report) {
            let p = format!("{path}.{key}");
            match key {
                "names" => {
                    names = raw::strings(value, &p, self.report)
                        .into_iter()
                        .map(|s| s.value)
                        .collect()
                }
                "type" => {
                    if let Some(t) = self.string(value, &p) {
                        kind = match t.value.to_ascii_uppercase().as_str() {
                            "SRV" | "" => DnsKind::Srv,
                            "A" => DnsKind::A,
                            "AAAA" => DnsKind::Aaaa,
                            _ => {
                                self.report.error(
                                    t.pos,
                                    &p,
                                    format!(
                                        "unsupported type {:?}; tocsin supports SRV, A and AAAA",
                                        t.value
                                    ),
                                );
                                DnsKind::Srv
                            }
                        }
                    }
                }
                "port" => {
                    if let Some(v) = raw::integer(value, &p, self.report) {
                        match u16::try_from(v.value) {
                            Ok(p16) if p16 > 0 => port = Some(p16),
                            _ => self.report.error(
                                v.pos,
                                &p,
                                format!("port {} is out of range 1-65535", v.value),
                            ),
                        }
                    }
                }
                "alert_relabel_configs" => alert_relabel = Arc::new(self.relabel(value, &p)),
                _ => {}
            }
        }
        if names.is_empty() {
            self.report.error(
                node.pos,
                &format!("{path}.names"),
                "`names` cannot be empty",
            );
            return None;
        }
        if kind != DnsKind::Srv && port.is_none() {
            self.report.error(
                node.pos,
                &format!("{path}.port"),
                "`port` is required for A and AAAA lookups",
            );
            return None;
        }
        Some(DnsSdConfig {
            names,
            kind,
            port,
            alert_relabel,
        })
    }

    /// The HTTP client fields of one level.
    fn http(&mut self, fields: &[(&'static str, &Node)], path: &str) -> HttpConfig {
        let p = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        let mut out = HttpConfig::default();
        let mut auth_fields: Vec<&str> = Vec::new();
        for (key, value) in fields {
            let fp = p(key);
            match *key {
                "authorization" => {
                    auth_fields.push(key);
                    out.auth = self.authorization(value, &fp);
                }
                "basic_auth" => {
                    auth_fields.push(key);
                    out.auth = self.basic_auth(value, &fp);
                }
                "bearer_token" => {
                    auth_fields.push(key);
                    out.auth = self
                        .string(value, &fp)
                        .map(|s| Auth::Bearer(Secret::Value(s.value)));
                }
                "bearer_token_file" => {
                    auth_fields.push(key);
                    out.auth = self
                        .string(value, &fp)
                        .map(|s| Auth::Bearer(Secret::File(self.path(&s.value))));
                }
                "tls_config" => out.tls = self.tls(value, &fp),
                "headers" => {
                    let mut headers = Vec::new();
                    for (i, h) in raw::strings(value, &fp, self.report)
                        .into_iter()
                        .enumerate()
                    {
                        match h.value.split_once(':') {
                            Some((n, v)) if !n.trim().is_empty() => {
                                headers.push((n.trim().to_string(), v.trim().to_string()))
                            }
                            // The value may be secret: show only where it is.
                            _ => self.report.error(
                                h.pos,
                                &format!("{fp}[{i}]"),
                                "expected a header as `Name: value`",
                            ),
                        }
                    }
                    out.headers = Some(headers);
                }
                "follow_redirects" => {
                    if let Some(b) = raw::boolean(value, &fp, self.report)
                        && !b.value
                    {
                        self.report.error(
                            b.pos,
                            &fp,
                            "follow_redirects: false is not supported by tocsin (redirects are followed)",
                        );
                    }
                }
                "oauth2" | "proxy_url" => self.report.error(
                    value.pos,
                    &fp,
                    format!("{key} is not supported by tocsin yet"),
                ),
                _ => {}
            }
        }
        if auth_fields.len() > 1 {
            self.report.error(
                fields
                    .iter()
                    .find(|(k, _)| *k == auth_fields[1])
                    .map(|(_, n)| n.pos)
                    .unwrap_or_default(),
                &p(auth_fields[1]),
                format!(
                    "at most one of authorization, basic_auth, bearer_token and bearer_token_file may be set; got {}",
                    auth_fields.join(" and ")
                ),
            );
        }
        out
    }

    fn authorization(&mut self, node: &Node, path: &str) -> Option<Auth> {
        let mut scheme = "Bearer".to_string();
        let mut credentials = None;
        let known = &["type", "credentials", "credentials_file"];
        for (key, value) in raw::fields(node, path, "authorization", known, self.report) {
            let p = format!("{path}.{key}");
            let Some(s) = self.string(value, &p) else {
                continue;
            };
            match key {
                "type" if !s.value.is_empty() => scheme = s.value,
                "credentials" => credentials = Some(Secret::Value(s.value)),
                "credentials_file" => credentials = Some(Secret::File(self.path(&s.value))),
                _ => {}
            }
        }
        match credentials {
            Some(credentials) => Some(Auth::Scheme {
                scheme,
                credentials,
            }),
            None => {
                self.report.error(
                    node.pos,
                    path,
                    "authorization needs credentials or credentials_file",
                );
                None
            }
        }
    }

    fn basic_auth(&mut self, node: &Node, path: &str) -> Option<Auth> {
        let known = &["username", "username_file", "password", "password_file"];
        let mut username = None;
        let mut password = None;
        for (key, value) in raw::fields(node, path, "basic_auth", known, self.report) {
            let p = format!("{path}.{key}");
            let Some(s) = self.string(value, &p) else {
                continue;
            };
            match key {
                "username" => username = Some(Secret::Value(s.value)),
                "username_file" => username = Some(Secret::File(self.path(&s.value))),
                "password" => password = Some(Secret::Value(s.value)),
                "password_file" => password = Some(Secret::File(self.path(&s.value))),
                _ => {}
            }
        }
        Some(Auth::Basic {
            username: username.unwrap_or_else(|| Secret::Value(String::new())),
            password,
        })
    }

    fn tls(&mut self, node: &Node, path: &str) -> Option<TlsSettings> {
        let mut t = TlsSettings::default();
        for (key, value) in raw::fields(node, path, "tls_config", TLS_FIELDS, self.report) {
            let p = format!("{path}.{key}");
            match key {
                "insecure_skip_verify" => {
                    t.insecure_skip_verify =
                        raw::boolean(value, &p, self.report).is_some_and(|b| b.value)
                }
                "ca" | "cert" | "key" | "min_version" => self.report.error(
                    value.pos,
                    &p,
                    format!(
                        "tls_config.{key} is not supported by tocsin yet; use the *_file fields"
                    ),
                ),
                _ => {
                    let Some(s) = self.string(value, &p) else {
                        continue;
                    };
                    match key {
                        "ca_file" => t.ca_file = Some(self.path(&s.value)),
                        "cert_file" => t.cert_file = Some(self.path(&s.value)),
                        "key_file" => t.key_file = Some(self.path(&s.value)),
                        "server_name" if !s.value.is_empty() => t.server_name = Some(s.value),
                        _ => {}
                    }
                }
            }
        }
        Some(t)
    }

    fn relabel(&mut self, node: &Node, path: &str) -> Relabeling {
        let mut rules = Vec::new();
        for (i, item) in raw::list(node, path, self.report).into_iter().enumerate() {
            let p = format!("{path}[{i}]");
            let mut spec = RelabelSpec::default();
            let mut positions: Vec<(&str, yaml::Pos)> = Vec::new();
            for (key, value) in raw::fields(item, &p, "relabel config", RELABEL_FIELDS, self.report)
            {
                let fp = format!("{p}.{key}");
                positions.push((key, value.pos));
                match key {
                    "source_labels" => {
                        spec.source_labels = Some(match &value.kind {
                            // A single name is accepted as a one-element list, as VictoriaMetrics does.
                            NodeKind::Scalar { .. } if !value.is_null() => {
                                vec![value.as_scalar().unwrap_or("").to_string()]
                            }
                            _ => raw::strings(value, &fp, self.report)
                                .into_iter()
                                .map(|s| s.value)
                                .collect(),
                        })
                    }
                    "modulus" => {
                        if let Some(m) = raw::integer(value, &fp, self.report) {
                            match u64::try_from(m.value) {
                                Ok(v) => spec.modulus = Some(v),
                                Err(_) => {
                                    self.report
                                        .error(m.pos, &fp, "modulus must not be negative")
                                }
                            }
                        }
                    }
                    _ => {
                        if value.is_null() {
                            continue;
                        }
                        let Some(s) = self.string(value, &fp) else {
                            continue;
                        };
                        match key {
                            "separator" => spec.separator = Some(s.value),
                            "target_label" => spec.target_label = Some(s.value),
                            "regex" => spec.regex = Some(s.value),
                            "replacement" => spec.replacement = Some(s.value),
                            "action" => spec.action = Some(s.value),
                            _ => {}
                        }
                    }
                }
            }
            match RelabelRule::new(&spec) {
                Ok(r) => rules.push(r),
                Err(e) => {
                    let pos = positions
                        .iter()
                        .find(|(k, _)| *k == e.field)
                        .map(|(_, pos)| *pos)
                        .unwrap_or(item.pos);
                    self.report
                        .error(pos, &format!("{p}.{}", e.field), e.message);
                }
            }
        }
        Relabeling::new(rules)
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<Sp<String>> {
        raw::string(node, path, self.report)
    }

    fn duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        let text = raw::duration_text(node, path, self.report)?;
        match crate::config::Duration::parse(&text.value, DurationSyntax::MetricsQl) {
            Ok(d) => match d.to_std() {
                Some(d) if !d.is_zero() => Some(d),
                // vmalert: zero means the default.
                Some(_) => Some(DEFAULT_SEND_TIMEOUT),
                None => {
                    self.report.error(text.pos, path, "must not be negative");
                    None
                }
            },
            Err(e) => {
                self.report.error(text.pos, path, e.to_string());
                None
            }
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

#[cfg(test)]
mod tests;
