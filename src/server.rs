//! The HTTP server: vmalert's JSON API (served bare and under `/vmalert/`), tocsin's state endpoint for sibling
//! restore, `/metrics`, and the operational endpoints, all under `-http.pathPrefix` and behind the optional auth
//! of `auth`. [`router`] builds the whole thing without a socket (tests call it directly); [`serve`] binds
//! `-httpListenAddr` and stops on the shutdown signal.
//!
//! Reads snapshots from the [`StateRegistry`] only: it never reaches into a runner, and it changes nothing
//! except by asking the reload manager through [`ReloadTrigger`].

pub mod api;
pub mod auth;
pub mod cache;
pub mod error;
pub mod filter;
pub mod metrics;
pub mod model;
pub mod objects;
pub mod ops;
pub mod params;
pub mod process;
pub mod reload;
pub mod state_api;
pub mod text;
pub mod time;
pub mod ui;

pub use auth::AuthSettings;
pub use error::ApiError;
pub use metrics::MetricsProvider;
pub use model::{ApiNotifier, ApiTarget};
pub use reload::{Readiness, ReloadRequest, ReloadTrigger};

use crate::group::snapshot::{DEFAULT_UPDATE_ENTRIES, StateRegistry};
use crate::notifier::{AlertSource, DefaultAlertSource};
use axum::Router;
use axum::routing::{any, get};
use std::sync::Arc;

/// The notifiers' status, asked for at every `/api/v1/notifiers` request.
pub type NotifierStatus = Arc<dyn Fn() -> Vec<ApiNotifier> + Send + Sync>;

/// Everything the handlers read.
pub struct ServerState {
    pub registry: Arc<StateRegistry>,
    /// `-http.pathPrefix`, normalised: empty, or starting with `/` and without a trailing `/`.
    pub path_prefix: String,
    pub auth: AuthSettings,
    /// How alerts' `source` links are made (the same as their `generatorURL`).
    pub alert_source: Arc<dyn AlertSource>,
    /// The datasource URL without credentials, for the `curl` of rule updates; empty to leave it out.
    pub datasource_url: String,
    /// `-rule.updateEntriesLimit`, shown as `max_updates_entries`.
    pub update_entries_limit: usize,
    pub notifiers: NotifierStatus,
    /// Families other modules add to `/metrics`.
    pub metrics: Vec<MetricsProvider>,
    /// `None` when nothing handles reloads: `/-/reload` answers 503.
    pub reload: Option<ReloadTrigger>,
    pub readiness: Readiness,
    /// The web UI (`ui::router`), merged as is; its routes carry the path prefix themselves.
    pub ui: Option<Router>,
    /// `/flags`: name and value (secrets already masked), in the order shown.
    pub flags: Vec<(String, String)>,
    /// Rendered groups of the unfiltered `/api/v1/rules`.
    pub rules_cache: cache::FragmentCache,
    /// Kubernetes rule objects and their verdicts (`/tocsin/api/v1/objects`); empty without `-kube.*`.
    pub objects: objects::ObjectsFn,
}

impl ServerState {
    /// A state with defaults around `registry`: no auth, no prefix, no notifiers, not ready.
    pub fn new(registry: Arc<StateRegistry>) -> Self {
        ServerState {
            registry,
            path_prefix: String::new(),
            auth: AuthSettings::default(),
            alert_source: Arc::new(DefaultAlertSource {
                external_url: "http://localhost:8880".to_string(),
            }),
            datasource_url: String::new(),
            update_entries_limit: DEFAULT_UPDATE_ENTRIES,
            notifiers: Arc::new(Vec::new),
            metrics: Vec::new(),
            reload: None,
            readiness: Readiness::default(),
            objects: Arc::new(Vec::new),
            ui: None,
            flags: Vec::new(),
            rules_cache: cache::FragmentCache::default(),
        }
    }

    /// Sets `-http.pathPrefix`, normalising it.
    pub fn with_path_prefix(mut self, prefix: &str) -> Self {
        self.path_prefix = normalise_prefix(prefix);
        self
    }

    fn render_context(&self) -> model::RenderContext<'_> {
        model::RenderContext {
            source: self.alert_source.as_ref(),
            datasource_url: &self.datasource_url,
        }
    }
}

/// `""`, `"/"` → `""`; `"x/"` → `"/x"`.
pub fn normalise_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// The JSON API paths, each served bare and under `/vmalert`, below `prefix`.
fn api_routes(prefix: &str) -> Router<Arc<ServerState>> {
    let mut r = Router::new();
    for base in ["", "/vmalert"] {
        let at = |path: &str| format!("{prefix}{base}{path}");
        r = r
            .route(&at("/api/v1/rules"), get(api::rules))
            .route(&at("/api/v1/alerts"), get(api::alerts))
            .route(&at("/api/v1/alert"), get(api::alert))
            .route(&at("/api/v1/rule"), get(api::rule))
            .route(&at("/api/v1/group"), get(api::group))
            .route(&at("/api/v1/notifiers"), get(api::notifiers));
    }
    r
}

/// Operational endpoints and tocsin's own API, below `prefix`.
fn ops_routes(prefix: &str) -> Router<Arc<ServerState>> {
    let at = |path: &str| format!("{prefix}{path}");
    Router::new()
        .route(&at("/-/reload"), any(ops::reload))
        .route(&at("/-/healthy"), get(ops::healthy))
        .route(&at("/-/ready"), get(ops::ready))
        .route(&at("/health"), get(ops::health))
        .route(&at("/flags"), get(ops::flags))
        .route(&at("/metrics"), get(ops::metrics))
        .route(&at("/tocsin/api/v1/state"), get(api::state))
        .route(&at("/tocsin/api/v1/objects"), get(api::objects))
}

/// The whole server, without a socket: the API, the operational endpoints and the UI (`state.ui`, built by
/// `ui::router` with the same prefix), behind basic auth when it is configured.
pub fn router(mut state: ServerState) -> Router {
    let ui = state.ui.take();
    let state = Arc::new(state);
    let prefix = state.path_prefix.clone();
    let mut app: Router = api_routes(&prefix)
        .merge(ops_routes(&prefix))
        .with_state(state.clone());
    if let Some(ui) = ui {
        app = app.merge(ui);
    }
    app.fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state,
            auth::basic_auth,
        ))
}

/// A listen address as vmalert takes it: `:8880` means every interface.
pub fn listen_addr(flag: &str) -> String {
    if flag.starts_with(':') {
        format!("0.0.0.0{flag}")
    } else {
        flag.to_string()
    }
}

/// Errors of [`serve`].
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("http server: {0}")]
    Serve(std::io::Error),
}

/// Binds `addr` (vmalert's `-httpListenAddr` form) and returns the bound address and a future that serves until
/// `shutdown` turns true.
pub async fn bind(
    addr: &str,
    app: Router,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<
    (
        std::net::SocketAddr,
        impl std::future::Future<Output = Result<(), ServeError>> + use<>,
    ),
    ServeError,
> {
    let addr = listen_addr(addr);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| ServeError::Bind {
        addr: addr.clone(),
        source,
    })?;
    let fut = async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                while !*shutdown.borrow() {
                    if shutdown.changed().await.is_err() {
                        break;
                    }
                }
            })
            .await
            .map_err(ServeError::Serve)
    };
    Ok((local, fut))
}

/// Serves `app` on `addr` until `shutdown` turns true.
pub async fn serve(
    addr: &str,
    app: Router,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(), ServeError> {
    let (local, fut) = bind(addr, app, shutdown).await?;
    tracing::info!(%local, "http server listening");
    fut.await
}
