//! Operational endpoints: `/-/reload`, `/-/healthy`, `/-/ready`, `/health`, `/flags` and `/metrics`, each behind
//! its own optional auth key as in vmalert. A reload is only asked for through the [`super::ReloadTrigger`]; the
//! work belongs to the reload manager.

use super::ServerState;
use super::auth::check_key;
use super::error::ApiError;
use super::params::Params;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// How long `/-/reload` waits for the reload manager's answer.
const RELOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

fn text(body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// `GET|POST /-/reload`: asks the reload manager and answers with its outcome.
pub async fn reload(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref());
    check_key(s.auth.reload_key.as_deref(), &p, &headers, "/-/reload")?;
    let Some(trigger) = &s.reload else {
        return Err(ApiError::Unavailable(
            "configuration reload is not available".to_string(),
        ));
    };
    tracing::info!("configuration reload requested over HTTP");
    match tokio::time::timeout(RELOAD_WAIT, trigger.request()).await {
        Ok(Ok(())) => Ok(text("OK\n".to_string())),
        Ok(Err(e)) => Err(ApiError::Internal(format!("reload failed: {e}"))),
        Err(_) => Err(ApiError::Unavailable(
            "reload did not finish within 60s; it goes on in the background".to_string(),
        )),
    }
}

/// `GET /-/healthy`: the process is up.
pub async fn healthy() -> Response {
    text("tocsin is Healthy.\n".to_string())
}

/// `GET /health`: vmalert's probe.
pub async fn health() -> Response {
    text("OK".to_string())
}

/// `GET /-/ready`: 200 once rules are loaded and state is restored, 503 before.
pub async fn ready(State(s): State<Arc<ServerState>>) -> Result<Response, ApiError> {
    if s.readiness.is_ready() {
        Ok(text("tocsin is Ready.\n".to_string()))
    } else {
        Err(ApiError::Unavailable(
            "not ready: rules are loading or state is being restored".to_string(),
        ))
    }
}

/// `GET /flags`: the flags given on the command line, `-name="value"` one a line, secrets masked.
pub async fn flags(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref());
    check_key(s.auth.flags_key.as_deref(), &p, &headers, "/flags")?;
    let mut out = String::new();
    for (name, value) in &s.flags {
        out.push_str(&format!("-{name}={value:?}\n"));
    }
    Ok(text(out))
}

/// `GET /metrics`.
pub async fn metrics(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref());
    check_key(s.auth.metrics_key.as_deref(), &p, &headers, "/metrics")?;
    let groups = s.registry.groups();
    let body = super::metrics::render(&groups, s.registry.reload_stats(), &s.metrics);
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(r)
}

/// Any other path: a 404 in the API's error shape.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("unsupported path requested: {:?}", uri.path()))
}

/// A known path with a method it does not take: a 405 in the API's error shape.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
