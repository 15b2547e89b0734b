//! `tocsin check`: validates rule files offline and reports every problem in every file, in promtool's text
//! layout or as JSON. Also serves vmalert's `-dryRun -rule=…` form. Exit status: 0 when every file is valid, 1 when
//! any file has errors, 3 when only lint findings remain and `--lint-fatal` is set.

use super::flags::{self, FlagKind, FlagSpec};
use crate::config::lint::{self, LintLevel};
use crate::config::{self, Dialect, LoadOptions, LoadedFile, Severity};
use crate::source::files;
use std::io::{Read, Write};

pub const SPECS: &[FlagSpec] = &[
    FlagSpec {
        name: "lint",
        kind: FlagKind::Value,
        help: "lint checks to run: none, duplicate-rules (default) or all",
    },
    FlagSpec {
        name: "lint-fatal",
        kind: FlagKind::Bool,
        help: "exit with status 3 when lint checks find something",
    },
    FlagSpec {
        name: "format",
        kind: FlagKind::Value,
        help: "output format: text (promtool's layout, default) or json",
    },
    FlagSpec {
        name: "dialect",
        kind: FlagKind::Value,
        help: "whose verdicts to follow: promql (promtool's, default) or metricsql (vmalert's)",
    },
    FlagSpec {
        name: "help",
        kind: FlagKind::Bool,
        help: "show this help",
    },
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

/// Checks every input and prints the reports; returns the exit status.
pub fn run(settings: &CheckSettings, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut reports = Vec::new();
    let mut input_errors = Vec::new();
    for input in &settings.inputs {
        if input == "-" {
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => reports.push(check_text("-", &text, settings)),
                Err(e) => input_errors.push(format!("-: {e}")),
            }
            continue;
        }
        match files::expand(input) {
            Ok(paths) => {
                for path in paths {
                    let name = path.display().to_string();
                    match files::read(&path) {
                        Ok(text) => reports.push(check_text(&name, &text, settings)),
                        Err(e) => input_errors.push(e.to_string()),
                    }
                }
            }
            Err(e) => input_errors.push(e.to_string()),
        }
    }
    if settings.json {
        print_json(&reports, &input_errors, out);
    } else {
        print_text(&reports, &input_errors, out, err);
    }
    exit_status(&reports, &input_errors, settings.lint_fatal)
}

/// Checks one file's text.
pub fn check_text(name: &str, text: &str, settings: &CheckSettings) -> FileReport {
    let loaded = config::load_text(name, text, &settings.load);
    let duplicates = if settings.lint == LintLevel::None || loaded.has_errors() {
        Vec::new()
    } else {
        lint::duplicate_rules(&loaded.groups)
    };
    FileReport { loaded, duplicates }
}

fn exit_status(reports: &[FileReport], input_errors: &[String], lint_fatal: bool) -> i32 {
    if !input_errors.is_empty() || reports.iter().any(|r| r.loaded.has_errors()) {
        1
    } else if lint_fatal && reports.iter().any(|r| !r.duplicates.is_empty()) {
        3
    } else {
        0
    }
}

/// promtool's layout: `Checking FILE`, then `  SUCCESS: N rules found` on stdout or `  FAILED:` and the errors on
/// stderr, then a blank line. Warnings follow on stderr.
fn print_text(
    reports: &[FileReport],
    input_errors: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) {
    for e in input_errors {
        let _ = writeln!(err, "  FAILED:\n{e}");
    }
    for r in reports {
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
}

fn print_json(reports: &[FileReport], input_errors: &[String], out: &mut dyn Write) {
    let files: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
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
        })
        .collect();
    let doc = serde_json::json!({ "files": files, "input_errors": input_errors });
    let _ = writeln!(out, "{doc:#}");
}
