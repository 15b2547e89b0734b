//! Random-input robustness test (a mutation fuzzer without cargo-fuzz): corpus and case expressions are mutated
//! — bytes flipped, tokens inserted, ranges deleted, duplicated and spliced, deep nesting added — and fed to the
//! parser, which must never panic, never take more than a second, and, whenever it accepts, print text that
//! parses back to the same tree.
//!
//! `mutations_for_a_moment` runs a few seconds in every test run. The long run is ignored by default:
//! `METRICSQL_FUZZ_SECS=300 cargo test --release --test metricsql_fuzz -- --ignored --nocapture`
//! (`METRICSQL_FUZZ_SEED` repeats a run).

#[path = "metricsql_support.rs"]
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use tocsin::promql::metricsql;

/// xorshift64*: small, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    "@",
    "=",
    "!=",
    "=~",
    "!~",
    "==",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    ">=",
    " and ",
    " or ",
    " unless ",
    " if ",
    " ifnot ",
    " default ",
    " atan2 ",
    " bool ",
    " on(a) ",
    " ignoring(b) ",
    " group_left ",
    " group_right(c) ",
    " by (x) ",
    " without (y) ",
    " limit 3",
    " offset 5m",
    " offset -1h",
    " keep_metric_names",
    "[5m]",
    "[1h:1m]",
    "[:5i]",
    "[5m:]",
    "WITH (a = 1) ",
    "WITH (f(x) = x + 1) f(",
    "WITH (c = {q=\"w\"}) m{c}",
    "\"",
    "'",
    "`",
    "\\",
    "\\x41",
    "#",
    "\n",
    "1",
    "0x1F",
    "1Ki",
    "2MB",
    "1e3",
    ".5",
    "Inf",
    "NaN",
    "5m",
    "1h-5m",
    "rate(",
    "sum(",
    "topk(2, ",
    "label_replace(",
    "histogram_quantile(0.9, ",
    "count_values(\"v\", ",
    "time()",
    "x",
    "up{job=\"a\"}",
    "\"str\" + ",
    "é",
    "\u{0}",
    "(?i)",
    ".*",
    "a{",
];

fn mutate(rng: &mut Rng, seeds: &[String], input: &str) -> String {
    let mut b = input.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = b.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] = (rng.next() & 0x7f) as u8;
            }
            1 | 2 => {
                let i = rng.below(len + 1);
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                b.splice(i..i, t.iter().copied());
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let j = (i + 1 + rng.below(8)).min(len);
                b.drain(i..j);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let j = (i + 1 + rng.below(16)).min(len);
                let piece: Vec<u8> = b[i..j].to_vec();
                let k = rng.below(len + 1);
                b.splice(k..k, piece);
            }
            5 => {
                let other = seeds[rng.below(seeds.len())].as_bytes();
                let i = rng.below(len + 1);
                let j = rng.below(other.len() + 1);
                b.truncate(i);
                b.extend_from_slice(&other[j..]);
            }
            6 if rng.below(20) == 0 => {
                let depth = 1 + rng.below(600);
                let (open, close) = match rng.below(3) {
                    0 => ("(", ")"),
                    1 => ("abs(", ")"),
                    _ => ("-", ""),
                };
                let mut w = open.repeat(depth).into_bytes();
                w.extend_from_slice(&b);
                w.extend_from_slice(close.repeat(depth).as_bytes());
                b = w;
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Checks one input; `Err` describes a failure.
fn check(input: &str) -> Result<bool, String> {
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let Ok(tree) = metricsql::parse(input) else {
            return Ok(false);
        };
        let printed = tree.to_string();
        match metricsql::parse(&printed) {
            Ok(again) if again == tree => {}
            Ok(_) => {
                return Err(format!(
                    "printed as {printed:?}, which reads back differently"
                ));
            }
            Err(e) => return Err(format!("printed as {printed:?}, which fails: {e}")),
        }
        Ok(true)
    }));
    let elapsed = start.elapsed();
    let result = outcome.map_err(|_| "panicked".to_string())?;
    if elapsed > Duration::from_secs(1) {
        return Err(format!("took {elapsed:?}"));
    }
    result
}

fn run(budget: Duration) {
    let seed = std::env::var("METRICSQL_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    let mut seeds: Vec<String> = support::cases().into_iter().map(|c| c.expr).collect();
    if let Some(dir) = support::corpus_dir() {
        seeds.extend(support::corpus_exprs(&dir).into_iter().map(|c| c.expr));
    }
    seeds.sort();
    seeds.dedup();
    let mut rng = Rng(seed);
    let deadline = Instant::now() + budget;
    let (mut runs, mut accepted) = (0u64, 0u64);
    // Bounded by the deadline.
    while Instant::now() < deadline {
        let base = seeds[rng.below(seeds.len())].clone();
        let input = mutate(&mut rng, &seeds, &base);
        match check(&input) {
            Ok(ok) => accepted += u64::from(ok),
            Err(why) => panic!("seed {seed}, run {runs}: input {input:?}: {why}"),
        }
        runs += 1;
    }
    eprintln!(
        "fuzz: seed {seed}: {runs} inputs in {budget:?}, {accepted} accepted and round-tripped, no failure"
    );
    assert!(runs > 0);
}

#[test]
fn mutations_for_a_moment() {
    run(Duration::from_secs(3));
}

#[test]
#[ignore = "long run: METRICSQL_FUZZ_SECS=300 cargo test --release --test metricsql_fuzz -- --ignored"]
fn mutations_for_a_while() {
    let secs = std::env::var("METRICSQL_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    run(Duration::from_secs(secs));
}
