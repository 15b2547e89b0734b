//! From a `-notifier.config` file to the peers of a running [`Notifier`]: static targets, DNS discovery (SRV, A,
//! AAAA through hickory-resolver) refreshed every `-promscrape.dnsSDCheckInterval`, target relabeling with
//! `__address__`, `__scheme__`, `__alerts_path__` and `__meta_dns_*` labels, and reloads that keep the queues of
//! peers whose address is unchanged.
//!
//! A DNS lookup that fails keeps the targets the name had before (vmalert drops them, and their queues with them).
//! Knows nothing about evaluation; reads the config file only when asked to reload.

use super::config::AlertmanagerSettings;
use super::dispatch::{Notifier, ReloadReport, Target, TargetSet};
use super::file::{self, DnsKind, DnsSdConfig, HttpConfig, NotifierFileConfig};
use crate::rule::Labels;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// vmalert's `-promscrape.dnsSDCheckInterval` default.
pub const DEFAULT_DNS_INTERVAL: Duration = Duration::from_secs(30);

/// How discovery runs.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveryOptions {
    /// How often DNS names are looked up again.
    pub dns_interval: Duration,
    /// Name servers to ask instead of the system's (`/etc/resolv.conf`); for tests and special setups.
    pub dns_servers: Vec<SocketAddr>,
    /// `-notifier.suppressDuplicateTargetErrors`: duplicate targets are skipped quietly.
    pub suppress_duplicate_errors: bool,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            dns_interval: DEFAULT_DNS_INTERVAL,
            dns_servers: Vec::new(),
            suppress_duplicate_errors: false,
        }
    }
}

/// Why a config could not be applied. Nothing changes when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    File(#[from] file::FileError),
    #[error("notifier target {target:?}: {message}")]
    Target { target: String, message: String },
    #[error("notifier: {0}")]
    Client(#[from] super::send::ClientError),
    #[error("cannot set up the DNS resolver: {0}")]
    Resolver(String),
}

/// The `/api/v2/alerts` path under `prefix`, as Go's `path.Join("/", prefix, "/api/v2/alerts")`.
fn alerts_path(prefix: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in prefix.split('/').chain(super::ALERTS_PATH.split('/')) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Turns one target (as written, or `__address__` from discovery) and its meta labels into a [`Target`] after
/// target relabeling, as vmalert's `parseLabels`. `Ok(None)` when relabeling drops it or leaves no address.
pub fn target_from(
    address: &str,
    meta: &Labels,
    cfg: &NotifierFileConfig,
    http: &HttpConfig,
    alert_relabel: &Arc<super::relabel::Relabeling>,
) -> Result<Option<Target>, String> {
    let mut scheme = cfg.scheme.clone();
    let mut path = alerts_path(&cfg.path_prefix);
    let mut addr = address;
    if let Some(rest) = addr.strip_prefix("http://") {
        scheme = "http".to_string();
        addr = rest;
    } else if let Some(rest) = addr.strip_prefix("https://") {
        scheme = "https".to_string();
        addr = rest;
    }
    if let Some(i) = addr.find('/') {
        path = addr[i..].to_string();
        addr = &addr[..i];
    }
    let mut labels = meta.clone();
    labels.insert("__address__".to_string(), addr.to_string());
    labels.insert("__scheme__".to_string(), scheme);
    labels.insert("__alerts_path__".to_string(), path);
    let Some(mut labels) = cfg.relabel.apply(&labels) else {
        return Ok(None);
    };
    labels.retain(|k, _| !k.starts_with("__meta_"));
    let scheme = labels
        .get("__scheme__")
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| "http".to_string());
    let mut path = labels.get("__alerts_path__").cloned().unwrap_or_default();
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let Some(mut host) = labels.get("__address__").filter(|a| !a.is_empty()).cloned() else {
        return Ok(None);
    };
    if !host.contains(':') {
        host.push_str(if scheme == "https" { ":443" } else { ":80" });
    }
    let url = format!("{scheme}://{host}{path}");
    reqwest::Url::parse(&url).map_err(|e| format!("invalid url {url:?}: {e}"))?;
    let mut settings = AlertmanagerSettings::new(url);
    settings.exact_endpoint = true;
    settings.timeout = cfg.timeout;
    settings.auth = http.auth.clone().unwrap_or_default();
    settings.tls = http.tls.clone().unwrap_or_default();
    settings.headers = http.headers.clone().unwrap_or_default();
    Ok(Some(Target {
        settings,
        alert_relabel: alert_relabel.clone(),
        labels,
    }))
}

/// The static targets of `cfg`, each with its static config's HTTP settings over the global ones.
pub fn static_targets(cfg: &NotifierFileConfig) -> Result<Vec<Target>, DiscoveryError> {
    let mut out = Vec::new();
    for sc in &cfg.static_configs {
        let http = sc.http.or(&cfg.http);
        for t in &sc.targets {
            match target_from(t, &Labels::new(), cfg, &http, &sc.alert_relabel) {
                Ok(Some(target)) => out.push(target),
                Ok(None) => {}
                Err(message) => {
                    return Err(DiscoveryError::Target {
                        target: super::redact(t),
                        message,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Looks names up as `dns_sd_configs` says.
#[derive(Clone)]
pub struct DnsResolver {
    inner: Arc<TokioResolver>,
}

impl std::fmt::Debug for DnsResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DnsResolver")
    }
}

/// One discovered address with its meta labels, as vmalert's DNS discovery makes them.
pub fn dns_labels(name: &str, target: &str, port: u16) -> Labels {
    let host = if target.contains(':') {
        format!("[{target}]:{port}")
    } else {
        format!("{target}:{port}")
    };
    [
        ("__address__", host),
        ("__meta_dns_name", name.to_string()),
        ("__meta_dns_srv_record_target", target.to_string()),
        ("__meta_dns_srv_record_port", port.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl DnsResolver {
    /// The system's resolver, or `servers` (UDP and TCP) when given.
    pub fn new(servers: &[SocketAddr]) -> Result<Self, DiscoveryError> {
        let resolver = if servers.is_empty() {
            let mut b = TokioResolver::builder_tokio()
                .map_err(|e| DiscoveryError::Resolver(e.to_string()))?;
            // Discovery wants fresh answers at every refresh.
            b.options_mut().cache_size = 0;
            b.build()
        } else {
            let mut config = ResolverConfig::from_name_servers(Vec::new());
            for s in servers {
                let mut ns = NameServerConfig::udp_and_tcp(s.ip());
                for c in &mut ns.connections {
                    c.port = s.port();
                }
                config.add_name_server(ns);
            }
            let mut b = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
            // Discovery wants fresh answers at every refresh.
            b.options_mut().cache_size = 0;
            b.build()
        }
        .map_err(|e| DiscoveryError::Resolver(e.to_string()))?;
        Ok(DnsResolver {
            inner: Arc::new(resolver),
        })
    }

    /// The addresses `name` stands for, as label sets; an error says why the lookup failed. A name that exists
    /// but has no such records is an empty list.
    pub async fn lookup(
        &self,
        name: &str,
        kind: DnsKind,
        port: Option<u16>,
    ) -> Result<Vec<Labels>, String> {
        let lookup = match kind {
            DnsKind::Srv => self.inner.srv_lookup(name).await,
            DnsKind::A => self.inner.ipv4_lookup(name).await,
            DnsKind::Aaaa => self.inner.ipv6_lookup(name).await,
        };
        let lookup = match lookup {
            Ok(l) => l,
            Err(e) if e.is_no_records_found() => return Ok(Vec::new()),
            Err(e) => return Err(e.to_string()),
        };
        let mut out = Vec::new();
        for record in lookup.answers() {
            match (&record.data, kind) {
                (RData::SRV(srv), DnsKind::Srv) => {
                    let target = srv.target.to_utf8();
                    let target = target.trim_end_matches('.');
                    out.push(dns_labels(name, target, srv.port));
                }
                (RData::A(a), DnsKind::A) => {
                    out.push(dns_labels(name, &a.0.to_string(), port.unwrap_or(0)))
                }
                (RData::AAAA(a), DnsKind::Aaaa) => {
                    out.push(dns_labels(name, &a.0.to_string(), port.unwrap_or(0)))
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// The last good answer per (dns_sd_configs index, name).
type Known = HashMap<(usize, String), Vec<Labels>>;

/// Looks every name up; a failed lookup keeps what `known` had for the name.
async fn discover(
    resolver: &DnsResolver,
    configs: &[DnsSdConfig],
    known: &mut Known,
) -> Vec<(usize, Labels)> {
    let mut out = Vec::new();
    for (i, c) in configs.iter().enumerate() {
        for name in &c.names {
            let key = (i, name.clone());
            match resolver.lookup(name, c.kind, c.port).await {
                Ok(found) => {
                    known.insert(key.clone(), found);
                }
                Err(e) => {
                    tracing::warn!(name = %name, error = %e, "dns_sd_configs lookup failed; keeping the targets found before");
                }
            }
            if let Some(found) = known.get(&key) {
                out.extend(found.iter().map(|l| (i, l.clone())));
            }
        }
    }
    out
}

/// The whole target set: static targets, then discovered ones (global HTTP settings, their entry's alert
/// relabeling). A discovered target that cannot be turned into a URL is logged and skipped.
fn target_set(
    cfg: &NotifierFileConfig,
    statics: &[Target],
    discovered: &[(usize, Labels)],
) -> TargetSet {
    let mut targets = statics.to_vec();
    for (i, meta) in discovered {
        let address = meta.get("__address__").cloned().unwrap_or_default();
        match target_from(
            &address,
            meta,
            cfg,
            &cfg.http,
            &cfg.dns_sd_configs[*i].alert_relabel,
        ) {
            Ok(Some(t)) => targets.push(t),
            Ok(None) => {}
            Err(e) => {
                tracing::error!(target = %address, "skipping discovered notifier target: {e}")
            }
        }
    }
    TargetSet {
        targets,
        alert_relabel: cfg.alert_relabel.clone(),
    }
}

impl Notifier {
    /// Applies a parsed `-notifier.config` to this notifier: static targets and a first DNS lookup now, then a
    /// background refresh every `options.dns_interval` (replacing any previous one). Peers whose address stays
    /// keep their queues. On error nothing changes.
    pub async fn apply_config(
        &self,
        cfg: NotifierFileConfig,
        options: &DiscoveryOptions,
    ) -> Result<ReloadReport, DiscoveryError> {
        let statics = static_targets(&cfg)?;
        let resolver = if cfg.dns_sd_configs.is_empty() {
            None
        } else {
            Some(DnsResolver::new(&options.dns_servers)?)
        };
        let mut known = Known::new();
        let discovered = match &resolver {
            Some(r) => discover(r, &cfg.dns_sd_configs, &mut known).await,
            None => Vec::new(),
        };
        let report = self.apply(target_set(&cfg, &statics, &discovered))?;
        let suppress = options.suppress_duplicate_errors;
        report.log_duplicates(suppress);
        if let Some(resolver) = resolver {
            let notifier = self.clone();
            let interval = options.dns_interval.max(Duration::from_millis(100));
            let task = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(interval).await;
                    let discovered = discover(&resolver, &cfg.dns_sd_configs, &mut known).await;
                    match notifier.apply(target_set(&cfg, &statics, &discovered)) {
                        Ok(r) => {
                            r.log_duplicates(suppress);
                            if !r.added.is_empty() || !r.removed.is_empty() {
                                tracing::info!(added = ?r.added, removed = ?r.removed, "notifier targets changed");
                            }
                        }
                        Err(e) => tracing::error!("cannot apply discovered notifier targets: {e}"),
                    }
                }
            });
            self.set_discovery(task);
        } else if let Some(old) = self.take_discovery() {
            old.abort();
        }
        Ok(report)
    }

    /// Reads and applies the `-notifier.config` file at `path` (a reload). On error nothing changes.
    pub async fn reload(
        &self,
        path: &Path,
        options: &DiscoveryOptions,
    ) -> Result<ReloadReport, DiscoveryError> {
        let cfg = load_file(path)?;
        self.apply_config(cfg, options).await
    }
}

/// Reads and parses a `-notifier.config` file; relative paths in it are taken from its directory.
pub fn load_file(path: &Path) -> Result<NotifierFileConfig, DiscoveryError> {
    let text = std::fs::read_to_string(path).map_err(|source| DiscoveryError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let base = path
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| Path::new(".").to_path_buf());
    Ok(file::parse(&path.display().to_string(), &text, &base)?)
}

#[cfg(test)]
mod tests;
