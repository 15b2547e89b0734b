//! Problems found in a rule file, each with its file, line, column, field path and, where known, the group and
//! rule it belongs to. Loading gathers all of them instead of stopping at the first. Pure.

use super::yaml::Pos;
use std::fmt;

/// How bad a finding is: errors reject the file; warnings are printed and the file is still used; lint findings
/// come from `--lint` checks and only fail with `--lint-fatal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Lint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Lint => "lint",
        }
    }
}

/// One finding in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: String,
    pub pos: Pos,
    /// The field path, as `groups[2].rules[0].for`; empty for problems with the whole file.
    pub path: String,
    pub group: Option<String>,
    pub rule: Option<String>,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    /// `FILE:LINE:COL: PATH (group "g", rule "r"): MESSAGE`; parts that are unknown are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.pos.line > 0 {
            write!(f, ":{}:{}", self.pos.line, self.pos.col)?;
        }
        f.write_str(":")?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        match (&self.group, &self.rule) {
            (Some(g), Some(r)) => write!(f, " (group {g:?}, rule {r:?})")?,
            (Some(g), None) => write!(f, " (group {g:?})")?,
            _ => {}
        }
        if !self.path.is_empty() || self.group.is_some() {
            f.write_str(":")?;
        }
        write!(f, " {}", self.message)
    }
}

/// Collects findings for one file while its tree is walked, remembering the group and rule in scope.
#[derive(Debug, Default)]
pub struct Report {
    pub file: String,
    pub group: Option<String>,
    pub rule: Option<String>,
    pub items: Vec<Diagnostic>,
}

impl Report {
    pub fn new(file: &str) -> Self {
        Report {
            file: file.to_string(),
            ..Report::default()
        }
    }

    pub fn push(&mut self, severity: Severity, pos: Pos, path: &str, message: impl Into<String>) {
        self.items.push(Diagnostic {
            severity,
            file: self.file.clone(),
            pos,
            path: path.to_string(),
            group: self.group.clone(),
            rule: self.rule.clone(),
            message: message.into(),
        });
    }

    pub fn error(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.push(Severity::Error, pos, path, message);
    }

    pub fn warn(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.push(Severity::Warning, pos, path, message);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_everything_known() {
        let mut r = Report::new("rules.yml");
        r.group = Some("node".into());
        r.rule = Some("HighLoad".into());
        r.error(
            Pos { line: 7, col: 14 },
            "groups[0].rules[1].for",
            "invalid field 'for' in recording rule",
        );
        assert_eq!(
            r.items[0].to_string(),
            "rules.yml:7:14: groups[0].rules[1].for (group \"node\", rule \"HighLoad\"): invalid field 'for' in recording rule"
        );
        let d = Diagnostic {
            pos: Pos::default(),
            path: String::new(),
            group: None,
            rule: None,
            ..r.items[0].clone()
        };
        assert_eq!(
            d.to_string(),
            "rules.yml: invalid field 'for' in recording rule"
        );
    }
}
