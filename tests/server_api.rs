//! Router tests without a socket: every endpoint, filter and error of the HTTP server, over hand-built registry
//! snapshots whose expected JSON is written out here.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin::config::{LoadOptions, load_text};
use tocsin::group::runner::RuleEval;
use tocsin::group::snapshot::{GroupSnapshot, RuleSnapshot, StateRegistry};
use tocsin::rule::{Alert, AlertState, Labels};
use tocsin::server::{self, ApiNotifier, ApiTarget, ReloadTrigger, ServerState};
use tower::ServiceExt;

const RULES: &str = r#"
groups:
  - name: alpha
    interval: 30s
    labels:
      team: core
    rules:
      - alert: HighLoad
        expr: load > 2
        for: 1m
        labels:
          severity: page
        annotations:
          summary: "load {{ $value }}"
      - record: job:load:sum
        expr: sum by (job) (load)
  - name: beta
    rules:
      - alert: Broken
        expr: broken_metric > 0
      - alert: Quiet
        expr: quiet_metric > 0
"#;

const T0: i64 = 1_795_586_980_000;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn eval(name: &str, samples: usize, error: Option<&str>) -> RuleEval {
    RuleEval {
        rule_name: name.into(),
        started_ms: T0 + 120,
        duration_ms: 250,
        query_time_ms: T0,
        samples,
        series_fetched: Some(7),
        error: error.map(str::to_string),
    }
}

fn alert(id: u64, instance: &str, state: AlertState, value: f64) -> Alert {
    Alert {
        id,
        labels: labels(&[
            ("alertname", "HighLoad"),
            ("alertgroup", "alpha"),
            ("instance", instance),
            ("severity", "page"),
            ("team", "core"),
        ])
        .into(),
        annotations: labels(&[("summary", "load high")]).into(),
        state,
        value,
        active_at: T0 - 60_000,
        fired_at: (state == AlertState::Firing).then_some(T0),
        resolved_at: (state == AlertState::Inactive).then_some(T0),
        keep_firing_since: None,
        last_sent: tocsin::rule::alert::LastSent::new(Some((T0 + 500, state))),
        restored: false,
    }
}

fn rule_snap(
    index: usize,
    rule_labels: Labels,
    alerts: Vec<Alert>,
    history: Vec<RuleEval>,
) -> RuleSnapshot {
    let fired = alerts
        .iter()
        .filter(|a| a.state == AlertState::Firing)
        .count() as u64;
    RuleSnapshot {
        index,
        labels: rule_labels.into(),
        alerts: alerts.into_iter().map(Arc::new).collect(),
        evaluations: history.len() as u64,
        errors: history.iter().filter(|e| e.error.is_some()).count() as u64,
        fired,
        history: history.into(),
    }
}

/// Two groups: alpha (one firing, one pending and one inactive alert; a recording rule), beta (a failing rule and
/// one that matches nothing). Group IDs are set to 11 and 22.
fn registry() -> Arc<StateRegistry> {
    let loaded = load_text("/rules/a.yml", RULES, &LoadOptions::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let mut groups = loaded.groups.into_iter();
    let mut alpha = groups.next().expect("alpha");
    alpha.id = 11;
    let mut beta = groups.next().expect("beta");
    beta.id = 22;
    beta.file = "/rules/b.yml".to_string();
    let reg = Arc::new(StateRegistry::new());
    reg.publish(GroupSnapshot {
        group: Arc::new(alpha),
        last_tick_ms: Some(T0),
        last_duration_ms: 300,
        iterations: 5,
        missed: 1,
        duration_sum_ms: 1500,
        recent_durations_ms: vec![100, 200, 300, 400, 500],
        rules: vec![
            rule_snap(
                0,
                labels(&[("severity", "page"), ("team", "core")]),
                vec![
                    alert(300, "c", AlertState::Inactive, 1.0),
                    alert(9, "a", AlertState::Firing, 1.0 / 3.0),
                    alert(100, "b", AlertState::Pending, 2.5),
                ],
                vec![
                    eval("HighLoad", 1, Some("old failure")),
                    eval("HighLoad", 2, None),
                ],
            ),
            rule_snap(
                1,
                labels(&[("team", "core")]),
                vec![],
                vec![eval("job:load:sum", 3, None)],
            ),
        ],
    });
    reg.publish(GroupSnapshot {
        group: Arc::new(beta),
        last_tick_ms: None,
        last_duration_ms: 0,
        iterations: 0,
        missed: 0,
        duration_sum_ms: 0,
        recent_durations_ms: vec![],
        rules: vec![
            rule_snap(
                0,
                Labels::new(),
                vec![],
                vec![eval("Broken", 0, Some("bad \"query\""))],
            ),
            rule_snap(1, Labels::new(), vec![], vec![eval("Quiet", 0, None)]),
        ],
    });
    reg
}

fn state() -> ServerState {
    let mut s = ServerState::new(registry());
    s.alert_source = Arc::new(tocsin::notifier::DefaultAlertSource {
        external_url: "http://tocsin.example".to_string(),
    });
    s.datasource_url = "http://vm:8428".to_string();
    s.notifiers = Arc::new(|| {
        vec![ApiNotifier {
            kind: "static".to_string(),
            targets: vec![ApiTarget {
                address: "http://am:9093".to_string(),
                labels: Default::default(),
                last_error: String::new(),
            }],
        }]
    });
    s.flags = vec![
        ("rule".to_string(), "/rules/*.yml".to_string()),
        ("reloadAuthKey".to_string(), "secret".to_string()),
    ];
    s
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn call_with(app: axum::Router, req: Request<Body>) -> Reply {
    let resp = app.oneshot(req).await.expect("infallible");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
        .await
        .expect("body");
    Reply {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).expect("utf-8"),
    }
}

/// Percent-encodes the characters a URI may not hold raw, so cases can be written readably.
fn encode(path: &str) -> String {
    path.replace('"', "%22")
        .replace('{', "%7B")
        .replace('}', "%7D")
        .replace(' ', "%20")
}

async fn get(s: ServerState, path: &str) -> Reply {
    let req = Request::get(encode(path))
        .body(Body::empty())
        .expect("request");
    call_with(server::router(s), req).await
}

fn rule_names(v: &Value) -> Vec<String> {
    v["data"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules").iter())
        .map(|r| r["name"].as_str().expect("name").to_string())
        .collect()
}

#[tokio::test]
async fn rules_lists_groups_rules_and_active_alerts_in_vmalerts_shape() {
    let r = get(state(), "/api/v1/rules").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "application/json");
    let v = r.json();
    assert_eq!(v["status"], "success");
    let groups = v["data"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2);
    let alpha = &groups[0];
    assert_eq!(alpha["name"], "alpha");
    assert_eq!(alpha["id"], "11");
    assert_eq!(alpha["file"], "/rules/a.yml");
    assert_eq!(alpha["interval"], json!(30));
    // Whole floats print as Go prints them.
    assert!(r.body.contains("\"interval\":30,"), "{}", r.body);
    assert_eq!(alpha["type"], "prometheus");
    assert_eq!(alpha["concurrency"], 1);
    assert_eq!(alpha["labels"], json!({"team": "core"}));
    assert_eq!(alpha["lastEvaluation"], "2026-11-25T06:09:40Z");
    assert_eq!(groups[1]["lastEvaluation"], "0001-01-01T00:00:00Z");
    let high = &alpha["rules"][0];
    assert_eq!(
        *high,
        json!({
            "state": "firing",
            "name": "HighLoad",
            "query": "load > 2",
            "duration": 60,
            "keep_firing_for": 0,
            "labels": {"severity": "page", "team": "core"},
            "annotations": {"summary": "load {{ $value }}"},
            "lastError": "",
            "evaluationTime": 0.25,
            "lastEvaluation": "2026-11-25T06:09:40.12Z",
            "alerts": [
                {
                    "state": "pending", "name": "HighLoad", "value": "2.5",
                    "labels": {"alertgroup": "alpha", "alertname": "HighLoad", "instance": "b", "severity": "page", "team": "core"},
                    "annotations": {"summary": "load high"},
                    "activeAt": "2026-11-25T06:08:40Z",
                    "id": "100", "rule_id": high["id"].clone(), "group_id": "11",
                    "expression": "load > 2",
                    "source": "http://tocsin.example/vmalert/alert?group_id=11&alert_id=100",
                    "restored": false, "stabilizing": false
                },
                {
                    "state": "firing", "name": "HighLoad", "value": "0.33333334",
                    "labels": {"alertgroup": "alpha", "alertname": "HighLoad", "instance": "a", "severity": "page", "team": "core"},
                    "annotations": {"summary": "load high"},
                    "activeAt": "2026-11-25T06:08:40Z",
                    "id": "9", "rule_id": high["id"].clone(), "group_id": "11",
                    "expression": "load > 2",
                    "source": "http://tocsin.example/vmalert/alert?group_id=11&alert_id=9",
                    "restored": false, "stabilizing": false
                }
            ],
            "health": "ok",
            "type": "alerting",
            "datasourceType": "prometheus",
            "lastSamples": 2,
            "lastSeriesFetched": 7,
            "id": high["id"].clone(),
            "group_id": "11",
            "group_name": "alpha",
            "file": "/rules/a.yml",
            "debug": false,
            "max_updates_entries": 20
        })
    );
    assert!(high["id"].is_string());
    let rec = &alpha["rules"][1];
    assert_eq!(rec["state"], "");
    assert_eq!(rec["type"], "recording");
    assert!(rec.get("alerts").is_none());
    assert!(rec.get("annotations").is_none());
    let broken = &groups[1]["rules"][0];
    assert_eq!(broken["health"], "err");
    assert_eq!(broken["lastError"], "bad \"query\"");
    assert_eq!(broken["state"], "inactive");
    assert!(broken.get("labels").is_none());
}

#[tokio::test]
async fn everything_is_served_under_vmalert_too() {
    for path in [
        "/api/v1/rules",
        "/api/v1/alerts",
        "/api/v1/notifiers",
        "/api/v1/group?group_id=11",
        "/api/v1/alert?group_id=11&alert_id=9",
    ] {
        let bare = get(state(), path).await;
        let prefixed = get(state(), &format!("/vmalert{path}")).await;
        assert_eq!(bare.status, StatusCode::OK, "{path}");
        assert_eq!(bare.body, prefixed.body, "{path}");
    }
}

#[tokio::test]
async fn path_prefix_moves_every_path() {
    let s = || state().with_path_prefix("/ops/");
    assert_eq!(get(s(), "/ops/api/v1/rules").await.status, StatusCode::OK);
    assert_eq!(
        get(s(), "/ops/vmalert/api/v1/alerts").await.status,
        StatusCode::OK
    );
    assert_eq!(get(s(), "/ops/metrics").await.status, StatusCode::OK);
    assert_eq!(get(s(), "/ops/health").await.body, "OK");
    let missing = get(s(), "/api/v1/rules").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["status"], "error");
}

#[tokio::test]
async fn rule_filters_select_rules_and_drop_empty_groups() {
    let cases: &[(&str, &[&str])] = &[
        ("type=alert", &["HighLoad", "Broken", "Quiet"]),
        ("type=record", &["job:load:sum"]),
        ("rule_group[]=beta", &["Broken", "Quiet"]),
        (
            "rule_group[]=beta&rule_group[]=alpha",
            &["HighLoad", "job:load:sum", "Broken", "Quiet"],
        ),
        ("file[]=/rules/a.yml", &["HighLoad", "job:load:sum"]),
        (
            "rule_name[]=Quiet&rule_name[]=HighLoad",
            &["HighLoad", "Quiet"],
        ),
        ("match[]={severity=\"page\"}", &["HighLoad"]),
        (
            "match[]={team=~\"co.*\"}&match[]={severity=\"none\"}",
            &["HighLoad", "job:load:sum"],
        ),
        ("state=firing", &["HighLoad"]),
        ("state=pending", &[]),
        ("state=inactive", &["Broken", "Quiet"]),
        ("state=unhealthy", &["Broken"]),
        ("filter=error", &["Broken"]),
        ("state=nomatch", &["Quiet"]),
        ("filter=noData", &["Quiet"]),
        ("filter=normal", &["Broken", "Quiet"]),
        ("state=ok", &["HighLoad", "job:load:sum", "Quiet"]),
        ("state=firing,unhealthy", &["HighLoad", "Broken"]),
        (
            "state=recovering",
            &["HighLoad", "job:load:sum", "Broken", "Quiet"],
        ),
        (
            "datasource_type=prometheus",
            &["HighLoad", "job:load:sum", "Broken", "Quiet"],
        ),
        ("datasource_type=graphite", &[]),
        ("search=LOAD", &["HighLoad", "job:load:sum"]),
        ("search=b.yml", &["Broken", "Quiet"]),
        ("search=quiet_metric", &["Quiet"]),
        ("type=alert&rule_group[]=alpha", &["HighLoad"]),
    ];
    for (query, want) in cases {
        let r = get(state(), &format!("/api/v1/rules?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
        assert_eq!(rule_names(&r.json()), *want, "{query}");
    }
    // A rule-level filter that leaves a group empty drops it; group filters alone keep empty groups out too.
    let v = get(state(), "/api/v1/rules?type=record").await.json();
    assert_eq!(v["data"]["groups"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn exclude_alerts_and_extended_states() {
    let v = get(state(), "/api/v1/rules?exclude_alerts=true")
        .await
        .json();
    assert!(v["data"]["groups"][0]["rules"][0].get("alerts").is_none());
    let v = get(state(), "/api/v1/rules?extended_states=true")
        .await
        .json();
    let states: Vec<&str> = v["data"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules"))
        .map(|r| r["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, vec!["firing", "ok", "unhealthy", "nomatch"]);
}

#[tokio::test]
async fn pagination_by_group() {
    let v = get(state(), "/api/v1/rules?group_limit=1&page_num=2")
        .await
        .json();
    let groups = v["data"]["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["name"], "beta");
    assert_eq!(v["data"]["page_num"], 2);
    assert_eq!(v["data"]["total_pages"], 2);
    assert_eq!(v["data"]["total_groups"], 2);
    let v = get(state(), "/api/v1/rules?group_limit=5").await.json();
    assert_eq!(v["data"]["groups"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["data"]["page_num"], 1);
    let plain = get(state(), "/api/v1/rules").await.json();
    assert!(plain["data"].get("page_num").is_none());
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let cases = [
        ("/api/v1/rules?type=alerts", "type"),
        ("/api/v1/rules?state=burning", "state"),
        ("/api/v1/rules?filter=ok,weird", "filter"),
        ("/api/v1/rules?match[]={a=", "match[]"),
        ("/api/v1/rules?match[]=sum(x)", "match[]"),
        ("/api/v1/rules?exclude_alerts=maybe", "exclude_alerts"),
        ("/api/v1/rules?extended_states=2", "extended_states"),
        ("/api/v1/rules?datasource_type=sql", "datasource_type"),
        ("/api/v1/rules?group_limit=0", "group_limit"),
        ("/api/v1/rules?group_limit=x", "group_limit"),
        ("/api/v1/rules?page_num=1", "page_num"),
        ("/api/v1/rules?group_limit=1&page_num=3", "page_num"),
        ("/api/v1/alerts?match[]=}", "match[]"),
        ("/api/v1/alert?alert_id=1", "group_id"),
        ("/api/v1/alert?group_id=11", "alert_id"),
        ("/api/v1/alert?group_id=-1&alert_id=1", "group_id"),
        ("/api/v1/rule?group_id=11&rule_id=x", "rule_id"),
        ("/api/v1/group?group_id=", "group_id"),
    ];
    for (path, param) in cases {
        let r = get(state(), path).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        assert_eq!(r.content_type, "application/json", "{path}");
        let v = r.json();
        assert_eq!(v["status"], "error", "{path}");
        assert_eq!(v["errorType"], "bad_data", "{path}");
        let msg = v["error"].as_str().expect("error");
        assert!(msg.starts_with(&format!("{param}: ")), "{path}: {msg}");
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let req = Request::post("/api/v1/rules")
        .body(Body::empty())
        .expect("request");
    let r = call_with(server::router(state()), req).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json()["status"], "error");
}

#[tokio::test]
async fn unknown_ids_are_404() {
    for path in [
        "/api/v1/alert?group_id=99&alert_id=9",
        "/api/v1/alert?group_id=11&alert_id=12345",
        "/api/v1/rule?group_id=11&rule_id=1",
        "/api/v1/group?group_id=99",
        "/api/v1/nothing",
    ] {
        let r = get(state(), path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json()["errorType"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn alerts_lists_active_alerts_ordered_by_id_text_with_filters() {
    let ids = |v: &Value| -> Vec<String> {
        v["data"]["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| a["id"].as_str().expect("id").to_string())
            .collect()
    };
    let v = get(state(), "/api/v1/alerts").await.json();
    assert_eq!(v["status"], "success");
    // "100" < "9" as text, as vmalert sorts; the inactive alert 300 is not listed.
    assert_eq!(ids(&v), vec!["100", "9"]);
    let v = get(state(), "/api/v1/alerts?match[]=%7Binstance%3D%22a%22%7D")
        .await
        .json();
    assert_eq!(ids(&v), vec!["9"]);
    let v = get(state(), "/api/v1/alerts?rule_group[]=beta")
        .await
        .json();
    assert_eq!(v["data"]["alerts"], json!([]));
    let v = get(
        state(),
        "/api/v1/alerts?file[]=/rules/a.yml&datasource_type=prometheus",
    )
    .await
    .json();
    assert_eq!(ids(&v), vec!["100", "9"]);
}

#[tokio::test]
async fn alert_rule_and_group_objects() {
    let a = get(state(), "/api/v1/alert?group_id=11&alert_id=9")
        .await
        .json();
    assert_eq!(a["id"], "9");
    assert_eq!(a["state"], "firing");
    assert!(a.get("status").is_none(), "vmalert answers the bare object");
    // An inactive alert is still found by ID.
    let a = get(state(), "/api/v1/alert?group_id=11&alert_id=300")
        .await
        .json();
    assert_eq!(a["state"], "inactive");

    let g = get(state(), "/api/v1/group?group_id=11").await.json();
    assert_eq!(g["name"], "alpha");
    assert_eq!(g["rules"].as_array().map(Vec::len), Some(2));

    let rule_id = g["rules"][0]["id"].as_str().expect("id").to_string();
    let r = get(
        state(),
        &format!("/api/v1/rule?group_id=11&rule_id={rule_id}"),
    )
    .await
    .json();
    assert_eq!(r["name"], "HighLoad");
    let updates = r["updates"].as_array().expect("updates");
    assert_eq!(updates.len(), 2);
    // Newest first.
    assert_eq!(updates[0]["error"], Value::Null);
    assert_eq!(updates[1]["error"], "old failure");
    assert_eq!(
        updates[0],
        json!({
            "time": "2026-11-25T06:09:40.12Z",
            "at": "2026-11-25T06:09:40Z",
            "duration": 250_000_000,
            "error": null,
            "samples": 2,
            "series_fetched": 7,
            "curl": "curl 'http://vm:8428/api/v1/query?query=load+%3E+2&time=1795586980'"
        })
    );
    // The list does not carry updates.
    let list = get(state(), "/api/v1/rules").await.json();
    assert!(
        list["data"]["groups"][0]["rules"][0]
            .get("updates")
            .is_none()
    );
}

#[tokio::test]
async fn notifiers_come_from_the_provider() {
    let v = get(state(), "/api/v1/notifiers").await.json();
    assert_eq!(
        v,
        json!({"status": "success", "data": {"notifiers": [
            {"kind": "static", "targets": [{"address": "http://am:9093", "labels": {}, "lastError": ""}]}
        ]}})
    );
}

#[tokio::test]
async fn state_dump_holds_every_alert_with_full_state() {
    let s = state();
    let readiness = s.readiness.clone();
    let app = server::router(s);
    let fetch = || {
        call_with(
            app.clone(),
            Request::get("/tocsin/api/v1/state")
                .body(Body::empty())
                .expect("req"),
        )
    };
    // Before its own restore a replica has nothing to hand over: a sibling must ask elsewhere.
    assert_eq!(fetch().await.status, StatusCode::SERVICE_UNAVAILABLE);
    readiness.set_ready(true);
    let r = fetch().await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let rules = v["data"]["groups"][0]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 1, "alerting rules only");
    let alerts = rules[0]["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 3, "inactive alerts too");
    let firing = alerts.iter().find(|a| a["id"] == "9").expect("alert 9");
    assert_eq!(
        *firing,
        json!({
            "id": "9",
            "labels": {"alertgroup": "alpha", "alertname": "HighLoad", "instance": "a", "severity": "page", "team": "core"},
            "annotations": {"summary": "load high"},
            "state": "firing",
            "value": "0.3333333333333333",
            "activeAtMs": T0 - 60_000,
            "firedAtMs": T0,
            "resolvedAtMs": null,
            "keepFiringSinceMs": null,
            "lastSentMs": T0 + 500,
            "lastSentState": "firing",
            "restored": false
        })
    );
    let parsed: server::state_api::StateResponse = serde_json::from_str(&r.body).expect("typed");
    assert_eq!(parsed.data.groups.len(), 2);
    assert_eq!(v["data"]["groups"][1]["lastEvaluationMs"], Value::Null);
}

fn with_auth(mut s: ServerState) -> ServerState {
    s.auth = server::AuthSettings {
        basic: None,
        reload_key: Some("rk".to_string()),
        metrics_key: Some("mk".to_string()),
        flags_key: Some("fk".to_string()),
        replica_key: Some("sk".to_string()),
    };
    s
}

#[tokio::test]
async fn auth_keys_guard_their_endpoints() {
    for (path, key) in [
        ("/metrics", "mk"),
        ("/flags", "fk"),
        ("/tocsin/api/v1/state", "sk"),
        ("/-/reload", "rk"),
    ] {
        let r = get(with_auth(state()), path).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(!r.body.contains(key), "{path}: the key leaks: {}", r.body);
        let r = get(with_auth(state()), &format!("{path}?authKey=wrong")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        let r = get(with_auth(state()), &format!("{path}?authKey={key}")).await;
        assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .expect("request");
        let r = call_with(server::router(with_auth(state())), req).await;
        assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // The API itself needs no key.
    assert_eq!(
        get(with_auth(state()), "/api/v1/rules").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn basic_auth_guards_everything_but_probes() {
    let s = || {
        let mut s = state();
        s.auth.basic = Some(("admin".to_string(), "pw".to_string()));
        s
    };
    for path in [
        "/api/v1/rules",
        "/metrics",
        "/flags",
        "/vmalert/api/v1/alerts",
        "/nope",
    ] {
        let r = get(s(), path).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        let req = Request::get(path)
            .header(header::AUTHORIZATION, "Basic YWRtaW46d3Jvbmc=")
            .body(Body::empty())
            .expect("request");
        assert_eq!(
            call_with(server::router(s()), req).await.status,
            StatusCode::UNAUTHORIZED
        );
        let req = Request::get(path)
            .header(header::AUTHORIZATION, "Basic YWRtaW46cHc=")
            .body(Body::empty())
            .expect("request");
        assert_ne!(
            call_with(server::router(s()), req).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for path in ["/health", "/-/healthy", "/-/ready"] {
        assert_ne!(
            get(s(), path).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
}

#[tokio::test]
async fn probes_and_readiness_flag() {
    let s = state();
    let readiness = s.readiness.clone();
    let app = server::router(s);
    let probe = |p: &'static str| {
        call_with(
            app.clone(),
            Request::get(p).body(Body::empty()).expect("req"),
        )
    };
    assert_eq!(probe("/health").await.body, "OK");
    assert_eq!(probe("/-/healthy").await.status, StatusCode::OK);
    let r = probe("/-/ready").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json()["status"], "error");
    readiness.set_ready(true);
    assert_eq!(probe("/-/ready").await.status, StatusCode::OK);
}

#[tokio::test]
async fn flags_are_listed_as_given() {
    let r = get(state(), "/flags").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        "-rule=\"/rules/*.yml\"\n-reloadAuthKey=\"secret\"\n"
    );
}

#[tokio::test]
async fn reload_asks_the_manager_and_reports_its_answer() {
    // Without a manager: 503.
    let r = get(state(), "/-/reload").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);

    let (trigger, mut requests) = ReloadTrigger::channel(4);
    let manager = tokio::spawn(async move {
        let mut answers = vec![
            Err("groups[0].rules[1].expr: parse error".to_string()),
            Ok(()),
        ];
        while let Some(req) = requests.recv().await {
            let _ = req.reply.send(answers.pop().expect("two requests at most"));
        }
    });
    let mut s = state();
    s.reload = Some(trigger);
    let app = server::router(s);
    let ok = call_with(
        app.clone(),
        Request::post("/-/reload").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let bad = call_with(
        app.clone(),
        Request::get("/-/reload").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        bad.json()["error"]
            .as_str()
            .expect("error")
            .contains("groups[0].rules[1].expr")
    );
    drop(app);
    manager.await.expect("manager");
}

#[tokio::test]
async fn metrics_page_has_vmalerts_families_with_values_from_snapshots() {
    let mut s = state();
    s.registry.reloaded(true, 1_700_000_000_000);
    s.metrics.push(Arc::new(|e: &mut server::text::Exposition| {
        e.family(
            "vmalert_alerts_sent_total",
            server::text::Kind::Counter,
            "sent",
        );
        e.sample(
            "vmalert_alerts_sent_total",
            &[("addr", "http://am:9093")],
            4.0,
        );
    }));
    let r = get(s, "/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.content_type.starts_with("text/plain; version=0.0.4"));
    let lines: Vec<&str> = r.body.lines().filter(|l| !l.starts_with('#')).collect();
    let has = |want: &str| assert!(lines.contains(&want), "missing {want:?} in\n{}", r.body);
    let a = "group=\"alpha\",file=\"/rules/a.yml\"";
    has(&format!("vmalert_iteration_total{{{a}}} 5"));
    has(&format!("vmalert_iteration_missed_total{{{a}}} 1"));
    has(&format!("vmalert_iteration_interval_seconds{{{a}}} 30"));
    has(&format!("vmalert_group_rule_results_limit{{{a}}} 0"));
    has(&format!(
        "vmalert_iteration_duration_seconds{{{a},quantile=\"0.5\"}} 0.3"
    ));
    has(&format!(
        "vmalert_iteration_duration_seconds{{{a},quantile=\"1\"}} 0.5"
    ));
    has(&format!(
        "vmalert_iteration_duration_seconds_sum{{{a}}} 1.5"
    ));
    has(&format!(
        "vmalert_iteration_duration_seconds_count{{{a}}} 5"
    ));
    let reg = registry();
    let alpha = reg.group(11).expect("alpha");
    let high = alpha.group.rules[0].id;
    let rec = alpha.group.rules[1].id;
    let r1 = format!("alertname=\"HighLoad\",group=\"alpha\",file=\"/rules/a.yml\",id=\"{high}\"");
    has(&format!("vmalert_alerts_firing{{{r1}}} 1"));
    has(&format!("vmalert_alerts_pending{{{r1}}} 1"));
    has(&format!("vmalert_alerting_rules_error{{{r1}}} 0"));
    has(&format!("vmalert_alerting_rules_errors_total{{{r1}}} 1"));
    has(&format!(
        "vmalert_alerting_rules_last_evaluation_samples{{{r1}}} 2"
    ));
    has(&format!(
        "vmalert_alerting_rules_last_evaluation_series_fetched{{{r1}}} 7"
    ));
    let r2 =
        format!("recording=\"job:load:sum\",group=\"alpha\",file=\"/rules/a.yml\",id=\"{rec}\"");
    has(&format!(
        "vmalert_recording_rules_last_evaluation_samples{{{r2}}} 3"
    ));
    has(&format!("vmalert_recording_rules_error{{{r2}}} 0"));
    has("vmalert_execution_total 5");
    has("vmalert_execution_errors_total 2");
    has("vmalert_alerts_fired_total 1");
    has("vmalert_config_last_reload_total 0");
    has("vmalert_config_last_reload_successful 1");
    has("vmalert_config_last_reload_success_timestamp_seconds 1700000000");
    has("vmalert_alerts_sent_total{addr=\"http://am:9093\"} 4");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("process_start_time_seconds "))
    );
    // Every family is declared once, and its samples follow its TYPE line without interruption.
    let mut seen = std::collections::BTreeSet::new();
    let mut current = String::new();
    for l in r.body.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            current = rest.split(' ').next().expect("name").to_string();
            assert!(seen.insert(current.clone()), "{current} declared twice");
        } else if !l.starts_with('#') {
            let name = l.split(['{', ' ']).next().expect("name");
            assert!(
                name == current
                    || name
                        .strip_prefix(current.as_str())
                        .is_some_and(|s| s == "_sum" || s == "_count"),
                "{name} outside its family {current}"
            );
        }
    }
}

#[tokio::test]
async fn serve_binds_and_stops_on_shutdown() {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (addr, fut) = server::bind("127.0.0.1:0", server::router(state()), stopped)
        .await
        .expect("bind");
    let task = tokio::spawn(fut);
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.expect("read");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("OK"), "{reply}");
    stop.send(true).expect("send");
    task.await.expect("join").expect("clean stop");
    // A port already taken is an error naming the address.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    match server::bind(
        &addr,
        server::router(state()),
        tokio::sync::watch::channel(false).1,
    )
    .await
    {
        Err(e) => assert!(e.to_string().contains(&addr), "{e}"),
        Ok(_) => panic!("bound a taken port"),
    }
}

#[tokio::test]
async fn a_new_snapshot_shows_at_once_despite_the_rendering_cache() {
    let reg = registry();
    let app = server::router(ServerState::new(reg.clone()));
    let rules = |app: axum::Router| async move {
        call_with(
            app,
            Request::get("/api/v1/rules")
                .body(Body::empty())
                .expect("req"),
        )
        .await
        .json()
    };
    let first = rules(app.clone()).await;
    assert_eq!(first["data"]["groups"][1]["rules"][0]["health"], "err");
    assert_eq!(
        rules(app.clone()).await,
        first,
        "served again from the cache"
    );
    // beta evaluates again, and this time Broken succeeds.
    let beta = reg.group(22).expect("beta");
    let mut next = (*beta).clone();
    next.rules[0].history = next.rules[0].history.pushed(&eval("Broken", 1, None), 20);
    next.last_tick_ms = Some(T0 + 60_000);
    reg.publish(next);
    let second = rules(app.clone()).await;
    assert_eq!(second["data"]["groups"][1]["rules"][0]["health"], "ok");
    assert_eq!(
        second["data"]["groups"][1]["lastEvaluation"],
        "2026-11-25T06:10:40Z"
    );
    assert_eq!(second["data"]["groups"][0], first["data"]["groups"][0]);
    // A removed group disappears.
    reg.remove(22);
    assert_eq!(
        rules(app).await["data"]["groups"].as_array().map(Vec::len),
        Some(1)
    );
}
