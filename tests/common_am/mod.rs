//! Test helpers for the notifier: real Alertmanager peers as child processes on loopback (Debian's
//! `prometheus-alertmanager`), and a fake HTTP server that records requests and answers as told.
#![allow(dead_code)]

pub mod fake;
pub mod tls;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ALERTMANAGER_BIN: &str = "/usr/bin/prometheus-alertmanager";

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// One running Alertmanager, SIGKILLed on drop (SIGTERM takes ~10 s to leave the mesh).
pub struct Alertmanager {
    child: Child,
    pub web_port: u16,
    pub cluster_port: Option<u16>,
    dir: tempfile::TempDir,
    /// `https` when started with a web config that has TLS.
    scheme: &'static str,
    /// For the helper's own reads: trusts any certificate.
    client: reqwest::Client,
    /// Basic auth the helper's reads send, when the web config asks for it.
    basic: Option<(String, String)>,
}

/// Exporter-toolkit web config for a peer: TLS and basic auth.
pub struct WebConfig {
    /// The `--web.config.file` YAML.
    pub yaml: String,
    pub tls: bool,
    pub basic: Option<(String, String)>,
    /// PEM certificate and key the helper's own reads present, when the peer requires a client certificate.
    pub identity: Option<Vec<u8>>,
}

impl Alertmanager {
    /// Starts a peer with a null receiver. `cluster` is `(own cluster port, peers' cluster ports)`, or `None` to
    /// disable clustering.
    pub fn spawn(cluster: Option<(u16, &[u16])>) -> Alertmanager {
        Alertmanager::spawn_with(cluster, None)
    }

    /// Like [`Alertmanager::spawn`], with a web config (TLS, basic auth).
    pub fn spawn_with(cluster: Option<(u16, &[u16])>, web: Option<WebConfig>) -> Alertmanager {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n",
        )
        .expect("write config");
        let web_port = free_port();
        let log = std::fs::File::create(dir.path().join("alertmanager.log")).expect("log file");
        let mut cmd = Command::new(ALERTMANAGER_BIN);
        cmd.arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{web_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if let Some(web) = &web {
            let path = dir.path().join("web.yml");
            std::fs::write(&path, &web.yaml).expect("write web config");
            cmd.arg(format!("--web.config.file={}", path.display()));
        }
        match cluster {
            None => {
                cmd.arg("--cluster.listen-address=");
            }
            Some((own, peers)) => {
                cmd.arg(format!("--cluster.listen-address=127.0.0.1:{own}"))
                    .arg(format!("--cluster.advertise-address=127.0.0.1:{own}"));
                for p in peers {
                    cmd.arg(format!("--cluster.peer=127.0.0.1:{p}"));
                }
            }
        }
        let child = cmd.spawn().expect("start prometheus-alertmanager");
        Alertmanager {
            child,
            web_port,
            cluster_port: cluster.map(|(own, _)| own),
            dir,
            scheme: if web.as_ref().is_some_and(|w| w.tls) {
                "https"
            } else {
                "http"
            },
            client: {
                let mut b = reqwest::Client::builder().tls_danger_accept_invalid_certs(true);
                if let Some(pem) = web.as_ref().and_then(|w| w.identity.as_ref()) {
                    b = b.identity(reqwest::Identity::from_pem(pem).expect("identity"));
                }
                b.build().expect("client")
            },
            basic: web.and_then(|w| w.basic),
        }
    }

    /// Two clustered peers, both ready.
    pub async fn cluster_of_two() -> (Alertmanager, Alertmanager) {
        let (ca, cb) = (free_port(), free_port());
        let a = Alertmanager::spawn(Some((ca, &[cb])));
        let b = Alertmanager::spawn(Some((cb, &[ca])));
        a.wait_ready().await;
        b.wait_ready().await;
        (a, b)
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.web_port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("alertmanager.log")
    }

    /// Polls `/-/ready` for up to 20 s.
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = self.get("/-/ready").send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "alertmanager on {} not ready:\n{}",
                self.web_port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A GET request to `path`, with the peer's basic auth.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        let req = self.client.get(format!("{}{path}", self.url()));
        match &self.basic {
            Some((u, p)) => req.basic_auth(u, Some(p)),
            None => req,
        }
    }

    /// `GET <path>` decoded as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let text = self
            .get(path)
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("body");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"))
    }

    /// The alerts `/api/v2/alerts` lists with `alertname="<name>"`.
    pub async fn alerts_named(&self, name: &str) -> Vec<serde_json::Value> {
        let filter = format!("alertname%3D%22{name}%22");
        let v = self
            .get_json(&format!("/api/v2/alerts?filter={filter}"))
            .await;
        v.as_array().cloned().unwrap_or_default()
    }

    /// Polls until `f` holds for the alerts named `name`, for up to `secs` seconds; returns the last listing.
    pub async fn wait_alerts(
        &self,
        name: &str,
        secs: u64,
        f: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let alerts = self.alerts_named(name).await;
            if f(&alerts) {
                return alerts;
            }
            assert!(
                Instant::now() < deadline,
                "peer {}: condition not met; last listing: {alerts:?}",
                self.web_port
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls `/api/v2/status` until the cluster lists `n` peers, for up to `secs` seconds.
    pub async fn wait_peers(&self, n: usize, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let status = self.get_json("/api/v2/status").await;
            let peers = status["cluster"]["peers"]
                .as_array()
                .map(Vec::len)
                .unwrap_or(0);
            if peers == n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "peer {}: {peers} cluster peers, want {n}: {status}",
                self.web_port
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL on Unix.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// A firing alert that started firing at `fired_at`.
pub fn firing_alert(
    labels: &[(&str, &str)],
    annotations: &[(&str, &str)],
    fired_at: i64,
) -> tocsin::rule::Alert {
    let labels = tocsin::rule::labels::from_pairs(labels);
    tocsin::rule::Alert {
        id: tocsin::rule::labels::hash(&labels),
        labels: labels.into(),
        annotations: tocsin::rule::labels::from_pairs(annotations).into(),
        state: tocsin::rule::AlertState::Firing,
        value: 1.0,
        active_at: fired_at - 60_000,
        fired_at: Some(fired_at),
        resolved_at: None,
        keep_firing_since: None,
        last_sent: Default::default(),
        restored: false,
    }
}

/// Parses an RFC 3339 time as Alertmanager prints it, to milliseconds.
pub fn parse_ms(v: &serde_json::Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a string: {v}"));
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .timestamp_millis()
}
