//! Test doubles for the group loop: a querier answering from a script and outputs that record what they get.

use crate::config::{Group, LoadOptions, load_text_with_env};
use crate::datasource::{BoxFuture, InstantQuery, Querier, QueryError};
use crate::group::runner::{NotifyBatch, Outputs};
use crate::rule::labels::from_pairs;
use crate::rule::{QueryResult, QuerySample, Sample};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Answers each expression from a script; records the query times and the most queries in flight at once.
#[derive(Default)]
pub struct Scripted {
    pub answers: Mutex<HashMap<String, Result<QueryResult, QueryError>>>,
    pub seen: Mutex<Vec<(String, i64)>>,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl Scripted {
    pub fn set(&self, expr: &str, answer: Result<QueryResult, QueryError>) {
        self.answers
            .lock()
            .expect("lock")
            .insert(expr.to_string(), answer);
    }
}

pub fn series(pairs: &[&[(&str, &str)]], value: f64) -> Result<QueryResult, QueryError> {
    Ok(QueryResult {
        samples: pairs
            .iter()
            .map(|l| QuerySample {
                labels: from_pairs(l).into(),
                value,
                timestamp_ms: 0,
            })
            .collect(),
        ..QueryResult::default()
    })
}

impl Querier for Scripted {
    fn query<'a>(&'a self, q: InstantQuery<'a>) -> BoxFuture<'a, Result<QueryResult, QueryError>> {
        Box::pin(async move {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::task::yield_now().await;
            self.seen
                .lock()
                .expect("lock")
                .push((q.expr.to_string(), q.time_ms));
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            self.answers
                .lock()
                .expect("lock")
                .get(q.expr)
                .cloned()
                .unwrap_or_else(|| series(&[], 0.0))
        })
    }
}

#[derive(Default)]
pub struct Recorder {
    pub written: Mutex<Vec<Sample>>,
    pub notified: Mutex<Vec<NotifyBatch>>,
    pub accept: std::sync::atomic::AtomicBool,
}

impl Outputs for Recorder {
    fn write(&self, samples: Vec<Sample>) {
        self.written.lock().expect("lock").extend(samples);
    }
    fn notify(&self, batch: NotifyBatch) -> BoxFuture<'_, bool> {
        self.notified.lock().expect("lock").push(batch);
        let ok = self.accept.load(Ordering::SeqCst);
        Box::pin(async move { ok })
    }
}

pub fn group(text: &str) -> Arc<Group> {
    let f = load_text_with_env("rules.yml", text, &LoadOptions::default(), |_| None);
    assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
    Arc::new(f.groups.into_iter().next().expect("group"))
}
