//! Go-style command-line flags, as vmalert and promtool users type them: `-name=value`, `--name=value`,
//! `-name value`, booleans as `-name` or `-name=false`, repeatable list flags (also comma-separated where the
//! flag allows it). An unknown flag is an error naming the closest known one. Holds no business logic: it turns
//! arguments into raw values for the subcommands to resolve.

use crate::config::names::closest;
use std::collections::BTreeMap;

/// How a flag takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// `-flag` means true; `-flag=false` turns it off. Never consumes the next argument.
    Bool,
    /// One value; given twice, the last wins.
    Value,
    /// Repeatable; each occurrence may also hold comma-separated values.
    List,
    /// A list of booleans, one per position of another list flag: `-flag` appends true, `-flag=false,true` both.
    BoolList,
}

/// One flag a command accepts.
#[derive(Debug, Clone, Copy)]
pub struct FlagSpec {
    pub name: &'static str,
    pub kind: FlagKind,
    pub help: &'static str,
    /// The value is a secret: it is masked wherever flags are shown (`/flags`, logs, errors).
    pub secret: bool,
}

impl FlagSpec {
    pub const fn value(name: &'static str, help: &'static str) -> Self {
        FlagSpec {
            name,
            kind: FlagKind::Value,
            help,
            secret: false,
        }
    }

    pub const fn boolean(name: &'static str, help: &'static str) -> Self {
        FlagSpec {
            name,
            kind: FlagKind::Bool,
            help,
            secret: false,
        }
    }

    pub const fn list(name: &'static str, help: &'static str) -> Self {
        FlagSpec {
            name,
            kind: FlagKind::List,
            help,
            secret: false,
        }
    }

    pub const fn bool_list(name: &'static str, help: &'static str) -> Self {
        FlagSpec {
            name,
            kind: FlagKind::BoolList,
            help,
            secret: false,
        }
    }

    /// The same flag, marked secret.
    pub const fn secret(self) -> Self {
        FlagSpec {
            secret: true,
            ..self
        }
    }
}

/// What the command line said: flag values by name (in order of appearance) and positional arguments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFlags {
    pub values: BTreeMap<&'static str, Vec<String>>,
    pub positionals: Vec<String>,
}

impl ParsedFlags {
    /// The last value of a flag.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value of a list flag.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }

    /// A boolean flag's value; `default` when absent. Values are read as Go's `strconv.ParseBool` reads them.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.value(name) {
            None => Ok(default),
            Some(v) => {
                parse_bool(v).ok_or_else(|| format!("invalid boolean value {v:?} for flag -{name}"))
            }
        }
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// A command line that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    #[error("unknown flag -{name}{hint}")]
    Unknown { name: String, hint: String },
    #[error("flag -{name} needs a value")]
    MissingValue { name: String },
    #[error("invalid boolean value {value:?} for flag -{name}")]
    BadBool { name: String, value: String },
}

/// Parses `args` (without the program or subcommand name). Flags and positionals may be interleaved; `--` ends
/// flags; a lone `-` is a positional (standard input).
pub fn parse(args: &[String], specs: &[FlagSpec]) -> Result<ParsedFlags, FlagError> {
    let mut out = ParsedFlags::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            out.positionals.extend(args[i..].iter().cloned());
            break;
        }
        let Some(body) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|b| !b.is_empty())
        else {
            out.positionals.push(arg.clone());
            continue;
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
            let hint = closest(name, &names)
                .map(|c| format!("; did you mean -{c}?"))
                .unwrap_or_default();
            return Err(FlagError::Unknown {
                name: name.to_string(),
                hint,
            });
        };
        let value = match (spec.kind, inline) {
            (FlagKind::Bool | FlagKind::BoolList, None) => "true".to_string(),
            (FlagKind::BoolList, Some(v)) => {
                if let Some(bad) = split_list(&v).into_iter().find(|b| parse_bool(b).is_none()) {
                    return Err(FlagError::BadBool {
                        name: name.to_string(),
                        value: bad,
                    });
                }
                v
            }
            (FlagKind::Bool, Some(v)) => {
                if parse_bool(&v).is_none() {
                    return Err(FlagError::BadBool {
                        name: name.to_string(),
                        value: v,
                    });
                }
                v
            }
            (_, Some(v)) => v,
            (_, None) => {
                let Some(next) = args.get(i) else {
                    return Err(FlagError::MissingValue {
                        name: name.to_string(),
                    });
                };
                i += 1;
                next.clone()
            }
        };
        let entry = out.values.entry(spec.name).or_default();
        match spec.kind {
            FlagKind::List | FlagKind::BoolList => entry.extend(split_list(&value)),
            _ => entry.push(value),
        }
    }
    Ok(out)
}

/// Splits a list flag's value on commas that are not inside quotes, brackets or braces, as vmalert's array flags do.
fn split_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in value.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{' | '(') => depth += 1,
            (None, ']' | '}' | ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out
}

/// Help text listing the given flags.
pub fn usage(specs: &[FlagSpec]) -> String {
    let mut out = String::new();
    for s in specs {
        let arg = match s.kind {
            FlagKind::Bool => String::new(),
            FlagKind::Value => "=VALUE".to_string(),
            FlagKind::List => "=VALUE (repeatable)".to_string(),
            FlagKind::BoolList => "[=BOOL,...] (repeatable)".to_string(),
        };
        out.push_str(&format!("  -{}{}\n      {}\n", s.name, arg, s.help));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[FlagSpec] = &[
        FlagSpec::list("rule", ""),
        FlagSpec::boolean("dryRun", ""),
        FlagSpec::value("lint", ""),
        FlagSpec::value("evaluationInterval", ""),
    ];

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn go_flag_forms() {
        let p = parse(
            &args(&[
                "-rule=a.yml",
                "--rule",
                "b.yml,c.yml",
                "-dryRun",
                "--lint=none",
                "x",
                "-evaluationInterval",
                "30s",
            ]),
            SPECS,
        )
        .expect("parse");
        assert_eq!(p.list("rule"), vec!["a.yml", "b.yml", "c.yml"]);
        assert_eq!(p.bool("dryRun", false), Ok(true));
        assert_eq!(p.value("lint"), Some("none"));
        assert_eq!(p.value("evaluationInterval"), Some("30s"));
        assert_eq!(p.positionals, vec!["x"]);
    }

    #[test]
    fn booleans_never_take_the_next_argument() {
        let p = parse(&args(&["-dryRun", "false.yml", "-dryRun=false"]), SPECS).expect("parse");
        assert_eq!(p.positionals, vec!["false.yml"]);
        assert_eq!(p.bool("dryRun", true), Ok(false));
    }

    #[test]
    fn errors_name_the_flag() {
        assert_eq!(
            parse(&args(&["-rulle=x"]), SPECS),
            Err(FlagError::Unknown {
                name: "rulle".into(),
                hint: "; did you mean -rule?".into()
            })
        );
        assert_eq!(
            parse(&args(&["-lint"]), SPECS),
            Err(FlagError::MissingValue {
                name: "lint".into()
            })
        );
        assert!(matches!(
            parse(&args(&["-dryRun=maybe"]), SPECS),
            Err(FlagError::BadBool { .. })
        ));
    }

    #[test]
    fn stdin_dash_and_double_dash() {
        let p = parse(&args(&["-", "--", "-rule=x"]), SPECS).expect("parse");
        assert_eq!(p.positionals, vec!["-", "-rule=x"]);
    }

    #[test]
    fn list_split_respects_brackets() {
        assert_eq!(split_list("a,b"), vec!["a", "b"]);
        assert_eq!(split_list("x{a,b}.yml,c"), vec!["x{a,b}.yml", "c"]);
    }
}
