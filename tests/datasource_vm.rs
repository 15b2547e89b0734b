//! The HTTP datasource client against a real single-node victoria-metrics (Debian's `/usr/bin/victoria-metrics`)
//! on 127.0.0.1: results, labels, values and timestamps as decoded; parameters the server honours; errors it
//! returns; basic auth; TLS with a CA file, a wrong CA and insecure mode.

mod common_vm;

use common_vm::vm::Vm;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tocsin::datasource::{
    BasicAuth, DatasourceSettings, HttpQuerier, InstantQuery, Querier, QueryError, Secret,
};
use tocsin::rule::QueryResult;

const USER: &str = "vmuser";
const PASSWORD: &str = "vm-pa55word-xyz";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

fn settings(vm: &Vm, path: &str) -> DatasourceSettings {
    let mut s = DatasourceSettings::new(format!("{}{path}", vm.url()));
    s.basic_auth = Some(BasicAuth {
        username: USER.into(),
        password: Some(Secret::new(PASSWORD)),
        ..Default::default()
    });
    s
}

async fn run(
    s: DatasourceSettings,
    expr: &str,
    time_ms: i64,
    params: &[(String, String)],
) -> Result<QueryResult, QueryError> {
    let q = HttpQuerier::new(s).expect("valid settings");
    q.query(InstantQuery {
        expr,
        time_ms,
        interval_ms: 60_000,
        params,
        headers: &[],
    })
    .await
}

#[tokio::test]
async fn victoria_metrics_answers_are_decoded_and_errors_classified() {
    if !Path::new(common_vm::vm::BINARY).exists() {
        eprintln!("skipping: {} not installed", common_vm::vm::BINARY);
        return;
    }
    let vm = Vm::start(&[], Some((USER, PASSWORD)), false).await;
    let t = now_ms() / 1000 * 1000 - 60_000;
    let seed = format!("foo{{a=\"1\",b=\"x\"}} 1.23456 {t}\nfoo{{a=\"2\"}} -2 {t}\nbar 5 {t}\n");
    vm.seed(&seed, "{__name__=~\"foo|bar\"}", t / 1000 + 10, 3)
        .await;
    let at = t + 10_123;
    let want_ts = (at / 1000) * 1000;

    // A vector, labels and timestamps as VictoriaMetrics returns them (the query time, whole seconds).
    let r = run(settings(&vm, ""), "foo", at, &[])
        .await
        .expect("vector");
    let mut got: Vec<_> = r
        .samples
        .iter()
        .map(|s| (s.labels.to_labels(), s.value, s.timestamp_ms))
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let l = |pairs: &[(&str, &str)]| tocsin::rule::labels::from_pairs(pairs);
    assert_eq!(
        got,
        vec![
            (
                l(&[("__name__", "foo"), ("a", "1"), ("b", "x")]),
                1.23456,
                want_ts
            ),
            (l(&[("__name__", "foo"), ("a", "2")]), -2.0, want_ts),
        ]
    );
    assert!(!r.is_partial);

    // round_digits reaches the server; the /prometheus prefix works on single-node.
    let mut s = settings(&vm, "");
    s.round_digits = 2;
    s.append_type_prefix = true;
    let r = run(s, "foo{a=\"1\"}", at, &[]).await.expect("rounded");
    assert_eq!(r.samples[0].value, 1.23);

    // Group params override the URL's own: extra_label=a=2 in the URL, a=1 from the group.
    let params = vec![("extra_label".to_string(), "a=1".to_string())];
    let r = run(settings(&vm, "/?extra_label=a%3D2"), "foo", at, &params)
        .await
        .expect("extra_label");
    assert_eq!(r.samples.len(), 1);
    assert_eq!(r.samples[0].labels.get("a"), Some("1"));
    let r = run(settings(&vm, "/?extra_label=a%3D2"), "foo", at, &[])
        .await
        .expect("extra_label");
    assert_eq!(r.samples[0].labels.get("a"), Some("2"));

    // Scalars (VictoriaMetrics answers them as a one-element vector without labels) and infinities.
    for (expr, want) in [
        ("scalar(bar)", 5.0),
        ("1/0", f64::INFINITY),
        ("-1/0", f64::NEG_INFINITY),
    ] {
        let r = run(settings(&vm, ""), expr, at, &[]).await.expect(expr);
        assert_eq!(r.samples.len(), 1, "{expr}");
        assert!(r.samples[0].labels.is_empty(), "{expr}");
        assert_eq!(r.samples[0].value, want, "{expr}");
        assert_eq!(r.samples[0].timestamp_ms, want_ts, "{expr}");
    }

    // A bad expression is permanent and carries VictoriaMetrics' message.
    match run(settings(&vm, ""), "sum(foo", at, &[]).await {
        Err(QueryError::Permanent(m)) => {
            assert!(m.contains("unexpected response code 422"), "{m}");
            assert!(m.contains("sum(foo"), "{m}");
        }
        other => panic!("want a permanent error, got {other:?}"),
    }
    // A range vector is not a rule result.
    match run(settings(&vm, ""), "foo[1m]", at, &[]).await {
        Err(QueryError::Permanent(m)) => assert!(m.contains("\"matrix\""), "{m}"),
        other => panic!("want a permanent error, got {other:?}"),
    }
    // A wrong password is refused (401): permanent, and the message shows neither password.
    let mut s = settings(&vm, "");
    s.basic_auth = Some(BasicAuth {
        username: USER.into(),
        password: Some(Secret::new("wrong-pa55word")),
        ..Default::default()
    });
    match run(s, "foo", at, &[]).await {
        Err(QueryError::Permanent(m)) => {
            assert!(m.contains("401"), "{m}");
            assert!(
                !m.contains("wrong-pa55word") && !m.contains(PASSWORD),
                "{m}"
            );
        }
        other => panic!("want a permanent error, got {other:?}"),
    }
    // Credentials in the URL are sent as basic auth.
    let s = DatasourceSettings::new(format!("http://{USER}:{PASSWORD}@127.0.0.1:{}", vm.port));
    assert_eq!(
        run(s, "foo", at, &[])
            .await
            .expect("url credentials")
            .samples
            .len(),
        2
    );

    // Once it is gone, the same datasource is retryable.
    let port = vm.port;
    drop(vm);
    let s = DatasourceSettings::new(format!("http://127.0.0.1:{port}"));
    let err = run(s, "foo", at, &[]).await.expect_err("stopped");
    assert!(err.is_retryable(), "{err:?}");
}

/// Writes a CA and a server certificate for `vm.internal` (only) signed by it; returns (ca, cert, key) paths.
fn make_certs(dir: &Path) -> Option<(String, String, String)> {
    let p = |f: &str| dir.join(f).display().to_string();
    let ext = dir.join("ext.cnf");
    std::fs::write(&ext, "subjectAltName=DNS:vm.internal\n").ok()?;
    let steps: Vec<Vec<String>> = vec![
        vec![
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=tocsin test ca",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.pem"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            &p("server.key"),
            "-out",
            &p("server.csr"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "x509",
            "-req",
            "-in",
            &p("server.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &ext.display().to_string(),
            "-out",
            &p("server.pem"),
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    ];
    for args in steps {
        let ok = Command::new("openssl")
            .args(&args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            return None;
        }
    }
    Some((p("ca.pem"), p("server.pem"), p("server.key")))
}

#[tokio::test]
async fn tls_with_a_ca_file_a_server_name_a_wrong_ca_and_insecure_mode() {
    if !Path::new(common_vm::vm::BINARY).exists() {
        eprintln!("skipping: {} not installed", common_vm::vm::BINARY);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some((ca, cert, key)) = make_certs(dir.path()) else {
        eprintln!("skipping: openssl could not make certificates");
        return;
    };
    let vm = Vm::start(
        &[
            "-tls".into(),
            format!("-tlsCertFile={cert}"),
            format!("-tlsKeyFile={key}"),
        ],
        None,
        true,
    )
    .await;
    let t = now_ms() / 1000 * 1000 - 60_000;
    vm.seed(&format!("tls_probe 1 {t}\n"), "tls_probe", t / 1000 + 5, 1)
        .await;

    // The certificate names vm.internal, not 127.0.0.1: verification is on, and fails without a server name.
    let mut s = DatasourceSettings::new(vm.url());
    s.tls.ca_file = Some(ca.clone().into());
    s.timeout = Some(Duration::from_secs(10));
    let err = run(s.clone(), "tls_probe", t + 5_000, &[])
        .await
        .expect_err("name mismatch");
    assert!(err.is_retryable(), "{err:?}");

    s.tls.server_name = Some("vm.internal".into());
    let r = run(s.clone(), "tls_probe", t + 5_000, &[])
        .await
        .expect("trusted CA and server name");
    assert_eq!(r.samples.len(), 1);

    // The server's own certificate is not a CA: verification fails, as a network-level (retryable) error.
    s.tls.ca_file = Some(cert.clone().into());
    let err = run(s.clone(), "tls_probe", t + 5_000, &[])
        .await
        .expect_err("untrusted");
    assert!(err.is_retryable(), "{err:?}");

    s.tls.ca_file = None;
    s.tls.server_name = None;
    s.tls.insecure_skip_verify = true;
    let r = run(s.clone(), "tls_probe", t + 5_000, &[])
        .await
        .expect("insecure");
    assert_eq!(r.samples.len(), 1);

    // A client certificate loads (the server does not ask for one, so the query still works); a bad key does not.
    s.tls.cert_file = Some(cert.clone().into());
    s.tls.key_file = Some(key.clone().into());
    let r = run(s.clone(), "tls_probe", t + 5_000, &[])
        .await
        .expect("client cert");
    assert_eq!(r.samples.len(), 1);
    s.tls.key_file = Some(ca.clone().into());
    assert!(matches!(
        HttpQuerier::new(s),
        Err(tocsin::datasource::SettingsError::Tls(_))
    ));
}
