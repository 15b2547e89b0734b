//! Remote write against a real single-node VictoriaMetrics 1.79 (Debian's `/usr/bin/victoria-metrics`): samples
//! pushed through the writer are read back point by point from `/api/v1/export`.

mod common_rw;

use common_rw::{VictoriaMetrics, eventually};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tocsin::remotewrite::{RemoteWriteSettings, RemoteWriter};
use tocsin::rule::labels::from_pairs;
use tocsin::rule::{STALE_NAN, Sample};

fn sample(name: &str, series: &str, value: f64, timestamp_ms: i64) -> Sample {
    Sample {
        labels: from_pairs(&[("__name__", name), ("series", series), ("job", "rw-test")]).into(),
        value,
        timestamp_ms,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_round_trip_through_victoria_metrics() {
    let vm = VictoriaMetrics::start().await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let t0 = now - 120_000;
    let samples = vec![
        sample("rw_a", "one", 1.0, t0),
        sample("rw_a", "one", 0.1 + 0.2, t0 + 15_000),
        sample("rw_a", "one", 1.2345678901234567e-7, t0 + 30_000),
        sample("rw_a", "two", f64::NAN, t0),
        sample("rw_a", "two", f64::INFINITY, t0 + 15_000),
        sample("rw_a", "two", f64::NEG_INFINITY, t0 + 30_000),
        sample("rw_b", "three", 42.0, t0),
        sample("rw_b", "three", STALE_NAN, t0 + 15_000),
    ];
    let writer = RemoteWriter::new(RemoteWriteSettings {
        flush_interval: Duration::from_millis(100),
        ..RemoteWriteSettings::new(&vm.url)
    })
    .unwrap();
    writer.push(samples).unwrap();
    let report = writer.shutdown(Duration::from_secs(10)).await;
    assert_eq!(report.unsent_rows, 0, "{report:?}");

    let exported = eventually(Duration::from_secs(30), "exported points", || async {
        let series = vm.export(r#"{__name__=~"rw_.*",job="rw-test"}"#).await;
        let points: usize = series
            .iter()
            .map(|s| s["timestamps"].as_array().map_or(0, |a| a.len()))
            .sum();
        (series.len() == 3 && points >= 7).then_some(series)
    })
    .await;
    let by_series = |name: &str| -> &serde_json::Value {
        exported
            .iter()
            .find(|s| s["metric"]["series"] == name)
            .unwrap_or_else(|| panic!("series {name} missing from {exported:?}"))
    };
    let timestamps = |s: &serde_json::Value| -> Vec<i64> {
        s["timestamps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_i64().unwrap())
            .collect()
    };

    // Labels arrive as sent.
    assert_eq!(
        by_series("one")["metric"],
        serde_json::json!({"__name__": "rw_a", "series": "one", "job": "rw-test"})
    );

    // Timestamps are exact. Values are exact where a decimal of about 12 significant digits holds them: VM
    // stores values as a decimal mantissa and exponent, so 0.1+0.2 reads back as 0.3 and
    // 1.2345678901234567e-7 as 1.23456789012e-7 (we send the bits unchanged: see remotewrite_fake.rs).
    let one = by_series("one");
    assert_eq!(timestamps(one), vec![t0, t0 + 15_000, t0 + 30_000]);
    let values: Vec<f64> = one["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(values, vec![1.0, 0.3, 1.23456789012e-7]);
    for (got, sent) in values.iter().zip([1.0, 0.1 + 0.2, 1.2345678901234567e-7]) {
        assert!(((got - sent) / sent).abs() < 1e-11, "{got} vs {sent}");
    }

    // ±Inf are kept; a plain NaN is dropped by VM 1.79 at ingestion (no point at t0).
    let two = by_series("two");
    assert_eq!(timestamps(two), vec![t0 + 15_000, t0 + 30_000]);
    assert_eq!(two["values"], serde_json::json!(["+Inf", "-Inf"]));

    // The staleness marker is stored as a point of its own and exported as null.
    let three = by_series("three");
    assert_eq!(timestamps(three), vec![t0, t0 + 15_000]);
    assert_eq!(three["values"], serde_json::json!([42, null]));

    // And queries treat it as the end of the series: present before the marker, absent after it.
    let at = |ms: i64| vm.query(r#"rw_b{job="rw-test"}"#, ms);
    assert_eq!(
        at(t0 + 5_000).await,
        vec![(String::from("three"), String::from("42"))]
    );
    assert_eq!(at(t0 + 20_000).await, vec![]);
}
