//! Durations as rule files write them: Prometheus's strict form (`1h30m`, `90s`, `1d`, `1w`, `1y`, `500ms`) and
//! vmalert's laxer MetricsQL form (fractions such as `1.5h`, any unit order, a leading `-` where a field allows it).
//!
//! Also prints durations the way Prometheus (`model.Duration`) and Go (`time.Duration.String`) print them, since
//! vmalert's identity hashes include Go's form. Pure.

use std::fmt;

/// A signed span of time with millisecond resolution, the resolution of every rule-file duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    millis: i64,
}

/// Which duration grammar a field is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationSyntax {
    /// Prometheus `model.ParseDuration`: integer amounts, units in descending order, each at most once.
    Prometheus,
    /// vmalert's MetricsQL durations: also fractions, any order, repeated units and a sign.
    MetricsQl,
}

const MS: i64 = 1;
const SECOND: i64 = 1000 * MS;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
const YEAR: i64 = 365 * DAY;

/// Units longest first; `ms` must be tried before `m`.
const UNITS: [(&str, i64); 7] = [
    ("ms", MS),
    ("y", YEAR),
    ("w", WEEK),
    ("d", DAY),
    ("h", HOUR),
    ("m", MINUTE),
    ("s", SECOND),
];

impl Duration {
    pub const ZERO: Duration = Duration { millis: 0 };

    pub const fn from_millis(millis: i64) -> Self {
        Duration { millis }
    }

    pub const fn from_secs(secs: i64) -> Self {
        Duration {
            millis: secs * SECOND,
        }
    }

    pub const fn as_millis(self) -> i64 {
        self.millis
    }

    pub fn as_secs_f64(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    pub fn is_negative(self) -> bool {
        self.millis < 0
    }

    pub fn abs(self) -> Duration {
        Duration {
            millis: self.millis.saturating_abs(),
        }
    }

    /// The duration as `std::time::Duration`, or `None` when negative.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.millis)
            .ok()
            .map(std::time::Duration::from_millis)
    }

    /// Parses `text` with the given grammar. The error says what was expected.
    pub fn parse(text: &str, syntax: DurationSyntax) -> Result<Duration, String> {
        match syntax {
            DurationSyntax::Prometheus => parse_prometheus(text),
            DurationSyntax::MetricsQl => parse_metricsql(text),
        }
    }

    /// Go's `time.Duration.String()` form (`1h30m0s`, `5m0s`, `500ms`, `0s`), used in vmalert's group IDs.
    pub fn go_string(self) -> String {
        go_duration_string(self.millis)
    }
}

/// Prints as Prometheus's `model.Duration` does: `1h30m`, `1w`, `0s`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        if self.millis < 0 {
            f.write_str("-")?;
        }
        let mut rest = self.millis.unsigned_abs();
        for (unit, size) in [
            ("y", YEAR),
            ("w", WEEK),
            ("d", DAY),
            ("h", HOUR),
            ("m", MINUTE),
            ("s", SECOND),
            ("ms", MS),
        ] {
            let size = size as u64;
            let n = rest / size;
            if n > 0 {
                write!(f, "{n}{unit}")?;
                rest -= n * size;
            }
        }
        Ok(())
    }
}

fn expected(text: &str) -> String {
    format!(
        "not a valid duration string: {text:?} (expected a number followed by a unit: ms, s, m, h, d, w, y, as in \"1h30m\")"
    )
}

fn parse_prometheus(text: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err("empty duration string".to_string());
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    // Units must appear in this order, each at most once.
    const ORDER: [&str; 7] = ["y", "w", "d", "h", "m", "s", "ms"];
    let mut rest = text;
    let mut next_unit = 0;
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(expected(text));
        }
        let amount: i64 = rest[..digits].parse().map_err(|_| expected(text))?;
        rest = &rest[digits..];
        let (unit, size) = take_unit(&mut rest).ok_or_else(|| expected(text))?;
        let index = ORDER
            .iter()
            .position(|u| *u == unit)
            .ok_or_else(|| expected(text))?;
        if index < next_unit {
            return Err(expected(text));
        }
        next_unit = index + 1;
        total = amount
            .checked_mul(size)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration {text:?} is too long"))?;
    }
    Ok(Duration { millis: total })
}

/// Takes the unit at the start of `rest` (longest first, so `ms` before `m`) and returns it with its size.
fn take_unit(rest: &mut &str) -> Option<(&'static str, i64)> {
    let (unit, size) = UNITS.iter().find(|(u, _)| rest.starts_with(u)).copied()?;
    *rest = &rest[unit.len()..];
    Some((unit, size))
}

fn parse_metricsql(text: &str) -> Result<Duration, String> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if body.is_empty() {
        return Err("empty duration string".to_string());
    }
    if body == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = body;
    let mut total = 0f64;
    while !rest.is_empty() {
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if len == 0 {
            return Err(expected(text));
        }
        let amount: f64 = rest[..len].parse().map_err(|_| expected(text))?;
        rest = &rest[len..];
        let (_, size) = take_unit(&mut rest).ok_or_else(|| expected(text))?;
        total += amount * size as f64;
    }
    if !total.is_finite() || total > i64::MAX as f64 {
        return Err(format!("duration {text:?} is too long"));
    }
    let millis = total.round() as i64;
    Ok(Duration {
        millis: if negative { -millis } else { millis },
    })
}

/// Go's `time.Duration.String()` for a whole number of milliseconds.
fn go_duration_string(millis: i64) -> String {
    if millis == 0 {
        return "0s".to_string();
    }
    let sign = if millis < 0 { "-" } else { "" };
    let ms = millis.unsigned_abs();
    if ms < 1000 {
        return format!("{sign}{ms}ms");
    }
    let total_secs = ms / 1000;
    let frac = ms % 1000;
    let secs = total_secs % 60;
    let mins = (total_secs / 60) % 60;
    let hours = total_secs / 3600;
    let mut seconds = secs.to_string();
    if frac > 0 {
        let digits = format!("{frac:03}");
        seconds.push('.');
        seconds.push_str(digits.trim_end_matches('0'));
    }
    if hours > 0 {
        format!("{sign}{hours}h{mins}m{seconds}s")
    } else if mins > 0 {
        format!("{sign}{mins}m{seconds}s")
    } else {
        format!("{sign}{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prom(s: &str) -> Result<i64, String> {
        Duration::parse(s, DurationSyntax::Prometheus).map(Duration::as_millis)
    }

    fn vm(s: &str) -> Result<i64, String> {
        Duration::parse(s, DurationSyntax::MetricsQl).map(Duration::as_millis)
    }

    #[test]
    fn prometheus_grammar() {
        let cases = [
            ("1h30m", 90 * MINUTE),
            ("90s", 90 * SECOND),
            ("1d", DAY),
            ("1w", WEEK),
            ("1y", YEAR),
            ("500ms", 500),
            ("0", 0),
            ("0s", 0),
            (
                "1y2w3d4h5m6s7ms",
                YEAR + 2 * WEEK + 3 * DAY + 4 * HOUR + 5 * MINUTE + 6 * SECOND + 7,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(prom(text), Ok(want), "{text}");
        }
        for bad in [
            "", "1", "1.5h", "30m1h", "1h1h", "-1m", "5 m", "1x", "h", "1mss",
        ] {
            assert!(prom(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn metricsql_grammar() {
        assert_eq!(vm("1.5h"), Ok(90 * MINUTE));
        assert_eq!(vm("-1m"), Ok(-MINUTE));
        assert_eq!(vm("30m1h"), Ok(90 * MINUTE));
        assert_eq!(vm("1h30m"), Ok(90 * MINUTE));
        assert_eq!(vm("0"), Ok(0));
        for bad in ["", "-", "1", "1..5h", "abc", "5 m"] {
            assert!(vm(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn prints_like_prometheus() {
        let cases = [
            (90 * MINUTE, "1h30m"),
            (0, "0s"),
            (WEEK, "1w"),
            (90 * SECOND, "1m30s"),
            (1500, "1s500ms"),
            (-MINUTE, "-1m"),
        ];
        for (ms, want) in cases {
            assert_eq!(Duration::from_millis(ms).to_string(), want);
        }
    }

    #[test]
    fn prints_like_go() {
        let cases = [
            (MINUTE, "1m0s"),
            (0, "0s"),
            (30 * SECOND, "30s"),
            (HOUR, "1h0m0s"),
            (90 * MINUTE, "1h30m0s"),
            (500, "500ms"),
            (1500, "1.5s"),
            (DAY, "24h0m0s"),
            (-MINUTE, "-1m0s"),
            (61_250, "1m1.25s"),
        ];
        for (ms, want) in cases {
            assert_eq!(Duration::from_millis(ms).go_string(), want);
        }
    }
}
