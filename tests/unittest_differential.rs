//! Differential test of `tocsin test` against Debian's `promtool test rules` (2.42) over the corpus in
//! `tests/promtool/`: every `*.test.yml` must pass with both tools, and a copy of it with one wrong expectation
//! (made here, not stored) must fail with both, with the same failure text on stderr.
//!
//! Files under `tests/promtool/templates/` need the Go template executor; they are skipped (with a note) while
//! `crate::template` cannot render yet.

use std::path::{Path, PathBuf};
use std::process::Command;

const TOCSIN: &str = env!("CARGO_BIN_EXE_tocsin");

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promtool")
}

fn test_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            test_files(&p, out, depth + 1);
        } else if p.to_string_lossy().ends_with(".test.yml") {
            out.push(p);
        }
    }
}

/// Whether the template module can execute templates yet.
fn templates_work() -> bool {
    use tocsin::template::{
        AlertTemplateData, RenderContext, Template, TemplateDialect, TemplateSet,
    };
    Template::parse_alert(
        "A",
        "{{ 1 }}",
        TemplateDialect::Prometheus,
        &TemplateSet::default(),
    )
    .and_then(|t| t.render(&AlertTemplateData::default(), &RenderContext::default()))
    .is_ok_and(|s| s == "1")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn both(dir: &Path, file: &str) -> (Run, Run) {
    let p = run(Command::new("promtool")
        .args(["test", "rules", file])
        .current_dir(dir));
    let t = run(Command::new(TOCSIN)
        .args(["test", "--coverage=false", file])
        .current_dir(dir));
    (p, t)
}

/// One wrong expectation: the first expected sample value changed, else an extra label on the first expected
/// alert, else an unexpected alert where none was expected.
fn mutate(text: &str) -> Option<String> {
    let value = regex::Regex::new(r"(?m)(\bvalue:\s*)([-+.0-9eE]+)").ok()?;
    if let Some(c) = value.captures(text) {
        let m = c.get(2)?;
        let v: f64 = m.as_str().parse().ok()?;
        let mut out = text.to_string();
        out.replace_range(m.range(), &format!("{}", v + 1.0));
        return Some(out);
    }
    if let Some(i) = text.find("exp_labels: {") {
        let at = i + "exp_labels: {".len();
        let mut out = text.to_string();
        out.insert_str(at, "mutated: \"yes\", ");
        return Some(out);
    }
    if let Some(i) = text.find("exp_alerts: []") {
        let mut out = text.to_string();
        out.replace_range(
            i..i + "exp_alerts: []".len(),
            "exp_alerts: [{exp_labels: {mutated: \"yes\"}}]",
        );
        return Some(out);
    }
    None
}

fn count_cases(text: &str) -> usize {
    text.matches("eval_time:").count()
}

#[test]
fn corpus_agrees_with_promtool() {
    if Command::new("promtool").arg("--version").output().is_err() {
        panic!(
            "promtool is not installed: run scripts/test.sh (it installs Debian's prometheus package)"
        );
    }
    let root = corpus_dir();
    let mut files = Vec::new();
    test_files(&root, &mut files, 0);
    assert!(!files.is_empty(), "no *.test.yml under {}", root.display());
    let templates = templates_work();
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .max(2)
        * 2;
    let chunks: Vec<Vec<PathBuf>> = (0..workers)
        .map(|w| files.iter().skip(w).step_by(workers).cloned().collect())
        .collect();
    let results: Vec<(Vec<String>, usize, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let root = &root;
                s.spawn(move || {
                    let mut problems = Vec::new();
                    let (mut done, mut skipped, mut cases) = (0, 0, 0);
                    for path in chunk {
                        let rel = path.strip_prefix(root).unwrap_or(path);
                        if !templates && rel.starts_with("templates") {
                            skipped += 1;
                            continue;
                        }
                        let dir = path.parent().unwrap_or(root);
                        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                        let text = std::fs::read_to_string(path).unwrap_or_default();
                        cases += count_cases(&text);
                        let (p, t) = both(dir, &name);
                        if p.code != 0 || t.code != 0 || p.stdout != t.stdout {
                            problems.push(format!(
                                "{}: original: promtool exit {} tocsin exit {}\n--- promtool stderr:\n{}--- tocsin stderr:\n{}",
                                rel.display(), p.code, t.code, p.stderr, t.stderr
                            ));
                            continue;
                        }
                        // The mutated copy lives next to the original so relative rule_files still resolve; its
                        // name is unique per file and removed afterwards.
                        let Some(mutated) = mutate(&text) else {
                            problems.push(format!("{}: no expectation to mutate", rel.display()));
                            continue;
                        };
                        let mname = format!(".mutated-{}-{name}", std::process::id());
                        let mpath = dir.join(&mname);
                        if let Err(e) = std::fs::write(&mpath, &mutated) {
                            problems.push(format!("write {}: {e}", mpath.display()));
                            continue;
                        }
                        let (p, t) = both(dir, &mname);
                        let _ = std::fs::remove_file(&mpath);
                        if p.code != 1 || t.code != 1 || p.stderr != t.stderr || p.stdout != t.stdout {
                            problems.push(format!(
                                "{}: mutated: promtool exit {} tocsin exit {}\n--- promtool stderr:\n{}--- tocsin stderr:\n{}",
                                rel.display(), p.code, t.code, p.stderr, t.stderr
                            ));
                        }
                        done += 1;
                    }
                    (problems, done, skipped, cases)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| (vec!["worker panicked".into()], 0, 0, 0))
            })
            .collect()
    });
    let problems: Vec<String> = results.iter().flat_map(|r| r.0.clone()).collect();
    let done: usize = results.iter().map(|r| r.1).sum();
    let skipped: usize = results.iter().map(|r| r.2).sum();
    let cases: usize = results.iter().map(|r| r.3).sum();
    eprintln!(
        "corpus: {} files, {cases} cases checked; {done} originals and mutations agree; {skipped} template files skipped{}",
        files.len() - skipped,
        if templates {
            ""
        } else {
            " (template executor not available yet)"
        }
    );
    assert!(
        problems.is_empty(),
        "{} disagreements:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn mutation_changes_exactly_one_expectation() {
    let m = mutate("    exp_samples:\n      - labels: 'x'\n        value: 2\n      - value: 3\n");
    assert_eq!(
        m.as_deref(),
        Some("    exp_samples:\n      - labels: 'x'\n        value: 3\n      - value: 3\n")
    );
    let m = mutate("exp_alerts: []\n");
    assert_eq!(
        m.as_deref(),
        Some("exp_alerts: [{exp_labels: {mutated: \"yes\"}}]\n")
    );
    let m = mutate("values: '1 2'\n");
    assert_eq!(m, None);
}

/// Series-notation strings whose expansion is compared with promtool's, value by value (at every step, through a
/// wrong expectation so both tools print what they loaded).
const NOTATIONS: &[&str] = &[
    "1+2x3",
    "10-3x2",
    "5x2",
    "-1+1x2",
    "-1-1x1",
    "1e3 1e-3 1e+2x1",
    "1e-3+1e-3x1",
    "_ 1 _x2 2",
    "1x0",
    "0x10",
    "Inf -Inf +Inf NaN stale 1",
    "1 -1",
    "+1+1x2",
    "1.5e2-0.5x2",
    "-Inf+1x2",
    "NaN+1x1",
    "1E3x1",
    ".5 .5x1",
    "_x0 1",
    "3 _x3 stale 4",
    "1e3+1e3x2",
    "-1e-3-1e-3x1",
    "2x3 stale _ 5",
    "0.1+0.2x3",
    "1e308+1e308x1",
    "inf nan -nan",
    "0.000001x2 1e-310",
];

#[test]
fn series_notation_agrees_with_promtool() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut text = String::from("tests:\n");
    for n in NOTATIONS {
        text.push_str(&format!(
            "- interval: 1m\n  input_series:\n  - series: 'x'\n    values: '{n}'\n  promql_expr_test:\n"
        ));
        for k in 0..12 {
            text.push_str(&format!(
                "  - expr: x\n    eval_time: {k}m\n    exp_samples: [{{labels: 'q', value: -123}}]\n"
            ));
        }
    }
    std::fs::write(dir.path().join("probe.test.yml"), text)
        .unwrap_or_else(|e| panic!("write: {e}"));
    let (p, t) = both(dir.path(), "probe.test.yml");
    assert_eq!(p.code, 1, "promtool: {}", p.stderr);
    assert_eq!(t.code, 1);
    assert_eq!(t.stderr, p.stderr);
}
