//! Access control as vmalert has it: optional basic auth on every path (`-httpAuth.username/password`) except the
//! health probes, and an optional key per operational endpoint (`-reloadAuthKey`, `-metricsAuthKey`,
//! `-flagsAuthKey`, tocsin's `-replica.authKey`) given as the `authKey` query parameter or as
//! `Authorization: Bearer <key>`. Comparisons take constant time. Keys never appear in errors or logs.

use super::ServerState;
use super::error::ApiError;
use super::params::Params;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Who may call what. `None` everywhere means an open server, vmalert's default.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// `-httpAuth.username` and `-httpAuth.password`.
    pub basic: Option<(String, String)>,
    pub reload_key: Option<String>,
    pub metrics_key: Option<String>,
    pub flags_key: Option<String>,
    pub replica_key: Option<String>,
}

impl AuthSettings {
    /// Every secret held, for scrubbing.
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            &self.reload_key,
            &self.metrics_key,
            &self.flags_key,
            &self.replica_key,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
        if let Some((_, p)) = &self.basic {
            out.push(p.clone());
        }
        out
    }
}

/// Equality whose time does not depend on where the inputs differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    diff == 0
}

/// Checks an endpoint's key; `what` names the endpoint in the error.
pub fn check_key(
    expected: Option<&str>,
    params: &Params,
    headers: &HeaderMap,
    what: &str,
) -> Result<(), ApiError> {
    let Some(expected) = expected.filter(|k| !k.is_empty()) else {
        return Ok(());
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let given = params.get("authKey").or(bearer).unwrap_or("");
    if same(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::BadAuthKey(what.to_string()))
    }
}

/// Paths answered without basic auth: liveness and readiness probes.
fn is_probe(path: &str, prefix: &str) -> bool {
    let path = path.strip_prefix(prefix).unwrap_or(path);
    matches!(path, "/health" | "/-/healthy" | "/-/ready")
}

/// Middleware: basic auth on everything but the probes, when configured.
pub async fn basic_auth(
    State(state): State<Arc<ServerState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some((user, password)) = &state.auth.basic else {
        return next.run(request).await;
    };
    if is_probe(request.uri().path(), &state.path_prefix) {
        return next.run(request).await;
    }
    let want = crate::secrets::basic_authorization(user, password);
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if same(given, want.as_bytes()) {
        next.run(request).await
    } else {
        ApiError::Unauthorized.into_response()
    }
}
