//! The HTTP datasource client against scripted fake servers on 127.0.0.1: what goes on the wire, the one retry on
//! a dropped connection, the split of failures into retryable and permanent, the timeout, and that no error
//! message carries a secret.

mod common_vm;

use common_vm::fake::{Fake, Reply};
use std::time::{Duration, Instant};
use tocsin::datasource::settings::parse_headers;
use tocsin::datasource::{
    BasicAuth, BearerToken, DatasourceSettings, HttpQuerier, InstantQuery, Querier, QueryError,
    Secret,
};

const VECTOR: &str = r#"{"status":"success","isPartial":true,"data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"node"},"value":[1700000000,"1"]}]},"stats":{"seriesFetched":"3","executionTimeMsec":0}}"#;
const SCALAR: &str =
    r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"-Inf"]}}"#;

fn q(expr: &str) -> InstantQuery<'_> {
    InstantQuery {
        expr,
        time_ms: 1_700_000_000_123,
        interval_ms: 60_000,
        params: &[],
        headers: &[],
    }
}

fn querier(s: DatasourceSettings) -> HttpQuerier {
    HttpQuerier::new(s).expect("valid settings")
}

#[tokio::test]
async fn tenant_path_kept_and_request_shaped_like_vmalert() {
    let fake = Fake::start(vec![Reply::Respond(200, VECTOR.into())]).await;
    let mut s = DatasourceSettings::new(fake.url("/select/0/prometheus/"));
    s.bearer = Some(BearerToken::Token(Secret::new("tok-123")));
    s.headers = parse_headers("X-Scope-OrgID: 5").unwrap();
    let params = vec![("nocache".to_string(), "1".to_string())];
    let headers = vec![("X-Extra".to_string(), "g".to_string())];
    let query = InstantQuery {
        params: &params,
        headers: &headers,
        ..q("up == 1")
    };
    let r = querier(s).query(query).await.expect("query succeeds");
    assert_eq!(r.samples.len(), 1);
    assert_eq!(r.samples[0].value, 1.0);
    assert_eq!(r.samples[0].timestamp_ms, 1_700_000_000_000);
    assert_eq!(r.samples[0].labels.get("job"), Some("node"));
    assert_eq!(r.series_fetched, Some(3));
    assert!(r.is_partial);

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(
        req.request_line,
        "POST /select/0/prometheus/api/v1/query?nocache=1&query=up+%3D%3D+1&step=300s&time=2023-11-14T22%3A13%3A20Z HTTP/1.1"
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("content-length"), Some("0"));
    assert_eq!(req.header("authorization"), Some("Bearer tok-123"));
    assert_eq!(req.header("x-scope-orgid"), Some("5"));
    assert_eq!(req.header("x-extra"), Some("g"));
    assert!(req.body.is_empty());
}

#[tokio::test]
async fn scalar_result_and_password_file_read_per_request() {
    let fake = Fake::start(vec![Reply::Respond(200, SCALAR.into())]).await;
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "first\n").unwrap();
    let mut s = DatasourceSettings::new(fake.url(""));
    s.append_type_prefix = true;
    s.basic_auth = Some(BasicAuth {
        username: "u".into(),
        password_file: Some(pw.clone()),
        ..Default::default()
    });
    let querier = querier(s);
    let r = querier.query(q("-1/0")).await.unwrap();
    assert_eq!(r.samples.len(), 1);
    assert!(r.samples[0].labels.is_empty());
    assert_eq!(r.samples[0].value, f64::NEG_INFINITY);
    assert_eq!(r.samples[0].timestamp_ms, 1_700_000_000_500);
    std::fs::write(&pw, "second").unwrap();
    querier.query(q("-1/0")).await.unwrap();
    let reqs = fake.requests();
    assert!(
        reqs[0]
            .request_line
            .starts_with("POST /prometheus/api/v1/query?")
    );
    // base64("u:first"), base64("u:second")
    assert_eq!(reqs[0].header("authorization"), Some("Basic dTpmaXJzdA=="));
    assert_eq!(reqs[1].header("authorization"), Some("Basic dTpzZWNvbmQ="));
}

#[tokio::test]
async fn a_dropped_connection_is_retried_exactly_once() {
    for drop in [
        Reply::Close,
        Reply::CloseMidHeaders,
        Reply::CloseMidBody,
        Reply::Reset,
    ] {
        let fake = Fake::start(vec![drop.clone(), Reply::Respond(200, VECTOR.into())]).await;
        let r = querier(DatasourceSettings::new(fake.url("")))
            .query(q("up"))
            .await;
        assert!(r.is_ok(), "{drop:?}: {r:?}");
        assert_eq!(fake.requests().len(), 2, "{drop:?}");
        assert_eq!(
            fake.requests()[0].request_line,
            fake.requests()[1].request_line
        );

        let fake = Fake::start(vec![drop.clone()]).await;
        let r = querier(DatasourceSettings::new(fake.url("")))
            .query(q("up"))
            .await;
        match r {
            Err(QueryError::Retryable(m)) => assert!(m.starts_with("second attempt: "), "{m}"),
            other => panic!("{drop:?}: want a retryable error, got {other:?}"),
        }
        assert_eq!(fake.requests().len(), 2, "{drop:?}: exactly one retry");
    }
}

#[tokio::test]
async fn status_codes_split_into_retryable_and_permanent() {
    let bad = r#"{"status":"error","errorType":"bad_data","error":"cannot parse \"sum(\""}"#;
    for (status, body, retryable) in [
        (503, "service unavailable".to_string(), true),
        (500, "{}".to_string(), true),
        (429, "too many requests".to_string(), true),
        (400, bad.to_string(), false),
        (422, bad.to_string(), false),
        (404, "not found".to_string(), false),
    ] {
        let fake = Fake::start(vec![Reply::Respond(status, body.clone())]).await;
        let err = querier(DatasourceSettings::new(fake.url("")))
            .query(q("sum("))
            .await
            .expect_err("non-200 is an error");
        assert_eq!(err.is_retryable(), retryable, "{status}: {err}");
        assert!(
            err.to_string()
                .contains(&format!("unexpected response code {status}")),
            "{err}"
        );
        if body == bad {
            assert!(err.to_string().contains(r#"cannot parse "sum(""#), "{err}");
        }
        assert_eq!(fake.requests().len(), 1, "{status}: no retry on a status");
    }
}

#[tokio::test]
async fn bodies_that_cannot_be_used_are_permanent() {
    for body in [
        "not json",
        r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
        r#"{"status":"success","data":{"resultType":"string","result":[1,"a"]}}"#,
        r#"{"status":"error","errorType":"execution","error":"boom"}"#,
    ] {
        let fake = Fake::start(vec![Reply::Respond(200, body.into())]).await;
        let err = querier(DatasourceSettings::new(fake.url("")))
            .query(q("x"))
            .await
            .expect_err(body);
        assert!(matches!(err, QueryError::Permanent(_)), "{body}: {err:?}");
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_retryable() {
    let fake = Fake::start(vec![Reply::Hang]).await;
    let mut s = DatasourceSettings::new(fake.url(""));
    s.timeout = Some(Duration::from_millis(300));
    let start = Instant::now();
    let err = querier(s).query(q("x")).await.expect_err("times out");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
}

#[tokio::test]
async fn a_closed_port_is_retryable() {
    let port = common_vm::free_port();
    let err = querier(DatasourceSettings::new(format!("http://127.0.0.1:{port}")))
        .query(q("x"))
        .await
        .expect_err("nothing listens");
    assert!(err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn error_messages_never_contain_secrets() {
    // Secrets: a password in the URL (and a URL parameter), a basic-auth password, a bearer token (inline and from
    // a file), an API-key header. The fake echoes each case's secrets back in its error body, as a badly behaved
    // proxy might; the closed-port and timeout cases show the client's own messages.
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "file-t0ken-secret\n").unwrap();
    // base64("admin:url-pa55word"), base64("admin:basic-pa55word")
    let url_b64 = "YWRtaW46dXJsLXBhNTV3b3Jk";
    let basic_b64 = "YWRtaW46YmFzaWMtcGE1NXdvcmQ=";
    let closed = common_vm::free_port();
    let hang = Fake::start(vec![Reply::Hang]).await;

    type Case = (
        &'static str,
        Vec<&'static str>,
        Box<dyn Fn(&mut DatasourceSettings)>,
    );
    let cases: Vec<Case> = vec![
        (
            "url credentials",
            vec!["url-pa55word", url_b64],
            Box::new(|_| {}),
        ),
        (
            "basic auth",
            vec!["url-pa55word", "basic-pa55word", basic_b64],
            Box::new(|s| {
                s.basic_auth = Some(BasicAuth {
                    username: "admin".into(),
                    password: Some(Secret::new("basic-pa55word")),
                    ..Default::default()
                })
            }),
        ),
        (
            "bearer",
            vec!["url-pa55word", "inline-t0ken-secret"],
            Box::new(|s| s.bearer = Some(BearerToken::Token(Secret::new("inline-t0ken-secret")))),
        ),
        (
            "bearer file",
            vec!["url-pa55word", "file-t0ken-secret"],
            Box::new({
                let f = token_file.clone();
                move |s| s.bearer = Some(BearerToken::File(f.clone()))
            }),
        ),
    ];
    let group_headers = vec![(
        "Authorization".to_string(),
        "Bearer grp-t0ken-secret".to_string(),
    )];
    for (name, secrets, configure) in &cases {
        let mut secrets = secrets.clone();
        secrets.push("api-key-secret");
        secrets.push("grp-t0ken-secret");
        let echo = format!("you sent {}", secrets.join(" "));
        let mut targets = Vec::new();
        for status in [401, 502] {
            let fake = Fake::start(vec![Reply::Respond(status, echo.clone())]).await;
            targets.push((status.to_string(), fake.addr.to_string(), Some(fake)));
        }
        targets.push(("closed port".into(), format!("127.0.0.1:{closed}"), None));
        targets.push(("timeout".into(), hang.addr.to_string(), None));
        for (what, addr, _fake) in targets {
            let mut s = DatasourceSettings::new(format!(
                "http://admin:url-pa55word@{addr}/select/0/prometheus?authKey=url-pa55word"
            ));
            s.headers = parse_headers("X-Api-Key: api-key-secret").unwrap();
            s.timeout = Some(Duration::from_millis(300));
            configure(&mut s);
            let query = InstantQuery {
                headers: &group_headers,
                ..q("up")
            };
            let curl = s.curl_command(&query);
            let err = querier(s).query(query.clone()).await.expect_err(name);
            let text = format!("{err} {err:?}");
            for secret in &secrets {
                assert!(
                    !text.contains(secret),
                    "{name}, {what}: {secret} leaked in {text}"
                );
                if *secret != "url-pa55word" {
                    assert!(!curl.contains(secret), "{name}: {secret} leaked in {curl}");
                }
            }
        }
    }
}
