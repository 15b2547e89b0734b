//! Test helpers for remote write: a real single-node VictoriaMetrics child process, a scripted fake remote-write
//! receiver on 127.0.0.1 port 0, request decoding, and bounded polling. Loopback only.

#![allow(dead_code)] // Each test binary uses a different part.

use prost::Message;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tocsin::remotewrite::proto::WriteRequest;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub const VICTORIA_METRICS: &str = "/usr/bin/victoria-metrics";

/// Polls `check` every 20 ms until it returns `Some`, or panics after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A single-node VictoriaMetrics on a free loopback port with a temporary data directory; SIGKILLed on drop.
pub struct VictoriaMetrics {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl VictoriaMetrics {
    pub async fn start() -> VictoriaMetrics {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(VICTORIA_METRICS)
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg(format!("-storageDataPath={}", dir.path().display()))
            .arg("-retentionPeriod=1d")
            .arg("-search.latencyOffset=1s")
            .arg("-loggerLevel=ERROR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {VICTORIA_METRICS}: {e}"));
        let vm = VictoriaMetrics {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let client = reqwest::Client::new();
        let health = format!("{}/health", vm.url);
        eventually(Duration::from_secs(30), "victoria-metrics /health", || {
            let req = client.get(&health).send();
            async move {
                req.await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(|_| ())
            }
        })
        .await;
        vm
    }

    /// An instant query at `time_ms`: the `series` label and value of each result.
    pub async fn query(&self, expr: &str, time_ms: i64) -> Vec<(String, String)> {
        let time = format!("{}.{:03}", time_ms / 1000, time_ms % 1000);
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/query", self.url),
            &[("query", expr), ("time", time.as_str()), ("nocache", "1")],
        )
        .expect("query URL");
        let text = reqwest::get(url)
            .await
            .expect("query request")
            .text()
            .await
            .expect("query body");
        let body: serde_json::Value = serde_json::from_str(&text).expect("query JSON");
        body["data"]["result"]
            .as_array()
            .unwrap_or_else(|| panic!("unexpected query answer {body}"))
            .iter()
            .map(|r| {
                let series = r["metric"]["series"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                (
                    series,
                    r["value"][1].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// `/api/v1/export` for `selector`: one JSON object per series.
    pub async fn export(&self, selector: &str) -> Vec<serde_json::Value> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/export", self.url),
            &[("match[]", selector)],
        )
        .expect("export URL");
        let text = reqwest::Client::new()
            .get(url)
            .send()
            .await
            .expect("export request")
            .text()
            .await
            .expect("export body");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(&quote_non_finite(l))
                    .unwrap_or_else(|e| panic!("bad export line {l:?}: {e}"))
            })
            .collect()
    }
}

/// VictoriaMetrics writes non-finite values as bare `+Inf`, `-Inf`, `NaN` tokens, which are not JSON; quote them
/// so that a value reads as a number or one of those strings.
fn quote_non_finite(line: &str) -> String {
    let mut out = line.to_string();
    for token in ["+Inf", "-Inf", "NaN"] {
        for sep in ['[', ','] {
            out = out.replace(&format!("{sep}{token}"), &format!("{sep}\"{token}\""));
        }
    }
    out
}

impl Drop for VictoriaMetrics {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL on Unix.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }

    /// Snappy-decompresses and decodes the body.
    pub fn decode(&self) -> WriteRequest {
        let plain = snap::raw::Decoder::new()
            .decompress_vec(&self.body)
            .expect("snappy block body");
        WriteRequest::decode(plain.as_slice()).expect("protobuf WriteRequest")
    }

    pub fn rows(&self) -> usize {
        self.decode()
            .timeseries
            .iter()
            .map(|t| t.samples.len())
            .sum()
    }
}

#[derive(Default)]
struct FakeState {
    requests: Vec<Recorded>,
    /// Statuses to answer, in order; 204 once exhausted (or `fallback`).
    script: VecDeque<u16>,
    fallback: Option<u16>,
}

/// A scripted remote-write receiver on 127.0.0.1, port 0. Speaks just enough HTTP/1.1 (keep-alive,
/// Content-Length bodies) for reqwest.
pub struct FakeReceiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<FakeState>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeReceiver {
    /// Answers the statuses in `script` in order, then `fallback` (204 when `None`) forever.
    pub async fn start(script: &[u16], fallback: Option<u16>) -> FakeReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fake");
        let addr = listener.local_addr().expect("fake addr");
        let state = Arc::new(Mutex::new(FakeState {
            requests: Vec::new(),
            script: script.iter().copied().collect(),
            fallback,
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, state).await;
                });
            }
        });
        FakeReceiver { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn request_count(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }
}

impl Drop for FakeReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(stream: tokio::net::TcpStream, state: Arc<Mutex<FakeState>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let status = {
            let mut s = state.lock().unwrap();
            s.requests.push(Recorded {
                method,
                path,
                headers,
                body,
            });
            let fallback = s.fallback.unwrap_or(204);
            s.script.pop_front().unwrap_or(fallback)
        };
        let reply = if status == 204 {
            "HTTP/1.1 204 No Content\r\n\r\n".to_string()
        } else {
            let text = format!("fake says {status}");
            format!(
                "HTTP/1.1 {status} Fake\r\ncontent-length: {}\r\n\r\n{text}",
                text.len()
            )
        };
        write.write_all(reply.as_bytes()).await?;
    }
}
