//! Every page rendered from crafted snapshots through the router: content, links, filters, status codes, headers,
//! and HTML escaping of hostile label values.

use super::*;
use crate::config::{LoadOptions, load_text_with_env};
use crate::group::runner::RuleEval;
use crate::group::snapshot::{GroupSnapshot, RuleSnapshot};
use crate::rule::labels::from_pairs;
use crate::rule::{Alert, AlertState};
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

const NOW: i64 = 1_700_049_600_000;
const HOSTILE: &str = "<script>alert(1)</script>\"'&";

const RULES: &str = r#"groups:
- name: nodes
  interval: 1m
  rules:
  - alert: HostDown
    expr: up == 0
    for: 5m
    labels: {severity: page}
    annotations: {summary: "{{ $labels.instance }} is down"}
  - record: job:up:sum
    expr: sum by (job) (up)
  - alert: NeverFires
    expr: absent_metric_name > 1
  - alert: Broken
    expr: rate(x[5m]) > 1
"#;

fn group() -> Arc<crate::config::Group> {
    let f = load_text_with_env("rules/nodes.yml", RULES, &LoadOptions::default(), |_| None);
    assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
    Arc::new(f.groups.into_iter().next().expect("one group"))
}

fn eval(
    name: &str,
    samples: usize,
    fetched: Option<u64>,
    error: Option<&str>,
    back: i64,
) -> RuleEval {
    RuleEval {
        rule_name: name.into(),
        started_ms: NOW - back,
        duration_ms: 12,
        query_time_ms: NOW - back - 30_000,
        samples,
        series_fetched: fetched,
        error: error.map(str::to_string),
    }
}

fn alert(instance: &str, state: AlertState, value: f64) -> Alert {
    let labels = from_pairs(&[
        ("alertname", "HostDown"),
        ("alertgroup", "nodes"),
        ("instance", instance),
        ("severity", "page"),
    ]);
    Alert {
        id: crate::rule::labels::hash(&labels),
        annotations: from_pairs(&[("summary", &format!("{instance} is down"))]).into(),
        labels: labels.into(),
        state,
        value,
        active_at: NOW - 600_000,
        fired_at: (state == AlertState::Firing).then_some(NOW - 300_000),
        resolved_at: None,
        keep_firing_since: None,
        last_sent: crate::rule::alert::LastSent::new(Some((NOW - 60_000, state))),
        restored: false,
    }
}

fn snapshot() -> GroupSnapshot {
    let g = group();
    let rules = vec![
        RuleSnapshot {
            index: 0,
            labels: from_pairs(&[("severity", "page")]).into(),
            alerts: vec![
                Arc::new(alert("db-1", AlertState::Firing, 0.0)),
                Arc::new(alert(HOSTILE, AlertState::Pending, 0.5)),
            ],
            history: vec![
                eval("HostDown", 2, Some(7), None, 120_000),
                eval("HostDown", 4, Some(7), None, 60_000),
            ]
            .into(),
            evaluations: 0,
            errors: 0,
            fired: 0,
        },
        RuleSnapshot {
            index: 1,
            labels: Labels::new().into(),
            alerts: vec![],
            history: vec![eval("job:up:sum", 3, Some(9), None, 60_000)].into(),
            evaluations: 0,
            errors: 0,
            fired: 0,
        },
        RuleSnapshot {
            index: 2,
            labels: Labels::new().into(),
            alerts: vec![],
            history: vec![eval("NeverFires", 0, Some(0), None, 60_000)].into(),
            evaluations: 0,
            errors: 0,
            fired: 0,
        },
        RuleSnapshot {
            index: 3,
            labels: Labels::new().into(),
            alerts: vec![],
            history: vec![eval(
                "Broken",
                0,
                None,
                Some("query failed: 422 <bad>"),
                60_000,
            )]
            .into(),
            evaluations: 0,
            errors: 0,
            fired: 0,
        },
    ];
    GroupSnapshot {
        group: g,
        last_tick_ms: Some(NOW - 60_000),
        last_duration_ms: 34,
        iterations: 2,
        missed: 1,
        duration_sum_ms: 0,
        recent_durations_ms: Vec::new(),
        rules,
    }
}

use crate::rule::Labels;

fn state(prefix: &str) -> UiState {
    let registry = Arc::new(StateRegistry::new());
    registry.publish(snapshot());
    let mut ds = DatasourceSettings::new("http://user:hunter2@vm.example:8428/select/0/prometheus");
    ds.headers = vec![
        ("X-Api-Key".to_string(), "key-123".to_string()),
        ("X-Scope-Orgid".to_string(), "team-a".to_string()),
    ];
    ds.bearer = None;
    UiState::new(registry, prefix)
        .expect("templates compile")
        .with_datasource(&ds)
        .with_clock(Arc::new(|| NOW))
        .with_peer_status(Arc::new(|| {
            vec![
                PeerStatus {
                    url: "http://am-0:9093".into(),
                    queue_depth: 3,
                    queue_capacity: 100,
                    last_success_ms: Some(NOW - 5_000),
                    last_error: None,
                    last_error_ms: None,
                    sent_total: 40,
                    errors_total: 0,
                },
                PeerStatus {
                    url: "http://am-1:9093".into(),
                    queue_depth: 100,
                    queue_capacity: 100,
                    last_success_ms: Some(NOW - 600_000),
                    last_error: Some("connection refused <x>".into()),
                    last_error_ms: Some(NOW - 2_000),
                    sent_total: 12,
                    errors_total: 9,
                },
            ]
        }))
        .with_deliveries(Arc::new(|| {
            let a = |instance: &str, resolved| DeliveredAlert {
                labels: from_pairs(&[("alertname", "HostDown"), ("instance", instance)]),
                resolved,
                sent_ms: NOW - 5_000,
                starts_at_ms: NOW - 300_000,
                ends_at_ms: NOW + 240_000,
            };
            vec![
                PeerDeliveries {
                    url: "http://am-0:9093".into(),
                    alerts: vec![a("db-1", false), a(HOSTILE, true)],
                },
                PeerDeliveries {
                    url: "http://am-1:9093".into(),
                    alerts: vec![a("db-1", false)],
                },
            ]
        }))
}

async fn get_with(s: UiState, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = router(s)
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 22)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8(bytes.to_vec()).expect("utf-8"),
    )
}

async fn get(uri: &str) -> (StatusCode, String) {
    let (status, _, body) = get_with(state(""), uri).await;
    (status, body)
}

fn ids() -> (u64, u64, u64) {
    let g = group();
    let host_down = g.rules[0].id;
    (g.id, host_down, alert("db-1", AlertState::Firing, 0.0).id)
}

#[tokio::test]
async fn groups_page_shows_counts_states_errors_and_never_fires() {
    for path in ["/", "/vmalert/groups", "/rules", "/vmalert/"] {
        let (status, html) = get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("<h2>nodes</h2>"), "{path}");
    }
    let (_, html) = get("/vmalert/groups").await;
    let (gid, rid, _) = ids();
    assert!(html.contains(&format!(
        "href=\"/vmalert/rule?group_id={gid}&amp;rule_id={rid}\""
    )));
    assert!(html.contains("<b>4</b>rules"));
    assert!(html.contains("<b>1</b>firing"));
    assert!(html.contains("<b>1</b>pending"));
    assert!(html.contains("1 failing"));
    assert!(html.contains("1 never fire"));
    assert!(
        html.contains("query failed: 422 &lt;bad&gt;"),
        "errors shown, escaped"
    );
    assert!(html.contains("1 ticks missed"));
    assert!(html.contains("every 1m"));
    assert!(html.contains("rules/nodes.yml"));
    assert!(
        html.contains("<code>up == 0</code>"),
        "expr escaped by handlebars"
    );
    assert!(
        html.contains("1m ago"),
        "last evaluation is relative to the injected clock"
    );
}

#[tokio::test]
async fn groups_filters_work_through_the_query_string() {
    let (_, html) = get("/vmalert/groups?state=unhealthy").await;
    assert!(html.contains(">Broken</a>") && !html.contains(">HostDown</a>"));
    assert!(html.contains("<option value=\"unhealthy\" selected>"));
    assert!(html.contains("Clear filter"));
    let (_, html) = get("/vmalert/groups?type=record").await;
    assert!(html.contains(">job:up:sum</a>") && !html.contains(">Broken</a>"));
    let (_, html) = get("/vmalert/groups?search=HOSTDOWN").await;
    assert!(html.contains(">HostDown</a>") && !html.contains(">job:up:sum</a>"));
    let (_, html) = get("/vmalert/groups?state=nomatch").await;
    assert!(
        html.contains(">NeverFires</a>")
            && !html.contains(">HostDown</a>")
            && !html.contains(">Broken</a>")
    );
    let (_, html) = get("/vmalert/groups?search=nothing-like-this").await;
    assert!(html.contains("No rule matches this filter.") && !html.contains("<h2>nodes</h2>"));
    let (_, html) = get(&format!("/vmalert/groups?search={}", view::encode(HOSTILE))).await;
    assert!(
        !html.contains("<script>"),
        "the search box echoes its value escaped"
    );
    assert!(html.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\""));
}

#[tokio::test]
async fn alerts_page_lists_firing_then_pending_with_escaped_labels() {
    let (status, html) = get("/vmalert/alerts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("<script>"),
        "hostile label value must be escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
    assert!(html.contains("db-1 is down"), "annotations shown");
    assert!(html.contains("10m ago"), "activeAt relative");
    assert!(
        html.contains("<code class=\"num\">0.5</code>"),
        "value Go-formatted"
    );
    let firing = html
        .find("<span class=\"badge firing\">firing</span>")
        .expect("firing row");
    let pending = html
        .find("<span class=\"badge pending\">pending</span>")
        .expect("pending row");
    assert!(firing < pending, "firing first");
    let (_, gid_alert) = (ids().0, ids().2);
    assert!(html.contains(&format!("alert_id={gid_alert}")));

    let (_, html) = get("/vmalert/alerts?state=pending").await;
    assert!(
        !html.contains("badge firing\">firing</span>")
            && html.contains("badge pending\">pending</span>")
    );
    let (_, html) = get("/vmalert/alerts?search=db-1").await;
    assert!(html.contains("db-1") && !html.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn rule_page_shows_history_curl_without_secrets_and_alerts() {
    let (gid, rid, aid) = ids();
    let (status, html) = get(&format!("/vmalert/rule?group_id={gid}&rule_id={rid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<pre>up == 0</pre>"));
    assert!(html.contains("rules/nodes.yml:"));
    assert!(html.contains("5m0s"), "for shown");
    assert!(
        html.contains("{{ $labels.instance }} is down"),
        "annotation template as written"
    );
    assert!(html.contains(&format!("alert_id={aid}")));
    // Two evaluations, newest first.
    let newest = html.find("1m ago").expect("newest eval");
    let oldest = html.find("2m ago").expect("oldest eval");
    assert!(newest < oldest);
    assert!(html.contains("12ms"));
    let curl_start = html.find("<pre class=\"curl\"").expect("curl shown");
    let curl = &html[curl_start..html[curl_start..].find("</pre>").expect("end") + curl_start];
    assert!(curl.contains("curl -X POST"), "{curl}");
    assert!(
        curl.contains("vm.example:8428/select/0/prometheus/api/v1/query"),
        "{curl}"
    );
    assert!(
        curl.contains("query=up+%3D%3D+0") || curl.contains("query=up%20%3D%3D%200"),
        "{curl}"
    );
    assert!(curl.contains("X-Scope-Orgid: team-a"), "{curl}");
    for secret in ["hunter2", "key-123", "stripped"] {
        assert!(!html.contains(secret), "{secret} leaked: {curl}");
    }
    assert!(curl.contains("&lt;secret&gt;"), "{curl}");
    assert!(!html.contains("never fires</span>"));
}

#[tokio::test]
async fn rule_page_flags_never_fires_and_shows_errors() {
    let g = group();
    let (_, html) = get(&format!(
        "/vmalert/rule?group_id={}&rule_id={}",
        g.id, g.rules[2].id
    ))
    .await;
    assert!(html.contains("<span class=\"badge never\">never fires</span>"));
    assert!(html.contains("fetched no series"));
    let (_, html) = get(&format!(
        "/vmalert/rule?group_id={}&rule_id={}",
        g.id, g.rules[3].id
    ))
    .await;
    assert!(html.contains("Last evaluation failed: query failed: 422 &lt;bad&gt;"));
    assert!(html.contains("badge unhealthy"));
}

#[tokio::test]
async fn alert_page_shows_labels_annotations_and_times() {
    let (gid, rid, aid) = ids();
    let (status, html) = get(&format!("/vmalert/alert?group_id={gid}&alert_id={aid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Alert HostDown"));
    assert!(html.contains("<dt>instance</dt><dd>db-1</dd>"));
    assert!(html.contains("<dt>summary</dt><dd>db-1 is down</dd>"));
    assert!(html.contains("Firing since</dt><dd>2023-11-15 11:55:00 UTC (5m ago)"));
    assert!(html.contains("as firing"));
    assert!(html.contains(&format!("rule_id={rid}")));

    let hostile = alert(HOSTILE, AlertState::Pending, 0.5).id;
    let (_, html) = get(&format!("/vmalert/alert?group_id={gid}&alert_id={hostile}")).await;
    assert!(!html.contains("<script>"));
    assert!(html.contains("<title>Alert HostDown · tocsin</title>"));
}

#[tokio::test]
async fn detail_pages_answer_400_and_404_with_a_page() {
    let (gid, _, _) = ids();
    let cases = [
        (
            "/vmalert/rule?group_id=1",
            StatusCode::BAD_REQUEST,
            "missing parameter rule_id",
        ),
        (
            "/vmalert/rule?group_id=x&rule_id=1",
            StatusCode::BAD_REQUEST,
            "parameter group_id: &quot;x&quot; is not",
        ),
        (
            "/vmalert/alert?group_id=7&alert_id=1",
            StatusCode::NOT_FOUND,
            "no group with group_id=7",
        ),
    ];
    for (uri, want, text) in cases {
        let (status, html) = get(uri).await;
        assert_eq!(status, want, "{uri}");
        assert!(html.contains(text), "{uri}: {html}");
    }
    let (status, html) = get(&format!("/vmalert/alert?group_id={gid}&alert_id=5")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("no alert with alert_id=5"));
}

#[tokio::test]
async fn notifiers_page_shows_queue_depth_and_last_outcomes() {
    let (status, html) = get("/vmalert/notifiers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("http://am-0:9093") && html.contains("http://am-1:9093"));
    assert!(html.contains("3 / 100"));
    assert!(html.contains("100 / 100 <span class=\"badge firing\">full</span>"));
    assert!(html.contains("connection refused &lt;x&gt;"));
    assert!(html.contains("1 peer(s) failing"));
    assert!(html.contains("5s ago"));
}

#[tokio::test]
async fn peers_page_shows_what_each_peer_received_and_where_they_differ() {
    let (status, html) = get("/vmalert/peers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>"));
    assert!(html.contains("Peers disagree"));
    assert!(html.contains(
        "http://am-0:9093: resolved</span> · <span class=\"muted\">http://am-1:9093: missing"
    ));
    assert!(html.contains("1 firing</span> <span class=\"badge resolved\">1 resolved"));
    assert!(html.contains("1 firing</span> <span class=\"badge resolved\">0 resolved"));
    assert!(html.contains("2023-11-15 12:04:00 UTC"), "endsAt shown");
}

#[tokio::test]
async fn empty_registry_and_no_peers_render() {
    let s = UiState::new(Arc::new(StateRegistry::new()), "")
        .expect("templates")
        .with_clock(Arc::new(|| NOW));
    for (uri, text) in [
        ("/vmalert/groups", "No groups are loaded."),
        ("/vmalert/alerts", "No alert is firing or pending."),
        ("/vmalert/notifiers", "No Alertmanager is configured."),
        ("/vmalert/peers", "No Alertmanager is configured."),
    ] {
        let (status, _, html) = get_with(s.clone(), uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(html.contains(text), "{uri}");
    }
}

#[tokio::test]
async fn prefix_is_honoured_in_routes_and_links_and_headers_forbid_outside_assets() {
    let (status, headers, html) = get_with(state("/ops/"), "/ops/vmalert/groups").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/ops/vmalert/alerts\""));
    assert!(html.contains("action=\"/ops/vmalert/groups\""));
    assert!(html.contains("href=\"/ops/vmalert/rule?"));
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    let (status, _, _) = get_with(state("/ops"), "/ops").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get_with(state("/ops"), "/vmalert/groups").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_reference_nothing_outside_the_page() {
    for uri in [
        "/vmalert/groups",
        "/vmalert/alerts",
        "/vmalert/notifiers",
        "/vmalert/peers",
    ] {
        let (_, html) = get(uri).await;
        for needle in ["<script", "src=", "http-equiv", "@import", "url("] {
            assert!(!html.contains(needle), "{uri} has {needle}");
        }
        assert!(!html.contains("<link rel=\"stylesheet\""));
    }
}

#[tokio::test]
async fn datasource_credentials_never_reach_the_rule_page() {
    let registry = Arc::new(StateRegistry::new());
    registry.publish(snapshot());
    let mut ds = DatasourceSettings::new("https://vm.example/prometheus");
    ds.basic_auth = Some(crate::datasource::BasicAuth {
        username: "alice".into(),
        password: Some(Secret::new("pw-basic-1")),
        ..Default::default()
    });
    let bearer = DatasourceSettings {
        bearer: Some(BearerToken::Token(Secret::new("tok-bearer-2"))),
        ..DatasourceSettings::new("http://vm.example:8428")
    };
    let (gid, rid, _) = ids();
    for settings in [ds, bearer] {
        let s = UiState::new(registry.clone(), "")
            .expect("templates")
            .with_datasource(&settings);
        // The UI keeps no copy of the secret itself.
        let kept = s.datasource.as_deref().expect("datasource kept");
        let basic = kept.basic_auth.as_ref().and_then(|b| b.password.as_ref());
        assert!(basic.is_none_or(|p| p.expose() == "stripped"));
        assert!(match &kept.bearer {
            Some(BearerToken::Token(t)) => t.expose() == "stripped",
            _ => true,
        });
        let (_, _, html) =
            get_with(s, &format!("/vmalert/rule?group_id={gid}&rule_id={rid}")).await;
        assert!(html.contains("Authorization: &lt;secret&gt;"), "{html}");
        assert!(!html.contains("pw-basic-1") && !html.contains("tok-bearer-2"));
    }
}
