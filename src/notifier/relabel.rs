//! Prometheus relabeling (`relabel_configs`, `alert_relabel_configs`): the rule model, its validation and its
//! application to one label set. Semantics follow Prometheus's `model/relabel` as documented for
//! `<relabel_config>`: separator `;`, regex `(.*)` anchored at both ends, replacement `$1`, action `replace`, Go's
//! `$1` / `${name}` expansion (a `$1x` names the group `1x`), a label set to an empty value is removed, and legacy
//! label-name validity (`[a-zA-Z_][a-zA-Z0-9_]*`) for targets.
//!
//! Used by the notifier on discovered targets and on alerts; pure (no IO, no clock). Reading rules from YAML is the
//! config file's job (`file.rs`); this module only takes their fields.

mod md5;

use crate::rule::Labels;
use regex::Regex;
use std::fmt;

/// What one relabel rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl Action {
    /// Prometheus's names, matched case-insensitively as Prometheus does.
    pub fn parse(s: &str) -> Result<Action, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "replace" => Action::Replace,
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "keepequal" => Action::KeepEqual,
            "dropequal" => Action::DropEqual,
            "hashmod" => Action::HashMod,
            "labelmap" => Action::LabelMap,
            "labeldrop" => Action::LabelDrop,
            "labelkeep" => Action::LabelKeep,
            "lowercase" => Action::Lowercase,
            "uppercase" => Action::Uppercase,
            "replace_all" | "keep_if_equal" | "drop_if_equal" | "keep_metrics" | "drop_metrics"
            | "labelmap_all" | "graphite" | "keep_if_contains" | "drop_if_contains" => {
                return Err(format!(
                    "relabel action {s:?} is a VictoriaMetrics extension that tocsin does not support; \
                     use the Prometheus actions (replace, keep, drop, keepequal, dropequal, hashmod, labelmap, \
                     labeldrop, labelkeep, lowercase, uppercase)"
                ));
            }
            _ => return Err(format!("unknown relabel action {s:?}")),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule as written: `None` for a field that was not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelabelSpec {
    pub source_labels: Option<Vec<String>>,
    pub separator: Option<String>,
    pub target_label: Option<String>,
    pub regex: Option<String>,
    pub modulus: Option<u64>,
    pub replacement: Option<String>,
    pub action: Option<String>,
}

/// Why a rule is invalid, and which of its fields to point at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RelabelError {
    /// The YAML key the problem is about (`action`, `regex`, `target_label`…).
    pub field: &'static str,
    pub message: String,
}

const DEFAULT_SEPARATOR: &str = ";";
const DEFAULT_REGEX: &str = "(.*)";
const DEFAULT_REPLACEMENT: &str = "$1";

/// One validated rule.
#[derive(Debug, Clone)]
pub struct RelabelRule {
    action: Action,
    source_labels: Vec<String>,
    separator: String,
    target_label: String,
    regex: Regex,
    modulus: u64,
    replacement: String,
}

fn err(field: &'static str, message: impl Into<String>) -> RelabelError {
    RelabelError {
        field,
        message: message.into(),
    }
}

/// Prometheus's legacy label-name rule.
pub fn is_valid_label_name(name: &str) -> bool {
    crate::config::names::is_valid_label_name(name)
}

/// A target label or `labelmap` replacement made of name characters and `$` references, as Prometheus's
/// `relabelTarget` pattern (ASCII word characters only).
fn is_valid_target_template(s: &str) -> bool {
    // The pattern cannot fail to compile: it is a literal checked by the tests.
    Regex::new(r"^(?:(?:[a-zA-Z_]|\$(?:\{[0-9A-Za-z_]+\}|[0-9A-Za-z_]+))+[0-9A-Za-z_]*)+$")
        .map(|re| re.is_match(s))
        .unwrap_or(false)
}

impl RelabelRule {
    /// Validates a rule as Prometheus's `Config.Validate` does, and compiles its regex anchored at both ends.
    pub fn new(spec: &RelabelSpec) -> Result<RelabelRule, RelabelError> {
        let action = match &spec.action {
            Some(a) if a.is_empty() => return Err(err("action", "relabel action cannot be empty")),
            Some(a) => Action::parse(a).map_err(|m| err("action", m))?,
            None => Action::Replace,
        };
        let regex_text = spec.regex.as_deref().unwrap_or(DEFAULT_REGEX);
        let regex = Regex::new(&format!("^(?:{regex_text})$"))
            .map_err(|e| err("regex", format!("invalid regex {regex_text:?}: {e}")))?;
        let target = spec.target_label.clone().unwrap_or_default();
        let separator = spec
            .separator
            .clone()
            .unwrap_or_else(|| DEFAULT_SEPARATOR.to_string());
        let replacement = spec
            .replacement
            .clone()
            .unwrap_or_else(|| DEFAULT_REPLACEMENT.to_string());
        let modulus = spec.modulus.unwrap_or(0);
        use Action::*;
        if action == HashMod && modulus == 0 {
            return Err(err(
                "modulus",
                "relabel configuration for hashmod requires non-zero modulus",
            ));
        }
        if matches!(
            action,
            Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual
        ) && target.is_empty()
        {
            return Err(err(
                "target_label",
                format!("relabel configuration for {action} action requires 'target_label' value"),
            ));
        }
        let bad_target = || {
            err(
                "target_label",
                format!("{target:?} is invalid 'target_label' for {action} action"),
            )
        };
        if action == Replace {
            let ok = if target.contains('$') {
                is_valid_target_template(&target)
            } else {
                is_valid_label_name(&target)
            };
            if !ok {
                return Err(bad_target());
            }
        }
        if matches!(
            action,
            Lowercase | Uppercase | KeepEqual | DropEqual | HashMod
        ) && !is_valid_label_name(&target)
        {
            return Err(bad_target());
        }
        if matches!(action, Lowercase | Uppercase | KeepEqual | DropEqual)
            && replacement != DEFAULT_REPLACEMENT
        {
            return Err(err(
                "replacement",
                format!("'replacement' can not be set for {action} action"),
            ));
        }
        if action == LabelMap && !is_valid_target_template(&replacement) {
            return Err(err(
                "replacement",
                format!("{replacement:?} is invalid 'replacement' for {action} action"),
            ));
        }
        if matches!(action, KeepEqual | DropEqual)
            && (spec.regex.is_some()
                || modulus != 0
                || separator != DEFAULT_SEPARATOR
                || replacement != DEFAULT_REPLACEMENT)
        {
            return Err(err(
                "action",
                format!(
                    "{action} action requires only 'source_labels' and `target_label`, and no other fields"
                ),
            ));
        }
        if matches!(action, LabelDrop | LabelKeep)
            && (spec.source_labels.is_some()
                || !target.is_empty()
                || modulus != 0
                || separator != DEFAULT_SEPARATOR
                || replacement != DEFAULT_REPLACEMENT)
        {
            return Err(err(
                "action",
                format!("{action} action requires only 'regex', and no other fields"),
            ));
        }
        Ok(RelabelRule {
            action,
            source_labels: spec.source_labels.clone().unwrap_or_default(),
            separator,
            target_label: target,
            regex,
            modulus,
            replacement,
        })
    }

    pub fn action(&self) -> Action {
        self.action
    }

    /// Applies the rule to `labels`; false when the label set is to be dropped.
    fn apply(&self, labels: &mut Labels) -> bool {
        let val = self
            .source_labels
            .iter()
            .map(|n| labels.get(n).map(String::as_str).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(&self.separator);
        match self.action {
            Action::Drop => return !self.regex.is_match(&val),
            Action::Keep => return self.regex.is_match(&val),
            Action::DropEqual => return get(labels, &self.target_label) != val,
            Action::KeepEqual => return get(labels, &self.target_label) == val,
            Action::Replace => {
                let Some(caps) = self.regex.captures(&val) else {
                    return true;
                };
                let mut target = String::new();
                caps.expand(&self.target_label, &mut target);
                if !is_valid_label_name(&target) {
                    return true;
                }
                let mut res = String::new();
                caps.expand(&self.replacement, &mut res);
                set(labels, target, res);
            }
            Action::Lowercase => set(labels, self.target_label.clone(), val.to_lowercase()),
            Action::Uppercase => set(labels, self.target_label.clone(), val.to_uppercase()),
            Action::HashMod => {
                let d = md5::digest(val.as_bytes());
                let mut tail = [0u8; 8];
                tail.copy_from_slice(&d[8..]);
                let m = u64::from_be_bytes(tail) % self.modulus;
                set(labels, self.target_label.clone(), m.to_string());
            }
            Action::LabelMap => {
                let snapshot: Vec<(String, String)> =
                    labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                for (name, value) in snapshot {
                    if let Some(caps) = self.regex.captures(&name) {
                        let mut res = String::new();
                        caps.expand(&self.replacement, &mut res);
                        if !res.is_empty() {
                            set(labels, res, value);
                        }
                    }
                }
            }
            Action::LabelDrop => labels.retain(|k, _| !self.regex.is_match(k)),
            Action::LabelKeep => labels.retain(|k, _| self.regex.is_match(k)),
        }
        true
    }
}

fn get<'a>(labels: &'a Labels, name: &str) -> &'a str {
    labels.get(name).map(String::as_str).unwrap_or("")
}

/// Sets a label; an empty value removes it, as Prometheus's label builder does.
fn set(labels: &mut Labels, name: String, value: String) {
    if value.is_empty() {
        labels.remove(&name);
    } else {
        labels.insert(name, value);
    }
}

/// An ordered list of rules (one `relabel_configs` or `alert_relabel_configs` block).
#[derive(Debug, Clone, Default)]
pub struct Relabeling {
    rules: Vec<RelabelRule>,
}

impl Relabeling {
    pub fn new(rules: Vec<RelabelRule>) -> Self {
        Relabeling { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Runs every rule in order. `None` when a rule drops the set, or when no label is left (vmalert drops an alert
    /// whose labels become empty).
    pub fn apply(&self, labels: &Labels) -> Option<Labels> {
        let mut out = labels.clone();
        for rule in &self.rules {
            if !rule.apply(&mut out) {
                return None;
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests;
