//! A background task that reads `GET /api/v2/alerts` of every live Alertmanager peer at a fixed pace and keeps
//! what each peer listed. Alertmanager 0.25 leaves resolved alerts out of that list, so "listed" means "firing
//! there". The drill marks a peer dead before killing it and live again once it has rejoined the cluster.

use crate::peers::{client, now_ms};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one peer listed at one moment.
#[derive(Debug, Clone)]
pub struct Observation {
    pub at_ms: i64,
    pub peer: usize,
    pub listed: BTreeSet<String>,
}

pub struct Watch {
    live: Arc<Vec<AtomicBool>>,
    seen: Arc<Mutex<Vec<Observation>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watch {
    /// Starts polling `urls` (all live) every `every`.
    pub fn start(urls: Vec<String>, every: Duration) -> Watch {
        let live = Arc::new(
            urls.iter()
                .map(|_| AtomicBool::new(true))
                .collect::<Vec<_>>(),
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (l, s) = (live.clone(), seen.clone());
        let task = tokio::spawn(async move {
            let c = client();
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tick.tick().await;
                let reads = urls.iter().enumerate().map(|(peer, url)| {
                    let (c, l) = (c.clone(), l.clone());
                    async move {
                        if !l[peer].load(Ordering::SeqCst) {
                            return None;
                        }
                        let r = c.get(format!("{url}/api/v2/alerts")).send().await.ok()?;
                        let v: serde_json::Value =
                            serde_json::from_slice(&r.bytes().await.ok()?).ok()?;
                        // The peer may have been killed while we waited for the answer.
                        if !l[peer].load(Ordering::SeqCst) {
                            return None;
                        }
                        let listed = v
                            .as_array()?
                            .iter()
                            .filter_map(|a| a["labels"]["alertname"].as_str())
                            .map(str::to_string)
                            .collect();
                        Some(Observation {
                            at_ms: now_ms(),
                            peer,
                            listed,
                        })
                    }
                });
                let got = futures_util::future::join_all(reads).await;
                s.lock().expect("lock").extend(got.into_iter().flatten());
            }
        });
        Watch { live, seen, task }
    }

    pub fn set_live(&self, peer: usize, live: bool) {
        self.live[peer].store(live, Ordering::SeqCst);
    }

    pub fn observations(&self) -> Vec<Observation> {
        self.seen.lock().expect("lock").clone()
    }
}
