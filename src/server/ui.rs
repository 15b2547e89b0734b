//! The web UI: server-side rendered HTML pages over the [`StateRegistry`] snapshots and the notifier's per-peer
//! status, at vmalert's paths (`/`, `/vmalert/groups` alias `/rules`, `/vmalert/alerts`, `/vmalert/notifiers`,
//! `/vmalert/alert`, `/vmalert/rule`) plus tocsin's `/vmalert/peers` (what each Alertmanager peer received).
//!
//! Pages are handlebars templates embedded in the binary ([`render`]), filled from view models built by pure
//! functions ([`groups`], [`alerts`], [`rule`], [`peers`]). No page loads anything from elsewhere: styles are
//! inline, there is no script, and the Content-Security-Policy header forbids both. Filters are GET forms.
//!
//! Reads only: it must not change runner or notifier state, and it never shows a secret (the datasource settings
//! it holds are stripped of them by [`UiState::with_datasource`]).

pub mod alerts;
pub mod groups;
pub mod peers;
pub mod render;
pub mod rule;
pub mod view;

use crate::datasource::{BearerToken, DatasourceSettings, Secret};
use crate::group::snapshot::StateRegistry;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
pub use peers::{DeliveredAlert, PeerDeliveries, PeerStatus};
use render::Pages;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use view::{Page, Section};

/// Reports each Alertmanager peer's queue and last outcomes.
pub type PeerStatusFn = Arc<dyn Fn() -> Vec<PeerStatus> + Send + Sync>;
/// Reports what each Alertmanager peer has acknowledged from this replica.
pub type DeliveriesFn = Arc<dyn Fn() -> Vec<PeerDeliveries> + Send + Sync>;
/// Wall-clock time in milliseconds since the epoch.
pub type NowFn = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Everything the UI reads. Cheap to clone.
#[derive(Clone)]
pub struct UiState {
    registry: Arc<StateRegistry>,
    /// `-http.pathPrefix`, normalised: empty, or `/x` without a trailing slash.
    prefix: String,
    datasource: Option<Arc<DatasourceSettings>>,
    peers: PeerStatusFn,
    deliveries: DeliveriesFn,
    objects: crate::server::objects::ObjectsFn,
    now: NowFn,
    pages: Arc<Pages>,
}

impl UiState {
    /// A UI over `registry`, served under `prefix` (`-http.pathPrefix`), with no datasource (no curl line) and no
    /// peers until they are set.
    pub fn new(registry: Arc<StateRegistry>, prefix: &str) -> Result<Self, render::RenderError> {
        let trimmed = prefix.trim_matches('/');
        Ok(UiState {
            registry,
            prefix: if trimmed.is_empty() {
                String::new()
            } else {
                format!("/{trimmed}")
            },
            datasource: None,
            peers: Arc::new(Vec::new),
            deliveries: Arc::new(Vec::new),
            objects: Arc::new(Vec::new),
            now: Arc::new(system_now_ms),
            pages: Arc::new(Pages::new()?),
        })
    }

    /// The datasource the rule page's curl line targets. A copy without secrets is kept: passwords and tokens are
    /// replaced (the curl line shows `<secret>` where they go) and secret-looking header values dropped.
    pub fn with_datasource(mut self, settings: &DatasourceSettings) -> Self {
        self.datasource = Some(Arc::new(strip_secrets(settings)));
        self
    }

    pub fn with_peer_status(mut self, f: PeerStatusFn) -> Self {
        self.peers = f;
        self
    }

    pub fn with_deliveries(mut self, f: DeliveriesFn) -> Self {
        self.deliveries = f;
        self
    }

    /// Kubernetes rule objects and their verdicts, for the objects page.
    pub fn with_objects(mut self, f: crate::server::objects::ObjectsFn) -> Self {
        self.objects = f;
        self
    }

    /// Replaces the clock the pages compute "ago" from (tests).
    pub fn with_clock(mut self, f: NowFn) -> Self {
        self.now = f;
        self
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

fn system_now_ms() -> i64 {
    crate::group::runner::Clock::now_ms(&crate::group::runner::SystemClock)
}

fn strip_secrets(s: &DatasourceSettings) -> DatasourceSettings {
    let mut s = s.clone();
    if let Ok(mut url) = reqwest::Url::parse(&s.url)
        && url.password().is_some()
    {
        // Cannot fail: the URL has a password, so it has a host.
        let _ = url.set_password(Some("stripped"));
        s.url = url.to_string();
    }
    if let Some(b) = &mut s.basic_auth {
        b.password = b.password.as_ref().map(|_| Secret::new("stripped"));
    }
    if let Some(BearerToken::Token(_)) = &s.bearer {
        s.bearer = Some(BearerToken::Token(Secret::new("stripped")));
    }
    for (name, value) in &mut s.headers {
        if crate::datasource::settings::is_secret_header(name) {
            *value = "<secret>".to_string();
        }
    }
    s
}

/// The UI's routes, prefix included, for the server's top router to merge.
pub fn router(state: UiState) -> Router {
    let p = state.prefix.clone();
    let mut r = Router::new()
        .route(&format!("{p}/"), get(groups_page))
        .route(&format!("{p}/vmalert"), get(groups_page))
        .route(&format!("{p}/vmalert/"), get(groups_page))
        .route(&format!("{p}/vmalert/groups"), get(groups_page))
        .route(&format!("{p}/rules"), get(groups_page))
        .route(&format!("{p}/vmalert/alerts"), get(alerts_page))
        .route(&format!("{p}/vmalert/notifiers"), get(notifiers_page))
        .route(&format!("{p}/vmalert/peers"), get(peers_page))
        .route(&format!("{p}/vmalert/objects"), get(objects_page))
        .route(&format!("{p}/vmalert/alert"), get(alert_page))
        .route(&format!("{p}/vmalert/rule"), get(rule_page));
    if !p.is_empty() {
        r = r.route(&p, get(groups_page));
    }
    r.with_state(state)
}

type Params = Query<HashMap<String, String>>;

async fn groups_page(State(s): State<UiState>, Query(q): Params) -> Response {
    let now = (s.now)();
    let filter = groups::GroupFilter::from_query(&q);
    let body = groups::groups_view(&s.registry.groups(), &filter, &s.prefix, now);
    page(
        &s,
        "groups",
        Page::new("Groups", &s.prefix, Section::Groups, now, body),
    )
}

async fn alerts_page(State(s): State<UiState>, Query(q): Params) -> Response {
    let now = (s.now)();
    let filter = alerts::AlertFilter::from_query(&q);
    let body = alerts::alerts_view(&s.registry.groups(), &filter, &s.prefix, now);
    page(
        &s,
        "alerts",
        Page::new("Alerts", &s.prefix, Section::Alerts, now, body),
    )
}

async fn notifiers_page(State(s): State<UiState>) -> Response {
    let now = (s.now)();
    let body = peers::notifiers_view((s.peers)(), &s.prefix, now);
    page(
        &s,
        "notifiers",
        Page::new("Notifiers", &s.prefix, Section::Notifiers, now, body),
    )
}

async fn peers_page(State(s): State<UiState>) -> Response {
    let now = (s.now)();
    let body = peers::deliveries_view((s.deliveries)(), now);
    page(
        &s,
        "peers",
        Page::new("Delivered to peers", &s.prefix, Section::Peers, now, body),
    )
}

#[derive(serde::Serialize)]
struct ObjectsBody {
    objects: Vec<crate::server::objects::ApiObject>,
    invalid: usize,
}

async fn objects_page(State(s): State<UiState>) -> Response {
    let now = (s.now)();
    let objects = (s.objects)();
    let invalid = objects.iter().filter(|o| o.status != "ok").count();
    page(
        &s,
        "objects",
        Page::new(
            "Kubernetes objects",
            &s.prefix,
            Section::Objects,
            now,
            ObjectsBody { objects, invalid },
        ),
    )
}

async fn alert_page(State(s): State<UiState>, Query(q): Params) -> Response {
    let now = (s.now)();
    let (g, alert_id) = match lookup(&s, &q, "alert_id") {
        Ok(found) => found,
        Err(e) => return e.respond(&s, now),
    };
    match alerts::alert_view(&g, alert_id, &s.prefix, now) {
        Some(body) => {
            let title = format!("Alert {}", body.alertname);
            page(
                &s,
                "alert",
                Page::new(title, &s.prefix, Section::Alerts, now, body),
            )
        }
        None => Lookup::NotFound(format!(
            "no alert with alert_id={alert_id} in group {:?}; it may have resolved and expired",
            g.group.name
        ))
        .respond(&s, now),
    }
}

async fn rule_page(State(s): State<UiState>, Query(q): Params) -> Response {
    let now = (s.now)();
    let (g, rule_id) = match lookup(&s, &q, "rule_id") {
        Ok(found) => found,
        Err(e) => return e.respond(&s, now),
    };
    match rule::rule_view(&g, rule_id, s.datasource.as_deref(), &s.prefix, now) {
        Some(body) => {
            let title = format!("Rule {}", body.name);
            page(
                &s,
                "rule",
                Page::new(title, &s.prefix, Section::Groups, now, body),
            )
        }
        None => Lookup::NotFound(format!(
            "no rule with rule_id={rule_id} in group {:?}",
            g.group.name
        ))
        .respond(&s, now),
    }
}

/// Why a detail page cannot be shown.
enum Lookup {
    BadRequest(String),
    NotFound(String),
}

impl Lookup {
    fn respond(self, s: &UiState, now: i64) -> Response {
        let (status, message) = match self {
            Lookup::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            Lookup::NotFound(m) => (StatusCode::NOT_FOUND, m),
        };
        let body = ErrorView {
            status: status.as_u16(),
            message,
            back_href: format!("{}/vmalert/groups", s.prefix),
        };
        let mut resp = page(
            s,
            "error",
            Page::new("Not shown", &s.prefix, Section::None, now, body),
        );
        *resp.status_mut() = status;
        resp
    }
}

#[derive(Serialize)]
struct ErrorView {
    status: u16,
    message: String,
    back_href: String,
}

/// The group named by `group_id` and the numeric parameter `id_param`.
fn lookup(
    s: &UiState,
    q: &HashMap<String, String>,
    id_param: &str,
) -> Result<(Arc<crate::group::snapshot::GroupSnapshot>, u64), Lookup> {
    let number = |name: &str| -> Result<u64, Lookup> {
        let raw = q
            .get(name)
            .ok_or_else(|| Lookup::BadRequest(format!("missing parameter {name}")))?;
        raw.trim().parse().map_err(|_| {
            Lookup::BadRequest(format!(
                "parameter {name}: {raw:?} is not an unsigned integer"
            ))
        })
    };
    let group_id = number("group_id")?;
    let id = number(id_param)?;
    let g = s
        .registry
        .group(group_id)
        .ok_or_else(|| Lookup::NotFound(format!("no group with group_id={group_id}")))?;
    Ok((g, id))
}

/// Renders a page as an HTML response with headers that forbid loading anything from elsewhere.
fn page<T: Serialize>(s: &UiState, template: &str, data: Page<T>) -> Response {
    match s.pages.render(template, &data) {
        Ok(html) => {
            let mut resp = html.into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'",
                ),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "ui page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render; see the log",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests;
