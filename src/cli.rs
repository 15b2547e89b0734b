//! Command-line entry points: subcommands and flag parsing. Wires the library together; holds no business logic.
//!
//! `tocsin check …` checks rule files as promtool does; `tocsin -dryRun -rule=…` (vmalert's form, no subcommand)
//! checks them as vmalert does.

pub mod check;
pub mod dry_run;
pub mod flags;
pub mod load;
mod malloc_arenas;
pub mod run;
pub mod run_flags;
pub mod run_server;
pub mod run_settings;
pub mod run_templates;
pub mod test;

use std::io::Write;

const USAGE: &str = "\
tocsin: an alert-rule evaluator and Alertmanager bridge, compatible with vmalert and Prometheus rule files

usage:
  tocsin check [flags] FILE|DIR|GLOB|- ...   check rule files as promtool does (see tocsin check -help)
  tocsin run -rule=PATH -datasource.url=URL -notifier.url=URL -remoteWrite.url=URL ...
                                             evaluate rules as vmalert does (vmalert's flags also work
                                             without `run`)
  tocsin test [flags] FILE...                run promtool / vmalert-tool rule unit tests (see tocsin test -help)
  tocsin -dryRun -rule=PATH ...              check rule files as vmalert does
  tocsin version                             print the version
";

/// Runs the command line (without the program name) and returns the process exit status.
pub fn main(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match args.first().map(String::as_str) {
        Some("check") => check::main(&args[1..], out, err),
        Some("run") => run::main(&args[1..], out, err),
        Some("test") => test::main(&args[1..], out, err),
        Some("version" | "-version" | "--version") => {
            let _ = writeln!(out, "tocsin {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Some("help" | "-help" | "--help" | "-h") | None => {
            let _ = write!(out, "{USAGE}");
            0
        }
        // vmalert's flags with no subcommand mean `run` (which hands `-dryRun` to the dry run).
        Some(first) if first.starts_with('-') => run::main(args, out, err),
        Some(other) => {
            let _ = write!(err, "tocsin: unknown command {other:?}\n\n{USAGE}");
            2
        }
    }
}
