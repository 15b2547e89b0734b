//! The Alertmanager receiver: an in-process HTTP server on 127.0.0.1 port 0 that records every webhook
//! notification, one entry per alert in it, with its arrival time and the peer that sent it (each peer posts to
//! `/peer/<index>`). It answers 200 and judges nothing.

use crate::peers::{read_request, respond};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// One alert of one webhook notification.
#[derive(Debug, Clone)]
pub struct Notification {
    pub at_ms: i64,
    pub peer: usize,
    pub alertname: String,
    pub firing: bool,
    pub starts_at_ms: i64,
    pub ends_at_ms: Option<i64>,
}

pub struct Webhook {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Notification>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Webhook {
    pub async fn start() -> Webhook {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut sock).await else {
                        return;
                    };
                    let peer = req
                        .target
                        .strip_prefix("/peer/")
                        .and_then(|p| p.parse().ok());
                    let body = serde_json::from_slice::<serde_json::Value>(&req.body).ok();
                    match (peer, body) {
                        (Some(peer), Some(body)) => {
                            s.lock()
                                .expect("lock")
                                .extend(parse(req.at_ms, peer, &body));
                            respond(&mut sock, 200, "text/plain", b"ok").await;
                        }
                        _ => respond(&mut sock, 400, "text/plain", b"want POST /peer/N").await,
                    }
                });
            }
        });
        Webhook { addr, seen, task }
    }

    /// The URL Alertmanager peer `peer` posts to.
    pub fn url_for(&self, peer: usize) -> String {
        format!("http://{}/peer/{peer}", self.addr)
    }

    pub fn notifications(&self) -> Vec<Notification> {
        self.seen.lock().expect("lock").clone()
    }
}

/// The alerts of one webhook body (Alertmanager's webhook format, version 4).
pub fn parse(at_ms: i64, peer: usize, body: &serde_json::Value) -> Vec<Notification> {
    let time = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.timestamp_millis())
    };
    body["alerts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|a| Notification {
            at_ms,
            peer,
            alertname: a["labels"]["alertname"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            firing: a["status"] == "firing",
            starts_at_ms: time(&a["startsAt"]).unwrap_or(0),
            // Go's zero time (year 1) for a firing alert without an end.
            ends_at_ms: time(&a["endsAt"]).filter(|t| *t > 0),
        })
        .collect()
}
