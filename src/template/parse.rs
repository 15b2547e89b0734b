//! Parser for Go `text/template`: items from the lexer become a tree per template name.
//!
//! Mirrors Go 1.19's recursive-descent parser, including its three-token lookahead (so errors report the same
//! line), its variable scoping and its error wording. It checks that functions exist but never calls them.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::lexer::{Item, ItemKind, lex};
use super::node::{Arg, Branch, Command, ListNode, Node, Number, Pipe};
use super::strconv;

/// A parse failure: the message without the `template: name:line:` prefix, and where it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseFailure {
    pub pos: usize,
    pub message: String,
}

/// The text a tree was parsed from and the name errors give it (Go's `ParseName`).
#[derive(Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// One named template: its body and where it came from.
#[derive(Debug)]
pub struct Tree {
    pub root: ListNode,
    pub source: Arc<Source>,
}

/// The trees a parse produced: the top-level template plus every `define`d or `block` one, by name.
pub type TreeSet = BTreeMap<String, Arc<Tree>>;

/// Parses `text` as the template called `name`, adding every tree to `set`. `has_func` says whether a function
/// name is defined; `vars` are variables visible at the top level besides `$`.
pub fn parse<'f>(
    name: &'f str,
    text: &'f str,
    has_func: &'f dyn Fn(&str) -> bool,
    set: &mut TreeSet,
) -> Result<(), ParseFailure> {
    let items = lex(text);
    let mut p = Parser {
        items,
        next_item: 0,
        token: [eof_item(), eof_item(), eof_item()],
        peek_count: 0,
        vars: vec!["$".to_string()],
        has_func,
        range_depth: 0,
        depth: 0,
        text,
        name,
        action_line: None,
        source: Arc::new(Source {
            name: name.to_string(),
            text: text.to_string(),
        }),
    };
    let root = p.parse_top(set)?;
    let source = p.source.clone();
    add(set, name, root, &source).map_err(|m| p.fail_msg(m))
}

fn eof_item() -> Item {
    Item {
        kind: ItemKind::Eof,
        val: String::new(),
        pos: 0,
    }
}

fn is_empty_tree(list: &ListNode) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text { text, .. } => text
            .trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
            .is_empty(),
        _ => false,
    })
}

fn add(set: &mut TreeSet, name: &str, root: ListNode, source: &Arc<Source>) -> Result<(), String> {
    match set.get(name) {
        Some(existing) if !is_empty_tree(&existing.root) => {
            if !is_empty_tree(&root) {
                return Err(format!(
                    "template: multiple definition of template {}",
                    crate::template::fmt::go_quote(name)
                ));
            }
            Ok(())
        }
        _ => {
            set.insert(
                name.to_string(),
                Arc::new(Tree {
                    root,
                    source: source.clone(),
                }),
            );
            Ok(())
        }
    }
}

type PResult<T> = Result<T, ParseFailure>;

/// How deeply pipelines and control structures may nest. Go 1.19 has no limit (its stacks grow); tocsin stops
/// here with Go's later wording rather than overflow the native stack.
pub const MAX_NESTING: usize = 100;

struct Parser<'f> {
    items: Vec<Item>,
    next_item: usize,
    token: [Item; 3],
    peek_count: usize,
    vars: Vec<String>,
    has_func: &'f dyn Fn(&str) -> bool,
    range_depth: usize,
    /// Nesting of pipelines and control structures, bounded so deep input cannot exhaust the stack.
    depth: usize,
    text: &'f str,
    name: &'f str,
    action_line: Option<usize>,
    source: Arc<Source>,
}

/// A node produced while scanning a list: a real node, or the `{{end}}` / `{{else}}` that stops the list.
enum Scanned {
    Node(Node),
    End,
    Else(usize),
}

impl Parser<'_> {
    fn lex_next(&mut self) -> Item {
        // The lexer's last item is EOF or an error; after it, keep returning that item.
        let i = self.next_item.min(self.items.len().saturating_sub(1));
        self.next_item += 1;
        self.items.get(i).cloned().unwrap_or_else(eof_item)
    }

    fn next(&mut self) -> Item {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.lex_next();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item, t1: Item) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.lex_next();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let t = self.next();
            if t.kind != ItemKind::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let t = self.next_non_space();
        self.backup();
        t
    }

    /// Errors are reported at the most recently lexed token, as Go does.
    fn fail_msg(&self, message: String) -> ParseFailure {
        ParseFailure {
            pos: self.token[0].pos,
            message,
        }
    }

    fn fail<T>(&self, message: String) -> PResult<T> {
        Err(self.fail_msg(message))
    }

    fn line_of(&self, pos: usize) -> usize {
        1 + self.text.as_bytes()[..pos.min(self.text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    }

    fn unexpected<T>(&self, item: &Item, context: &str) -> PResult<T> {
        if item.kind == ItemKind::Error {
            let mut extra = String::new();
            if let Some(start) = self.action_line
                && start != self.line_of(item.pos)
            {
                extra = format!(" in action started at {}:{start}", self.name);
                if item.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.fail(format!("{}{extra}", item.val));
        }
        self.fail(format!("unexpected {item} in {context}"))
    }

    fn expect(&mut self, kind: ItemKind, context: &str) -> PResult<Item> {
        let t = self.next_non_space();
        if t.kind != kind {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn parse_top(&mut self, set: &mut TreeSet) -> PResult<ListNode> {
        let mut root = ListNode {
            pos: self.peek().pos,
            nodes: Vec::new(),
        };
        while self.peek().kind != ItemKind::Eof {
            if self.peek().kind == ItemKind::LeftDelim {
                let delim = self.next();
                if self.next_non_space().kind == ItemKind::Define {
                    self.parse_definition(set)?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action(set)? {
                Scanned::End => return self.fail("unexpected {{end}}".into()),
                Scanned::Else(_) => return self.fail("unexpected {{else}}".into()),
                Scanned::Node(n) => root.nodes.push(n),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self, set: &mut TreeSet) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let t = self.next_non_space();
        if t.kind != ItemKind::String && t.kind != ItemKind::RawString {
            return self.unexpected(&t, CONTEXT);
        }
        let name = match strconv::unquote(&t.val) {
            Ok(n) => n,
            Err(e) => return self.fail(e.into()),
        };
        self.expect(ItemKind::RightDelim, CONTEXT)?;
        let (list, end) = self.item_list(set)?;
        if let Scanned::Else(_) = end {
            return self.fail(format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        add(set, &name, list, &self.source.clone()).map_err(|m| self.fail_msg(m))?;
        self.vars = saved_vars;
        Ok(())
    }

    fn item_list(&mut self, set: &mut TreeSet) -> PResult<(ListNode, Scanned)> {
        let mut list = ListNode {
            pos: self.peek_non_space().pos,
            nodes: Vec::new(),
        };
        while self.peek_non_space().kind != ItemKind::Eof {
            match self.text_or_action(set)? {
                Scanned::Node(n) => list.nodes.push(n),
                other => return Ok((list, other)),
            }
        }
        self.fail("unexpected EOF".into())
    }

    fn text_or_action(&mut self, set: &mut TreeSet) -> PResult<Scanned> {
        let t = self.next_non_space();
        match t.kind {
            ItemKind::Text => Ok(Scanned::Node(Node::Text {
                pos: t.pos,
                text: t.val,
            })),
            ItemKind::LeftDelim => {
                self.action_line = Some(self.line_of(t.pos));
                let r = self.action(set);
                self.action_line = None;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self, set: &mut TreeSet) -> PResult<Scanned> {
        let t = self.next_non_space();
        match t.kind {
            ItemKind::Block => return self.block_control(set).map(Scanned::Node),
            ItemKind::Break => return self.loop_control(t.pos, "break").map(Scanned::Node),
            ItemKind::Continue => return self.loop_control(t.pos, "continue").map(Scanned::Node),
            ItemKind::Else => return self.else_control(),
            ItemKind::End => {
                self.expect(ItemKind::RightDelim, "end")?;
                return Ok(Scanned::End);
            }
            ItemKind::If => return self.if_control(set).map(Scanned::Node),
            ItemKind::Range => {
                let b = self.parse_control(false, "range", set)?;
                return Ok(Scanned::Node(Node::Range(b)));
            }
            ItemKind::Template => return self.template_control().map(Scanned::Node),
            ItemKind::With => {
                let b = self.parse_control(false, "with", set)?;
                return Ok(Scanned::Node(Node::With(b)));
            }
            _ => {}
        }
        self.backup();
        let pos = self.peek().pos;
        let pipe = self.pipeline("command", ItemKind::RightDelim)?;
        Ok(Scanned::Node(Node::Action { pos, pipe }))
    }

    fn loop_control(&mut self, pos: usize, word: &str) -> PResult<Node> {
        let t = self.next_non_space();
        if t.kind != ItemKind::RightDelim {
            return self.unexpected(&t, &format!("{{{{{word}}}}}"));
        }
        if self.range_depth == 0 {
            return self.fail(format!("{{{{{word}}}}} outside {{{{range}}}}"));
        }
        Ok(if word == "break" {
            Node::Break { pos }
        } else {
            Node::Continue { pos }
        })
    }

    fn else_control(&mut self) -> PResult<Scanned> {
        let peek = self.peek_non_space();
        if peek.kind == ItemKind::If {
            return Ok(Scanned::Else(peek.pos));
        }
        let t = self.expect(ItemKind::RightDelim, "else")?;
        Ok(Scanned::Else(t.pos))
    }

    fn if_control(&mut self, set: &mut TreeSet) -> PResult<Node> {
        Ok(Node::If(self.parse_control(true, "if", set)?))
    }

    fn parse_control(
        &mut self,
        allow_else_if: bool,
        context: &str,
        set: &mut TreeSet,
    ) -> PResult<Branch> {
        if self.depth >= MAX_NESTING {
            return self.fail("max expression depth exceeded".into());
        }
        self.depth += 1;
        let nvars = self.vars.len();
        let result = self.parse_control_inner(allow_else_if, context, set);
        self.vars.truncate(nvars);
        self.depth -= 1;
        result
    }

    fn parse_control_inner(
        &mut self,
        allow_else_if: bool,
        context: &str,
        set: &mut TreeSet,
    ) -> PResult<Branch> {
        let pipe = self.pipeline(context, ItemKind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let listed = self.item_list(set);
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = listed?;
        let mut else_list = None;
        if let Scanned::Else(epos) = next {
            if allow_else_if && self.peek().kind == ItemKind::If {
                self.next();
                let inner = self.if_control(set)?;
                else_list = Some(ListNode {
                    pos: epos,
                    nodes: vec![inner],
                });
            } else {
                let (l, n) = self.item_list(set)?;
                if let Scanned::Else(_) = n {
                    return self.fail("expected end; found {{else}}".into());
                }
                else_list = Some(l);
            }
        }
        Ok(Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        })
    }

    fn block_control(&mut self, set: &mut TreeSet) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemKind::RightDelim)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list(set)?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if let Scanned::Else(_) = end {
            return self.fail(format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        add(set, &name, list, &self.source.clone()).map_err(|m| self.fail_msg(m))?;
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let t = self.next_non_space();
        let name = self.template_name(&t, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().kind != ItemKind::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, ItemKind::RightDelim)?);
        }
        Ok(Node::Template {
            pos: t.pos,
            name,
            pipe,
        })
    }

    fn template_name(&self, t: &Item, context: &str) -> PResult<String> {
        match t.kind {
            ItemKind::String | ItemKind::RawString => match strconv::unquote(&t.val) {
                Ok(s) => Ok(s),
                Err(e) => self.fail(e.into()),
            },
            _ => self.unexpected(t, context),
        }
    }

    fn pipeline(&mut self, context: &str, end: ItemKind) -> PResult<Pipe> {
        if self.depth >= MAX_NESTING {
            return self.fail("max expression depth exceeded".into());
        }
        self.depth += 1;
        let r = self.pipeline_inner(context, end);
        self.depth -= 1;
        r
    }

    fn pipeline_inner(&mut self, context: &str, end: ItemKind) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            pos: start.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // At most two declared variables, so this runs at most twice.
        loop {
            let v = self.peek_non_space();
            if v.kind != ItemKind::Variable {
                break;
            }
            self.next();
            let after = self.peek();
            let next = self.peek_non_space();
            match next.kind {
                ItemKind::Assign | ItemKind::Declare => {
                    pipe.is_assign = next.kind == ItemKind::Assign;
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                }
                ItemKind::Char if next.val == "," => {
                    self.next_non_space();
                    pipe.decl.push(v.val.clone());
                    self.vars.push(v.val);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            ItemKind::Variable | ItemKind::RightDelim | ItemKind::RightParen => {
                                continue;
                            }
                            _ => return self.fail("range can only initialize variables".into()),
                        }
                    }
                    return self.fail(format!("too many declarations in {context}"));
                }
                _ if after.kind == ItemKind::Space => self.backup3(v, after),
                _ => self.backup2(v),
            }
            break;
        }
        loop {
            let t = self.next_non_space();
            match t.kind {
                k if k == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                ItemKind::Bool
                | ItemKind::CharConstant
                | ItemKind::Complex
                | ItemKind::Dot
                | ItemKind::Field
                | ItemKind::Identifier
                | ItemKind::Number
                | ItemKind::Nil
                | ItemKind::RawString
                | ItemKind::String
                | ItemKind::Variable
                | ItemKind::LeftParen => {
                    self.backup();
                    let c = self.command()?;
                    pipe.cmds.push(c);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.fail(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number { .. }
                        | Arg::String { .. }
                )
            ) {
                return self.fail(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Command> {
        let mut cmd = Command {
            pos: self.peek_non_space().pos,
            args: Vec::new(),
        };
        // Each iteration consumes at least one token or returns.
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.kind {
                ItemKind::Space => continue,
                ItemKind::Error => return self.fail(t.val),
                ItemKind::RightDelim | ItemKind::RightParen => self.backup(),
                ItemKind::Pipe => {}
                _ => return self.fail(format!("unexpected {t} in operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.fail("empty command".into());
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().kind != ItemKind::Field {
            return Ok(Some(node));
        }
        let pos = self.peek().pos;
        let mut fields = Vec::new();
        while self.peek().kind == ItemKind::Field {
            fields.push(self.next().val[1..].to_string());
        }
        Ok(Some(match node {
            // Go gives the combined node the position of the first added field.
            Arg::Field { mut idents, .. } => {
                idents.extend(fields);
                Arg::Field { pos, idents }
            }
            Arg::Variable { mut idents, .. } => {
                idents.extend(fields);
                Arg::Variable { pos, idents }
            }
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                let text = node.to_string();
                return self.fail(format!(
                    "unexpected . after term {}",
                    crate::template::fmt::go_quote(&text)
                ));
            }
            other => Arg::Chain {
                pos,
                node: Box::new(other),
                fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let pos = t.pos;
        Ok(Some(match t.kind {
            ItemKind::Error => return self.fail(t.val),
            ItemKind::Identifier => {
                if !(self.has_func)(&t.val) {
                    return self.fail(format!(
                        "function {} not defined",
                        crate::template::fmt::go_quote(&t.val)
                    ));
                }
                Arg::Identifier { pos, name: t.val }
            }
            ItemKind::Dot => Arg::Dot { pos },
            ItemKind::Nil => Arg::Nil { pos },
            ItemKind::Variable => {
                let idents: Vec<String> = t.val.split('.').map(str::to_string).collect();
                if !self.vars.iter().any(|v| *v == idents[0]) {
                    return self.fail(format!(
                        "undefined variable {}",
                        crate::template::fmt::go_quote(&idents[0])
                    ));
                }
                Arg::Variable { pos, idents }
            }
            ItemKind::Field => Arg::Field {
                pos,
                idents: t.val[1..].split('.').map(str::to_string).collect(),
            },
            ItemKind::Bool => Arg::Bool {
                pos,
                val: t.val == "true",
            },
            ItemKind::CharConstant | ItemKind::Complex | ItemKind::Number => {
                let num = self.number(&t)?;
                Arg::Number {
                    pos,
                    num: Box::new(num),
                }
            }
            ItemKind::LeftParen => {
                let pipe = self.pipeline("parenthesized pipeline", ItemKind::RightParen)?;
                Arg::Pipe(Box::new(pipe))
            }
            ItemKind::String | ItemKind::RawString => match strconv::unquote(&t.val) {
                Ok(val) => Arg::String {
                    pos,
                    quoted: t.val,
                    val,
                },
                Err(e) => return self.fail(e.into()),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn number(&self, t: &Item) -> PResult<Number> {
        let text = t.val.clone();
        let mut n = Number {
            text: text.clone(),
            int: None,
            uint: None,
            float: None,
            is_complex: false,
        };
        match t.kind {
            ItemKind::CharConstant => {
                let c = match strconv::unquote(&text) {
                    Ok(s) => s.chars().next().unwrap_or('\u{FFFD}'),
                    Err(_) => {
                        return self.fail("malformed character constant: ".to_string() + &text);
                    }
                };
                let v = c as i64;
                n.int = Some(v);
                n.uint = Some(v as u64);
                n.float = Some(v as f64);
                return Ok(n);
            }
            ItemKind::Complex => {
                n.is_complex = true;
                return Ok(n);
            }
            _ => {}
        }
        if text.ends_with('i') {
            n.is_complex = true;
            return Ok(n);
        }
        n.uint = strconv::parse_uint(&text);
        n.int = strconv::parse_int(&text);
        if n.int == Some(0) {
            n.uint = Some(0);
        }
        if let Some(i) = n.int {
            n.float = Some(i as f64);
        } else if let Some(u) = n.uint {
            n.float = Some(u as f64);
        } else if let Ok(f) = strconv::parse_float(&text) {
            if !text.contains(['.', 'e', 'E', 'p', 'P']) {
                return self.fail(format!(
                    "integer overflow: {}",
                    crate::template::fmt::go_quote(&text)
                ));
            }
            n.float = Some(f);
            if f.fract() == 0.0
                && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f)
            {
                n.int = Some(f as i64);
            }
            if f.fract() == 0.0 && (0.0..1.844_674_407_370_955_2e19).contains(&f) {
                n.uint = Some(f as u64);
            }
        }
        if n.int.is_none() && n.uint.is_none() && n.float.is_none() {
            return self.fail(format!(
                "illegal number syntax: {}",
                crate::template::fmt::go_quote(&text)
            ));
        }
        Ok(n)
    }
}
