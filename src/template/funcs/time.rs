//! Time functions and Go's time printing: `toTime`, `parseDuration`, vmalert's `now`, `parseDurationTime`,
//! `formatTime`, Go's `time.Time` / `time.Duration` `String()` and the few methods templates call on them.
//!
//! Times are UTC nanoseconds since the Unix epoch; no clock is read here (`now` comes from the render context).

use std::time::SystemTime;

use super::super::value::Value;
use super::humanize::to_float;

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    min: i64,
    sec: i64,
    nanos: i64,
    weekday: usize,
}

fn parts(nanos: i128) -> Parts {
    let secs = nanos.div_euclid(1_000_000_000) as i64;
    let frac = nanos.rem_euclid(1_000_000_000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    Parts {
        year,
        month,
        day,
        hour: rem / 3600,
        min: rem % 3600 / 60,
        sec: rem % 60,
        nanos: frac,
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

/// Go's `time.Time.String()` for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`.
pub fn go_time_string(nanos: i128) -> String {
    format_layout(nanos, "2006-01-02 15:04:05.999999999 -0700 MST")
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Writes one layout element.
type Emit<'a> = dyn Fn(&mut String) + 'a;

/// Formats a UTC time with a Go reference layout (`2006-01-02T15:04:05Z07:00` and friends).
pub fn format_layout(nanos: i128, layout: &str) -> String {
    let p = parts(nanos);
    let mut out = String::new();
    let mut rest = layout;
    // Each iteration consumes at least one character of the layout.
    while let Some(c) = rest.chars().next() {
        let tokens: &[(&str, &Emit)] = &[
            ("January", &|o: &mut String| {
                o.push_str(MONTHS[p.month as usize - 1])
            }),
            ("Jan", &|o: &mut String| {
                o.push_str(&MONTHS[p.month as usize - 1][..3])
            }),
            ("Monday", &|o: &mut String| o.push_str(DAYS[p.weekday])),
            ("Mon", &|o: &mut String| o.push_str(&DAYS[p.weekday][..3])),
            ("MST", &|o: &mut String| o.push_str("UTC")),
            ("2006", &|o: &mut String| {
                o.push_str(&format!("{:04}", p.year))
            }),
            ("-07:00:00", &|o: &mut String| o.push_str("+00:00:00")),
            ("-0700", &|o: &mut String| o.push_str("+0000")),
            ("-07:00", &|o: &mut String| o.push_str("+00:00")),
            ("-07", &|o: &mut String| o.push_str("+00")),
            ("Z07:00", &|o: &mut String| o.push('Z')),
            ("Z0700", &|o: &mut String| o.push('Z')),
            ("Z07", &|o: &mut String| o.push('Z')),
            ("01", &|o: &mut String| {
                o.push_str(&format!("{:02}", p.month))
            }),
            ("02", &|o: &mut String| o.push_str(&format!("{:02}", p.day))),
            ("_2", &|o: &mut String| o.push_str(&format!("{:>2}", p.day))),
            ("06", &|o: &mut String| {
                o.push_str(&format!("{:02}", p.year.rem_euclid(100)))
            }),
            ("15", &|o: &mut String| {
                o.push_str(&format!("{:02}", p.hour))
            }),
            ("03", &|o: &mut String| {
                o.push_str(&format!("{:02}", (p.hour + 11) % 12 + 1))
            }),
            ("04", &|o: &mut String| o.push_str(&format!("{:02}", p.min))),
            ("05", &|o: &mut String| o.push_str(&format!("{:02}", p.sec))),
            ("PM", &|o: &mut String| {
                o.push_str(if p.hour >= 12 { "PM" } else { "AM" })
            }),
            ("pm", &|o: &mut String| {
                o.push_str(if p.hour >= 12 { "pm" } else { "am" })
            }),
            ("1", &|o: &mut String| o.push_str(&p.month.to_string())),
            ("2", &|o: &mut String| o.push_str(&p.day.to_string())),
            ("3", &|o: &mut String| {
                o.push_str(&((p.hour + 11) % 12 + 1).to_string())
            }),
            ("4", &|o: &mut String| o.push_str(&p.min.to_string())),
            ("5", &|o: &mut String| o.push_str(&p.sec.to_string())),
        ];
        if (c == '.' || c == ',') && rest.len() > 1 {
            let digits = rest[1..]
                .bytes()
                .take_while(|b| *b == b'0' || *b == b'9')
                .count();
            let kind = rest.as_bytes().get(1).copied();
            let after = rest.as_bytes().get(1 + digits).copied();
            if digits > 0
                && !after.is_some_and(|b| b.is_ascii_digit())
                && rest[1..1 + digits].bytes().all(|b| Some(b) == kind)
            {
                let frac = format!("{:09}", p.nanos);
                let mut f = frac[..digits.min(9)].to_string();
                if kind == Some(b'9') {
                    while f.ends_with('0') {
                        f.pop();
                    }
                }
                if !f.is_empty() || kind == Some(b'0') {
                    out.push(c);
                    out.push_str(&f);
                }
                rest = &rest[1 + digits..];
                continue;
            }
        }
        if let Some((tok, f)) = tokens.iter().find(|(t, _)| rest.starts_with(t)) {
            f(&mut out);
            rest = &rest[tok.len()..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Go's `time.Duration.String()`.
pub fn go_duration_string(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    let frac = |v: u64, unit: u64, digits: usize| -> String {
        let whole = v / unit;
        let rem = v % unit;
        if rem == 0 {
            return whole.to_string();
        }
        let mut f = format!("{:0width$}", rem, width = digits);
        while f.ends_with('0') {
            f.pop();
        }
        format!("{whole}.{f}")
    };
    if u < 1_000_000_000 {
        return if u < 1_000 {
            format!("{sign}{u}ns")
        } else if u < 1_000_000 {
            format!("{sign}{}\u{b5}s", frac(u, 1_000, 3))
        } else {
            format!("{sign}{}ms", frac(u, 1_000_000, 6))
        };
    }
    let secs = u / 1_000_000_000;
    let ns = u % 1_000_000_000;
    let h = secs / 3600;
    let m = secs % 3600 / 60;
    let s = secs % 60;
    let sec = frac(s * 1_000_000_000 + ns, 1_000_000_000, 9);
    if h > 0 {
        format!("{sign}{h}h{m}m{sec}s")
    } else if m > 0 {
        format!("{sign}{m}m{sec}s")
    } else {
        format!("{sign}{sec}s")
    }
}

/// Prometheus's `floatToTime`: seconds to UTC nanoseconds, refusing NaN, Inf and int64 overflow.
pub fn float_to_time(v: f64) -> Result<i128, String> {
    if v.is_nan() || v.is_infinite() {
        return Err("value is NaN or Inf".into());
    }
    let ts = v * 1e9;
    if ts > i64::MAX as f64 || ts < i64::MIN as f64 {
        return Err(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            super::super::fmt::go_float_v(v)
        ));
    }
    // Prometheus goes through model.Time, which keeps milliseconds (truncating toward zero).
    let millis = (ts as i64) / 1_000_000;
    Ok(i128::from(millis) * 1_000_000)
}

/// `toTime`: a number of seconds as `*time.Time`.
pub fn to_time(v: &Value) -> Result<Value, String> {
    let f = to_float(v)?;
    Ok(Value::Time {
        nanos: float_to_time(f)?,
        ptr: true,
    })
}

/// Prometheus's `model.ParseDuration` in nanoseconds: `1y2w3d4h5m6s7ms`, each unit at most once, in order.
pub fn parse_duration_nanos(s: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "not a valid duration string: {}",
            super::super::fmt::go_quote(s)
        )
    };
    if s.is_empty() {
        return Err("empty duration string".into());
    }
    if s == "0" {
        return Ok(0);
    }
    const UNITS: [(&str, i128); 7] = [
        ("y", 365 * 86_400_000_000_000),
        ("w", 7 * 86_400_000_000_000),
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
    ];
    let mut rest = s;
    let mut next_unit = 0;
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        let num: i128 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let unit_len = if rest.starts_with("ms") {
            2
        } else {
            rest.chars().next().map_or(0, char::len_utf8)
        };
        let unit = &rest[..unit_len];
        let Some(i) = UNITS.iter().position(|(u, _)| *u == unit) else {
            return Err(bad());
        };
        if i < next_unit {
            return Err(bad());
        }
        next_unit = i + 1;
        total += num * UNITS[i].1;
        if total > i128::from(i64::MAX) {
            return Err("duration out of range".into());
        }
        rest = &rest[unit_len..];
    }
    Ok(total as i64)
}

/// `parseDuration`: a Prometheus duration string in seconds.
pub fn parse_duration(s: &str) -> Result<f64, String> {
    Ok(parse_duration_nanos(s)? as f64 / 1e9)
}

pub fn unix_seconds(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

pub fn system_time_nanos(t: SystemTime) -> i128 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// vmalert's `formatTime`: a time (or Unix seconds) printed with a Go layout.
pub fn format_time(v: &Value, layout: &str) -> Result<Value, String> {
    let nanos = match v {
        Value::Time { nanos, .. } => *nanos,
        other => float_to_time(to_float(other)?)?,
    };
    Ok(Value::str(&format_layout(nanos, layout)))
}

type Method = Box<dyn Fn(&[Value]) -> Result<Value, String>>;

/// Methods of `time.Time` and `time.Duration` that templates call (`$activeAt.Unix`, `.For.Seconds`).
pub fn method(receiver: &Value, name: &str) -> Option<Method> {
    match receiver {
        Value::Time { nanos, .. } => {
            let n = *nanos;
            let f: Method = match name {
                "Unix" => Box::new(move |_| Ok(Value::Int(n.div_euclid(1_000_000_000) as i64))),
                "UnixMilli" => Box::new(move |_| Ok(Value::Int(n.div_euclid(1_000_000) as i64))),
                "UnixNano" => Box::new(move |_| Ok(Value::Int(n as i64))),
                "UTC" | "Local" => Box::new(move |_| {
                    Ok(Value::Time {
                        nanos: n,
                        ptr: false,
                    })
                }),
                "String" => Box::new(move |_| Ok(Value::str(&go_time_string(n)))),
                "Year" => Box::new(move |_| Ok(Value::Int(parts(n).year))),
                "Format" => Box::new(move |a: &[Value]| match a {
                    [Value::Str(l)] => Ok(Value::str(&format_layout(n, l))),
                    _ => Err("wrong arguments for Format".into()),
                }),
                _ => return None,
            };
            Some(f)
        }
        Value::Duration(d) => {
            let d = *d;
            let f: Method = match name {
                "Seconds" => Box::new(move |_| Ok(Value::Float(d as f64 / 1e9))),
                "Minutes" => Box::new(move |_| Ok(Value::Float(d as f64 / 6e10))),
                "Hours" => Box::new(move |_| Ok(Value::Float(d as f64 / 3.6e12))),
                "Milliseconds" => Box::new(move |_| Ok(Value::Int(d / 1_000_000))),
                "String" => Box::new(move |_| Ok(Value::str(&go_duration_string(d)))),
                _ => return None,
            };
            Some(f)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_times_and_durations() {
        assert_eq!(go_time_string(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(
            go_time_string(1_600_000_000_500_000_000),
            "2020-09-13 12:26:40.5 +0000 UTC"
        );
        assert_eq!(go_duration_string(90 * 60 * 1_000_000_000), "1h30m0s");
        assert_eq!(go_duration_string(1_500_000), "1.5ms");
        assert_eq!(parse_duration("1h30m").unwrap(), 5400.0);
        assert!(parse_duration("1.5h").is_err());
        assert_eq!(
            format_layout(0, "2006-01-02T15:04:05Z07:00 Mon Jan"),
            "1970-01-01T00:00:00Z Thu Jan"
        );
    }
}
