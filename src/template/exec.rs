//! Executes parsed templates against a data value, as Go 1.19's `text/template` executes them with
//! `missingkey=zero`.
//!
//! Walks the tree, evaluates pipelines, resolves fields and map keys, calls builtins and library functions with
//! Go's argument checking, and prints values with Go's `fmt`. No IO; queries go through the render context.

use super::TemplateDialect;

mod call;
mod field;

use super::data::RenderContext;
use super::error::TemplateError;
use super::node::{Arg, Branch, Command, ListNode, Node, Pipe};
use super::parse::{Source, TreeSet};
use super::value::Value;
pub use call::eval_args;

/// Go allows 100000 nested template calls; tocsin stops earlier to stay within the native stack.
pub const MAX_DEPTH: usize = 100;

/// Nodes one render may visit. Go has no such budget; it keeps a template that calls templates exponentially
/// from hanging an evaluator.
pub const MAX_STEPS: u64 = 1_000_000;

/// Bytes one render may produce (Go has no limit).
pub const MAX_OUTPUT: usize = 16 << 20;

/// What `break` and `continue` do to the walk.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// The node execution is at, for the error context.
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Node(&'a Node),
    Arg(&'a Arg),
    Pipe(&'a Pipe),
    Command(&'a Command),
}

/// An error message raised at the current node (converted to a `TemplateError` with position on the way out).
struct Fail(String);

type R<T> = Result<T, Fail>;

struct State<'a> {
    trees: &'a TreeSet,
    dialect: TemplateDialect,
    ctx: &'a RenderContext<'a>,
    out: String,
    vars: Vec<(String, Value)>,
    tmpl: String,
    source: &'a Source,
    at: At<'a>,
    depth: usize,
    steps: u64,
    error: Option<TemplateError>,
}

/// Executes template `name` from `trees` with `root` as `.`.
pub fn execute(
    name: &str,
    trees: &TreeSet,
    dialect: TemplateDialect,
    root: Value,
    ctx: &RenderContext<'_>,
) -> Result<String, TemplateError> {
    let Some(tree) = trees.get(name) else {
        return Err(TemplateError::ExecNoNode {
            template: name.into(),
            message: format!(
                "{} is an incomplete or empty template",
                super::fmt::go_quote(name)
            ),
        });
    };
    let mut s = State {
        trees,
        dialect,
        ctx,
        out: String::new(),
        vars: vec![("$".into(), root.clone())],
        tmpl: name.to_string(),
        source: &tree.source,
        at: At::None,
        depth: 0,
        steps: 0,
        error: None,
    };
    match s.walk_list(&root, &tree.root) {
        Ok(_) => Ok(s.out),
        Err(Fail(msg)) => Err(s.error.take().unwrap_or_else(|| s.make_error(msg))),
    }
}

impl<'a> State<'a> {
    fn make_error(&self, message: String) -> TemplateError {
        let (pos, context) = match self.at {
            At::None => {
                return TemplateError::ExecNoNode {
                    template: self.tmpl.clone(),
                    message,
                };
            }
            At::Node(n) => (n.pos(), n.to_string()),
            At::Arg(a) => (a.pos(), a.to_string()),
            At::Pipe(p) => (p.pos, p.to_string()),
            At::Command(c) => (c.pos, c.to_string()),
        };
        let text = &self.source.text[..pos.min(self.source.text.len())];
        let line = 1 + text.matches('\n').count();
        let col = match text.rfind('\n') {
            Some(i) => pos - (i + 1),
            None => pos,
        };
        TemplateError::Exec {
            location: format!("{}:{line}:{col}", self.source.name),
            template: self.tmpl.clone(),
            context,
            message,
        }
    }

    fn fail<T>(&self, msg: impl Into<String>) -> R<T> {
        Err(Fail(msg.into()))
    }

    fn walk_list(&mut self, dot: &Value, list: &'a ListNode) -> R<Flow> {
        for n in &list.nodes {
            match self.walk(dot, n)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &'a Node) -> R<Flow> {
        self.at = At::Node(node);
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return self.fail(format!(
                "exceeded the execution budget of {MAX_STEPS} steps"
            ));
        }
        if self.out.len() > MAX_OUTPUT {
            return self.fail(format!("output exceeds {MAX_OUTPUT} bytes"));
        }
        match node {
            Node::Text { text, .. } => self.out.push_str(text),
            Node::Action { pipe, .. } => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.at = At::Node(node);
                    self.print_value(&v);
                }
            }
            Node::If(b) => return self.walk_if_or_with(dot, b, false),
            Node::With(b) => return self.walk_if_or_with(dot, b, true),
            Node::Range(b) => return self.walk_range(dot, node, b),
            Node::Template { name, pipe, .. } => {
                self.walk_template(dot, node, name, pipe.as_ref())?
            }
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn print_value(&mut self, v: &Value) {
        match v {
            Value::Invalid | Value::Sample(None) => self.out.push_str("<no value>"),
            Value::Sample(Some(s)) => {
                // printValue dereferences pointers before printing.
                let text = Value::Sample(Some(s.clone())).to_v();
                self.out.push_str(text.strip_prefix('&').unwrap_or(&text));
            }
            Value::Time { nanos, .. } => {
                self.out.push_str(
                    &Value::Time {
                        nanos: *nanos,
                        ptr: false,
                    }
                    .to_v(),
                );
            }
            other => other.write_v(&mut self.out, true),
        }
    }

    fn walk_if_or_with(&mut self, dot: &Value, b: &'a Branch, with: bool) -> R<Flow> {
        let mark = self.vars.len();
        let result = (|| {
            let val = self.eval_pipeline(dot, &b.pipe)?;
            let Some(truth) = val.truth() else {
                return self.fail(format!("if/with can't use {}", val.to_v()));
            };
            if truth {
                let d = if with { &val } else { dot };
                self.walk_list(d, &b.list)
            } else if let Some(e) = &b.else_list {
                self.walk_list(dot, e)
            } else {
                Ok(Flow::Normal)
            }
        })();
        self.vars.truncate(mark);
        result
    }

    fn walk_range(&mut self, dot: &Value, node: &'a Node, b: &'a Branch) -> R<Flow> {
        self.at = At::Node(node);
        let outer = self.vars.len();
        let result = self.walk_range_inner(dot, b);
        self.vars.truncate(outer);
        result.map(|_| Flow::Normal)
    }

    fn walk_range_inner(&mut self, dot: &Value, b: &'a Branch) -> R<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let items: Vec<(Value, Value)> = match &val {
            Value::Map(m) => m
                .entries
                .iter()
                .map(|(k, v)| (Value::str(k), v.clone()))
                .collect(),
            Value::Samples(v) => v
                .iter()
                .enumerate()
                .map(|(i, s)| (Value::Int(i as i64), Value::Sample(Some(s.clone()))))
                .collect(),
            Value::List(v) => v
                .iter()
                .enumerate()
                .map(|(i, s)| (Value::Int(i as i64), s.clone()))
                .collect(),
            Value::Invalid | Value::Nil | Value::Sample(None) => Vec::new(),
            other => {
                return self.fail(format!("range can't iterate over {}", other.to_v()));
            }
        };
        let mark = self.vars.len();
        for (index, elem) in &items {
            let decl = &b.pipe.decl;
            if !decl.is_empty() {
                if b.pipe.is_assign {
                    let target = if decl.len() > 1 { index } else { elem };
                    self.set_var(&decl[0], target.clone());
                } else {
                    self.set_top_var(1, elem.clone());
                }
            }
            if decl.len() > 1 {
                if b.pipe.is_assign {
                    self.set_var(&decl[1], elem.clone());
                } else {
                    self.set_top_var(2, index.clone());
                }
            }
            let flow = self.walk_list(elem, &b.list);
            self.vars.truncate(mark);
            match flow? {
                Flow::Break => return Ok(()),
                Flow::Continue | Flow::Normal => {}
            }
        }
        if items.is_empty()
            && let Some(e) = &b.else_list
        {
            self.walk_list(dot, e)?;
        }
        Ok(())
    }

    fn walk_template(
        &mut self,
        dot: &Value,
        node: &'a Node,
        name: &str,
        pipe: Option<&'a Pipe>,
    ) -> R<()> {
        self.at = At::Node(node);
        let Some(tree) = self.trees.get(name) else {
            return self.fail(format!(
                "template {} not defined",
                super::fmt::go_quote(name)
            ));
        };
        if self.depth >= MAX_DEPTH {
            return self.fail(format!("exceeded maximum template depth ({MAX_DEPTH})"));
        }
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Value::Invalid,
        };
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
        let saved_tmpl = std::mem::replace(&mut self.tmpl, name.to_string());
        let saved_source = std::mem::replace(&mut self.source, &tree.source);
        self.depth += 1;
        let r = self.walk_list(&new_dot, &tree.root);
        if let Err(Fail(msg)) = &r
            && self.error.is_none()
        {
            self.error = Some(self.make_error(msg.clone()));
        }
        self.depth -= 1;
        self.source = saved_source;
        self.tmpl = saved_tmpl;
        self.vars = saved_vars;
        r.map(|_| ())
    }

    fn set_var(&mut self, name: &str, v: Value) {
        if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            slot.1 = v;
        }
    }

    fn set_top_var(&mut self, n: usize, v: Value) {
        let len = self.vars.len();
        if n <= len {
            self.vars[len - n].1 = v;
        }
    }

    fn var_value(&self, name: &str) -> R<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.fail(format!("undefined variable: {name}")),
        }
    }

    fn eval_pipeline(&mut self, dot: &Value, pipe: &'a Pipe) -> R<Value> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Value::Invalid);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone());
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<Value>) -> R<()> {
        if args.len() > 1 || final_.is_some() {
            return self.fail(format!("can't give argument to non-function {}", args[0]));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &'a Command, final_: Option<Value>) -> R<Value> {
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.at = At::Arg(first);
                return self.eval_field_chain(dot, dot.clone(), first, idents, &cmd.args, final_);
            }
            Arg::Chain { node, fields, .. } => {
                self.at = At::Arg(first);
                // Go leaves the error context at the last node the base evaluated.
                let base = self.eval_arg_value(dot, node)?;
                return self.eval_field_chain(dot, base, first, fields, &cmd.args, final_);
            }
            Arg::Identifier { name, .. } => {
                return self.eval_function(dot, first, At::Command(cmd), name, &cmd.args, final_);
            }
            Arg::Pipe(p) => {
                self.at = At::Arg(first);
                self.not_a_function(&cmd.args, &final_)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable { idents, .. } => {
                self.at = At::Arg(first);
                let v = self.var_value(&idents[0])?;
                if idents.len() == 1 {
                    self.not_a_function(&cmd.args, &final_)?;
                    return Ok(v);
                }
                return self.eval_field_chain(dot, v, first, &idents[1..], &cmd.args, final_);
            }
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&cmd.args, &final_)?;
        match first {
            Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.fail("nil is not a command"),
            Arg::Number { num, .. } => self.ideal_constant(num),
            Arg::String { val, .. } => Ok(Value::str(val)),
            _ => self.fail(format!("can't evaluate command {first}")),
        }
    }

    /// The value of an operand used as the base of a chain or as an argument, without type checks.
    fn eval_arg_value(&mut self, dot: &Value, arg: &'a Arg) -> R<Value> {
        self.at = At::Arg(arg);
        match arg {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => Ok(Value::Nil),
            Arg::Bool { val, .. } => Ok(Value::Bool(*val)),
            Arg::Number { num, .. } => self.ideal_constant(num),
            Arg::String { val, .. } => Ok(Value::str(val)),
            Arg::Field { idents, .. } => self.eval_field_chain(
                dot,
                dot.clone(),
                arg,
                idents,
                std::slice::from_ref(arg),
                None,
            ),
            Arg::Variable { idents, .. } => {
                let v = self.var_value(&idents[0])?;
                if idents.len() == 1 {
                    return Ok(v);
                }
                self.eval_field_chain(dot, v, arg, &idents[1..], std::slice::from_ref(arg), None)
            }
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { name, .. } => self.eval_function(
                dot,
                arg,
                At::Arg(arg),
                name,
                std::slice::from_ref(arg),
                None,
            ),
            Arg::Chain { node, fields, .. } => {
                let base = self.eval_arg_value(dot, node)?;
                self.eval_field_chain(dot, base, arg, fields, std::slice::from_ref(arg), None)
            }
        }
    }
}
