//! The instant-query request, byte for byte, for several settings combinations.
//!
//! The expectations are written from vmalert's source (VictoriaMetrics `app/vmalert/datasource/client.go`
//! `newRequest`/`setReqParams`, `client_prom.go` `setPrometheusInstantReqParams`, `init.go`; `lib/promauth`
//! `SetHeaders`/`parseHeaders`):
//! - `POST` to the URL with one trailing `/` trimmed, `+ "/prometheus"` with appendTypePrefix, `+ "/api/v1/query"`;
//! - query string = the URL's own params; `time` set to `ts.Format(time.RFC3339)`; `step` set to the interval in
//!   whole seconds, overridden by `-datasource.queryStep` when > 0, neither with `-datasource.disableStepParam`;
//!   then the extra params (`nocache`, `round_digits`, group `params` replacing those), each replacing the URL's
//!   values for its key; `query` set last; `url.Values.Encode` sorts keys and uses `QueryEscape`;
//! - headers: `Content-Type: application/json`, `-datasource.headers` (canonical names), `Authorization`, group
//!   headers, each `Header.Set`; Go's client adds URL credentials as basic auth when no `Authorization` is set.

use std::time::Duration;
use tocsin::datasource::request::{Endpoint, build, rfc3339_seconds};
use tocsin::datasource::settings::parse_headers;
use tocsin::datasource::{BasicAuth, DatasourceSettings, InstantQuery, Secret};

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn query<'a>(
    expr: &'a str,
    params: &'a [(String, String)],
    headers: &'a [(String, String)],
) -> InstantQuery<'a> {
    InstantQuery {
        expr,
        time_ms: 1_700_000_000_123,
        interval_ms: 60_000,
        params,
        headers,
    }
}

#[test]
fn defaults_against_a_tenant_path() {
    let s = DatasourceSettings::new("http://vmselect:8481/select/0/prometheus");
    let e = Endpoint::parse(&s).unwrap();
    let r = build(&s, &e, &query(r#"up{job="node"} > 0"#, &[], &[]), None);
    assert_eq!(
        r.url,
        "http://vmselect:8481/select/0/prometheus/api/v1/query\
         ?query=up%7Bjob%3D%22node%22%7D+%3E+0&step=300s&time=2023-11-14T22%3A13%3A20Z"
    );
    assert_eq!(r.headers, owned(&[("Content-Type", "application/json")]));
}

#[test]
fn interval_step_prefix_url_params_group_params_and_headers() {
    let mut s = DatasourceSettings::new("http://vm:8428/?extra_label=team%3Dinfra&nocache=0");
    s.query_step = Duration::ZERO;
    s.append_type_prefix = true;
    s.round_digits = 3;
    s.headers = parse_headers("x-scope-orgid: 7^^Content-Type: text/plain").unwrap();
    let e = Endpoint::parse(&s).unwrap();
    let params = owned(&[("nocache", "1"), ("round_digits", "5")]);
    let headers = owned(&[("X-Scope-OrgID", "9")]);
    let r = build(&s, &e, &query("up", &params, &headers), Some("Bearer t0k"));
    assert_eq!(
        r.url,
        "http://vm:8428/prometheus/api/v1/query\
         ?extra_label=team%3Dinfra&nocache=1&query=up&round_digits=5&step=60s&time=2023-11-14T22%3A13%3A20Z"
    );
    assert_eq!(
        r.headers,
        owned(&[
            ("Content-Type", "text/plain"),
            ("X-Scope-Orgid", "9"),
            ("Authorization", "Bearer t0k"),
        ])
    );
}

#[test]
fn disabled_step_keeps_the_urls_own_step_and_url_credentials_become_basic_auth() {
    let mut s =
        DatasourceSettings::new("http://user:p%40ss@vm:8428/select/0/prometheus/?step=10s&time=1");
    s.disable_step_param = true;
    s.round_digits = 2;
    let e = Endpoint::parse(&s).unwrap();
    let params = owned(&[
        ("extra_filters[]", "{a=\"1\"}"),
        ("extra_filters[]", "{b=\"2\"}"),
    ]);
    let r = build(&s, &e, &query("sum(rate(x[5m]))", &params, &[]), None);
    assert_eq!(
        r.url,
        "http://vm:8428/select/0/prometheus/api/v1/query\
         ?extra_filters%5B%5D=%7Ba%3D%221%22%7D&extra_filters%5B%5D=%7Bb%3D%222%22%7D\
         &query=sum%28rate%28x%5B5m%5D%29%29&round_digits=2&step=10s&time=2023-11-14T22%3A13%3A20Z"
    );
    assert_eq!(
        r.headers,
        owned(&[
            ("Content-Type", "application/json"),
            ("Authorization", "Basic dXNlcjpwQHNz"),
        ])
    );
    // A configured Authorization wins over the URL's credentials.
    let r = build(&s, &e, &query("x", &[], &[]), Some("Bearer z"));
    assert_eq!(
        r.headers[1],
        ("Authorization".to_string(), "Bearer z".to_string())
    );
}

#[test]
fn query_step_overrides_interval_and_path_append_can_be_disabled() {
    let mut s = DatasourceSettings::new("https://proxy.example/custom/query");
    s.query_step = Duration::from_millis(90_900);
    s.disable_path_append = true;
    s.nocache = true;
    let e = Endpoint::parse(&s).unwrap();
    let headers = owned(&[("Authorization", "Bearer group")]);
    let r = build(
        &s,
        &e,
        &query("a * b ~ ü", &[], &headers),
        Some("Bearer flag"),
    );
    assert_eq!(
        r.url,
        "https://proxy.example/custom/query\
         ?nocache=1&query=a+%2A+b+~+%C3%BC&step=90s&time=2023-11-14T22%3A13%3A20Z"
    );
    assert_eq!(
        r.headers,
        owned(&[
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer group"),
        ])
    );
}

#[test]
fn sub_second_interval_gives_zero_step_as_go_truncates() {
    let mut s = DatasourceSettings::new("http://vm:8428");
    s.query_step = Duration::ZERO;
    let e = Endpoint::parse(&s).unwrap();
    let mut q = query("x", &[], &[]);
    q.interval_ms = 500;
    assert!(build(&s, &e, &q, None).url.contains("&step=0s&"));
    q.interval_ms = 0;
    assert_eq!(
        build(&s, &e, &q, None).url,
        "http://vm:8428/api/v1/query?query=x&time=2023-11-14T22%3A13%3A20Z"
    );
}

#[test]
fn rfc3339_formatting() {
    assert_eq!(rfc3339_seconds(0), "1970-01-01T00:00:00Z");
    assert_eq!(rfc3339_seconds(-1), "1969-12-31T23:59:59Z");
    assert_eq!(rfc3339_seconds(1_709_164_800_999), "2024-02-29T00:00:00Z");
    assert_eq!(rfc3339_seconds(1_700_000_000_000), "2023-11-14T22:13:20Z");
}

#[test]
fn curl_command_hides_secrets() {
    let mut s = DatasourceSettings::new("https://alice:url-pw@vm:8428/select/0/prometheus");
    s.basic_auth = Some(BasicAuth {
        username: "alice".into(),
        password: Some(Secret::new("s3cr3t-pw")),
        ..Default::default()
    });
    s.headers = parse_headers("X-Api-Key: k3y^^X-Scope-OrgID: 7").unwrap();
    let c = s.curl_command(&query("up", &[], &[]));
    assert_eq!(
        c,
        "curl -k -X POST -H 'Authorization: <secret>' -H 'Content-Type: application/json' \
         -H 'X-Api-Key: <secret>' -H 'X-Scope-Orgid: 7' \
         'https://alice:<secret>@vm:8428/select/0/prometheus/api/v1/query?query=up&step=300s&time=2023-11-14T22%3A13%3A20Z'"
    );
    for secret in ["s3cr3t-pw", "url-pw", "k3y", "YWxpY2U6czNjcjN0LXB3"] {
        assert!(!c.contains(secret), "{secret} leaked in {c}");
    }
    let q = "it's";
    assert!(s.curl_command(&query(q, &[], &[])).contains("query=it%27s"));
}
