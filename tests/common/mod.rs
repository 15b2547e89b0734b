//! Helpers shared by the `tocsin check` integration tests: where the binary, the bad-file suite and the shared
//! corpus are, how a bad file states its expected diagnostic, how an error line is taken apart, and a bounded
//! parallel runner for child processes. Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The environment variable the `%{…}` bad file refers to; tests remove it from the child's environment.
pub const UNSET_VAR: &str = "TOCSIN_TEST_UNSET_VAR";

/// A `tocsin` command with a clean view of the placeholder variable.
pub fn tocsin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tocsin"));
    cmd.env_remove(UNSET_VAR).stdin(Stdio::null());
    cmd
}

/// Runs a command to completion and returns its exit code, stdout and stderr as text.
pub fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What a finished process said.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/data/bad`, the one-error-per-file suite.
pub fn bad_dir() -> PathBuf {
    manifest_dir().join("tests/data/bad")
}

/// The shared corpus: `../shared/corpus` beside the checkout (as CI lays it out), else `/work/shared/corpus`.
/// Panics when neither exists: a missing corpus must fail the run, never skip it.
pub fn corpus_dir() -> PathBuf {
    let candidates = [
        manifest_dir().join("../shared/corpus"),
        PathBuf::from("/work/shared/corpus"),
    ];
    for c in &candidates {
        if c.join("verdicts.tsv").is_file() {
            return c.clone();
        }
    }
    panic!(
        "shared rule corpus not found (looked for verdicts.tsv in {candidates:?}); \
         CI clones the project with ../shared beside it"
    );
}

/// The names of the files directly in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// A bad file's header: `# expect: LINE:COL PATH: MESSAGE-SUBSTRING` on the first line (`PATH` is `-` for a
/// problem with the whole file, such as a YAML syntax error), then optionally `# args: FLAG…` with extra flags for
/// `tocsin check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    pub line: usize,
    pub col: usize,
    /// Empty for a file-level problem.
    pub path: String,
    pub message: String,
    pub args: Vec<String>,
}

impl Expect {
    pub fn read(file: &Path) -> Expect {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        Expect::parse(&text).unwrap_or_else(|e| panic!("{}: bad header: {e}", file.display()))
    }

    pub fn parse(text: &str) -> Result<Expect, String> {
        let mut lines = text.lines();
        let first = lines.next().unwrap_or("");
        let rest = first
            .strip_prefix("# expect: ")
            .ok_or("first line must start with \"# expect: \"")?;
        let (pos, rest) = rest.split_once(' ').ok_or("want LINE:COL PATH: MESSAGE")?;
        let (line, col) = pos.split_once(':').ok_or("want LINE:COL")?;
        let (path, message) = rest.split_once(": ").ok_or("want PATH: MESSAGE")?;
        let args = match lines.next().and_then(|l| l.strip_prefix("# args: ")) {
            Some(a) => a.split_whitespace().map(String::from).collect(),
            None => Vec::new(),
        };
        let message = message.trim();
        if message.is_empty() {
            return Err("empty message".into());
        }
        Ok(Expect {
            line: line.parse().map_err(|_| "bad line number")?,
            col: col.parse().map_err(|_| "bad column")?,
            path: if path == "-" {
                String::new()
            } else {
                path.to_string()
            },
            message: message.to_string(),
            args,
        })
    }

    /// Whether a text-format error line about `file` is the expected one.
    pub fn matches(&self, file: &str, line: &str) -> bool {
        match ErrorLine::parse(file, line) {
            Some(e) => {
                e.line == self.line
                    && e.col == self.col
                    && e.path == self.path
                    && e.message.contains(&self.message)
            }
            None => false,
        }
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "-"
        } else {
            &self.path
        };
        write!(f, "{}:{} {path}: …{}…", self.line, self.col, self.message)
    }
}

/// One error line of `tocsin check`'s text output: `FILE:LINE:COL: PATH (group "g", rule "r"): MESSAGE`, where
/// the path and the group/rule part may be missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLine {
    pub line: usize,
    pub col: usize,
    pub path: String,
    /// Everything after the path: the optional `(group …, rule …)` part and the message.
    pub message: String,
}

impl ErrorLine {
    pub fn parse(file: &str, text: &str) -> Option<ErrorLine> {
        let rest = text.strip_prefix(file)?.strip_prefix(':')?;
        let (line, rest) = rest.split_once(':')?;
        let (col, rest) = rest.split_once(':')?;
        let rest = rest.strip_prefix(' ')?;
        let line = line.parse().ok()?;
        let col = col.parse().ok()?;
        // A path is one token made of field names, dots and [indexes], ended by ':' or " (group".
        let end = rest.find([' ', ':']).unwrap_or(rest.len());
        let (candidate, after) = rest.split_at(end);
        let is_path = !candidate.is_empty()
            && (after.starts_with(": ") || after.starts_with(" (group "))
            && candidate
                .chars()
                .all(|c| !c.is_whitespace() && c != '"' && c != '(');
        Some(if is_path {
            ErrorLine {
                line,
                col,
                path: candidate.to_string(),
                message: after.to_string(),
            }
        } else {
            ErrorLine {
                line,
                col,
                path: String::new(),
                message: rest.to_string(),
            }
        })
    }
}

/// The error lines about `file` in a text-format stderr (warnings are printed with a `  WARNING: ` prefix and are
/// left out).
pub fn error_lines<'a>(stderr: &'a str, file: &str) -> Vec<&'a str> {
    let prefix = format!("{file}:");
    stderr.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// Runs `job` on every item with at most `workers` threads; results come back in input order.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    job: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let workers = workers.clamp(1, items.len().max(1));
    let chunk = items.len().div_ceil(workers).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(|| part.iter().map(&job).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// Worker threads for child processes: the machine's parallelism, at most 4.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4)
}
