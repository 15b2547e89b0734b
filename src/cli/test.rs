//! `tocsin test`: runs promtool / vmalert-tool rule unit-test files and prints promtool 2.42's text (or JSON),
//! optionally a diff of each failure, a JUnit XML file, every alert state (`--debug`) and a coverage report.
//! Exit status: 0 when every file passes, 1 on any failure, 2 on bad flags.
//!
//! Holds no test semantics: those are in `crate::unittest`.

use super::flags::{self, FlagSpec};
use crate::unittest::{self, FileReport, RuleRef, RunOptions};
use std::collections::BTreeSet;
use std::io::Write;

pub const SPECS: &[FlagSpec] = &[
    FlagSpec::value(
        "run",
        "only run test groups whose name matches this regular expression",
    ),
    FlagSpec::boolean(
        "diff",
        "print a line diff of expected and actual results for each failure",
    ),
    FlagSpec::value("junit", "write a JUnit XML report to this file"),
    FlagSpec::value(
        "format",
        "output format: text (promtool's layout, default) or json",
    ),
    FlagSpec::boolean(
        "debug",
        "print the state of every alert at every evaluation",
    ),
    FlagSpec::value(
        "range-boundaries",
        "closed (Prometheus 2.x and promtool 2.42, default): ranges and the lookback window include their left end; \
         left-open (Prometheus 3): they exclude it",
    ),
    FlagSpec::boolean(
        "coverage",
        "print the rules no test exercised after the results (default true; never changes the exit status)",
    ),
    FlagSpec::boolean("help", "show this help"),
];

/// Runs `tocsin test ARGS…`; returns the exit status.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let parsed = match flags::parse(args, SPECS) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "tocsin test: {e}");
            return 2;
        }
    };
    if parsed.bool("help", false).unwrap_or(false) || parsed.positionals.is_empty() {
        let _ = write!(
            out,
            "usage: tocsin test [flags] FILE...\n\nflags:\n{}",
            flags::usage(SPECS)
        );
        return if parsed.positionals.is_empty() && !parsed.bool("help", false).unwrap_or(false) {
            2
        } else {
            0
        };
    }
    let bools = (|| -> Result<(bool, bool, bool), String> {
        Ok((
            parsed.bool("diff", false)?,
            parsed.bool("debug", false)?,
            parsed.bool("coverage", true)?,
        ))
    })();
    let (diff, debug, coverage) = match bools {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "tocsin test: {e}");
            return 2;
        }
    };
    let json = match parsed.value("format").unwrap_or("text") {
        "text" => false,
        "json" => true,
        other => {
            let _ = writeln!(
                err,
                "tocsin test: unknown -format {other:?}: use text or json"
            );
            return 2;
        }
    };
    let left_open_ranges = match parsed.value("range-boundaries").unwrap_or("closed") {
        "closed" => false,
        "left-open" => true,
        other => {
            let _ = writeln!(
                err,
                "tocsin test: unknown -range-boundaries {other:?}: use closed or left-open"
            );
            return 2;
        }
    };
    let run = match parsed.value("run").map(regex::Regex::new).transpose() {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "tocsin test: invalid -run: {e}");
            return 2;
        }
    };
    let opts = RunOptions {
        run,
        debug,
        left_open_ranges,
    };
    let reports = run_all(&parsed.positionals, &opts);
    let failed = reports.iter().any(FileReport::failed);

    if json {
        let _ = writeln!(out, "{}", json_report(&reports, coverage));
    } else {
        for r in &reports {
            print_text(r, diff, out, err);
        }
        if coverage {
            print_coverage(&reports, out);
        }
    }
    if let Some(path) = parsed.value("junit")
        && let Err(e) = std::fs::write(path, junit(&reports))
    {
        let _ = writeln!(err, "tocsin test: write {path}: {e}");
        return 1;
    }
    i32::from(failed)
}

/// Runs every file, in parallel threads, returning reports in argument order.
fn run_all(files: &[String], opts: &RunOptions) -> Vec<FileReport> {
    // One file needs neither the core count (a handful of cgroup files to read) nor a thread to start and join,
    // which are a measurable part of a one-file run.
    let workers = if files.len() <= 1 {
        1
    } else {
        std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .clamp(1, 8)
            .min(files.len())
    };
    if workers <= 1 {
        return files
            .iter()
            .map(|f| {
                // As with a worker thread below: a panic (a bug) fails this file instead of ending the run.
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    unittest::run_file(f, opts)
                }))
                .unwrap_or_else(|_| panicked(f))
            })
            .collect();
    }
    let mut slots: Vec<Option<FileReport>> = vec![None; files.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    (w..files.len())
                        .step_by(workers)
                        .map(|i| (i, unittest::run_file(&files[i], opts)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            // A worker only panics on a bug; its files are then reported as failed below.
            if let Ok(done) = h.join() {
                for (i, r) in done {
                    slots[i] = Some(r);
                }
            }
        }
    });
    slots
        .into_iter()
        .zip(files)
        .map(|(r, f)| r.unwrap_or_else(|| panicked(f)))
        .collect()
}

/// The report of a file whose run panicked.
fn panicked(file: &str) -> FileReport {
    FileReport {
        file: file.to_string(),
        errors: vec!["internal error: the test run panicked".into()],
        ..FileReport::default()
    }
}

/// promtool's layout: results on stdout, failures on stderr.
fn print_text(r: &FileReport, diff: bool, out: &mut dyn Write, err: &mut dyn Write) {
    let _ = writeln!(out, "Unit Testing:  {}", r.file);
    for w in &r.warnings {
        let _ = writeln!(err, "{w}");
    }
    for g in &r.groups {
        for line in &g.outcome.debug {
            let _ = writeln!(out, "  debug: {line}");
        }
    }
    if r.failed() {
        let _ = writeln!(err, "  FAILED:");
        for e in &r.errors {
            let _ = writeln!(err, "{e}");
            let _ = writeln!(out);
        }
        for g in &r.groups {
            for f in &g.outcome.failures {
                let _ = writeln!(err, "{}", f.text());
                if diff && let Some((exp, got)) = f.diff_sides() {
                    let _ = write!(err, "{}", line_diff(&exp, &got));
                }
                let _ = writeln!(out);
            }
        }
    } else {
        let _ = writeln!(out, "  SUCCESS");
    }
    let _ = writeln!(out);
}

/// A unified-style diff of two line lists (`-` expected only, `+` got only), by longest common subsequence.
pub fn line_diff(exp: &[String], got: &[String]) -> String {
    let (n, m) = (exp.len(), got.len());
    let mut out = String::from("        diff (-exp +got):\n");
    if n * m > 1_000_000 {
        for l in exp {
            out.push_str(&format!("          - {l}\n"));
        }
        for l in got {
            out.push_str(&format!("          + {l}\n"));
        }
        return out;
    }
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if exp[i] == got[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && exp[i] == got[j] {
            out.push_str(&format!("            {}\n", exp[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("          + {}\n", got[j]));
            j += 1;
        } else {
            out.push_str(&format!("          - {}\n", exp[i]));
            i += 1;
        }
    }
    out
}

/// Rules of all rule files no selected test exercised.
fn uncovered(reports: &[FileReport]) -> (usize, Vec<RuleRef>) {
    let all: BTreeSet<&RuleRef> = reports.iter().flat_map(|r| &r.rules).collect();
    let hit: BTreeSet<&RuleRef> = reports.iter().flat_map(|r| &r.exercised).collect();
    let missing = all
        .iter()
        .filter(|r| !hit.contains(*r))
        .map(|r| (*r).clone())
        .collect();
    (all.len(), missing)
}

fn print_coverage(reports: &[FileReport], out: &mut dyn Write) {
    let (total, missing) = uncovered(reports);
    if total == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "Coverage: {} of {total} rules exercised",
        total - missing.len()
    );
    for r in &missing {
        let kind = if r.alerting { "alert" } else { "record" };
        let _ = writeln!(
            out,
            "  not exercised: {}: group {:?}, {kind} {:?}",
            r.file, r.group, r.rule
        );
    }
}

fn json_report(reports: &[FileReport], coverage: bool) -> serde_json::Value {
    use serde_json::json;
    let files: Vec<_> = reports
        .iter()
        .map(|r| {
            json!({
                "file": r.file,
                "format": r.format.map(|f| match f {
                    unittest::Format::Promtool => "promtool",
                    unittest::Format::VmalertTool => "vmalert-tool",
                }),
                "success": !r.failed(),
                "warnings": r.warnings.iter().map(|w| w.trim()).collect::<Vec<_>>(),
                "errors": r.errors,
                "tests": r.groups.iter().map(|g| json!({
                    "index": g.index,
                    "name": g.name,
                    "cases": g.outcome.cases,
                    "success": g.outcome.failures.is_empty(),
                    "failures": g.outcome.failures.iter().map(|f| f.text()).collect::<Vec<_>>(),
                    "debug": g.outcome.debug,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut v = json!({
        "success": !reports.iter().any(FileReport::failed),
        "files": files,
    });
    if coverage {
        let (total, missing) = uncovered(reports);
        v["coverage"] = json!({
            "rules": total,
            "exercised": total - missing.len(),
            "not_exercised": missing.iter().map(|r| json!({
                "file": r.file, "group": r.group, "rule": r.rule,
                "type": if r.alerting { "alerting" } else { "recording" },
            })).collect::<Vec<_>>(),
        });
    }
    v
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A JUnit XML report: one suite per file, one case per test group.
pub fn junit(reports: &[FileReport]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in reports {
        let failures = r
            .groups
            .iter()
            .filter(|g| !g.outcome.failures.is_empty())
            .count()
            + usize::from(!r.errors.is_empty());
        s.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            xml_escape(&r.file),
            r.groups.len().max(usize::from(!r.errors.is_empty()))
        ));
        if !r.errors.is_empty() {
            s.push_str(&format!(
                "    <testcase name=\"{}\">\n      <failure message=\"file failed\">{}</failure>\n    </testcase>\n",
                xml_escape(&r.file),
                xml_escape(&r.errors.join("\n"))
            ));
        }
        for g in &r.groups {
            let name = if g.name.is_empty() {
                format!("tests[{}]", g.index)
            } else {
                g.name.clone()
            };
            s.push_str(&format!("    <testcase name=\"{}\">", xml_escape(&name)));
            if g.outcome.failures.is_empty() {
                s.push_str("</testcase>\n");
            } else {
                let text: Vec<String> = g.outcome.failures.iter().map(|f| f.text()).collect();
                s.push_str(&format!(
                    "\n      <failure message=\"{} failure(s)\">{}</failure>\n    </testcase>\n",
                    text.len(),
                    xml_escape(&text.join("\n"))
                ));
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changed_lines() {
        let a = vec!["x".to_string(), "y".to_string()];
        let b = vec!["x".to_string(), "z".to_string()];
        let d = line_diff(&a, &b);
        assert!(d.contains("            x\n"));
        assert!(d.contains("          - y\n"));
        assert!(d.contains("          + z\n"));
    }

    #[test]
    fn junit_escapes() {
        let r = FileReport {
            file: "a<b>.yml".into(),
            errors: vec!["bad \"x\"".into()],
            ..FileReport::default()
        };
        let x = junit(&[r]);
        assert!(x.contains("a&lt;b&gt;.yml") && x.contains("bad &quot;x&quot;"));
    }
}
