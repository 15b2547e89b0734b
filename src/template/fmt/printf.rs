//! Go's `fmt.Sprint`, `Sprintln` and `Sprintf` over template values: verbs, flags, width, precision and Go's
//! error forms (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA ...)`).

use super::super::value::Value;
use super::float::{go_float_e, go_float_f, go_float_g};
use super::{is_print, quote_with};

/// An operand of a print function.
pub type FmtArg = Value;

fn is_string_kind(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::Html(_))
}

/// Go's `fmt.Sprint`: operands printed with `%v`, a space between two operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = is_string_kind(a);
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        out.push_str(&Printer::default().arg(a, 'v'));
        prev_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln`: operands separated by spaces, then a newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&Printer::default().arg(a, 'v'));
    }
    out.push('\n');
    out
}

#[derive(Default, Clone, Copy)]
struct Printer {
    plus: bool,
    /// `%+v`: field names in structs; the sign flag itself is cleared.
    plus_v: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

impl Printer {
    fn pad(&self, s: &str) -> String {
        self.pad_with(s, self.zero && !self.minus)
    }

    fn pad_with(&self, s: &str, zero: bool) -> String {
        let n = s.chars().count();
        let Some(w) = self.width.filter(|w| *w > n) else {
            return s.to_string();
        };
        let fill = w - n;
        if self.minus {
            format!("{s}{}", " ".repeat(fill))
        } else if zero {
            format!("{}{s}", "0".repeat(fill))
        } else {
            format!("{}{s}", " ".repeat(fill))
        }
    }

    fn bad_verb(&self, v: &Value, verb: char) -> String {
        match v {
            Value::Invalid | Value::Nil => format!("%!{verb}(<nil>)"),
            _ => format!(
                "%!{verb}({}={})",
                v.type_name(),
                Printer::default().arg(v, 'v')
            ),
        }
    }

    fn arg(&self, v: &Value, verb: char) -> String {
        if verb == 'T' {
            return self.pad_with(&v.type_name(), false);
        }
        match v {
            Value::Invalid | Value::Nil => match verb {
                'v' => self.pad_with("<nil>", false),
                _ => self.bad_verb(v, verb),
            },
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad_with(if *b { "true" } else { "false" }, false),
                _ => self.bad_verb(v, verb),
            },
            Value::Int(i) => self
                .integer(i128::from(*i), verb)
                .unwrap_or_else(|| self.bad_verb(v, verb)),
            Value::Byte(b) => self
                .integer(i128::from(*b), verb)
                .unwrap_or_else(|| self.bad_verb(v, verb)),
            Value::Duration(d) => match verb {
                'v' | 's' | 'x' | 'X' | 'q' => self.string(&v.to_v(), verb).unwrap_or_default(),
                _ => self
                    .integer(i128::from(*d), verb)
                    .unwrap_or_else(|| self.bad_verb(v, verb)),
            },
            Value::Complex(..) => match verb {
                'v' => self.pad_with(&v.to_v(), false),
                _ => self.bad_verb(v, verb),
            },
            Value::Float(f) => self
                .float(*f, verb)
                .unwrap_or_else(|| self.bad_verb(v, verb)),
            Value::Str(s) | Value::Html(s) => self
                .string(s, verb)
                .unwrap_or_else(|| self.bad_verb(v, verb)),
            Value::Time { .. } => match verb {
                'v' | 's' | 'x' | 'X' | 'q' => self.string(&v.to_v(), verb).unwrap_or_default(),
                _ => self.bad_verb(v, verb),
            },
            Value::Map(m) => {
                let mut out = String::from("map[");
                for (i, (k, e)) in m.entries.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(&self.arg(&Value::str(k), verb));
                    out.push(':');
                    out.push_str(&self.arg(e, verb));
                }
                out.push(']');
                out
            }
            Value::Struct(s) => {
                let mut out = String::from("{");
                for (i, (name, e)) in s.fields.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    if self.plus_v {
                        out.push_str(name);
                        out.push(':');
                    }
                    out.push_str(&self.arg(e, verb));
                }
                out.push('}');
                out
            }
            Value::Sample(None) => match verb {
                'v' => self.pad_with("<nil>", false),
                _ => self.bad_verb(v, verb),
            },
            Value::Sample(Some(s)) => {
                let labels = self.arg(&Value::Map(s.labels.clone()), verb);
                let value = self.arg(&Value::Float(s.value), verb);
                if self.plus_v {
                    format!("&{{Labels:{labels} Value:{value}}}")
                } else {
                    format!("&{{{labels} {value}}}")
                }
            }
            Value::Samples(list) => {
                let items: Vec<String> = list
                    .iter()
                    .map(|s| self.arg(&Value::Sample(Some(s.clone())), verb))
                    .collect();
                format!("[{}]", items.join(" "))
            }
            Value::List(list) => {
                let items: Vec<String> = list.iter().map(|s| self.arg(s, verb)).collect();
                format!("[{}]", items.join(" "))
            }
        }
    }

    fn integer(&self, i: i128, verb: char) -> Option<String> {
        let (base, upper) = match verb {
            'v' | 'd' => (10, false),
            'b' => (2, false),
            'o' | 'O' => (8, false),
            'x' => (16, false),
            'X' => (16, true),
            'c' => {
                let c = u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                return Some(self.pad_with(&c.to_string(), false));
            }
            'q' => {
                let c = u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                return Some(self.pad_with(&quote_with(&c.to_string(), '\'', self.plus), false));
            }
            'U' => {
                let mut s = format!("U+{:04X}", i);
                if self.sharp
                    && let Some(c) = u32::try_from(i).ok().and_then(char::from_u32)
                    && is_print(c)
                {
                    s.push_str(&format!(" '{c}'"));
                }
                return Some(self.pad_with(&s, false));
            }
            _ => return None,
        };
        let neg = i < 0;
        let a = i.unsigned_abs();
        let mut digits = match base {
            2 => format!("{a:b}"),
            8 => format!("{a:o}"),
            16 if upper => format!("{a:X}"),
            16 => format!("{a:x}"),
            _ => format!("{a}"),
        };
        if let Some(p) = self.prec {
            if p == 0 && a == 0 {
                digits.clear();
            }
            while digits.len() < p {
                digits.insert(0, '0');
            }
        }
        let mut prefix = String::new();
        if self.sharp {
            match base {
                2 => prefix.push_str("0b"),
                8 if !digits.starts_with('0') => prefix.push('0'),
                16 => prefix.push_str(if upper { "0X" } else { "0x" }),
                _ => {}
            }
        }
        if verb == 'O' {
            prefix = "0o".into();
        }
        let sign = if neg {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        };
        let body = format!("{prefix}{digits}");
        // Zero padding goes between the sign and the digits, and only without a precision.
        if self.zero && !self.minus && self.prec.is_none() {
            let w = self.width.unwrap_or(0);
            let n = sign.len() + body.chars().count();
            let fill = w.saturating_sub(n);
            return Some(format!("{sign}{}{body}", "0".repeat(fill)));
        }
        Some(self.pad_with(&format!("{sign}{body}"), false))
    }

    fn float(&self, f: f64, verb: char) -> Option<String> {
        let s = match verb {
            'v' => go_float_g(f, self.prec, 'e'),
            'g' => go_float_g(f, self.prec, 'e'),
            'G' => go_float_g(f, self.prec, 'E'),
            'e' => go_float_e(f, Some(self.prec.unwrap_or(6)), 'e'),
            'E' => go_float_e(f, Some(self.prec.unwrap_or(6)), 'E'),
            'f' | 'F' => go_float_f(f, Some(self.prec.unwrap_or(6))),
            'x' | 'X' => super::float::go_float_x(f, verb == 'X'),
            _ => return None,
        };
        // Infinities and NaN keep their own sign handling and are never zero padded.
        if f.is_nan() {
            let body = if self.plus {
                format!("+{s}")
            } else if self.space {
                format!(" {s}")
            } else {
                s
            };
            return Some(self.pad_with(&body, false));
        }
        if f.is_infinite() {
            let body = if f > 0.0 && !self.plus {
                if self.space {
                    format!(" {}", &s[1..])
                } else {
                    s.clone()
                }
            } else {
                s
            };
            return Some(self.pad_with(&body, false));
        }
        let (sign, digits) = match s.strip_prefix('-') {
            Some(d) => ("-", d.to_string()),
            None if self.plus => ("+", s),
            None if self.space => (" ", s),
            None => ("", s),
        };
        if self.zero && !self.minus {
            let w = self.width.unwrap_or(0);
            let fill = w.saturating_sub(sign.len() + digits.chars().count());
            return Some(format!("{sign}{}{digits}", "0".repeat(fill)));
        }
        Some(self.pad_with(&format!("{sign}{digits}"), false))
    }

    fn string(&self, s: &str, verb: char) -> Option<String> {
        let truncated: String = match self.prec {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_string(),
        };
        Some(match verb {
            'v' | 's' => self.pad(&truncated),
            'q' => {
                if self.sharp
                    && !truncated.contains('`')
                    && truncated.chars().all(|c| c == '\t' || !c.is_control())
                {
                    self.pad(&format!("`{truncated}`"))
                } else {
                    self.pad(&quote_with(&truncated, '"', self.plus))
                }
            }
            'x' | 'X' => {
                let bytes: Vec<u8> = match self.prec {
                    Some(p) => s.bytes().take(p).collect(),
                    None => s.bytes().collect(),
                };
                let mut out = String::new();
                for (i, b) in bytes.iter().enumerate() {
                    if self.space && i > 0 {
                        out.push(' ');
                    }
                    if self.sharp && (self.space || i == 0) {
                        out.push_str(if verb == 'x' { "0x" } else { "0X" });
                    }
                    if verb == 'x' {
                        out.push_str(&format!("{b:02x}"));
                    } else {
                        out.push_str(&format!("{b:02X}"));
                    }
                }
                self.pad(&out)
            }
            _ => return None,
        })
    }
}

/// Go's `tooLarge`: widths and precisions are limited to a million.
fn too_large(x: i64) -> bool {
    !(-1_000_000..=1_000_000).contains(&x)
}

/// Go's `parsenum`: digits at `i`; a number that grows too large swallows the rest of the format, as in Go.
fn parse_num(b: &[u8], i: &mut usize) -> (usize, bool) {
    let mut num: i64 = 0;
    let mut present = false;
    while *i < b.len() && b[*i].is_ascii_digit() {
        if too_large(num) {
            *i = b.len();
            return (0, false);
        }
        num = num * 10 + i64::from(b[*i] - b'0');
        present = true;
        *i += 1;
    }
    (num as usize, present)
}

/// Go's `intFromArg` for `*` widths and precisions: the argument must be an int within Go's limits.
fn int_from_arg(args: &[Value], argn: &mut usize) -> (i64, bool) {
    let Some(a) = args.get(*argn) else {
        return (0, false);
    };
    *argn += 1;
    match a {
        Value::Int(n) if !too_large(*n) => (*n, true),
        Value::Byte(n) => (i64::from(*n), true),
        _ => (0, false),
    }
}

/// Go's `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut argn = 0usize;
    let mut reordered = false;
    let b = format.as_bytes();
    let mut i = 0;
    // Each iteration consumes at least one byte of the format.
    while i < b.len() {
        if b[i] != b'%' {
            let next = format[i..].find('%').map_or(b.len(), |x| i + x);
            out.push_str(&format[i..next]);
            i = next;
            continue;
        }
        i += 1;
        let mut p = Printer::default();
        while i < b.len() {
            match b[i] {
                b'#' => p.sharp = true,
                b'0' => p.zero = !p.minus,
                b'+' => p.plus = true,
                b'-' => {
                    p.minus = true;
                    p.zero = false;
                }
                b' ' => p.space = true,
                _ => break,
            }
            i += 1;
        }
        // Argument index, width, precision.
        let mut bad_index = false;
        let mut parse_index = |i: &mut usize, argn: &mut usize, reordered: &mut bool| {
            if *i < b.len() && b[*i] == b'[' {
                *reordered = true;
                let Some(close) = format[*i..].find(']') else {
                    bad_index = true;
                    *i = b.len();
                    return;
                };
                match format[*i + 1..*i + close].parse::<usize>() {
                    Ok(n) if n >= 1 && n <= args.len() => *argn = n - 1,
                    _ => bad_index = true,
                }
                *i += close + 1;
            }
        };
        parse_index(&mut i, &mut argn, &mut reordered);
        if i < b.len() && b[i] == b'*' {
            i += 1;
            let (w, ok) = int_from_arg(args, &mut argn);
            if ok {
                if w < 0 {
                    p.minus = true;
                    p.zero = false;
                }
                p.width = Some(w.unsigned_abs() as usize);
            } else {
                out.push_str("%!(BADWIDTH)");
            }
        } else {
            let (w, present) = parse_num(b, &mut i);
            p.width = present.then_some(w);
        }
        // As in Go, a '.' that ends the format is the verb, not a precision.
        if i + 1 < b.len() && b[i] == b'.' {
            i += 1;
            parse_index(&mut i, &mut argn, &mut reordered);
            if i < b.len() && b[i] == b'*' {
                i += 1;
                match int_from_arg(args, &mut argn) {
                    (w, true) if w >= 0 => p.prec = Some(w as usize),
                    _ => out.push_str("%!(BADPREC)"),
                }
            } else {
                let (prec, _) = parse_num(b, &mut i);
                p.prec = Some(prec);
            }
        }
        parse_index(&mut i, &mut argn, &mut reordered);
        if i >= b.len() {
            out.push_str("%!(NOVERB)");
            break;
        }
        let verb = format[i..].chars().next().unwrap_or('%');
        i += verb.len_utf8();
        if verb == '%' {
            out.push('%');
            continue;
        }
        if bad_index {
            out.push_str(&format!("%!{verb}(BADINDEX)"));
            continue;
        }
        let Some(a) = args.get(argn) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argn += 1;
        if verb == 'v' && p.plus {
            p.plus = false;
            p.plus_v = true;
        }
        if verb == 'v' && p.sharp {
            // %#v (Go syntax) is not supported beyond plain %v.
            p.sharp = false;
        }
        out.push_str(&p.arg(a, verb));
    }
    if !reordered && argn < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, a) in args[argn..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            match a {
                Value::Invalid | Value::Nil => out.push_str("<nil>"),
                _ => {
                    out.push_str(&a.type_name());
                    out.push('=');
                    out.push_str(&Printer::default().arg(a, 'v'));
                }
            }
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs() {
        let s = |x: &str| Value::str(x);
        assert_eq!(
            sprintf(
                "%d|%5d|%-5d|%05d|%x|%X|%o|%b",
                &[
                    Value::Int(42),
                    Value::Int(42),
                    Value::Int(42),
                    Value::Int(-42),
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(5)
                ]
            ),
            "42|   42|42   |-0042|ff|FF|10|101"
        );
        assert_eq!(
            sprintf(
                "%.2f|%8.3f|%e|%g|%v",
                &[
                    Value::Float(1.23456),
                    Value::Float(-1.23456),
                    Value::Float(1234.5678),
                    Value::Float(0.00001234),
                    Value::Float(1e21)
                ]
            ),
            "1.23|  -1.235|1.234568e+03|1.234e-05|1e+21"
        );
        assert_eq!(
            sprintf(
                "%s|%q|%10s|%-4s|%.2s",
                &[s("a"), s("b\"c"), s("right"), s("l"), s("trunc")]
            ),
            "a|\"b\\\"c\"|     right|l   |tr"
        );
        assert_eq!(sprintf("%d", &[s("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%d %d", &[Value::Int(1)]), "1 %!d(MISSING)");
        assert_eq!(
            sprintf("%d", &[Value::Int(1), s("a")]),
            "1%!(EXTRA string=a)"
        );
        assert_eq!(sprintf("100%%", &[]), "100%");
        assert_eq!(
            sprintf("%08198552921648689607x", &[s("a")]),
            "%!(NOVERB)%!(EXTRA string=a)"
        );
        assert_eq!(
            sprintf("%*d|%.*d", &[Value::Int(10_000_000), Value::Int(1)]),
            "%!(BADWIDTH)1|%!(BADPREC)%!d(MISSING)"
        );
        assert_eq!(sprintf("%.", &[Value::Int(1)]), "%!.(int=1)");
        assert_eq!(
            sprintf("%t %v", &[Value::Bool(true), Value::Nil]),
            "true <nil>"
        );
        assert_eq!(
            sprintf(
                "%c %U %#U",
                &[Value::Int(65), Value::Int(65), Value::Int(0x1F600)]
            ),
            "A U+0041 U+1F600 '😀'"
        );
        assert_eq!(
            sprintf(
                "%6.2f|%+.1e|%x",
                &[Value::Float(f64::INFINITY), Value::Float(5.0), s("hi")]
            ),
            "  +Inf|+5.0e+00|6869"
        );
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(
            sprint(&[Value::Int(1), Value::Int(2), Value::str("a"), Value::Int(3)]),
            "1 2a3"
        );
        assert_eq!(sprintln(&[Value::Int(1), Value::str("a")]), "1 a\n");
    }
}
