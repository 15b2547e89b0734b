//! Reports each object's verdict back to Kubernetes: the VMRule `status` subresource (`updateStatus`,
//! `reason`, `observedGeneration`, as the VictoriaMetrics operator writes it) and, for every invalid object of
//! either kind, a Warning Event `InvalidConfiguration` (prometheus-operator's reason) on the object.
//!
//! Writes follow the published rule set and are repeated only when an object's verdict or generation changes
//! (failed writes are retried every [`RETRY`]). Replicas write the same status (an unchanged patch is a no-op on
//! the API server) and name each Event after the object's uid, generation and reason, so the second replica's
//! create of the same Event is refused as existing instead of duplicating it.
//!
//! IO only; the verdicts come from `catalog`.

use super::catalog::{KubeRules, ObjectStatus, Verdict};
use super::crd::VMRule;
use super::object::ObjectKind;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often failed status and event writes are retried.
pub const RETRY: Duration = Duration::from_secs(30);

/// The longest reason written to a status or an event (the API server limits object size).
const MAX_REASON: usize = 4096;

/// What was last written for an object.
type Written = (String, Option<i64>, String);

/// Writes status and events for every rule set published on `rx`, until the sender goes away.
pub async fn run(client: Client, mut rx: watch::Receiver<Arc<KubeRules>>) {
    let mut written: HashMap<(ObjectKind, String, String), Written> = HashMap::new();
    let mut retry = tokio::time::interval(RETRY);
    retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { return },
            _ = retry.tick() => {}
        }
        let rules = rx.borrow_and_update().clone();
        if !rules.ready {
            continue;
        }
        for o in &rules.objects {
            let id = (o.key.kind, o.key.namespace.clone(), o.key.name.clone());
            let want = (o.uid.clone(), o.generation, o.verdict.reason());
            if written.get(&id) == Some(&want) {
                continue;
            }
            match write(&client, o).await {
                Ok(()) => {
                    written.insert(id, want);
                }
                Err(e) => {
                    tracing::warn!(object = %o.key, error = %e, "cannot write the object's status; retrying later")
                }
            }
        }
        // Forget deleted objects, so a re-created one is reported again.
        let present: HashSet<(ObjectKind, &str, &str)> = rules
            .objects
            .iter()
            .map(|o| (o.key.kind, o.key.namespace.as_str(), o.key.name.as_str()))
            .collect();
        written
            .retain(|(kind, ns, name), _| present.contains(&(*kind, ns.as_str(), name.as_str())));
    }
}

fn truncated(text: &str) -> String {
    if text.len() <= MAX_REASON {
        return text.to_string();
    }
    let mut end = MAX_REASON;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

async fn write(client: &Client, o: &ObjectStatus) -> Result<(), kube::Error> {
    if o.key.kind == ObjectKind::VmRule {
        let api: Api<VMRule> = Api::namespaced(client.clone(), &o.key.namespace);
        let (state, reason) = match &o.verdict {
            Verdict::Ok { .. } => ("operational", String::new()),
            Verdict::Invalid(_) => ("failed", truncated(&o.verdict.reason())),
        };
        let patch = serde_json::json!({"status": {
            "updateStatus": state,
            "reason": reason,
            "observedGeneration": o.generation,
        }});
        api.patch_status(&o.key.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
    }
    if let Verdict::Invalid(_) = &o.verdict {
        let api: Api<Event> = Api::namespaced(client.clone(), &o.key.namespace);
        match api.create(&PostParams::default(), &event(o)).await {
            Ok(_) => {}
            // Another replica (or an earlier try) already reported this verdict.
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The Warning Event for an invalid object; its name is a function of the object and its verdict.
pub fn event(o: &ObjectStatus) -> Event {
    let reason = o.verdict.reason();
    let generation = o.generation.unwrap_or(0).to_le_bytes();
    let hash = crate::config::identity::fnv1a(&[
        o.uid.as_bytes(),
        &[0xff],
        &generation,
        &[0xff],
        reason.as_bytes(),
    ]);
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    Event {
        metadata: ObjectMeta {
            name: Some(format!("{}.tocsin.{hash:016x}", o.key.name)),
            namespace: Some(o.key.namespace.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some(o.key.kind.api_version().to_string()),
            kind: Some(o.key.kind.kind().to_string()),
            name: Some(o.key.name.clone()),
            namespace: Some(o.key.namespace.clone()),
            uid: Some(o.uid.clone()).filter(|u| !u.is_empty()),
            ..ObjectReference::default()
        },
        reason: Some("InvalidConfiguration".to_string()),
        message: Some(truncated(&format!("tocsin rejected the rules: {reason}"))),
        type_: Some("Warning".to_string()),
        source: Some(EventSource {
            component: Some("tocsin".to_string()),
            host: None,
        }),
        reporting_component: Some("tocsin".to_string()),
        first_timestamp: Some(now.clone()),
        last_timestamp: Some(now),
        count: Some(1),
        ..Event::default()
    }
}
