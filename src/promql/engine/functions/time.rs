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

const SECONDS_PER_DAY: u64 = 86_400;
const DAYS_PER_400_YEARS: u64 = 365 * 400 + 97;
const DAYS_PER_100_YEARS: u64 = 365 * 100 + 24;
const DAYS_PER_4_YEARS: u64 = 365 * 4 + 1;
/// Go's `absoluteZeroYear`: the year of day 0 of Go's "absolute" time scale.
const ABSOLUTE_ZERO_YEAR: i64 = -292_277_022_399;
/// Go's `unixToInternal + internalToAbsolute`: Unix seconds to absolute seconds.
const UNIX_TO_ABSOLUTE: i64 = 62_135_596_800 + 9_223_371_966_579_724_800;
const DAYS_BEFORE: [u64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/// UTC calendar fields of Unix seconds `secs`, computed the way Go's `time` package (before Go 1.23) does, wrapping
/// arithmetic included, so that even `time.Unix(math.MinInt64, 0)` (what NaN and ±Inf become) gives Go's answer.
pub(crate) fn civil(secs: i64) -> Civil {
    let abs = secs.wrapping_add(UNIX_TO_ABSOLUTE) as u64;
    let mut d = abs / SECONDS_PER_DAY;
    let mut n = d / DAYS_PER_400_YEARS;
    let mut y = 400 * n;
    d -= DAYS_PER_400_YEARS * n;
    n = d / DAYS_PER_100_YEARS;
    n -= n >> 2;
    y += 100 * n;
    d -= DAYS_PER_100_YEARS * n;
    n = d / DAYS_PER_4_YEARS;
    y += 4 * n;
    d -= DAYS_PER_4_YEARS * n;
    n = d / 365;
    n -= n >> 2;
    y += n;
    d -= 365 * n;
    let year = (y as i64).wrapping_add(ABSOLUTE_ZERO_YEAR);
    let yday = d;
    let (month, day) = month_day(year, yday);
    let since_midnight = abs % SECONDS_PER_DAY;
    Civil {
        year,
        month,
        day,
        hour: (since_midnight / 3600) as i64,
        minute: (abs % 3600 / 60) as i64,
        // Absolute day 0 is a Monday.
        weekday: ((abs.wrapping_add(SECONDS_PER_DAY) % (7 * SECONDS_PER_DAY)) / SECONDS_PER_DAY)
            as i64,
        yday: yday as i64 + 1,
    }
}

/// Month (1-12) and day of month of the zero-based day of the year.
fn month_day(year: i64, yday: u64) -> (u32, u32) {
    let mut day = yday;
    if is_leap(year) {
        if day == 31 + 29 - 1 {
            return (2, 29);
        }
        if day > 31 + 29 - 1 {
            day -= 1;
        }
    }
    // Every month has at least 28 days, so the estimate is low by at most one.
    let mut month = (day / 31) as usize;
    let begin = if day >= DAYS_BEFORE[month + 1] {
        month += 1;
        DAYS_BEFORE[month]
    } else {
        DAYS_BEFORE[month]
    };
    ((month + 1) as u32, (day - begin + 1) as u32)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
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
