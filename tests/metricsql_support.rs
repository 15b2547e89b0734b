//! Shared helpers for the MetricsQL integration tests: reading rule expressions out of the shared corpus and the
//! case file. Compiled on its own as an (empty) test crate too.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared rule corpus, when present (`TOCSIN_CORPUS` overrides the default `/work/shared/corpus`).
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TOCSIN_CORPUS")
        .map_or_else(|| PathBuf::from("/work/shared/corpus"), PathBuf::from);
    dir.is_dir().then_some(dir)
}

/// One expression from the corpus: file, position in the file, text.
#[derive(Debug, Clone)]
pub struct CorpusExpr {
    pub file: String,
    pub path: String,
    pub expr: String,
}

/// Every `groups[].rules[].expr` (of groups of the default `prometheus` type) of every YAML file in `rules/` and `crds-spec/`.
pub fn corpus_exprs(dir: &Path) -> Vec<CorpusExpr> {
    let mut out = Vec::new();
    for sub in ["rules", "crds-spec"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let Ok(docs) = serde_saphyr::from_multiple::<serde_json::Value>(&text) else {
                continue;
            };
            let file = format!(
                "{sub}/{}",
                f.file_name().unwrap_or_default().to_string_lossy()
            );
            for (di, doc) in docs.iter().enumerate() {
                let groups = doc
                    .get("groups")
                    .and_then(|g| g.as_array())
                    .cloned()
                    .unwrap_or_default();
                for (gi, g) in groups.iter().enumerate() {
                    // Graphite and VictoriaLogs groups hold other query languages.
                    if g.get("type")
                        .and_then(|t| t.as_str())
                        .is_some_and(|t| t != "prometheus")
                    {
                        continue;
                    }
                    let rules = g
                        .get("rules")
                        .and_then(|r| r.as_array())
                        .cloned()
                        .unwrap_or_default();
                    for (ri, r) in rules.iter().enumerate() {
                        let expr = match r.get("expr") {
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(serde_json::Value::Number(n)) => n.to_string(),
                            _ => continue,
                        };
                        out.push(CorpusExpr {
                            file: file.clone(),
                            path: format!("doc[{di}].groups[{gi}].rules[{ri}].expr"),
                            expr,
                        });
                    }
                }
            }
        }
    }
    out
}

/// One line of `tests/data/metricsql/cases.txt`: an expression VictoriaMetrics 1.79.5 accepts (`ok`) or refuses
/// (`err`), or one where tocsin differs on purpose (`diff-ok`: tocsin accepts, the peer refuses; `diff-err`:
/// the reverse), each difference written up in `docs/metricsql.md`.
#[derive(Debug, Clone)]
pub struct Case {
    pub line: usize,
    pub verdict: String,
    pub expr: String,
}

pub fn cases() -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/metricsql/cases.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with("//"))
        .map(|(i, l)| {
            let (verdict, expr) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("cases.txt:{}: want VERDICT<TAB>EXPR", i + 1));
            Case {
                line: i + 1,
                verdict: verdict.to_string(),
                // `\n` in the file stands for a newline inside the expression.
                expr: expr.replace("\\n", "\n"),
            }
        })
        .collect()
}
