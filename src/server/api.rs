//! The JSON API handlers: `/api/v1/rules`, `/api/v1/alerts`, `/api/v1/alert`, `/api/v1/rule`, `/api/v1/group`,
//! `/api/v1/notifiers` and tocsin's `/tocsin/api/v1/state`. Each reads the registry's snapshots, filters, and
//! renders through `model`; errors go through `ApiError`. Read-only: never touches a runner.

use super::ServerState;
use super::error::{ApiError, json_bytes, json_response};
use super::filter::{AlertsFilter, RulesFilter, extended_state};
use super::model::{self, ApiAlert, ApiRule, RenderContext};
use super::params::Params;
use crate::group::snapshot::GroupSnapshot;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
struct Envelope<T: Serialize> {
    status: &'static str,
    data: T,
}

fn success<T: Serialize>(data: T) -> Response {
    json_response(json_bytes(&Envelope {
        status: "success",
        data,
    }))
}

/// Groups ordered as vmalert lists them: by name, then file.
fn sorted(groups: &[Arc<GroupSnapshot>]) -> Vec<&Arc<GroupSnapshot>> {
    let mut out: Vec<&Arc<GroupSnapshot>> = groups.iter().collect();
    out.sort_by(|a, b| {
        a.group
            .name
            .cmp(&b.group.name)
            .then_with(|| a.group.file.cmp(&b.group.file))
    });
    out
}

fn group_rules<'a>(
    g: &'a GroupSnapshot,
    f: &RulesFilter,
    ctx: &RenderContext<'_>,
    update_limit: usize,
) -> Vec<ApiRule<'a>> {
    g.rules
        .iter()
        .filter_map(|snap| {
            let rule = g.group.rules.get(snap.index)?;
            if !f.keeps(g, rule, snap) {
                return None;
            }
            let alerts = (!f.exclude_alerts).then(|| model::active_alerts(g, rule, snap, ctx));
            let mut r = model::rule_to_api(g, rule, snap, alerts, update_limit);
            if f.extended_states {
                r.state = extended_state(rule, snap);
            }
            Some(r)
        })
        .collect()
}

/// `GET /api/v1/rules`. The envelope is written by hand around each group's JSON, so that the JSON of groups
/// that did not change since the last request comes from the cache (only for the unfiltered form of each group;
/// group-level filters and pages pick from the same cached pieces).
pub async fn rules(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let f = RulesFilter::parse(&Params::parse(q.as_deref()))?;
    let snaps = s.registry.groups();
    s.rules_cache.retain(&snaps);
    let ctx = s.render_context();
    let cacheable = !f.filters_rules() && !f.exclude_alerts && !f.extended_states;
    let mut pieces: Vec<Arc<Vec<u8>>> = Vec::new();
    for g in sorted(&snaps) {
        if !f.group.keeps(g) {
            continue;
        }
        let render = || {
            let rules = group_rules(g, &f, &ctx, s.update_entries_limit);
            if f.filters_rules() && rules.is_empty() {
                return Vec::new();
            }
            json_bytes(&model::group_to_api(g, rules))
        };
        let piece = if cacheable {
            s.rules_cache.get_or_render(g, render)
        } else {
            Arc::new(render())
        };
        if !piece.is_empty() {
            pieces.push(piece);
        }
    }
    let mut page = None;
    if let Some(limit) = f.group_limit {
        let total = pieces.len();
        let pages = total.div_ceil(limit);
        if f.page_num > pages.max(1) {
            return Err(ApiError::bad_param(
                "page_num",
                format!("page {} requested, but there are {pages} pages", f.page_num),
            ));
        }
        let start = (f.page_num - 1) * limit;
        pieces = pieces.into_iter().skip(start).take(limit).collect();
        page = Some(format!(
            r#","page_num":{},"total_pages":{pages},"total_groups":{total}"#,
            f.page_num
        ));
    }
    let size: usize = pieces.iter().map(|p| p.len() + 1).sum();
    let mut body = Vec::with_capacity(size + 128);
    body.extend_from_slice(br#"{"status":"success","data":{"groups":["#);
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(p);
    }
    body.push(b']');
    if let Some(page) = page {
        body.extend_from_slice(page.as_bytes());
    }
    body.extend_from_slice(b"}}");
    Ok(json_response(body))
}

#[derive(Serialize)]
struct AlertsData<'a> {
    alerts: Vec<ApiAlert<'a>>,
}

/// `GET /api/v1/alerts`: pending and firing alerts, ordered by ID as text (as vmalert orders them).
pub async fn alerts(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let f = AlertsFilter::parse(&Params::parse(q.as_deref()))?;
    let snaps = s.registry.groups();
    let ctx = s.render_context();
    let mut alerts = Vec::new();
    for g in snaps.iter().filter(|g| f.group.keeps(g)) {
        for snap in &g.rules {
            let Some(rule) = g.group.rules.get(snap.index) else {
                continue;
            };
            alerts.extend(
                model::active_alerts(g, rule, snap, &ctx)
                    .into_iter()
                    .filter(|a| f.keeps_alert(a.labels)),
            );
        }
    }
    alerts.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(success(AlertsData { alerts }))
}

fn find_group(s: &ServerState, p: &Params) -> Result<Arc<GroupSnapshot>, ApiError> {
    let id = p.id("group_id")?;
    s.registry
        .group(id)
        .ok_or_else(|| ApiError::NotFound(format!("can't find group with id {id}")))
}

/// `GET /api/v1/alert?group_id=…&alert_id=…`: the alert object itself, as vmalert answers (no envelope).
pub async fn alert(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref());
    let g = find_group(&s, &p)?;
    let alert_id = p.id("alert_id")?;
    let ctx = s.render_context();
    for snap in &g.rules {
        let Some(rule) = g.group.rules.get(snap.index) else {
            continue;
        };
        if let Some(a) = snap.alerts.iter().find(|a| a.id == alert_id) {
            return Ok(json_response(json_bytes(&model::alert_to_api(
                &g, rule, a, &ctx,
            ))));
        }
    }
    Err(ApiError::NotFound(format!(
        "can't find alert with id {alert_id} in group {:?}",
        g.group.name
    )))
}

/// `GET /api/v1/rule?group_id=…&rule_id=…`: the rule with its `updates` (latest evaluations, newest first, as
/// vmalert lists them), no envelope.
pub async fn rule(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref());
    let g = find_group(&s, &p)?;
    let rule_id = p.id("rule_id")?;
    let ctx = s.render_context();
    for snap in &g.rules {
        let Some(rule) = g.group.rules.get(snap.index) else {
            continue;
        };
        if rule.id == rule_id {
            let alerts = Some(model::active_alerts(&g, rule, snap, &ctx));
            let mut r = model::rule_to_api(&g, rule, snap, alerts, s.update_entries_limit);
            let mut updates = model::updates(&g, rule, snap, &ctx);
            updates.reverse();
            r.updates = Some(updates).filter(|u| !u.is_empty());
            return Ok(json_response(json_bytes(&r)));
        }
    }
    Err(ApiError::NotFound(format!(
        "can't find rule with id {rule_id} in group {:?}",
        g.group.name
    )))
}

/// `GET /api/v1/group?group_id=…`: the group with its rules and their alerts, no envelope.
pub async fn group(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref());
    let g = find_group(&s, &p)?;
    let ctx = s.render_context();
    let rules = group_rules(&g, &RulesFilter::default(), &ctx, s.update_entries_limit);
    Ok(json_response(json_bytes(&model::group_to_api(&g, rules))))
}

#[derive(Serialize)]
struct NotifiersData {
    notifiers: Vec<model::ApiNotifier>,
}

/// `GET /api/v1/notifiers`.
pub async fn notifiers(State(s): State<Arc<ServerState>>) -> Response {
    success(NotifiersData {
        notifiers: (s.notifiers)(),
    })
}

#[derive(Serialize)]
struct ObjectsData {
    objects: Vec<super::objects::ApiObject>,
}

/// `GET /tocsin/api/v1/objects`: every selected Kubernetes rule object with its verdict.
pub async fn objects(State(s): State<Arc<ServerState>>) -> Response {
    success(ObjectsData {
        objects: (s.objects)(),
    })
}

/// `GET /tocsin/api/v1/state`: full alert state for a sibling's restore.
pub async fn state(
    State(s): State<Arc<ServerState>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::parse(q.as_deref());
    super::auth::check_key(
        s.auth.replica_key.as_deref(),
        &p,
        &headers,
        "/tocsin/api/v1/state",
    )?;
    // A replica that has not restored its own state yet has nothing to hand over: a sibling asking it (or a
    // replica reaching itself through a Service) must look elsewhere.
    if !s.readiness.is_ready() {
        return Err(ApiError::Unavailable(
            "state not restored yet; ask another replica".to_string(),
        ));
    }
    let groups = s.registry.groups();
    Ok(json_response(json_bytes(&super::state_api::dump(&groups))))
}
