//! Expanding rule paths into files: plain paths, directories (every non-hidden file below, recursively, so a
//! mounted ConfigMap's `..data` copies are not read twice) and globs with `*` (within one path segment), `?`,
//! `[...]` and `**` (across segments). Results are sorted and de-duplicated.

use globset::GlobBuilder;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// A path or pattern that could not be expanded.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{pattern}: no such file or directory")]
    Missing { pattern: String },
    #[error("{pattern}: no files match")]
    NoMatch { pattern: String },
    #[error("{pattern}: invalid glob: {message}")]
    BadGlob { pattern: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Expands one path, directory or glob into the files it names.
pub fn expand(pattern: &str) -> Result<Vec<PathBuf>, SourceError> {
    if !has_glob_chars(pattern) {
        let path = Path::new(pattern);
        if path.is_dir() {
            return Ok(walk_dir(path));
        }
        if path.exists() {
            return Ok(vec![path.to_path_buf()]);
        }
        return Err(SourceError::Missing {
            pattern: pattern.to_string(),
        });
    }
    let glob = GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| SourceError::BadGlob {
            pattern: pattern.to_string(),
            message: e.kind().to_string(),
        })?
        .compile_matcher();
    let root = literal_prefix(pattern);
    let mut out: Vec<PathBuf> = WalkDir::new(&root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| glob.is_match(strip_dot(p, &root, pattern)))
        .collect();
    out.dedup();
    if out.is_empty() {
        return Err(SourceError::NoMatch {
            pattern: pattern.to_string(),
        });
    }
    Ok(out)
}

/// Expands every pattern, keeping going after errors so that all of them are reported.
pub fn expand_all(patterns: &[String]) -> (Vec<PathBuf>, Vec<SourceError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in patterns {
        match expand(p) {
            Ok(found) => {
                for f in found {
                    if !files.contains(&f) {
                        files.push(f);
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    (files, errors)
}

/// Reads a file as UTF-8 text.
pub fn read(path: &Path) -> Result<String, SourceError> {
    std::fs::read_to_string(path).map_err(|source| SourceError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn has_glob_chars(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Every regular file under `dir`, skipping hidden entries (names starting with `.`).
fn walk_dir(dir: &Path) -> Vec<PathBuf> {
    WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

/// The directory part of a pattern before its first glob character.
fn literal_prefix(pattern: &str) -> PathBuf {
    let cut = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    match pattern[..cut].rfind('/') {
        Some(0) => PathBuf::from("/"),
        Some(i) => PathBuf::from(&pattern[..i]),
        None => PathBuf::from("."),
    }
}

/// Walking `.` yields `./x`; a relative pattern without `./` must still match it.
fn strip_dot<'a>(path: &'a Path, root: &Path, pattern: &str) -> &'a Path {
    if root == Path::new(".") && !pattern.starts_with("./") {
        path.strip_prefix("./").unwrap_or(path)
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for f in [
            "a.yml",
            "b.yaml",
            "sub/c.yml",
            "sub/deep/d.yml",
            ".hidden/e.yml",
            "..data/f.yml",
        ] {
            let p = root.join(f);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, "groups: []\n").expect("write");
        }
        dir
    }

    fn names(root: &Path, files: Vec<PathBuf>) -> Vec<String> {
        files
            .iter()
            .map(|f| {
                f.strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn directory_reads_non_hidden_files_recursively() {
        let dir = tree();
        let got = names(
            dir.path(),
            expand(&dir.path().display().to_string()).expect("dir"),
        );
        assert_eq!(got, vec!["a.yml", "b.yaml", "sub/c.yml", "sub/deep/d.yml"]);
    }

    #[test]
    fn single_star_stays_in_one_segment_and_double_star_crosses() {
        let dir = tree();
        let root = dir.path().display().to_string();
        let got = names(dir.path(), expand(&format!("{root}/*.yml")).expect("star"));
        assert_eq!(got, vec!["a.yml"]);
        let got = names(
            dir.path(),
            expand(&format!("{root}/sub/**/*.yml")).expect("double star"),
        );
        assert_eq!(got, vec!["sub/c.yml", "sub/deep/d.yml"]);
    }

    #[test]
    fn missing_and_unmatched_are_errors() {
        let dir = tree();
        let root = dir.path().display().to_string();
        assert!(matches!(
            expand(&format!("{root}/nope.yml")),
            Err(SourceError::Missing { .. })
        ));
        assert!(matches!(
            expand(&format!("{root}/*.json")),
            Err(SourceError::NoMatch { .. })
        ));
        let (files, errors) = expand_all(&[
            format!("{root}/a.yml"),
            format!("{root}/a.yml"),
            format!("{root}/x"),
        ]);
        assert_eq!(files.len(), 1);
        assert_eq!(errors.len(), 1);
    }
}
