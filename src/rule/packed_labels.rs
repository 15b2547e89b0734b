//! A label set packed into one shared allocation, for the label sets tocsin keeps for long or hands around a lot:
//! alerts' labels and annotations, the keys of a rule's alerts, the keys of the notifier's queues and the series a
//! rule wrote last time. Pure.
//!
//! A [`Labels`] map costs about a kilobyte (a B-tree node plus two allocations per pair); a [`PackedLabels`] costs
//! the label text plus a length byte or two per string, in one reference-counted allocation, so a clone is a
//! counter increment. It orders, compares and hashes exactly as the [`Labels`] it was made from, so swapping one for
//! the other changes no iteration order. It is read-only: no edits; turn it into [`Labels`] to change it. Lookups by
//! name scan the pairs (label sets are small).

use super::labels::Labels;
use std::cmp::Ordering;
use std::sync::Arc;

/// One label set as `len(name) name len(value) value` for each pair in name order. Lengths are varints of six bits
/// per byte with `0x40` marking a continued length, so every length byte is ASCII and the whole text stays UTF-8.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PackedLabels(Arc<str>);

impl PackedLabels {
    pub fn new(labels: &Labels) -> Self {
        Self::from_sorted(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// Packs pairs that are already sorted by name, with no name twice (as a [`Labels`] iterates).
    fn from_sorted<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Self {
        let size: usize = pairs.clone().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut out = String::with_capacity(size);
        for (k, v) in pairs {
            put(&mut out, k);
            put(&mut out, v);
        }
        PackedLabels(Arc::from(out))
    }

    /// This label set with `extra` pairs set (an extra pair replaces a pair of the same name).
    pub fn with(&self, extra: &[(&str, &str)]) -> PackedLabels {
        // Collecting lets later pairs win.
        self.iter().chain(extra.iter().copied()).collect()
    }

    /// The pairs, in name order.
    pub fn iter(&self) -> Pairs<'_> {
        Pairs { rest: &self.0 }
    }

    /// The label set back as a map.
    pub fn to_labels(&self) -> Labels {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The value of label `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }
}

impl super::labels::LabelLookup for PackedLabels {
    fn label(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

impl Default for PackedLabels {
    fn default() -> Self {
        PackedLabels(Arc::from(""))
    }
}

impl From<&Labels> for PackedLabels {
    fn from(labels: &Labels) -> Self {
        PackedLabels::new(labels)
    }
}

impl From<Labels> for PackedLabels {
    fn from(labels: Labels) -> Self {
        PackedLabels::new(&labels)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for PackedLabels {
    /// Pairs in any order; later pairs win over earlier ones with the same name, as when collecting into a
    /// [`Labels`].
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut pairs: Vec<(K, V)> = iter.into_iter().collect();
        // Stable, so pairs of one name keep their order and the last one can win.
        pairs.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        let mut kept: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
        for (k, v) in &pairs {
            match kept.last_mut() {
                Some(last) if last.0 == k.as_ref() => *last = (k.as_ref(), v.as_ref()),
                _ => kept.push((k.as_ref(), v.as_ref())),
            }
        }
        Self::from_sorted(kept.into_iter())
    }
}

impl<'a> IntoIterator for &'a PackedLabels {
    type Item = (&'a str, &'a str);
    type IntoIter = Pairs<'a>;

    fn into_iter(self) -> Pairs<'a> {
        self.iter()
    }
}

impl std::ops::Index<&str> for PackedLabels {
    type Output = str;

    /// The value of label `name`; panics when there is none, like indexing a [`Labels`].
    fn index(&self, name: &str) -> &str {
        match self.get(name) {
            Some(v) => v,
            None => panic!("no label {name:?}"),
        }
    }
}

impl PartialEq<Labels> for PackedLabels {
    fn eq(&self, other: &Labels) -> bool {
        self.iter()
            .eq(other.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

impl PartialEq<PackedLabels> for Labels {
    fn eq(&self, other: &PackedLabels) -> bool {
        other == self
    }
}

impl Ord for PackedLabels {
    /// The order of [`Labels`]: pair by pair, name then value, byte-wise; a prefix sorts first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.iter().cmp(other.iter())
    }
}

impl PartialOrd for PackedLabels {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Debug for PackedLabels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl serde::Serialize for PackedLabels {
    /// As a JSON object of name → value, like a [`Labels`].
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for PackedLabels {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Labels::deserialize(d).map(|l| PackedLabels::new(&l))
    }
}

fn put(out: &mut String, s: &str) {
    let mut n = s.len();
    while n >= 0x40 {
        // The low six bits with the continuation bit: always below 0x80, so a valid one-byte UTF-8 character.
        out.push(char::from(((n & 0x3f) as u8) | 0x40));
        n >>= 6;
    }
    out.push(char::from(n as u8));
    out.push_str(s);
}

/// Reads one length-prefixed string from the front of `rest`; `None` at the end (or on text `put` never wrote).
fn take<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let mut n = 0usize;
    let mut shift = 0u32;
    // At most eleven bytes encode a usize; the loop ends at the first byte without the continuation bit.
    for (i, b) in rest.bytes().enumerate().take(11) {
        n |= usize::from(b & 0x3f) << shift;
        if b & 0x40 == 0 {
            let body = rest.get(i + 1..)?;
            // `put` wrote whole strings, so `n` ends on a character boundary; `get` checks it anyway.
            let s = body.get(..n)?;
            *rest = body.get(n..)?;
            return Some(s);
        }
        shift += 6;
    }
    None
}

/// The pairs of a [`PackedLabels`], in name order.
#[derive(Clone)]
pub struct Pairs<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        let k = take(&mut self.rest)?;
        let v = take(&mut self.rest)?;
        Some((k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::super::labels::from_pairs;
    use super::*;

    #[test]
    fn round_trips_including_long_and_empty_strings() {
        let long = "x".repeat(300);
        let huge = "é".repeat(5000);
        let sets = [
            Labels::new(),
            from_pairs(&[("a", "")]),
            from_pairs(&[("__name__", "up"), ("job", &long), ("ü", "ø\0")]),
            from_pairs(&[("a", &"y".repeat(63)), ("b", &"z".repeat(64)), ("c", &huge)]),
        ];
        for l in &sets {
            let p = PackedLabels::new(l);
            assert_eq!(&p.to_labels(), l);
            assert_eq!(p.len(), l.len());
            assert_eq!(p.is_empty(), l.is_empty());
            for (k, v) in l {
                assert_eq!(p.get(k), Some(v.as_str()));
            }
            assert_eq!(p.get("missing"), None);
        }
    }

    #[test]
    fn orders_and_compares_like_labels() {
        let long = "b".repeat(200);
        let sets = [
            Labels::new(),
            from_pairs(&[("a", "")]),
            from_pairs(&[("a", "1")]),
            from_pairs(&[("a", "1"), ("b", "2")]),
            from_pairs(&[("a", "10")]),
            from_pairs(&[("a", "2")]),
            from_pairs(&[("a", &long)]),
            from_pairs(&[("ab", "")]),
            from_pairs(&[("b", "")]),
            from_pairs(&[("a", "1"), ("c", "")]),
            from_pairs(&[("aa", "1")]),
        ];
        for x in &sets {
            for y in &sets {
                let (px, py) = (PackedLabels::new(x), PackedLabels::new(y));
                assert_eq!(px.cmp(&py), x.cmp(y), "{x:?} vs {y:?}");
                assert_eq!(px == py, x == y, "{x:?} vs {y:?}");
                assert_eq!(px == *y, x == y, "{x:?} vs {y:?}");
            }
        }
    }

    #[test]
    fn debug_and_json_show_the_pairs() {
        let p = PackedLabels::new(&from_pairs(&[("a", "1"), ("b", "x\"y")]));
        assert_eq!(format!("{p:?}"), r#"{"a": "1", "b": "x\"y"}"#);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"a":"1","b":"x\"y"}"#);
        let back: PackedLabels = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn collects_with_later_pairs_winning() {
        let p: PackedLabels = [("b", "1"), ("a", "2"), ("b", "3")].into_iter().collect();
        assert_eq!(p, from_pairs(&[("a", "2"), ("b", "3")]));
        assert_eq!(&p["b"], "3");
    }

    #[test]
    fn a_clone_shares_the_text() {
        let p = PackedLabels::new(&from_pairs(&[("a", "1")]));
        let q = p.clone();
        assert!(Arc::ptr_eq(&p.0, &q.0));
    }
}
