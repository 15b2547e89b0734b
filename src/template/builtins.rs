//! Go `text/template` builtin functions: `and or not len index slice print printf println html js urlquery
//! eq ne lt le gt ge call`.
//!
//! Each follows Go 1.19's semantics and error wording. `and` and `or` short-circuit in `exec.rs`, which also
//! does the argument checking; this file only computes results.

use std::cmp::Ordering;
use std::rc::Rc;

use super::exec::eval_args;
use super::fmt::{sprint, sprintf, sprintln};
use super::funcs::{Param, Sig};
use super::value::Value;

/// Names of Go's builtin template functions.
pub const NAMES: &[&str] = &[
    "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or",
    "print", "printf", "println", "slice", "urlquery",
];

pub fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name)
}

/// The Go signature of a builtin, for argument checking.
pub fn signature(name: &str) -> Option<Sig> {
    use Param::{Any, Str, Value as V};
    Some(match name {
        "and" | "or" | "index" | "slice" | "eq" | "call" => Sig {
            fixed: &[V],
            variadic: Some(V),
        },
        "not" | "len" => Sig {
            fixed: &[V],
            variadic: None,
        },
        "ne" | "lt" | "le" | "gt" | "ge" => Sig {
            fixed: &[V, V],
            variadic: None,
        },
        "print" | "println" | "html" | "js" | "urlquery" => Sig {
            fixed: &[],
            variadic: Some(Any),
        },
        "printf" => Sig {
            fixed: &[Str],
            variadic: Some(Any),
        },
        _ => return None,
    })
}

/// Calls builtin `name`; `None` when `name` is not a builtin.
pub fn call(name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    Some(match name {
        "not" => Ok(Value::Bool(!args[0].truth().unwrap_or(false))),
        "len" => length(&args[0]),
        "index" => index(&args[0], &args[1..]),
        "slice" => slice(&args[0], &args[1..]),
        "print" => Ok(Value::str(&sprint(args))),
        "println" => Ok(Value::str(&sprintln(args))),
        "printf" => Ok(Value::str(&sprintf(
            args[0].as_str().unwrap_or(""),
            &args[1..],
        ))),
        "html" => Ok(Value::str(&html_escape(&eval_args(args)))),
        "js" => Ok(Value::str(&js_escape(&eval_args(args)))),
        "urlquery" => Ok(Value::str(&super::funcs::urls::query_escape(&eval_args(
            args,
        )))),
        "eq" => eq(&args[0], &args[1..]).map(Value::Bool),
        "ne" => eq(&args[0], &args[1..2]).map(|b| Value::Bool(!b)),
        "lt" => lt(&args[0], &args[1]).map(Value::Bool),
        "le" => le(&args[0], &args[1]).map(Value::Bool),
        "gt" => le(&args[0], &args[1]).map(|b| Value::Bool(!b)),
        "ge" => lt(&args[0], &args[1]).map(|b| Value::Bool(!b)),
        "call" => Err(format!("non-function of type {}", args[0].type_name())),
        _ => return None,
    })
}

fn length(v: &Value) -> Result<Value, String> {
    let n = match v {
        Value::Str(s) | Value::Html(s) => s.len(),
        Value::Map(m) => m.entries.len(),
        Value::Samples(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Sample(None) => return Err("len of nil pointer".into()),
        Value::Nil | Value::Invalid => {
            return Err("reflect: call of reflect.Value.Type on zero Value".into());
        }
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Value::Int(n as i64))
}

fn index_arg(v: &Value, cap: usize) -> Result<usize, String> {
    let x = match v {
        Value::Int(i) | Value::Duration(i) => *i,
        Value::Byte(b) => i64::from(*b),
        Value::Nil | Value::Invalid => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> Result<Value, String> {
    let mut item = item.clone();
    if matches!(item, Value::Nil | Value::Invalid) {
        return Err("index of untyped nil".into());
    }
    for ix in indexes {
        item = match &item {
            Value::Str(s) | Value::Html(s) => {
                let x = index_arg(ix, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Byte(*b),
                    None => return Err("reflect: string index out of range".into()),
                }
            }
            Value::Samples(list) => {
                let x = index_arg(ix, list.len())?;
                match list.get(x) {
                    Some(s) => Value::Sample(Some(s.clone())),
                    None => return Err("reflect: slice index out of range".into()),
                }
            }
            Value::List(list) => {
                let x = index_arg(ix, list.len())?;
                match list.get(x) {
                    Some(v) => v.clone(),
                    None => return Err("reflect: slice index out of range".into()),
                }
            }
            Value::Map(m) => {
                let key = match ix {
                    Value::Str(k) => k.clone(),
                    Value::Nil | Value::Invalid => {
                        return Err("value is nil; should be of type string".into());
                    }
                    other => {
                        return Err(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        ));
                    }
                };
                match m.entries.get(&*key) {
                    Some(v) => v.clone(),
                    None => match m.elem {
                        super::value::Elem::Str => Value::str(""),
                        super::value::Elem::Any => Value::Invalid,
                    },
                }
            }
            Value::Sample(None) => return Err("index of nil pointer".into()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(item: &Value, indexes: &[Value]) -> Result<Value, String> {
    if matches!(item, Value::Nil | Value::Invalid) {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Value::Str(s) | Value::Html(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::Samples(l) => l.len(),
        Value::List(l) => l.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, ix) in indexes.iter().enumerate() {
        idx[i] = index_arg(ix, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match item {
        Value::Str(s) => match s.get(idx[0]..idx[1]) {
            Some(sub) => Value::str(sub),
            None => Value::str(&String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]])),
        },
        Value::Html(s) => Value::Html(Rc::from(
            String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).as_ref(),
        )),
        Value::Samples(l) => Value::Samples(Rc::new(l[idx[0]..idx[1]].to_vec())),
        Value::List(l) => Value::List(Rc::new(l[idx[0]..idx[1]].to_vec())),
        _ => Value::Invalid,
    })
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Complex,
    String,
    Other,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Invalid | Value::Nil => Kind::Invalid,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Duration(_) => Kind::Int,
        Value::Byte(_) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::Complex(..) => Kind::Complex,
        Value::Str(_) | Value::Html(_) => Kind::String,
        _ => Kind::Other,
    }
}

fn int_of(v: &Value) -> i128 {
    match v {
        Value::Int(i) | Value::Duration(i) => i128::from(*i),
        Value::Byte(b) => i128::from(*b),
        _ => 0,
    }
}

const BAD_TYPE: &str = "invalid type for comparison";
const BAD_CMP: &str = "incompatible types for comparison";

fn eq(a: &Value, others: &[Value]) -> Result<bool, String> {
    if others.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = kind(a);
    for b in others {
        let k2 = kind(b);
        let truth = if k1 != k2 {
            match (k1, k2) {
                (Kind::Int, Kind::Uint) | (Kind::Uint, Kind::Int) => int_of(a) == int_of(b),
                _ if k1 != Kind::Invalid && k2 != Kind::Invalid => return Err(BAD_CMP.into()),
                _ => false,
            }
        } else {
            match k1 {
                Kind::Bool => a == b,
                Kind::Int | Kind::Uint => int_of(a) == int_of(b),
                Kind::Float => matches!((a, b), (Value::Float(x), Value::Float(y)) if x == y),
                Kind::Complex => a == b,
                Kind::String => a.as_str() == b.as_str(),
                Kind::Invalid => true,
                Kind::Other => {
                    if a.type_name() != b.type_name() {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            a.to_v(),
                            a.type_name(),
                            b.type_name(),
                            b.to_v()
                        ));
                    }
                    match (a, b) {
                        (Value::Sample(x), Value::Sample(y)) => match (x, y) {
                            (Some(x), Some(y)) => Rc::ptr_eq(x, y),
                            (None, None) => true,
                            _ => false,
                        },
                        (
                            Value::Time {
                                nanos: x,
                                ptr: false,
                            },
                            Value::Time {
                                nanos: y,
                                ptr: false,
                            },
                        ) => x == y,
                        _ => {
                            return Err(format!(
                                "non-comparable type {}: {}",
                                b.to_v(),
                                b.type_name()
                            ));
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (kind(a), kind(b));
    if matches!(k1, Kind::Invalid | Kind::Other) || matches!(k2, Kind::Invalid | Kind::Other) {
        return Err(BAD_TYPE.into());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (Kind::Int, Kind::Uint) | (Kind::Uint, Kind::Int) => Ok(int_of(a) < int_of(b)),
            _ => Err(BAD_CMP.into()),
        };
    }
    Ok(match k1 {
        Kind::Bool | Kind::Complex => return Err(BAD_TYPE.into()),
        Kind::Int | Kind::Uint => int_of(a) < int_of(b),
        Kind::Float => match (a, b) {
            (Value::Float(x), Value::Float(y)) => x.partial_cmp(y) == Some(Ordering::Less),
            _ => false,
        },
        Kind::String => a.as_str() < b.as_str(),
        _ => false,
    })
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 || (!c.is_ascii() && !super::fmt::is_print(c)) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}
