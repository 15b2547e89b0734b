//! `tocsin run` (and vmalert's flags with no subcommand): load the rules, refuse what vmalert refuses, connect the
//! datasource, remote write and every Alertmanager, start one runner per group, and stop cleanly on SIGINT or
//! SIGTERM (runners first, then a bounded flush of remote write). Wiring only: the behaviour lives in the modules.

use super::flags::{self, ParsedFlags};
use super::run_flags::RUN_FLAGS;
use super::run_settings::{self, RunSettings};
use crate::config::{self, Group, Severity};
use crate::datasource::{BoxFuture, HttpQuerier};
use crate::group::runner::{GroupRunner, NotifyBatch, Outputs, RunnerSettings, SystemClock};
use crate::group::schedule::GroupSchedule;
use crate::notifier::{self, AlertmanagerSettings, Notifier};
use crate::remotewrite::{RemoteWriteHandle, RemoteWriter};
use crate::rule::{Sample, Templater};
use crate::source::files;
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

/// Loads every rule file as vmalert does; any error stops startup, with all errors listed.
pub fn load_rules(settings: &RunSettings) -> Result<Vec<Group>, String> {
    if settings.rule_patterns.is_empty() {
        return Err("no -rule given".to_string());
    }
    let (paths, source_errors) = files::expand_all(&settings.rule_patterns);
    let mut errors: Vec<String> = source_errors.iter().map(ToString::to_string).collect();
    let mut groups = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        match files::read(&path) {
            Ok(text) => {
                let loaded = config::load_text(&name, &text, &settings.load);
                for d in &loaded.diagnostics {
                    match d.severity {
                        Severity::Error => errors.push(d.to_string()),
                        _ => tracing::warn!("{d}"),
                    }
                }
                groups.extend(loaded.groups);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(format!("cannot load rules:\n{}", errors.join("\n")));
    }
    if settings.results_limit > 0 {
        for g in &mut groups {
            if g.limit == 0 {
                g.limit = settings.results_limit;
            }
        }
    }
    Ok(groups)
}

/// The `define` blocks of the `-rule.templates` files, available to every annotation.
fn load_templates(settings: &RunSettings) -> Result<crate::template::TemplateSet, String> {
    if settings.template_patterns.is_empty() {
        return Ok(crate::template::TemplateSet::default());
    }
    let (paths, errors) = files::expand_all(&settings.template_patterns);
    if let Some(e) = errors.first() {
        return Err(format!("-rule.templates: {e}"));
    }
    let mut texts = Vec::with_capacity(paths.len());
    for path in &paths {
        texts.push((
            path.display().to_string(),
            files::read(path).map_err(|e| format!("-rule.templates: {e}"))?,
        ));
    }
    let pairs: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    crate::template::TemplateSet::parse(&pairs, crate::template::TemplateDialect::Vmalert)
        .map_err(|e| format!("-rule.templates: {e}"))
}

/// How long queued notifications may take to drain on shutdown.
const NOTIFIER_DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// The notifier for the configured Alertmanagers: `-notifier.config` (static targets and DNS discovery), or one
/// peer per `-notifier.url` with per-position auth from vmalert's array flags.
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
        let options = notifier::discovery::DiscoveryOptions {
            dns_interval: settings.dns_sd_interval,
            suppress_duplicate_errors: p
                .bool("notifier.suppressDuplicateTargetErrors", false)
                .unwrap_or(false),
            ..Default::default()
        };
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
    let groups = load_rules(&settings)?;
    run_settings::check_outputs(&settings, &groups)?;
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
    let templater: Arc<dyn Templater + Send + Sync> = Arc::new(
        crate::rule::templates::EngineTemplater::new(
            crate::template::TemplateDialect::Vmalert,
            settings.external_labels.clone(),
            outputs.source.external_url.clone(),
        )
        .with_defined(load_templates(&settings)?),
    );
    let runner_settings = RunnerSettings {
        external_labels: settings.external_labels.clone(),
        resend_delay_ms: settings.resend_delay_ms,
        max_resolve_ms: settings.max_resolve_ms,
        alertgroup_label: settings.alertgroup_label,
        update_entries_limit: settings.update_entries_limit,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::with_capacity(groups.len());
    for group in groups {
        let schedule =
            GroupSchedule::new(&group, settings.eval_delay_ms, settings.max_start_delay_ms)
                .map_err(|e| format!("group {:?}: {e}", group.name))?;
        let name = group.name.clone();
        let runner = GroupRunner::new(
            Arc::new(group),
            schedule,
            querier.clone(),
            outputs.clone(),
            templater.clone(),
            Arc::new(SystemClock),
            runner_settings.clone(),
        );
        tracing::info!(group = %name, "group started");
        tasks.push(tokio::spawn(runner.run(stopped.clone(), move |eval| {
            for r in eval.rules.iter().filter(|r| r.error.is_some()) {
                tracing::warn!(group = %name, rule = %r.rule_name, "evaluation failed: {}", r.error.as_deref().unwrap_or(""));
            }
            if eval.missed > 0 {
                tracing::warn!(group = %name, missed = eval.missed, "evaluation overran; ticks skipped");
            }
        })));
    }
    wait_for_signal().await;
    tracing::info!("stopping");
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
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
