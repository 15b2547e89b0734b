//! The README's flag reference is generated from the flag tables in the code and must match them exactly.
//! Regenerate it with `UPDATE_README=1 cargo test --test readme_flags`.

use tocsin::cli::run_flags::{RUN_FLAGS, markdown};

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");

fn check_section(readme: &mut String, marker: &str, table: &str) -> bool {
    let start = format!("<!-- flags:{marker}:start -->\n");
    let end = format!("<!-- flags:{marker}:end -->");
    let (Some(a), Some(b)) = (readme.find(&start), readme.find(&end)) else {
        panic!("README.md lacks the markers {start:?} … {end:?}");
    };
    let current = &readme[a + start.len()..b];
    if current == table {
        return true;
    }
    readme.replace_range(a + start.len()..b, table);
    false
}

#[test]
fn flag_reference_matches_the_code() {
    let mut readme = std::fs::read_to_string(README).expect("README.md");
    let run_ok = check_section(&mut readme, "run", &markdown(RUN_FLAGS, "-"));
    let check_ok = check_section(
        &mut readme,
        "check",
        &markdown(tocsin::cli::check::SPECS, "--"),
    );
    let test_ok = check_section(
        &mut readme,
        "test",
        &markdown(tocsin::cli::test::SPECS, "--"),
    );
    if run_ok && check_ok && test_ok {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(README, readme).expect("write README.md");
        return;
    }
    panic!(
        "README.md's flag reference is out of date: run UPDATE_README=1 cargo test --test readme_flags"
    );
}
