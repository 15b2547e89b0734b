//! MetricsQL lexer: splits an expression into tokens with byte spans, following the token rules of
//! VictoriaMetrics 1.79 (`#` comments, backslash-escaped identifiers, three quote styles, compound durations
//! such as `1h-5m`, numbers with `0x`/`0o`/`0b` prefixes and SI/IEC suffixes such as `1Ki` or `5MB`).
//!
//! Pure; knows nothing about grammar. Keywords (`by`, `offset`, `and`…) are plain identifiers here.

use super::ast::Span;
use super::error::ParseError;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    At,
    /// An identifier; may start with `:` (used for subquery steps such as `[5m:1m]`).
    Ident,
    /// A quoted string, quotes included.
    Str,
    /// A positive number, possibly with a suffix (`1Ki`).
    Number,
    /// A positive compound duration (`5m`, `1h30m`, `3i`).
    Duration,
    /// A symbolic binary operator: `+ - * / % ^ == != > < >= <=`.
    Op,
    /// A label-matching operator: `= =~ !~` (`!=` lexes as [`Kind::Op`]).
    MatchOp,
    Eof,
}

/// One token: its kind and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub span: Span,
}

/// Splits `src` into tokens, ending with one [`Kind::Eof`].
pub fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Each iteration consumes at least one byte or returns, so the loop ends.
    loop {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let s = &src[i..];
        let c = b[i];
        if c == b'#' {
            match s.find('\n') {
                Some(n) => {
                    i += n + 1;
                    continue;
                }
                None => break,
            }
        }
        let (kind, len) = match c {
            b'{' => (Kind::LBrace, 1),
            b'}' => (Kind::RBrace, 1),
            b'[' => (Kind::LBracket, 1),
            b']' => (Kind::RBracket, 1),
            b'(' => (Kind::LParen, 1),
            b')' => (Kind::RParen, 1),
            b',' => (Kind::Comma, 1),
            b'@' => (Kind::At, 1),
            _ if is_ident_prefix(s) => (Kind::Ident, scan_ident(s)),
            b'"' | b'\'' | b'`' => match scan_string(s) {
                Some(n) => (Kind::Str, n),
                None => {
                    return Err(ParseError::at(src, i, "unterminated string literal")
                        .with_hint(format!("close it with {}", c as char)));
                }
            },
            _ => {
                if let Some(n) = scan_op(s) {
                    (Kind::Op, n)
                } else if let Some(n) = scan_match_op(s) {
                    (Kind::MatchOp, n)
                } else if let Some(n) = scan_duration(s) {
                    (Kind::Duration, n)
                } else if is_positive_number_prefix(s) {
                    match scan_positive_number(s) {
                        Ok(n) => (Kind::Number, n),
                        Err(msg) => return Err(ParseError::at(src, i, msg)),
                    }
                } else {
                    let ch = s.chars().next().unwrap_or('?');
                    return Err(ParseError::at(
                        src,
                        i,
                        format!("unexpected character {ch:?}"),
                    ));
                }
            }
        };
        out.push(Token {
            kind,
            span: Span::new(i, i + len),
        });
        i += len;
    }
    out.push(Token {
        kind: Kind::Eof,
        span: Span::new(src.len(), src.len()),
    });
    Ok(out)
}

pub fn is_first_ident_char(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':'
}

pub fn is_ident_char(c: u8) -> bool {
    is_first_ident_char(c) || c.is_ascii_digit() || c == b'.'
}

fn is_ident_prefix(s: &str) -> bool {
    s.as_bytes()
        .first()
        .is_some_and(|&c| c == b'\\' || is_first_ident_char(c))
}

/// Length of the identifier at the start of `s` (backslash escapes the next character, whatever it is).
fn scan_ident(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if is_ident_char(b[i]) {
            i += 1;
        } else if b[i] == b'\\' {
            i += 1;
            if let Some(ch) = s[i..].chars().next() {
                i += ch.len_utf8();
            }
        } else {
            break;
        }
    }
    i
}

/// Length of the quoted string at the start of `s`; a quote preceded by an odd number of backslashes does not
/// close it (for all three quote styles, as VictoriaMetrics scans them).
fn scan_string(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let quote = b[0];
    let mut i = 1;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == quote {
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

fn scan_op(s: &str) -> Option<usize> {
    for op in ["==", "!=", ">=", "<="] {
        if s.starts_with(op) {
            return Some(2);
        }
    }
    match s.as_bytes()[0] {
        b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'>' | b'<' => Some(1),
        _ => None,
    }
}

fn scan_match_op(s: &str) -> Option<usize> {
    if s.starts_with("=~") || s.starts_with("!~") {
        Some(2)
    } else if s.starts_with('=') {
        Some(1)
    } else {
        None
    }
}

/// Length of the compound duration at the start of `s`: a positive first part, then parts that may be negative.
pub fn scan_duration(s: &str) -> Option<usize> {
    let mut n = scan_single_duration(s, false)?;
    // Each part is at least two bytes long, so this ends.
    while let Some(m) = scan_single_duration(&s[n..], true) {
        n += m;
    }
    Some(n)
}

/// True when all of `s` is one compound duration.
pub fn is_positive_duration(s: &str) -> bool {
    scan_duration(s) == Some(s.len())
}

fn scan_single_duration(s: &str, can_be_negative: bool) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    if can_be_negative && b.first() == Some(&b'-') {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == 0 || i == b.len() {
        return None;
    }
    if b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == b.len() {
            return None;
        }
    }
    match b[i] {
        b'm' if b.get(i + 1) == Some(&b's') => Some(i + 2),
        b'm' | b's' | b'h' | b'd' | b'w' | b'y' | b'i' => Some(i + 1),
        _ => None,
    }
}

/// Milliseconds in a compound duration such as `1h-5m` (`i` counts as one step of `step_ms`), or `None` when a
/// part has no digits.
pub fn duration_ms(s: &str, step_ms: f64) -> Option<f64> {
    let mut rest = s;
    let mut total = 0.0;
    let mut negative = false;
    // Each part consumes at least two bytes, so this ends.
    while !rest.is_empty() {
        let n = scan_single_duration(rest, true)?;
        let part = &rest[..n];
        rest = &rest[n..];
        let (num, mult) = if let Some(p) = part.strip_suffix("ms") {
            (p, 1.0)
        } else {
            let (p, unit) = part.split_at(part.len() - 1);
            let mult = match unit {
                "s" => 1e3,
                "m" => 60e3,
                "h" => 3600e3,
                "d" => 86400e3,
                "w" => 7.0 * 86400e3,
                "y" => 365.0 * 86400e3,
                _ => step_ms,
            };
            (p, mult)
        };
        if !num.bytes().any(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut v = num.parse::<f64>().ok()? * mult;
        if negative && v > 0.0 {
            v = -v;
        }
        if v < 0.0 {
            negative = true;
        }
        total += v;
    }
    Some(total)
}

pub fn is_positive_number_prefix(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'.') => b.get(1).is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// `(prefix length, is hex)` for `0x`, `0o`, `0b` and legacy octal `0NNN`.
fn special_integer_prefix(s: &str) -> (usize, bool) {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'0' {
        return (0, false);
    }
    match b[1].to_ascii_lowercase() {
        c if c.is_ascii_digit() => (1, false),
        b'x' => (2, true),
        b'o' | b'b' => (2, false),
        _ => (0, false),
    }
}

const MULTIPLIERS: [(&str, f64); 16] = [
    ("kib", 1024.0),
    ("ki", 1024.0),
    ("kb", 1e3),
    ("k", 1e3),
    ("mib", 1048576.0),
    ("mi", 1048576.0),
    ("mb", 1e6),
    ("m", 1e6),
    ("gib", 1073741824.0),
    ("gi", 1073741824.0),
    ("gb", 1e9),
    ("g", 1e9),
    ("tib", 1099511627776.0),
    ("ti", 1099511627776.0),
    ("tb", 1e12),
    ("t", 1e12),
];

fn scan_multiplier(s: &str) -> usize {
    let lower = s.get(..s.len().min(3)).unwrap_or("").to_ascii_lowercase();
    MULTIPLIERS
        .iter()
        .find(|(suffix, _)| lower.starts_with(suffix))
        .map_or(0, |(suffix, _)| suffix.len())
}

fn scan_positive_number(s: &str) -> Result<usize, String> {
    let b = s.as_bytes();
    let (skip, hex) = special_integer_prefix(s);
    let mut i = skip;
    if hex {
        while i < b.len() && b[i].is_ascii_hexdigit() {
            i += 1;
        }
        return Ok(i);
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == b.len() {
        return Ok(i);
    }
    let m = scan_multiplier(&s[i..]);
    if m > 0 {
        return Ok(i + m);
    }
    if b[i] != b'.' && b[i] != b'e' && b[i] != b'E' {
        return Ok(i);
    }
    if b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == b.len() {
            return Ok(i);
        }
    }
    let m = scan_multiplier(&s[i..]);
    if m > 0 {
        return Ok(i + m);
    }
    if b[i] != b'e' && b[i] != b'E' {
        return Ok(i);
    }
    i += 1;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let j = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == j {
        return Err(format!("missing exponent in number {:?}", &s[..i]));
    }
    Ok(i)
}

/// The value of a positive number token such as `12`, `1.5e3`, `0x1F`, `017` or `2Ki`.
pub fn parse_positive_number(s: &str) -> Result<f64, String> {
    let err = || format!("cannot parse number {s:?}");
    let (skip, hex) = special_integer_prefix(s);
    if skip > 0 {
        let lower = s.to_ascii_lowercase();
        let (digits, radix) = match (hex, lower.as_bytes()[1]) {
            (true, _) => (&lower[2..], 16),
            (false, b'o') => (&lower[2..], 8),
            (false, b'b') => (&lower[2..], 2),
            _ => (&lower[1..], 8),
        };
        return i64::from_str_radix(digits, radix)
            .ok()
            .filter(|_| !digits.starts_with(['+', '-']))
            .map(|n| n as f64)
            .ok_or_else(err);
    }
    let lower = s.to_ascii_lowercase();
    let (num, mult) = MULTIPLIERS
        .iter()
        .find(|(suffix, _)| lower.ends_with(suffix))
        .map_or((lower.as_str(), 1.0), |(suffix, m)| {
            (&lower[..lower.len() - suffix.len()], *m)
        });
    if num.is_empty()
        || !num
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-'))
    {
        return Err(err());
    }
    num.parse::<f64>().map(|v| v * mult).map_err(|_| err())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(Kind, &str)> {
        tokenize(s)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, &s[t.span.start..t.span.end]))
            .collect()
    }

    #[test]
    fn splits_typical_expression() {
        let toks = kinds(r#"rate(x{a=~"b"}[5m:1m]) # c"#);
        let texts: Vec<&str> = toks.iter().map(|t| t.1).collect();
        assert_eq!(
            texts,
            [
                "rate", "(", "x", "{", "a", "=~", "\"b\"", "}", "[", "5m", ":1m", "]", ")", ""
            ]
        );
    }

    #[test]
    fn durations_and_numbers() {
        assert_eq!(kinds("1h-5m")[0], (Kind::Duration, "1h-5m"));
        assert_eq!(kinds("1.5m")[0], (Kind::Duration, "1.5m"));
        assert_eq!(kinds("1ms")[0], (Kind::Duration, "1ms"));
        assert_eq!(kinds("1M")[0], (Kind::Number, "1M"));
        assert_eq!(kinds("1Ki")[0], (Kind::Number, "1Ki"));
        assert_eq!(kinds("1e3")[0], (Kind::Number, "1e3"));
        assert_eq!(kinds("0x1F")[0], (Kind::Number, "0x1F"));
        assert!(tokenize("1e").is_err());
        assert_eq!(parse_positive_number("1Ki").unwrap(), 1024.0);
        assert_eq!(parse_positive_number("1.5k").unwrap(), 1500.0);
        assert_eq!(parse_positive_number("0x1F").unwrap(), 31.0);
        assert_eq!(parse_positive_number("017").unwrap(), 15.0);
        assert_eq!(parse_positive_number("0b101").unwrap(), 5.0);
        assert!(parse_positive_number("08").is_err());
        assert_eq!(parse_positive_number("1.").unwrap(), 1.0);
    }

    #[test]
    fn unterminated_string_points_at_quote() {
        let e = tokenize("x + \"abc").unwrap_err();
        assert_eq!((e.line, e.column), (1, 5));
    }
}
