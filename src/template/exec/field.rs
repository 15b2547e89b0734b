//! Field, map-key and method access (`.Labels.job`, `$x.Value`, `$activeAt.Unix`) and number constants, as Go's
//! `evalField` and `idealConstant` do them. Part of the executor; no output is written here.

use super::super::TemplateDialect;
use super::super::node::{Arg, Number};
use super::super::value::{Elem, Value};
use super::call::parse_complex;
use super::{At, R, State};

impl<'a> State<'a> {
    pub(super) fn ideal_constant(&self, num: &Number) -> R<Value> {
        if num.is_complex {
            return match parse_complex(&num.text) {
                Some((r, i)) => Ok(Value::Complex(r, i)),
                None => self.fail(format!(
                    "illegal number syntax: {}",
                    super::super::fmt::go_quote(&num.text)
                )),
            };
        }
        let looks_float = num.float.is_some()
            && !num.text.starts_with("0x")
            && !num.text.starts_with("0X")
            && !num.text.starts_with('\'')
            && num.text.contains(['.', 'e', 'E', 'p', 'P']);
        if looks_float {
            return Ok(Value::Float(num.float.unwrap_or(0.0)));
        }
        if let Some(i) = num.int {
            return Ok(Value::Int(i));
        }
        if num.uint.is_some() {
            return self.fail(format!("{} overflows int", num.text));
        }
        Ok(Value::Invalid)
    }

    pub(super) fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut receiver: Value,
        node: &'a Arg,
        idents: &[String],
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let n = idents.len();
        let mut boxed = false;
        for ident in &idents[..n - 1] {
            let from_any = matches!(&receiver, Value::Map(m) if m.elem == Elem::Any);
            receiver = self.eval_field(dot, ident, node, &[], None, receiver, boxed)?;
            boxed = from_any;
        }
        self.eval_field(dot, &idents[n - 1], node, args, final_, receiver, boxed)
    }

    #[allow(clippy::too_many_arguments)] // mirrors Go's evalField, whose arguments all matter
    pub(super) fn eval_field(
        &mut self,
        dot: &Value,
        name: &str,
        node: &'a Arg,
        args: &'a [Arg],
        final_: Option<Value>,
        receiver: Value,
        boxed: bool,
    ) -> R<Value> {
        let has_args = args.len() > 1 || final_.is_some();
        // A value read from a map[string]interface{} still has the static type interface {} here.
        if boxed && matches!(receiver, Value::Invalid | Value::Nil) {
            return self.fail(format!("nil pointer evaluating interface {{}}.{name}"));
        }
        if let Value::Invalid = receiver {
            return Ok(Value::Invalid);
        }
        if let Some(v) = super::super::funcs::time::method(&receiver, name) {
            self.at = At::Arg(node);
            let call_args = self.collect_method_args(dot, args, final_)?;
            return v(&call_args).or_else(|e| self.fail(e));
        }
        match &receiver {
            Value::Struct(st) => {
                if let Some((_, v)) = st.fields.iter().find(|(f, _)| *f == name) {
                    if has_args {
                        return self.fail(format!(
                            "{name} has arguments but cannot be invoked as function"
                        ));
                    }
                    return Ok(v.clone());
                }
            }
            Value::Map(m) => {
                if has_args {
                    return self.fail(format!("{name} is not a method but has arguments"));
                }
                // Prometheus runs with missingkey=zero; vmalert 1.79.5 with Go's default, which yields no value.
                return Ok(match m.entries.get(name) {
                    Some(v) => v.clone(),
                    None => match (m.elem, self.dialect) {
                        (Elem::Str, TemplateDialect::Prometheus) => Value::str(""),
                        _ => Value::Invalid,
                    },
                });
            }
            Value::Sample(s) => {
                let field = match (name, s) {
                    ("Labels", Some(s)) => Some(Value::Map(s.labels.clone())),
                    ("Value", Some(s)) => Some(Value::Float(s.value)),
                    ("Timestamp", Some(s)) if self.dialect == TemplateDialect::Vmalert => {
                        Some(Value::Int(s.timestamp))
                    }
                    ("Labels" | "Value", None) => {
                        return self
                            .fail(format!("nil pointer evaluating *template.sample.{name}"));
                    }
                    _ => None,
                };
                if let Some(v) = field {
                    if has_args {
                        return self.fail(format!(
                            "{name} has arguments but cannot be invoked as function"
                        ));
                    }
                    return Ok(v);
                }
            }
            Value::Nil => {
                return self.fail(format!("nil pointer evaluating interface {{}}.{name}"));
            }
            _ => {}
        }
        let typ = if boxed {
            "interface {}".to_string()
        } else {
            receiver.type_name()
        };
        self.fail(format!("can't evaluate field {name} in type {typ}"))
    }

    pub(super) fn collect_method_args(
        &mut self,
        dot: &Value,
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> R<Vec<Value>> {
        let mut out = Vec::new();
        for a in args.iter().skip(1) {
            out.push(self.eval_arg_value(dot, a)?);
        }
        if let Some(f) = final_ {
            out.push(f);
        }
        Ok(out)
    }
}
