//! Lint checks on loaded groups, as `promtool check rules --lint` runs them. Findings are advisory: they fail a
//! check only with `--lint-fatal`. Pure.

use super::model::Group;
use std::collections::BTreeMap;

/// Which lint checks to run (`--lint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LintLevel {
    None,
    /// Rules of one file with the same name and labels (promtool's default).
    #[default]
    DuplicateRules,
    /// Every check; in promtool 2.42 that is duplicate-rules.
    All,
}

impl std::str::FromStr for LintLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(LintLevel::None),
            "duplicate-rules" => Ok(LintLevel::DuplicateRules),
            "all" => Ok(LintLevel::All),
            other => Err(format!(
                "unknown lint level {other:?}; want none, duplicate-rules or all"
            )),
        }
    }
}

/// A rule that repeats an earlier rule of the same file: its name and labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRule {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// The name and label sets that more than one rule of the file has, each once, ordered by name then labels as
/// promtool orders them.
pub fn duplicate_rules(groups: &[Group]) -> Vec<DuplicateRule> {
    let mut all: Vec<(&str, &crate::rule::PackedLabels)> = groups
        .iter()
        .flat_map(|g| g.rules.iter().map(|r| (r.name(), &r.labels)))
        .collect();
    all.sort();
    // promtool reports each repeated name and label set once, however many copies there are.
    let mut out: Vec<DuplicateRule> = Vec::new();
    for w in all.windows(2) {
        let repeated = w[0] == w[1];
        let already = out
            .last()
            .is_some_and(|d| d.name == w[1].0 && d.labels == *w[1].1);
        if repeated && !already {
            out.push(DuplicateRule {
                name: w[1].0.to_string(),
                labels: w[1].1.to_labels(),
            });
        }
    }
    out
}

/// promtool's text for duplicate findings.
pub fn format_duplicates(dups: &[DuplicateRule]) -> String {
    let mut out = format!("lint error {} duplicate rule(s) found.\n", dups.len());
    for d in dups {
        out.push_str(&format!("Metric: {}\nLabel(s):\n", d.name));
        for (k, v) in &d.labels {
            out.push_str(&format!("\t{k}: {v}\n"));
        }
    }
    out.push_str("Might cause inconsistency while recording expressions");
    out
}
