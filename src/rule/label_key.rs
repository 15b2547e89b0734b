//! A label set packed into one allocation, for the places that keep many label sets only to recognise them again
//! and to give them back later: the series a rule wrote last time and the keys of a rule's alerts. Pure.
//!
//! A [`Labels`] map costs about a kilobyte (a B-tree node plus two allocations per pair); a [`LabelKey`] costs the
//! label text plus one length byte or two per string. It orders, compares and hashes exactly as the [`Labels`] it
//! was made from, so swapping one for the other changes no iteration order. It is not a working label set: no
//! lookups by name, no edits; turn it back into [`Labels`] for that.

use super::labels::Labels;
use std::cmp::Ordering;

/// One label set as `len(name) name len(value) value` for each pair in name order, lengths as LEB128 varints.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LabelKey(Box<[u8]>);

impl LabelKey {
    pub fn new(labels: &Labels) -> Self {
        let size: usize = labels.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut out = Vec::with_capacity(size);
        for (k, v) in labels {
            put(&mut out, k.as_bytes());
            put(&mut out, v.as_bytes());
        }
        LabelKey(out.into_boxed_slice())
    }

    /// The pairs as raw bytes, in name order.
    fn pairs(&self) -> Pairs<'_> {
        Pairs { rest: &self.0 }
    }

    /// The label set back as a map.
    pub fn to_labels(&self) -> Labels {
        self.pairs()
            .map(|(k, v)| {
                // The bytes were copied from `String`s, so they are valid UTF-8 and nothing is replaced.
                (
                    String::from_utf8_lossy(k).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }
}

impl From<&Labels> for LabelKey {
    fn from(labels: &Labels) -> Self {
        LabelKey::new(labels)
    }
}

impl Ord for LabelKey {
    /// The order of [`Labels`]: pair by pair, name then value, byte-wise; a prefix sorts first.
    fn cmp(&self, other: &Self) -> Ordering {
        self.pairs().cmp(other.pairs())
    }
}

impl PartialOrd for LabelKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Debug for LabelKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.pairs()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut n = bytes.len();
    while n >= 0x80 {
        // Truncation intended: the low seven bits, with the continuation bit set.
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(bytes);
}

/// Reads one length-prefixed string from the front of `rest`; `None` at the end (or on bytes `put` never wrote).
fn take<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let mut n = 0usize;
    let mut shift = 0u32;
    // At most ten bytes encode a usize; the loop ends at the first byte without the continuation bit.
    for _ in 0..10 {
        let (&b, tail) = rest.split_first()?;
        *rest = tail;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            let (s, tail) = rest.split_at_checked(n)?;
            *rest = tail;
            return Some(s);
        }
        shift += 7;
    }
    None
}

struct Pairs<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

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
        let sets = [
            Labels::new(),
            from_pairs(&[("a", "")]),
            from_pairs(&[("__name__", "up"), ("job", &long), ("ü", "ø\0")]),
        ];
        for l in &sets {
            assert_eq!(&LabelKey::new(l).to_labels(), l);
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
                let (kx, ky) = (LabelKey::new(x), LabelKey::new(y));
                assert_eq!(kx.cmp(&ky), x.cmp(y), "{x:?} vs {y:?}");
                assert_eq!(kx == ky, x == y, "{x:?} vs {y:?}");
            }
        }
    }

    #[test]
    fn debug_prints_the_pairs() {
        let k = LabelKey::new(&from_pairs(&[("a", "1")]));
        assert_eq!(format!("{k:?}"), r#"{"a": "1"}"#);
    }
}
