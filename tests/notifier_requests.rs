//! What goes over the wire, checked on a recording fake: request line, headers (content type, auth, per-URL
//! headers, group `notifier_headers`), body; how non-2xx answers become errors without leaking secrets; the
//! blackhole notifier.

mod common_am;

use common_am::fake::Recorder;
use common_am::firing_alert;
use std::time::Duration;
use tocsin::notifier::{
    AlertmanagerSettings, Auth, DefaultAlertSource, Fanout, PayloadContext, Secret, SendError,
};

// 2023-11-14T22:13:20Z
const T0: i64 = 1_700_000_000_000;

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn send_one(
    notifier: &Fanout,
    group_headers: &[(String, String)],
) -> tocsin::notifier::SendReport {
    let alert = firing_alert(&[("alertname", "A"), ("job", "x")], &[("s", "v")], T0);
    let source = DefaultAlertSource {
        external_url: "http://tocsin:8880".to_string(),
    };
    let ctx = PayloadContext {
        now_ms: T0 + 1_500,
        resolve_after_ms: 60_000,
        group_id: 5,
        source: &source,
    };
    notifier.send(&[&alert], &ctx, group_headers).await
}

#[tokio::test]
async fn request_line_headers_and_body() {
    let fake = Recorder::start(200, "").await;
    let mut settings = AlertmanagerSettings::new(format!("{}/prefix/", fake.url()));
    settings.auth = Auth::Basic {
        username: Secret::Value("alice".to_string()),
        password: Some(Secret::Value("s3cret".to_string())),
    };
    settings.headers = headers(&[("X-Scope-OrgID", "from-flag"), ("X-Extra", "kept")]);
    let notifier = Fanout::from_settings(&[settings]).expect("notifier");

    let report = send_one(&notifier, &headers(&[("X-Scope-OrgID", "from-group")])).await;
    assert!(report.all_ok(), "{report:?}");

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.request_line, "POST /prefix/api/v2/alerts HTTP/1.1");
    assert_eq!(r.header("content-type"), ["application/json"]);
    assert_eq!(
        r.header("user-agent"),
        [concat!("tocsin/", env!("CARGO_PKG_VERSION"))]
    );
    // base64("alice:s3cret")
    assert_eq!(r.header("authorization"), ["Basic YWxpY2U6czNjcmV0"]);
    // Group notifier_headers override the per-URL ones.
    assert_eq!(r.header("x-scope-orgid"), ["from-group"]);
    assert_eq!(r.header("x-extra"), ["kept"]);
    let alert_id = tocsin::rule::labels::hash(&tocsin::rule::labels::from_pairs(&[
        ("alertname", "A"),
        ("job", "x"),
    ]));
    let want = format!(
        concat!(
            r#"[{{"startsAt":"2023-11-14T22:13:20Z","#,
            r#""generatorURL":"http://tocsin:8880/vmalert/alert?group_id=5&alert_id={}","#,
            r#""endsAt":"2023-11-14T22:14:21.5Z","#,
            r#""labels": {{"alertname":"A","job":"x"}},"annotations": {{"s":"v"}}}}]"#
        ),
        alert_id
    );
    assert_eq!(r.body, want);
    assert_eq!(
        r.header("content-length"),
        [want.len().to_string().as_str()]
    );
}

#[tokio::test]
async fn bearer_token_from_a_file_is_read_at_send_time() {
    let fake = Recorder::start(200, "").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let token = dir.path().join("token");
    std::fs::write(&token, "first\n").expect("write");
    let mut settings = AlertmanagerSettings::new(fake.url());
    settings.auth = Auth::Bearer(Secret::File(token.clone()));
    let notifier = Fanout::from_settings(&[settings]).expect("notifier");

    assert!(send_one(&notifier, &[]).await.all_ok());
    std::fs::write(&token, "second").expect("write");
    assert!(send_one(&notifier, &[]).await.all_ok());
    let auth: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.header("authorization").join(","))
        .collect();
    assert_eq!(auth, ["Bearer first", "Bearer second"]);

    // A token file that vanished is a credentials error, not a request without auth.
    std::fs::remove_file(&token).expect("rm");
    let report = send_one(&notifier, &[]).await;
    assert!(matches!(
        report.peers[0].result,
        Err(SendError::Credentials { .. })
    ));
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn url_user_info_becomes_basic_auth_and_never_shows() {
    let fake = Recorder::start(
        503,
        "upstream said no: Basic dTpodW50ZXIy hunter2\n\n  try later",
    )
    .await;
    let url = fake.url().replace("http://", "http://u:hunter2@");
    let notifier = Fanout::from_settings(&[AlertmanagerSettings::new(url)]).expect("notifier");
    let report = send_one(&notifier, &[]).await;

    let r = &fake.requests()[0];
    assert_eq!(r.request_line, "POST /api/v2/alerts HTTP/1.1");
    // base64("u:hunter2")
    assert_eq!(r.header("authorization"), ["Basic dTpodW50ZXIy"]);

    let peer = &report.peers[0];
    let err = peer.result.clone().expect_err("503 is an error");
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "unexpected status 503 from http://<redacted>@127.0.0.1:{}; response body: upstream said no: Basic <redacted> <redacted> try later",
            fake.port
        )
    );
    assert!(!peer.addr.contains("hunter2"));
    assert_eq!(notifier.peers()[0].0, peer.addr);
}

#[tokio::test]
async fn any_2xx_succeeds_and_4xx_is_permanent() {
    let accepted = Recorder::start(202, "").await;
    let rejected = Recorder::start(400, "invalid label set: invalid name \"a:b\"").await;
    let notifier = Fanout::from_settings(&[
        AlertmanagerSettings::new(accepted.url()),
        AlertmanagerSettings::new(rejected.url()),
    ])
    .expect("notifier");
    let report = send_one(&notifier, &[]).await;
    assert_eq!(report.peers[0].result, Ok(()));
    let err = report.peers[1].result.clone().expect_err("400");
    assert!(!err.is_retryable());
    assert!(
        err.to_string()
            .ends_with(r#"response body: invalid label set: invalid name "a:b""#),
        "{err}"
    );
    let stats: Vec<(u64, u64)> = notifier
        .peers()
        .iter()
        .map(|(_, s)| {
            (
                s.alerts_sent.load(std::sync::atomic::Ordering::Relaxed),
                s.alerts_send_errors
                    .load(std::sync::atomic::Ordering::Relaxed),
            )
        })
        .collect();
    assert_eq!(stats, [(1, 0), (1, 1)]);
}

#[tokio::test]
async fn long_error_bodies_are_cut() {
    let body: &'static str = Box::leak("x".repeat(5_000).into_boxed_str());
    let fake = Recorder::start(500, body).await;
    let mut settings = AlertmanagerSettings::new(fake.url());
    settings.timeout = Duration::from_secs(5);
    let notifier = Fanout::from_settings(&[settings]).expect("notifier");
    let err = send_one(&notifier, &[]).await.peers[0]
        .result
        .clone()
        .expect_err("500");
    let SendError::Status { body, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(body, format!("{}…", "x".repeat(256)));
}

#[tokio::test]
async fn a_zero_timeout_means_none() {
    let fake = Recorder::start(200, "").await;
    let mut settings = AlertmanagerSettings::new(fake.url());
    settings.timeout = Duration::ZERO;
    let notifier = Fanout::from_settings(&[settings]).expect("notifier");
    assert!(send_one(&notifier, &[]).await.all_ok());
}

#[tokio::test]
async fn nothing_to_send_sends_nothing() {
    let fake = Recorder::start(200, "").await;
    let notifier = Fanout::from_settings(&[AlertmanagerSettings::new(fake.url())]).expect("n");
    let source = DefaultAlertSource {
        external_url: String::new(),
    };
    let ctx = PayloadContext {
        now_ms: T0,
        resolve_after_ms: 0,
        group_id: 0,
        source: &source,
    };
    let report = notifier.send(&[], &ctx, &[]).await;
    assert!(report.peers.is_empty());
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn blackhole_accepts_and_counts() {
    let notifier = Fanout::blackhole();
    let report = send_one(&notifier, &[]).await;
    assert_eq!(report.peers.len(), 1);
    assert_eq!(report.peers[0].addr, "blackhole");
    assert_eq!(report.peers[0].result, Ok(()));
    let (addr, stats) = notifier.peers()[0];
    assert_eq!(addr, "blackhole");
    assert_eq!(
        stats.alerts_sent.load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    assert!(notifier.clients().is_empty());
}
