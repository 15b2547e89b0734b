//! The remote writer: owns the queue and the worker tasks that batch, encode and send, and shuts them down within
//! a deadline.
//!
//! Each of `concurrency` workers wakes when a full batch (`max_batch_size` samples) waits or when its flush timer
//! fires (every `flush_interval`, the workers' timers spread evenly over the interval), takes one batch, encodes it
//! and sends it with retries. A batch is sent once: delivered, or dropped and counted. The writer knows nothing
//! about rules; evaluation hands it samples through a [`RemoteWriteHandle`], which never blocks.
//!
//! Over a durable queue ([`SampleQueue::durable`]) the writer sends in order: one worker, batches paced by
//! `-remoteWrite.maxRowsPerSecond`, retryable failures retried until they succeed or shutdown comes (the batch then
//! stays queued for the next start), and a syncer task that fsyncs the queue every second.

use super::client::HttpSender;
use super::config::{Auth, RemoteWriteSettings, Secret};
use super::disk::{DiskLimits, DiskQueue, DiskQueueError};
use super::encode;
use super::queue::{Batch, DiskUsage, Dropped, MemoryQueue, Outcome, SampleQueue};
use super::rate::RateLimiter;
use super::stats::{RemoteWriteStats, StatsSnapshot};
use crate::rule::Sample;
use reqwest::header::HeaderName;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

/// How long shutdown waits, past its deadline, for workers to notice it before aborting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// Durations are capped here so that adding them to `Instant::now()` cannot overflow.
const MAX_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);
/// How often a durable queue is fsynced: the most a power cut can lose.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Why the writer could not start.
#[derive(Debug, thiserror::Error)]
pub enum RemoteWriteError {
    #[error("invalid -remoteWrite.url: {0}")]
    Url(String),
    #[error("invalid remote-write header name {0:?}")]
    HeaderName(String),
    #[error("cannot read {what} {path}: {source}")]
    ReadFile {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid remote-write TLS settings: {0}")]
    Tls(String),
    #[error("cannot build the remote-write HTTP client: {0}")]
    Client(String),
    #[error("the remote writer must be started inside a tokio runtime")]
    NoRuntime,
    #[error(transparent)]
    Queue(#[from] DiskQueueError),
}

/// What shutdown could and could not send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Samples delivered between the start of shutdown and its end.
    pub flushed_rows: u64,
    /// Samples dropped during shutdown: not sent before the deadline, rejected, or retries exhausted.
    pub unsent_rows: u64,
    /// Samples left in a durable queue for the next start (0 for the memory queue).
    pub kept_rows: u64,
    /// True when every worker stopped by itself within the deadline (plus a short grace).
    pub clean: bool,
}

/// The cheap, cloneable side evaluation uses.
#[derive(Clone)]
pub struct RemoteWriteHandle {
    queue: Arc<dyn SampleQueue>,
    stats: Arc<RemoteWriteStats>,
}

impl RemoteWriteHandle {
    /// Queues samples for sending. Never blocks: what does not fit is dropped, counted and returned.
    pub fn push(&self, samples: Vec<Sample>) -> Result<(), Dropped> {
        RemoteWriteStats::add(&self.stats.pushes, 1);
        let result = self.queue.push(samples);
        if let Err(dropped) = &result {
            RemoteWriteStats::add(&self.stats.dropped_rows, dropped.rows);
            RemoteWriteStats::add(&self.stats.errors, 1);
        }
        result
    }

    /// The counters, shared with the workers.
    pub fn stats(&self) -> &Arc<RemoteWriteStats> {
        &self.stats
    }

    /// Samples waiting in the queue.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// What a durable queue holds on disk; `None` for the memory queue.
    pub fn disk_usage(&self) -> Option<DiskUsage> {
        self.queue.disk_usage()
    }
}

/// The running writer. Dropping it without [`RemoteWriter::shutdown`] closes the queue and aborts the workers.
pub struct RemoteWriter {
    handle: RemoteWriteHandle,
    workers: JoinSet<()>,
    stop: watch::Sender<Option<Instant>>,
    endpoint: String,
    /// Rows taken by workers and not yet settled: lost if a worker has to be aborted.
    in_flight: Arc<AtomicU64>,
}

impl RemoteWriter {
    /// Starts the workers with the durable queue of `settings.disk_queue` when set (opening it blocks while it
    /// is scanned), otherwise with vmalert's in-memory queue of `max_queue_size` samples.
    pub fn new(settings: RemoteWriteSettings) -> Result<Self, RemoteWriteError> {
        let stats = Arc::new(RemoteWriteStats::default());
        let queue: Arc<dyn SampleQueue> = match &settings.disk_queue {
            Some(d) => Arc::new(DiskQueue::open(
                &d.path,
                DiskLimits::new(d.max_bytes, settings.max_batch_size),
                stats.clone(),
            )?),
            None => Arc::new(MemoryQueue::new(settings.max_queue_size)),
        };
        Self::start(settings, queue, stats)
    }

    /// Starts the workers over any queue.
    pub fn with_queue(
        settings: RemoteWriteSettings,
        queue: Arc<dyn SampleQueue>,
    ) -> Result<Self, RemoteWriteError> {
        Self::start(settings, queue, Arc::new(RemoteWriteStats::default()))
    }

    fn start(
        settings: RemoteWriteSettings,
        queue: Arc<dyn SampleQueue>,
        stats: Arc<RemoteWriteStats>,
    ) -> Result<Self, RemoteWriteError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| RemoteWriteError::NoRuntime)?;
        let (endpoint, auth) = endpoint(&settings)?;
        let headers = settings
            .headers
            .iter()
            .map(|(name, value)| {
                HeaderName::from_bytes(name.as_bytes())
                    .map(|n| (n, value.clone()))
                    .map_err(|_| RemoteWriteError::HeaderName(name.clone()))
            })
            .collect::<Result<Vec<(HeaderName, Secret)>, _>>()?;
        let client = http_client(&settings)?;
        let sender = Arc::new(HttpSender::new(
            client,
            endpoint,
            auth,
            &settings,
            headers,
            stats.clone(),
        ));
        let shown = sender.endpoint().to_string();

        let (stop, _) = watch::channel(None);
        let in_flight = Arc::new(AtomicU64::new(0));
        let durable = queue.durable();
        // In order over a durable queue: one batch at a time, so each series arrives in timestamp order.
        let concurrency = if durable {
            1
        } else {
            settings.concurrency.max(1)
        };
        let limiter = settings
            .disk_queue
            .as_ref()
            .filter(|_| durable)
            .and_then(|d| RateLimiter::new(d.max_rows_per_second));
        let mut workers = JoinSet::new();
        if durable {
            workers.spawn_on(syncer(queue.clone(), stop.subscribe()), &runtime);
        }
        let flush_interval = settings
            .flush_interval
            .clamp(Duration::from_millis(1), MAX_WAIT);
        for id in 0..concurrency {
            let worker = Worker {
                queue: queue.clone(),
                sender: sender.clone(),
                stats: stats.clone(),
                max_batch: settings.max_batch_size.max(1),
                flush_interval,
                // Spread the workers' flushes evenly over the interval, as vmalert's per-worker jitter does.
                first_flush: flush_interval.mul_f64((id + 1) as f64 / concurrency as f64),
                stop: stop.subscribe(),
                in_flight: in_flight.clone(),
                durable,
                limiter: limiter.clone(),
            };
            workers.spawn_on(worker.run(), &runtime);
        }
        tracing::info!(endpoint = %shown, concurrency, durable, max_queue_size = settings.max_queue_size,
            max_batch_size = settings.max_batch_size, "remote write started");
        Ok(RemoteWriter {
            handle: RemoteWriteHandle { queue, stats },
            workers,
            stop,
            endpoint: shown,
            in_flight,
        })
    }

    /// A cloneable handle for the evaluators.
    pub fn handle(&self) -> RemoteWriteHandle {
        self.handle.clone()
    }

    /// See [`RemoteWriteHandle::push`].
    pub fn push(&self, samples: Vec<Sample>) -> Result<(), Dropped> {
        self.handle.push(samples)
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.handle.stats.snapshot()
    }

    /// Stops accepting samples, sends what is queued until `within` has passed, and reports what was lost.
    /// In-flight retries are cut at the deadline; whatever is still queued then is dropped (a durable queue keeps
    /// it: see [`Outcome::Abandoned`]).
    pub async fn shutdown(mut self, within: Duration) -> ShutdownReport {
        let before = self.handle.stats.snapshot();
        let deadline = Instant::now() + within.min(MAX_WAIT);
        self.stop.send_replace(Some(deadline));
        self.handle.queue.close();
        let mut workers = std::mem::take(&mut self.workers);
        let joined = tokio::time::timeout_at(deadline + SHUTDOWN_GRACE, async {
            // Bounded by the number of workers.
            while workers.join_next().await.is_some() {}
        })
        .await;
        let clean = joined.is_ok();
        let stats = &self.handle.stats;
        let durable = self.handle.queue.durable();
        if !clean {
            workers.abort_all();
            // Bounded by the number of workers; waits only for the aborts to land.
            while workers.join_next().await.is_some() {}
            let in_flight = self.in_flight.swap(0, Ordering::Relaxed) as usize;
            if !durable {
                RemoteWriteStats::add(&stats.dropped_rows, in_flight);
            }
        }
        // Whatever is left was not sent in time: a durable queue keeps it; the memory queue drops it (`take`
        // empties a closed queue, so this ends).
        while !durable && let Some(batch) = self.handle.queue.take(usize::MAX) {
            RemoteWriteStats::add(&stats.dropped_rows, batch.samples.len());
            self.handle.queue.settle(batch.id, Outcome::Abandoned);
        }
        let after = stats.snapshot();
        let report = ShutdownReport {
            flushed_rows: after.sent_rows - before.sent_rows,
            unsent_rows: after.dropped_rows - before.dropped_rows,
            kept_rows: self.handle.queue.disk_usage().map_or(0, |d| d.rows),
            clean,
        };
        if report.kept_rows > 0 {
            tracing::info!(endpoint = %self.endpoint, kept_rows = report.kept_rows,
                "remote write shut down; unsent samples stay in the disk queue for the next start");
        }
        if report.unsent_rows > 0 {
            tracing::warn!(endpoint = %self.endpoint, unsent_rows = report.unsent_rows,
                flushed_rows = report.flushed_rows, "remote write shut down with unsent samples");
        } else {
            tracing::info!(endpoint = %self.endpoint, flushed_rows = report.flushed_rows, "remote write shut down");
        }
        report
    }
}

impl Drop for RemoteWriter {
    fn drop(&mut self) {
        // The JoinSet aborts the workers when dropped; closing makes later pushes fail fast instead of filling up.
        self.handle.queue.close();
    }
}

/// One sending task.
struct Worker {
    queue: Arc<dyn SampleQueue>,
    sender: Arc<HttpSender>,
    stats: Arc<RemoteWriteStats>,
    max_batch: usize,
    flush_interval: Duration,
    first_flush: Duration,
    stop: watch::Receiver<Option<Instant>>,
    in_flight: Arc<AtomicU64>,
    /// Over a durable queue: retry until shutdown, keep what is unsent.
    durable: bool,
    limiter: Option<RateLimiter>,
}

/// Fsyncs a durable queue every [`SYNC_INTERVAL`] until shutdown (the queue syncs itself on close).
async fn syncer(queue: Arc<dyn SampleQueue>, mut stop: watch::Receiver<Option<Instant>>) {
    let mut tick = tokio::time::interval(SYNC_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Runs until shutdown; each turn syncs once.
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let q = queue.clone();
                let _ = tokio::task::spawn_blocking(move || q.sync()).await;
            }
            changed = stop.changed() => {
                if changed.is_err() || stop.borrow().is_some() {
                    return;
                }
            }
        }
    }
}

impl Worker {
    async fn run(mut self) {
        let mut flush =
            tokio::time::interval_at(Instant::now() + self.first_flush, self.flush_interval);
        flush.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Runs until shutdown; each turn sends at most one batch.
        loop {
            if self.stop.borrow().is_some() {
                break;
            }
            tokio::select! {
                _ = self.queue.wait_for(self.max_batch) => {}
                _ = flush.tick() => {}
                changed = self.stop.changed() => {
                    if changed.is_err() {
                        return; // The writer is gone without a shutdown: nothing to flush to.
                    }
                    continue;
                }
            }
            if let Some(batch) = self.queue.take(self.max_batch) {
                self.deliver(batch, false).await;
            }
        }
        // Shutdown: the queue is closed, so draining ends; the deadline cuts it short, and so does a durable
        // queue's first failure (what is left stays on disk).
        let deadline = *self.stop.borrow();
        while deadline.is_none_or(|d| Instant::now() < d) {
            let Some(batch) = self.queue.take(self.max_batch) else {
                break;
            };
            if !self.deliver(batch, true).await {
                break;
            }
        }
    }

    /// Encodes and sends one batch and settles it; false when draining should stop.
    async fn deliver(&mut self, batch: Batch, draining: bool) -> bool {
        let rows = batch.samples.len();
        self.in_flight.fetch_add(rows as u64, Ordering::Relaxed);
        let go_on = self.send_batch(batch, draining).await;
        self.in_flight.fetch_sub(rows as u64, Ordering::Relaxed);
        go_on
    }

    /// Sends one batch. The memory queue's batch gets `send`'s bounded retries, cut at the shutdown deadline.
    /// A durable queue's batch is retried until acknowledged; once shutdown begins it gets one last attempt
    /// (within the deadline) and, if that fails, stays on disk.
    async fn send_batch(&mut self, batch: Batch, mut draining: bool) -> bool {
        let rows = batch.samples.len();
        if rows == 0 {
            // Only a durable queue whose records could not be read back hands out an empty batch (counted there).
            self.queue.settle(batch.id, Outcome::Rejected);
            return true;
        }
        let body = match encode::encode(&batch.samples) {
            Ok(body) => body,
            Err(e) => {
                self.give_up(batch.id, rows, Outcome::Rejected, &e.to_string());
                return true;
            }
        };
        let wait = self
            .limiter
            .as_mut()
            .map_or(Duration::ZERO, |l| l.reserve(Instant::now(), rows as u64));
        // At most two turns: the second only for a durable batch interrupted by the start of shutdown.
        for _ in 0..2 {
            let mut stop = self.stop.clone();
            let (sender, durable, body) = (&self.sender, self.durable, &body);
            let attempt = async move {
                if !wait.is_zero() && !draining {
                    tokio::time::sleep(wait).await;
                }
                let sent = match (durable, draining) {
                    (true, false) => sender.send_until_acknowledged(body).await,
                    (true, true) => sender.send_once(body).await,
                    (false, _) => sender.send(body).await,
                };
                sent.map(|()| body.len())
            };
            let cut = async move {
                if durable && !draining {
                    stop_requested(&mut stop).await;
                } else {
                    reached_deadline(&mut stop).await;
                }
            };
            let outcome = tokio::select! {
                result = attempt => Some(result),
                _ = cut => None,
            };
            match outcome {
                Some(Ok(bytes)) => {
                    RemoteWriteStats::add(&self.stats.sent_rows, rows);
                    RemoteWriteStats::add(&self.stats.sent_bytes, bytes);
                    self.queue.settle(batch.id, Outcome::Delivered);
                    return true;
                }
                Some(Err(e)) if self.durable && e.is_retryable() => {
                    tracing::info!(endpoint = %self.sender.endpoint(), rows, error = %e,
                        "remote write still failing at shutdown; unsent batches stay in the disk queue");
                    self.queue.settle(batch.id, Outcome::Abandoned);
                    return false;
                }
                Some(Err(e)) => {
                    let why = if e.is_retryable() {
                        format!("retries exhausted (-remoteWrite.retryMaxTime): {e}")
                    } else {
                        format!("not retryable: {e}")
                    };
                    self.give_up(batch.id, rows, Outcome::Rejected, &why);
                    return true;
                }
                None if self.durable && !draining => draining = true,
                None if self.durable => {
                    tracing::info!(endpoint = %self.sender.endpoint(), rows,
                        "remote-write batch not sent before the shutdown deadline; it stays in the disk queue");
                    self.queue.settle(batch.id, Outcome::Abandoned);
                    return false;
                }
                None => {
                    self.give_up(
                        batch.id,
                        rows,
                        Outcome::Abandoned,
                        "shutdown deadline passed",
                    );
                    return true;
                }
            }
        }
        // Reached only if a durable batch saw shutdown start twice, which cannot happen: keep it.
        self.queue.settle(batch.id, Outcome::Abandoned);
        false
    }

    fn give_up(&self, id: u64, rows: usize, outcome: Outcome, why: &str) {
        RemoteWriteStats::add(&self.stats.dropped_rows, rows);
        RemoteWriteStats::add(&self.stats.errors, 1);
        tracing::error!(endpoint = %self.sender.endpoint(), rows, reason = %why, "dropping remote-write batch");
        self.queue.settle(id, outcome);
    }
}

/// Resolves as soon as shutdown has begun; pending forever otherwise.
async fn stop_requested(stop: &mut watch::Receiver<Option<Instant>>) {
    // Each turn waits for a change of the stop value; it changes once (None -> Some).
    loop {
        if stop.borrow_and_update().is_some() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves once shutdown has set a deadline and it has passed; pending forever otherwise.
async fn reached_deadline(stop: &mut watch::Receiver<Option<Instant>>) {
    // Each turn waits for a change of the stop value; it changes once (None -> Some).
    loop {
        let current = *stop.borrow_and_update();
        if let Some(deadline) = current {
            tokio::time::sleep_until(deadline).await;
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The POST URL and the auth to use: `/api/v1/write` appended unless disabled; URL user info becomes basic auth
/// when no other auth is set, and is removed from the URL either way.
fn endpoint(settings: &RemoteWriteSettings) -> Result<(reqwest::Url, Auth), RemoteWriteError> {
    let mut url =
        reqwest::Url::parse(&settings.url).map_err(|e| RemoteWriteError::Url(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(RemoteWriteError::Url(format!(
            "scheme {:?} is not http or https",
            url.scheme()
        )));
    }
    let mut auth = settings.auth.clone();
    if !url.username().is_empty() || url.password().is_some() {
        if matches!(auth, Auth::None) {
            auth = Auth::Basic {
                username: url.username().to_string(),
                password: Secret::Inline(url.password().unwrap_or_default().to_string()),
            };
        }
        // Both succeed on http(s) URLs, checked above.
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    if !settings.disable_path_append {
        let path = format!("{}/api/v1/write", url.path().trim_end_matches('/'));
        url.set_path(&path);
    }
    Ok((url, auth))
}

fn http_client(settings: &RemoteWriteSettings) -> Result<reqwest::Client, RemoteWriteError> {
    let read = |what: &'static str, path: &std::path::Path| {
        std::fs::read(path).map_err(|source| RemoteWriteError::ReadFile {
            what,
            path: path.display().to_string(),
            source,
        })
    };
    let mut builder = reqwest::Client::builder()
        .timeout(settings.send_timeout)
        .user_agent(settings.user_agent.clone())
        .pool_idle_timeout(Duration::from_secs(50));
    let tls = &settings.tls;
    if let Some(ca) = &tls.ca_file {
        let certs = reqwest::Certificate::from_pem_bundle(&read("-remoteWrite.tlsCAFile", ca)?)
            .map_err(|e| RemoteWriteError::Tls(format!("{}: {e}", ca.display())))?;
        builder = builder.tls_certs_only(certs);
    }
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let mut pem = read("-remoteWrite.tlsCertFile", cert)?;
            pem.push(b'\n');
            pem.extend(read("-remoteWrite.tlsKeyFile", key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| RemoteWriteError::Tls(e.to_string()))?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => {
            return Err(RemoteWriteError::Tls(
                "-remoteWrite.tlsCertFile and -remoteWrite.tlsKeyFile must be set together"
                    .to_string(),
            ));
        }
    }
    if tls.insecure_skip_verify {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| RemoteWriteError::Client(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_is_appended_and_credentials_leave_the_url() {
        let s = RemoteWriteSettings::new("http://user:pw@vminsert:8480/insert/0/prometheus/");
        let (url, auth) = endpoint(&s).unwrap();
        assert_eq!(
            url.as_str(),
            "http://vminsert:8480/insert/0/prometheus/api/v1/write"
        );
        assert!(matches!(auth, Auth::Basic { ref username, .. } if username == "user"));

        let s = RemoteWriteSettings {
            disable_path_append: true,
            ..RemoteWriteSettings::new("http://vm:8428/custom/write")
        };
        assert_eq!(
            endpoint(&s).unwrap().0.as_str(),
            "http://vm:8428/custom/write"
        );
        assert!(endpoint(&RemoteWriteSettings::new("ftp://x")).is_err());
    }
}
