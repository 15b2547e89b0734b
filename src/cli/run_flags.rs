//! Every flag of vmalert's command line that tocsin accepts (`tocsin run`, and vmalert's form with no subcommand),
//! in one table. Names, meanings and defaults follow vmalert, so that a container started by the VictoriaMetrics
//! operator with vmalert's arguments runs unchanged. Secrets are marked, so they are masked wherever flags are
//! shown. The README's flag reference is generated from this table (`tocsin flags --markdown`).

use super::flags::FlagSpec;

/// Flags shared by `tocsin run` and `tocsin -dryRun`.
pub const RUN_FLAGS: &[FlagSpec] = &[
    // Rules.
    FlagSpec::list(
        "rule",
        "rule files, directories or globs (`*`, `**`); repeatable and comma-separated",
    ),
    FlagSpec::list(
        "rule.templates",
        "files or globs holding `define` blocks usable from every annotation template",
    ),
    FlagSpec::boolean("dryRun", "check -rule files and exit"),
    FlagSpec::boolean(
        "rule.validateExpressions",
        "parse every rule expression (default true)",
    ),
    FlagSpec::boolean(
        "rule.validateTemplates",
        "parse every annotation and label template (default true)",
    ),
    FlagSpec::value(
        "evaluationInterval",
        "interval of groups that set none (default 1m)",
    ),
    FlagSpec::value(
        "rule.evalDelay",
        "subtracted from the query time of groups without eval_delay or eval_offset (default 30s)",
    ),
    FlagSpec::value(
        "rule.resendDelay",
        "minimum time between two sends of an unchanged firing alert (default 0: every evaluation)",
    ),
    FlagSpec::value(
        "rule.maxResolveDuration",
        "cap on how far ahead a firing alert's endsAt is set (default 0: no cap)",
    ),
    FlagSpec::value(
        "rule.resultsLimit",
        "maximum alerts or series per rule in groups without limit (default 0: no limit)",
    ),
    FlagSpec::value(
        "rule.updateEntriesLimit",
        "evaluations kept per rule for the UI (default 20)",
    ),
    FlagSpec::value(
        "group.maxStartDelay",
        "spread of group start phases within the interval (default 5m)",
    ),
    FlagSpec::value(
        "configCheckInterval",
        "re-read rule files this often and reload on change (default 0: off)",
    ),
    // High availability (tocsin's own).
    FlagSpec::value(
        "rule.holdOnError",
        "while a rule's queries fail, keep re-sending its firing alerts this long (default 10m; 0: as vmalert)",
    ),
    FlagSpec::boolean(
        "rule.datasourceAlert",
        "raise TocsinDatasourceUnreachable while every query of a group fails (default true)",
    ),
    FlagSpec::list(
        "replica.peers",
        "base URLs of sibling replicas to take alert state from at startup; repeatable",
    ),
    // Labels and URLs in alerts.
    FlagSpec::list(
        "external.label",
        "name=value added to every alert and written series; repeatable",
    ),
    FlagSpec::value(
        "external.url",
        "URL of this tocsin, used in generator URLs and templates (default http://<hostname>:<port>)",
    ),
    FlagSpec::value(
        "external.alert.source",
        "template for the generatorURL of alerts, relative to -external.url",
    ),
    FlagSpec::boolean(
        "disableAlertgroupLabel",
        "do not add the alertgroup label to alerts",
    ),
    // Datasource.
    FlagSpec::value(
        "datasource.url",
        "Prometheus-compatible query API, e.g. http://vmselect:8481/select/0/prometheus",
    ),
    FlagSpec::value(
        "datasource.basicAuth.username",
        "basic-auth user for the datasource",
    ),
    FlagSpec::value(
        "datasource.basicAuth.password",
        "basic-auth password for the datasource",
    )
    .secret(),
    FlagSpec::value(
        "datasource.basicAuth.passwordFile",
        "file holding the datasource's basic-auth password",
    ),
    FlagSpec::value("datasource.bearerToken", "bearer token for the datasource").secret(),
    FlagSpec::value(
        "datasource.bearerTokenFile",
        "file holding the datasource's bearer token",
    ),
    FlagSpec::value(
        "datasource.headers",
        "extra headers for the datasource, `Name: value` pairs separated by `^^`",
    )
    .secret(),
    FlagSpec::value(
        "datasource.tlsCAFile",
        "CA certificate file for the datasource",
    ),
    FlagSpec::value(
        "datasource.tlsCertFile",
        "client certificate file for the datasource",
    ),
    FlagSpec::value(
        "datasource.tlsKeyFile",
        "client key file for the datasource",
    ),
    FlagSpec::boolean(
        "datasource.tlsInsecureSkipVerify",
        "do not verify the datasource's certificate",
    ),
    FlagSpec::value(
        "datasource.tlsServerName",
        "server name to verify the datasource's certificate against",
    ),
    FlagSpec::value(
        "datasource.queryStep",
        "step parameter of instant queries (default 5m; 0 means the group interval)",
    ),
    FlagSpec::boolean(
        "datasource.queryTimeAlignment",
        "deprecated: use eval_alignment in groups",
    ),
    FlagSpec::boolean("datasource.disableStepParam", "send no step parameter"),
    FlagSpec::boolean(
        "datasource.appendTypePrefix",
        "append /prometheus to the datasource URL",
    ),
    FlagSpec::value(
        "datasource.roundDigits",
        "round query results to this many decimal digits (default: no rounding)",
    ),
    FlagSpec::boolean(
        "datasource.showURL",
        "show the datasource URL in the UI and logs (credentials are always masked)",
    ),
    FlagSpec::value(
        "datasource.maxIdleConnections",
        "idle connections kept open to the datasource (default 100)",
    ),
    // Notifiers.
    FlagSpec::list(
        "notifier.url",
        "Alertmanager URL; repeat for every peer (alerts go to all of them)",
    ),
    FlagSpec::list(
        "notifier.basicAuth.username",
        "basic-auth user per -notifier.url, by position",
    ),
    FlagSpec::list(
        "notifier.basicAuth.password",
        "basic-auth password per -notifier.url, by position",
    )
    .secret(),
    FlagSpec::list(
        "notifier.basicAuth.passwordFile",
        "basic-auth password file per -notifier.url, by position",
    ),
    FlagSpec::list(
        "notifier.bearerToken",
        "bearer token per -notifier.url, by position",
    )
    .secret(),
    FlagSpec::list(
        "notifier.bearerTokenFile",
        "bearer token file per -notifier.url, by position",
    ),
    FlagSpec::list(
        "notifier.headers",
        "extra headers per -notifier.url, `Name: value` pairs separated by `^^`",
    )
    .secret(),
    FlagSpec::list(
        "notifier.tlsCAFile",
        "CA certificate file per -notifier.url, by position",
    ),
    FlagSpec::list(
        "notifier.tlsCertFile",
        "client certificate file per -notifier.url, by position",
    ),
    FlagSpec::list(
        "notifier.tlsKeyFile",
        "client key file per -notifier.url, by position",
    ),
    FlagSpec::bool_list(
        "notifier.tlsInsecureSkipVerify",
        "do not verify the certificate, per -notifier.url, by position",
    ),
    FlagSpec::list(
        "notifier.tlsServerName",
        "server name per -notifier.url, by position",
    ),
    FlagSpec::value(
        "notifier.config",
        "notifier configuration file (static and DNS discovery); excludes -notifier.url",
    ),
    FlagSpec::boolean(
        "notifier.blackhole",
        "accept alerts and send them nowhere (for testing)",
    ),
    FlagSpec::value(
        "notifier.sendTimeout",
        "timeout of one send to one Alertmanager (default 10s)",
    ),
    FlagSpec::boolean(
        "notifier.suppressDuplicateTargetErrors",
        "do not report duplicate notifier targets as errors",
    ),
    FlagSpec::value(
        "notifier.queueSize",
        "alerts that may wait per Alertmanager peer; the oldest are dropped beyond it (default 10000)",
    ),
    FlagSpec::value(
        "promscrape.dnsSDCheckInterval",
        "how often -notifier.config dns_sd_configs names are looked up again (default 30s)",
    ),
    // Remote write.
    FlagSpec::value(
        "remoteWrite.url",
        "remote-write endpoint for recording results and ALERTS series, e.g. http://vminsert:8480/insert/0/prometheus",
    ),
    FlagSpec::value(
        "remoteWrite.basicAuth.username",
        "basic-auth user for remote write",
    ),
    FlagSpec::value(
        "remoteWrite.basicAuth.password",
        "basic-auth password for remote write",
    )
    .secret(),
    FlagSpec::value(
        "remoteWrite.basicAuth.passwordFile",
        "file holding the remote-write basic-auth password",
    ),
    FlagSpec::value("remoteWrite.bearerToken", "bearer token for remote write").secret(),
    FlagSpec::value(
        "remoteWrite.bearerTokenFile",
        "file holding the remote-write bearer token",
    ),
    FlagSpec::value(
        "remoteWrite.headers",
        "extra headers for remote write, `Name: value` pairs separated by `^^`",
    )
    .secret(),
    FlagSpec::value(
        "remoteWrite.tlsCAFile",
        "CA certificate file for remote write",
    ),
    FlagSpec::value(
        "remoteWrite.tlsCertFile",
        "client certificate file for remote write",
    ),
    FlagSpec::value("remoteWrite.tlsKeyFile", "client key file for remote write"),
    FlagSpec::boolean(
        "remoteWrite.tlsInsecureSkipVerify",
        "do not verify the remote-write certificate",
    ),
    FlagSpec::value(
        "remoteWrite.tlsServerName",
        "server name to verify the remote-write certificate against",
    ),
    FlagSpec::value(
        "remoteWrite.maxQueueSize",
        "samples held for sending before new ones are dropped (default 100000)",
    ),
    FlagSpec::value(
        "remoteWrite.maxBatchSize",
        "samples per request (default 10000)",
    ),
    FlagSpec::value(
        "remoteWrite.concurrency",
        "requests in flight (default: twice the CPUs)",
    ),
    FlagSpec::value(
        "remoteWrite.flushInterval",
        "send a partial batch after this long (default 2s)",
    ),
    FlagSpec::value(
        "remoteWrite.sendTimeout",
        "timeout of one request (default 30s)",
    ),
    FlagSpec::value(
        "remoteWrite.retryMinInterval",
        "first retry delay, doubled each retry (default 1s)",
    ),
    FlagSpec::value(
        "remoteWrite.retryMaxTime",
        "give up retrying a batch after this long (default 30s)",
    ),
    FlagSpec::boolean(
        "remoteWrite.disablePathAppend",
        "use -remoteWrite.url as is, without /api/v1/write",
    ),
    FlagSpec::value(
        "remoteWrite.queuePath",
        "directory of a durable on-disk queue: samples are stored before they are sent and survive outages and restarts (default: none, an in-memory queue as vmalert)",
    ),
    FlagSpec::value(
        "remoteWrite.maxDiskUsage",
        "size bound of -remoteWrite.queuePath, e.g. 512MiB or 2GB; the oldest samples are dropped beyond it (default 1GiB)",
    ),
    FlagSpec::value(
        "remoteWrite.maxRowsPerSecond",
        "samples sent per second at most from -remoteWrite.queuePath, so a backlog does not flood the storage; 0 for no limit (default 50000)",
    ),
    // Remote read (state restore).
    FlagSpec::value(
        "remoteRead.url",
        "query API to restore alert state from at start, e.g. http://vmselect:8481/select/0/prometheus",
    ),
    FlagSpec::value(
        "remoteRead.basicAuth.username",
        "basic-auth user for remote read",
    ),
    FlagSpec::value(
        "remoteRead.basicAuth.password",
        "basic-auth password for remote read",
    )
    .secret(),
    FlagSpec::value(
        "remoteRead.basicAuth.passwordFile",
        "file holding the remote-read basic-auth password",
    ),
    FlagSpec::value("remoteRead.bearerToken", "bearer token for remote read").secret(),
    FlagSpec::value(
        "remoteRead.bearerTokenFile",
        "file holding the remote-read bearer token",
    ),
    FlagSpec::value(
        "remoteRead.headers",
        "extra headers for remote read, `Name: value` pairs separated by `^^`",
    )
    .secret(),
    FlagSpec::value(
        "remoteRead.tlsCAFile",
        "CA certificate file for remote read",
    ),
    FlagSpec::value(
        "remoteRead.tlsCertFile",
        "client certificate file for remote read",
    ),
    FlagSpec::value("remoteRead.tlsKeyFile", "client key file for remote read"),
    FlagSpec::boolean(
        "remoteRead.tlsInsecureSkipVerify",
        "do not verify the remote-read certificate",
    ),
    FlagSpec::value(
        "remoteRead.tlsServerName",
        "server name to verify the remote-read certificate against",
    ),
    FlagSpec::value(
        "remoteRead.lookback",
        "how far back restore looks for alert state (default 1h)",
    ),
    FlagSpec::boolean(
        "remoteRead.disablePathAppend",
        "use -remoteRead.url as is, without /api/v1/query",
    ),
    // HTTP server and operations.
    FlagSpec::value(
        "httpListenAddr",
        "address of the HTTP API, UI and /metrics (default :8880)",
    ),
    FlagSpec::value("http.pathPrefix", "serve everything under this path prefix"),
    FlagSpec::value(
        "httpAuth.username",
        "basic-auth user required by the HTTP server",
    ),
    FlagSpec::value(
        "httpAuth.password",
        "basic-auth password required by the HTTP server",
    )
    .secret(),
    FlagSpec::value("reloadAuthKey", "authKey required by /-/reload").secret(),
    FlagSpec::value("metricsAuthKey", "authKey required by /metrics").secret(),
    FlagSpec::value("flagsAuthKey", "authKey required by /flags").secret(),
    FlagSpec::value("pprofAuthKey", "authKey required by /debug/pprof").secret(),
    FlagSpec::value(
        "loggerLevel",
        "minimum level logged: INFO, WARN, ERROR, FATAL or PANIC (default INFO)",
    ),
    FlagSpec::value("loggerFormat", "log format: default (logfmt-like) or json"),
    // Kubernetes rule objects (tocsin's own; docs/kubernetes.md).
    FlagSpec::boolean(
        "kube.vmrules",
        "load VMRule objects (operator.victoriametrics.com/v1beta1) from the Kubernetes API",
    ),
    FlagSpec::boolean(
        "kube.prometheusrules",
        "load PrometheusRule objects (monitoring.coreos.com/v1) from the Kubernetes API",
    ),
    FlagSpec::value(
        "kube.kubeconfig",
        "kubeconfig file for the Kubernetes API (default: the in-cluster service account)",
    ),
    FlagSpec::value(
        "kube.ruleSelector",
        "label selector for rule objects; absent and empty (\"\") differ as in the operators",
    ),
    FlagSpec::value(
        "kube.ruleNamespaceSelector",
        "label selector for namespaces of rule objects; absent means tocsin's own namespace only",
    ),
    FlagSpec::boolean(
        "kube.selectAllByDefault",
        "with neither selector set, load every VMRule (as the VictoriaMetrics operator's selectAllByDefault)",
    ),
    FlagSpec::value(
        "kube.namespace",
        "tocsin's own namespace (default: the service account's or the kubeconfig context's)",
    ),
    FlagSpec::list(
        "kube.namespaces",
        "only load rule objects from these namespaces; repeatable and comma-separated",
    ),
    FlagSpec::list(
        "kube.denyNamespaces",
        "never load rule objects from these namespaces; repeatable and comma-separated",
    ),
    FlagSpec::value(
        "kube.enforcedNamespaceLabel",
        "label set to the object's namespace on every rule and enforced in every selector of its queries",
    ),
    FlagSpec::list(
        "kube.enforcementExemptions",
        "namespaces or namespace/name of objects exempt from tenancy enforcement and limits",
    ),
    FlagSpec::value(
        "kube.maxRulesPerGroup",
        "reject tenant objects with a group of more rules (default 0: no limit)",
    ),
    FlagSpec::value(
        "kube.maxGroupsPerNamespace",
        "reject tenant objects that bring a namespace over this many groups (default 0: no limit)",
    ),
    FlagSpec::value(
        "kube.maxSeriesPerRule",
        "highest group limit (alerts or series per rule) for tenant objects (default 0: no limit)",
    ),
    FlagSpec::boolean(
        "kube.writeStatus",
        "write VMRule status and Warning events for invalid objects (default true)",
    ),
];

/// The table as Markdown, for the README's flag reference.
pub fn markdown(specs: &[FlagSpec], dashes: &str) -> String {
    let mut out = String::from("| flag | meaning |\n|---|---|\n");
    for s in specs {
        let secret = if s.secret {
            " (secret: masked when shown)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| `{dashes}{}` | {}{secret} |\n",
            s.name,
            s.help.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = RUN_FLAGS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate flag names");
    }

    #[test]
    fn every_credential_flag_is_secret() {
        for f in RUN_FLAGS {
            let credential = f.name.ends_with(".password")
                || f.name.ends_with(".bearerToken")
                || f.name.ends_with("AuthKey")
                || f.name.ends_with(".headers");
            assert_eq!(credential, f.secret, "-{} secret marking", f.name);
        }
    }
}
