//! The templater `tocsin run` hands to every group: the template engine with the `-rule.templates` definitions,
//! whose `query` function asks the datasource (as vmalert's does), enforced with a group's tenant matchers when the
//! group came from a Kubernetes object under `-kube.enforcedNamespaceLabel`.
//!
//! Templates render synchronously inside an evaluation, so a `query` blocks its worker thread for the length of one
//! datasource request (`block_in_place`, which needs the multi-threaded runtime `run` builds). Wiring only: the
//! engine, the querier and the enforcement live in their modules.

use crate::config::Group;
use crate::datasource::{InstantQuery, Querier};
use crate::kube::tenancy::EnforcingQuerier;
use crate::rule::templates::EngineTemplater;
use crate::rule::{TemplateInput, Templater};
use crate::template::{QuerySample, TemplateQuerier};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// `query` in templates, answered by the datasource at the given time.
pub struct DatasourceTemplateQuerier {
    pub querier: Arc<dyn Querier>,
    pub runtime: tokio::runtime::Handle,
}

impl TemplateQuerier for DatasourceTemplateQuerier {
    fn query(&self, expr: &str, ts: SystemTime) -> Result<Vec<QuerySample>, String> {
        let time_ms = ts
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let run = || {
            self.runtime.block_on(self.querier.query(InstantQuery {
                expr,
                time_ms,
                interval_ms: 0,
                params: &[],
                headers: &[],
            }))
        };
        let result = match tokio::runtime::Handle::try_current() {
            // Inside a worker of the multi-threaded runtime: let the other tasks move elsewhere meanwhile.
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(run)
            }
            Ok(_) => return Err("query is not available on this runtime".to_string()),
            Err(_) => run(),
        };
        let result = result.map_err(|e| e.to_string())?;
        Ok(result
            .samples
            .into_iter()
            .map(|s| QuerySample {
                labels: s.labels.to_labels(),
                value: s.value,
                timestamp: s.timestamp_ms.div_euclid(1000),
            })
            .collect())
    }
}

/// Tenant matchers by group ID, refreshed at every (re)load.
pub type TenantMatchers = Arc<RwLock<HashMap<u64, Vec<(String, String)>>>>;

/// Records the `query` matchers of every tenant group of a rule set about to run; returns the previous ones, to
/// put back with [`restore_tenant_matchers`] if that rule set is refused.
pub fn set_tenant_matchers(
    matchers: &TenantMatchers,
    groups: &[Group],
) -> HashMap<u64, Vec<(String, String)>> {
    let map = groups
        .iter()
        .filter(|g| !g.query_matchers.is_empty())
        .map(|g| (g.id, g.query_matchers.clone()))
        .collect();
    std::mem::replace(
        &mut *matchers.write().unwrap_or_else(|p| p.into_inner()),
        map,
    )
}

/// Puts back the matchers of the rule set that keeps running.
pub fn restore_tenant_matchers(
    matchers: &TenantMatchers,
    previous: HashMap<u64, Vec<(String, String)>>,
) {
    *matchers.write().unwrap_or_else(|p| p.into_inner()) = previous;
}

/// The engine templater with an online `query`.
pub struct RunTemplater {
    pub engine: EngineTemplater,
    pub querier: Arc<dyn TemplateQuerier + Send + Sync>,
    pub tenants: TenantMatchers,
}

impl Templater for RunTemplater {
    fn render(
        &self,
        _field: &str,
        text: &str,
        input: &TemplateInput<'_>,
    ) -> Result<String, String> {
        let matchers = self
            .tenants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&input.group_id)
            .cloned();
        match matchers {
            Some(m) => {
                let enforced = EnforcingQuerier {
                    inner: self.querier.as_ref(),
                    matchers: &m,
                };
                self.engine.render_with("", Some(&enforced), text, input)
            }
            None => self
                .engine
                .render_with("", Some(self.querier.as_ref()), text, input),
        }
    }
}
