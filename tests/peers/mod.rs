//! Real peers for integration tests, on 127.0.0.1 only: single-node victoria-metrics, a two-peer
//! prometheus-alertmanager cluster, the `tocsin` binary itself, and two small in-process HTTP servers (a gate that
//! forwards to a peer or answers 503, and a recording fake Alertmanager).
//!
//! Every child gets a free port and its own temp dir, logs to a file there, is SIGKILLed on drop, and prints the
//! tail of its log when a test panics while it runs. Every wait has a deadline.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const VICTORIA_METRICS: &str = "/usr/bin/victoria-metrics";
pub const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";
pub const VMALERT: &str = "/usr/bin/vmalert";

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
}

pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(d.as_millis()).expect("ms fit i64")
}

/// Polls `check` every 100 ms until it returns `Some`, or panics with `what` after `limit`.
pub async fn poll<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("http client")
}

/// A child process with its log in a temp dir; SIGKILLed on drop.
pub struct Proc {
    pub name: String,
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    log: PathBuf,
    bin: String,
    args: Vec<String>,
}

impl Proc {
    /// Starts `bin args…` with stdout and stderr going to `<dir>/<name>.log`.
    pub fn spawn(name: &str, bin: &str, args: &[String], dir: tempfile::TempDir) -> Proc {
        let log = dir.path().join(format!("{name}.log"));
        let mut p = Proc {
            name: name.to_string(),
            child: None,
            dir,
            log,
            bin: bin.to_string(),
            args: args.to_vec(),
        };
        p.start_child();
        p
    }

    fn start_child(&mut self) {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open log");
        let err = out.try_clone().expect("clone log handle");
        let child = Command::new(&self.bin)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.bin));
        self.child = Some(child);
    }

    /// SIGKILLs the process (if running) and starts it again with the same binary, arguments and dir; the log
    /// continues in the same file.
    pub fn restart(&mut self) {
        self.kill();
        self.start_child();
    }

    /// Starts the process again after a `kill` (same binary, arguments, dir and log file).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "{} is still running", self.name);
        self.start_child();
    }

    /// `None` while running (or never started again after a kill); the exit code once it exited on its own
    /// (`Some(None)`: ended by a signal).
    pub fn exited(&mut self) -> Option<Option<i32>> {
        let c = self.child.as_mut()?;
        c.try_wait().ok().flatten().map(|s| s.code())
    }

    /// Whether the process runs now.
    pub fn running(&mut self) -> bool {
        self.child.is_some() && self.exited().is_none()
    }

    /// Bytes in the log so far: pass to `log_since` to read only what a later start wrote.
    pub fn log_len(&self) -> usize {
        std::fs::metadata(&self.log).map_or(0, |m| m.len() as usize)
    }

    pub fn log_since(&self, offset: usize) -> String {
        let all = std::fs::read(&self.log).unwrap_or_default();
        String::from_utf8_lossy(all.get(offset..).unwrap_or_default()).to_string()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM and waits up to `limit` for the exit; returns the exit code (`None`: killed by a signal).
    /// Panics, after a SIGKILL, when the process does not exit in time.
    pub fn terminate(&mut self, limit: Duration) -> Option<i32> {
        let mut c = self.child.take().expect("process still running");
        let sent = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {}", c.id());
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = c.try_wait().expect("try_wait") {
                return status.code();
            }
            if Instant::now() >= deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!(
                    "{} did not exit within {limit:?} of SIGTERM; log:\n{}",
                    self.name,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (at most `limit`) for the process to exit on its own; returns its code and log.
    pub fn wait_exit(&mut self, limit: Duration) -> (Option<i32>, String) {
        let mut c = self.child.take().expect("process still running");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = c.try_wait().expect("try_wait") {
                return (status.code(), self.log());
            }
            if Instant::now() >= deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!(
                    "{} still running after {limit:?}; log:\n{}",
                    self.name,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("---- last lines of {} ----", self.name);
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// Percent-escapes everything but unreserved characters.
pub fn escape(s: &str) -> String {
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

/// One series as `/api/v1/export` returns it: raw points, StaleNaN as `None`.
#[derive(Debug, Clone)]
pub struct Exported {
    pub labels: BTreeMap<String, String>,
    pub points: Vec<(i64, Option<f64>)>,
}

/// Single-node victoria-metrics on loopback.
pub struct Vm {
    pub port: u16,
    pub proc: Proc,
}

impl Vm {
    /// Starts victoria-metrics (`-search.latencyOffset=1s`, `-retentionPeriod=1d`, plus `extra`) and waits until
    /// `/health` answers, at most 20 s.
    pub async fn start(extra: &[&str]) -> Vm {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut args = vec![
            format!("-httpListenAddr=127.0.0.1:{port}"),
            format!("-storageDataPath={}", dir.path().join("data").display()),
            "-retentionPeriod=1d".to_string(),
            "-search.latencyOffset=1s".to_string(),
            "-loggerLevel=WARN".to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let vm = Vm {
            port,
            proc: Proc::spawn("victoria-metrics", VICTORIA_METRICS, &args, dir),
        };
        let url = format!("{}/health", vm.url());
        let c = client();
        poll(Duration::from_secs(20), "victoria-metrics /health", || {
            let r = c.get(&url).send();
            async move { r.await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
        })
        .await;
        vm
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Imports Prometheus text exposition lines (millisecond timestamps) and flushes them to storage.
    pub async fn import(&self, text: &str) {
        let c = client();
        let r = c
            .post(format!("{}/api/v1/import/prometheus", self.url()))
            .body(text.to_string())
            .send()
            .await
            .expect("import");
        assert!(r.status().is_success(), "import: {}", r.status());
        let r = c
            .get(format!("{}/internal/force_flush", self.url()))
            .send()
            .await
            .expect("force_flush");
        assert!(r.status().is_success(), "force_flush: {}", r.status());
    }

    /// An uncached instant query; the `data.result` array.
    pub async fn query(&self, q: &str, at_ms: i64) -> Vec<serde_json::Value> {
        let url = format!(
            "{}/api/v1/query?query={}&time={:.3}&nocache=1",
            self.url(),
            escape(q),
            at_ms as f64 / 1000.0
        );
        let body: serde_json::Value = client()
            .get(url)
            .send()
            .await
            .expect("query")
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .expect("query json");
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Imports `text`, then waits (at most 20 s) until an uncached query for `probe` at `at_ms` returns `want`
    /// series, so that whatever starts next does not see (and cache) an empty answer.
    pub async fn seed(&self, text: &str, probe: &str, at_ms: i64, want: usize) {
        self.import(text).await;
        poll(
            Duration::from_secs(20),
            &format!("{probe} visible"),
            || async { (self.query(probe, at_ms).await.len() >= want).then_some(()) },
        )
        .await;
    }

    /// Raw points of every series matching `selector`, as stored (no dedup unless the VM was started with it).
    pub async fn export(&self, selector: &str) -> Vec<Exported> {
        let _ = client()
            .get(format!("{}/internal/force_flush", self.url()))
            .send()
            .await;
        let url = format!(
            "{}/api/v1/export?match[]={}&start=0",
            self.url(),
            escape(selector)
        );
        let text = client()
            .get(url)
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("export body");
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("export line is JSON");
            let labels = v["metric"]
                .as_object()
                .expect("metric")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            let ts = v["timestamps"].as_array().expect("timestamps");
            let vals = v["values"].as_array().expect("values");
            let mut points: Vec<(i64, Option<f64>)> = ts
                .iter()
                .zip(vals)
                .map(|(t, v)| (t.as_i64().expect("ts"), v.as_f64()))
                .collect();
            points.sort_by_key(|p| p.0);
            out.push(Exported { labels, points });
        }
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// Polls `export(selector)` until `check` accepts it (at most `limit`).
    pub async fn wait_export<F>(
        &self,
        selector: &str,
        limit: Duration,
        what: &str,
        check: F,
    ) -> Vec<Exported>
    where
        F: Fn(&[Exported]) -> bool,
    {
        poll(limit, what, || async {
            let e = self.export(selector).await;
            check(&e).then_some(e)
        })
        .await
    }
}

/// A two-peer Alertmanager cluster on loopback, both peers `ready`.
pub struct AmCluster {
    pub peers: Vec<Alertmanager>,
}

pub struct Alertmanager {
    pub web_port: u16,
    pub cluster_port: u16,
    pub proc: Proc,
}

/// A config with one route to a receiver that sends nothing. `"null"` is quoted: bare `null` is a YAML null.
pub const AM_CONFIG: &str = "route:\n  receiver: \"null\"\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: \"null\"\n";

impl Alertmanager {
    fn spawn(web_port: u16, cluster_port: u16, peer_port: u16) -> Alertmanager {
        Alertmanager::spawn_peer(web_port, cluster_port, &[peer_port], AM_CONFIG, &[])
    }

    /// One clustered peer: `config` as its configuration file, gossip with `peer_ports`, `extra` flags last.
    pub fn spawn_peer(
        web_port: u16,
        cluster_port: u16,
        peer_ports: &[u16],
        config: &str,
        extra: &[String],
    ) -> Alertmanager {
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("alertmanager.yml");
        std::fs::write(&config_path, config).expect("write alertmanager config");
        let mut args = vec![
            format!("--config.file={}", config_path.display()),
            format!("--storage.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{web_port}"),
            format!("--cluster.listen-address=127.0.0.1:{cluster_port}"),
            format!("--cluster.advertise-address=127.0.0.1:{cluster_port}"),
            "--cluster.settle-timeout=10s".to_string(),
            "--log.level=warn".to_string(),
        ];
        args.extend(
            peer_ports
                .iter()
                .map(|p| format!("--cluster.peer=127.0.0.1:{p}")),
        );
        args.extend(extra.iter().cloned());
        Alertmanager {
            web_port,
            cluster_port,
            proc: Proc::spawn(
                &format!("alertmanager-{web_port}"),
                ALERTMANAGER,
                &args,
                dir,
            ),
        }
    }

    /// Whether `/api/v2/status` reports the cluster `ready` with `peers` members.
    pub async fn ready_with(&self, peers: usize) -> bool {
        let Some(s) = self.get_json("/api/v2/status").await else {
            return false;
        };
        s["cluster"]["status"] == "ready"
            && s["cluster"]["peers"].as_array().map_or(0, Vec::len) == peers
    }

    /// Starts one peer without clustering on `web_port` (a restart reuses the port) and waits (at most 20 s) until
    /// `/-/ready` answers.
    pub async fn start_single(web_port: u16) -> Alertmanager {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, AM_CONFIG).expect("write alertmanager config");
        let args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", dir.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{web_port}"),
            "--cluster.listen-address=".to_string(),
            "--log.level=warn".to_string(),
        ];
        let am = Alertmanager {
            web_port,
            cluster_port: 0,
            proc: Proc::spawn(
                &format!("alertmanager-{web_port}"),
                ALERTMANAGER,
                &args,
                dir,
            ),
        };
        let url = format!("{}/-/ready", am.url());
        let c = client();
        poll(Duration::from_secs(20), "alertmanager /-/ready", || {
            let r = c.get(&url).send();
            async move { r.await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
        })
        .await;
        am
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.web_port)
    }

    pub async fn get_json(&self, path: &str) -> Option<serde_json::Value> {
        let r = client()
            .get(format!("{}{path}", self.url()))
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        serde_json::from_slice(&r.bytes().await.ok()?).ok()
    }

    /// Active alerts named `name` from `GET /api/v2/alerts`.
    pub async fn alerts_named(&self, name: &str) -> Vec<serde_json::Value> {
        self.get_json("/api/v2/alerts")
            .await
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a["labels"]["alertname"] == name)
            .collect()
    }
}

impl AmCluster {
    /// Starts two clustered peers and waits (at most 30 s) until both report cluster status `ready`.
    pub async fn start() -> AmCluster {
        AmCluster::start_with(2, |_| AM_CONFIG.to_string(), &[]).await
    }

    /// Starts `n` peers, each gossiping with all the others, peer `i` with configuration `config(i)` and `extra`
    /// flags, and waits (at most 30 s) until every peer reports cluster status `ready` with `n` members.
    pub async fn start_with(
        n: usize,
        config: impl Fn(usize) -> String,
        extra: &[String],
    ) -> AmCluster {
        let web: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let gossip: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let peers = (0..n)
            .map(|i| {
                let others: Vec<u16> = (0..n).filter(|j| *j != i).map(|j| gossip[j]).collect();
                Alertmanager::spawn_peer(web[i], gossip[i], &others, &config(i), extra)
            })
            .collect();
        let cluster = AmCluster { peers };
        for i in 0..n {
            cluster.wait_ready(i, Duration::from_secs(30)).await;
        }
        cluster
    }

    /// Waits (at most `limit`) until peer `i` reports cluster status `ready` with every peer as a member.
    pub async fn wait_ready(&self, i: usize, limit: Duration) {
        let p = &self.peers[i];
        let n = self.peers.len();
        poll(
            limit,
            &format!("alertmanager {} cluster ready", p.url()),
            || async { p.ready_with(n).await.then_some(()) },
        )
        .await;
    }

    pub fn urls(&self) -> Vec<String> {
        self.peers.iter().map(Alertmanager::url).collect()
    }
}

/// Sends SIGHUP (reload) to a running child.
pub fn sighup(p: &Proc) {
    let ok = Command::new("kill")
        .args(["-HUP", &p.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(ok.success(), "kill -HUP {}", p.pid());
}

/// Starts the `tocsin` binary under test with `args`.
pub fn tocsin(name: &str, args: &[String]) -> Proc {
    Proc::spawn(
        name,
        env!("CARGO_BIN_EXE_tocsin"),
        args,
        tempfile::tempdir().expect("tempdir"),
    )
}

/// Starts `tocsin` with the arguments `make_args(port)` builds for a free port, and waits until its HTTP server
/// answers `/-/healthy`. A port taken by someone else between choosing and binding is retried with another one
/// (at most three times), so a test that needs tocsin's port does not flake on that race.
pub async fn tocsin_listening(name: &str, make_args: impl Fn(u16) -> Vec<String>) -> (Proc, u16) {
    let c = client();
    for _ in 0..3 {
        let port = free_port();
        let mut p = tocsin(name, &make_args(port));
        let url = format!("http://127.0.0.1:{port}/-/healthy");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(r) = c.get(&url).send().await
                && r.status().is_success()
            {
                return (p, port);
            }
            if p.log().contains("Address already in use") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        p.kill();
    }
    panic!("{name}: could not start on a free port three times");
}

/// Writes `text` to `<dir>/<file>` and returns the path.
pub fn write_file(dir: &Path, file: &str, text: &str) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(&p, text).expect("write file");
    p
}

/// RFC 3339 → milliseconds since the epoch (UTC `Z` or offset, any fraction).
pub fn parse_rfc3339_ms(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad RFC 3339 {s:?}: {e}"))
        .timestamp_millis()
}

/// One HTTP request as a server in this module saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at_ms: i64,
}

pub async fn read_request(sock: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 1 << 20 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        target,
        headers,
        body,
        at_ms: now_ms(),
    })
}

pub async fn respond(sock: &mut TcpStream, status: u16, content_type: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body).await;
    let _ = sock.shutdown().await;
}

/// Request headers a `Gate` passes on: what the datasource and remote-write protocols need.
const FORWARDED_HEADERS: &[&str] = &[
    "content-type",
    "content-encoding",
    "x-prometheus-remote-write-version",
    "x-victoriametrics-remote-write-version",
];

/// An HTTP server on 127.0.0.1 port 0 that forwards every request to `upstream` while open, and answers 503
/// while closed. Records what it answered.
pub struct Gate {
    pub addr: SocketAddr,
    open: Arc<AtomicBool>,
    answered: Arc<Mutex<Vec<(Request, u16)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Gate {
    pub async fn start(upstream: String) -> Gate {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let open = Arc::new(AtomicBool::new(true));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let (o, a) = (open.clone(), answered.clone());
        let task = tokio::spawn(async move {
            let c = client();
            while let Ok((mut sock, _)) = listener.accept().await {
                let (o, a, c, upstream) = (o.clone(), a.clone(), c.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    let status = if o.load(Ordering::SeqCst) {
                        let method = reqwest::Method::from_bytes(req.method.as_bytes())
                            .unwrap_or(reqwest::Method::GET);
                        let mut rb = c.request(method, format!("{upstream}{}", req.target));
                        for (k, v) in &req.headers {
                            if FORWARDED_HEADERS.contains(&k.as_str()) {
                                rb = rb.header(k.as_str(), v.as_str());
                            }
                        }
                        match rb.body(req.body.clone()).send().await {
                            Ok(r) => {
                                let status = r.status().as_u16();
                                let body = r.bytes().await.unwrap_or_default();
                                respond(&mut sock, status, "application/json", &body).await;
                                status
                            }
                            Err(_) => {
                                respond(&mut sock, 502, "text/plain", b"upstream failed").await;
                                502
                            }
                        }
                    } else {
                        respond(&mut sock, 503, "text/plain", b"closed by the test").await;
                        503
                    };
                    a.lock().expect("lock").push((req, status));
                });
            }
        });
        Gate {
            addr,
            open,
            answered,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_open(&self, open: bool) {
        self.open.store(open, Ordering::SeqCst);
    }

    pub fn answered(&self) -> Vec<(Request, u16)> {
        self.answered.lock().expect("lock").clone()
    }
}

/// A fake Alertmanager on 127.0.0.1 port 0: records every `POST /api/v2/alerts` body and answers 200.
pub struct FakeAm {
    pub addr: SocketAddr,
    posts: Arc<Mutex<Vec<(i64, serde_json::Value)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAm {
    pub async fn start() -> FakeAm {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let posts = Arc::new(Mutex::new(Vec::new()));
        let p = posts.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    if req.method == "POST" && req.target.starts_with("/api/v2/alerts") {
                        if let Ok(v) = serde_json::from_slice(&req.body) {
                            p.lock().expect("lock").push((req.at_ms, v));
                        }
                        respond(&mut sock, 200, "application/json", b"").await;
                    } else {
                        respond(&mut sock, 404, "text/plain", b"not found").await;
                    }
                });
            }
        });
        FakeAm { addr, posts, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every alert received, with the receive time in ms.
    pub fn alerts(&self) -> Vec<(i64, serde_json::Value)> {
        self.posts
            .lock()
            .expect("lock")
            .iter()
            .flat_map(|(t, v)| {
                v.as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |a| (*t, a))
            })
            .collect()
    }
}
