//! Go's float64 formatting (`strconv.FormatFloat` with 'e', 'f', 'g' and shortest precision, as `fmt` uses it).
//!
//! Digits come from Rust's correctly rounded formatting (shortest round-trip, ties to even, as Go); the layout
//! (exponent form, two-digit exponents, the %g switch rule) is Go's.

/// Decimal digits without leading or trailing zeros and the decimal point position (value = 0.DIGITS × 10^dp).
struct Digits {
    d: Vec<u8>,
    dp: i32,
}

fn from_sci(s: &str) -> Digits {
    // s looks like "1.2345e-7" or "0e0".
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return Digits { d, dp: 0 };
    }
    Digits { d, dp: exp + 1 }
}

fn shortest(v: f64) -> Digits {
    from_sci(&format!("{:e}", v.abs()))
}

fn significant(v: f64, n: usize) -> Digits {
    from_sci(&format!("{:.*e}", n.saturating_sub(1), v.abs()))
}

fn special(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("NaN".into())
    } else if v.is_infinite() {
        Some(if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        })
    } else {
        None
    }
}

fn sign(v: f64) -> &'static str {
    if v.is_sign_negative() { "-" } else { "" }
}

fn fmt_e(out: &mut String, d: &Digits, prec: usize, e: char) {
    out.push(d.d.first().map_or('0', |&c| c as char));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(d.d.get(i).map_or('0', |&c| c as char));
        }
    }
    out.push(e);
    let exp = if d.d.is_empty() { 0 } else { d.dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
}

fn fmt_f(out: &mut String, d: &Digits, prec: usize) {
    if d.dp > 0 {
        for i in 0..d.dp as usize {
            out.push(d.d.get(i).map_or('0', |&c| c as char));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i64 {
            let j = i64::from(d.dp) + i - 1;
            let c = if j >= 0 {
                d.d.get(j as usize).map_or('0', |&c| c as char)
            } else {
                '0'
            };
            out.push(c);
        }
    }
}

/// Go's `%v` of a float64, i.e. `strconv.FormatFloat(v, 'g', -1, 64)` with fmt's `+Inf`: 100000 → `100000`,
/// 1234567 → `1.234567e+06`, 1e-05 → `1e-05`, NaN → `NaN`.
pub fn go_float_v(v: f64) -> String {
    go_float_g(v, None, 'e')
}

/// Go's `%g` / `%G` (`e` is `'e'` or `'E'`) with an optional precision (significant digits).
pub fn go_float_g(v: f64, prec: Option<usize>, e: char) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    let (d, mut p, is_shortest) = match prec {
        None => {
            let d = shortest(v);
            let n = d.d.len().max(1);
            (d, n, true)
        }
        Some(p) => {
            let p = p.max(1);
            (significant(v, p), p, false)
        }
    };
    let nd = d.d.len();
    let mut eprec = p;
    if eprec > nd && nd as i32 >= d.dp {
        eprec = nd;
    }
    if is_shortest {
        eprec = 6;
    }
    let exp = if nd == 0 { -1 } else { d.dp - 1 };
    let mut out = String::from(sign(v));
    // Zero has no digits; Go treats it as dp 0, exponent -1 which selects the %f form.
    if nd != 0 && (exp < -4 || exp >= eprec as i32) {
        if p > nd {
            p = nd;
        }
        fmt_e(&mut out, &d, p.saturating_sub(1), e);
        return out;
    }
    if p as i32 > d.dp {
        p = nd;
    }
    fmt_f(&mut out, &d, (p as i32 - d.dp).max(0) as usize);
    out
}

/// Go's `%e` / `%E` with a precision (digits after the point; `None` is shortest).
pub fn go_float_e(v: f64, prec: Option<usize>, e: char) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    let mut out = String::from(sign(v));
    match prec {
        None => {
            let d = shortest(v);
            let p = d.d.len().max(1) - 1;
            fmt_e(&mut out, &d, p, e);
        }
        Some(p) => fmt_e(&mut out, &significant(v, p + 1), p, e),
    }
    out
}

/// Go's `%f` with a precision (`None` is shortest).
pub fn go_float_f(v: f64, prec: Option<usize>) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    match prec {
        None => {
            let d = shortest(v);
            let mut out = String::from(sign(v));
            fmt_f(&mut out, &d, (d.d.len() as i32 - d.dp).max(0) as usize);
            out
        }
        Some(p) => {
            let s = format!("{:.*}", p, v.abs());
            format!("{}{s}", sign(v))
        }
    }
}

/// Go's `%x` / `%X` of a float64 with shortest precision: `-0x1.4p+01`.
pub fn go_float_x(v: f64, upper: bool) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    let bits = v.to_bits();
    let mut exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let mut out = String::from(sign(v));
    if exp == 0 && mant == 0 {
        out.push_str("0x0p+00");
    } else {
        if exp == 0 {
            // Subnormal: normalise so the leading bit becomes the implicit one.
            exp = 1;
            while mant & (1u64 << 52) == 0 {
                mant <<= 1;
                exp -= 1;
            }
            mant &= (1u64 << 52) - 1;
        }
        let e = exp - 1023;
        let mut hex = format!("{mant:013x}");
        while hex.ends_with('0') {
            hex.pop();
        }
        out.push_str("0x1");
        if !hex.is_empty() {
            out.push('.');
            out.push_str(&hex);
        }
        out.push('p');
        out.push(if e < 0 { '-' } else { '+' });
        let a = e.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    }
    if upper { out.to_uppercase() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v_forms() {
        for (v, s) in [
            (100000.0, "100000"),
            (1234567.0, "1.234567e+06"),
            (1e-05, "1e-05"),
            (0.0001, "0.0001"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1e21, "1e+21"),
            (1.5, "1.5"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (5e-324, "5e-324"),
            (123456.0, "123456"),
        ] {
            assert_eq!(go_float_v(v), s, "{v}");
        }
    }

    #[test]
    fn precision_forms() {
        assert_eq!(go_float_g(1234.5678, Some(4), 'e'), "1235");
        assert_eq!(go_float_g(0.000012345, Some(4), 'e'), "1.234e-05");
        assert_eq!(go_float_g(12345.0, Some(4), 'e'), "1.234e+04");
        assert_eq!(go_float_g(1.0, Some(4), 'e'), "1");
        assert_eq!(go_float_e(1234.5678, Some(2), 'e'), "1.23e+03");
        assert_eq!(go_float_f(2.5, Some(0)), "2");
        assert_eq!(go_float_f(0.125, Some(2)), "0.12");
        assert_eq!(go_float_e(0.0, None, 'e'), "0e+00");
    }
}
