//! A rule's recent evaluations as the API, the UI and `/metrics` show them, kept by the runner and shared with
//! every published snapshot: a bounded, immutable slice of compact entries. Each entry is what one
//! [`RuleEval`] becomes once stored: no rule name (readers know the rule from its position in the group), integers
//! narrowed to what they can reach in practice (saturating, never wrapping), and the error text shared with the
//! rule's previous error when it repeats, as it does at every evaluation while a datasource is down.
//!
//! Plain data: no IO, no clock, no rendering (the server formats entries).

use super::runner::RuleEval;
use std::sync::Arc;

/// `series_fetched` when the datasource did not report it.
const NOT_REPORTED: u32 = u32::MAX;

/// One stored evaluation of a rule. 40 bytes on 64-bit targets (a [`RuleEval`] is 88); read it through its
/// accessors, which give back the widths the readers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    started_ms: i64,
    query_time_ms: i64,
    /// A thin pointer, so the entry fits 40 bytes with `query_time_ms` kept whole.
    error: Option<Arc<ErrorText>>,
    /// Saturates at about 49 days.
    duration_ms: u32,
    /// Saturates at `u32::MAX` series.
    samples: u32,
    /// [`NOT_REPORTED`], or the count saturated at `u32::MAX - 1`.
    series_fetched: u32,
}

/// An evaluation's error message, allocated once and shared by the entries that repeat it.
#[derive(Debug, PartialEq, Eq)]
struct ErrorText(Box<str>);

impl HistoryEntry {
    /// Stores `eval`, sharing its error text with `earlier`'s when they are equal.
    fn new(eval: &RuleEval, earlier: Option<&Arc<ErrorText>>) -> Self {
        let error = eval.error.as_deref().map(|text| match earlier {
            Some(e) if *e.0 == *text => Arc::clone(e),
            _ => Arc::new(ErrorText(text.into())),
        });
        HistoryEntry {
            started_ms: eval.started_ms,
            query_time_ms: eval.query_time_ms,
            error,
            duration_ms: u32::try_from(eval.duration_ms).unwrap_or(u32::MAX),
            samples: u32::try_from(eval.samples).unwrap_or(u32::MAX),
            series_fetched: eval.series_fetched.map_or(NOT_REPORTED, |n| {
                u32::try_from(n).map_or(NOT_REPORTED - 1, |n| n.min(NOT_REPORTED - 1))
            }),
        }
    }

    /// Wall-clock time the rule's query was sent (milliseconds since the epoch).
    pub fn started_ms(&self) -> i64 {
        self.started_ms
    }

    /// The timestamp the query asked about (milliseconds since the epoch).
    pub fn query_time_ms(&self) -> i64 {
        self.query_time_ms
    }

    /// How long the query took.
    pub fn duration_ms(&self) -> u64 {
        u64::from(self.duration_ms)
    }

    /// Series the query returned (vmalert's `lastSamples`).
    pub fn samples(&self) -> usize {
        self.samples as usize
    }

    /// Series the datasource read to answer, when it said.
    pub fn series_fetched(&self) -> Option<u64> {
        (self.series_fetched != NOT_REPORTED).then_some(u64::from(self.series_fetched))
    }

    /// Why the evaluation failed, if it did.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref().map(|e| &*e.0)
    }
}

/// A rule's latest evaluations, oldest first. Cloning shares the entries; [`History::pushed`] makes a new slice
/// and leaves this one, still readable through older snapshots, untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History(Arc<[HistoryEntry]>);

impl History {
    /// This history with `eval` appended, keeping the latest `limit` entries (at least one).
    ///
    /// A fresh exact-size slice each time, rather than a ring buffer: the published snapshot always still holds
    /// the current slice when the next evaluation is recorded, so a ring would be copied on every write anyway.
    pub fn pushed(&self, eval: &RuleEval, limit: usize) -> History {
        let keep = self.0.len().min(limit.max(1) - 1);
        let kept = &self.0[self.0.len() - keep..];
        let entry = HistoryEntry::new(eval, self.latest_error());
        History(kept.iter().cloned().chain(std::iter::once(entry)).collect())
    }

    /// The latest entry, if the rule ran at least once.
    pub fn last(&self) -> Option<&HistoryEntry> {
        self.0.last()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, HistoryEntry> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The newest stored error text, the one a new failure most likely repeats.
    fn latest_error(&self) -> Option<&Arc<ErrorText>> {
        self.0.iter().rev().find_map(|e| e.error.as_ref())
    }
}

impl<'a> IntoIterator for &'a History {
    type Item = &'a HistoryEntry;
    type IntoIter = std::slice::Iter<'a, HistoryEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Every evaluation kept, oldest first (no limit): for snapshots built by hand.
impl From<Vec<RuleEval>> for History {
    fn from(evals: Vec<RuleEval>) -> Self {
        let mut entries: Vec<HistoryEntry> = Vec::with_capacity(evals.len());
        for eval in &evals {
            let earlier = entries.iter().rev().find_map(|e| e.error.as_ref());
            let entry = HistoryEntry::new(eval, earlier);
            entries.push(entry);
        }
        History(entries.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(started_ms: i64, error: Option<&str>) -> RuleEval {
        RuleEval {
            rule_name: "r".into(),
            started_ms,
            duration_ms: 250,
            query_time_ms: started_ms - 30_000,
            samples: 3,
            series_fetched: Some(7),
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn an_entry_is_at_most_40_bytes() {
        // The stored form of an evaluation; it was a whole `RuleEval` (88 bytes, with the rule name and a
        // `String` error) before. With 2,000 rules and 20 entries each, every 8 bytes here are 320 kB of heap.
        assert!(
            std::mem::size_of::<HistoryEntry>() <= 40,
            "{} bytes",
            std::mem::size_of::<HistoryEntry>()
        );
        assert!(std::mem::size_of::<Option<Arc<ErrorText>>>() <= 8);
    }

    #[test]
    fn accessors_give_back_what_was_evaluated() {
        let e = RuleEval {
            rule_name: "r".into(),
            started_ms: -5,
            duration_ms: 1234,
            query_time_ms: i64::MAX,
            samples: 42,
            series_fetched: None,
            error: Some("query failed: 503".to_string()),
        };
        let h = History::default().pushed(&e, 20);
        let s = h.last().expect("one entry");
        assert_eq!(s.started_ms(), -5);
        assert_eq!(s.query_time_ms(), i64::MAX);
        assert_eq!(s.duration_ms(), 1234);
        assert_eq!(s.samples(), 42);
        assert_eq!(s.series_fetched(), None);
        assert_eq!(s.error(), Some("query failed: 503"));
    }

    /// Duration, samples and series fetched, as evaluated or as read back.
    type Widths = (u64, usize, Option<u64>);

    #[test]
    fn narrowed_fields_saturate_instead_of_wrapping() {
        let max = u64::from(u32::MAX);
        let cases: [(Widths, Widths); 5] = [
            ((0, 0, Some(0)), (0, 0, Some(0))),
            (
                (max - 1, max as usize - 1, Some(max - 2)),
                (max - 1, max as usize - 1, Some(max - 2)),
            ),
            (
                (max, max as usize, Some(max - 1)),
                (max, max as usize, Some(max - 1)),
            ),
            // A count equal to the "not reported" marker stays reported.
            (
                (max + 1, max as usize + 1, Some(max)),
                (max, max as usize, Some(max - 1)),
            ),
            (
                (u64::MAX, usize::MAX, Some(u64::MAX)),
                (max, max as usize, Some(max - 1)),
            ),
        ];
        for ((duration, samples, fetched), want) in cases {
            let mut e = eval(0, None);
            e.duration_ms = duration;
            e.samples = samples;
            e.series_fetched = fetched;
            let h = History::default().pushed(&e, 1);
            let s = h.last().expect("one entry");
            assert_eq!(
                (s.duration_ms(), s.samples(), s.series_fetched()),
                want,
                "{duration} {samples} {fetched:?}"
            );
        }
    }

    #[test]
    fn keeps_the_latest_limit_entries_and_leaves_the_old_slice_alone() {
        let mut h = History::default();
        let mut previous = Vec::new();
        for t in 1..=5 {
            previous.push(h.clone());
            h = h.pushed(&eval(t, None), 3);
        }
        let started: Vec<i64> = h.iter().map(HistoryEntry::started_ms).collect();
        assert_eq!(started, vec![3, 4, 5]);
        let before: Vec<i64> = previous[4].iter().map(HistoryEntry::started_ms).collect();
        assert_eq!(before, vec![2, 3, 4], "a snapshot's slice is not changed");
        assert_eq!(
            h.pushed(&eval(6, None), 0).len(),
            1,
            "a zero limit keeps one"
        );
        assert_eq!(h.pushed(&eval(6, None), 10).len(), 4);
    }

    #[test]
    fn a_repeated_error_text_is_stored_once() {
        let down = "cannot reach http://127.0.0.1:8428: connection refused";
        let h = History::default()
            .pushed(&eval(1, Some(down)), 20)
            .pushed(&eval(2, None), 20)
            .pushed(&eval(3, Some(down)), 20)
            .pushed(&eval(4, Some("other")), 20)
            .pushed(&eval(5, Some("other")), 20);
        let errors: Vec<&Arc<ErrorText>> = h.iter().filter_map(|e| e.error.as_ref()).collect();
        assert_eq!(errors.len(), 4);
        assert!(Arc::ptr_eq(errors[0], errors[1]), "shared across a success");
        assert!(!Arc::ptr_eq(errors[1], errors[2]));
        assert!(Arc::ptr_eq(errors[2], errors[3]));
        assert_eq!(h.iter().nth(2).and_then(HistoryEntry::error), Some(down));
        let built = History::from(vec![eval(1, Some(down)), eval(2, Some(down))]);
        let e: Vec<&Arc<ErrorText>> = built.iter().filter_map(|e| e.error.as_ref()).collect();
        assert!(Arc::ptr_eq(e[0], e[1]));
        let pushed = History::default()
            .pushed(&eval(1, Some(down)), 20)
            .pushed(&eval(2, Some(down)), 20);
        assert_eq!(built, pushed);
    }
}
