//! Differential tests of `tocsin check` against the real peers.
//!
//! * promtool 2.42 (Debian's `/usr/bin/promtool`, run live): `promtool check rules FILE` and `tocsin check FILE`
//!   on every file of the shared corpus (`rules/`, `crds-spec/`) and every bad-suite file, one process per file per
//!   tool; accept means exit 0.
//! * vmalert 1.79.5 (Debian's `/usr/bin/vmalert`): `tocsin check --dialect=metricsql FILE` against the verdicts
//!   recorded in `corpus/verdicts.tsv` for corpus files, and against `vmalert -dryRun -rule=FILE` for bad files; the
//!   live run must also reproduce the recorded verdicts.
//!
//! The disagreements must be exactly the rows of `tests/data/check-differences.tsv`: a new one fails, and so does
//! a listed one that no longer happens. Files are copied to a temp dir first; the shared corpus is never written.

mod common;

use common::{bad_dir, corpus_dir, file_names, parallel_map, run, tocsin, workers};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One row of check-differences.tsv.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Difference {
    file: String,
    oracle: String,
    oracle_verdict: String,
    tocsin_verdict: String,
    category: String,
}

const CATEGORIES: &[&str] = &[
    "vmalert-group-fields",
    "templates-pending",
    "duplicate-rule-id",
    "vmalert-check",
    "env-expansion",
    "all-documents",
    "vmalert-newer-fields",
    "tocsin-only",
    "metricsql-pending",
    // A known tocsin bug with an ignored test of its own; the row goes when the bug is fixed.
    "bug",
];

fn differences(oracle: &str) -> BTreeMap<String, Difference> {
    let path = common::manifest_dir().join("tests/data/check-differences.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = BTreeMap::new();
    let mut header_seen = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if !header_seen {
            assert_eq!(
                cols,
                [
                    "file",
                    "oracle",
                    "oracle_verdict",
                    "tocsin_verdict",
                    "category",
                    "reason"
                ],
                "check-differences.tsv header"
            );
            header_seen = true;
            continue;
        }
        assert_eq!(
            cols.len(),
            6,
            "check-differences.tsv:{}: want 6 columns",
            n + 1
        );
        assert!(
            CATEGORIES.contains(&cols[4]),
            "check-differences.tsv:{}: unknown category {:?}",
            n + 1,
            cols[4]
        );
        assert!(
            !cols[5].trim().is_empty(),
            "check-differences.tsv:{}: no reason",
            n + 1
        );
        let d = Difference {
            file: cols[0].to_string(),
            oracle: cols[1].to_string(),
            oracle_verdict: cols[2].to_string(),
            tocsin_verdict: cols[3].to_string(),
            category: cols[4].to_string(),
        };
        if d.oracle == oracle {
            let dup = rows.insert(d.file.clone(), d);
            assert!(
                dup.is_none(),
                "check-differences.tsv:{}: listed twice",
                n + 1
            );
        }
    }
    rows
}

/// A row of the corpus's verdicts.tsv.
struct Recorded {
    /// `rules/…` or `crds-spec/…`: the plain rule file the verdicts are about.
    file: String,
    promtool: String,
    vmalert: String,
}

fn recorded_verdicts() -> Vec<Recorded> {
    let corpus = corpus_dir();
    let text = std::fs::read_to_string(corpus.join("verdicts.tsv")).expect("read verdicts.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("verdicts.tsv has no {name} column"))
    };
    let (file, promtool, vmalert) = (col("file"), col("promtool"), col("vmalert"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            // Verdicts of a custom resource are those of its extracted spec (see the corpus README).
            let file = match cols[file].strip_prefix("crds/") {
                Some(name) => {
                    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
                    format!("crds-spec/{stem}.spec.yml")
                }
                None => cols[file].to_string(),
            };
            Recorded {
                file,
                promtool: cols[promtool].to_string(),
                vmalert: cols[vmalert].to_string(),
            }
        })
        .collect()
}

/// Copies the corpus rule files and the bad suite into a temp dir as `corpus/rules/…`, `corpus/crds-spec/…` and
/// `bad/…`; returns the dir and the relative names.
fn stage() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = corpus_dir();
    let mut names = Vec::new();
    for (from, to) in [
        (corpus.join("rules"), "corpus/rules"),
        (corpus.join("crds-spec"), "corpus/crds-spec"),
        (bad_dir(), "bad"),
    ] {
        std::fs::create_dir_all(dir.path().join(to)).expect("mkdir");
        let files = file_names(&from);
        assert!(!files.is_empty(), "{} is empty", from.display());
        for f in files {
            std::fs::copy(from.join(&f), dir.path().join(to).join(&f)).expect("copy");
            names.push(format!("{to}/{f}"));
        }
    }
    (dir, names)
}

/// A peer's binary on PATH, or a failure telling how to install it. Never a skip.
fn peer(name: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "{name} not found on PATH: the differential tests need Debian's {name}; \
             run scripts/test.sh (it installs the {package} package, as CI does)"
        )
    })
}

fn promtool() -> PathBuf {
    peer("promtool", "prometheus")
}

fn verdict(code: i32) -> &'static str {
    if code == 0 { "accept" } else { "reject" }
}

/// First lines of what a tool printed, for failure messages.
fn excerpt(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(3)
        .collect::<Vec<_>>()
        .join(" | ")
}

struct Outcome {
    file: String,
    oracle: &'static str,
    tocsin: &'static str,
    detail: String,
}

/// Compares outcomes with the listed differences; panics with every unexpected and every stale row.
fn assert_differences(oracle: &str, outcomes: &[Outcome]) {
    let listed = differences(oracle);
    let mut problems = Vec::new();
    let mut per_category: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for o in outcomes {
        seen.insert(o.file.as_str());
        match listed.get(&o.file) {
            Some(d) if o.oracle != o.tocsin => {
                if d.oracle_verdict != o.oracle || d.tocsin_verdict != o.tocsin {
                    problems.push(format!(
                        "{}: listed as {oracle} {} / tocsin {}, got {oracle} {} / tocsin {}",
                        o.file, d.oracle_verdict, d.tocsin_verdict, o.oracle, o.tocsin
                    ));
                }
                *per_category.entry(d.category.as_str()).or_default() += 1;
            }
            Some(d) => problems.push(format!(
                "{}: listed as a {} difference but both now {}: remove the row",
                o.file, d.category, o.tocsin
            )),
            None if o.oracle != o.tocsin => problems.push(format!(
                "{}: {oracle} {} but tocsin {}: {}",
                o.file, o.oracle, o.tocsin, o.detail
            )),
            None => {}
        }
    }
    for file in listed.keys() {
        if !seen.contains(file.as_str()) {
            problems.push(format!("{file}: listed but not compared (file gone?)"));
        }
    }
    let agree = outcomes.iter().filter(|o| o.oracle == o.tocsin).count();
    eprintln!(
        "{oracle}: {} files compared, {agree} agree, disagreements by category: {per_category:?}",
        outcomes.len()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s) comparing tocsin with {oracle}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn promtool_and_tocsin_agree_except_listed() {
    let promtool = promtool();
    let (dir, names) = stage();
    let root = dir.path();
    let outcomes: Vec<(Outcome, i32, bool)> = parallel_map(&names, workers(), |name: &String| {
        let p = run(Command::new(&promtool)
            .current_dir(root)
            .args(["check", "rules", name]));
        let t = run(tocsin().current_dir(root).args(["check", name]));
        let outcome = Outcome {
            file: name.clone(),
            oracle: verdict(p.code),
            tocsin: verdict(t.code),
            detail: format!(
                "promtool says {:?}; tocsin says {:?}",
                excerpt(&p.stderr),
                excerpt(&t.stderr)
            ),
        };
        let same_output = p.stdout == t.stdout && p.stderr == t.stderr;
        (outcome, p.code, same_output)
    });
    // Where both accept, tocsin prints what promtool prints, byte for byte (SUCCESS counts, lint findings).
    let listed_output = differences("promtool-output");
    let mut output_problems = Vec::new();
    for (o, _, same) in &outcomes {
        if o.oracle != "accept" || o.tocsin != "accept" {
            continue;
        }
        if KNOWN_LINT_BUGS.contains(&o.file.as_str()) {
            if *same {
                output_problems.push(format!(
                    "{}: the output now matches promtool's: remove it from KNOWN_LINT_BUGS and un-ignore \
                     lint_counts_each_duplicate_once",
                    o.file
                ));
            }
            continue;
        }
        match (listed_output.contains_key(&o.file), *same) {
            (false, false) => output_problems.push(format!(
                "{}: both accept but the output differs; compare `promtool check rules` and `tocsin check`",
                o.file
            )),
            (true, true) => output_problems.push(format!(
                "{}: listed as an output difference but the output is now the same: remove the row",
                o.file
            )),
            _ => {}
        }
    }
    for f in listed_output.keys() {
        if !outcomes
            .iter()
            .any(|(o, _, _)| &o.file == f && o.oracle == "accept" && o.tocsin == "accept")
        {
            output_problems.push(format!(
                "{f}: listed as an output difference but not accepted by both"
            ));
        }
    }
    assert!(output_problems.is_empty(), "{}", output_problems.join("\n"));
    // promtool itself must still be the 2.42 that recorded the corpus verdicts.
    let recorded: BTreeMap<String, String> = recorded_verdicts()
        .into_iter()
        .map(|r| (format!("corpus/{}", r.file), r.promtool))
        .collect();
    let mut drift = Vec::new();
    for (o, code, _) in &outcomes {
        assert!(
            *code == 0 || *code == 1,
            "{}: promtool exit {code}; is it promtool 2.42?",
            o.file
        );
        if let Some(r) = recorded.get(&o.file)
            && r != o.oracle
        {
            drift.push(format!("{}: recorded {r}, live {}", o.file, o.oracle));
        }
    }
    assert!(
        drift.is_empty(),
        "the installed promtool disagrees with corpus/verdicts.tsv (want Debian's 2.42):\n{}",
        drift.join("\n")
    );
    let outcomes: Vec<Outcome> = outcomes.into_iter().map(|(o, _, _)| o).collect();
    let corpus_files = outcomes
        .iter()
        .filter(|o| o.file.starts_with("corpus/"))
        .count();
    assert_eq!(corpus_files, recorded.len(), "every corpus file compared");
    assert_differences("promtool", &outcomes);
}

/// Files whose output differs from promtool's because of a tocsin bug (see `lint_counts_each_duplicate_once`).
const KNOWN_LINT_BUGS: &[&str] = &[];

/// Three alerts with one name and no labels: promtool 2.42 reports the duplicated name once.
#[test]
fn lint_counts_each_duplicate_once() {
    let promtool = promtool();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up == 0\n  - name: b\n    rules:\n      - alert: X\n        expr: up == 1\n  - name: c\n    rules:\n      - alert: X\n        expr: up == 2\n";
    std::fs::write(dir.path().join("tri.yml"), text).expect("write");
    let p = run(Command::new(&promtool)
        .current_dir(dir.path())
        .args(["check", "rules", "tri.yml"]));
    assert!(
        p.stderr.contains("lint error 1 duplicate rule(s) found."),
        "{p}"
    );
    let t = run(tocsin().current_dir(dir.path()).args(["check", "tri.yml"]));
    assert_eq!(
        (t.code, &t.stdout, &t.stderr),
        (p.code, &p.stdout, &p.stderr),
        "{t}"
    );
    for f in KNOWN_LINT_BUGS {
        let path = corpus_dir().join(f.trim_start_matches("corpus/"));
        let p = run(Command::new(&promtool).args(["check", "rules"]).arg(&path));
        let t = run(tocsin().args(["check"]).arg(&path));
        assert_eq!(
            (t.code, &t.stdout, &t.stderr),
            (p.code, &p.stdout, &p.stderr),
            "{f}"
        );
    }
}

/// Integer fields as Go's YAML decoders read them (promtool and vmalert alike): `0x10`, `0o20` and `1.5` (truncated)
/// are integers; a quoted `"5"` is not.
#[test]
fn integer_fields_read_as_go_yaml_reads_them() {
    let promtool = promtool();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut problems = Vec::new();
    for value in ["0x10", "0o20", "1.5", "+5", "\"5\"", "'5'", "5"] {
        let text = format!(
            "groups:\n  - name: g\n    limit: {value}\n    rules:\n      - alert: A\n        expr: up == 0\n"
        );
        std::fs::write(dir.path().join("limit.yml"), text).expect("write");
        let p = run(Command::new(&promtool).current_dir(dir.path()).args([
            "check",
            "rules",
            "limit.yml",
        ]));
        let t = run(tocsin()
            .current_dir(dir.path())
            .args(["check", "limit.yml"]));
        if verdict(p.code) != verdict(t.code) {
            problems.push(format!(
                "limit: {value}: promtool {}, tocsin {}: {}",
                verdict(p.code),
                verdict(t.code),
                excerpt(&t.stderr)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn metricsql_dialect_agrees_with_vmalert_except_listed() {
    let vmalert = peer("vmalert", "victoria-metrics");
    let (dir, names) = stage();
    let root = dir.path();
    let recorded: BTreeMap<String, String> = recorded_verdicts()
        .into_iter()
        .map(|r| (format!("corpus/{}", r.file), r.vmalert))
        .collect();
    // Corpus files against the recorded verdicts (checked below against a live run), bad files against a live run.
    let outcomes: Vec<(Outcome, &'static str)> =
        parallel_map(&names, workers(), |name: &String| {
            let v = run(Command::new(&vmalert)
                .current_dir(root)
                .env_remove(common::UNSET_VAR)
                .arg("-dryRun")
                .arg(format!("-rule={name}")));
            let t = run(tocsin()
                .current_dir(root)
                .args(["check", "--dialect=metricsql", name]));
            let live = verdict(v.code);
            let oracle = match recorded.get(name).map(String::as_str) {
                Some("accept") => "accept",
                Some(_) => "reject",
                None => live,
            };
            let fatal = v
                .stderr
                .lines()
                .find(|l| l.contains("\tfatal\t"))
                .unwrap_or("");
            let outcome = Outcome {
                file: name.clone(),
                oracle,
                tocsin: verdict(t.code),
                detail: format!(
                    "vmalert says {fatal:?}; tocsin says {:?}",
                    excerpt(&t.stderr)
                ),
            };
            (outcome, live)
        });
    let drift: Vec<String> = outcomes
        .iter()
        .filter(|(o, live)| recorded.contains_key(&o.file) && o.oracle != *live)
        .map(|(o, live)| format!("{}: recorded {}, live {live}", o.file, o.oracle))
        .collect();
    assert!(
        drift.is_empty(),
        "the installed vmalert disagrees with corpus/verdicts.tsv (want Debian's 1.79.5):\n{}",
        drift.join("\n")
    );
    let outcomes: Vec<Outcome> = outcomes.into_iter().map(|(o, _)| o).collect();
    assert_differences("vmalert", &outcomes);
    // The brief's promise in one line: every corpus file vmalert accepts, tocsin's metricsql dialect accepts.
    let listed = differences("vmalert");
    for o in &outcomes {
        if o.file.starts_with("corpus/") && o.oracle == "accept" {
            assert!(
                o.tocsin == "accept" || listed.contains_key(&o.file),
                "{}: vmalert accepts it, tocsin --dialect=metricsql does not",
                o.file
            );
        }
    }
}

#[test]
fn verdicts_cover_every_corpus_file() {
    let corpus = corpus_dir();
    let mut on_disk: BTreeSet<String> = BTreeSet::new();
    for sub in ["rules", "crds-spec"] {
        for f in file_names(&corpus.join(sub)) {
            on_disk.insert(format!("{sub}/{f}"));
        }
    }
    let recorded: BTreeSet<String> = recorded_verdicts().into_iter().map(|r| r.file).collect();
    assert_eq!(on_disk, recorded, "corpus files and verdicts.tsv rows");
    assert!(
        on_disk.len() >= 150,
        "corpus looks truncated: {}",
        on_disk.len()
    );
}

#[test]
fn docs_table_lists_every_difference() {
    let docs = common::manifest_dir().join("docs/check.md");
    let text = std::fs::read_to_string(&docs).unwrap_or_else(|e| panic!("{}: {e}", docs.display()));
    for oracle in ["promtool", "promtool-output", "vmalert"] {
        for d in differences(oracle).values() {
            let name = Path::new(&d.file)
                .file_name()
                .and_then(|n| n.to_str())
                .expect("file name");
            assert!(
                text.contains(name),
                "docs/check.md does not mention {} ({oracle}, {})",
                d.file,
                d.category
            );
        }
    }
}
