//! String literals and identifiers as VictoriaMetrics reads and writes them: Go's `strconv.Unquote` rules for
//! the three quote styles, backslash-escaped identifiers, and the inverse for printing.
//!
//! Pure text functions; no knowledge of the grammar.

use super::lexer::{is_first_ident_char, is_ident_char};

/// The value of a quoted token (`"a\n"`, `'it\'s'`, `` `raw` ``), or why it is not valid.
pub fn unquote(token: &str) -> Result<String, String> {
    let bad = || format!("invalid string literal {token}");
    let (first, inner) = match token.as_bytes() {
        [q, .., last] if q == last && token.len() >= 2 => (*q, &token[1..token.len() - 1]),
        _ => return Err(bad()),
    };
    match first {
        b'`' => {
            if inner.contains('`') {
                return Err(bad());
            }
            Ok(inner.replace('\r', ""))
        }
        b'\'' => {
            // VictoriaMetrics turns 'x' into "x": \' becomes ', and " becomes \".
            let converted = inner.replace("\\'", "'").replace('"', "\\\"");
            unescape_double(&converted).ok_or_else(bad)
        }
        b'"' => unescape_double(inner).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// Go's rules for the inside of a double-quoted string.
fn unescape_double(s: &str) -> Option<String> {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    // Each iteration consumes at least one byte.
    while i < b.len() {
        let c = b[i];
        if c == b'"' || c == b'\n' {
            return None;
        }
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *b.get(i + 1)?;
        i += 2;
        let simple = match e {
            b'a' => Some(7),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(11),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            continue;
        }
        match e {
            b'0'..=b'7' => {
                let digits = s.get(i - 1..i + 2)?;
                let v = u32::from_str_radix(digits, 8).ok()?;
                out.push(u8::try_from(v).ok()?);
                i += 2;
            }
            b'x' => {
                let v = u8::from_str_radix(s.get(i..i + 2)?, 16).ok()?;
                out.push(v);
                i += 2;
            }
            b'u' | b'U' => {
                let n = if e == b'u' { 4 } else { 8 };
                let digits = s.get(i..i + n)?;
                if !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                let ch = char::from_u32(u32::from_str_radix(digits, 16).ok()?)?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += n;
            }
            _ => return None,
        }
    }
    // Go strings may hold any bytes; ours are UTF-8, so invalid sequences become U+FFFD.
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A double-quoted literal that [`unquote`] turns back into `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The name an identifier token stands for: `\x41` is a byte in hex, `\` before anything else keeps it.
pub fn unescape_ident(token: &str) -> String {
    if !token.contains('\\') {
        return token.to_string();
    }
    let mut out: Vec<u8> = Vec::with_capacity(token.len());
    let b = token.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        if i >= b.len() {
            break;
        }
        if b[i] == b'x' && i + 2 < b.len() && hex(b[i + 1]).is_some() && hex(b[i + 2]).is_some() {
            let v = hex(b[i + 1]).unwrap_or(0) * 16 + hex(b[i + 2]).unwrap_or(0);
            out.push(v);
            i += 3;
        } else {
            let ch_len = token[i..].chars().next().map_or(1, char::len_utf8);
            out.extend_from_slice(&b[i..i + ch_len]);
            i += ch_len;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// An identifier token that [`unescape_ident`] turns back into `name`.
pub fn escape_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, ch) in name.char_indices() {
        if ch.is_ascii() && is_ident_char(ch as u8) {
            if i == 0 && !is_first_ident_char(ch as u8) {
                out.push_str(&format!("\\x{:02x}", ch as u32));
            } else {
                out.push(ch);
            }
        } else if ch.is_ascii_control() {
            out.push_str(&format!("\\x{:02x}", ch as u32));
        } else {
            out.push('\\');
            out.push(ch);
        }
    }
    if out.is_empty() {
        // An empty name cannot be written as an identifier; callers print `{__name__=""}` instead.
        out.push_str("\\x00");
    }
    out
}

/// Go's RE2 reads a `{` that does not start a repetition (`a{`, `{x}`) as a literal brace; Rust's `regex` refuses
/// it. Escapes such braces so both accept the same patterns.
fn go_braces(re: &str) -> String {
    let b = re.as_bytes();
    let mut out = String::with_capacity(re.len() + 4);
    let mut in_class = false;
    let mut i = 0;
    // Each iteration consumes at least one byte.
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            let n = re[i + 1..].chars().next().map_or(0, char::len_utf8);
            out.push_str(&re[i..i + 1 + n]);
            i += 1 + n;
            continue;
        }
        if in_class {
            in_class = c != b']';
        } else if c == b'[' {
            in_class = true;
            // A `]` right after `[` or `[^` is literal.
            let mut j = i + 1;
            if b.get(j) == Some(&b'^') {
                j += 1;
            }
            if b.get(j) == Some(&b']') {
                out.push_str(&re[i..=j]);
                i = j + 1;
                continue;
            }
        } else if c == b'{' && !is_repetition(&re[i..]) {
            out.push_str("\\{");
            i += 1;
            continue;
        }
        let n = re[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&re[i..i + n]);
        i += n;
    }
    out
}

/// True when `s` starts with `{n}`, `{n,}` or `{n,m}`.
fn is_repetition(s: &str) -> bool {
    let Some(end) = s.find('}') else { return false };
    let inner = &s[1..end];
    let (lo, hi) = inner.split_once(',').unwrap_or((inner, "0"));
    !lo.is_empty()
        && lo.bytes().all(|c| c.is_ascii_digit())
        && hi.bytes().all(|c| c.is_ascii_digit())
}

/// Checks a label regex the way VictoriaMetrics compiles it (anchored at both ends).
pub fn check_regex(re: &str) -> Result<(), String> {
    // Syntax only: compiling the automaton would cost far more and add Rust's size limits, which Go does not have.
    regex_syntax::Parser::new()
        .parse(&format!("^(?:{})$", go_braces(re)))
        .map(|_| ())
        .map_err(|e| {
            let detail = e.to_string();
            let last = detail
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            format!(
                "invalid regexp {re:?}: {}",
                last.trim_start_matches("error: ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_like_go() {
        assert_eq!(unquote(r#""a\nb""#).unwrap(), "a\nb");
        assert_eq!(unquote(r"'it\'s'").unwrap(), "it's");
        assert_eq!(unquote(r#"'say "hi"'"#).unwrap(), "say \"hi\"");
        assert_eq!(unquote(r"`a\d`").unwrap(), r"a\d");
        assert_eq!(unquote(r#""\x41\101\u00e9""#).unwrap(), "AAé");
        assert!(unquote(r#""\'""#).is_err());
        assert!(unquote(r#""\d""#).is_err());
    }

    #[test]
    fn quote_round_trips() {
        for s in ["", "a\"b\\c", "tab\there", "é", "\u{1}", "\u{7f}"] {
            assert_eq!(unquote(&quote(s)).unwrap(), s);
        }
    }

    #[test]
    fn regexes_follow_go() {
        assert!(check_regex("a{").is_ok());
        assert!(check_regex("{x}").is_ok());
        assert!(check_regex("a{2,3}").is_ok());
        assert!(check_regex("[{]").is_ok());
        assert!(check_regex("(").is_err());
    }

    #[test]
    fn idents_round_trip() {
        for s in ["foo", "a-b", "1abc", "é", "a b", "x.y:z", "\\", "a\u{1}"] {
            assert_eq!(unescape_ident(&escape_ident(s)), s, "{s}");
        }
        assert_eq!(unescape_ident(r"a\-b"), "a-b");
        assert_eq!(unescape_ident(r"\x41b"), "Ab");
    }
}
