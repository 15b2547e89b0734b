//! The JSON Schema for rule files (`schemas/rules.schema.json`) against tocsin's own parser, the example rules and
//! the shared real-world corpus.
//!
//! The schema may be looser than the parser, never stricter: every file the parser accepts, the schema accepts. Files the schema accepts but the parser rejects are allowed only for reasons a
//! schema cannot express (expressions, templates, duplicates, cross-field arithmetic, cron syntax); each is listed
//! with its reason in `tests/data/schema/expected-differences.txt`, and the list must stay exact. Verdicts here are
//! compared with each other and with hand-written expectations, never with recorded tocsin output.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use tocsin::config::{Diagnostic, LoadOptions, Severity, load_text};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus: `../shared/corpus` beside the checkout (as CI lays it out), else `/work/shared/corpus`.
fn corpus_dir() -> PathBuf {
    let candidates = [
        manifest_dir().join("../shared/corpus"),
        PathBuf::from("/work/shared/corpus"),
    ];
    for dir in &candidates {
        if dir.join("rules").is_dir() {
            return dir.clone();
        }
    }
    panic!("rule corpus not found; looked in {candidates:?}");
}

fn schema_value() -> Value {
    let path = manifest_dir().join("schemas/rules.schema.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema_value()).expect("schema compiles")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Files in `dir` (not recursing), sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// The YAML documents of a file as JSON values; empty documents are left out.
fn documents(text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// `spec.groups` of every PrometheusRule and VMRule object in a file, concatenated, as a plain rule file: what the
/// operators hand to the ruler (and what the corpus's `tools/extract_spec.py` does).
fn extract_spec(text: &str) -> Result<Value, String> {
    let mut groups = Vec::new();
    let mut objects = 0;
    for doc in documents(text)? {
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind != "PrometheusRule" && kind != "VMRule" {
            continue;
        }
        objects += 1;
        if let Some(list) = doc.pointer("/spec/groups").and_then(Value::as_array) {
            groups.extend(list.iter().cloned());
        }
    }
    if objects == 0 {
        return Err("no PrometheusRule or VMRule object".to_string());
    }
    Ok(json!({ "groups": groups }))
}

/// One schema violation: where (JSON pointer components, groups numbered across documents as the parser numbers
/// them) and what.
struct SchemaError {
    path: Vec<String>,
    text: String,
}

/// Schema problems of a rule file's documents; empty when it is valid.
fn schema_errors(validator: &jsonschema::Validator, docs: &[Value]) -> Vec<SchemaError> {
    let mut out = Vec::new();
    let mut groups_before = 0;
    for (i, doc) in docs.iter().enumerate() {
        for e in validator.iter_errors(doc) {
            let mut path: Vec<String> = e
                .instance_path()
                .as_str()
                .split('/')
                .skip(1)
                .map(|c| c.replace("~1", "/").replace("~0", "~"))
                .collect();
            if path.first().map(String::as_str) == Some("groups")
                && let Some(n) = path.get(1).and_then(|n| n.parse::<usize>().ok())
            {
                path[1] = (n + groups_before).to_string();
            }
            out.push(SchemaError {
                text: format!("document {i}: /{}: {e}", path.join("/")),
                path,
            });
        }
        groups_before += doc
            .get("groups")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
    }
    out
}

/// Errors of tocsin's parser with default options (promtool's dialect); empty when it accepts.
fn parser_errors(name: &str, text: &str) -> Vec<Diagnostic> {
    load_text(name, text, &LoadOptions::default())
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

/// One rule file as both checkers see it.
struct Case {
    /// `rules-examples/…`, `corpus/rules/…`, `corpus/crds/…` or `corpus/crds-spec/…`.
    name: String,
    schema: Vec<SchemaError>,
    parser: Vec<Diagnostic>,
}

impl Case {
    fn schema_text(&self) -> Vec<String> {
        self.schema.iter().map(|e| e.text.clone()).collect()
    }

    fn parser_text(&self) -> Vec<String> {
        self.parser.iter().map(|d| d.to_string()).collect()
    }

    /// Every problem either checker found, one line each.
    fn problems(&self) -> Vec<String> {
        let schema = self
            .schema
            .iter()
            .map(|e| format!("{}: schema: {}", self.name, e.text));
        let parser = self
            .parser
            .iter()
            .map(|d| format!("{}: parser: {d}", self.name));
        schema.chain(parser).collect()
    }
}

fn plain_case(name: String, text: &str, validator: &jsonschema::Validator) -> Case {
    let schema = match documents(text) {
        Ok(docs) => schema_errors(validator, &docs),
        Err(e) => vec![SchemaError {
            path: Vec::new(),
            text: format!("invalid YAML: {e}"),
        }],
    };
    let parser = parser_errors(&name, text);
    Case {
        name,
        schema,
        parser,
    }
}

fn crd_case(name: String, text: &str, validator: &jsonschema::Validator) -> Case {
    let spec = extract_spec(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    // JSON is YAML: the parser reads the extracted groups as a plain rule file.
    let spec_text = serde_json::to_string_pretty(&spec).expect("serialises");
    Case {
        schema: schema_errors(validator, std::slice::from_ref(&spec)),
        parser: parser_errors(&name, &spec_text),
        name,
    }
}

fn example_files() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let dir = manifest_dir().join("rules-examples");
    (files_in(&dir), files_in(&dir.join("kubernetes")))
}

fn all_cases() -> Vec<Case> {
    let validator = validator();
    let corpus = corpus_dir();
    let mut cases = Vec::new();
    let (plain, crds) = example_files();
    for path in plain {
        let name = format!("rules-examples/{}", file_name(&path));
        cases.push(plain_case(name, &read(&path), &validator));
    }
    for path in crds {
        let name = format!("rules-examples/kubernetes/{}", file_name(&path));
        cases.push(crd_case(name, &read(&path), &validator));
    }
    for sub in ["rules", "crds-spec"] {
        for path in files_in(&corpus.join(sub)) {
            let name = format!("corpus/{sub}/{}", file_name(&path));
            cases.push(plain_case(name, &read(&path), &validator));
        }
    }
    for path in files_in(&corpus.join("crds")) {
        let name = format!("corpus/crds/{}", file_name(&path));
        cases.push(crd_case(name, &read(&path), &validator));
    }
    cases
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned()
}

/// `tests/data/schema/expected-differences.txt`: `name<TAB>reason` lines; `#` comments and blank lines ignored.
fn expected_differences() -> BTreeMap<String, String> {
    let path = manifest_dir().join("tests/data/schema/expected-differences.txt");
    let mut out = BTreeMap::new();
    for (n, line) in read(&path).lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("{}:{}: want NAME<TAB>REASON", path.display(), n + 1));
        assert!(
            !reason.trim().is_empty(),
            "{}:{}: a listed difference needs a reason",
            path.display(),
            n + 1
        );
        let previous = out.insert(name.to_string(), reason.to_string());
        assert!(previous.is_none(), "{name} is listed twice");
    }
    out
}

#[test]
fn schema_is_valid_draft_2020_12() {
    let schema = schema_value();
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "the schema must declare draft 2020-12"
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("schema is not a valid draft 2020-12 schema: {e}");
    }
}

/// Editors whose yaml-language-server predates draft 2020-12 validate with draft 07 rules, which ignore keywords
/// new in 2019-09 and the siblings of a `$ref`. The schema avoids both, so every check works there too.
#[test]
fn schema_works_with_draft_07_editors() {
    const NEWER: [&str; 10] = [
        "dependentSchemas",
        "dependentRequired",
        "unevaluatedProperties",
        "unevaluatedItems",
        "prefixItems",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "minContains",
        "maxContains",
    ];
    fn walk(value: &Value, path: &str, problems: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if map.contains_key("$ref") && map.len() > 1 {
                    problems.push(format!(
                        "{path}: $ref with siblings (draft 07 ignores them)"
                    ));
                }
                for (key, child) in map {
                    // Inside `properties` and `$defs` the keys are names, not keywords.
                    let is_name_map = path.ends_with("/properties") || path.ends_with("/$defs");
                    if !is_name_map && NEWER.contains(&key.as_str()) {
                        problems.push(format!("{path}: {key} is not understood by draft 07"));
                    }
                    walk(child, &format!("{path}/{key}"), problems);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}/{i}"), problems);
                }
            }
            _ => {}
        }
    }
    let mut problems = Vec::new();
    walk(&schema_value(), "", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The schema names exactly the fields tocsin reads, and documents each one.
#[test]
fn schema_fields_match_the_parser() {
    let schema = schema_value();
    let fields = |def: &str| -> Vec<String> {
        let props = schema["$defs"][def]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("$defs.{def}.properties"));
        for (name, prop) in props {
            let description = prop["description"].as_str().unwrap_or("");
            assert!(
                description.len() > 20,
                "$defs.{def}.properties.{name} needs a description"
            );
        }
        let mut names: Vec<String> = props.keys().cloned().collect();
        names.sort();
        names
    };
    let sorted = |list: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(
        fields("group"),
        sorted(tocsin::config::raw::GROUP_FIELDS),
        "group fields"
    );
    assert_eq!(
        fields("rule"),
        sorted(tocsin::config::raw::RULE_FIELDS),
        "rule fields"
    );
    let top: Vec<&String> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .collect();
    assert_eq!(top, ["groups"]);
    assert_eq!(schema["additionalProperties"], false);
    for def in ["group", "rule"] {
        assert_eq!(
            schema["$defs"][def]["additionalProperties"], false,
            "$defs.{def} must not allow unknown keys"
        );
    }
}

/// Every example passes both the schema and the parser, and each plain file names the schema for editors.
#[test]
fn examples_are_valid() {
    let validator = validator();
    let (plain, crds) = example_files();
    let expected_plain = [
        "ceph.yml",
        "cron.yml",
        "node.yml",
        "pods.yml",
        "recording.yml",
        "victoriametrics.yml",
        "vmalert-specific.yml",
    ];
    let names: Vec<String> = plain.iter().map(|p| file_name(p)).collect();
    assert_eq!(names, expected_plain);
    let names: Vec<String> = crds.iter().map(|p| file_name(p)).collect();
    assert_eq!(names, ["tenant-prometheusrule.yaml", "tenant-vmrule.yaml"]);
    let mut problems = Vec::new();
    for path in &plain {
        let text = read(path);
        let case = plain_case(file_name(path), &text, &validator);
        problems.extend(case.problems());
        if !text.starts_with("# yaml-language-server: $schema=../schemas/rules.schema.json\n") {
            problems.push(format!(
                "{}: missing the yaml-language-server modeline",
                case.name
            ));
        }
    }
    for path in &crds {
        let case = crd_case(file_name(path), &read(path), &validator);
        problems.extend(case.problems());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// (a) every file the parser accepts, the schema accepts — equivalently (b) every file the schema rejects, the
/// parser rejects; (c) files only the parser rejects are exactly the listed ones.
#[test]
fn schema_agrees_with_parser() {
    let cases = all_cases();
    let expected = expected_differences();
    let mut failures = Vec::new();
    let mut counts = BTreeMap::<&str, usize>::new();
    for case in &cases {
        let verdict = match (case.schema.is_empty(), case.parser.is_empty()) {
            (true, true) => "both accept",
            (false, false) => "both reject",
            (false, true) => {
                failures.push(format!(
                    "{}: the parser accepts it but the schema rejects it:\n    {}",
                    case.name,
                    case.schema_text().join("\n    ")
                ));
                "only the schema rejects"
            }
            (true, false) => {
                if !expected.contains_key(&case.name) {
                    failures.push(format!(
                        "{}: the schema accepts it but the parser rejects it, and it is not listed in \
                         expected-differences.txt:\n    {}",
                        case.name,
                        case.parser_text().join("\n    ")
                    ));
                }
                "only the parser rejects"
            }
        };
        *counts.entry(verdict).or_default() += 1;
        if verdict != "only the parser rejects" && expected.contains_key(&case.name) {
            failures.push(format!(
                "{}: listed in expected-differences.txt but now {verdict}; remove it from the list",
                case.name
            ));
        }
    }
    for name in expected.keys() {
        if !cases.iter().any(|c| &c.name == name) {
            failures.push(format!(
                "{name}: listed in expected-differences.txt but no such file"
            ));
        }
    }
    eprintln!("schema vs parser over {} files: {counts:?}", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The Rust extraction of `spec.groups` gives the corpus's own extracted files (`crds-spec/`) and the same verdicts.
#[test]
fn crd_extraction_matches_the_corpus() {
    let corpus = corpus_dir();
    let mut checked = 0;
    for path in files_in(&corpus.join("crds")) {
        let name = file_name(&path);
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        let spec_path = corpus.join(format!("crds-spec/{stem}.spec.yml"));
        let ours = extract_spec(&read(&path)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = documents(&read(&spec_path)).expect("crds-spec parses");
        assert_eq!(theirs.len(), 1, "{}", spec_path.display());
        assert_eq!(
            ours, theirs[0],
            "{name}: extracted groups differ from crds-spec"
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} CRDs found in the corpus");
}

/// `groups[0].rules[1].for` as JSON pointer components: `groups`, `0`, `rules`, `1`, `for`.
fn pointer(parser_path: &str) -> Vec<String> {
    parser_path
        .split('.')
        .flat_map(|part| part.split('['))
        .map(|c| c.trim_end_matches(']').to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Small files every checker must reject: the schema and the parser alike, each at the field the file's first line
/// names (`# rejected at: groups[0].rules[0].for`). The parser must name that field exactly; the schema may report
/// the enclosing object (a `oneOf` or `dependentSchemas` failure is reported where the keyword sits) or, for two
/// fields that exclude each other, the other field; never higher than the group.
#[test]
fn negative_cases_are_rejected_by_both() {
    let validator = validator();
    let dir = manifest_dir().join("tests/data/schema/negative");
    let files = files_in(&dir);
    assert!(files.len() >= 10, "only {} negative cases", files.len());
    let mut failures = Vec::new();
    for path in files {
        let text = read(&path);
        let case = plain_case(file_name(&path), &text, &validator);
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# rejected at: "))
            .unwrap_or_else(|| panic!("{}: first line must be `# rejected at: PATH`", case.name))
            .trim();
        let want = pointer(expected);
        let schema_here = case.schema.iter().any(|e| {
            // A conflict between two fields may be reported at the other one of the pair.
            let sibling =
                e.path.len() == want.len() && e.path[..want.len() - 1] == want[..want.len() - 1];
            (want.starts_with(&e.path) || sibling)
                && e.path.len() >= want.len().saturating_sub(1).min(2)
        });
        if !schema_here {
            failures.push(format!(
                "{}: the schema does not reject it at {expected}: {:?}",
                case.name,
                case.schema_text()
            ));
        }
        if !case.parser.iter().any(|d| d.path == expected) {
            failures.push(format!(
                "{}: the parser does not reject it at {expected}: {:?}",
                case.name,
                case.parser_text()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Small files the schema must accept: the edges of each pattern (durations, names, scalars).
#[test]
fn positive_edge_cases_are_accepted_by_both() {
    let validator = validator();
    let dir = manifest_dir().join("tests/data/schema/positive");
    let files = files_in(&dir);
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in files {
        let case = plain_case(file_name(&path), &read(&path), &validator);
        failures.extend(case.problems());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Exit code of a real tool on one example file, or None when the tool is not installed.
fn tool_exit(program: &str, args: &[&str], dir: &Path) -> Option<i32> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    Some(out.status.code().unwrap_or(-1))
}

/// The examples' verdicts from promtool 2.42 and vmalert 1.79.5, as recorded by hand in docs/rule-format.md. For the
/// Kubernetes objects, the tools check the extracted `spec.groups`, as the operators would hand them over.
#[test]
fn examples_match_real_tool_verdicts() {
    // (file, promtool accepts, vmalert accepts)
    let expected = [
        ("ceph.yml", true, true),
        ("node.yml", true, true),
        ("pods.yml", true, true),
        ("victoriametrics.yml", true, true),
        // Group `labels`: Prometheus >= 3.0 only.
        ("recording.yml", false, true),
        // eval_offset, headers, rule debug, keep_firing_for...: newer than both tools.
        ("vmalert-specific.yml", false, false),
        // cron is tocsin's own.
        ("cron.yml", false, false),
        ("kubernetes/tenant-prometheusrule.yaml", true, true),
        // Group `concurrency` is vmalert's.
        ("kubernetes/tenant-vmrule.yaml", false, true),
    ];
    let examples = manifest_dir().join("rules-examples");
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    let mut ran = 0;
    for (file, promtool_ok, vmalert_ok) in expected {
        let path = examples.join(file);
        let checked = if file.starts_with("kubernetes/") {
            let spec = extract_spec(&read(&path)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let out = tmp.path().join(file_name(&path));
            std::fs::write(
                &out,
                serde_json::to_string_pretty(&spec).expect("serialises"),
            )
            .expect("write spec");
            out
        } else {
            path
        };
        let dir = checked.parent().expect("parent");
        let name = file_name(&checked);
        if let Some(code) = tool_exit("promtool", &["check", "rules", &name], dir) {
            ran += 1;
            if (code == 0) != promtool_ok {
                failures.push(format!("promtool check rules {file}: exit {code}"));
            }
        }
        let rule = format!("-rule={name}");
        if let Some(code) = tool_exit("vmalert", &["-dryRun", &rule], dir) {
            ran += 1;
            if (code == 0) != vmalert_ok {
                failures.push(format!("vmalert -dryRun -rule={file}: exit {code}"));
            }
        }
    }
    if ran == 0 {
        eprintln!("promtool and vmalert not installed: real-tool verdicts not checked");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// docs/rule-format.md carries every field's schema description, in a table row of its own, so the reference is
/// never written twice.
#[test]
fn reference_doc_matches_schema() {
    let schema = schema_value();
    let doc = read(&manifest_dir().join("docs/rule-format.md"));
    let mut missing = Vec::new();
    for (def, heading) in [("group", "### Group fields"), ("rule", "### Rule fields")] {
        let start = doc
            .find(heading)
            .unwrap_or_else(|| panic!("docs/rule-format.md has no {heading:?}"));
        let section = &doc[start..];
        let section = &section[..section[heading.len()..]
            .find("\n### ")
            .map_or(section.len(), |i| i + heading.len())];
        let props = schema["$defs"][def]["properties"]
            .as_object()
            .expect("properties");
        for (name, prop) in props {
            let description = prop["description"].as_str().unwrap_or("");
            let row = section
                .lines()
                .find(|l| l.starts_with(&format!("| `{name}` |")));
            match row {
                Some(row) if row.contains(description) => {}
                Some(_) => missing.push(format!(
                    "{heading}: `{name}`: description differs from the schema"
                )),
                None => missing.push(format!("{heading}: no row for `{name}`")),
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// A minimal rule file that uses one field, for the support columns of docs/rule-format.md.
fn file_with_field(table: &str, field: &str) -> Option<String> {
    let group_value = match field {
        "interval" => "1m",
        "query_offset" => "1m",
        "limit" => "5",
        "labels" => "{team: platform}",
        "eval_offset" => "10s",
        "eval_delay" => "10s",
        "eval_alignment" => "false",
        "concurrency" => "2",
        "type" => "prometheus",
        "params" => "{nocache: [\"1\"]}",
        "headers" | "notifier_headers" => "[\"X-Team: platform\"]",
        "debug" => "true",
        "partial_response_strategy" => "warn",
        "cron" => "\"0 8 * * MON\"",
        "cron_timezone" => "Europe/Berlin\n    cron: \"0 8 * * MON\"",
        "tenant" => "\"1:2\"",
        // `name`, `rules`: every file has them.
        _ => "",
    };
    let rule_value = match field {
        "for" | "keep_firing_for" => "1m",
        "labels" => "{severity: page}",
        "annotations" => "{summary: down}",
        "debug" => "true",
        "update_entries_limit" => "5",
        // `record`, `alert`, `expr`: every file has them.
        _ => "",
    };
    let (group_line, rule_line) = match table {
        "### Group fields" if !group_value.is_empty() => {
            (format!("    {field}: {group_value}\n"), String::new())
        }
        "### Rule fields" if !rule_value.is_empty() => {
            (String::new(), format!("        {field}: {rule_value}\n"))
        }
        _ => return None,
    };
    Some(format!(
        "groups:\n  - name: g\n{group_line}    rules:\n      - alert: A\n        expr: up == 0\n{rule_line}      - record: job:up:sum\n        expr: sum by (job) (up)\n"
    ))
}

/// The "Prometheus 2.42", "vmalert 1.79.5" and "tocsin" columns of docs/rule-format.md's field tables are what
/// promtool, vmalert and tocsin's parser do with a file using that one field.
#[test]
fn reference_doc_support_columns_match_the_tools() {
    let doc = read(&manifest_dir().join("docs/rule-format.md"));
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    let mut rows = 0;
    let mut table = "";
    for line in doc.lines() {
        if line.starts_with("### ") {
            table = line;
            continue;
        }
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        if cells.len() < 6 || !cells[0].starts_with("| `") {
            continue;
        }
        let field = cells[0].trim_start_matches("| ").trim_matches('`');
        let Some(text) = file_with_field(table, field) else {
            continue;
        };
        rows += 1;
        let (prometheus, vmalert, tocsin) = (cells[2], cells[3], cells[4]);
        let name = format!("{field}.yml");
        std::fs::write(tmp.path().join(&name), &text).expect("write");
        let checks = [
            (
                "promtool",
                prometheus.starts_with("yes"),
                tool_exit("promtool", &["check", "rules", &name], tmp.path()).map(|c| c == 0),
            ),
            (
                "vmalert",
                vmalert.starts_with("yes"),
                tool_exit(
                    "vmalert",
                    &["-dryRun", &format!("-rule={name}")],
                    tmp.path(),
                )
                .map(|c| c == 0),
            ),
            (
                "tocsin",
                !tocsin.contains("rejected"),
                Some(parser_errors(&name, &text).is_empty()),
            ),
        ];
        for (tool, documented, actual) in checks {
            if let Some(accepted) = actual
                && accepted != documented
            {
                failures.push(format!(
                    "{table}: `{field}`: the doc says {tool} {}, but it {}",
                    if documented {
                        "accepts it"
                    } else {
                        "rejects it"
                    },
                    if accepted { "accepts it" } else { "rejects it" }
                ));
            }
        }
    }
    assert!(rows >= 23, "only {rows} field rows checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
