//! Lexer for Go `text/template` source: turns template text into items (text, delimiters, words, literals).
//!
//! Follows Go 1.19's `text/template/parse` lexer item for item, including trim markers, comments and the wording
//! of its error items. It knows nothing about functions or data and must not allocate per character.

use std::fmt;

/// The kind of a lexed item; keywords come after `Keyword` as in Go so they print as `<word>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemKind {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    Keyword,
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

/// One lexed item: its kind, text (or error message) and byte offset in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    pub val: String,
    pub pos: usize,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ItemKind::Eof => f.write_str("EOF"),
            ItemKind::Error => f.write_str(&self.val),
            k if k > ItemKind::Keyword => write!(f, "<{}>", self.val),
            _ if self.val.chars().count() > 10 => {
                let head: String = self.val.chars().take(10).collect();
                write!(f, "{}...", crate::template::fmt::go_quote(&head))
            }
            _ => f.write_str(&crate::template::fmt::go_quote(&self.val)),
        }
    }
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || is_go_digit(c)
}

/// Go's `unicode.IsDigit` is the Nd category; Rust's `is_numeric` is wider, so narrow it for ASCII-heavy input.
fn is_go_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

fn right_trim_len(s: &str) -> usize {
    s.len() - s.trim_end_matches(is_space).len()
}

fn left_trim_len(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

/// Formats a rune as Go's `%#U`: `U+0023 '#'`.
pub fn go_rune_u(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{}'", c as u32, c)
    }
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    InsideAction,
    Done,
}

/// Lexes `input` completely; the last item is `Eof` or `Error`.
pub fn lex(input: &str) -> Vec<Item> {
    let mut l = Lexer {
        input,
        start: 0,
        pos: 0,
        items: Vec::new(),
        paren_depth: 0,
    };
    let mut state = State::Text;
    // Every state either emits, advances or finishes, and input is finite.
    loop {
        state = match state {
            State::Text => l.lex_text(),
            State::LeftDelim => l.lex_left_delim(),
            State::InsideAction => l.lex_inside_action(),
            State::Done => break,
        };
    }
    l.items
}

struct Lexer<'a> {
    input: &'a str,
    start: usize,
    pos: usize,
    items: Vec<Item>,
    paren_depth: i32,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
        }
    }

    fn emit(&mut self, kind: ItemKind) {
        self.items.push(Item {
            kind,
            val: self.input[self.start..self.pos].to_string(),
            pos: self.start,
        });
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) -> State {
        self.items.push(Item {
            kind: ItemKind::Error,
            val: msg,
            pos: self.start,
        });
        State::Done
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.rest().find(LEFT) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT.len();
                let trim = if has_left_trim(&self.input[delim_end..]) {
                    right_trim_len(&self.input[self.start..self.pos])
                } else {
                    0
                };
                self.pos -= trim;
                if self.pos > self.start {
                    self.emit(ItemKind::Text);
                }
                self.pos += trim;
                self.ignore();
            }
            return State::LeftDelim;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.emit(ItemKind::Text);
        }
        self.emit(ItemKind::Eof);
        State::Done
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        (rest.starts_with(RIGHT), false)
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += LEFT.len();
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.input[self.pos + after..].starts_with(LEFT_COMMENT) {
            self.pos += after;
            self.ignore();
            return self.lex_comment();
        }
        self.emit(ItemKind::LeftDelim);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        State::InsideAction
    }

    fn lex_comment(&mut self) -> State {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.rest().find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.pos += left_trim_len(self.rest());
        }
        self.ignore();
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let trim = has_right_trim(self.rest());
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += RIGHT.len();
        self.emit(ItemKind::RightDelim);
        if trim {
            self.pos += left_trim_len(self.rest());
            self.ignore();
        }
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return self.lex_right_delim();
            }
            return self.error("unclosed left paren".into());
        }
        let Some(r) = self.next() else {
            return self.error("unclosed action".into());
        };
        match r {
            c if is_space(c) => {
                self.backup(Some(c));
                return self.lex_space();
            }
            '=' => self.emit(ItemKind::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.error("expected :=".into());
                }
                self.emit(ItemKind::Declare);
            }
            '|' => self.emit(ItemKind::Pipe),
            '"' => return self.lex_quote(),
            '`' => return self.lex_raw_quote(),
            '$' => return self.lex_variable(),
            '\'' => return self.lex_char(),
            '.' if !matches!(self.peek(), Some('0'..='9')) => {
                return self.lex_field_or_variable(ItemKind::Field);
            }
            '.' | '+' | '-' | '0'..='9' => {
                self.backup(Some(r));
                return self.lex_number();
            }
            c if is_alnum(c) => {
                self.backup(Some(c));
                return self.lex_identifier();
            }
            '(' => {
                self.emit(ItemKind::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                self.emit(ItemKind::RightParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.error(format!("unexpected right paren {}", go_rune_u(r)));
                }
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(ItemKind::Char),
            c => {
                return self.error(format!(
                    "unrecognized character in action: {}",
                    go_rune_u(c)
                ));
            }
        }
        State::InsideAction
    }

    fn lex_space(&mut self) -> State {
        let mut n = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.pos += c.len_utf8();
            n += 1;
        }
        let before = &self.input[self.pos - 1..];
        if has_right_trim(before) && before[2..].starts_with(RIGHT) {
            self.pos -= 1;
            if n == 1 {
                return self.lex_right_delim();
            }
        }
        self.emit(ItemKind::Space);
        State::InsideAction
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT),
        }
    }

    fn lex_identifier(&mut self) -> State {
        loop {
            let r = self.next();
            match r {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup(r);
                    let word = &self.input[self.start..self.pos];
                    if !self.at_terminator() {
                        return self.bad_char(r);
                    }
                    let kind = match word {
                        "block" => ItemKind::Block,
                        "break" => ItemKind::Break,
                        "continue" => ItemKind::Continue,
                        "define" => ItemKind::Define,
                        "else" => ItemKind::Else,
                        "end" => ItemKind::End,
                        "if" => ItemKind::If,
                        "range" => ItemKind::Range,
                        "nil" => ItemKind::Nil,
                        "template" => ItemKind::Template,
                        "with" => ItemKind::With,
                        "true" | "false" => ItemKind::Bool,
                        _ => ItemKind::Identifier,
                    };
                    self.emit(kind);
                    return State::InsideAction;
                }
            }
        }
    }

    fn bad_char(&mut self, r: Option<char>) -> State {
        let s = match r {
            Some(c) => go_rune_u(c),
            None => "U+FFFFFFFFFFFFFFFF".into(),
        };
        self.error(format!("bad character {s}"))
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(ItemKind::Variable);
            return State::InsideAction;
        }
        self.lex_field_or_variable(ItemKind::Variable)
    }

    fn lex_field_or_variable(&mut self, kind: ItemKind) -> State {
        if self.at_terminator() {
            self.emit(if kind == ItemKind::Variable {
                ItemKind::Variable
            } else {
                ItemKind::Dot
            });
            return State::InsideAction;
        }
        let mut r;
        loop {
            r = self.next();
            match r {
                Some(c) if is_alnum(c) => {}
                _ => {
                    self.backup(r);
                    break;
                }
            }
        }
        if !self.at_terminator() {
            return self.bad_char(r);
        }
        self.emit(kind);
        State::InsideAction
    }

    fn lex_char(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => {
                        return self.error("unterminated character constant".into());
                    }
                    _ => {}
                },
                None | Some('\n') => return self.error("unterminated character constant".into()),
                Some('\'') => break,
                _ => {}
            }
        }
        self.emit(ItemKind::CharConstant);
        State::InsideAction
    }

    fn lex_quote(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => return self.error("unterminated quoted string".into()),
                    _ => {}
                },
                None | Some('\n') => return self.error("unterminated quoted string".into()),
                Some('"') => break,
                _ => {}
            }
        }
        self.emit(ItemKind::String);
        State::InsideAction
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.error("unterminated raw quoted string".into()),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(ItemKind::RawString);
        State::InsideAction
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            let s = crate::template::fmt::go_quote(&self.input[self.start..self.pos]);
            return self.error(format!("bad number syntax: {s}"));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let s = crate::template::fmt::go_quote(&self.input[self.start..self.pos]);
                return self.error(format!("bad number syntax: {s}"));
            }
            self.emit(ItemKind::Complex);
        } else {
            self.emit(ItemKind::Number);
        }
        State::InsideAction
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek()
            && is_alnum(c)
        {
            self.next();
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<ItemKind> {
        lex(s).into_iter().map(|i| i.kind).collect()
    }

    #[test]
    fn trims_and_comments() {
        let items = lex("a  {{- .x -}}  b{{/* c */}}d");
        let vals: Vec<&str> = items.iter().map(|i| i.val.as_str()).collect();
        assert_eq!(vals, ["a", "{{", ".x", "}}", "b", "d", ""]);
    }

    #[test]
    fn errors() {
        assert_eq!(
            lex("{{ foo").last().map(|i| i.val.clone()),
            Some("unclosed action".into())
        );
        assert_eq!(
            lex("{{ 3x }}").last().map(|i| i.val.clone()),
            Some("bad number syntax: \"3x\"".into())
        );
        assert_eq!(
            kinds("{{$x := 1}}")[..4],
            [
                ItemKind::LeftDelim,
                ItemKind::Variable,
                ItemKind::Space,
                ItemKind::Declare
            ]
        );
    }
}
