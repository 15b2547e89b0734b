//! The `input_series` value notation of promtool and vmalert-tool, expanded into one optional value per step.
//!
//! `a+bxN` gives N+1 values a, a+b, …, a+Nb; `a-bxN` counts down; `axN` repeats a N+1 times; `_` skips one step and
//! `_xN` skips N; `stale` writes a staleness marker; numbers are Go floats (`Inf`, `NaN`, signs, exponents). Pure.

use crate::promql::engine::STALE_NAN;

/// Upper bound on the values one `values` string may expand to; keeps every loop bounded.
pub const MAX_VALUES: u64 = 10_000_000;

/// A notation error: the byte offset of the offending item in the `values` string and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct NotationError {
    pub offset: usize,
    pub message: String,
}

/// Expands `values` into one entry per step: `None` for `_`, `Some(v)` otherwise (`STALE_NAN` for `stale`).
pub fn expand(values: &str) -> Result<Vec<Option<f64>>, NotationError> {
    let mut out = Vec::new();
    let mut offset = 0;
    for item in values.split_ascii_whitespace() {
        // Offsets of items, for error positions.
        let at = values[offset..].find(item).map_or(offset, |i| offset + i);
        offset = at + item.len();
        expand_item(item, &mut out).map_err(|message| NotationError {
            offset: at,
            message,
        })?;
        if out.len() as u64 > MAX_VALUES {
            return Err(NotationError {
                offset: at,
                message: format!("more than {MAX_VALUES} values"),
            });
        }
    }
    Ok(out)
}

fn expand_item(item: &str, out: &mut Vec<Option<f64>>) -> Result<(), String> {
    let (base, times) = match split_times(item) {
        Some((b, n)) => (b, Some(n)),
        None => (item, None),
    };
    if let Some(n) = times
        && n > MAX_VALUES
    {
        return Err(format!("repetition {n} is too large"));
    }
    if base == "_" {
        // `_` is one missing step; `_xN` is N of them.
        let n = times.unwrap_or(1);
        out.extend(std::iter::repeat_n(None, n as usize));
        return Ok(());
    }
    if base == "stale" {
        if times.is_some() {
            return Err(format!(
                "unexpected {item:?} in series values: stale takes no repetition"
            ));
        }
        out.push(Some(STALE_NAN));
        return Ok(());
    }
    let Some(n) = times else {
        out.push(Some(parse_number(item)?));
        return Ok(());
    };
    let (start, step) = match split_step(base) {
        // The step is unsigned: `1+-1x2` is an error in promtool.
        Some((_, _, b)) if b.starts_with(['+', '-']) => return Err(bad(item)),
        Some((a, sign, b)) => (parse_number(a)?, sign * parse_number(b)?),
        None => (parse_number(base)?, 0.0),
    };
    let mut v = start;
    out.push(Some(v));
    for _ in 0..n {
        v += step;
        out.push(Some(v));
    }
    Ok(())
}

/// `BASExN` → (BASE, N) when the item ends in `x` and digits.
fn split_times(item: &str) -> Option<(&str, u64)> {
    let x = item.rfind('x')?;
    let (base, count) = (&item[..x], &item[x + 1..]);
    if base.is_empty() || count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    count.parse().ok().map(|n| (base, n))
}

/// `a+b` / `a-b` → (a, ±1, b). The operator is the first `+` or `-` after the first character that does not follow
/// an exponent marker.
fn split_step(base: &str) -> Option<(&str, f64, &str)> {
    let bytes = base.as_bytes();
    for i in 1..bytes.len() {
        let c = bytes[i];
        if (c == b'+' || c == b'-') && !matches!(bytes[i - 1], b'e' | b'E') {
            let sign = if c == b'+' { 1.0 } else { -1.0 };
            return Some((&base[..i], sign, &base[i + 1..]));
        }
    }
    None
}

/// A series-notation number: decimal with optional exponent, `Inf`/`+Inf`/`-Inf`, `NaN` (any case). No hexadecimal:
/// promtool reads `0x1F` as `0`, `x`, and the bad count `1F`.
pub fn parse_number(text: &str) -> Result<f64, String> {
    let (sign, body) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, &text[1..]),
        Some(b'+') => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    let lower = body.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            let ok = !lower.is_empty()
                && lower
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
                && lower
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_digit() || b == b'.');
            if !ok {
                return Err(bad(text));
            }
            lower.parse::<f64>().map_err(|_| bad(text))?
        }
    };
    Ok(sign * v)
}

fn bad(text: &str) -> String {
    format!("unexpected {text:?} in series values, expected number or \"stale\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(s: &str) -> Vec<Option<f64>> {
        expand(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn table() {
        let n = None;
        for (input, want) in [
            ("1+2x3", vec![Some(1.0), Some(3.0), Some(5.0), Some(7.0)]),
            ("10-3x2", vec![Some(10.0), Some(7.0), Some(4.0)]),
            ("5x2", vec![Some(5.0); 3]),
            ("-1+1x2", vec![Some(-1.0), Some(0.0), Some(1.0)]),
            ("-1-1x1", vec![Some(-1.0), Some(-2.0)]),
            (
                "1e3 1e-3 1e+2x1",
                vec![Some(1e3), Some(1e-3), Some(100.0), Some(100.0)],
            ),
            ("1e-3+1e-3x1", vec![Some(1e-3), Some(2e-3)]),
            ("_ 1 _x2 2", vec![n, Some(1.0), n, n, Some(2.0)]),
            ("1x0", vec![Some(1.0)]),
            ("", vec![]),
            ("0x10", vec![Some(0.0); 11]),
        ] {
            assert_eq!(vals(input), want, "{input}");
        }
    }

    #[test]
    fn specials() {
        let v = vals("Inf -Inf +Inf NaN stale");
        assert_eq!(v[0], Some(f64::INFINITY));
        assert_eq!(v[1], Some(f64::NEG_INFINITY));
        assert_eq!(v[2], Some(f64::INFINITY));
        assert!(v[3].is_some_and(f64::is_nan));
        assert!(v[4].is_some_and(crate::promql::engine::is_stale_nan));
    }

    #[test]
    fn errors_carry_offsets() {
        let e = expand("1x3 foo").err();
        assert_eq!(e.map(|e| e.offset), Some(4));
        assert!(expand("stalex2").is_err());
        assert!(expand("1+x2").is_err());
        assert!(expand("abc").is_err());
        assert!(expand("1x99999999999").is_err());
        assert!(expand("0x1F").is_err());
        assert!(expand("1+-1x2").is_err());
        assert!(expand("1_000").is_err());
    }
}
