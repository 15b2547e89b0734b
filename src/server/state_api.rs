//! `GET /tocsin/api/v1/state`: every alert of every group with its full state, for a sibling replica restoring
//! state at startup. The shape is tocsin's own and documented in `docs/api.md`; the types derive `Deserialize`
//! so the restoring side reads exactly what is written here. Protected by `-replica.authKey` when it is set.

use crate::group::snapshot::GroupSnapshot;
use crate::rule::{Alert, AlertState};
use serde::{Deserialize, Serialize};

/// The whole response: `{"status":"success","data":{…}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateResponse {
    pub status: String,
    pub data: StateDump,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateDump {
    /// Groups ordered by ID.
    pub groups: Vec<GroupState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupState {
    /// vmalert's group ID, as a decimal string.
    pub id: String,
    pub name: String,
    pub file: String,
    /// Tick of the latest evaluation, milliseconds since the epoch.
    #[serde(rename = "lastEvaluationMs")]
    pub last_evaluation_ms: Option<i64>,
    /// Alerting rules only, in file order.
    pub rules: Vec<RuleState>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleState {
    /// vmalert's rule ID, as a decimal string.
    pub id: String,
    pub name: String,
    pub alerts: Vec<AlertDump>,
}

/// One alert. Times are milliseconds since the Unix epoch (evaluation timestamps, except `lastSentMs`, the wall
/// time of the last successful send).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDump {
    pub id: String,
    pub labels: crate::rule::PackedLabels,
    pub annotations: crate::rule::PackedLabels,
    /// `pending`, `firing` or `inactive`.
    pub state: String,
    /// The value as text: shortest round-trip decimal, or `NaN`, `+Inf`, `-Inf`.
    pub value: String,
    #[serde(rename = "activeAtMs")]
    pub active_at_ms: i64,
    #[serde(rename = "firedAtMs")]
    pub fired_at_ms: Option<i64>,
    #[serde(rename = "resolvedAtMs")]
    pub resolved_at_ms: Option<i64>,
    #[serde(rename = "keepFiringSinceMs")]
    pub keep_firing_since_ms: Option<i64>,
    #[serde(rename = "lastSentMs")]
    pub last_sent_ms: Option<i64>,
    /// The state the alert was in when last sent.
    #[serde(rename = "lastSentState")]
    pub last_sent_state: Option<String>,
    pub restored: bool,
}

/// Reads [`AlertDump::state`] back.
pub fn parse_state(s: &str) -> Option<AlertState> {
    match s {
        "pending" => Some(AlertState::Pending),
        "firing" => Some(AlertState::Firing),
        "inactive" => Some(AlertState::Inactive),
        _ => None,
    }
}

/// Reads [`AlertDump::value`] back.
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

fn value_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        v.to_string()
    }
}

fn alert_dump(a: &Alert) -> AlertDump {
    AlertDump {
        id: a.id.to_string(),
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        state: a.state.as_str().to_string(),
        value: value_text(a.value),
        active_at_ms: a.active_at,
        fired_at_ms: a.fired_at,
        resolved_at_ms: a.resolved_at,
        keep_firing_since_ms: a.keep_firing_since,
        last_sent_ms: a.last_sent.get().map(|(t, _)| t),
        last_sent_state: a.last_sent.get().map(|(_, s)| s.as_str().to_string()),
        restored: a.restored,
    }
}

/// The dump of every group.
pub fn dump(groups: &[std::sync::Arc<GroupSnapshot>]) -> StateResponse {
    let groups = groups
        .iter()
        .map(|g| GroupState {
            id: g.group.id.to_string(),
            name: g.group.name.clone(),
            file: g.group.file.clone(),
            last_evaluation_ms: g.last_tick_ms,
            rules: g
                .rules
                .iter()
                .filter_map(|snap| {
                    let rule = g.group.rules.get(snap.index)?;
                    rule.is_alerting().then(|| RuleState {
                        id: rule.id.to_string(),
                        name: rule.name().to_string(),
                        alerts: snap.alerts.iter().map(|a| alert_dump(a)).collect(),
                    })
                })
                .collect(),
        })
        .collect();
    StateResponse {
        status: "success".to_string(),
        data: StateDump { groups },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        for v in [
            0.0,
            -0.0,
            1.5,
            1e-300,
            123456789.123,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            let back = parse_value(&value_text(v)).expect("parses");
            assert_eq!(back.to_bits(), v.to_bits(), "{v}");
        }
        assert!(parse_value(&value_text(f64::NAN)).expect("parses").is_nan());
    }
}
