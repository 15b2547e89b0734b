//! The filters of `/api/v1/rules` and `/api/v1/alerts`, read from the query string and applied to snapshots.
//! Parsing rejects unknown values with a 400 naming the parameter; applying is pure. The meaning of each filter
//! is written in `docs/api.md`.

use super::error::ApiError;
use super::params::Params;
use crate::config::Rule;
use crate::group::snapshot::{GroupSnapshot, RuleSnapshot};
use crate::rule::labels::LabelLookup;
use promql_parser::label::Matcher;

/// Which kind of rule to list (`type=alert|record`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    Alert,
    Record,
}

/// One value of `state` / `filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    Firing,
    Pending,
    Inactive,
    /// The latest evaluation failed.
    Unhealthy,
    /// The latest evaluation succeeded and returned nothing.
    NoMatch,
    /// The latest evaluation succeeded (or the rule has not run yet).
    Ok,
}

impl StateFilter {
    /// Reads one state name; Grafana's names map to ours, `recovering` (which tocsin has no notion of) to none.
    fn parse(s: &str) -> Result<Option<StateFilter>, String> {
        Ok(Some(match s.trim() {
            "firing" => StateFilter::Firing,
            "pending" => StateFilter::Pending,
            "inactive" | "normal" => StateFilter::Inactive,
            "unhealthy" | "error" => StateFilter::Unhealthy,
            "nomatch" | "noData" => StateFilter::NoMatch,
            "ok" => StateFilter::Ok,
            "recovering" | "" => return Ok(None),
            other => {
                return Err(format!(
                    "unknown state {other:?}; want firing, pending, inactive, unhealthy, nomatch, ok \
                     (or Grafana's normal, error, noData, recovering)"
                ));
            }
        }))
    }
}

/// A label selector from `match[]`: every matcher of one alternative must hold.
#[derive(Debug, Clone)]
pub struct Selector {
    alternatives: Vec<Vec<Matcher>>,
}

impl Selector {
    fn parse(text: &str) -> Result<Selector, String> {
        let expr = promql_parser::parser::parse(text).map_err(|e| e.to_string())?;
        let promql_parser::parser::Expr::VectorSelector(vs) = expr else {
            return Err(format!("{text:?} is not a series selector"));
        };
        let mut base = vs.matchers.matchers.clone();
        if let Some(name) = &vs.name
            && !base.iter().any(|m| m.name == "__name__")
        {
            base.push(Matcher::new(
                promql_parser::label::MatchOp::Equal,
                "__name__",
                name,
            ));
        }
        let mut alternatives = vec![base.clone()];
        if !vs.matchers.or_matchers.is_empty() {
            alternatives = vs
                .matchers
                .or_matchers
                .iter()
                .map(|alt| base.iter().chain(alt).cloned().collect())
                .collect();
        }
        Ok(Selector { alternatives })
    }

    /// True when the labels satisfy the selector (a missing label reads as "").
    pub fn matches(&self, labels: &impl LabelLookup) -> bool {
        self.alternatives.iter().any(|alt| {
            alt.iter()
                .all(|m| m.is_match(labels.label(&m.name).unwrap_or("")))
        })
    }
}

/// Group-level filters shared by both listings.
#[derive(Debug, Clone, Default)]
pub struct GroupFilter {
    pub groups: Vec<String>,
    pub files: Vec<String>,
    pub datasource_type: Option<String>,
}

impl GroupFilter {
    fn parse(p: &Params) -> Result<GroupFilter, ApiError> {
        let datasource_type = match p.get("datasource_type") {
            None | Some("") => None,
            Some(t @ ("prometheus" | "graphite" | "vlogs")) => Some(t.to_string()),
            Some(other) => {
                return Err(ApiError::bad_param(
                    "datasource_type",
                    format!(
                        "unknown datasource type {other:?}; want prometheus, graphite or vlogs"
                    ),
                ));
            }
        };
        Ok(GroupFilter {
            groups: p
                .all("rule_group")
                .into_iter()
                .map(str::to_string)
                .collect(),
            files: p.all("file").into_iter().map(str::to_string).collect(),
            datasource_type,
        })
    }

    pub fn keeps(&self, g: &GroupSnapshot) -> bool {
        (self.groups.is_empty() || self.groups.iter().any(|n| *n == g.group.name))
            && (self.files.is_empty() || self.files.iter().any(|f| *f == g.group.file))
            && self
                .datasource_type
                .as_ref()
                .is_none_or(|t| t == g.group.datasource_type.as_str())
    }
}

fn selectors(p: &Params) -> Result<Vec<Selector>, ApiError> {
    p.all("match")
        .into_iter()
        .map(|m| Selector::parse(m).map_err(|e| ApiError::bad_param("match[]", e)))
        .collect()
}

/// Everything `/api/v1/rules` accepts.
#[derive(Debug, Clone, Default)]
pub struct RulesFilter {
    pub group: GroupFilter,
    pub kind: Option<KindFilter>,
    pub rule_names: Vec<String>,
    pub matchers: Vec<Selector>,
    pub states: Vec<StateFilter>,
    pub exclude_alerts: bool,
    pub extended_states: bool,
    /// Lower-cased.
    pub search: Option<String>,
    pub group_limit: Option<usize>,
    pub page_num: usize,
}

impl RulesFilter {
    pub fn parse(p: &Params) -> Result<RulesFilter, ApiError> {
        let kind = match p.get("type") {
            None | Some("") => None,
            Some("alert") => Some(KindFilter::Alert),
            Some("record") => Some(KindFilter::Record),
            Some(other) => {
                return Err(ApiError::bad_param(
                    "type",
                    format!("unknown rule type {other:?}; want alert or record"),
                ));
            }
        };
        let mut states = Vec::new();
        for key in ["state", "filter"] {
            for v in p.all(key) {
                for part in v.split(',') {
                    if let Some(s) =
                        StateFilter::parse(part).map_err(|e| ApiError::bad_param(key, e))?
                    {
                        states.push(s);
                    }
                }
            }
        }
        let page_num = p.positive("page_num")?;
        let group_limit = p.positive("group_limit")?;
        if page_num.is_some() && group_limit.is_none() {
            return Err(ApiError::bad_param("page_num", "needs group_limit"));
        }
        Ok(RulesFilter {
            group: GroupFilter::parse(p)?,
            kind,
            rule_names: p.all("rule_name").into_iter().map(str::to_string).collect(),
            matchers: selectors(p)?,
            states,
            exclude_alerts: p.bool("exclude_alerts")?,
            extended_states: p.bool("extended_states")?,
            search: p
                .get("search")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_lowercase),
            group_limit,
            page_num: page_num.unwrap_or(1),
        })
    }

    /// True when a filter applies to single rules, so that groups left without rules are dropped.
    pub fn filters_rules(&self) -> bool {
        self.kind.is_some()
            || !self.rule_names.is_empty()
            || !self.matchers.is_empty()
            || !self.states.is_empty()
            || self.search.is_some()
    }

    pub fn keeps(&self, g: &GroupSnapshot, rule: &Rule, snap: &RuleSnapshot) -> bool {
        let kind_ok = match self.kind {
            None => true,
            Some(KindFilter::Alert) => rule.is_alerting(),
            Some(KindFilter::Record) => !rule.is_alerting(),
        };
        kind_ok
            && (self.rule_names.is_empty() || self.rule_names.iter().any(|n| n == rule.name()))
            && (self.matchers.is_empty() || self.matchers.iter().any(|s| s.matches(&snap.labels)))
            && (self.states.is_empty() || self.states.iter().any(|s| state_holds(*s, rule, snap)))
            && self.search.as_ref().is_none_or(|q| {
                [
                    g.group.name.as_str(),
                    g.group.file.as_str(),
                    rule.name(),
                    rule.expr.as_str(),
                ]
                .iter()
                .any(|field| field.to_lowercase().contains(q.as_str()))
            })
    }
}

/// Whether the rule is in `state`.
pub fn state_holds(state: StateFilter, rule: &Rule, snap: &RuleSnapshot) -> bool {
    let failed = snap.last().is_some_and(|e| e.error().is_some());
    let no_match = snap
        .last()
        .is_some_and(|e| e.error().is_none() && e.samples() == 0);
    match state {
        StateFilter::Firing | StateFilter::Pending | StateFilter::Inactive => {
            let want = match state {
                StateFilter::Firing => "firing",
                StateFilter::Pending => "pending",
                _ => "inactive",
            };
            super::model::rule_state(rule, snap) == want
        }
        StateFilter::Unhealthy => failed,
        StateFilter::NoMatch => no_match,
        StateFilter::Ok => !failed,
    }
}

/// The rule's `state` with `extended_states=true`: `unhealthy` or `nomatch` where they apply (before `inactive`
/// for alerting rules, instead of `""`/`ok` for recording rules).
pub fn extended_state(rule: &Rule, snap: &RuleSnapshot) -> &'static str {
    let plain = super::model::rule_state(rule, snap);
    if plain == "firing" || plain == "pending" {
        return plain;
    }
    if state_holds(StateFilter::Unhealthy, rule, snap) {
        "unhealthy"
    } else if state_holds(StateFilter::NoMatch, rule, snap) {
        "nomatch"
    } else if rule.is_alerting() {
        "inactive"
    } else {
        "ok"
    }
}

/// Everything `/api/v1/alerts` accepts.
#[derive(Debug, Clone, Default)]
pub struct AlertsFilter {
    pub group: GroupFilter,
    pub matchers: Vec<Selector>,
}

impl AlertsFilter {
    pub fn parse(p: &Params) -> Result<AlertsFilter, ApiError> {
        Ok(AlertsFilter {
            group: GroupFilter::parse(p)?,
            matchers: selectors(p)?,
        })
    }

    pub fn keeps_alert(&self, labels: &impl LabelLookup) -> bool {
        self.matchers.is_empty() || self.matchers.iter().any(|s| s.matches(labels))
    }
}
