//! Values a template computes with, typed as the Go values they stand for so that printing, truth and type
//! errors match Go's.
//!
//! Cheap to clone (shared with `Rc`); created per render and never shared across threads.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::rc::Rc;

use super::fmt::go_float_v;

/// A sample of a query result (`*template.sample` in Prometheus).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Rc<MapValue>,
    pub value: f64,
    pub timestamp: i64,
}

/// Element type of a map, which decides its Go type name and its zero value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    /// `map[string]string`
    Str,
    /// `map[string]interface {}`
    Any,
}

/// A Go map with string keys; iteration is in sorted key order, as `range` and `fmt` use.
#[derive(Debug, Clone, PartialEq)]
pub struct MapValue {
    pub elem: Elem,
    pub entries: BTreeMap<String, Value>,
}

/// A Go struct: the template data root.
#[derive(Debug, Clone, PartialEq)]
pub struct StructValue {
    pub type_name: &'static str,
    pub fields: Vec<(&'static str, Value)>,
}

/// A Go value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value at all (Go's invalid `reflect.Value`): prints `<no value>`.
    Invalid,
    /// An untyped nil interface (the `nil` literal passed as an argument).
    Nil,
    Bool(bool),
    Int(i64),
    /// `uint8`, what `index` of a string yields.
    Byte(u8),
    Float(f64),
    /// `complex128`, only from complex literals such as `1i`.
    Complex(f64, f64),
    Str(Rc<str>),
    /// `html/template.HTML` from `safeHtml`.
    Html(Rc<str>),
    Map(Rc<MapValue>),
    Struct(Rc<StructValue>),
    /// `*template.sample`; `None` is a nil pointer.
    Sample(Option<Rc<Sample>>),
    /// `template.queryResult` (`[]*sample`).
    Samples(Rc<Vec<Rc<Sample>>>),
    /// A slice of values (`[]interface {}`), e.g. the result of `slice` on one.
    List(Rc<Vec<Value>>),
    /// `time.Time` (`ptr` false) or `*time.Time` (`ptr` true), in UTC: nanoseconds since the Unix epoch.
    Time {
        nanos: i128,
        ptr: bool,
    },
    /// `time.Duration` in nanoseconds.
    Duration(i64),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    /// Go's type name, as `%T` and error messages print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Invalid | Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Byte(_) => "uint8".into(),
            Value::Float(_) => "float64".into(),
            Value::Complex(..) => "complex128".into(),
            Value::Str(_) => "string".into(),
            Value::Html(_) => "template.HTML".into(),
            Value::Map(m) => match m.elem {
                Elem::Str => "map[string]string".into(),
                Elem::Any => "map[string]interface {}".into(),
            },
            Value::Struct(s) => s.type_name.into(),
            Value::Sample(_) => "*template.sample".into(),
            Value::Samples(_) => "template.queryResult".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Time { ptr: false, .. } => "time.Time".into(),
            Value::Time { ptr: true, .. } => "*time.Time".into(),
            Value::Duration(_) => "time.Duration".into(),
        }
    }

    /// Go's truth of a value for `if`, `with`, `and`, `or`, `not`; `None` when Go cannot tell.
    pub fn truth(&self) -> Option<bool> {
        Some(match self {
            Value::Invalid | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Byte(b) => *b != 0,
            Value::Float(f) => *f != 0.0,
            Value::Complex(r, i) => *r != 0.0 || *i != 0.0,
            Value::Str(s) | Value::Html(s) => !s.is_empty(),
            Value::Map(m) => !m.entries.is_empty(),
            Value::Samples(v) => !v.is_empty(),
            Value::List(v) => !v.is_empty(),
            Value::Struct(_) => true,
            Value::Sample(p) => p.is_some(),
            Value::Time { .. } => true,
            Value::Duration(d) => *d != 0,
        })
    }

    /// The value Go's `fmt` `%v` prints.
    pub fn write_v(&self, out: &mut String, top: bool) {
        match self {
            Value::Invalid | Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Byte(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Float(f) => out.push_str(&go_float_v(*f)),
            Value::Complex(r, i) => {
                let im = go_float_v(*i);
                let sign = if im.starts_with(['-', '+']) { "" } else { "+" };
                let _ = write!(out, "({}{sign}{im}i)", go_float_v(*r));
            }
            Value::Str(s) | Value::Html(s) => out.push_str(s),
            Value::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.entries.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_v(out, false);
                }
                out.push(']');
            }
            Value::Struct(s) => {
                out.push('{');
                for (i, (_, v)) in s.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write_v(out, false);
                }
                out.push('}');
            }
            Value::Sample(None) => out.push_str("<nil>"),
            Value::Sample(Some(s)) => {
                // Go prints a pointer to a struct as &{...} at the top level only, an address elsewhere; tocsin
                // prints &{...} everywhere rather than an address (see docs/templates.md).
                let _ = top;
                out.push_str("&{");
                Value::Map(s.labels.clone()).write_v(out, false);
                out.push(' ');
                out.push_str(&go_float_v(s.value));
                out.push('}');
            }
            Value::Samples(v) => {
                out.push('[');
                for (i, s) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    Value::Sample(Some(s.clone())).write_v(out, false);
                }
                out.push(']');
            }
            Value::List(v) => {
                out.push('[');
                for (i, s) in v.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    s.write_v(out, false);
                }
                out.push(']');
            }
            Value::Time { nanos, .. } => out.push_str(&super::funcs::time::go_time_string(*nanos)),
            Value::Duration(d) => out.push_str(&super::funcs::time::go_duration_string(*d)),
        }
    }

    /// `%v` as a new string.
    pub fn to_v(&self) -> String {
        let mut s = String::new();
        self.write_v(&mut s, true);
        s
    }

    /// Whether this is a string kind (string or template.HTML).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Html(s) => Some(s),
            _ => None,
        }
    }
}

/// Builds a `map[string]string` value.
pub fn string_map(m: &BTreeMap<String, String>) -> Rc<MapValue> {
    Rc::new(MapValue {
        elem: Elem::Str,
        entries: m.iter().map(|(k, v)| (k.clone(), Value::str(v))).collect(),
    })
}
