//! Formatting of timestamps and numbers as vmalert's JSON shows them (Go's `time.Time` and
//! `strconv.FormatFloat`). Pure.

/// Go's RFC 3339 with nanoseconds and trailing zeros trimmed (`2026-11-25T06:09:46.074Z`), in UTC. `None` gives
/// Go's zero time, as vmalert shows a rule or group that never ran.
pub fn rfc3339(ms: Option<i64>) -> String {
    let Some(ms) = ms else {
        return "0001-01-01T00:00:00Z".to_string();
    };
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
        return "0001-01-01T00:00:00Z".to_string();
    };
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = ms.rem_euclid(1000);
    if frac == 0 {
        format!("{base}Z")
    } else {
        let digits = format!("{frac:03}");
        format!("{base}.{}Z", digits.trim_end_matches('0'))
    }
}

/// Milliseconds as float seconds.
pub fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// An alert value as vmalert shows it: Go's `strconv.FormatFloat(v, 'f', -1, 32)`, the shortest decimal that
/// reads back as the same 32-bit float, never with an exponent.
pub fn alert_value(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    // Rust's `Display` for f32 is the shortest round-trip form and never uses an exponent, as Go's 'f' with -1.
    #[allow(clippy::cast_possible_truncation)]
    let f = v as f32;
    let s = f.to_string();
    if s == "-0" { "-0".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_trims_like_go() {
        assert_eq!(rfc3339(None), "0001-01-01T00:00:00Z");
        assert_eq!(rfc3339(Some(1_795_586_986_000)), "2026-11-25T06:09:46Z");
        assert_eq!(rfc3339(Some(1_795_586_986_070)), "2026-11-25T06:09:46.07Z");
        assert_eq!(rfc3339(Some(1_795_586_986_074)), "2026-11-25T06:09:46.074Z");
    }

    #[test]
    fn alert_values_as_go_formats_float32() {
        // Expected strings are Go's strconv.FormatFloat(v, 'f', -1, 32).
        assert_eq!(alert_value(5.0), "5");
        assert_eq!(alert_value(0.1), "0.1");
        assert_eq!(alert_value(1.0 / 3.0), "0.33333334");
        assert_eq!(alert_value(1e20), "100000000000000000000");
        assert_eq!(alert_value(f64::NAN), "NaN");
        assert_eq!(alert_value(f64::INFINITY), "+Inf");
        assert_eq!(alert_value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(alert_value(-2.5), "-2.5");
    }
}
