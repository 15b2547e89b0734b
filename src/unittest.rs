//! `tocsin test`: promtool (`promtool test rules`) and vmalert-tool (`vmalert-tool unittest`) rule unit tests, run
//! offline against the embedded PromQL engine with the production state machine.
//!
//! Place in the pipeline: test file → [`model`] (strict) → rule files loaded by `config` → [`runner`] drives
//! `rule::AlertingRule` / `rule::RecordingRule` over `promql::engine::Storage` → [`FileReport`] → the CLI prints it.
//! This file is the loading shim (it reads the test file and the rule files its globs match); everything below it
//! is pure.
//!
//! Must not: keep a second copy of the alerting state machine, or print anything (the CLI formats reports).

pub mod format;
pub mod model;
pub mod runner;
pub mod series;
pub mod series_labels;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::config::{self, Dialect, Group, LoadOptions, Severity};
use format::{alerts_string, indent_lines, samples_string};
pub use model::{Format, TestFile};
pub use runner::{Failure, GroupOutcome};

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only test groups whose name matches (promtool's `--run`).
    pub run: Option<regex::Regex>,
    /// Record every alert's state at every evaluation.
    pub debug: bool,
    /// Prometheus 3's left-open range boundaries (`(t-d, t]` for ranges and the lookback window) instead of
    /// Prometheus 2.x's closed ones (`[t-d, t]`, promtool 2.42, the default).
    pub left_open_ranges: bool,
}

/// The result of one test group.
#[derive(Debug, Clone)]
pub struct GroupReport {
    /// Position in `tests`.
    pub index: usize,
    pub name: String,
    pub outcome: GroupOutcome,
}

/// A rule of the rule files and whether some test exercised it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleRef {
    pub file: String,
    pub group: String,
    pub rule: String,
    pub alerting: bool,
}

/// The result of one test file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// The path as given.
    pub file: String,
    pub format: Option<Format>,
    /// Printed before the result (`  WARNING: no file match pattern …`).
    pub warnings: Vec<String>,
    /// Problems with the file itself: nothing ran.
    pub errors: Vec<String>,
    pub groups: Vec<GroupReport>,
    /// Every rule of the rule files, for coverage.
    pub rules: Vec<RuleRef>,
    /// Rules some selected test group exercised.
    pub exercised: BTreeSet<RuleRef>,
}

impl FileReport {
    /// True when the file or any test group failed.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty() || self.groups.iter().any(|g| !g.outcome.failures.is_empty())
    }

    /// promtool's error texts, in its order: file errors, then each group's failures.
    pub fn failure_texts(&self) -> Vec<String> {
        let mut out = self.errors.clone();
        for g in &self.groups {
            out.extend(g.outcome.failures.iter().map(Failure::text));
        }
        out
    }
}

impl Failure {
    /// The text promtool 2.42 prints for this failure (without the trailing newline).
    pub fn text(&self) -> String {
        let pad = "            ";
        match self {
            Failure::Alert {
                test_name,
                alertname,
                eval_time,
                exp,
                got,
            } => {
                let name = if test_name.is_empty() {
                    String::new()
                } else {
                    format!("    name: {test_name},\n")
                };
                format!(
                    "{name}    alertname: {alertname}, time: {eval_time}, \n        exp:{}, \n        got:{}",
                    indent_lines(&alerts_string(exp), pad),
                    indent_lines(&alerts_string(got), pad)
                )
            }
            Failure::Expr {
                expr,
                eval_time,
                exp,
                got,
            } => format!(
                "    expr: {}, time: {eval_time},\n        exp: {}\n        got: {}",
                format::go_quote(expr),
                samples_string(exp),
                samples_string(got)
            ),
            Failure::ExprError {
                expr,
                eval_time,
                err,
            } => format!(
                "    expr: {}, time: {eval_time}, err: {err}",
                format::go_quote(expr)
            ),
            Failure::Rule { rule, time, err } => {
                format!("    rule: {rule}, time: {time}, err: {err}")
            }
            Failure::Setup(s) => s.clone(),
        }
    }

    /// Expected and got as lines, for `--diff`; `None` for failures without an expectation.
    pub fn diff_sides(&self) -> Option<(Vec<String>, Vec<String>)> {
        match self {
            Failure::Alert { exp, got, .. } => {
                let side = |l: &[format::LabelsAndAnnotations]| {
                    l.iter()
                        .map(|a| {
                            format!(
                                "{} {}",
                                format::labels_string(&a.labels),
                                format::labels_string(&a.annotations)
                            )
                        })
                        .collect()
                };
                Some((side(exp), side(got)))
            }
            Failure::Expr { exp, got, .. } => {
                let side = |l: &[(crate::rule::Labels, f64)]| {
                    l.iter()
                        .map(|(l, v)| {
                            format!("{} {}", format::labels_string(l), format::go_float_e(*v))
                        })
                        .collect()
                };
                Some((side(exp), side(got)))
            }
            _ => None,
        }
    }
}

/// Runs one test file. `path` is used as given for messages and relative rule-file globs.
pub fn run_file(path: &str, opts: &RunOptions) -> FileReport {
    let mut report = FileReport {
        file: path.to_string(),
        ..FileReport::default()
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(format!("open {path}: {e}"));
            return report;
        }
    };
    let file = match model::parse(&text) {
        Ok(f) => f,
        Err(e) => {
            report.errors.push(format!("{path}:{e}"));
            return report;
        }
    };
    report.format = Some(file.format);
    let base = Path::new(path).parent().unwrap_or(Path::new(""));
    let mut rule_paths: Vec<PathBuf> = Vec::new();
    for pattern in &file.rule_files {
        let full = if pattern.is_empty() || Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            base.join(pattern)
        };
        let shown = clean(&full);
        match glob(&full) {
            Ok(m) if m.is_empty() => report
                .warnings
                .push(format!("  WARNING: no file match pattern {shown}")),
            Ok(m) => rule_paths.extend(m),
            Err(e) => {
                report.errors.push(e);
                return report;
            }
        }
    }
    let dialect = match file.format {
        Format::Promtool => Dialect::Prometheus,
        Format::VmalertTool => Dialect::Vmalert,
    };
    let mut groups: Vec<Group> = Vec::new();
    for p in &rule_paths {
        let shown = clean(p);
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                report.errors.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let loaded = config::load_text(
            &shown,
            &text,
            &LoadOptions {
                dialect,
                expand_env: false,
                ..LoadOptions::default()
            },
        );
        for d in loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
        {
            report.errors.push(d.to_string());
        }
        groups.extend(loaded.groups);
    }
    if !report.errors.is_empty() {
        return report;
    }
    for g in &groups {
        for r in &g.rules {
            report.rules.push(RuleRef {
                file: g.file.clone(),
                group: g.name.clone(),
                rule: r.name().to_string(),
                alerting: r.is_alerting(),
            });
        }
    }
    let ordered = runner::OrderedGroups::new(&groups, &file.group_eval_order);
    for (index, tg) in file.tests.iter().enumerate() {
        if let Some(re) = &opts.run
            && !re.is_match(&tg.name)
        {
            continue;
        }
        mark_exercised(&report.rules, tg, &mut report.exercised);
        let outcome = runner::run_group(&file, tg, &ordered, opts);
        report.groups.push(GroupReport {
            index,
            name: tg.name.clone(),
            outcome,
        });
    }
    report
}

/// A rule is exercised when an alert test names it (alerting rules) or an expression test selects its series by
/// name (recording rules).
fn mark_exercised(rules: &[RuleRef], tg: &model::TestGroup, out: &mut BTreeSet<RuleRef>) {
    for r in rules {
        let hit = if r.alerting {
            tg.alert_rule_test.iter().any(|a| a.alertname == r.rule)
        } else {
            tg.expr_test.iter().any(|e| mentions_name(&e.expr, &r.rule))
        };
        if hit {
            out.insert(r.clone());
        }
    }
}

/// True when `name` occurs in `expr` as a whole metric-name token.
fn mentions_name(expr: &str, name: &str) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    expr.match_indices(name).any(|(i, _)| {
        let before = expr[..i].chars().next_back();
        let after = expr[i + name.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

/// Go's `filepath.Clean` for the cases test files use: drops `./` components.
fn clean(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if parts.last().is_some_and(|l| l != ".." && !l.is_empty()) =>
            {
                parts.pop();
            }
            std::path::Component::RootDir => parts.push(String::new()),
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    match parts.as_slice() {
        [] => ".".into(),
        [root] if root.is_empty() => "/".into(),
        _ => parts.join("/"),
    }
}

/// Files matching a glob pattern (`*`, `?`, `[…]` in any component), sorted.
fn glob(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let text = pattern.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        return Ok(if pattern.is_file() {
            vec![pattern.to_path_buf()]
        } else {
            Vec::new()
        });
    }
    let matcher = globset::GlobBuilder::new(&text)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("syntax error in pattern {text}: {e}"))?
        .compile_matcher();
    // Walk from the longest prefix without wildcards.
    let root: PathBuf = pattern
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
        .collect();
    let depth = pattern.components().count() - root.components().count();
    let start = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root.clone()
    };
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&start)
        .min_depth(depth)
        .max_depth(depth)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let p = if root.as_os_str().is_empty() {
            entry
                .path()
                .strip_prefix(".")
                .unwrap_or(entry.path())
                .to_path_buf()
        } else {
            entry.path().to_path_buf()
        };
        if entry.file_type().is_file() && matcher.is_match(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_matched_as_tokens() {
        assert!(mentions_name("sum(job:up:sum)", "job:up:sum"));
        assert!(!mentions_name("job:up:sum_x", "job:up:sum"));
        assert!(!mentions_name("xjob:up:sum", "job:up:sum"));
    }

    #[test]
    fn paths_are_cleaned_as_go_does() {
        assert_eq!(clean(Path::new("./a/./b.yml")), "a/b.yml");
        assert_eq!(clean(Path::new("a/../b.yml")), "b.yml");
        assert_eq!(clean(Path::new("/x/y")), "/x/y");
    }
}
