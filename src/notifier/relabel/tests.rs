//! Expected values follow Prometheus's documented `<relabel_config>` semantics; `hashmod` values were computed
//! independently (Python's hashlib: last eight bytes of MD5, big-endian, modulo).

use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn spec(action: &str) -> RelabelSpec {
    RelabelSpec {
        action: Some(action.to_string()),
        ..RelabelSpec::default()
    }
}

fn rule(s: RelabelSpec) -> RelabelRule {
    RelabelRule::new(&s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn run(rules: Vec<RelabelSpec>, input: &[(&str, &str)]) -> Option<Labels> {
    Relabeling::new(rules.into_iter().map(rule).collect()).apply(&labels(input))
}

fn src(names: &[&str]) -> Option<Vec<String>> {
    Some(names.iter().map(|s| s.to_string()).collect())
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn replace_with_defaults_copies_the_joined_sources() {
    let got = run(
        vec![RelabelSpec {
            source_labels: src(&["a", "b"]),
            target_label: some("c"),
            ..RelabelSpec::default()
        }],
        &[("a", "foo"), ("b", "bar")],
    );
    assert_eq!(
        got,
        Some(labels(&[("a", "foo"), ("b", "bar"), ("c", "foo;bar")]))
    );
}

#[test]
fn replace_regex_is_anchored_and_expands_groups() {
    let r = RelabelSpec {
        source_labels: src(&["a"]),
        regex: some("f(.*)"),
        target_label: some("d"),
        replacement: some("ch${1}-ch${1}"),
        ..RelabelSpec::default()
    };
    assert_eq!(
        run(vec![r.clone()], &[("a", "foo")]),
        Some(labels(&[("a", "foo"), ("d", "choo-choo")]))
    );
    // Anchored: "xfoo" does not match "f(.*)", so nothing changes.
    assert_eq!(
        run(vec![r], &[("a", "xfoo")]),
        Some(labels(&[("a", "xfoo")]))
    );
}

#[test]
fn replace_with_go_expansion_rules() {
    // `$1x` names the (missing) group "1x" and expands to nothing; `$$` is a literal dollar.
    let got = run(
        vec![RelabelSpec {
            source_labels: src(&["a"]),
            regex: some("(f)(o+)"),
            target_label: some("b"),
            replacement: some("$1x|${2}|$$"),
            ..RelabelSpec::default()
        }],
        &[("a", "foo")],
    );
    assert_eq!(got, Some(labels(&[("a", "foo"), ("b", "|oo|$")])));
}

#[test]
fn replace_target_label_with_references() {
    let got = run(
        vec![RelabelSpec {
            source_labels: src(&["a"]),
            regex: some("some-([^-]+)-(.*)"),
            target_label: some("${1}_x"),
            replacement: some("$2"),
            ..RelabelSpec::default()
        }],
        &[("a", "some-name-value")],
    );
    assert_eq!(
        got,
        Some(labels(&[("a", "some-name-value"), ("name_x", "value")]))
    );
    // A target that expands to an invalid name is skipped.
    let got = run(
        vec![RelabelSpec {
            source_labels: src(&["a"]),
            regex: some("(.*)"),
            target_label: some("${1}"),
            ..RelabelSpec::default()
        }],
        &[("a", "1bad")],
    );
    assert_eq!(got, Some(labels(&[("a", "1bad")])));
}

#[test]
fn replace_with_empty_result_removes_the_target() {
    let got = run(
        vec![RelabelSpec {
            source_labels: src(&["missing"]),
            target_label: some("a"),
            ..RelabelSpec::default()
        }],
        &[("a", "foo"), ("b", "bar")],
    );
    assert_eq!(got, Some(labels(&[("b", "bar")])));
}

#[test]
fn keep_and_drop() {
    let keep = RelabelSpec {
        source_labels: src(&["a"]),
        regex: some("f.*"),
        ..spec("keep")
    };
    assert!(run(vec![keep.clone()], &[("a", "foo")]).is_some());
    assert!(run(vec![keep.clone()], &[("a", "bar")]).is_none());
    // Anchored: "xfoo" is not kept.
    assert!(run(vec![keep], &[("a", "xfoo")]).is_none());
    let drop = RelabelSpec {
        source_labels: src(&["a"]),
        regex: some("f.*"),
        ..spec("drop")
    };
    assert!(run(vec![drop.clone()], &[("a", "foo")]).is_none());
    assert_eq!(
        run(vec![drop], &[("a", "bar")]),
        Some(labels(&[("a", "bar")]))
    );
    // A missing source label is the empty string: `drop` with regex "" drops sets without it.
    let drop_missing = RelabelSpec {
        source_labels: src(&["team"]),
        regex: some(""),
        ..spec("drop")
    };
    assert!(run(vec![drop_missing.clone()], &[("a", "x")]).is_none());
    assert!(run(vec![drop_missing], &[("a", "x"), ("team", "t")]).is_some());
}

#[test]
fn keepequal_and_dropequal_compare_with_the_target_label() {
    let keq = RelabelSpec {
        source_labels: src(&["a"]),
        target_label: some("b"),
        ..spec("keepequal")
    };
    assert!(run(vec![keq.clone()], &[("a", "x"), ("b", "x")]).is_some());
    assert!(run(vec![keq.clone()], &[("a", "x"), ("b", "y")]).is_none());
    // Both missing: "" == "".
    assert!(run(vec![keq], &[("c", "z")]).is_some());
    let deq = RelabelSpec {
        source_labels: src(&["a"]),
        target_label: some("b"),
        ..spec("dropequal")
    };
    assert!(run(vec![deq.clone()], &[("a", "x"), ("b", "x")]).is_none());
    assert!(run(vec![deq], &[("a", "x"), ("b", "y")]).is_some());
}

#[test]
fn hashmod_uses_the_last_eight_bytes_of_md5() {
    for (value, modulus, want) in [("baz", 1000, "976"), ("foo", 10, "6"), ("", 7, "1")] {
        let got = run(
            vec![RelabelSpec {
                source_labels: src(&["c"]),
                target_label: some("d"),
                modulus: Some(modulus),
                ..spec("hashmod")
            }],
            &[("c", value), ("x", "y")],
        )
        .expect("kept");
        assert_eq!(got.get("d").map(String::as_str), Some(want), "{value}");
    }
}

#[test]
fn labelmap_copies_matching_names() {
    let got = run(
        vec![RelabelSpec {
            regex: some("__meta_(.+)"),
            replacement: some("${1}"),
            ..spec("labelmap")
        }],
        &[("__meta_dns_name", "am.svc"), ("a", "b")],
    );
    assert_eq!(
        got,
        Some(labels(&[
            ("__meta_dns_name", "am.svc"),
            ("a", "b"),
            ("dns_name", "am.svc")
        ]))
    );
}

#[test]
fn labeldrop_and_labelkeep_match_names_fully() {
    let got = run(
        vec![RelabelSpec {
            regex: some("replica|prom.*"),
            ..spec("labeldrop")
        }],
        &[("replica", "a"), ("prometheus", "p"), ("xreplica", "x")],
    );
    assert_eq!(got, Some(labels(&[("xreplica", "x")])));
    let got = run(
        vec![RelabelSpec {
            regex: some("alertname|job"),
            ..spec("labelkeep")
        }],
        &[("alertname", "A"), ("job", "j"), ("instance", "i")],
    );
    assert_eq!(got, Some(labels(&[("alertname", "A"), ("job", "j")])));
}

#[test]
fn lowercase_and_uppercase() {
    let got = run(
        vec![
            RelabelSpec {
                source_labels: src(&["a", "b"]),
                target_label: some("lower"),
                ..spec("lowercase")
            },
            RelabelSpec {
                source_labels: src(&["a"]),
                target_label: some("upper"),
                ..spec("Uppercase")
            },
        ],
        &[("a", "FoO"), ("b", "BaR")],
    );
    assert_eq!(
        got,
        Some(labels(&[
            ("a", "FoO"),
            ("b", "BaR"),
            ("lower", "foo;bar"),
            ("upper", "FOO")
        ]))
    );
}

#[test]
fn custom_separator() {
    let got = run(
        vec![RelabelSpec {
            source_labels: src(&["a", "b"]),
            separator: some("/"),
            target_label: some("c"),
            ..RelabelSpec::default()
        }],
        &[("a", "x"), ("b", "y")],
    );
    assert_eq!(
        got.and_then(|l| l.get("c").cloned()),
        Some("x/y".to_string())
    );
}

#[test]
fn empty_result_is_dropped() {
    assert!(
        run(
            vec![RelabelSpec {
                regex: some(".*"),
                ..spec("labeldrop")
            }],
            &[("a", "b")]
        )
        .is_none()
    );
}

#[test]
fn rules_run_in_order() {
    let got = run(
        vec![
            RelabelSpec {
                source_labels: src(&["a"]),
                target_label: some("b"),
                ..RelabelSpec::default()
            },
            RelabelSpec {
                source_labels: src(&["b"]),
                regex: some("x"),
                ..spec("drop")
            },
        ],
        &[("a", "x")],
    );
    assert!(got.is_none());
}

#[test]
fn validation_follows_prometheus() {
    let bad = |s: RelabelSpec| RelabelRule::new(&s).expect_err("invalid");
    assert_eq!(bad(spec("")).message, "relabel action cannot be empty");
    assert_eq!(
        bad(spec("explode")).message,
        "unknown relabel action \"explode\""
    );
    assert!(
        bad(spec("keep_if_equal"))
            .message
            .contains("VictoriaMetrics extension")
    );
    assert_eq!(
        bad(RelabelSpec {
            target_label: some("x"),
            ..spec("hashmod")
        })
        .field,
        "modulus"
    );
    assert_eq!(
        bad(RelabelSpec::default()).message,
        "relabel configuration for replace action requires 'target_label' value"
    );
    assert_eq!(
        bad(RelabelSpec {
            target_label: some("1x"),
            ..RelabelSpec::default()
        })
        .message,
        "\"1x\" is invalid 'target_label' for replace action"
    );
    assert_eq!(
        bad(RelabelSpec {
            target_label: some("x"),
            replacement: some("y"),
            ..spec("lowercase")
        })
        .message,
        "'replacement' can not be set for lowercase action"
    );
    assert_eq!(
        bad(RelabelSpec {
            source_labels: src(&["a"]),
            ..spec("labeldrop")
        })
        .message,
        "labeldrop action requires only 'regex', and no other fields"
    );
    assert!(
        bad(RelabelSpec {
            target_label: some("b"),
            regex: some("x"),
            ..spec("keepequal")
        })
        .message
        .contains("requires only 'source_labels'")
    );
    assert_eq!(
        bad(RelabelSpec {
            replacement: some("1-x"),
            ..spec("labelmap")
        })
        .message,
        "\"1-x\" is invalid 'replacement' for labelmap action"
    );
    assert_eq!(
        bad(RelabelSpec {
            regex: some("(unclosed"),
            ..spec("keep")
        })
        .field,
        "regex"
    );
    // Valid templates.
    for t in ["a", "${1}", "$1_x", "x_${name}"] {
        assert!(is_valid_target_template(t), "{t}");
    }
}
