//! String functions: `title`, `toUpper`, `toLower`, `match`, `reReplaceAll`, `args`, and vmalert's
//! `jsonEscape`. Regexps use the `regex` crate, whose syntax matches Go's RE2 for what rules use.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::super::value::{Elem, MapValue, Value};

fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

fn upper_char(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn lower_char(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `strings.Title`.
pub fn title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) { upper_char(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// Go's `strings.ToUpper` (rune by rune).
pub fn to_upper(s: &str) -> String {
    s.chars().map(upper_char).collect()
}

/// Go's `strings.ToLower` (rune by rune).
pub fn to_lower(s: &str) -> String {
    s.chars().map(lower_char).collect()
}

/// Compiles a Go (RE2) regexp; the common syntax errors are worded as Go's `regexp/syntax` words them.
fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(pattern).map_err(|e| {
        let msg = e.to_string();
        let code = if msg.contains("unclosed group") {
            "missing closing )"
        } else if msg.contains("unopened group") {
            "unexpected )"
        } else if msg.contains("unclosed character class") {
            "missing closing ]"
        } else if msg.contains("repetition operator missing expression") {
            "missing argument to repetition operator"
        } else {
            let last = msg.lines().last().unwrap_or("invalid syntax");
            return format!(
                "error parsing regexp: {}",
                last.trim_start_matches("error: ")
            );
        };
        format!("error parsing regexp: {code}: `{pattern}`")
    })
}

/// Go's `regexp.MatchString`.
pub fn match_re(pattern: &str, s: &str) -> Result<bool, String> {
    Ok(compile(pattern)?.is_match(s))
}

/// Prometheus's `reReplaceAll`: Go's `ReplaceAllString` with `$1` / `${name}` expansion.
pub fn re_replace_all(pattern: &str, repl: &str, text: &str) -> Result<String, String> {
    let re =
        compile(pattern).map_err(|e| format!("regexp: Compile({}): {e}", go_backquote(pattern)))?;
    Ok(re.replace_all(text, repl).into_owned())
}

fn go_backquote(s: &str) -> String {
    if s.contains('`') {
        super::super::fmt::go_quote(s)
    } else {
        format!("`{s}`")
    }
}

/// `args`: a map `arg0`, `arg1`, … of the arguments.
pub fn args(args: &[Value]) -> Value {
    let entries: BTreeMap<String, Value> = args
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("arg{i}"), a.clone()))
        .collect();
    Value::Map(Rc::new(MapValue {
        elem: Elem::Any,
        entries,
    }))
}

/// vmalert's string escaping (its quicktemplate JSON escaper): `"`, `\\` and control characters escaped as
/// in JSON, plus `<` and `'` as `\u003c` and `\u0027`.
fn qt_json_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' => out.push_str("\\u003c"),
            '\'' => out.push_str("\\u0027"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// vmalert's `jsonEscape`: the string as a quoted JSON string.
pub fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    qt_json_escape(&mut out, s);
    out.push('"');
    out
}

/// vmalert's `quotesEscape`: the inside of `jsonEscape`'s quotes.
pub fn quotes_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    qt_json_escape(&mut out, s);
    out
}

/// vmalert's `htmlEscape` (quicktemplate's HTML escaper).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        assert_eq!(title("hello world-foo_bar"), "Hello World-Foo_bar");
        assert_eq!(re_replace_all("(a+)", "<$1>", "caaat").unwrap(), "c<aaa>t");
        assert_eq!(json_escape("a\"<b>'\n"), "\"a\\\"\\u003cb>\\u0027\\n\"");
        assert_eq!(html_escape("<\"'&>"), "&lt;&quot;&#39;&amp;&gt;");
    }
}
