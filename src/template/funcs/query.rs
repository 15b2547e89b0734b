//! Query functions: `query` (an instant query through the caller's querier at the evaluation time), `first`,
//! `label`, `value`, `strvalue`, `sortByLabel` (prometheus/template/template.go).

use std::rc::Rc;

use super::super::TemplateDialect;
use super::super::value::{Sample, Value, string_map};
use super::Call;

const NIL_DEREF: &str = "runtime error: invalid memory address or nil pointer dereference";

pub fn query(c: &Call<'_>, expr: &str) -> Result<Value, String> {
    let Some(q) = c.ctx.querier else {
        return Err("no querier configured for the query function".into());
    };
    let samples = q.query(expr, c.ctx.eval_time)?;
    Ok(Value::Samples(Rc::new(
        samples
            .into_iter()
            .map(|s| {
                Rc::new(Sample {
                    labels: string_map(&s.labels),
                    value: s.value,
                    timestamp: s.timestamp,
                })
            })
            .collect(),
    )))
}

pub fn first(v: &Value) -> Result<Value, String> {
    match v {
        Value::Samples(list) if !list.is_empty() => Ok(Value::Sample(Some(list[0].clone()))),
        _ => Err("first() called on vector with no elements".into()),
    }
}

fn sample(v: &Value) -> Result<&Rc<Sample>, String> {
    match v {
        Value::Sample(Some(s)) => Ok(s),
        _ => Err(NIL_DEREF.into()),
    }
}

pub fn label(name: &str, v: &Value) -> Result<Value, String> {
    let s = sample(v)?;
    Ok(s.labels
        .entries
        .get(name)
        .cloned()
        .unwrap_or_else(|| Value::str("")))
}

pub fn value(v: &Value) -> Result<Value, String> {
    Ok(Value::Float(sample(v)?.value))
}

/// Prometheus reads the `__value__` label; vmalert returns the metric name.
pub fn strvalue(v: &Value, dialect: TemplateDialect) -> Result<Value, String> {
    match dialect {
        TemplateDialect::Prometheus => label("__value__", v),
        TemplateDialect::Vmalert => label("__name__", v),
    }
}

pub fn sort_by_label(name: &str, v: &Value) -> Value {
    let Value::Samples(list) = v else {
        return v.clone();
    };
    let mut sorted: Vec<Rc<Sample>> = list.iter().cloned().collect();
    let key = |s: &Rc<Sample>| {
        s.labels
            .entries
            .get(name)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    sorted.sort_by_key(key);
    Value::Samples(Rc::new(sorted))
}
