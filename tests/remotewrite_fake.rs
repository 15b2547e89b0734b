//! Remote write against a scripted fake receiver on 127.0.0.1 port 0: headers, body, retry and drop policy,
//! queue limits, shutdown and concurrency. Assertions are on what the receiver got and on the writer's counters,
//! never on timing, except upper bounds on shutdown.

mod common_rw;

use common_rw::{FakeReceiver, eventually};
use std::collections::BTreeMap;
use std::time::Duration;
use tocsin::remotewrite::{
    Auth, DropReason, RemoteWriteSettings, RemoteWriter, Secret, to_write_request,
};
use tocsin::rule::labels::from_pairs;
use tocsin::rule::{STALE_NAN, Sample};

const WAIT: Duration = Duration::from_secs(20);

fn sample(series: &str, value: f64, timestamp_ms: i64) -> Sample {
    Sample {
        labels: from_pairs(&[("__name__", "rw_fake"), ("series", series)]).into(),
        value,
        timestamp_ms,
    }
}

fn samples(n: usize) -> Vec<Sample> {
    (0..n)
        .map(|i| {
            sample(
                &format!("s{}", i % 3),
                i as f64,
                1_700_000_000_000 + i as i64,
            )
        })
        .collect()
}

/// Fast settings for tests: short flushes and backoff.
fn settings(url: String) -> RemoteWriteSettings {
    RemoteWriteSettings {
        concurrency: 1,
        flush_interval: Duration::from_millis(50),
        retry_min_interval: Duration::from_millis(10),
        retry_max_time: Duration::from_secs(5),
        send_timeout: Duration::from_secs(5),
        ..RemoteWriteSettings::new(url)
    }
}

/// Settings under which nothing is sent before shutdown: no full batch, no flush tick.
fn idle_settings(url: String) -> RemoteWriteSettings {
    RemoteWriteSettings {
        flush_interval: Duration::from_secs(3600),
        max_batch_size: 1_000_000,
        ..settings(url)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_has_protocol_headers_auth_and_the_exact_body() {
    let fake = FakeReceiver::start(&[], None).await;
    let writer = RemoteWriter::new(RemoteWriteSettings {
        auth: Auth::Bearer(Secret::Inline("t0ken".into())),
        headers: vec![("X-Scope-OrgID".into(), Secret::Inline("tenant-1".into()))],
        ..settings(fake.url() + "/insert/0/prometheus")
    })
    .unwrap();
    let sent = vec![
        sample("a", 0.1 + 0.2, 1_700_000_000_000),
        sample("b", f64::NAN, 1_700_000_000_000),
        sample("a", f64::NEG_INFINITY, 1_700_000_001_000),
        sample("b", STALE_NAN, 1_700_000_002_000),
        sample("c", f64::INFINITY, -1),
    ];
    writer.push(sent.clone()).unwrap();
    let req = eventually(WAIT, "one request", || async {
        fake.requests().first().cloned()
    })
    .await;

    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/insert/0/prometheus/api/v1/write");
    assert_eq!(req.header("content-encoding"), Some("snappy"));
    assert_eq!(req.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(
        req.header("x-prometheus-remote-write-version"),
        Some("0.1.0")
    );
    assert_eq!(
        req.header("user-agent"),
        Some(concat!("tocsin/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(req.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(req.header("x-scope-orgid"), Some("tenant-1"));

    // The decoded body is what the encoder builds, bit for bit (NaN != NaN, so compare the bits).
    let got = req.decode();
    let want = to_write_request(&sent);
    assert_eq!(got.timeseries.len(), 3);
    for (g, w) in got.timeseries.iter().zip(&want.timeseries) {
        assert_eq!(g.labels, w.labels);
        let bits = |ts: &tocsin::remotewrite::proto::TimeSeries| -> Vec<(u64, i64)> {
            ts.samples
                .iter()
                .map(|s| (s.value.to_bits(), s.timestamp))
                .collect()
        };
        assert_eq!(bits(g), bits(w));
    }
    assert_eq!(
        got.timeseries[1].samples[1].value.to_bits(),
        STALE_NAN.to_bits()
    );
    let report = writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.unsent_rows, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_credentials_become_basic_auth() {
    let fake = FakeReceiver::start(&[], None).await;
    let url = format!("http://user:pass@{}", fake.addr);
    let writer = RemoteWriter::new(settings(url)).unwrap();
    writer.push(samples(1)).unwrap();
    let req = eventually(WAIT, "one request", || async {
        fake.requests().first().cloned()
    })
    .await;
    // base64("user:pass")
    assert_eq!(req.header("authorization"), Some("Basic dXNlcjpwYXNz"));
    assert_eq!(req.path, "/api/v1/write");
    writer.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_5xx_and_429_then_delivers_once() {
    let fake = FakeReceiver::start(&[503, 503, 429], None).await;
    let writer = RemoteWriter::new(settings(fake.url())).unwrap();
    writer.push(samples(5)).unwrap();
    eventually(WAIT, "rows sent", || async {
        (writer.stats().sent_rows == 5).then_some(())
    })
    .await;

    let requests = fake.requests();
    assert_eq!(requests.len(), 4, "three failures, then the success");
    assert!(
        requests.iter().all(|r| r.body == requests[0].body),
        "every attempt sends the same batch"
    );
    let stats = writer.stats();
    assert_eq!(
        (
            stats.requests,
            stats.retries,
            stats.dropped_rows,
            stats.errors
        ),
        (4, 3, 0, 0)
    );
    writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!(fake.request_count(), 4, "nothing sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_4xx_drops_the_batch_without_retry() {
    let fake = FakeReceiver::start(&[400], None).await;
    let writer = RemoteWriter::new(settings(fake.url())).unwrap();
    writer.push(samples(3)).unwrap();
    eventually(WAIT, "rows dropped", || async {
        (writer.stats().dropped_rows == 3).then_some(())
    })
    .await;
    // The drop is decided after the last attempt, so a retry would already show here.
    assert_eq!(fake.request_count(), 1);
    let stats = writer.stats();
    assert_eq!((stats.sent_rows, stats.errors, stats.retries), (0, 1, 0));

    // The writer carries on with the next batch.
    writer.push(samples(2)).unwrap();
    eventually(WAIT, "next rows sent", || async {
        (writer.stats().sent_rows == 2).then_some(())
    })
    .await;
    writer.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_errors_are_retried_within_the_budget_then_dropped() {
    // A port that was free a moment ago: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let writer = RemoteWriter::new(RemoteWriteSettings {
        // Delays 10 + 20 ms fit in 50 ms, the next 40 would not: three attempts in all.
        retry_min_interval: Duration::from_millis(10),
        retry_max_time: Duration::from_millis(50),
        ..settings(format!("http://127.0.0.1:{port}"))
    })
    .unwrap();
    writer.push(samples(4)).unwrap();
    eventually(WAIT, "rows dropped", || async {
        (writer.stats().dropped_rows == 4).then_some(())
    })
    .await;
    let stats = writer.stats();
    assert_eq!(
        (stats.requests, stats.retries, stats.errors, stats.sent_rows),
        (3, 2, 1, 0)
    );
    writer.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_drops_and_counts_without_blocking() {
    let fake = FakeReceiver::start(&[], None).await;
    let writer = RemoteWriter::new(RemoteWriteSettings {
        max_queue_size: 5,
        ..idle_settings(fake.url())
    })
    .unwrap();
    writer.push(samples(3)).unwrap();
    let err = writer.push(samples(4)).unwrap_err();
    assert_eq!(err.rows, 2);
    assert_eq!(err.reason, DropReason::QueueFull { capacity: 5 });
    let stats = writer.stats();
    assert_eq!((stats.pushes, stats.dropped_rows, stats.errors), (2, 2, 1));

    let report = writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!((report.flushed_rows, report.unsent_rows), (5, 0));
    let rows: usize = fake.requests().iter().map(|r| r.rows()).sum();
    assert_eq!(rows, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_pending_batches_within_the_bound() {
    let fake = FakeReceiver::start(&[], None).await;
    let writer = RemoteWriter::new(RemoteWriteSettings {
        concurrency: 2,
        max_batch_size: 1_000_000,
        ..idle_settings(fake.url())
    })
    .unwrap();
    let handle = writer.handle();
    handle.push(samples(10)).unwrap();
    handle.push(samples(7)).unwrap();
    assert_eq!(handle.queue_len(), 17);
    assert_eq!(fake.request_count(), 0, "nothing is due before shutdown");

    let report = writer.shutdown(Duration::from_secs(10)).await;
    assert_eq!(
        (report.flushed_rows, report.unsent_rows, report.clean),
        (17, 0, true)
    );
    let rows: usize = fake.requests().iter().map(|r| r.rows()).sum();
    assert_eq!(rows, 17);
    assert_eq!(
        handle.push(samples(1)).unwrap_err().reason,
        DropReason::Closed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_deadline_cuts_retries_and_reports_unsent_rows() {
    let fake = FakeReceiver::start(&[], Some(503)).await;
    let writer = RemoteWriter::new(RemoteWriteSettings {
        retry_max_time: Duration::from_secs(3600),
        ..idle_settings(fake.url())
    })
    .unwrap();
    writer.push(samples(6)).unwrap();
    let started = std::time::Instant::now();
    let report = writer.shutdown(Duration::from_millis(300)).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown took {took:?}");
    assert_eq!(
        (report.flushed_rows, report.unsent_rows, report.clean),
        (0, 6, true)
    );
    assert!(fake.request_count() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_deliver_every_sample_exactly_once() {
    let fake = FakeReceiver::start(&[503, 500], None).await;
    let writer = RemoteWriter::new(RemoteWriteSettings {
        concurrency: 4,
        max_batch_size: 7,
        ..settings(fake.url())
    })
    .unwrap();
    let handle = writer.handle();
    let mut want: BTreeMap<(String, i64), u64> = BTreeMap::new();
    for chunk in 0..20 {
        let batch: Vec<Sample> = (0..50)
            .map(|i| {
                sample(
                    &format!("s{}", i % 5),
                    f64::from(i),
                    chunk * 1000 + i64::from(i),
                )
            })
            .collect();
        for s in &batch {
            want.insert(
                (s.labels["series"].to_string(), s.timestamp_ms),
                s.value.to_bits(),
            );
        }
        handle.push(batch).unwrap();
    }
    eventually(WAIT, "all rows sent", || async {
        (writer.stats().sent_rows == 1000).then_some(())
    })
    .await;
    let report = writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.unsent_rows, 0);

    // Every sample arrives in exactly one acknowledged request (the two failed attempts are resent as they were).
    let mut got: BTreeMap<(String, i64), u64> = BTreeMap::new();
    let mut delivered = 0;
    let requests = fake.requests();
    for r in requests.iter().skip(2) {
        for ts in r.decode().timeseries {
            let series = ts
                .labels
                .iter()
                .find(|l| l.name == "series")
                .unwrap()
                .value
                .clone();
            for s in ts.samples {
                delivered += 1;
                assert!(
                    got.insert((series.clone(), s.timestamp), s.value.to_bits())
                        .is_none(),
                    "duplicate"
                );
            }
        }
    }
    assert_eq!(delivered, 1000);
    assert_eq!(got, want);
    assert!(requests.len() >= 1000 / 7 + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_batches_go_at_once_and_the_rest_waits_for_the_flush() {
    let fake = FakeReceiver::start(&[], None).await;
    let writer = RemoteWriter::new(RemoteWriteSettings {
        max_batch_size: 10,
        ..idle_settings(fake.url())
    })
    .unwrap();
    writer.push(samples(25)).unwrap();
    eventually(WAIT, "two full batches", || async {
        (writer.stats().sent_rows == 20).then_some(())
    })
    .await;
    let sizes: Vec<usize> = fake.requests().iter().map(|r| r.rows()).collect();
    assert_eq!(sizes, vec![10, 10]);
    assert_eq!(writer.handle().queue_len(), 5);

    let report = writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!((report.flushed_rows, report.unsent_rows), (5, 0));
    let sizes: Vec<usize> = fake.requests().iter().map(|r| r.rows()).collect();
    assert_eq!(sizes, vec![10, 10, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_files_are_read_per_request_so_rotation_is_picked_up() {
    let fake = FakeReceiver::start(&[], None).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "first\n").unwrap();
    let writer = RemoteWriter::new(RemoteWriteSettings {
        auth: Auth::Bearer(Secret::File(token.clone())),
        ..settings(fake.url())
    })
    .unwrap();
    writer.push(samples(1)).unwrap();
    eventually(WAIT, "first request", || async {
        (fake.request_count() == 1).then_some(())
    })
    .await;
    std::fs::write(&token, "second").unwrap();
    writer.push(samples(1)).unwrap();
    eventually(WAIT, "second request", || async {
        (fake.request_count() == 2).then_some(())
    })
    .await;
    let auth: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap_or_default().to_string())
        .collect();
    assert_eq!(auth, vec!["Bearer first", "Bearer second"]);

    // An unreadable token file drops the batch without retrying: nothing would change on a retry.
    std::fs::remove_file(&token).unwrap();
    writer.push(samples(2)).unwrap();
    eventually(WAIT, "rows dropped", || async {
        (writer.stats().dropped_rows == 2).then_some(())
    })
    .await;
    assert_eq!(fake.request_count(), 2);
    writer.shutdown(Duration::from_secs(5)).await;
}

#[test]
fn settings_errors_are_reported_at_start() {
    use tocsin::remotewrite::{RemoteWriteError, TlsSettings};
    // Outside a runtime.
    let err = RemoteWriter::new(RemoteWriteSettings::new("http://127.0.0.1:1"))
        .err()
        .unwrap();
    assert!(matches!(err, RemoteWriteError::NoRuntime), "{err}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let start = |s: RemoteWriteSettings| RemoteWriter::new(s).err().map(|e| e.to_string());
    assert!(
        start(RemoteWriteSettings::new("not a url"))
            .unwrap()
            .contains("-remoteWrite.url")
    );
    let bad_header = RemoteWriteSettings {
        headers: vec![("Bad Header".into(), Secret::Inline("v".into()))],
        ..RemoteWriteSettings::new("http://127.0.0.1:1")
    };
    assert!(start(bad_header).unwrap().contains("header name"));
    let half_tls = RemoteWriteSettings {
        tls: TlsSettings {
            cert_file: Some("/nonexistent/cert.pem".into()),
            ..TlsSettings::default()
        },
        ..RemoteWriteSettings::new("https://127.0.0.1:1")
    };
    assert!(start(half_tls).unwrap().contains("must be set together"));
    let missing_ca = RemoteWriteSettings {
        tls: TlsSettings {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..TlsSettings::default()
        },
        ..RemoteWriteSettings::new("https://127.0.0.1:1")
    };
    assert!(
        start(missing_ca)
            .unwrap()
            .contains("-remoteWrite.tlsCAFile")
    );
}

#[tokio::test]
async fn tls_files_are_loaded() {
    // A self-signed certificate and key made with openssl, used both as the trusted CA and as the client identity.
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=tocsin-test",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl is installed");
    assert!(status.success());
    let tls = tocsin::remotewrite::TlsSettings {
        ca_file: Some(cert.clone()),
        cert_file: Some(cert.clone()),
        key_file: Some(key.clone()),
        insecure_skip_verify: false,
    };
    let writer = RemoteWriter::new(RemoteWriteSettings {
        tls,
        ..settings("https://127.0.0.1:1".into())
    });
    writer.unwrap().shutdown(Duration::from_secs(1)).await;

    // A file that is not PEM is refused at start.
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let tls = tocsin::remotewrite::TlsSettings {
        cert_file: Some(garbage.clone()),
        key_file: Some(garbage),
        ..Default::default()
    };
    let err = RemoteWriter::new(RemoteWriteSettings {
        tls,
        ..settings("https://127.0.0.1:1".into())
    })
    .err();
    assert!(err.is_some_and(|e| e.to_string().contains("TLS")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_durations_do_not_overflow() {
    let fake = FakeReceiver::start(&[], None).await;
    let writer = RemoteWriter::new(RemoteWriteSettings {
        flush_interval: Duration::MAX,
        retry_max_time: Duration::MAX,
        send_timeout: Duration::MAX,
        ..settings(fake.url())
    })
    .unwrap();
    writer.push(samples(3)).unwrap();
    let report = writer.shutdown(Duration::MAX).await;
    assert_eq!((report.flushed_rows, report.unsent_rows), (3, 0));
}

/// A queue that records how the writer settles each batch: the contract a durable queue relies on.
struct SettleRecorder {
    inner: tocsin::remotewrite::MemoryQueue,
    settled: std::sync::Mutex<Vec<(u64, tocsin::remotewrite::Outcome)>>,
}

impl tocsin::remotewrite::SampleQueue for SettleRecorder {
    fn push(&self, samples: Vec<Sample>) -> Result<(), tocsin::remotewrite::Dropped> {
        self.inner.push(samples)
    }
    fn take(&self, max: usize) -> Option<tocsin::remotewrite::Batch> {
        self.inner.take(max)
    }
    fn settle(&self, id: u64, outcome: tocsin::remotewrite::Outcome) {
        self.settled.lock().unwrap().push((id, outcome));
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn close(&self) {
        self.inner.close()
    }
    fn wait_for(&self, min_len: usize) -> tocsin::remotewrite::queue::BoxFuture<'_, ()> {
        self.inner.wait_for(min_len)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_batch_is_settled_once_with_its_outcome() {
    use tocsin::remotewrite::Outcome;
    let recorder = || {
        std::sync::Arc::new(SettleRecorder {
            inner: tocsin::remotewrite::MemoryQueue::new(100),
            settled: std::sync::Mutex::new(Vec::new()),
        })
    };

    // Rejected (400), then delivered.
    let fake = FakeReceiver::start(&[400], None).await;
    let queue = recorder();
    let writer = RemoteWriter::with_queue(settings(fake.url()), queue.clone()).unwrap();
    writer.push(samples(3)).unwrap();
    eventually(WAIT, "first batch settled", || async {
        (queue.settled.lock().unwrap().len() == 1).then_some(())
    })
    .await;
    writer.push(samples(3)).unwrap();
    eventually(WAIT, "second batch settled", || async {
        (queue.settled.lock().unwrap().len() == 2).then_some(())
    })
    .await;
    writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!(
        *queue.settled.lock().unwrap(),
        vec![(0, Outcome::Rejected), (1, Outcome::Delivered)]
    );

    // Abandoned at the shutdown deadline: the one in flight and the ones never taken.
    let fake = FakeReceiver::start(&[], Some(503)).await;
    let queue = recorder();
    let writer = RemoteWriter::with_queue(
        RemoteWriteSettings {
            max_batch_size: 2,
            retry_max_time: Duration::from_secs(3600),
            ..idle_settings(fake.url())
        },
        queue.clone(),
    )
    .unwrap();
    writer.push(samples(5)).unwrap();
    let report = writer.shutdown(Duration::from_millis(200)).await;
    assert_eq!(report.unsent_rows, 5);
    let settled = queue.settled.lock().unwrap().clone();
    assert!(!settled.is_empty());
    assert!(
        settled.iter().all(|(_, o)| *o == Outcome::Abandoned),
        "{settled:?}"
    );
    let mut ids: Vec<u64> = settled.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), settled.len(), "settled once each: {settled:?}");
}
