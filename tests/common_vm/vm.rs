//! A single-node victoria-metrics child process on 127.0.0.1 with a temp storage dir, killed (SIGKILL) on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = "/usr/bin/victoria-metrics";

pub struct Vm {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
    /// `user:password` when started with `-httpAuth.*`.
    pub auth: Option<(String, String)>,
    pub scheme: &'static str,
}

impl Drop for Vm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Vm {
    /// Starts victoria-metrics with `extra` flags and waits (at most 20 s) until it answers.
    pub async fn start(extra: &[String], auth: Option<(&str, &str)>, tls: bool) -> Vm {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = super::free_port();
        let mut cmd = Command::new(BINARY);
        cmd.arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg(format!(
                "-storageDataPath={}",
                dir.path().join("data").display()
            ))
            .arg("-retentionPeriod=1d")
            .arg("-search.latencyOffset=1s")
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((u, p)) = auth {
            cmd.arg(format!("-httpAuth.username={u}"))
                .arg(format!("-httpAuth.password={p}"));
        }
        let child = cmd.spawn().expect("start victoria-metrics");
        let vm = Vm {
            port,
            child,
            _dir: dir,
            auth: auth.map(|(u, p)| (u.to_string(), p.to_string())),
            scheme: if tls { "https" } else { "http" },
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return vm;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("victoria-metrics did not listen on {port} within 20 s");
    }

    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .build()
            .expect("client")
    }

    fn with_auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            Some((u, p)) => rb.basic_auth(u, Some(p)),
            None => rb,
        }
    }

    /// Imports Prometheus text exposition lines (millisecond timestamps), then waits (at most 20 s) until an
    /// uncached query for `probe` at `at_secs` returns `want` series.
    pub async fn seed(&self, text: &str, probe: &str, at_secs: i64, want: usize) {
        let resp = self
            .with_auth(
                self.client()
                    .post(format!("{}/api/v1/import/prometheus", self.url()))
                    .body(text.to_string()),
            )
            .send()
            .await
            .expect("import");
        assert!(resp.status().is_success(), "import: {}", resp.status());
        // Without a flush the first probes see nothing, and VictoriaMetrics caches that empty answer for ~10 s.
        let resp = self
            .with_auth(
                self.client()
                    .get(format!("{}/internal/force_flush", self.url())),
            )
            .send()
            .await
            .expect("force_flush");
        assert!(resp.status().is_success(), "force_flush: {}", resp.status());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let body = self
                .with_auth(self.client().get(format!(
                    "{}/api/v1/query?query={}&time={at_secs}&nocache=1",
                    self.url(),
                    escape(probe)
                )))
                .send()
                .await
                .expect("probe")
                .text()
                .await
                .expect("probe body");
            if body.matches("\"metric\"").count() >= want {
                return;
            }
            assert!(Instant::now() < deadline, "data not visible: {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Percent-escapes everything but unreserved characters.
fn escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
