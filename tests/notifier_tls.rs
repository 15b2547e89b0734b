//! TLS and auth against a real Alertmanager 0.25 serving HTTPS with a required client certificate and basic auth
//! (its `--web.config.file`).

mod common_am;

use common_am::{Alertmanager, WebConfig, firing_alert, now_ms, tls};
use tocsin::notifier::{
    AlertmanagerClient, AlertmanagerSettings, Auth, ClientError, DefaultAlertSource, Fanout,
    PayloadContext, Secret, SendError, TlsSettings,
};

const NAME: &str = "TocsinTlsTest";
const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw";
// bcrypt("s3cret-pw"), cost 4: what Alertmanager's web config stores.
const PASSWORD_HASH: &str = "$2b$04$vVwp7dSosk9JgQm4jJWW0Ommd/XyhsQ6w9gDZb5KL7YWaWP0qe6b2";

struct Setup {
    am: Alertmanager,
    files: tls::TlsFiles,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = tls::make(dir.path());
    let yaml = format!(
        "tls_server_config:\n  cert_file: {}\n  key_file: {}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}\nbasic_auth_users:\n  {USER}: {PASSWORD_HASH}\n",
        files.server_cert.display(),
        files.server_key.display(),
        files.ca.display()
    );
    let mut identity = std::fs::read(&files.client_cert).expect("cert");
    identity.extend(std::fs::read(&files.client_key).expect("key"));
    let am = Alertmanager::spawn_with(
        None,
        Some(WebConfig {
            yaml,
            tls: true,
            basic: Some((USER.to_string(), PASSWORD.to_string())),
            identity: Some(identity),
        }),
    );
    am.wait_ready().await;
    Setup {
        am,
        files,
        _dir: dir,
    }
}

fn settings(s: &Setup, password: &str) -> AlertmanagerSettings {
    let mut settings = AlertmanagerSettings::new(s.am.url());
    settings.auth = Auth::Basic {
        username: Secret::Value(USER.to_string()),
        password: Some(Secret::Value(password.to_string())),
    };
    settings.tls = TlsSettings {
        ca_file: Some(s.files.ca.clone()),
        cert_file: Some(s.files.client_cert.clone()),
        key_file: Some(s.files.client_key.clone()),
        server_name: None,
        insecure_skip_verify: false,
    };
    settings
}

async fn send(settings: AlertmanagerSettings) -> Result<(), SendError> {
    let notifier = Fanout::from_settings(&[settings]).expect("notifier");
    let alert = firing_alert(&[("alertname", NAME)], &[], now_ms());
    let source = DefaultAlertSource {
        external_url: "https://tocsin".to_string(),
    };
    let ctx = PayloadContext {
        now_ms: now_ms(),
        resolve_after_ms: 60_000,
        group_id: 1,
        source: &source,
    };
    let mut report = notifier.send(&[&alert], &ctx, &[]).await;
    report.peers.remove(0).result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_ca_client_certificate_and_basic_auth() {
    let s = setup().await;

    // Everything right: accepted and listed.
    send(settings(&s, PASSWORD)).await.expect("accepted");
    s.am.wait_alerts(NAME, 10, |l| l.len() == 1).await;

    // Wrong password: 401, permanent, and the password shows nowhere in the error.
    let err = send(settings(&s, "wrong-pw")).await.expect_err("401");
    assert_eq!(err.status(), Some(401), "{err}");
    assert!(!err.is_retryable());
    assert!(!err.to_string().contains("wrong-pw"), "{err}");

    // System roots only: the test CA is unknown, the handshake fails.
    let mut untrusted = settings(&s, PASSWORD);
    untrusted.tls.ca_file = None;
    let err = send(untrusted.clone()).await.expect_err("unknown CA");
    assert!(matches!(err, SendError::Transport { .. }), "{err}");
    assert!(err.is_retryable());

    // ... unless verification is switched off.
    untrusted.tls.insecure_skip_verify = true;
    send(untrusted)
        .await
        .expect("accepted without verification");

    // No client certificate: the server refuses the handshake.
    let mut anonymous = settings(&s, PASSWORD);
    anonymous.tls.cert_file = None;
    anonymous.tls.key_file = None;
    let err = send(anonymous)
        .await
        .expect_err("client certificate required");
    assert!(matches!(err, SendError::Transport { .. }), "{err}");
}

#[tokio::test]
async fn tls_settings_that_cannot_work_fail_at_build_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = tls::make(dir.path());
    let mut half = AlertmanagerSettings::new("https://127.0.0.1:1");
    half.tls.cert_file = Some(files.client_cert.clone());
    assert!(matches!(
        AlertmanagerClient::new(&half),
        Err(ClientError::Tls { .. })
    ));

    let mut missing = AlertmanagerSettings::new("https://127.0.0.1:1");
    missing.tls.ca_file = Some(dir.path().join("nope.pem"));
    assert!(matches!(
        AlertmanagerClient::new(&missing),
        Err(ClientError::File { .. })
    ));

    let mut named = AlertmanagerSettings::new("https://127.0.0.1:1");
    named.tls.server_name = Some("am.internal".to_string());
    assert!(matches!(
        AlertmanagerClient::new(&named),
        Err(ClientError::ServerNameUnsupported(_))
    ));
}
