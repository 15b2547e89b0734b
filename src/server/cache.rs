//! Rendered JSON of each group for `/api/v1/rules`, kept until the group publishes a new snapshot. A group's
//! snapshot only changes when it evaluates, while dashboards and Grafana poll the list far more often, so most
//! requests only copy bytes. Holds the snapshot it rendered, so an identity check (`Arc::ptr_eq`) is enough.

use crate::group::snapshot::GroupSnapshot;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The snapshot rendered and its JSON.
type Entry = (Arc<GroupSnapshot>, Arc<Vec<u8>>);

/// Group ID → its latest rendering.
#[derive(Debug, Default)]
pub struct FragmentCache {
    entries: Mutex<HashMap<u64, Entry>>,
}

impl FragmentCache {
    /// The JSON of `g`, rendered by `render` unless this very snapshot was rendered before. Rendering runs outside
    /// the lock.
    pub fn get_or_render(
        &self,
        g: &Arc<GroupSnapshot>,
        render: impl FnOnce() -> Vec<u8>,
    ) -> Arc<Vec<u8>> {
        let id = g.group.id;
        {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((snap, bytes)) = entries.get(&id)
                && Arc::ptr_eq(snap, g)
            {
                return bytes.clone();
            }
        }
        let bytes = Arc::new(render());
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.insert(id, (g.clone(), bytes.clone()));
        bytes
    }

    /// Forgets groups that are gone.
    pub fn retain(&self, live: &[Arc<GroupSnapshot>]) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > live.len() {
            let ids: std::collections::HashSet<u64> = live.iter().map(|g| g.group.id).collect();
            entries.retain(|id, _| ids.contains(id));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(id: u64) -> Arc<GroupSnapshot> {
        let loaded = crate::config::load_text(
            "r.yml",
            "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n",
            &crate::config::LoadOptions::default(),
        );
        let mut g = loaded.groups.into_iter().next().expect("one group");
        g.id = id;
        Arc::new(GroupSnapshot {
            group: Arc::new(g),
            last_tick_ms: None,
            last_duration_ms: 0,
            iterations: 0,
            missed: 0,
            duration_sum_ms: 0,
            recent_durations_ms: Vec::new(),
            rules: Vec::new(),
        })
    }

    #[test]
    fn renders_once_per_snapshot() {
        let cache = FragmentCache::default();
        let a = snap(1);
        let mut renders = 0;
        for _ in 0..3 {
            let bytes = cache.get_or_render(&a, || {
                renders += 1;
                b"one".to_vec()
            });
            assert_eq!(bytes.as_slice(), b"one");
        }
        assert_eq!(renders, 1);
        // A new snapshot of the same group (even an equal one) renders again.
        let a2 = snap(1);
        let bytes = cache.get_or_render(&a2, || b"two".to_vec());
        assert_eq!(bytes.as_slice(), b"two");
        let b = snap(2);
        cache.get_or_render(&b, || b"b".to_vec());
        assert_eq!(cache.len(), 2);
        cache.retain(std::slice::from_ref(&b));
        assert_eq!(cache.len(), 1);
    }
}
