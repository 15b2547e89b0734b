//! Parse throughput over the shared rule corpus: tocsin's MetricsQL parser (full corpus, and the PromQL subset)
//! next to promql-parser 0.11 on that same PromQL subset. Plain std timing; run with
//! `cargo bench --bench metricsql_parse`.

#[path = "../tests/metricsql_support.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use tocsin::promql::metricsql;

/// Expressions per second for `f` over `exprs`, repeating whole passes for at least `budget`.
fn throughput(exprs: &[String], budget: Duration, f: impl Fn(&str) -> bool) -> (f64, u64) {
    // Warm-up pass (caches, allocator).
    for e in exprs {
        black_box(f(e));
    }
    let start = Instant::now();
    let mut parsed = 0u64;
    // Bounded by the time budget.
    while start.elapsed() < budget {
        for e in exprs {
            black_box(f(black_box(e)));
        }
        parsed += exprs.len() as u64;
    }
    (parsed as f64 / start.elapsed().as_secs_f64(), parsed)
}

fn main() {
    let Some(dir) = support::corpus_dir() else {
        eprintln!("no rule corpus at /work/shared/corpus (set TOCSIN_CORPUS)");
        return;
    };
    let mut all: Vec<String> = support::corpus_exprs(&dir)
        .into_iter()
        .map(|c| c.expr)
        .collect();
    all.sort();
    all.dedup();
    all.retain(|e| metricsql::parse(e).is_ok());
    let promql: Vec<String> = all
        .iter()
        .filter(|e| promql_parser::parser::parse(e).is_ok())
        .cloned()
        .collect();
    let bytes: usize = all.iter().map(String::len).sum();
    println!(
        "corpus: {} unique expressions ({} bytes, mean {} bytes); {} also valid PromQL for promql-parser",
        all.len(),
        bytes,
        bytes / all.len().max(1),
        promql.len()
    );
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` this is only a smoke run.
    let budget = if std::env::args().any(|a| a == "--bench") {
        Duration::from_secs(3)
    } else {
        Duration::from_millis(20)
    };
    let (m_all, n1) = throughput(&all, budget, |e| metricsql::parse(e).is_ok());
    println!("metricsql::parse, whole corpus:        {m_all:>10.0} expressions/s ({n1} parsed)");
    let (m_sub, n2) = throughput(&promql, budget, |e| metricsql::parse(e).is_ok());
    println!("metricsql::parse, PromQL subset:       {m_sub:>10.0} expressions/s ({n2} parsed)");
    let (p_sub, n3) = throughput(&promql, budget, |e| promql_parser::parser::parse(e).is_ok());
    println!("promql_parser::parse, PromQL subset:   {p_sub:>10.0} expressions/s ({n3} parsed)");
    println!(
        "ratio metricsql / promql-parser on the PromQL subset: {:.2}",
        m_sub / p_sub
    );
    let trees: Vec<metricsql::Expr> = all
        .iter()
        .filter_map(|e| metricsql::parse(e).ok())
        .collect();
    let start = Instant::now();
    let mut printed = 0u64;
    while start.elapsed() < budget {
        for t in &trees {
            black_box(t.to_string());
        }
        printed += trees.len() as u64;
    }
    println!(
        "printing (Display), whole corpus:      {:>10.0} expressions/s",
        printed as f64 / start.elapsed().as_secs_f64()
    );
}
