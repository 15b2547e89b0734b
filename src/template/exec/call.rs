//! Function calls: arity and argument type checks with Go's wording, `and`/`or` short-circuit, builtin and
//! library dispatch. Part of the executor; the functions themselves live in `builtins.rs` and `funcs/`.

use std::rc::Rc;

use super::super::builtins;
use super::super::fmt::sprint;
use super::super::funcs::{self, Param};
use super::super::node::Arg;
use super::super::value::Value;
use super::{At, R, State};

impl<'a> State<'a> {
    pub(super) fn eval_function(
        &mut self,
        dot: &Value,
        node: &'a Arg,
        call_node: At<'a>,
        name: &str,
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        self.at = At::Arg(node);
        let sig = if let Some(sig) = builtins::signature(name) {
            sig
        } else if let Some(sig) = funcs::signature(self.dialect, name) {
            sig
        } else {
            return self.fail(format!(
                "{} is not a defined function",
                super::super::fmt::go_quote(name)
            ));
        };
        let rest = &args[1..];
        let mut num_in = rest.len();
        if final_.is_some() {
            num_in += 1;
        }
        let num_fixed = sig.fixed.len();
        if sig.variadic.is_some() {
            if num_in < num_fixed {
                return self.fail(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {}",
                    rest.len()
                ));
            }
        } else if num_in != num_fixed {
            return self.fail(format!(
                "wrong number of args for {name}: want {num_fixed} got {num_in}"
            ));
        }
        if name == "and" || name == "or" {
            let want = name == "or";
            let mut v = Value::Invalid;
            for a in rest {
                v = self.eval_arg(dot, Param::Value, a)?;
                if v.truth().unwrap_or(false) == want {
                    return Ok(v);
                }
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(v);
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in rest.iter().enumerate() {
            let p = sig
                .fixed
                .get(i)
                .copied()
                .or(sig.variadic)
                .unwrap_or(Param::Any);
            argv.push(self.eval_arg(dot, p, a)?);
        }
        if let Some(f) = final_ {
            let p = if num_in - 1 < num_fixed {
                sig.fixed[num_in - 1]
            } else {
                sig.variadic.unwrap_or(Param::Any)
            };
            let v = self.validate_type(f, p)?;
            argv.push(v);
        }
        let call = funcs::Call {
            ctx: self.ctx,
            dialect: self.dialect,
        };
        let result = match builtins::call(name, &argv) {
            Some(r) => r,
            None => funcs::call(&call, name, argv),
        };
        match result {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at = call_node;
                self.fail(format!("error calling {name}: {e}"))
            }
        }
    }

    pub(super) fn eval_arg(&mut self, dot: &Value, p: Param, arg: &'a Arg) -> R<Value> {
        self.at = At::Arg(arg);
        match arg {
            Arg::Dot { .. } => return self.validate_type(dot.clone(), p),
            Arg::Nil { .. } => {
                return match p {
                    Param::Any => Ok(Value::Nil),
                    Param::Value => Ok(Value::Invalid),
                    Param::Sample => Ok(Value::Sample(None)),
                    Param::Samples => Ok(Value::Samples(Rc::new(Vec::new()))),
                    _ => self.fail(format!("cannot assign nil to {}", p.go_type())),
                };
            }
            Arg::Field { .. }
            | Arg::Variable { .. }
            | Arg::Pipe(_)
            | Arg::Identifier { .. }
            | Arg::Chain { .. } => {
                let v = self.eval_arg_value(dot, arg)?;
                self.at = At::Arg(arg);
                return self.validate_type(v, p);
            }
            _ => {}
        }
        match p {
            Param::Str => match arg {
                Arg::String { val, .. } => Ok(Value::str(val)),
                _ => self.fail(format!("expected string; found {arg}")),
            },
            Param::Any | Param::Value => self.eval_arg_value(dot, arg),
            Param::Sample | Param::Samples => self.fail(format!(
                "can't handle {arg} for arg of type {}",
                p.go_type()
            )),
        }
    }

    pub(super) fn validate_type(&self, v: Value, p: Param) -> R<Value> {
        match (p, &v) {
            (Param::Value, _) => Ok(v),
            (Param::Any, Value::Invalid) => Ok(Value::Nil),
            (Param::Any, _) => Ok(v),
            (Param::Sample, Value::Invalid | Value::Nil) => Ok(Value::Sample(None)),
            (Param::Samples, Value::Invalid | Value::Nil) => {
                Ok(Value::Samples(Rc::new(Vec::new())))
            }
            (_, Value::Invalid) => self.fail(format!("invalid value; expected {}", p.go_type())),
            (Param::Str, Value::Str(_))
            | (Param::Sample, Value::Sample(_))
            | (Param::Samples, Value::Samples(_)) => Ok(v),
            _ => self.fail(format!(
                "wrong type for value; expected {}; got {}",
                p.go_type(),
                v.type_name()
            )),
        }
    }
}

/// Parses a complex literal such as `1i`, `2.5i` or `1+2i`.
pub(super) fn parse_complex(text: &str) -> Option<(f64, f64)> {
    let body = text.strip_suffix('i')?;
    let b = body.as_bytes();
    let split = (1..b.len())
        .rev()
        .find(|&i| matches!(b[i], b'+' | b'-') && !matches!(b[i - 1], b'e' | b'E' | b'p' | b'P'));
    let parse = |s: &str| super::super::strconv::parse_float(s).ok();
    match split {
        Some(i) => Some((parse(&body[..i])?, parse(&body[i..])?)),
        None => Some((0.0, parse(body)?)),
    }
}

/// Go's `fmt.Sprint` of evaluated arguments, with the single-string fast path `html`, `js` and `urlquery` use.
pub fn eval_args(args: &[Value]) -> String {
    if let [Value::Str(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Invalid => Value::str("<no value>"),
            other => other.clone(),
        })
        .collect();
    sprint(&printable)
}
