//! A restarted replica's view of its siblings: at startup, before any group evaluates, fetch the alert state a live
//! sibling holds (`GET <peer>/tocsin/api/v1/state`, `-replica.authKey` sent as a bearer token) and turn it into what
//! `group::manager::Restore` installs. The first sibling that answers wins; a sibling that is down, slow or
//! refuses costs one bounded attempt. Knows nothing about evaluation.

use crate::rule::Alert;
use crate::rule::labels;
use crate::server::state_api::{StateResponse, parse_state, parse_value};
use std::collections::HashMap;
use std::time::Duration;

/// Alerts by group ID and rule ID, as `Restore::sibling` takes them.
pub type SiblingState = HashMap<u64, HashMap<u64, Vec<Alert>>>;

/// Asks each peer in turn; returns the first state obtained and the peer it came from, or `None` with the reasons.
pub async fn fetch_state(
    peers: &[String],
    auth_key: Option<&str>,
    timeout: Duration,
) -> Result<(String, SiblingState), Vec<String>> {
    let mut reasons = Vec::new();
    let client = match reqwest::Client::builder().timeout(timeout).build() {
        Ok(c) => c,
        Err(e) => return Err(vec![format!("cannot build an HTTP client: {e}")]),
    };
    let mut candidates = Vec::new();
    for peer in peers {
        candidates.extend(expand(peer).await);
    }
    for peer in &candidates {
        let url = format!("{}/tocsin/api/v1/state", peer.trim_end_matches('/'));
        let mut req = client.get(&url);
        if let Some(key) = auth_key {
            req = req.bearer_auth(key);
        }
        let outcome = async {
            let resp = req.send().await.map_err(|e| e.without_url().to_string())?;
            let status = resp.status();
            if !status.is_success() {
                return Err(format!("answered {status}"));
            }
            let body = resp
                .bytes()
                .await
                .map_err(|e| e.without_url().to_string())?;
            let parsed: StateResponse =
                serde_json::from_slice(&body).map_err(|e| format!("unreadable state: {e}"))?;
            Ok(convert(parsed))
        }
        .await;
        match outcome {
            Ok(state) => return Ok((peer.clone(), state)),
            Err(e) => reasons.push(format!("{url}: {e}")),
        }
    }
    Err(reasons)
}

/// A peer URL whose host is a name becomes one URL per address the name resolves to, so a Kubernetes headless
/// Service (`-replica.peers=http://tocsin-headless:8880`) reaches every replica; the asking replica itself answers
/// 503 until it has restored, so it is skipped naturally. A name that does not resolve is kept as written.
async fn expand(peer: &str) -> Vec<String> {
    let Ok(url) = reqwest::Url::parse(peer) else {
        return vec![peer.to_string()];
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return vec![peer.to_string()];
    };
    let host = host.to_string();
    if host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
        return vec![peer.to_string()];
    }
    match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(addrs) => {
            let mut out: Vec<String> = Vec::new();
            for addr in addrs {
                let mut u = url.clone();
                if u.set_ip_host(addr.ip()).is_ok() {
                    let s = u.to_string();
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
            if out.is_empty() {
                vec![peer.to_string()]
            } else {
                out
            }
        }
        Err(_) => vec![peer.to_string()],
    }
}

/// The dump as alerts keyed by group and rule; entries that do not read back (bad IDs or states) are skipped.
pub fn convert(dump: StateResponse) -> SiblingState {
    let mut out: SiblingState = HashMap::new();
    for g in dump.data.groups {
        let Ok(group_id) = g.id.parse::<u64>() else {
            continue;
        };
        let rules = out.entry(group_id).or_default();
        for r in g.rules {
            let Ok(rule_id) = r.id.parse::<u64>() else {
                continue;
            };
            let alerts = r
                .alerts
                .into_iter()
                .filter_map(|a| {
                    let state = parse_state(&a.state)?;
                    Some(Alert {
                        id: labels::hash_pairs(&a.labels),
                        labels: a.labels,
                        annotations: a.annotations,
                        state,
                        value: parse_value(&a.value).unwrap_or(f64::NAN),
                        active_at: a.active_at_ms,
                        fired_at: a.fired_at_ms,
                        resolved_at: a.resolved_at_ms,
                        keep_firing_since: a.keep_firing_since_ms,
                        last_sent: Default::default(),
                        restored: true,
                    })
                })
                .collect();
            rules.insert(rule_id, alerts);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::state_api::{AlertDump, GroupState, RuleState, StateDump};

    fn dump(state: &str, id: &str) -> StateResponse {
        let mut labels = crate::rule::Labels::new();
        labels.insert("alertname".into(), "A".into());
        StateResponse {
            status: "success".into(),
            data: StateDump {
                groups: vec![GroupState {
                    id: id.into(),
                    name: "g".into(),
                    file: "f.yml".into(),
                    last_evaluation_ms: Some(5),
                    rules: vec![RuleState {
                        id: "42".into(),
                        name: "A".into(),
                        alerts: vec![AlertDump {
                            id: "1".into(),
                            labels: labels.into(),
                            annotations: Default::default(),
                            state: state.into(),
                            value: "+Inf".into(),
                            active_at_ms: 1000,
                            fired_at_ms: Some(2000),
                            resolved_at_ms: None,
                            keep_firing_since_ms: None,
                            last_sent_ms: Some(3000),
                            last_sent_state: Some("firing".into()),
                            restored: false,
                        }],
                    }],
                }],
            },
        }
    }

    #[test]
    fn a_dump_reads_back_as_alerts_by_group_and_rule() {
        let state = convert(dump("firing", "7"));
        let a = &state[&7][&42][0];
        assert_eq!(a.state, crate::rule::AlertState::Firing);
        assert_eq!((a.active_at, a.fired_at), (1000, Some(2000)));
        assert_eq!(a.value, f64::INFINITY);
        assert!(a.restored);
        assert_eq!(a.last_sent.get(), None, "this replica has sent nothing yet");
        assert_eq!(a.id, labels::hash_pairs(&a.labels));
    }

    #[tokio::test]
    async fn a_name_becomes_one_url_per_address() {
        let got = expand("http://localhost:8880/prefix").await;
        assert!(!got.is_empty());
        assert!(
            got.iter()
                .all(|u| u.ends_with(":8880/prefix") && !u.contains("localhost")),
            "{got:?}"
        );
        assert_eq!(
            expand("http://127.0.0.1:1").await,
            vec!["http://127.0.0.1:1".to_string()]
        );
        assert_eq!(expand("not a url").await, vec!["not a url".to_string()]);
    }

    #[test]
    fn unreadable_entries_are_skipped() {
        assert!(convert(dump("firing", "not-a-number")).is_empty());
        assert!(convert(dump("burning", "7"))[&7][&42].is_empty());
    }
}
