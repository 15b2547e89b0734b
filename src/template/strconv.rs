//! Go `strconv` pieces the template language needs: unquoting literals and parsing number literals.
//!
//! Only the syntax of Go literals as Go's `strconv.Unquote`, `ParseInt(s, 0, 64)` and `ParseFloat` accept it; no
//! formatting (see `fmt/`).

/// Go's `strconv.Unquote` for `"..."`, `` `...` `` and `'.'`; the error text is Go's `invalid syntax`.
pub fn unquote(s: &str) -> Result<String, &'static str> {
    const BAD: &str = "invalid syntax";
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b[b.len() - 1] {
        return Err(BAD);
    }
    let inner = &s[1..s.len() - 1];
    match b[0] {
        b'`' => {
            if inner.contains('`') {
                return Err(BAD);
            }
            Ok(inner.replace('\r', ""))
        }
        q @ (b'"' | b'\'') => {
            let mut out = String::new();
            let mut rest = inner;
            let mut n = 0;
            while !rest.is_empty() {
                let (c, tail) = unquote_char(rest, q as char)?;
                out.push_str(&c);
                rest = tail;
                n += 1;
            }
            if q == b'\'' && n != 1 {
                return Err(BAD);
            }
            Ok(out)
        }
        _ => Err(BAD),
    }
}

/// Decodes one (possibly escaped) character; a `\x` escape may produce a byte that is not UTF-8 on its own,
/// which is kept as U+FFFD since Rust strings hold UTF-8 only.
fn unquote_char(s: &str, quote: char) -> Result<(String, &str), &'static str> {
    const BAD: &str = "invalid syntax";
    let mut chars = s.chars();
    let c = chars.next().ok_or(BAD)?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err(BAD);
    }
    if c == '\n' {
        return Err(BAD);
    }
    if c != '\\' {
        return Ok((c.to_string(), chars.as_str()));
    }
    let e = chars.next().ok_or(BAD)?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e != quote {
                return Err(BAD);
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((c.to_string(), rest));
    }
    let (len, radix) = match e {
        'x' => (2, 16),
        'u' => (4, 16),
        'U' => (8, 16),
        '0'..='7' => (2, 8),
        _ => return Err(BAD),
    };
    if e.is_ascii_digit() {
        let digits = rest.get(..len).ok_or(BAD)?;
        let v = u32::from_str_radix(&format!("{e}{digits}"), 8).map_err(|_| BAD)?;
        if v > 255 || !digits.chars().all(|c| c.is_digit(8)) {
            return Err(BAD);
        }
        return Ok((byte_char(v as u8), &rest[len..]));
    }
    let digits = rest.get(..len).ok_or(BAD)?;
    if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(BAD);
    }
    let v = u32::from_str_radix(digits, radix).map_err(|_| BAD)?;
    if e == 'x' {
        return Ok((byte_char(v as u8), &rest[len..]));
    }
    let c = char::from_u32(v).ok_or(BAD)?;
    Ok((c.to_string(), &rest[len..]))
}

fn byte_char(b: u8) -> String {
    if b.is_ascii() {
        (b as char).to_string()
    } else {
        '\u{FFFD}'.to_string()
    }
}

/// Go's `underscoreOK`: underscores only between digits or after a base prefix.
fn underscore_ok(s: &str) -> bool {
    let b = s.trim_start_matches(['+', '-']).as_bytes();
    let mut prev_digit = false;
    let mut i = 0;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'x' | b'o' | b'b') {
        i = 2;
        prev_digit = true;
    }
    while i < b.len() {
        let c = b[i];
        if c == b'_' {
            if !prev_digit {
                return false;
            }
            prev_digit = false;
        } else {
            prev_digit = c.is_ascii_hexdigit();
        }
        i += 1;
    }
    prev_digit || !s.ends_with('_')
}

fn split_base(s: &str) -> (bool, u32, String) {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string())
    } else {
        (10, lower)
    };
    (neg, radix, digits)
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
pub fn parse_uint(s: &str) -> Option<u64> {
    if s.starts_with(['+', '-']) || (s.contains('_') && !underscore_ok(s)) {
        return None;
    }
    let (_, radix, digits) = split_base(s);
    let digits = digits.replace('_', "");
    if digits.is_empty() || digits.starts_with('+') {
        return None;
    }
    u64::from_str_radix(&digits, radix).ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
pub fn parse_int(s: &str) -> Option<i64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let (neg, radix, digits) = split_base(s);
    let digits = digits.replace('_', "");
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    let v = i128::from(u64::from_str_radix(&digits, radix).ok()?);
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms and Inf/NaN spellings; hex floats are rare in templates
/// and parsed through their mantissa and exponent.
pub fn parse_float(s: &str) -> Result<f64, FloatError> {
    if s.contains('_') && !underscore_ok(s) {
        return Err(FloatError::Syntax);
    }
    let t = s.replace('_', "");
    let body = t.trim_start_matches(['+', '-']);
    let neg = t.starts_with('-');
    let lower = body.to_ascii_lowercase();
    if t.len() - body.len() > 1 {
        return Err(FloatError::Syntax);
    }
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ if lower.starts_with("0x") => parse_hex_float(&lower[2..]).ok_or(FloatError::Syntax)?,
        _ => {
            if body.is_empty()
                || !body
                    .bytes()
                    .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
                || !body.bytes().any(|c| c.is_ascii_digit())
                || body.starts_with(['e', 'E'])
            {
                return Err(FloatError::Syntax);
            }
            body.parse::<f64>().map_err(|_| FloatError::Syntax)?
        }
    };
    let v = if neg { -v } else { v };
    if v.is_infinite() && !lower.starts_with("inf") {
        return Err(FloatError::Range(v));
    }
    Ok(v)
}

/// Why `parse_float` failed: Go reports `invalid syntax` or `value out of range` (with ±Inf as the value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FloatError {
    Syntax,
    Range(f64),
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find('p') {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars().chain(frac.chars()) {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    Some(v * 2f64.powi(exp - 4 * frac.len() as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes() {
        assert_eq!(unquote(r#""a\tb\u00e9""#), Ok("a\tbé".into()));
        assert_eq!(unquote("`a\\n`"), Ok("a\\n".into()));
        assert_eq!(unquote("'x'"), Ok("x".into()));
        assert!(unquote(r#""\q""#).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("-0b11"), Some(-3));
        assert_eq!(parse_int("017"), Some(15));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(parse_float("1e3"), Ok(1000.0));
        assert_eq!(parse_float("1e400"), Err(FloatError::Range(f64::INFINITY)));
        assert!(parse_float("abc").is_err());
    }
}
