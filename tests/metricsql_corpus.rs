//! Every expression of the shared rule corpus parses, prints and parses again to the same tree; the one
//! expressions vmalert 1.79.5 rejects as invalid (`rules0-bad`) are rejected here too.

#[path = "metricsql_support.rs"]
mod support;

use tocsin::promql::metricsql;

#[test]
fn corpus_round_trips() {
    let Some(dir) = support::corpus_dir() else {
        eprintln!("skipped: no rule corpus at /work/shared/corpus (set TOCSIN_CORPUS)");
        return;
    };
    let exprs = support::corpus_exprs(&dir);
    assert!(
        exprs.len() > 1000,
        "only {} expressions found in {}",
        exprs.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    let mut rejected = Vec::new();
    for c in &exprs {
        match metricsql::parse(&c.expr) {
            Ok(tree) => {
                let printed = tree.to_string();
                match metricsql::parse(&printed) {
                    Ok(again) if again == tree => {}
                    Ok(_) => failures.push(format!(
                        "{} {}: {:?} printed as {printed:?} reads back differently",
                        c.file, c.path, c.expr
                    )),
                    Err(e) => failures.push(format!(
                        "{} {}: {:?} printed as {printed:?}: {e}",
                        c.file, c.path, c.expr
                    )),
                }
            }
            Err(e) => rejected.push(format!("{} {}: {:?}: {e}", c.file, c.path, c.expr)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} round-trip failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // vmalert 1.79.5 rejects the expressions of rules0-bad.rules (verdicts.tsv: `vm_rows{ > 0`, and an empty one);
    // every other file it accepts, or rejects for reasons other than expressions.
    assert_eq!(rejected.len(), 2, "rejected:\n{}", rejected.join("\n"));
    assert!(
        rejected.iter().all(|r| r.contains("rules0-bad.rules")),
        "{}",
        rejected.join("\n")
    );
    eprintln!(
        "{} corpus expressions round-trip",
        exprs.len() - rejected.len()
    );
}
