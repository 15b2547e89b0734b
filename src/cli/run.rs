//! `tocsin run` (and vmalert's flags with no subcommand): load the rules, refuse what vmalert refuses, connect the
//! datasource, remote write and every Alertmanager, restore alert state, start every group through the manager,
//! reload on SIGHUP and `-configCheckInterval`, and stop cleanly on SIGINT or SIGTERM (runners first, then a
//! bounded flush of remote write). Wiring only: the behaviour lives in the modules.

use super::flags::{self, ParsedFlags};
use super::load;
use super::run_flags::RUN_FLAGS;
use super::run_settings::{self, RunSettings};
use super::run_templates;
use crate::datasource::{BoxFuture, HttpQuerier};
use crate::group::manager::{Deps, Manager, Restore, SharedTemplater};
use crate::group::runner::{Clock, NotifyBatch, Outputs, RunnerSettings, SystemClock};
use crate::group::snapshot::StateRegistry;
use crate::notifier::{self, AlertmanagerSettings, Notifier};
use crate::remotewrite::{RemoteWriteHandle, RemoteWriter};
use crate::rule::Sample;
use std::io::Write;
use std::sync::Arc;

/// How long remote write may take to flush on shutdown.
const SHUTDOWN_FLUSH: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs `tocsin run ARGS…` (or vmalert's form); returns the exit status.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let parsed = match flags::parse(args, RUN_FLAGS) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "tocsin: {e}");
            return 2;
        }
    };
    if parsed.bool("dryRun", false).unwrap_or(false) {
        return super::dry_run::main(args, out, err);
    }
    let settings = match run_settings::resolve(&parsed) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "tocsin: {e}");
            return 2;
        }
    };
    super::malloc_arenas::cap();
    init_logging(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "tocsin: cannot start the runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(run(settings, &parsed)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e}");
            let _ = writeln!(err, "tocsin: {e}");
            1
        }
    }
}

fn init_logging(settings: &RunSettings) {
    let level = match settings.logger_level.to_ascii_uppercase().as_str() {
        "WARN" => tracing::Level::WARN,
        "ERROR" | "FATAL" | "PANIC" => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: the first subscriber stays.
    let _ = if settings.logger_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// How long queued notifications may take to drain on shutdown.
const NOTIFIER_DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// The notifier for the configured Alertmanagers: `-notifier.config` (static targets and DNS discovery), or one
/// peer per `-notifier.url` with per-position auth from vmalert's array flags.
fn discovery_options(
    settings: &RunSettings,
    p: &ParsedFlags,
) -> notifier::discovery::DiscoveryOptions {
    notifier::discovery::DiscoveryOptions {
        dns_interval: settings.dns_sd_interval,
        suppress_duplicate_errors: p
            .bool("notifier.suppressDuplicateTargetErrors", false)
            .unwrap_or(false),
        ..Default::default()
    }
}

async fn build_notifier(settings: &RunSettings, p: &ParsedFlags) -> Result<Notifier, String> {
    if settings.notifier_blackhole {
        return Ok(Notifier::blackhole());
    }
    let queue = notifier::QueueSettings {
        capacity: settings.notifier_queue_size,
        ..notifier::QueueSettings::default()
    };
    if let Some(path) = &settings.notifier_config {
        let n = Notifier::empty(queue);
        let options = discovery_options(settings, p);
        let report = n
            .reload(path, &options)
            .await
            .map_err(|e| format!("-notifier.config: {e}"))?;
        tracing::info!(peers = ?report.added, "notifier targets from -notifier.config");
        return Ok(n);
    }
    let at = |name: &str, i: usize| p.list(name).get(i).filter(|v| !v.is_empty()).cloned();
    let mut peers = Vec::with_capacity(settings.notifier_urls.len());
    for (i, url) in settings.notifier_urls.iter().enumerate() {
        let mut am = AlertmanagerSettings::new(url.clone());
        am.timeout = settings.notifier_send_timeout;
        let password = at("notifier.basicAuth.password", i)
            .map(notifier::Secret::Value)
            .or_else(|| {
                at("notifier.basicAuth.passwordFile", i).map(|f| notifier::Secret::File(f.into()))
            });
        let token = at("notifier.bearerToken", i)
            .map(notifier::Secret::Value)
            .or_else(|| {
                at("notifier.bearerTokenFile", i).map(|f| notifier::Secret::File(f.into()))
            });
        am.auth = match (at("notifier.basicAuth.username", i), password, token) {
            (_, _, Some(t)) => notifier::Auth::Bearer(t),
            (Some(u), password, None) => notifier::Auth::Basic {
                username: notifier::Secret::Value(u),
                password,
            },
            (None, Some(password), None) => notifier::Auth::Basic {
                username: notifier::Secret::Value(String::new()),
                password: Some(password),
            },
            (None, None, None) => notifier::Auth::None,
        };
        if let Some(h) = at("notifier.headers", i) {
            am.headers = crate::datasource::settings::parse_headers(&h)
                .map_err(|e| format!("-notifier.headers for -notifier.url #{}: {e}", i + 1))?;
        }
        am.tls.ca_file = at("notifier.tlsCAFile", i).map(Into::into);
        am.tls.cert_file = at("notifier.tlsCertFile", i).map(Into::into);
        am.tls.key_file = at("notifier.tlsKeyFile", i).map(Into::into);
        am.tls.insecure_skip_verify =
            at("notifier.tlsInsecureSkipVerify", i).is_some_and(|v| v == "true");
        peers.push(am);
    }
    Notifier::from_settings(&peers, queue).map_err(|e| format!("notifier: {e}"))
}

/// Where runners' results go: remote write and every Alertmanager.
struct RuntimeOutputs {
    writer: Option<RemoteWriteHandle>,
    notifier: Notifier,
    source: notifier::DefaultAlertSource,
}

impl Outputs for RuntimeOutputs {
    fn write(&self, samples: Vec<Sample>) {
        match &self.writer {
            Some(w) => {
                if let Err(dropped) = w.push(samples) {
                    tracing::warn!("remote write dropped samples: {dropped}");
                }
            }
            None => tracing::warn!("no -remoteWrite.url: {} samples not written", samples.len()),
        }
    }

    fn notify(&self, batch: NotifyBatch) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let ctx = notifier::PayloadContext {
                now_ms: batch.now_ms,
                resolve_after_ms: batch.resolve_after_ms,
                group_id: batch.group_id,
                source: &self.source,
            };
            // Queued for every peer, each with its own retrying sender: accepted means queued, not delivered.
            let accepted = self.notifier.enqueue(&batch.alerts, &ctx, &batch.headers);
            if !accepted {
                tracing::warn!(group = %batch.group_name, rule = %batch.rule_name, "no notifier target to queue alerts for");
            }
            accepted
        })
    }
}

async fn run(settings: RunSettings, parsed: &ParsedFlags) -> Result<(), String> {
    let mut groups = load::load_rules(&settings)?;
    run_settings::check_outputs(&settings, &groups)?;
    let kube = start_kube(&settings).await?;
    let mut kube_rx = kube.as_ref().map(crate::kube::KubeRuleSource::subscribe);
    if let Some(rx) = &mut kube_rx {
        groups.extend(kube_groups_at_start(rx).await);
    }
    let querier = Arc::new(
        HttpQuerier::new(settings.datasource.clone()).map_err(|e| format!("datasource: {e}"))?,
    );
    let writer = match &settings.remote_write {
        Some(rw) => Some(RemoteWriter::new(rw.clone()).map_err(|e| format!("remote write: {e}"))?),
        None => None,
    };
    let external_url = settings
        .external_url
        .clone()
        .unwrap_or_else(|| default_external_url(&settings));
    let outputs = Arc::new(RuntimeOutputs {
        writer: writer.as_ref().map(RemoteWriter::handle),
        notifier: build_notifier(&settings, parsed).await?,
        source: notifier::DefaultAlertSource { external_url },
    });
    let registry = Arc::new(StateRegistry::new());
    let deps = Deps {
        querier: querier.clone(),
        outputs: outputs.clone(),
        clock: Arc::new(SystemClock),
        settings: RunnerSettings {
            external_labels: settings.external_labels.clone(),
            resend_delay_ms: settings.resend_delay_ms,
            max_resolve_ms: settings.max_resolve_ms,
            alertgroup_label: settings.alertgroup_label,
            update_entries_limit: settings.update_entries_limit,
            hold_on_error_ms: settings.hold_on_error_ms,
            datasource_alert: settings.datasource_alert.then(|| querier.display_url()),
        },
        eval_delay_ms: settings.eval_delay_ms,
        max_start_delay_ms: settings.max_start_delay_ms,
        registry: registry.clone(),
    };
    // The HTTP server: API, UI, /metrics; /-/reload asks the loop below.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (reload_trigger, mut reload_requests) = crate::server::ReloadTrigger::channel(4);
    let mut server = super::run_server::state(
        &settings,
        parsed,
        registry.clone(),
        Arc::new(outputs.source.clone()),
        outputs.notifier.clone(),
    );
    if let Some(w) = &outputs.writer {
        server
            .metrics
            .push(super::run_server::remotewrite_metrics(w.clone()));
    }
    let objects: crate::server::objects::ObjectsFn = match kube_rx.clone() {
        Some(rx) => {
            let metrics_rx = rx.clone();
            server
                .metrics
                .push(Arc::new(move |e| e.raw(&metrics_rx.borrow().exposition())));
            Arc::new(move || crate::server::objects::from_kube(&rx.borrow()))
        }
        None => Arc::new(Vec::new),
    };
    server.objects = objects.clone();
    server.reload = Some(reload_trigger);
    server.ui = Some(crate::server::ui::router(
        crate::server::ui::UiState::new(registry.clone(), &settings.http_path_prefix)
            .map_err(|e| format!("web UI: {e}"))?
            .with_datasource(&settings.datasource)
            .with_peer_status({
                let n = outputs.notifier.clone();
                Arc::new(move || n.peers().into_iter().map(Into::into).collect())
            })
            .with_deliveries({
                let n = outputs.notifier.clone();
                Arc::new(move || super::run_server::deliveries(&n))
            })
            .with_objects(objects),
    ));
    let readiness = server.readiness.clone();
    crate::server::process::mark_start();
    let (addr, serving) = crate::server::bind(
        &settings.http_listen_addr,
        crate::server::router(server),
        stopped,
    )
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!(%addr, "http server listening");
    let server_task = tokio::spawn(serving);

    let online = OnlineQuery {
        querier: Arc::new(run_templates::DatasourceTemplateQuerier {
            querier: querier.clone(),
            runtime: tokio::runtime::Handle::current(),
        }),
        tenants: Default::default(),
    };
    let templater = build_templater(&settings, &outputs.source.external_url, &online)?;
    let mut manager = Manager::new(deps, templater);
    let restore = startup_restore(&settings).await?;
    run_templates::set_tenant_matchers(&online.tenants, &groups);
    let change = manager.apply(groups, None, &restore).await?;
    tracing::info!(groups = change.started, "groups started");
    registry.reloaded(true, SystemClock.now_ms());
    // Rules loaded and state restored.
    readiness.set_ready(true);

    let mut reloader = Reloader {
        fingerprint: load::fingerprint(&settings),
        templates: load::templates_fingerprint(&settings),
        kube: kube_rx.clone(),
        discovery: discovery_options(&settings, parsed),
        online,
    };
    let mut hangup = hangup_signal();
    let check_every = u64::try_from(settings.config_check_interval_ms).unwrap_or(0);
    let mut check = tokio::time::interval(std::time::Duration::from_millis(check_every.max(1000)));
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let shutdown = wait_for_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(request) = reload_requests.recv() => {
                let outcome = reloader.reload(&settings, &mut manager, &registry, &outputs).await;
                let _ = request.reply.send(outcome);
            }
            _ = hangup.recv() => {
                let _ = reloader.reload(&settings, &mut manager, &registry, &outputs).await;
            }
            changed = kube_changed(&mut kube_rx) => {
                if changed {
                    let _ = reloader.reload(&settings, &mut manager, &registry, &outputs).await;
                } else {
                    kube_rx = None;
                }
            }
            _ = check.tick(), if check_every > 0 => {
                if load::fingerprint(&settings) != reloader.fingerprint {
                    let _ = reloader.reload(&settings, &mut manager, &registry, &outputs).await;
                }
            }
        }
    }
    tracing::info!("stopping");
    manager.stop_all().await;
    let _ = stop.send(true);
    if let Ok(Err(e)) = server_task.await {
        tracing::warn!("{e}");
    }
    let left = outputs.notifier.shutdown(NOTIFIER_DRAIN).await;
    tracing::info!(
        undelivered = left.total(),
        "notifier queues drained on shutdown: {left:?}"
    );
    if let Some(w) = writer {
        let report = w.shutdown(SHUTDOWN_FLUSH).await;
        tracing::info!("remote write flushed on shutdown: {report:?}");
    }
    Ok(())
}

/// How templates reach the datasource: the `query` function and the tenant matchers it is enforced with.
#[derive(Clone)]
struct OnlineQuery {
    querier: Arc<dyn crate::template::TemplateQuerier + Send + Sync>,
    tenants: run_templates::TenantMatchers,
}

/// The templater for annotations: the template engine with the `-rule.templates` definitions and an online
/// `query`.
fn build_templater(
    settings: &RunSettings,
    external_url: &str,
    online: &OnlineQuery,
) -> Result<SharedTemplater, String> {
    Ok(Arc::new(run_templates::RunTemplater {
        engine: crate::rule::templates::EngineTemplater::new(
            crate::template::TemplateDialect::Vmalert,
            settings.external_labels.clone(),
            external_url.to_string(),
        )
        .with_defined(load::load_templates(settings)?),
        querier: online.querier.clone(),
        tenants: online.tenants.clone(),
    }))
}

/// How long a sibling replica may take to hand over its state.
const SIBLING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// State for groups at startup: the alerts a live sibling replica holds (`-replica.peers`); when none answers,
/// `ALERTS_FOR_STATE` through `-remoteRead.url`, read by each group before its first evaluation.
async fn startup_restore(settings: &RunSettings) -> Result<Restore, String> {
    if !settings.replica_peers.is_empty() {
        let key = settings.http_auth.replica_key.as_deref();
        match crate::replica::fetch_state(&settings.replica_peers, key, SIBLING_TIMEOUT).await {
            Ok((peer, state)) => {
                let alerts: usize = state.values().flat_map(|r| r.values()).map(Vec::len).sum();
                tracing::info!(peer = %crate::notifier::redact(&peer), alerts, "alert state taken from a sibling replica");
                return Ok(Restore {
                    sibling: Some(state),
                    remote_read: None,
                    lookback_ms: settings.remote_read_lookback_ms,
                });
            }
            Err(reasons) => {
                for r in reasons {
                    tracing::warn!("no state from sibling: {r}");
                }
            }
        }
    }
    let remote_read: Option<Arc<dyn crate::datasource::Querier>> = match &settings.remote_read {
        Some(rr) => Some(Arc::new(
            HttpQuerier::new(rr.clone()).map_err(|e| format!("remote read: {e}"))?,
        )),
        None => None,
    };
    Ok(Restore {
        sibling: None,
        remote_read,
        lookback_ms: settings.remote_read_lookback_ms,
    })
}

/// Connects to Kubernetes when `-kube.vmrules` or `-kube.prometheusrules` is set.
async fn start_kube(settings: &RunSettings) -> Result<Option<crate::kube::KubeRuleSource>, String> {
    match &settings.kube {
        Some(k) => crate::kube::KubeRuleSource::connect(k.clone())
            .await
            .map(Some)
            .map_err(|e| format!("kubernetes: {e}")),
        None => Ok(None),
    }
}

/// How long startup waits for the first complete list of rule objects, so they start (and restore) together with
/// the rule files; after that they arrive through a reload.
const KUBE_START_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

async fn kube_groups_at_start(
    rx: &mut tokio::sync::watch::Receiver<Arc<crate::kube::KubeRules>>,
) -> Vec<crate::config::Group> {
    let ready = tokio::time::timeout(KUBE_START_WAIT, rx.wait_for(|k| k.ready)).await;
    match ready {
        Ok(Ok(k)) => k.groups.clone(),
        _ => {
            tracing::warn!(
                "Kubernetes rule objects not listed within {KUBE_START_WAIT:?}; they start when they are"
            );
            Vec::new()
        }
    }
}

/// The groups of the latest complete Kubernetes rule set (none before the first complete list).
fn kube_groups(
    rx: Option<&tokio::sync::watch::Receiver<Arc<crate::kube::KubeRules>>>,
) -> Vec<crate::config::Group> {
    match rx {
        Some(rx) => {
            let k = rx.borrow().clone();
            if k.ready {
                k.groups.clone()
            } else {
                Vec::new()
            }
        }
        None => Vec::new(),
    }
}

/// Resolves when the Kubernetes rule set changed (true) or its source ended (false); never without a source.
async fn kube_changed(
    rx: &mut Option<tokio::sync::watch::Receiver<Arc<crate::kube::KubeRules>>>,
) -> bool {
    match rx {
        Some(rx) => rx.changed().await.is_ok(),
        None => std::future::pending().await,
    }
}

/// What the last successful load read, to tell whether a periodic check must reload.
struct Reloader {
    fingerprint: u64,
    templates: u64,
    kube: Option<tokio::sync::watch::Receiver<Arc<crate::kube::KubeRules>>>,
    discovery: notifier::discovery::DiscoveryOptions,
    online: OnlineQuery,
}

impl Reloader {
    /// Re-reads rules and templates and applies them. Everything is parsed and checked first; on any error the
    /// running groups stay as they are and the error is logged with file, line and field.
    async fn reload(
        &mut self,
        settings: &RunSettings,
        manager: &mut Manager,
        registry: &StateRegistry,
        outputs: &RuntimeOutputs,
    ) -> Result<(), String> {
        let fingerprint = load::fingerprint(settings);
        let templates = load::templates_fingerprint(settings);
        let external_url = outputs.source.external_url.as_str();
        let result = async {
            // The notifier file is parsed with the rules, so a broken one fails the whole reload.
            let notifier_config = match &settings.notifier_config {
                Some(path) => Some(
                    notifier::discovery::load_file(path)
                        .map_err(|e| format!("-notifier.config: {e}"))?,
                ),
                None => None,
            };
            let mut groups = load::load_rules(settings)?;
            run_settings::check_outputs(settings, &groups)?;
            // Objects were validated one by one by the source; an invalid one is already left out.
            groups.extend(kube_groups(self.kube.as_ref()));
            let templater = if templates == self.templates {
                None
            } else {
                Some(build_templater(settings, external_url, &self.online)?)
            };
            let previous = run_templates::set_tenant_matchers(&self.online.tenants, &groups);
            let change = match manager.apply(groups, templater, &Restore::default()).await {
                Ok(c) => c,
                Err(e) => {
                    run_templates::restore_tenant_matchers(&self.online.tenants, previous);
                    return Err(e);
                }
            };
            if let Some(cfg) = notifier_config {
                match outputs.notifier.apply_config(cfg, &self.discovery).await {
                    Ok(r) => tracing::info!(added = ?r.added, removed = ?r.removed, "notifier targets reloaded"),
                    Err(e) => tracing::error!("-notifier.config: {e}; the previous targets stay"),
                }
            }
            Ok::<_, String>(change)
        }
        .await;
        let now = SystemClock.now_ms();
        match result {
            Ok(change) => {
                self.fingerprint = fingerprint;
                self.templates = templates;
                registry.reloaded(true, now);
                tracing::info!(
                    started = change.started,
                    restarted = change.restarted,
                    stopped = change.stopped,
                    unchanged = change.unchanged,
                    "configuration reloaded"
                );
                Ok(())
            }
            Err(e) => {
                // Not retried until something changes again.
                self.fingerprint = fingerprint;
                registry.reloaded(false, now);
                tracing::error!("reload failed; the previous rules keep running: {e}");
                Err(e)
            }
        }
    }
}

/// SIGHUP, as a stream of reload requests (never ready where there is no such signal).
fn hangup_signal() -> HangupSignal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        HangupSignal(signal(SignalKind::hangup()).ok())
    }
    #[cfg(not(unix))]
    {
        HangupSignal(())
    }
}

#[cfg(unix)]
struct HangupSignal(Option<tokio::signal::unix::Signal>);
#[cfg(not(unix))]
struct HangupSignal(());

impl HangupSignal {
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(s) = &mut self.0 {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    }
}

fn default_external_url(settings: &RunSettings) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string());
    let port = settings
        .http_listen_addr
        .rsplit(':')
        .next()
        .unwrap_or("8880");
    format!("http://{host}:{port}")
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
