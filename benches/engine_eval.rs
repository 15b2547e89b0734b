//! Throughput of the embedded PromQL engine on rule-like expressions over 1,000 series.
//!
//! Run with `cargo bench --bench engine_eval`. Plain `std::time` timing, no harness: prints evaluations per second
//! and milliseconds per evaluation for each expression.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tocsin::promql::engine::{Engine, EngineOptions, Labels, Storage};

const SCRAPE_MS: i64 = 15_000;
const HOUR_MS: i64 = 3_600_000;

fn storage() -> Storage {
    let mut st = Storage::new();
    for job in 0..10 {
        for instance in 0..100 {
            let labels = Labels::new([
                ("__name__", "http_requests_total".to_string()),
                ("job", format!("job-{job}")),
                ("instance", format!("10.0.{job}.{instance}:9100")),
            ]);
            let mut v = 0.0;
            for i in 0..(HOUR_MS / SCRAPE_MS) {
                v += ((i * 7 + instance) % 13) as f64;
                st.add(&labels, i * SCRAPE_MS, v);
            }
        }
    }
    st
}

fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` run each expression once as a smoke test.
    let budget = if std::env::args().any(|a| a == "--bench") {
        Duration::from_secs(2)
    } else {
        Duration::ZERO
    };
    let st = storage();
    let engine = Engine::new(EngineOptions::default());
    let exprs = [
        "sum by (job) (rate(http_requests_total[5m])) > 0",
        "http_requests_total > 1000",
        "max_over_time(rate(http_requests_total{job=\"job-3\"}[1m])[10m:1m])",
    ];
    println!(
        "engine_eval: {} series, {} samples",
        st.series_count(),
        st.sample_count()
    );
    for q in exprs {
        let expr = promql_parser::parser::parse(q).expect("benchmark expression parses");
        let mut ts = HOUR_MS / 2;
        let mut evals = 0u64;
        let start = Instant::now();
        // Bounded: stops after the time budget (at least one evaluation) or 100k evaluations.
        while (evals == 0 || start.elapsed() < budget) && evals < 100_000 {
            black_box(
                engine
                    .instant(&st, &expr, ts)
                    .expect("benchmark expression evaluates"),
            );
            ts = HOUR_MS / 2 + (ts + SCRAPE_MS) % (HOUR_MS / 2);
            evals += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{q:<72} {:>8.1} evals/s {:>8.3} ms/eval",
            evals as f64 / secs,
            secs / evals as f64 * 1e3
        );
    }
}
