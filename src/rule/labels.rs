//! Label sets, label merging with vmalert's precedence and `exported_` rule, and alert identity. Pure.

use std::collections::BTreeMap;

/// A label set, sorted by name.
pub type Labels = BTreeMap<String, String>;

/// Reading one label's value by name, from either form of a label set ([`Labels`] or [`super::PackedLabels`]).
pub trait LabelLookup {
    fn label(&self, name: &str) -> Option<&str>;
}

impl LabelLookup for Labels {
    fn label(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// The metric-name label.
pub const METRIC_NAME: &str = "__name__";

/// What happens when a rule label names a label the result already has with another value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelConflict {
    /// vmalert: the result's value is kept as `exported_<name>` (what `tocsin run` does).
    #[default]
    Export,
    /// Prometheus: the rule's value replaces the result's (what `tocsin test` does for promtool files).
    Overwrite,
}

/// Applies `extra` labels (already merged external < group < rule) on top of a result's labels, as vmalert does:
/// a label the result already has with a different value is kept as `exported_<name>`; an empty extra value
/// removes the label.
pub fn apply_extra(result: &Labels, extra: &Labels) -> Labels {
    apply_extra_with(result, extra, LabelConflict::Export)
}

/// [`apply_extra`] with the conflict rule to use.
pub fn apply_extra_with<K: AsRef<str>, V: AsRef<str>>(
    result: &Labels,
    extra: impl IntoIterator<Item = (K, V)>,
    conflict: LabelConflict,
) -> Labels {
    let mut out = result.clone();
    for (k, v) in extra {
        let (k, v) = (k.as_ref(), v.as_ref());
        if v.is_empty() {
            out.remove(k);
            continue;
        }
        if conflict == LabelConflict::Export
            && let Some(old) = result.get(k)
            && old != v
        {
            out.insert(format!("exported_{k}"), old.clone());
        }
        out.insert(k.to_string(), v.to_string());
    }
    out
}

/// Merges label maps in increasing precedence: later maps win.
pub fn merge(layers: &[&Labels]) -> Labels {
    let mut out = Labels::new();
    for layer in layers {
        out.extend(layer.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    out
}

/// vmalert's alert ID: FNV-1a 64 over each label (sorted by name) as name, value, `0xff`.
pub fn hash(labels: &Labels) -> u64 {
    hash_pairs(pairs(labels))
}

/// [`hash`] over pairs already sorted by name (a [`super::PackedLabels`]'s, for one).
pub fn hash_pairs<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for byte in k.bytes().chain(v.bytes()).chain(std::iter::once(0xff)) {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The pairs of a label set as string slices, in name order.
pub fn pairs(labels: &Labels) -> impl Iterator<Item = (&str, &str)> + Clone {
    labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Builds a label set from pairs, for tests and literals.
pub fn from_pairs(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_rule_keeps_conflicting_values() {
        let result = from_pairs(&[
            ("job", "node"),
            ("instance", "a:9100"),
            ("severity", "info"),
        ]);
        let extra = from_pairs(&[
            ("severity", "page"),
            ("job", "node"),
            ("team", "infra"),
            ("instance", ""),
        ]);
        let got = apply_extra(&result, &extra);
        assert_eq!(
            got,
            from_pairs(&[
                ("job", "node"),
                ("severity", "page"),
                ("exported_severity", "info"),
                ("team", "infra")
            ])
        );
    }

    #[test]
    fn prometheus_overwrites_instead() {
        let result = from_pairs(&[("job", "node"), ("severity", "info")]);
        let extra = from_pairs(&[("severity", "page")]);
        assert_eq!(
            apply_extra_with(&result, &extra, LabelConflict::Overwrite),
            from_pairs(&[("job", "node"), ("severity", "page")])
        );
    }

    #[test]
    fn merge_precedence() {
        let external = from_pairs(&[("cluster", "eu"), ("team", "platform")]);
        let group = from_pairs(&[("team", "infra")]);
        let rule = from_pairs(&[("severity", "page")]);
        assert_eq!(
            merge(&[&external, &group, &rule]),
            from_pairs(&[("cluster", "eu"), ("team", "infra"), ("severity", "page")])
        );
    }

    #[test]
    fn hash_is_order_independent_and_separates_fields() {
        let a = from_pairs(&[("a", "1"), ("b", "2")]);
        let b: Labels = [("b", "2"), ("a", "1")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(hash(&a), hash(&b));
        assert_ne!(
            hash(&from_pairs(&[("a", "1")])),
            hash(&from_pairs(&[("a", "2")]))
        );
        // vmalert's scheme does not separate a name from its value; the state machine keys alerts by label set.
        assert_eq!(
            hash(&from_pairs(&[("a", "b1")])),
            hash(&from_pairs(&[("ab", "1")]))
        );
    }
}
