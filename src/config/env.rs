//! `%{NAME}` placeholders in rule files, replaced by environment variables before the YAML is parsed, as vmalert
//! does. Pure: the environment is passed in as a lookup function.

/// Replaces every `%{NAME}` in `text` using `lookup`. Names are letters, digits and underscores and must not start
/// with a digit; anything else after `%{` is left as written. A placeholder whose variable is unset is an error
/// naming the variable and its line, so a missing variable never silently becomes an empty string.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, EnvError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("%{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let valid = name_len > 0
            && after.as_bytes().get(name_len) == Some(&b'}')
            && !after.as_bytes()[0].is_ascii_digit();
        if !valid {
            out.push_str("%{");
            rest = after;
            continue;
        }
        let name = &after[..name_len];
        match lookup(name) {
            Some(value) => out.push_str(&value),
            None => {
                let consumed = text.len() - rest.len() + start;
                let before = &text[..consumed];
                let line = before.matches('\n').count() + 1;
                let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                let col = before[line_start..].chars().count() + 1;
                return Err(EnvError {
                    name: name.to_string(),
                    line,
                    col,
                });
            }
        }
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A `%{NAME}` placeholder whose environment variable is not set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name:?} referenced as %{{{name}}} is not set")]
pub struct EnvError {
    pub name: String,
    pub line: usize,
    /// 1-based column of the `%{`.
    pub col: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "CLUSTER" => Some("prod-eu".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn replaces_known_variables() {
        assert_eq!(
            expand("cluster: %{CLUSTER}-x", env).as_deref(),
            Ok("cluster: prod-eu-x")
        );
        assert_eq!(expand("a%{EMPTY}b", env).as_deref(), Ok("ab"));
        assert_eq!(
            expand("no placeholders", env).as_deref(),
            Ok("no placeholders")
        );
    }

    #[test]
    fn leaves_non_placeholders_alone() {
        for text in ["100%{", "%{}", "%{1A}", "%{a-b}", "%{OPEN", "50% {CLUSTER}"] {
            assert_eq!(expand(text, env).as_deref(), Ok(text), "{text}");
        }
    }

    #[test]
    fn unset_variable_is_an_error_with_its_line() {
        let err = expand("a: 1\nb: %{MISSING}\n", env).expect_err("unset");
        assert_eq!(
            err,
            EnvError {
                name: "MISSING".to_string(),
                line: 2,
                col: 4
            }
        );
    }
}
