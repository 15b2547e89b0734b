//! The Kubernetes rule source: watchers for VMRules, PrometheusRules and (when a namespace selector is set)
//! Namespaces, feeding a [`Catalog`], whose rule set is published on a `tokio::sync::watch` channel.
//!
//! Each watcher lists, then watches from the list's resource version with bookmarks; a `410 Gone` or a dropped
//! connection makes it list again (kube-runtime's `watcher`), and errors back off exponentially. A relist
//! replaces a kind's objects only once it is complete, and a failing watcher changes nothing, so rules already
//! loaded stay loaded through an API server outage. Nothing is published until every watcher has listed once.
//!
//! The seam for the reload manager is [`KubeRuleSource::subscribe`]: every value is the complete current set.
//! IO lives here and in `status`; the rule set itself is computed by the pure `catalog`.

use super::catalog::{Catalog, CatalogSettings, KubeRules};
use super::crd::{PrometheusRule, VMRule};
use super::object::{ObjectKey, ObjectKind, RuleObject};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client, ResourceExt};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Settings of the Kubernetes source, from the `-kube.*` flags.
#[derive(Debug, Clone)]
pub struct KubeSettings {
    /// `-kube.vmrules`.
    pub vmrules: bool,
    /// `-kube.prometheusrules`.
    pub prometheusrules: bool,
    /// `-kube.kubeconfig`; in-cluster configuration when `None`.
    pub kubeconfig: Option<PathBuf>,
    /// Selection, tenancy and load options. An empty `selection.own_namespace` is filled from the client.
    pub catalog: CatalogSettings,
    /// Write VMRule status and Events (`-kube.writeStatus`, default true).
    pub write_status: bool,
    /// First and longest wait between retries of a failing watch.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl KubeSettings {
    pub fn enabled(&self) -> bool {
        self.vmrules || self.prometheusrules
    }
}

/// Why the source could not start.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Client(#[from] super::client::ClientError),
    #[error("no kind enabled: set -kube.vmrules or -kube.prometheusrules")]
    NothingToWatch,
}

/// What a watcher tells the catalog.
enum Msg {
    Replace(ObjectKind, Vec<RuleObject>),
    Apply(RuleObject),
    Delete(ObjectKey),
    ReplaceNamespaces(BTreeMap<String, BTreeMap<String, String>>),
    ApplyNamespace(String, BTreeMap<String, String>),
    DeleteNamespace(String),
}

/// Which watcher a message or an initial list belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Feed {
    Rules(ObjectKind),
    Namespaces,
}

/// A running Kubernetes rule source. Dropping it stops its watchers.
pub struct KubeRuleSource {
    rx: watch::Receiver<Arc<KubeRules>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for KubeRuleSource {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl KubeRuleSource {
    /// Connects (kubeconfig or in-cluster) and starts watching.
    pub async fn connect(settings: KubeSettings) -> Result<Self, SourceError> {
        let (client, namespace) = super::client::connect(settings.kubeconfig.as_deref()).await?;
        Self::start(client, &namespace, settings)
    }

    /// Starts watching with `client`; `namespace` is tocsin's own namespace unless the settings name one.
    pub fn start(
        client: Client,
        namespace: &str,
        mut settings: KubeSettings,
    ) -> Result<Self, SourceError> {
        if !settings.enabled() {
            return Err(SourceError::NothingToWatch);
        }
        if settings.catalog.selection.own_namespace.is_empty() {
            settings.catalog.selection.own_namespace = namespace.to_string();
        }
        let (msg_tx, msg_rx) = mpsc::channel(256);
        let (out_tx, out_rx) = watch::channel(Arc::new(KubeRules::default()));
        let mut feeds = Vec::new();
        let mut tasks = Vec::new();
        let cfg = watcher::Config::default();
        let backoff = (settings.backoff_min, settings.backoff_max);
        if settings.vmrules {
            feeds.push(Feed::Rules(ObjectKind::VmRule));
            let api: Api<VMRule> = Api::all(client.clone());
            tasks.push(tokio::spawn(watch_rules(
                api,
                cfg.clone(),
                backoff,
                ObjectKind::VmRule,
                msg_tx.clone(),
            )));
        }
        if settings.prometheusrules {
            feeds.push(Feed::Rules(ObjectKind::PrometheusRule));
            let api: Api<PrometheusRule> = Api::all(client.clone());
            tasks.push(tokio::spawn(watch_rules(
                api,
                cfg.clone(),
                backoff,
                ObjectKind::PrometheusRule,
                msg_tx.clone(),
            )));
        }
        if settings.catalog.selection.needs_namespaces() {
            feeds.push(Feed::Namespaces);
            let api: Api<Namespace> = Api::all(client.clone());
            tasks.push(tokio::spawn(watch_namespaces(api, cfg, backoff, msg_tx)));
        }
        let catalog_settings = settings.catalog.clone();
        tasks.push(tokio::spawn(run_catalog(
            msg_rx,
            out_tx,
            feeds,
            catalog_settings,
        )));
        if settings.write_status {
            tasks.push(tokio::spawn(super::status::run(client, out_rx.clone())));
        }
        Ok(KubeRuleSource { rx: out_rx, tasks })
    }

    /// The current rule set and every later one. The first value is an empty, not-ready set; the next ones
    /// are complete (`ready`), each replacing the one before.
    pub fn subscribe(&self) -> watch::Receiver<Arc<KubeRules>> {
        self.rx.clone()
    }
}

fn backoff_policy((min, max): (Duration, Duration)) -> kube::runtime::watcher::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(min)
        .with_max_delay(max)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .into()
}

async fn watch_rules<K>(
    api: Api<K>,
    cfg: watcher::Config,
    backoff: (Duration, Duration),
    kind: ObjectKind,
    tx: mpsc::Sender<Msg>,
) where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    for<'a> &'a K: Into<RuleObject>,
{
    let mut stream = watcher::watcher(api, cfg)
        .backoff(backoff_policy(backoff))
        .boxed();
    let mut buffer = Vec::new();
    let mut reported_absent = false;
    // Ends only when the catalog has gone (the source was dropped).
    while let Some(event) = stream.next().await {
        let msg = match event {
            Ok(Event::Init) => {
                buffer.clear();
                continue;
            }
            Ok(Event::InitApply(o)) => {
                buffer.push((&o).into());
                continue;
            }
            Ok(Event::InitDone) => Msg::Replace(kind, std::mem::take(&mut buffer)),
            Ok(Event::Apply(o)) => Msg::Apply((&o).into()),
            Ok(Event::Delete(o)) => Msg::Delete((&o).into().key),
            Err(watcher::Error::InitialListFailed(kube::Error::Api(s))) if s.code == 404 => {
                // The CRD is not installed: the kind has no objects (the API server deletes every object of a
                // deleted CRD), so the other kind is not held back. Listing is retried; objects appear once the
                // CRD does.
                if reported_absent {
                    continue;
                }
                reported_absent = true;
                tracing::warn!(kind = %kind, "the custom resource definition is not installed; no objects of this kind until it is");
                Msg::Replace(kind, Vec::new())
            }
            Err(e) => {
                tracing::warn!(kind = %kind, error = %e, "kubernetes watch failed; keeping the rules loaded and retrying");
                continue;
            }
        };
        if matches!(&msg, Msg::Replace(_, objects) if !objects.is_empty()) {
            reported_absent = false;
        }
        if tx.send(msg).await.is_err() {
            return;
        }
    }
}

async fn watch_namespaces(
    api: Api<Namespace>,
    cfg: watcher::Config,
    backoff: (Duration, Duration),
    tx: mpsc::Sender<Msg>,
) {
    let mut stream = watcher::watcher(api, cfg)
        .backoff(backoff_policy(backoff))
        .boxed();
    let mut buffer = BTreeMap::new();
    while let Some(event) = stream.next().await {
        let msg = match event {
            Ok(Event::Init) => {
                buffer.clear();
                continue;
            }
            Ok(Event::InitApply(ns)) => {
                buffer.insert(ns.name_any(), ns.labels().clone());
                continue;
            }
            Ok(Event::InitDone) => Msg::ReplaceNamespaces(std::mem::take(&mut buffer)),
            Ok(Event::Apply(ns)) => Msg::ApplyNamespace(ns.name_any(), ns.labels().clone()),
            Ok(Event::Delete(ns)) => Msg::DeleteNamespace(ns.name_any()),
            Err(e) => {
                tracing::warn!(error = %e, "kubernetes namespace watch failed; keeping the rules loaded and retrying");
                continue;
            }
        };
        if tx.send(msg).await.is_err() {
            return;
        }
    }
}

async fn run_catalog(
    mut rx: mpsc::Receiver<Msg>,
    out: watch::Sender<Arc<KubeRules>>,
    feeds: Vec<Feed>,
    settings: CatalogSettings,
) {
    let mut catalog = Catalog::new();
    let mut listed: Vec<Feed> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        // Apply everything already queued before rebuilding: a relist of many objects rebuilds once.
        while let Some(msg) = next {
            match msg {
                Msg::Replace(kind, objects) => {
                    catalog.replace_kind(kind, objects);
                    if !listed.contains(&Feed::Rules(kind)) {
                        listed.push(Feed::Rules(kind));
                    }
                }
                Msg::Apply(o) => catalog.apply(o),
                Msg::Delete(k) => catalog.delete(&k),
                Msg::ReplaceNamespaces(ns) => {
                    catalog.replace_namespaces(ns);
                    if !listed.contains(&Feed::Namespaces) {
                        listed.push(Feed::Namespaces);
                    }
                }
                Msg::ApplyNamespace(n, l) => catalog.apply_namespace(n, l),
                Msg::DeleteNamespace(n) => catalog.delete_namespace(&n),
            }
            next = rx.try_recv().ok();
        }
        if !feeds.iter().all(|f| listed.contains(f)) {
            continue;
        }
        let rules = catalog.build(&settings);
        out.send_if_modified(|current| {
            if **current == rules {
                false
            } else {
                let invalid = rules.objects.iter().filter(|o| !o.verdict.is_ok()).count();
                tracing::info!(
                    groups = rules.groups.len(),
                    objects = rules.objects.len(),
                    invalid,
                    "kubernetes rule set changed"
                );
                *current = Arc::new(rules);
                true
            }
        });
    }
}
