//! A small WebDriver client for Debian's chromedriver and headless Chromium: start the driver on a free port of
//! 127.0.0.1, open a session, navigate, find and click elements, type, run a script, take screenshots and read
//! the browser console. Only the W3C endpoints the UI test needs (plus chromedriver's `se/log` for the console).
#![allow(dead_code)]

use crate::peers;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where Debian installs the driver and the browser (the `chromium` in PATH is a wrapper script; the driver wants
/// the real binary).
pub fn find_chromium() -> Option<(PathBuf, PathBuf)> {
    let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())?;
    let browser = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())?;
    Some((driver, browser))
}

/// A running chromedriver with one browser session; both end on drop.
pub struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: peers::Proc,
}

/// One console entry the browser logged.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a `width`×`height` window.
    pub async fn start(driver: &Path, browser: &Path, width: u32, height: u32) -> Browser {
        let port = peers::free_port();
        let dir = tempfile::tempdir().expect("temp dir");
        let profile = dir.path().join("profile");
        let proc = peers::Proc::spawn(
            "chromedriver",
            &driver.to_string_lossy(),
            &[
                format!("--port={port}"),
                "--allowed-ips=127.0.0.1".to_string(),
            ],
            dir,
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let base = format!("http://127.0.0.1:{port}");
        peers::poll(Duration::from_secs(30), "chromedriver ready", || {
            let http = http.clone();
            let url = format!("{base}/status");
            async move {
                let body = http.get(url).send().await.ok()?.bytes().await.ok()?;
                let v: Value = serde_json::from_slice(&body).ok()?;
                v["value"]["ready"].as_bool().filter(|r| *r)
            }
        })
        .await;
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser.to_string_lossy(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--disable-extensions", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let body = http
            .post(format!("{base}/session"))
            .header("content-type", "application/json")
            .body(caps.to_string())
            .send()
            .await
            .expect("new session")
            .bytes()
            .await
            .expect("session body");
        let resp: Value = serde_json::from_slice(&body).expect("session json");
        let id = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_string();
        Browser {
            http,
            session: format!("{base}/session/{id}"),
            _driver: proc,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let body = resp.bytes().await.expect("webdriver body");
        let v: Value = serde_json::from_slice(&body).expect("webdriver json");
        if let Some(err) = v["value"]["error"].as_str() {
            panic!(
                "{method} {path}: {err}: {}",
                v["value"]["message"].as_str().unwrap_or("")
            );
        }
        v["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn url(&self) -> String {
        self.get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (at most 10 s) until the current URL contains `needle` and the new page has loaded; a click that
    /// submits a form or follows a link may return before the browser navigated.
    pub async fn wait_for_url(&self, needle: &str) -> String {
        peers::poll(
            Duration::from_secs(10),
            &format!("url containing {needle:?}"),
            || async {
                let url = self.url().await;
                let ready = self.eval("return document.readyState").await;
                (url.contains(needle) && ready == "complete").then_some(url)
            },
        )
        .await
    }

    pub async fn title(&self) -> String {
        self.get("/title")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The first element matching the CSS selector; panics when there is none.
    pub async fn find(&self, css: &str) -> String {
        self.find_by("css selector", css).await
    }

    /// The first `<a>` whose visible text is exactly `text`.
    pub async fn link(&self, text: &str) -> String {
        self.find_by("link text", text).await
    }

    /// The first element matching the XPath expression.
    pub async fn xpath(&self, path: &str) -> String {
        self.find_by("xpath", path).await
    }

    async fn find_by(&self, using: &str, value: &str) -> String {
        let v = self
            .post("/element", json!({ "using": using, "value": value }))
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {using} {value:?}: {v}"))
            .to_string()
    }

    pub async fn count(&self, css: &str) -> usize {
        let v = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        v.as_array().map_or(0, Vec::len)
    }

    pub async fn text(&self, element: &str) -> String {
        self.get(&format!("/element/{element}/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.text(&e).await
    }

    pub async fn click(&self, element: &str) {
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
    }

    pub async fn type_into(&self, element: &str, text: &str) {
        self.post(&format!("/element/{element}/clear"), json!({}))
            .await;
        self.post(
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": [] }))
            .await
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await;
    }

    /// Saves a PNG of the viewport to `path`.
    pub async fn screenshot(&self, path: &Path) {
        let b64 = self.get("/screenshot").await;
        let png = decode_base64(b64.as_str().expect("base64 string"));
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Console entries since the last call (chromedriver clears them as it returns them).
    pub async fn console(&self) -> Vec<LogEntry> {
        let v = self.post("/se/log", json!({ "type": "browser" })).await;
        v.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| LogEntry {
                        level: e["level"].as_str().unwrap_or_default().to_string(),
                        message: e["message"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends the browser; the driver is killed by `Proc`'s drop right after. Best effort, bounded by the
        // client's timeout, on a thread of its own because drop cannot await.
        let url = self.session.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    let c = reqwest::Client::builder()
                        .timeout(Duration::from_secs(10))
                        .build();
                    if let Ok(c) = c {
                        let _ = c.delete(url).send().await;
                    }
                });
            }
        })
        .join();
    }
}

/// Standard base64 (with padding) to bytes; the screenshots are the only input.
pub fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|&c| c != b'=').collect();
        let mut n = 0u32;
        for (i, &c) in data.iter().enumerate() {
            n |= val(c) << (18 - 6 * i);
        }
        let produced = data.len().saturating_sub(1);
        for i in 0..produced {
            out.push(((n >> (16 - 8 * i)) & 0xff) as u8);
        }
    }
    out
}

#[test]
fn base64_round_trip() {
    assert_eq!(decode_base64("aGVsbG8="), b"hello");
    assert_eq!(decode_base64("aGk="), b"hi");
    assert_eq!(decode_base64("aGV5"), b"hey");
}
