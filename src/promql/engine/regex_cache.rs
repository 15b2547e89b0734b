//! Compiled regular expressions of `label_replace`, kept by the [`super::Engine`] so that a rule evaluated at every
//! step compiles its pattern once instead of once per step (a compilation costs about as much as a small query).
//!
//! A pure memo: the same pattern always gives the same matcher, so keeping it changes no result. Must not: hold
//! anything else between queries, or grow without bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use regex::Regex;

/// At most this many patterns are kept; the cache starts over when full.
const CAPACITY: usize = 256;

/// Shared between clones of one engine.
#[derive(Debug, Clone, Default)]
pub(crate) struct RegexCache(Arc<Mutex<HashMap<String, Regex>>>);

impl RegexCache {
    /// The compiled form of `pattern` (compiled as given: callers add anchors), from the cache when present.
    pub(crate) fn get(&self, pattern: &str) -> Result<Regex, regex::Error> {
        // A poisoned lock only means another thread panicked while inserting; the map is still valid.
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(re) = map.get(pattern) {
            return Ok(re.clone());
        }
        let re = Regex::new(pattern)?;
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(pattern.to_string(), re.clone());
        Ok(re)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_pattern_same_matcher_and_bounded() {
        let c = RegexCache::default();
        let a = c.get("^(?:a+)$").map(|r| r.is_match("aaa"));
        assert_eq!(a.ok(), Some(true));
        assert!(c.get("^(?:a+)$").is_ok_and(|r| !r.is_match("b")));
        assert!(c.get("(").is_err());
        for i in 0..(CAPACITY + 10) {
            assert!(c.get(&format!("x{i}")).is_ok());
        }
        let len = c.0.lock().map(|m| m.len()).unwrap_or(usize::MAX);
        assert!(len <= CAPACITY);
    }
}
