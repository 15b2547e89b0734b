//! Every real-world PrometheusRule and VMRule object of the shared corpus converts through the Kubernetes path
//! (manifest → `RuleObject` → `kube::convert`) with the verdict the corpus records for its spec, in both dialects,
//! and yields the same groups and rules as its `spec.groups` loaded as a rule file (`crds-spec/`).

use tocsin::config::{Dialect, Group, LoadOptions, load_text_with_env};
use tocsin::kube::RuleObject;
use tocsin::kube::convert::convert;

fn corpus() -> std::path::PathBuf {
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if beside.is_dir() {
        beside
    } else {
        std::path::PathBuf::from("/work/shared/corpus")
    }
}

/// `(promtool accepts, vmalert accepts)` for `crds-spec/NAME`, from verdicts.tsv.
fn verdict(tsv: &str, spec_file: &str) -> (bool, bool) {
    let row = tsv
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols[0] == format!("crds-spec/{spec_file}"))
        .unwrap_or_else(|| panic!("no verdict for {spec_file}"));
    (row[2] == "accept", row[4] == "accept")
}

/// The group without what depends on where it came from.
fn normalized(mut g: Group) -> Group {
    g.id = 0;
    g.file = String::new();
    g.pos = Default::default();
    for r in &mut g.rules {
        r.pos = Default::default();
    }
    g
}

#[test]
fn corpus_objects_convert_like_their_spec_files() {
    let root = corpus();
    let Ok(tsv) = std::fs::read_to_string(root.join("verdicts.tsv")) else {
        eprintln!("skipped: no corpus at {}", root.display());
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(root.join("crds"))
        .expect("crds dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 20, "the shared corpus has 20 objects files");
    let mut objects = 0;
    for path in files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let stem = name.trim_end_matches(".yaml").trim_end_matches(".yml");
        let spec_file = format!("{stem}.spec.yml");
        let (promtool_ok, vmalert_ok) = verdict(&tsv, &spec_file);
        let text = std::fs::read_to_string(&path).expect("read");
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).expect("yaml");
        let spec_text =
            std::fs::read_to_string(root.join("crds-spec").join(&spec_file)).expect("spec");
        for (dialect, want_ok) in [
            (Dialect::Prometheus, promtool_ok),
            (Dialect::Vmalert, vmalert_ok),
        ] {
            let opts = LoadOptions {
                dialect,
                ..LoadOptions::default()
            };
            let mut from_objects = Vec::new();
            for doc in docs.iter().filter(|d| !d.is_null()) {
                let obj = RuleObject::from_manifest(doc, "default").expect("a rule object");
                let c = convert(&obj, &opts);
                let errors: Vec<String> = c.errors().map(|d| d.to_string()).collect();
                assert_eq!(
                    errors.is_empty(),
                    want_ok,
                    "{name} ({dialect:?}): {errors:#?}"
                );
                assert!(c.groups.iter().all(|g| g.file == obj.key.source_name()));
                from_objects.extend(c.groups.into_iter().map(normalized));
                objects += 1;
            }
            let from_file = load_text_with_env(&spec_file, &spec_text, &opts, |_| None);
            assert_eq!(
                from_file.has_errors(),
                !want_ok,
                "{spec_file} ({dialect:?})"
            );
            let from_file: Vec<Group> = from_file.groups.into_iter().map(normalized).collect();
            assert!(!from_file.is_empty() || !want_ok, "{spec_file}: no groups");
            assert_eq!(from_objects, from_file, "{name} ({dialect:?})");
        }
    }
    assert_eq!(
        objects,
        2 * 21,
        "20 files, one with two objects, in two dialects"
    );
}
