//! Differential test: tocsin's MetricsQL parser against a real victoria-metrics (the Debian 1.79.5 build), which
//! is the oracle. Each expression of `tests/data/metricsql/cases.txt` and of the shared rule corpus is parsed by
//! tocsin; what tocsin accepts is sent **printed** (so the printer is tested too), what it rejects is sent as
//! written, to `/api/v1/query`. Accept (200) / reject must agree, except on lines marked as deliberate
//! differences (`diff-ok`, `diff-err`; sent as written), which must still differ. Lines marked `crash-*` make that release panic
//! and are never sent.
//!
//! Every corpus expression is also sent after label injection (the tenancy rewrite), which the peer must accept.
//!
//! Skipped, with a message, only when `victoria-metrics` is not on PATH.

#[path = "metricsql_support.rs"]
mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tocsin::promql::metricsql;

/// A victoria-metrics child process on a free loopback port, killed (and its data removed) on drop.
struct Peer {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn find_on_path(bin: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(bin))
        .find(|p| p.is_file())
}

fn start_peer(bin: &PathBuf) -> Peer {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let dir =
        std::env::temp_dir().join(format!("tocsin-metricsql-vm-{}-{port}", std::process::id()));
    let child = Command::new(bin)
        .arg(format!("-httpListenAddr={addr}"))
        .arg(format!("-storageDataPath={}", dir.display()))
        .arg("-retentionPeriod=1d")
        .arg("-search.latencyOffset=1s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start victoria-metrics");
    let peer = Peer { child, addr, dir };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if http(addr, "GET", "/health", "").is_ok_and(|(status, _)| status == 200) {
            return peer;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("victoria-metrics did not come up on {addr} within 30s");
}

/// A minimal blocking HTTP/1.0 exchange: (status, body).
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {resp:.200}")))?;
    let body = resp
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The peer's verdict on `expr`: Ok(true) accepted, Ok(false) refused, Err on a crash.
fn peer_accepts(peer: &Peer, expr: &str) -> Result<bool, String> {
    let body = format!("query={}&time=1700000000", form_encode(expr));
    match http(peer.addr, "POST", "/api/v1/query", &body) {
        Ok((200, _)) => Ok(true),
        Ok((400 | 422, _)) => Ok(false),
        Ok((status, b)) => Err(format!("status {status}: {b:.300}")),
        Err(e) => Err(format!("no answer ({e}): the peer crashed")),
    }
}

/// What tocsin sends for `expr`: its printed form when it parses, else the text as written.
fn tocsin_view(expr: &str) -> (bool, String, String) {
    match metricsql::parse(expr) {
        Ok(tree) => (true, tree.to_string(), String::new()),
        Err(e) => (false, expr.to_string(), e.to_string()),
    }
}

#[test]
fn acceptance_agrees_with_victoria_metrics() {
    let Some(bin) = find_on_path("victoria-metrics") else {
        eprintln!("skipped: victoria-metrics is not on PATH (Debian package victoria-metrics)");
        return;
    };
    let peer = start_peer(&bin);
    let mut problems = Vec::new();
    let (mut sent, mut agreed, mut deliberate, mut crashes) = (0, 0, 0, 0);

    for case in support::cases() {
        let (ours, text, why) = tocsin_view(&case.expr);
        let want_ours = match case.verdict.as_str() {
            "crash-ok" | "crash-err" => {
                crashes += 1;
                if ours != (case.verdict == "crash-ok") {
                    problems.push(format!(
                        "cases.txt:{}: {:?}: tocsin {} ({why})",
                        case.line,
                        case.expr,
                        verdict(ours)
                    ));
                }
                continue;
            }
            _ => case.verdict.as_str(),
        };
        sent += 1;
        // A deliberate difference is about the syntax as written, so the peer gets the original text.
        let text = if want_ours.starts_with("diff") {
            case.expr.clone()
        } else {
            text
        };
        let theirs = match peer_accepts(&peer, &text) {
            Ok(v) => v,
            Err(e) => panic!(
                "cases.txt:{}: {:?} (sent {text:?}): {e}",
                case.line, case.expr
            ),
        };
        let ok = match want_ours {
            "ok" | "err" => ours == theirs && theirs == (want_ours == "ok"),
            "diff-ok" => ours && !theirs,
            "diff-err" => !ours && theirs,
            other => panic!("cases.txt:{}: unknown verdict {other:?}", case.line),
        };
        if want_ours.starts_with("diff") {
            deliberate += 1;
        } else if ok {
            agreed += 1;
        }
        if !ok {
            problems.push(format!(
                "cases.txt:{}: {:?} (sent {text:?}): file says {want_ours}, tocsin {}, victoria-metrics {} {why}",
                case.line,
                case.expr,
                verdict(ours),
                verdict(theirs)
            ));
        }
    }
    let case_count = sent;

    let mut corpus = 0;
    let mut injected_sent = 0;
    if let Some(dir) = support::corpus_dir() {
        let mut seen = std::collections::HashSet::new();
        for c in support::corpus_exprs(&dir) {
            if !seen.insert(c.expr.clone()) {
                continue;
            }
            corpus += 1;
            sent += 1;
            let (ours, text, why) = tocsin_view(&c.expr);
            let theirs =
                peer_accepts(&peer, &text).unwrap_or_else(|e| panic!("{} {}: {e}", c.file, c.path));
            // The tenancy rewrite must keep every expression valid for the peer.
            if let Ok(mut tree) = metricsql::parse(&c.expr) {
                let tenant = metricsql::LabelMatcher::new(
                    "namespace",
                    metricsql::MatchOp::Equal,
                    "tenant-a",
                );
                metricsql::inject_matchers(&mut tree, &[tenant]);
                let injected = tree.to_string();
                injected_sent += 1;
                if !peer_accepts(&peer, &injected)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", c.file, c.path))
                {
                    problems.push(format!(
                        "{} {}: injected form {injected:?} refused",
                        c.file, c.path
                    ));
                }
            }
            if ours == theirs {
                agreed += 1;
            } else {
                problems.push(format!(
                    "{} {}: {:?} (sent {text:?}): tocsin {}, victoria-metrics {} {why}",
                    c.file,
                    c.path,
                    c.expr,
                    verdict(ours),
                    verdict(theirs)
                ));
            }
        }
    }
    eprintln!(
        "differential: {sent} expressions sent ({case_count} cases, {corpus} unique corpus expressions); \
         {agreed} agree, {deliberate} deliberate differences, {crashes} not sent (crash the peer); \
         {injected_sent} label-injected corpus expressions sent; {} problems",
        problems.len()
    );
    assert!(sent >= 300, "only {sent} expressions sent");
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn verdict(accepts: bool) -> &'static str {
    if accepts { "accepts" } else { "rejects" }
}
