//! vmalert's flag form without a subcommand. For now it serves `-dryRun`: the `-rule` files are loaded with
//! vmalert's acceptance rules and every problem is printed. (`tocsin run` arrives with the runtime.)

use super::flags::{self, FlagSpec};
use crate::config::duration::DurationSyntax;
use crate::config::{self, Dialect, Duration, LoadOptions, Severity};
use crate::source::files;
use std::io::Write;

/// vmalert's flags: the dry run accepts every flag `tocsin run` accepts.
pub const SPECS: &[FlagSpec] = super::run_flags::RUN_FLAGS;

/// Runs the vmalert-form command line; returns the exit status.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let parsed = match flags::parse(args, SPECS) {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "tocsin: {e}");
            return 2;
        }
    };
    match run(&parsed, out, err) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "tocsin: {e}");
            2
        }
    }
}

fn run(p: &flags::ParsedFlags, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    if !p.bool("dryRun", false)? {
        return Err("the dry run needs -dryRun".into());
    }
    if !p.positionals.is_empty() {
        return Err(format!(
            "unexpected argument {:?}; rule files go in -rule",
            p.positionals[0]
        ));
    }
    let patterns = p.list("rule");
    if patterns.is_empty() {
        return Err("-dryRun needs at least one -rule".to_string());
    }
    let default_interval = match p.value("evaluationInterval") {
        Some(v) => Duration::parse(v, DurationSyntax::MetricsQl)
            .map_err(|e| format!("-evaluationInterval: {e}"))?,
        None => Duration::from_secs(60),
    };
    let opts = LoadOptions {
        dialect: Dialect::Vmalert,
        default_interval,
        validate_expressions: p.bool("rule.validateExpressions", true)?,
        validate_templates: p.bool("rule.validateTemplates", true)?,
        expand_env: true,
    };
    let (paths, source_errors) = files::expand_all(&patterns);
    let mut failed = !source_errors.is_empty();
    for e in &source_errors {
        let _ = writeln!(err, "error: {e}");
    }
    let mut groups = 0;
    let mut rules = 0;
    for path in paths {
        let name = path.display().to_string();
        let text = match files::read(&path) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                failed = true;
                continue;
            }
        };
        let loaded = config::load_text(&name, &text, &opts);
        for d in &loaded.diagnostics {
            let _ = writeln!(err, "{}: {d}", d.severity.as_str());
            failed |= d.severity == Severity::Error;
        }
        groups += loaded.groups.len();
        rules += loaded.groups.iter().map(|g| g.rules.len()).sum::<usize>();
    }
    if failed {
        return Ok(1);
    }
    if groups == 0 {
        let _ = writeln!(err, "error: no groups found in {}", patterns.join(";"));
        return Ok(1);
    }
    let _ = writeln!(out, "dry run: {groups} groups with {rules} rules are valid");
    Ok(0)
}
