//! Time functions: `timestamp` and the calendar functions `day_of_month day_of_week day_of_year days_in_month hour
//! minute month year` (UTC; no argument means `vector(time())`).
//! See <https://prometheus.io/docs/prometheus/2.42/querying/functions/#day_of_month>.
//!
//! Must not: read a clock; the evaluation time comes in.

use promql_parser::parser::Expr;

use super::super::EvalError;
use super::super::eval::{Evaluator, as_vector_selector};
use super::super::numeric::go_f64_to_i64;
use super::super::selector;
use super::super::value::Sample;
use super::arg;

/// `timestamp(v)`: for a plain selector, the time of each sample; otherwise the evaluation time.
pub(crate) fn timestamp(ev: &Evaluator<'_>, a: &Expr, ts: i64) -> Result<Vec<Sample>, EvalError> {
    let vec = match as_vector_selector(a) {
        Some(vs) => selector::instant(ev, vs, ts, true)?,
        None => ev.eval_vector(a, ts)?,
    };
    Ok(vec
        .into_iter()
        .map(|s| Sample {
            labels: s.labels.without_name(),
            t: ts,
            v: s.t as f64 / 1000.0,
        })
        .collect())
}

/// Broken-down UTC time.
pub(crate) struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    weekday: i64,
    yday: i64,
}

/// UTC calendar fields of Unix seconds `secs` (proleptic Gregorian, any sign).
pub(crate) fn civil(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-from-civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let yday = days - days_from_civil(year, 1, 1) + 1;
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        weekday: (days + 4).rem_euclid(7),
        yday,
    }
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// The calendar function called `name`, if it is one.
pub(crate) fn date_function(name: &str) -> Option<fn(&Civil) -> f64> {
    Some(match name {
        "day_of_month" => |c| f64::from(c.day),
        "day_of_week" => |c| c.weekday as f64,
        "day_of_year" => |c| c.yday as f64,
        "days_in_month" => |c| match c.month {
            2 if is_leap(c.year) => 29.0,
            2 => 28.0,
            4 | 6 | 9 | 11 => 30.0,
            _ => 31.0,
        },
        "hour" => |c| c.hour as f64,
        "minute" => |c| c.minute as f64,
        "month" => |c| f64::from(c.month),
        "year" => |c| c.year as f64,
        _ => return None,
    })
}

/// Applies a calendar function to each value (Unix seconds, truncated) or, without argument, to the eval time.
pub(crate) fn date(
    ev: &Evaluator<'_>,
    f: fn(&Civil) -> f64,
    args: &[&Expr],
    ts: i64,
) -> Result<Vec<Sample>, EvalError> {
    if args.is_empty() {
        return Ok(vec![Sample {
            labels: Default::default(),
            t: ts,
            v: f(&civil(ts / 1000)),
        }]);
    }
    let vec = ev.eval_vector(arg(args, 0)?, ts)?;
    Ok(super::map_values(vec, |v| f(&civil(go_f64_to_i64(v)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_fields() {
        // 2024-02-29T13:45:00Z, a Thursday, day 60.
        let c = civil(1_709_214_300);
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute, c.weekday, c.yday),
            (2024, 2, 29, 13, 45, 4, 60)
        );
        let e = civil(-1);
        assert_eq!(
            (e.year, e.month, e.day, e.hour, e.minute, e.weekday),
            (1969, 12, 31, 23, 59, 3)
        );
    }
}
