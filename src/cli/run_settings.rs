//! vmalert's raw flags resolved into the settings `tocsin run` works with: durations parsed, lists split, auth and
//! TLS assembled per output, vmalert's startup refusals applied. Pure: reads no files and opens no sockets (files
//! named by flags are read later, on every request, so rotated secrets are picked up).

use super::flags::ParsedFlags;
use crate::config::duration::DurationSyntax;
use crate::config::{Dialect, Duration, Group, LoadOptions};
use crate::datasource::settings as ds;
use crate::remotewrite::{self, RemoteWriteSettings};
use crate::rule::Labels;
use std::path::PathBuf;

/// Everything `tocsin run` needs, resolved.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub rule_patterns: Vec<String>,
    pub template_patterns: Vec<String>,
    pub load: LoadOptions,
    pub eval_delay_ms: i64,
    pub resend_delay_ms: i64,
    pub max_resolve_ms: i64,
    pub results_limit: usize,
    /// `-rule.updateEntriesLimit`: evaluations kept per rule for the API and UI.
    pub update_entries_limit: usize,
    pub max_start_delay_ms: i64,
    pub external_labels: Labels,
    pub external_url: Option<String>,
    pub alert_source: Option<String>,
    pub alertgroup_label: bool,
    pub datasource: ds::DatasourceSettings,
    pub notifier_urls: Vec<String>,
    pub notifier_blackhole: bool,
    pub notifier_send_timeout: std::time::Duration,
    /// `-notifier.config`: exclusive with `-notifier.url` and `-notifier.blackhole`.
    pub notifier_config: Option<PathBuf>,
    /// `-notifier.queueSize`: alerts that may wait per Alertmanager peer.
    pub notifier_queue_size: usize,
    /// `-promscrape.dnsSDCheckInterval`: how often `dns_sd_configs` names are looked up again.
    pub dns_sd_interval: std::time::Duration,
    pub remote_write: Option<RemoteWriteSettings>,
    /// `-remoteRead.url`: where alert state is read back from at startup.
    pub remote_read: Option<ds::DatasourceSettings>,
    /// `-remoteRead.lookback`.
    pub remote_read_lookback_ms: i64,
    /// `-replica.peers`: sibling replicas whose alert state a restarted replica takes over.
    pub replica_peers: Vec<String>,
    /// `-rule.holdOnError`.
    pub hold_on_error_ms: i64,
    /// `-rule.datasourceAlert`: raise `TocsinDatasourceUnreachable` while a group's queries fail.
    pub datasource_alert: bool,
    /// `-configCheckInterval`; 0 turns periodic re-reading off.
    pub config_check_interval_ms: i64,
    pub http_listen_addr: String,
    pub logger_level: String,
    pub logger_json: bool,
    /// `-kube.*`: the Kubernetes rule source, when `-kube.vmrules` or `-kube.prometheusrules` is set.
    pub kube: Option<crate::kube::KubeSettings>,
}

/// Resolves the command line. Errors name the flag and say what is expected.
pub fn resolve(p: &ParsedFlags) -> Result<RunSettings, String> {
    let dur = |name: &str, default: Duration| -> Result<Duration, String> {
        match p.value(name) {
            None => Ok(default),
            Some(v) => {
                Duration::parse(v, DurationSyntax::MetricsQl).map_err(|e| format!("-{name}: {e}"))
            }
        }
    };
    let int = |name: &str, default: i64| -> Result<i64, String> {
        match p.value(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("-{name}: expected an integer, got {v:?}")),
        }
    };
    let load = LoadOptions {
        dialect: Dialect::Vmalert,
        default_interval: dur("evaluationInterval", Duration::from_secs(60))?,
        validate_expressions: p.bool("rule.validateExpressions", true)?,
        validate_templates: p.bool("rule.validateTemplates", true)?,
        expand_env: true,
    };
    if load.default_interval.as_millis() <= 0 {
        return Err("-evaluationInterval: must be positive".to_string());
    }

    let mut external_labels = Labels::new();
    for pair in p.list("external.label") {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(format!(
                "-external.label: {pair:?} must be written as name=value"
            ));
        };
        if !crate::config::names::is_valid_label_name(k) {
            return Err(format!("-external.label: invalid label name {k:?}"));
        }
        external_labels.insert(k.to_string(), v.to_string());
    }

    let url = p.value("datasource.url").unwrap_or_default().to_string();
    let mut datasource = query_settings(p, "datasource", url)?;
    datasource.append_type_prefix = p.bool("datasource.appendTypePrefix", false)?;
    datasource.disable_step_param = p.bool("datasource.disableStepParam", false)?;
    datasource.disable_path_append = p.bool("remoteRead.disablePathAppend", false)?;
    if p.value("datasource.queryStep").is_some() {
        datasource.query_step = to_std(
            dur("datasource.queryStep", Duration::ZERO)?,
            "datasource.queryStep",
        )?;
    }
    datasource.round_digits = u32::try_from(int("datasource.roundDigits", 0)?)
        .map_err(|_| "-datasource.roundDigits: must not be negative".to_string())?;
    if let Some(n) = p.value("datasource.maxIdleConnections") {
        datasource.max_idle_connections = n
            .parse()
            .map_err(|_| format!("-datasource.maxIdleConnections: expected a number, got {n:?}"))?;
    }
    let remote_read = match p.value("remoteRead.url") {
        None | Some("") => None,
        Some(url) => {
            let mut rr = query_settings(p, "remoteRead", url.to_string())?;
            rr.disable_path_append = p.bool("remoteRead.disablePathAppend", false)?;
            Some(rr)
        }
    };

    let remote_write = match p.value("remoteWrite.url") {
        None | Some("") => None,
        Some(url) => Some(remote_write_settings(p, url)?),
    };
    if remote_write.is_none()
        && p.value("remoteWrite.queuePath")
            .is_some_and(|v| !v.is_empty())
    {
        return Err("-remoteWrite.queuePath is set but -remoteWrite.url is not: there is nothing to queue for".into());
    }

    let kube = kube_settings(p, &load)?;
    let settings = RunSettings {
        rule_patterns: p.list("rule"),
        template_patterns: p.list("rule.templates"),
        load,
        eval_delay_ms: dur("rule.evalDelay", Duration::from_secs(30))?.as_millis(),
        resend_delay_ms: dur("rule.resendDelay", Duration::ZERO)?.as_millis(),
        max_resolve_ms: dur("rule.maxResolveDuration", Duration::ZERO)?.as_millis(),
        results_limit: usize::try_from(int("rule.resultsLimit", 0)?)
            .map_err(|_| "-rule.resultsLimit: must not be negative".to_string())?,
        update_entries_limit: usize::try_from(int("rule.updateEntriesLimit", 20)?)
            .map_err(|_| "-rule.updateEntriesLimit: must not be negative".to_string())?,
        max_start_delay_ms: dur("group.maxStartDelay", Duration::from_secs(300))?.as_millis(),
        external_labels,
        external_url: p.value("external.url").map(str::to_string),
        alert_source: p.value("external.alert.source").map(str::to_string),
        alertgroup_label: !p.bool("disableAlertgroupLabel", false)?,
        datasource,
        notifier_urls: p
            .list("notifier.url")
            .into_iter()
            .filter(|u| !u.is_empty())
            .collect(),
        notifier_blackhole: p.bool("notifier.blackhole", false)?,
        notifier_send_timeout: to_std(
            dur("notifier.sendTimeout", Duration::from_secs(10))?,
            "notifier.sendTimeout",
        )?,
        notifier_config: p
            .value("notifier.config")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from),
        notifier_queue_size: usize::try_from(int(
            "notifier.queueSize",
            crate::notifier::DEFAULT_QUEUE_SIZE as i64,
        )?)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "-notifier.queueSize: must be at least 1".to_string())?,
        dns_sd_interval: to_std(
            dur("promscrape.dnsSDCheckInterval", Duration::from_secs(30))?,
            "promscrape.dnsSDCheckInterval",
        )?,
        remote_write,
        remote_read,
        remote_read_lookback_ms: dur("remoteRead.lookback", Duration::from_secs(3600))?.as_millis(),
        replica_peers: p
            .list("replica.peers")
            .into_iter()
            .filter(|u| !u.is_empty())
            .collect(),
        hold_on_error_ms: dur("rule.holdOnError", Duration::from_secs(600))?.as_millis(),
        datasource_alert: p.bool("rule.datasourceAlert", true)?,
        config_check_interval_ms: dur("configCheckInterval", Duration::ZERO)?.as_millis(),
        http_listen_addr: p.value("httpListenAddr").unwrap_or(":8880").to_string(),
        logger_level: p.value("loggerLevel").unwrap_or("INFO").to_string(),
        logger_json: match p.value("loggerFormat").unwrap_or("default") {
            "default" => false,
            "json" => true,
            other => {
                return Err(format!(
                    "-loggerFormat: unknown format {other:?}; want default or json"
                ));
            }
        },
        kube,
    };
    if !settings.notifier_urls.is_empty() && settings.notifier_blackhole {
        return Err("-notifier.blackhole and -notifier.url are mutually exclusive".to_string());
    }
    if p.value("notifier.config").is_some()
        && (!settings.notifier_urls.is_empty() || settings.notifier_blackhole)
    {
        return Err(
            "-notifier.config is mutually exclusive with -notifier.url and -notifier.blackhole"
                .to_string(),
        );
    }
    Ok(settings)
}

/// The `-kube.*` flags; `None` when neither kind is enabled.
fn kube_settings(
    p: &ParsedFlags,
    load: &LoadOptions,
) -> Result<Option<crate::kube::KubeSettings>, String> {
    use crate::kube::catalog::CatalogSettings;
    use crate::kube::selector::{LabelSelector, Selection};
    use crate::kube::tenancy::{Exemption, Tenancy, TenantLimits};
    let (vmrules, prometheusrules) = (
        p.bool("kube.vmrules", false)?,
        p.bool("kube.prometheusrules", false)?,
    );
    if !vmrules && !prometheusrules {
        return Ok(None);
    }
    let selector = |name: &str| -> Result<Option<LabelSelector>, String> {
        p.value(name)
            .map(|s| LabelSelector::parse(s).map_err(|e| format!("-{name}: {e}")))
            .transpose()
    };
    let count = |name: &str| -> Result<usize, String> {
        p.value(name).map_or(Ok(0), |v| {
            v.parse()
                .map_err(|_| format!("-{name}: expected a non-negative integer, got {v:?}"))
        })
    };
    let label = p
        .value("kube.enforcedNamespaceLabel")
        .filter(|l| !l.is_empty());
    if let Some(l) = label
        && !crate::config::names::is_valid_label_name(l)
    {
        return Err(format!(
            "-kube.enforcedNamespaceLabel: invalid label name {l:?}"
        ));
    }
    let exempt = p
        .list("kube.enforcementExemptions")
        .iter()
        .filter(|e| !e.is_empty())
        .map(|e| Exemption::parse(e).map_err(|m| format!("-kube.enforcementExemptions: {m}")))
        .collect::<Result<Vec<_>, _>>()?;
    let names = |flag: &str| -> Vec<String> {
        p.list(flag).into_iter().filter(|n| !n.is_empty()).collect()
    };
    Ok(Some(crate::kube::KubeSettings {
        vmrules,
        prometheusrules,
        kubeconfig: p
            .value("kube.kubeconfig")
            .filter(|k| !k.is_empty())
            .map(PathBuf::from),
        catalog: CatalogSettings {
            load: load.clone(),
            selection: Selection {
                rule_selector: selector("kube.ruleSelector")?,
                namespace_selector: selector("kube.ruleNamespaceSelector")?,
                select_all_by_default: p.bool("kube.selectAllByDefault", false)?,
                own_namespace: p.value("kube.namespace").unwrap_or_default().to_string(),
                allowed_namespaces: names("kube.namespaces"),
                denied_namespaces: names("kube.denyNamespaces"),
            },
            tenancy: Tenancy {
                label: label.map(str::to_string),
                exempt,
                limits: TenantLimits {
                    max_rules_per_group: count("kube.maxRulesPerGroup")?,
                    max_groups_per_namespace: count("kube.maxGroupsPerNamespace")?,
                    max_series_per_rule: count("kube.maxSeriesPerRule")?,
                },
            },
        },
        write_status: p.bool("kube.writeStatus", true)?,
        backoff_min: std::time::Duration::from_millis(800),
        backoff_max: std::time::Duration::from_secs(30),
    }))
}

fn to_std(d: Duration, name: &str) -> Result<std::time::Duration, String> {
    d.to_std()
        .ok_or_else(|| format!("-{name}: must not be negative"))
}

/// The URL, headers, auth and TLS of a Prometheus-API endpoint named by flags under `prefix` (`datasource`,
/// `remoteRead`).
fn query_settings(
    p: &ParsedFlags,
    prefix: &str,
    url: String,
) -> Result<ds::DatasourceSettings, String> {
    let flag = |name: &str| format!("{prefix}.{name}");
    let mut out = ds::DatasourceSettings::new(url);
    if let Some(h) = p.value(&flag("headers")) {
        out.headers = ds::parse_headers(h).map_err(|e| format!("-{prefix}.headers: {e}"))?;
    }
    out.basic_auth = basic_auth(p, prefix);
    out.bearer = match (
        p.value(&flag("bearerToken")),
        p.value(&flag("bearerTokenFile")),
    ) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "-{prefix}.bearerToken and -{prefix}.bearerTokenFile are mutually exclusive"
            ));
        }
        (Some(t), None) => Some(ds::BearerToken::Token(ds::Secret::new(t))),
        (None, Some(f)) => Some(ds::BearerToken::File(PathBuf::from(f))),
        (None, None) => None,
    };
    out.tls = ds::TlsSettings {
        ca_file: p.value(&flag("tlsCAFile")).map(PathBuf::from),
        cert_file: p.value(&flag("tlsCertFile")).map(PathBuf::from),
        key_file: p.value(&flag("tlsKeyFile")).map(PathBuf::from),
        server_name: p.value(&flag("tlsServerName")).map(str::to_string),
        insecure_skip_verify: p.bool(&flag("tlsInsecureSkipVerify"), false)?,
    };
    Ok(out)
}

fn basic_auth(p: &ParsedFlags, prefix: &str) -> Option<ds::BasicAuth> {
    let username = p.value(&format!("{prefix}.basicAuth.username"));
    let password = p.value(&format!("{prefix}.basicAuth.password"));
    let password_file = p.value(&format!("{prefix}.basicAuth.passwordFile"));
    if username.is_none() && password.is_none() && password_file.is_none() {
        return None;
    }
    Some(ds::BasicAuth {
        username: username.unwrap_or_default().to_string(),
        username_file: None,
        password: password.map(ds::Secret::new),
        password_file: password_file.map(PathBuf::from),
    })
}

fn remote_write_settings(p: &ParsedFlags, url: &str) -> Result<RemoteWriteSettings, String> {
    let mut rw = RemoteWriteSettings::new(url);
    let count = |name: &str| -> Result<Option<usize>, String> {
        p.value(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("-{name}: expected a positive number, got {v:?}"))
            })
            .transpose()
    };
    let dur = |name: &str| -> Result<Option<std::time::Duration>, String> {
        p.value(name)
            .map(|v| {
                Duration::parse(v, DurationSyntax::MetricsQl)
                    .map_err(|e| format!("-{name}: {e}"))
                    .and_then(|d| to_std(d, name))
            })
            .transpose()
    };
    if let Some(n) = count("remoteWrite.maxQueueSize")? {
        rw.max_queue_size = n.max(1);
    }
    if let Some(n) = count("remoteWrite.maxBatchSize")? {
        rw.max_batch_size = n.max(1);
    }
    if let Some(n) = count("remoteWrite.concurrency")? {
        rw.concurrency = n.max(1);
    }
    if let Some(d) = dur("remoteWrite.flushInterval")? {
        rw.flush_interval = d;
    }
    if let Some(d) = dur("remoteWrite.sendTimeout")? {
        rw.send_timeout = d;
    }
    if let Some(d) = dur("remoteWrite.retryMinInterval")? {
        rw.retry_min_interval = d;
    }
    if let Some(d) = dur("remoteWrite.retryMaxTime")? {
        rw.retry_max_time = d;
    }
    rw.disable_path_append = p.bool("remoteWrite.disablePathAppend", false)?;
    if let Some(path) = p.value("remoteWrite.queuePath").filter(|v| !v.is_empty()) {
        let mut disk = remotewrite::DiskQueueSettings::new(path);
        if let Some(v) = p.value("remoteWrite.maxDiskUsage") {
            disk.max_bytes =
                parse_bytes(v).map_err(|e| format!("-remoteWrite.maxDiskUsage: {e}"))?;
        }
        if let Some(n) = count("remoteWrite.maxRowsPerSecond")? {
            disk.max_rows_per_second = n as u64;
        }
        rw.disk_queue = Some(disk);
    }
    let secret = |name: &str, file: &str| -> Option<remotewrite::config::Secret> {
        p.value(name)
            .map(|v| remotewrite::config::Secret::Inline(v.to_string()))
            .or_else(|| {
                p.value(file)
                    .map(|f| remotewrite::config::Secret::File(PathBuf::from(f)))
            })
    };
    rw.auth = match (
        p.value("remoteWrite.basicAuth.username"),
        secret(
            "remoteWrite.basicAuth.password",
            "remoteWrite.basicAuth.passwordFile",
        ),
        secret("remoteWrite.bearerToken", "remoteWrite.bearerTokenFile"),
    ) {
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            return Err(
                "-remoteWrite.basicAuth.* and -remoteWrite.bearerToken* are mutually exclusive"
                    .into(),
            );
        }
        (username, Some(password), None) => remotewrite::config::Auth::Basic {
            username: username.unwrap_or_default().to_string(),
            password,
        },
        (Some(username), None, None) => remotewrite::config::Auth::Basic {
            username: username.to_string(),
            password: remotewrite::config::Secret::Inline(String::new()),
        },
        (None, None, Some(token)) => remotewrite::config::Auth::Bearer(token),
        (None, None, None) => remotewrite::config::Auth::None,
    };
    if let Some(h) = p.value("remoteWrite.headers") {
        rw.headers = ds::parse_headers(h)
            .map_err(|e| format!("-remoteWrite.headers: {e}"))?
            .into_iter()
            .map(|(k, v)| (k, remotewrite::config::Secret::Inline(v)))
            .collect();
    }
    rw.tls = remotewrite::config::TlsSettings {
        ca_file: p.value("remoteWrite.tlsCAFile").map(PathBuf::from),
        cert_file: p.value("remoteWrite.tlsCertFile").map(PathBuf::from),
        key_file: p.value("remoteWrite.tlsKeyFile").map(PathBuf::from),
        insecure_skip_verify: p.bool("remoteWrite.tlsInsecureSkipVerify", false)?,
    };
    Ok(rw)
}

/// A size as VictoriaMetrics' byte flags take it: a number with an optional unit, `KB`/`MB`/`GB`/`TB` (powers of
/// 1000) or `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024).
fn parse_bytes(v: &str) -> Result<u64, String> {
    const UNITS: [(&str, f64); 8] = [
        ("KiB", 1024.0),
        ("MiB", 1048576.0),
        ("GiB", 1073741824.0),
        ("TiB", 1099511627776.0),
        ("KB", 1e3),
        ("MB", 1e6),
        ("GB", 1e9),
        ("TB", 1e12),
    ];
    let (number, unit) = UNITS
        .iter()
        .find_map(|(u, m)| v.strip_suffix(u).map(|n| (n, *m)))
        .unwrap_or((v, 1.0));
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("expected a size such as 1GiB or 500MB, got {v:?}"))?;
    let bytes = n * unit;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("size {v:?} is out of range"));
    }
    Ok(bytes as u64)
}

/// vmalert's startup refusals, checked once the rules are loaded.
pub fn check_outputs(settings: &RunSettings, groups: &[Group]) -> Result<(), String> {
    if settings.datasource.url.is_empty() {
        return Err(
            "-datasource.url is empty; set it to the Prometheus-compatible query API".to_string(),
        );
    }
    let recording = groups
        .iter()
        .flat_map(|g| &g.rules)
        .any(|r| !r.is_alerting());
    let alerting = groups
        .iter()
        .flat_map(|g| &g.rules)
        .any(|r| r.is_alerting());
    if recording && settings.remote_write.is_none() {
        return Err("recording rules are configured but -remoteWrite.url is not set: their results would be lost".into());
    }
    if alerting
        && settings.notifier_urls.is_empty()
        && !settings.notifier_blackhole
        && settings.notifier_config.is_none()
    {
        return Err(
            "alerting rules are configured but no notifier: set -notifier.url (every Alertmanager peer), -notifier.config or -notifier.blackhole"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::flags::parse;
    use super::super::run_flags::RUN_FLAGS;
    use super::*;
    use crate::config::load_text_with_env;

    fn settings(args: &[&str]) -> Result<RunSettings, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        resolve(&parse(&args, RUN_FLAGS).map_err(|e| e.to_string())?)
    }

    #[test]
    fn resolves_vmalert_flags() {
        let s = settings(&[
            "-rule=/etc/rules/*.yml",
            "-datasource.url=http://vmselect:8481/select/0/prometheus",
            "-datasource.basicAuth.username=u",
            "-datasource.basicAuth.password=p4ss",
            "-datasource.queryStep=1m",
            "-remoteWrite.url=http://vminsert:8480/insert/0/prometheus",
            "-remoteWrite.maxBatchSize=500",
            "-remoteWrite.bearerToken=t0ken",
            "-notifier.url=http://am-0:9093,http://am-1:9093",
            "-external.label=cluster=eu",
            "-external.label=replica_set=a",
            "-evaluationInterval=30s",
            "-rule.resendDelay=2m",
            "-disableAlertgroupLabel",
            "-loggerFormat=json",
        ])
        .expect("settings");
        assert_eq!(s.datasource.query_step, std::time::Duration::from_secs(60));
        assert_eq!(
            s.notifier_urls,
            vec!["http://am-0:9093", "http://am-1:9093"]
        );
        assert_eq!(s.external_labels.len(), 2);
        assert_eq!(s.load.default_interval, Duration::from_secs(30));
        assert_eq!(s.resend_delay_ms, 120_000);
        assert!(!s.alertgroup_label && s.logger_json);
        let rw = s.remote_write.expect("remote write");
        assert_eq!(rw.max_batch_size, 500);
        assert!(matches!(rw.auth, remotewrite::config::Auth::Bearer(_)));
        let debug = format!("{:?}", s.datasource);
        assert!(!debug.contains("p4ss"), "secrets never print: {debug}");
    }

    #[test]
    fn disk_queue_flags_resolve_with_documented_defaults() {
        let rw = |extra: &[&str]| {
            let mut args = vec!["-remoteWrite.url=http://vm"];
            args.extend_from_slice(extra);
            settings(&args).map(|s| s.remote_write.expect("remote write").disk_queue)
        };
        assert_eq!(rw(&[]).unwrap(), None, "in memory unless a path is given");
        let d = rw(&["-remoteWrite.queuePath=/var/lib/tocsin/rw"])
            .unwrap()
            .unwrap();
        assert_eq!(d.path, PathBuf::from("/var/lib/tocsin/rw"));
        assert_eq!((d.max_bytes, d.max_rows_per_second), (1 << 30, 50_000));
        let d = rw(&[
            "-remoteWrite.queuePath=q",
            "-remoteWrite.maxDiskUsage=512MiB",
            "-remoteWrite.maxRowsPerSecond=0",
        ])
        .unwrap()
        .unwrap();
        assert_eq!((d.max_bytes, d.max_rows_per_second), (512 << 20, 0));
        let err = rw(&["-remoteWrite.queuePath=q", "-remoteWrite.maxDiskUsage=lots"]).unwrap_err();
        assert!(err.contains("-remoteWrite.maxDiskUsage"), "{err}");
        let err = settings(&["-remoteWrite.queuePath=q"]).unwrap_err();
        assert!(err.contains("-remoteWrite.url"), "{err}");
    }

    #[test]
    fn sizes_parse_as_victoriametrics_byte_flags() {
        for (text, want) in [
            ("1000", 1000),
            ("1KB", 1000),
            ("1.5MB", 1_500_000),
            ("2GB", 2_000_000_000),
            ("1KiB", 1024),
            ("64MiB", 64 << 20),
            ("1GiB", 1 << 30),
            ("1TiB", 1 << 40),
        ] {
            assert_eq!(parse_bytes(text), Ok(want), "{text}");
        }
        for bad in ["", "GiB", "-1GiB", "0", "1XB", "1e30TB"] {
            assert!(parse_bytes(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn refuses_bad_combinations_with_reasons() {
        for (args, want) in [
            (
                &["-external.label=nolabel"][..],
                "must be written as name=value",
            ),
            (
                &["-notifier.url=http://a", "-notifier.blackhole"][..],
                "mutually exclusive",
            ),
            (
                &["-notifier.config=n.yml", "-notifier.url=http://a"][..],
                "-notifier.config is mutually exclusive",
            ),
            (
                &["-notifier.config=n.yml", "-notifier.blackhole"][..],
                "-notifier.config is mutually exclusive",
            ),
            (&["-notifier.queueSize=0"][..], "-notifier.queueSize"),
            (
                &["-promscrape.dnsSDCheckInterval=often"][..],
                "-promscrape.dnsSDCheckInterval",
            ),
            (&["-evaluationInterval=soon"][..], "-evaluationInterval"),
            (&["-loggerFormat=xml"][..], "unknown format"),
            (
                &["-remoteWrite.url=http://x", "-remoteWrite.concurrency=many"][..],
                "-remoteWrite.concurrency",
            ),
        ] {
            let err = settings(args).expect_err("refused");
            assert!(err.contains(want), "{args:?}: {err}");
        }
    }

    #[test]
    fn startup_refuses_rules_without_their_outputs() {
        let text = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n  - alert: A\n    expr: up == 0\n";
        let groups = load_text_with_env("r.yml", text, &LoadOptions::default(), |_| None).groups;
        let s = settings(&["-datasource.url=http://vm"]).expect("settings");
        assert!(
            check_outputs(&s, &groups)
                .expect_err("no remote write")
                .contains("-remoteWrite.url")
        );
        let s = settings(&["-datasource.url=http://vm", "-remoteWrite.url=http://vm"])
            .expect("settings");
        assert!(
            check_outputs(&s, &groups)
                .expect_err("no notifier")
                .contains("-notifier.url")
        );
        let s = settings(&[
            "-datasource.url=http://vm",
            "-remoteWrite.url=http://vm",
            "-notifier.blackhole",
        ])
        .expect("settings");
        assert_eq!(check_outputs(&s, &groups), Ok(()));
        let s = settings(&["-remoteWrite.url=http://vm", "-notifier.blackhole"]).expect("settings");
        assert!(
            check_outputs(&s, &groups)
                .expect_err("no datasource")
                .contains("-datasource.url")
        );
    }
}
