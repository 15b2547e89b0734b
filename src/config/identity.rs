//! Group and rule identities, computed exactly as vmalert computes them, so that IDs in the API match vmalert's
//! and a reload can tell which rules are unchanged. Pure.

use super::duration::Duration;
use std::collections::BTreeMap;

/// FNV-1a 64 over the given byte strings, in order (also names Kubernetes events in `kube::status`).
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in *part {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// vmalert's group ID: file, `0xff`, name, datasource type, the interval in Go's duration form, and the
/// `eval_offset` in Go's form when one is set.
pub fn group_id(
    file: &str,
    name: &str,
    datasource_type: &str,
    interval: Duration,
    eval_offset: Option<Duration>,
) -> u64 {
    let interval = interval.go_string();
    let offset = eval_offset.map(Duration::go_string).unwrap_or_default();
    fnv1a(&[
        file.as_bytes(),
        b"\xff",
        name.as_bytes(),
        datasource_type.as_bytes(),
        interval.as_bytes(),
        offset.as_bytes(),
    ])
}

/// vmalert's rule ID: expr, `alerting` or `recording`, the name, then each label (sorted by name) as name, value,
/// `0xff`.
pub fn rule_id(expr: &str, alerting: bool, name: &str, labels: &BTreeMap<String, String>) -> u64 {
    let kind: &[u8] = if alerting { b"alerting" } else { b"recording" };
    let mut parts: Vec<&[u8]> = vec![expr.as_bytes(), kind, name.as_bytes()];
    for (k, v) in labels {
        parts.extend([k.as_bytes(), v.as_bytes(), b"\xff"]);
    }
    fnv1a(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_reference_vectors() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(&[b"foobar"]), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a(&[b"foo", b"bar"]), fnv1a(&[b"foobar"]));
    }

    #[test]
    fn rule_id_depends_on_each_input() {
        let mut labels = BTreeMap::new();
        labels.insert("severity".to_string(), "page".to_string());
        let base = rule_id("up == 0", true, "Down", &labels);
        assert_ne!(base, rule_id("up == 1", true, "Down", &labels));
        assert_ne!(base, rule_id("up == 0", false, "Down", &labels));
        assert_ne!(base, rule_id("up == 0", true, "Down2", &labels));
        assert_ne!(base, rule_id("up == 0", true, "Down", &BTreeMap::new()));
        // Equal to hashing the concatenation, as vmalert's successive writes do.
        assert_eq!(base, fnv1a(&[b"up == 0alertingDownseveritypage\xff"]));
    }

    #[test]
    fn group_id_includes_offset_only_when_set() {
        let m = Duration::from_secs(60);
        let without = group_id("f.yml", "g", "prometheus", m, None);
        assert_eq!(without, fnv1a(&[b"f.yml\xffgprometheus1m0s"]));
        let with = group_id("f.yml", "g", "prometheus", m, Some(Duration::from_secs(10)));
        assert_eq!(with, fnv1a(&[b"f.yml\xffgprometheus1m0s10s"]));
    }
}
