//! An in-process fake Kubernetes API server (axum on 127.0.0.1, port 0) that speaks list and watch the way the
//! real one does, for the Kubernetes source's tests: paged lists with a collection resourceVersion, chunked watch
//! streams of newline-delimited JSON events from a given resourceVersion, BOOKMARK events for watches that allow
//! them, an `ERROR` event with a 410 `Expired` Status for a resourceVersion older than the compaction point,
//! connections it can drop, an outage mode answering 503, a status subresource for VMRules and Events that
//! refuse duplicates with 409. Every request is recorded.

#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// A resource the fake serves: (URL prefix, plural, kind, apiVersion).
const RESOURCES: &[(&str, &str, &str, &str)] = &[
    (
        "/apis/operator.victoriametrics.com/v1beta1",
        "vmrules",
        "VMRule",
        "operator.victoriametrics.com/v1beta1",
    ),
    (
        "/apis/monitoring.coreos.com/v1",
        "prometheusrules",
        "PrometheusRule",
        "monitoring.coreos.com/v1",
    ),
    ("/api/v1", "namespaces", "Namespace", "v1"),
    ("/api/v1", "events", "Event", "v1"),
];

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Value,
    /// The status the fake answered.
    pub status: u16,
}

#[derive(Debug, Clone)]
struct LogEntry {
    rv: u64,
    plural: String,
    kind: &'static str,
    object: Value,
}

#[derive(Default)]
struct State {
    rv: u64,
    objects: BTreeMap<(String, String, String), Value>,
    log: Vec<LogEntry>,
    /// Watches from a resourceVersion below this get 410.
    compacted: u64,
    outage: bool,
    requests: Vec<Recorded>,
    uid: u64,
    /// Watches answered with 410 Gone.
    expired: usize,
    /// Resources answered with 404, as when their CRD is not installed.
    hidden: Vec<String>,
}

/// A running fake API server.
#[derive(Clone)]
pub struct FakeApi {
    pub url: String,
    state: Arc<Mutex<State>>,
    /// Wakes watch streams when the log grows.
    wake: broadcast::Sender<()>,
    /// Makes every open watch stream fail.
    drop_all: broadcast::Sender<()>,
    /// Counts recorded requests, so tests can wait for one.
    seen: watch::Sender<usize>,
}

fn plural_of(kind: &str) -> &'static str {
    RESOURCES
        .iter()
        .find(|r| r.2 == kind)
        .map(|r| r.1)
        .unwrap_or("unknown")
}

impl FakeApi {
    pub async fn start() -> FakeApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (wake, _) = broadcast::channel(64);
        let (drop_all, _) = broadcast::channel(4);
        let (seen, _) = watch::channel(0);
        let api = FakeApi {
            url,
            state: Arc::new(Mutex::new(State {
                rv: 100,
                ..State::default()
            })),
            wake,
            drop_all,
            seen,
        };
        let handler_api = api.clone();
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
            let api = handler_api.clone();
            async move { api.handle(method, uri, body).await }
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        api
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates or replaces an object (a manifest with apiVersion, kind, metadata, spec); returns its resourceVersion.
    pub fn put(&self, mut object: Value) -> u64 {
        let mut st = self.lock();
        st.rv += 1;
        let rv = st.rv;
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let plural = plural_of(&kind).to_string();
        let ns = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let key = (plural.clone(), ns, name);
        let existing = st.objects.get(&key).cloned();
        let event = if existing.is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        let meta = object["metadata"].as_object_mut().expect("metadata");
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        let generation = existing
            .as_ref()
            .and_then(|e| e["metadata"]["generation"].as_i64())
            .map_or(1, |g| {
                if existing.as_ref().map(|e| &e["spec"]) == Some(&object["spec"]) {
                    g
                } else {
                    g + 1
                }
            });
        let uid = match existing
            .as_ref()
            .and_then(|e| e["metadata"]["uid"].as_str())
        {
            Some(u) => u.to_string(),
            None => {
                st.uid += 1;
                format!("uid-{}", st.uid)
            }
        };
        let meta = object["metadata"].as_object_mut().expect("metadata");
        meta.insert("uid".into(), json!(uid));
        if kind != "Namespace" {
            meta.insert("generation".into(), json!(generation));
        }
        if let Some(status) = existing.as_ref().and_then(|e| e.get("status")) {
            object["status"] = status.clone();
        }
        st.objects.insert(key, object.clone());
        st.log.push(LogEntry {
            rv,
            plural,
            kind: event,
            object,
        });
        drop(st);
        let _ = self.wake.send(());
        rv
    }

    /// Deletes an object by kind, namespace and name.
    pub fn delete(&self, kind: &str, ns: &str, name: &str) {
        let mut st = self.lock();
        let key = (
            plural_of(kind).to_string(),
            ns.to_string(),
            name.to_string(),
        );
        if let Some(mut object) = st.objects.remove(&key) {
            st.rv += 1;
            let rv = st.rv;
            object["metadata"]["resourceVersion"] = json!(rv.to_string());
            st.log.push(LogEntry {
                rv,
                plural: key.0,
                kind: "DELETED",
                object,
            });
        }
        drop(st);
        let _ = self.wake.send(());
    }

    /// Sends a BOOKMARK at the current resourceVersion on every watch that allows bookmarks; returns it.
    pub fn bookmark(&self) -> u64 {
        let mut st = self.lock();
        let rv = st.rv;
        for (_, plural, kind, api_version) in RESOURCES {
            st.log.push(LogEntry {
                rv,
                plural: plural.to_string(),
                kind: "BOOKMARK",
                object: json!({"kind": kind, "apiVersion": api_version,
                    "metadata": {"resourceVersion": rv.to_string()}}),
            });
        }
        drop(st);
        let _ = self.wake.send(());
        rv
    }

    /// Forgets history: a watch from an older resourceVersion gets 410 Gone.
    pub fn compact(&self) {
        let mut st = self.lock();
        st.compacted = st.rv;
    }

    /// Fails every open watch stream (the connection breaks mid-stream).
    pub fn drop_connections(&self) {
        let _ = self.drop_all.send(());
    }

    /// Outage: every request answers 503 and open watches break; `false` ends it.
    pub fn set_outage(&self, on: bool) {
        self.lock().outage = on;
        if on {
            self.drop_connections();
        }
    }

    /// Answers 404 for a resource (its CRD is not installed) until `show`.
    pub fn hide(&self, plural: &str) {
        self.lock().hidden.push(plural.to_string());
    }

    pub fn show(&self, plural: &str) {
        self.lock().hidden.retain(|p| p != plural);
    }

    /// How many watches were answered with 410 Gone.
    pub fn expired_watches(&self) -> usize {
        self.lock().expired
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn object(&self, kind: &str, ns: &str, name: &str) -> Option<Value> {
        self.lock()
            .objects
            .get(&(
                plural_of(kind).to_string(),
                ns.to_string(),
                name.to_string(),
            ))
            .cloned()
    }

    /// Waits (at most 20 s) until the recorded requests satisfy `pred`; returns them.
    pub async fn wait_requests(
        &self,
        what: &str,
        pred: impl Fn(&[Recorded]) -> bool,
    ) -> Vec<Recorded> {
        let mut rx = self.seen.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let reqs = self.requests();
            if pred(&reqs) {
                return reqs;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => panic!(
                    "timed out waiting for requests: {what}; got {:#?}",
                    summary(&self.requests())
                ),
            }
        }
    }

    fn record(&self, method: &Method, uri: &Uri, body: &Bytes, status: u16) {
        let query = uri
            .query()
            .map(|q| url_pairs(q).into_iter().collect())
            .unwrap_or_default();
        let body = serde_json::from_slice(body).unwrap_or(Value::Null);
        self.lock().requests.push(Recorded {
            method: method.to_string(),
            path: uri.path().to_string(),
            query,
            body,
            status,
        });
        self.seen.send_modify(|n| *n += 1);
    }

    async fn handle(&self, method: Method, uri: Uri, body: Bytes) -> Response {
        let (status, response) = self.route(&method, &uri, &body);
        self.record(&method, &uri, &body, status.as_u16());
        response
    }

    fn route(&self, method: &Method, uri: &Uri, body: &Bytes) -> (StatusCode, Response) {
        if self.lock().outage {
            return status_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "the fake API server is down",
            );
        }
        let path = uri.path();
        let query: BTreeMap<String, String> = uri
            .query()
            .map(|q| url_pairs(q).into_iter().collect())
            .unwrap_or_default();
        for (prefix, plural, kind, api_version) in RESOURCES {
            let Some(rest) = path.strip_prefix(prefix) else {
                continue;
            };
            if self.lock().hidden.iter().any(|h| h == plural) && rest.contains(plural) {
                return status_response(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "the server could not find the requested resource",
                );
            }
            let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
            match (method.clone(), segments.as_slice()) {
                (Method::GET, [p]) if p == plural => {
                    if matches!(query.get("watch").map(String::as_str), Some("true" | "1")) {
                        return (StatusCode::OK, self.watch(plural, &query));
                    }
                    return (StatusCode::OK, self.list(plural, kind, api_version, &query));
                }
                (Method::PATCH, ["namespaces", ns, p, name, "status"])
                    if p == plural && *plural == "vmrules" =>
                {
                    return self.patch_status(plural, ns, name, body);
                }
                (Method::POST, ["namespaces", ns, p]) if p == plural && *plural == "events" => {
                    return self.create_event(ns, body);
                }
                _ => {}
            }
        }
        status_response(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no such path in the fake",
        )
    }

    fn list(
        &self,
        plural: &str,
        kind: &str,
        api_version: &str,
        query: &BTreeMap<String, String>,
    ) -> Response {
        let st = self.lock();
        let items: Vec<Value> = st
            .objects
            .iter()
            .filter(|((p, _, _), _)| p == plural)
            .map(|(_, v)| v.clone())
            .collect();
        let offset: usize = query
            .get("continue")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let limit: usize = query
            .get("limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        let page: Vec<Value> = items.iter().skip(offset).take(limit).cloned().collect();
        let mut metadata = json!({"resourceVersion": st.rv.to_string()});
        if offset + page.len() < items.len() {
            metadata["continue"] = json!((offset + page.len()).to_string());
        }
        json_response(
            StatusCode::OK,
            &json!({"apiVersion": api_version, "kind": format!("{kind}List"),
            "metadata": metadata, "items": page}),
        )
    }

    fn watch(&self, plural: &str, query: &BTreeMap<String, String>) -> Response {
        let from: u64 = query
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let bookmarks = query.get("allowWatchBookmarks").map(String::as_str) == Some("true");
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
        let mut wake = self.wake.subscribe();
        let mut dropped = self.drop_all.subscribe();
        let api = self.clone();
        let plural = plural.to_string();
        tokio::spawn(async move {
            let expired = {
                let mut st = api.lock();
                let expired = from < st.compacted;
                st.expired += usize::from(expired);
                expired
            };
            if expired {
                let status = json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Failure", "message": format!("too old resource version: {from}"),
                    "reason": "Expired", "code": 410}});
                let _ = tx.send(Ok(Bytes::from(format!("{status}\n")))).await;
                return;
            }
            let mut sent_up_to = from;
            let mut sent_entries = 0usize;
            // Bookmarks are live only: none from before the watch started.
            let live_from = api.lock().log.len();
            // Bounded by the test's lifetime: ends when the client goes away or the connection is dropped.
            loop {
                let pending: Vec<(usize, LogEntry)> = {
                    let st = api.lock();
                    let fresh: Vec<(usize, LogEntry)> = st
                        .log
                        .iter()
                        .cloned()
                        .enumerate()
                        .skip(sent_entries)
                        .collect();
                    sent_entries = st.log.len();
                    fresh
                };
                for (index, e) in pending {
                    if e.plural != plural
                        || (e.kind == "BOOKMARK" && (!bookmarks || index < live_from))
                    {
                        continue;
                    }
                    if e.kind != "BOOKMARK" && e.rv <= sent_up_to {
                        continue;
                    }
                    sent_up_to = sent_up_to.max(e.rv);
                    let line = json!({"type": e.kind, "object": e.object});
                    if tx.send(Ok(Bytes::from(format!("{line}\n")))).await.is_err() {
                        return;
                    }
                }
                tokio::select! {
                    r = wake.recv() => if matches!(r, Err(broadcast::error::RecvError::Closed)) { return },
                    _ = dropped.recv() => {
                        let _ = tx.send(Err(std::io::Error::other("connection dropped by the fake"))).await;
                        return;
                    }
                    _ = tx.closed() => return,
                }
            }
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Body::from_stream(stream))
            .unwrap_or_default()
    }

    fn patch_status(
        &self,
        plural: &str,
        ns: &str,
        name: &str,
        body: &Bytes,
    ) -> (StatusCode, Response) {
        let patch: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let key = (plural.to_string(), ns.to_string(), name.to_string());
        let Some(mut object) = self.lock().objects.get(&key).cloned() else {
            return status_response(StatusCode::NOT_FOUND, "NotFound", "no such object");
        };
        let before = object.get("status").cloned();
        let mut status = before.clone().unwrap_or_else(|| json!({}));
        if let (Some(s), Some(p)) = (status.as_object_mut(), patch["status"].as_object()) {
            for (k, v) in p {
                s.insert(k.clone(), v.clone());
            }
        }
        if before.as_ref() != Some(&status) {
            object["status"] = status;
            let mut st = self.lock();
            st.rv += 1;
            let rv = st.rv;
            object["metadata"]["resourceVersion"] = json!(rv.to_string());
            st.objects.insert(key, object.clone());
            st.log.push(LogEntry {
                rv,
                plural: plural.to_string(),
                kind: "MODIFIED",
                object: object.clone(),
            });
            drop(st);
            let _ = self.wake.send(());
        }
        (StatusCode::OK, json_response(StatusCode::OK, &object))
    }

    fn create_event(&self, ns: &str, body: &Bytes) -> (StatusCode, Response) {
        let event: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let name = event["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let key = ("events".to_string(), ns.to_string(), name);
        let mut st = self.lock();
        if st.objects.contains_key(&key) {
            drop(st);
            return status_response(
                StatusCode::CONFLICT,
                "AlreadyExists",
                "events already exists",
            );
        }
        st.objects.insert(key, event.clone());
        (
            StatusCode::CREATED,
            json_response(StatusCode::CREATED, &event),
        )
    }
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    match reqwest::Url::parse(&format!("http://fake/?{q}")) {
        Ok(u) => u
            .query_pairs()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

fn status_response(status: StatusCode, reason: &str, message: &str) -> (StatusCode, Response) {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": status.as_u16()});
    (status, json_response(status, &body))
}

/// A short view of requests for failure messages.
pub fn summary(reqs: &[Recorded]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {} {:?} -> {}", r.method, r.path, r.query, r.status))
        .collect()
}

/// A VMRule manifest.
pub fn vmrule(ns: &str, name: &str, labels: Value, groups: Value) -> Value {
    json!({"apiVersion": "operator.victoriametrics.com/v1beta1", "kind": "VMRule",
        "metadata": {"namespace": ns, "name": name, "labels": labels}, "spec": {"groups": groups}})
}

/// A PrometheusRule manifest.
pub fn prometheusrule(ns: &str, name: &str, labels: Value, groups: Value) -> Value {
    json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"namespace": ns, "name": name, "labels": labels}, "spec": {"groups": groups}})
}

/// A Namespace manifest.
pub fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}
