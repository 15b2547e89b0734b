//! Rule files: the model of what users write, validation with file:line:field errors, and the compiled groups and
//! rules the rest of tocsin runs.
//!
//! The path through this module is: text → `%{ENV}` expansion ([`env`]) → YAML tree with positions ([`yaml`]) →
//! raw groups, shape-checked ([`raw`]) → validated, compiled [`Group`]s ([`validate`]) → optional lint findings
//! ([`lint`]). Every finding is a [`Diagnostic`]; a file's findings are all gathered before anything is reported.
//!
//! Does no IO: callers read files (see `crate::source`) and hand over the text. Never evaluates anything.

pub mod diagnostic;
pub mod duration;
pub mod env;
pub mod identity;
pub mod lint;
pub mod model;
pub mod names;
pub mod raw;
pub mod timezone;
pub mod validate;
pub mod yaml;

pub use diagnostic::{Diagnostic, Severity};
pub use duration::Duration;
pub use model::{DatasourceType, Group, Rule, RuleKind, Schedule};

use diagnostic::Report;

/// Whose acceptance rules a load follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// promtool 2.42's verdicts: PromQL expressions, Prometheus durations and template variables; promtool-only
    /// findings are errors. The default of `tocsin check`.
    Prometheus,
    /// vmalert's verdicts: MetricsQL expressions and durations, vmalert's template variables; promtool-only findings
    /// are warnings. Used by `tocsin run` and `tocsin -dryRun`.
    Vmalert,
}

/// How a rule file is loaded.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub dialect: Dialect,
    /// The interval of groups that set none (`-evaluationInterval`, default 1m).
    pub default_interval: Duration,
    /// Parse every expression (`-rule.validateExpressions`, default true).
    pub validate_expressions: bool,
    /// Parse every annotation and alert label template (`-rule.validateTemplates`, default true).
    pub validate_templates: bool,
    /// Replace `%{NAME}` placeholders from the environment before parsing (vmalert does; promtool does not).
    pub expand_env: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            dialect: Dialect::Prometheus,
            default_interval: Duration::from_secs(60),
            validate_expressions: true,
            validate_templates: true,
            expand_env: true,
        }
    }
}

/// The outcome of loading one file: the groups that compiled, every finding, and the number of rules seen.
#[derive(Debug, Clone, Default)]
pub struct LoadedFile {
    pub file: String,
    pub groups: Vec<Group>,
    pub diagnostics: Vec<Diagnostic>,
    /// Rules written in the file, valid or not (promtool's "N rules found").
    pub rules_found: usize,
}

impl LoadedFile {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Loads one rule file from its text. `file` names it in diagnostics and identities.
pub fn load_text(file: &str, text: &str, opts: &LoadOptions) -> LoadedFile {
    load_text_with_env(file, text, opts, |name| std::env::var(name).ok())
}

/// [`load_text`] with an explicit environment, for tests and for sources that carry their own.
pub fn load_text_with_env(
    file: &str,
    text: &str,
    opts: &LoadOptions,
    env_lookup: impl Fn(&str) -> Option<String>,
) -> LoadedFile {
    let mut report = Report::new(file);
    let expanded;
    let text = if opts.expand_env {
        match env::expand(text, env_lookup) {
            Ok(t) => {
                expanded = t;
                expanded.as_str()
            }
            Err(e) => {
                report.error(
                    yaml::Pos {
                        line: e.line,
                        col: e.col,
                    },
                    "",
                    e.to_string(),
                );
                return LoadedFile {
                    file: file.to_string(),
                    diagnostics: report.items,
                    ..LoadedFile::default()
                };
            }
        }
    } else {
        text
    };
    let documents = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            report.error(e.pos, "", format!("invalid YAML: {}", e.message));
            return LoadedFile {
                file: file.to_string(),
                diagnostics: report.items,
                ..LoadedFile::default()
            };
        }
    };
    let raw = raw::read_groups(&documents, &mut report);
    drop(documents);
    let rules_found = raw.iter().map(|g| g.rules.len()).sum();
    let groups = validate::compile_groups(file, &raw, opts, &mut report);
    report.items.sort_by_key(|d| d.pos);
    LoadedFile {
        file: file.to_string(),
        groups,
        diagnostics: report.items,
        rules_found,
    }
}
