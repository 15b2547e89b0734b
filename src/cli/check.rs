//! `tocsin check`: validates rule files offline and reports every problem in every file, in promtool's text
//! layout or as JSON. Also serves vmalert's `-dryRun -rule=…` form. Exit status: 0 when every file is valid, 1 when
//! any file has errors, 3 when only lint findings remain and `--lint-fatal` is set.

use super::flags::{self, FlagSpec};
use crate::config::lint::{self, LintLevel};
use crate::config::{self, Dialect, LoadOptions, LoadedFile, Severity};
use crate::source::files;
use std::io::{Read, Write};

pub const SPECS: &[FlagSpec] = &[
    FlagSpec::value(
        "lint",
        "lint checks to run: none, duplicate-rules (default) or all",
    ),
    FlagSpec::boolean(
        "lint-fatal",
        "exit with status 3 when lint checks find something",
    ),
    FlagSpec::value(
        "format",
        "output format: text (promtool's layout, default) or json",
    ),
    FlagSpec::value(
        "dialect",
        "whose verdicts to follow: promql (promtool's, default) or metricsql (vmalert's)",
    ),
    FlagSpec::boolean("help", "show this help"),
];

/// What a check run should do, resolved from flags.
#[derive(Debug, Clone)]
pub struct CheckSettings {
    pub inputs: Vec<String>,
    pub lint: LintLevel,
    pub lint_fatal: bool,
    pub json: bool,
    pub load: LoadOptions,
}

/// The result of checking one input file.
#[derive(Debug)]
pub struct FileReport {
    pub loaded: LoadedFile,
    pub duplicates: Vec<lint::DuplicateRule>,
}

/// Runs `tocsin check ARGS…`, printing to the given writers; returns the exit status.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let parsed = match flags::parse(args, SPECS) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "tocsin check: {e}");
            return 2;
        }
    };
    if parsed.bool("help", false).unwrap_or(false) {
        let _ = write!(
            out,
            "usage: tocsin check [flags] FILE|DIR|GLOB|- ...\n\nflags:\n{}",
            flags::usage(SPECS)
        );
        return 0;
    }
    let settings = match resolve(&parsed) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "tocsin check: {e}");
            return 2;
        }
    };
    run(&settings, out, err)
}

fn resolve(p: &flags::ParsedFlags) -> Result<CheckSettings, String> {
    let lint = p
        .value("lint")
        .map(str::parse)
        .transpose()?
        .unwrap_or_default();
    let json = match p.value("format").unwrap_or("text") {
        "text" => false,
        "json" => true,
        other => return Err(format!("unknown format {other:?}; want text or json")),
    };
    let dialect = match p.value("dialect").unwrap_or("promql") {
        "promql" => Dialect::Prometheus,
        "metricsql" => Dialect::Vmalert,
        other => {
            return Err(format!(
                "unknown dialect {other:?}; want promql or metricsql"
            ));
        }
    };
    if p.positionals.is_empty() {
        return Err(
            "no rule files given; usage: tocsin check [flags] FILE|DIR|GLOB|- ...".to_string(),
        );
    }
    Ok(CheckSettings {
        inputs: p.positionals.clone(),
        lint,
        lint_fatal: p.bool("lint-fatal", false)?,
        json,
        load: LoadOptions {
            dialect,
            ..LoadOptions::default()
        },
    })
}

/// One thing to check: a file on disk or text already read (standard input).
enum Input {
    Path(std::path::PathBuf),
    Text(String, String),
}

/// Checks every input and prints the reports; returns the exit status.
///
/// Files are checked in parallel, a batch at a time, and each batch is printed in input order and dropped before
/// the next, so memory stays flat however many files there are.
pub fn run(settings: &CheckSettings, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut inputs = Vec::new();
    let mut input_errors = Vec::new();
    for input in &settings.inputs {
        if input == "-" {
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => inputs.push(Input::Text("-".to_string(), text)),
                Err(e) => input_errors.push(format!("-: {e}")),
            }
            continue;
        }
        match files::expand(input) {
            Ok(paths) => inputs.extend(paths.into_iter().map(Input::Path)),
            Err(e) => input_errors.push(e.to_string()),
        }
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8);
    let mut status = Status::default();
    let mut json_files = Vec::new();
    if !settings.json {
        for e in &input_errors {
            let _ = writeln!(err, "  FAILED:\n{e}");
        }
    }
    for batch in inputs.chunks(workers * 32) {
        let reports = check_batch(batch, workers, settings);
        for report in reports {
            match report {
                Ok(r) => {
                    status.add(&r);
                    if settings.json {
                        json_files.push(file_json(&r));
                    } else {
                        print_text(&r, out, err);
                    }
                }
                Err(e) => {
                    status.input_failed = true;
                    if settings.json {
                        input_errors.push(e);
                    } else {
                        let _ = writeln!(err, "  FAILED:\n{e}");
                    }
                }
            }
        }
    }
    status.input_failed |= !input_errors.is_empty();
    if settings.json {
        let doc = serde_json::json!({ "files": json_files, "input_errors": input_errors });
        let _ = writeln!(out, "{doc:#}");
    }
    status.exit_code(settings.lint_fatal)
}

/// Checks a batch of inputs on up to `workers` threads; results come back in input order.
fn check_batch(
    batch: &[Input],
    workers: usize,
    settings: &CheckSettings,
) -> Vec<Result<FileReport, String>> {
    let check_one = |input: &Input| match input {
        Input::Text(name, text) => Ok(check_text(name, text, settings)),
        Input::Path(path) => files::read(path)
            .map(|text| check_text(&path.display().to_string(), &text, settings))
            .map_err(|e| e.to_string()),
    };
    if workers <= 1 || batch.len() <= 1 {
        return batch.iter().map(check_one).collect();
    }
    // Each worker takes the next file as soon as it is free, so one large file does not hold up a whole share.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<FileReport, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.min(batch.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(input) = batch.get(i) else { break };
                        done.push((i, check_one(input)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![(
                        usize::MAX,
                        Err("internal error: a checker thread panicked".to_string()),
                    )]
                })
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// What the exit status depends on.
#[derive(Default)]
struct Status {
    input_failed: bool,
    errors: bool,
    lint: bool,
}

impl Status {
    fn add(&mut self, r: &FileReport) {
        self.errors |= r.loaded.has_errors();
        self.lint |= !r.duplicates.is_empty();
    }

    fn exit_code(&self, lint_fatal: bool) -> i32 {
        if self.input_failed || self.errors {
            1
        } else if lint_fatal && self.lint {
            3
        } else {
            0
        }
    }
}

/// Checks one file's text.
pub fn check_text(name: &str, text: &str, settings: &CheckSettings) -> FileReport {
    let mut loaded = config::load_text(name, text, &settings.load);
    let duplicates = if settings.lint == LintLevel::None || loaded.has_errors() {
        Vec::new()
    } else {
        lint::duplicate_rules(&loaded.groups)
    };
    if !settings.json {
        // The text report needs only the diagnostics and the rule count: free the compiled groups now.
        loaded.groups = Vec::new();
    }
    FileReport { loaded, duplicates }
}

/// promtool's layout: `Checking FILE`, then `  SUCCESS: N rules found` on stdout or `  FAILED:` and the errors on
/// stderr, then a blank line. Warnings follow on stderr.
fn print_text(r: &FileReport, out: &mut dyn Write, err: &mut dyn Write) {
    let _ = writeln!(out, "Checking {}", r.loaded.file);
    let errors: Vec<_> = r
        .loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(err, "  FAILED:");
        for d in &errors {
            let _ = writeln!(err, "{d}");
        }
    } else if !r.duplicates.is_empty() {
        let _ = writeln!(err, "  FAILED:\n{}", lint::format_duplicates(&r.duplicates));
    } else {
        let _ = writeln!(out, "  SUCCESS: {} rules found", r.loaded.rules_found);
    }
    for d in r
        .loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
    {
        let _ = writeln!(err, "  WARNING: {d}");
    }
    let _ = writeln!(out);
}

fn file_json(r: &FileReport) -> serde_json::Value {
    let diagnostics: Vec<serde_json::Value> = r
        .loaded
        .diagnostics
        .iter()
        .map(|d| {
            serde_json::json!({
                "severity": d.severity.as_str(),
                "file": d.file,
                "line": d.pos.line,
                "column": d.pos.col,
                "path": d.path,
                "group": d.group,
                "rule": d.rule,
                "message": d.message,
            })
        })
        .collect();
    let duplicates: Vec<serde_json::Value> = r
        .duplicates
        .iter()
        .map(|d| serde_json::json!({"name": d.name, "labels": d.labels}))
        .collect();
    serde_json::json!({
        "file": r.loaded.file,
        "status": if r.loaded.has_errors() { "failed" } else { "success" },
        "rules_found": r.loaded.rules_found,
        "groups": r.loaded.groups.iter().map(|g| serde_json::json!({
            "name": g.name,
            "id": g.id.to_string(),
            "rules": g.rules.iter().map(|rule| serde_json::json!({
                "name": rule.name(),
                "id": rule.id.to_string(),
                "type": if rule.is_alerting() { "alerting" } else { "recording" },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "diagnostics": diagnostics,
        "duplicate_rules": duplicates,
    })
}
