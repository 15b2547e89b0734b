//! Property tests of the rule-file loader (`tocsin::config::load_text_with_env`), the code behind `tocsin check`.
//!
//! Inputs: arbitrary text, YAML-ish text built from rule-file keys and awkward values, and corpus files mutated
//! by byte flips, deletions, duplicated and swapped lines and random indentation. Invariants, in both dialects:
//! no panic; every diagnostic names the file and has a position inside the text (line ≥ 1, col ≥ 1, line at most
//! one past the last line); diagnostics come sorted by position; loading is deterministic; a file without errors
//! compiled every rule it found into groups with unique names; and a file with errors is never reported clean.
//!
//! Cases per property: `PROPTEST_CASES` (default 48, about 2 s in a debug build). A long run, as recorded in
//! docs/check.md: `PROPTEST_CASES=20000 cargo test --release --test check_parser_props`.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeSet;
use std::sync::OnceLock;
use tocsin::config::{self, Dialect, LoadOptions, LoadedFile, Severity};

const NAME: &str = "prop.yml";

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        // Shrinking a mutated 20 kB file can take long; a failure is printed with its input either way.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    })
}

fn options(dialect: Dialect) -> LoadOptions {
    LoadOptions {
        dialect,
        ..LoadOptions::default()
    }
}

/// The environment seen by `%{NAME}`: only `SET` is set.
fn env(name: &str) -> Option<String> {
    (name == "SET").then(|| "value".to_string())
}

fn load(text: &str, dialect: Dialect) -> LoadedFile {
    config::load_text_with_env(NAME, text, &options(dialect), env)
}

/// Checks every invariant on one input; returns a description of the first one broken.
fn check_invariants(text: &str) -> Result<(), TestCaseError> {
    for dialect in [Dialect::Prometheus, Dialect::Vmalert] {
        let loaded = load(text, dialect);
        let last_line = text.lines().count().max(1) + 1;
        for d in &loaded.diagnostics {
            prop_assert_eq!(&d.file, NAME);
            prop_assert!(!d.message.is_empty(), "empty message: {:?}", d);
            if d.severity == Severity::Error {
                prop_assert!(
                    d.pos.line >= 1 && d.pos.col >= 1,
                    "error without a position: {:?}",
                    d
                );
            }
            prop_assert!(
                d.pos.line <= last_line,
                "line {} past the end ({} lines): {:?}",
                d.pos.line,
                last_line - 1,
                d
            );
        }
        let positions: Vec<_> = loaded.diagnostics.iter().map(|d| d.pos).collect();
        let mut sorted = positions.clone();
        sorted.sort();
        prop_assert_eq!(positions, sorted, "diagnostics not sorted by position");

        let again = load(text, dialect);
        prop_assert_eq!(&loaded.diagnostics, &again.diagnostics, "not deterministic");
        prop_assert_eq!(loaded.rules_found, again.rules_found);

        if loaded.has_errors() {
            prop_assert!(
                loaded
                    .diagnostics
                    .iter()
                    .any(|d| d.severity == Severity::Error)
            );
        } else {
            let compiled: usize = loaded.groups.iter().map(|g| g.rules.len()).sum();
            prop_assert_eq!(
                compiled,
                loaded.rules_found,
                "a clean file must compile every rule it found"
            );
            let names: BTreeSet<&str> = loaded.groups.iter().map(|g| g.name.as_str()).collect();
            prop_assert_eq!(
                names.len(),
                loaded.groups.len(),
                "duplicate group names accepted"
            );
            prop_assert!(
                loaded.groups.iter().all(|g| !g.name.is_empty()),
                "empty group name accepted"
            );
        }
    }
    // Whatever the dialect, the same text finds the same number of rules.
    prop_assert_eq!(
        load(text, Dialect::Prometheus).rules_found,
        load(text, Dialect::Vmalert).rules_found
    );
    Ok(())
}

// ---- generators ----

/// Every key the loader knows (from its own field tables), plus a few it must refuse.
fn keys() -> Vec<&'static str> {
    use tocsin::config::raw::{FILE_FIELDS, GROUP_FIELDS, RULE_FIELDS};
    let mut keys: Vec<&'static str> = FILE_FIELDS
        .iter()
        .chain(GROUP_FIELDS)
        .chain(RULE_FIELDS)
        .copied()
        .collect();
    keys.extend(["__name__", "ins-tance", "<<", "? complex"]);
    keys
}

const VALUES: &[&str] = &[
    "",
    "g",
    "\"\"",
    "'quoted'",
    "up == 0",
    "rate(x)",
    "sum(rate(http_requests_total[5m])) by (job)",
    "sum(up",
    "{{ $labels.instance }}",
    "\"{{ $value | humanize }}\"",
    "1m",
    "1.5m",
    "-1m",
    "0",
    "-1",
    "99999999999999999999",
    "1h30m",
    "5x",
    "true",
    "false",
    "yes",
    "~",
    "null",
    "[]",
    "{}",
    "[a, b]",
    "{a: b}",
    "&anchor x",
    "*anchor",
    "*missing",
    "\"*/5 * * * *\"",
    "Europe/Berlin",
    "\"X-A: b\"",
    "%{SET}",
    "%{UNSET}",
    "|",
    ">-",
    "[",
    "{",
    "\"unterminated",
    "'",
    "!!binary aGk=",
    "!custom tag",
    "- item",
    "---",
    "...",
    "#comment",
    "\t",
    "ü日本",
];

/// A line of YAML-ish text: indentation, optional `- `, then `key: value`, a bare value or a key alone.
fn line() -> impl Strategy<Value = String> {
    (
        0usize..12,
        any::<bool>(),
        prop::sample::select(keys()),
        prop::sample::select(VALUES),
        0u8..4,
    )
        .prop_map(|(indent, dash, key, value, shape)| {
            let pad = " ".repeat(indent);
            let dash = if dash { "- " } else { "" };
            match shape {
                0 => format!("{pad}{dash}{value}"),
                1 => format!("{pad}{dash}{key}:"),
                _ => format!("{pad}{dash}{key}: {value}"),
            }
        })
}

fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(line(), 0..40).prop_map(|lines| lines.join("\n"))
}

/// Small, well-formed rule files used as seeds for mutation, alongside the corpus.
const SEED: &str = "groups:
  - name: node
    interval: 30s
    labels: {team: infra}
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 5m
        labels:
          severity: page
        annotations:
          summary: \"{{ $labels.instance }} down\"
      - record: job:up:sum
        expr: sum by (job) (up)
  - name: vm
    concurrency: 2
    eval_offset: 10s
    params: {nocache: [\"1\"]}
    headers: [\"X-A: b\"]
    rules:
      - alert: A
        expr: rate(x[5m]) > 0
";

/// Corpus files up to 24 kB (the big generated ones only slow mutation down), plus the bad suite and [`SEED`].
fn seeds() -> &'static [String] {
    static SEEDS: OnceLock<Vec<String>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let corpus = common::corpus_dir();
        let mut out = vec![SEED.to_string()];
        for dir in [
            corpus.join("rules"),
            corpus.join("crds-spec"),
            common::bad_dir(),
        ] {
            for name in common::file_names(&dir) {
                let path = dir.join(&name);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                if text.len() <= 24 * 1024 {
                    out.push(text);
                }
            }
        }
        assert!(out.len() > 100, "too few seed files: {}", out.len());
        out
    })
}

/// One edit to a text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at a relative position.
    Flip(f64, u8),
    /// Delete a run of bytes starting at a relative position.
    Delete(f64, usize),
    /// Insert one of [`VALUES`] at a relative position.
    Insert(f64, &'static str),
    /// Repeat a line.
    DuplicateLine(f64),
    /// Swap two lines.
    SwapLines(f64, f64),
    /// Change a line's indentation by -4..=4 spaces.
    Indent(f64, i8),
    /// Replace a line with a tab-indented copy.
    Tab(f64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        (at.clone(), 1usize..40).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (at.clone(), prop::sample::select(VALUES)).prop_map(|(a, v)| Mutation::Insert(a, v)),
        at.clone().prop_map(Mutation::DuplicateLine),
        (at.clone(), at.clone()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (at.clone(), -4i8..=4).prop_map(|(a, n)| Mutation::Indent(a, n)),
        at.prop_map(Mutation::Tab),
    ]
}

fn index(len: usize, at: f64) -> usize {
    ((len as f64) * at) as usize % len.max(1)
}

fn apply(text: &str, m: &Mutation) -> String {
    match m {
        Mutation::Flip(at, byte) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let i = index(bytes.len(), *at);
                bytes[i] = *byte;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Delete(at, n) => {
            let bytes = text.as_bytes();
            let i = index(bytes.len(), *at);
            let end = (i + n).min(bytes.len());
            let mut out = bytes[..i].to_vec();
            out.extend_from_slice(&bytes[end..]);
            String::from_utf8_lossy(&out).into_owned()
        }
        Mutation::Insert(at, v) => {
            let bytes = text.as_bytes();
            let i = index(bytes.len(), *at);
            let mut out = bytes[..i].to_vec();
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(&bytes[i..]);
            String::from_utf8_lossy(&out).into_owned()
        }
        Mutation::DuplicateLine(at) => edit_lines(text, |lines| {
            let i = index(lines.len(), *at);
            let l = lines[i].clone();
            lines.insert(i, l);
        }),
        Mutation::SwapLines(a, b) => edit_lines(text, |lines| {
            let (i, j) = (index(lines.len(), *a), index(lines.len(), *b));
            lines.swap(i, j);
        }),
        Mutation::Indent(at, n) => edit_lines(text, |lines| {
            let i = index(lines.len(), *at);
            let l = &lines[i];
            lines[i] = if *n >= 0 {
                format!("{}{l}", " ".repeat(*n as usize))
            } else {
                let strip = l
                    .bytes()
                    .take(n.unsigned_abs() as usize)
                    .take_while(|b| *b == b' ')
                    .count();
                l[strip..].to_string()
            };
        }),
        Mutation::Tab(at) => edit_lines(text, |lines| {
            let i = index(lines.len(), *at);
            lines[i] = format!("\t{}", lines[i].trim_start());
        }),
    }
}

fn edit_lines(text: &str, f: impl FnOnce(&mut Vec<String>)) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    f(&mut lines);
    lines.join("\n") + "\n"
}

fn mutated_seed() -> impl Strategy<Value = String> {
    let n = seeds().len();
    (0..n, prop::collection::vec(mutation(), 1..6)).prop_map(|(i, ms)| {
        ms.iter()
            .fold(seeds()[i].clone(), |text, m| apply(&text, m))
    })
}

// ---- properties ----

#[test]
fn arbitrary_text_never_breaks_the_loader() {
    runner()
        .run(&any::<String>(), |text| check_invariants(&text))
        .unwrap();
}

#[test]
fn yamlish_text_never_breaks_the_loader() {
    runner()
        .run(&yamlish(), |text| check_invariants(&text))
        .unwrap();
}

#[test]
fn mutated_rule_files_never_break_the_loader() {
    runner()
        .run(&mutated_seed(), |text| check_invariants(&text))
        .unwrap();
}

#[test]
fn unmutated_seeds_satisfy_the_invariants() {
    for text in seeds() {
        check_invariants(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    }
}

#[test]
fn errors_are_stable_under_trailing_comments() {
    // Appending a comment line after a complete file (ending in a newline) changes nothing.
    runner()
        .run(&(0..seeds().len()), |i| {
            let text = &seeds()[i];
            prop_assume!(text.ends_with('\n'));
            for dialect in [Dialect::Prometheus, Dialect::Vmalert] {
                let a = load(text, dialect);
                let b = load(&format!("{text}# trailing comment\n"), dialect);
                prop_assert_eq!(&a.diagnostics, &b.diagnostics);
                prop_assert_eq!(a.rules_found, b.rules_found);
            }
            Ok(())
        })
        .unwrap();
}

/// YAML with every alias doubling the previous one: 2^18 nodes from 20 lines. Go's yaml decoders refuse such
/// documents ("document contains excessive aliasing"); promtool 2.42 rejects the file in milliseconds.
fn alias_bomb(levels: usize) -> String {
    let mut s = String::from("groups:\n  - name: g\n    labels:\n      a0: &a0 [x]\n");
    for i in 1..=levels {
        s.push_str(&format!("      a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
    }
    s.push_str("    rules: []\n");
    s
}

#[test]
fn alias_bombs_are_refused_early() {
    let text = alias_bomb(18);
    let started = std::time::Instant::now();
    let loaded = load(&text, Dialect::Prometheus);
    let elapsed = started.elapsed();
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && d.message.contains("alias")),
        "want an error about excessive aliasing, got {:#?}",
        loaded.diagnostics
    );
    assert!(
        elapsed < std::time::Duration::from_millis(500),
        "took {elapsed:?}"
    );
}
