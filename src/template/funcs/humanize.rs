//! `humanize`, `humanize1024`, `humanizeDuration`, `humanizePercentage`, `humanizeTimestamp`: Prometheus's
//! number formatting helpers (prometheus/template/template.go); vmalert's behave the same.
//!
//! All accept float64, integers and numeric strings, as Prometheus's `convertToFloat` does.

use super::super::fmt::go_float_g;
use super::super::strconv::{FloatError, parse_float};
use super::super::value::Value;
use super::time::{float_to_time, go_time_string};

/// Go's `%.4g`.
fn g4(v: f64) -> String {
    go_float_g(v, Some(4), 'e')
}

/// Prometheus's `convertToFloat`: float64, ints and strings (with Go's `strconv.ParseFloat` errors).
pub fn to_float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Byte(b) => Ok(f64::from(*b)),
        Value::Str(s) => parse_float(s).map_err(|e| {
            let q = super::super::fmt::go_quote(s);
            match e {
                FloatError::Syntax => format!("strconv.ParseFloat: parsing {q}: invalid syntax"),
                FloatError::Range(_) => {
                    format!("strconv.ParseFloat: parsing {q}: value out of range")
                }
            }
        }),
        Value::Nil | Value::Invalid => Err("can't convert <nil> to float".into()),
        other => Err(format!("can't convert {} to float", other.type_name())),
    }
}

const SI_UP: [&str; 8] = ["k", "M", "G", "T", "P", "E", "Z", "Y"];
const SI_DOWN: [&str; 8] = ["m", "u", "n", "p", "f", "a", "z", "y"];

fn scale_down(mut v: f64) -> (f64, &'static str) {
    let mut prefix = "";
    for p in SI_DOWN {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    (v, prefix)
}

pub fn humanize(v: &Value) -> Result<String, String> {
    let mut v = to_float(v)?;
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return Ok(g4(v));
    }
    if v.abs() >= 1.0 {
        let mut prefix = "";
        for p in SI_UP {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
        return Ok(format!("{}{prefix}", g4(v)));
    }
    let (v, prefix) = scale_down(v);
    Ok(format!("{}{prefix}", g4(v)))
}

pub fn humanize1024(v: &Value) -> Result<String, String> {
    let mut v = to_float(v)?;
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return Ok(g4(v));
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    Ok(format!("{}{prefix}", g4(v)))
}

pub fn humanize_duration(v: &Value) -> Result<String, String> {
    let mut v = to_float(v)?;
    if v.is_nan() || v.is_infinite() {
        return Ok(g4(v));
    }
    if v == 0.0 {
        return Ok(format!("{}s", g4(v)));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        // Go's int64(v) on amd64 yields the minimum int64 for values out of range.
        let secs = if v >= 9.223_372_036_854_776e18 {
            i64::MIN
        } else {
            v as i64
        };
        let seconds = secs % 60;
        let minutes = (secs / 60) % 60;
        let hours = (secs / 60 / 60) % 24;
        let days = secs / 60 / 60 / 24;
        if days != 0 {
            return Ok(format!("{sign}{days}d {hours}h {minutes}m {seconds}s"));
        }
        if hours != 0 {
            return Ok(format!("{sign}{hours}h {minutes}m {seconds}s"));
        }
        if minutes != 0 {
            return Ok(format!("{sign}{minutes}m {seconds}s"));
        }
        return Ok(format!("{sign}{}s", g4(v)));
    }
    let (v, prefix) = scale_down(v);
    Ok(format!("{}{prefix}s", g4(v)))
}

pub fn humanize_percentage(v: &Value) -> Result<String, String> {
    let v = to_float(v)?;
    Ok(format!("{}%", g4(v * 100.0)))
}

pub fn humanize_timestamp(v: &Value) -> Result<String, String> {
    let v = to_float(v)?;
    if v.is_nan() || v.is_infinite() {
        return Ok(g4(v));
    }
    let nanos = float_to_time(v)?;
    Ok(go_time_string(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanizes() {
        let f = Value::Float;
        assert_eq!(humanize(&f(1234567.0)).unwrap(), "1.235M");
        assert_eq!(humanize(&f(0.001234)).unwrap(), "1.234m");
        assert_eq!(humanize(&Value::str("1e3")).unwrap(), "1k");
        assert_eq!(humanize1024(&f(1048576.0)).unwrap(), "1Mi");
        assert_eq!(humanize_duration(&f(90061.0)).unwrap(), "1d 1h 1m 1s");
        assert_eq!(humanize_duration(&f(0.0015)).unwrap(), "1.5ms");
        assert_eq!(humanize_percentage(&f(0.12345)).unwrap(), "12.35%");
        assert!(humanize(&Value::str("x")).is_err());
    }
}
