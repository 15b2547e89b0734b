//! The README's flag reference must match the flags the code defines, word for word.

use tocsin::cli::flags::FlagSpec;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

fn assert_documented(specs: &[FlagSpec], dashes: &str) {
    let readme = readme();
    for spec in specs {
        let row = format!("| `{dashes}{}` | {} |", spec.name, spec.help);
        assert!(readme.contains(&row), "README.md lacks the row {row:?}");
    }
}

#[test]
fn check_flags_are_documented() {
    assert_documented(tocsin::cli::check::SPECS, "--");
}

#[test]
fn vmalert_form_flags_are_documented() {
    assert_documented(tocsin::cli::dry_run::SPECS, "-");
}
