//! When a group evaluates, and the timestamp its queries use. Pure: everything is a function of the group's
//! settings and a time in milliseconds since the Unix epoch.
//!
//! Interval groups evaluate at `k × interval + phase`, where the phase comes from the group ID (as vmalert derives
//! its start delay from the group's hash), or at `k × interval + eval_offset` when `eval_offset` is set. Because the
//! slots depend only on the group's identity, every replica evaluates a group at the same instants, and with
//! alignment (the default) it also queries at the same timestamp: `truncate(tick − delay, interval)`. Cron groups
//! evaluate at their crontab instants in their time zone and query at `instant − delay`.

use crate::config::{Duration, Group, Schedule};
use chrono::{TimeZone, Utc};

/// vmalert's `-group.maxStartDelay`: the phase of a group is spread over at most this much.
pub const DEFAULT_MAX_START_DELAY_MS: i64 = 5 * 60 * 1000;

/// vmalert's `-rule.evalDelay`: how far before the tick the query looks, so that data still in flight is there.
pub const DEFAULT_EVAL_DELAY_MS: i64 = 30 * 1000;

/// A group's evaluation schedule, resolved from its settings and the process defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSchedule {
    kind: Kind,
    /// Subtracted from the tick to get the query time (`eval_delay`, `query_offset`, or `-rule.evalDelay`).
    delay_ms: i64,
    /// Truncate the query time to a multiple of the interval.
    align: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Interval {
        interval_ms: i64,
        phase_ms: i64,
    },
    Cron {
        cron: Box<croner::Cron>,
        /// `None` is UTC.
        tz: Option<tzfile::ArcTz>,
    },
}

/// A schedule that cannot be built (the configuration was validated, so this means a bug or a reload race).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid cron expression {expr:?}: {message}")]
    Cron { expr: String, message: String },
    #[error("unknown time zone {0:?}")]
    TimeZone(String),
    #[error("no future instant matches cron expression {0:?}")]
    NoNextInstant(String),
}

impl GroupSchedule {
    /// The schedule of `group`, with the process defaults for the evaluation delay and the start-delay spread.
    pub fn new(
        group: &Group,
        default_eval_delay_ms: i64,
        max_start_delay_ms: i64,
    ) -> Result<Self, ScheduleError> {
        let interval_ms = group.interval.as_millis().max(1);
        let delay = group
            .eval_delay
            .or(group.query_offset)
            .map(Duration::as_millis);
        match &group.schedule {
            Schedule::Cron { expr, timezone } => {
                let cron = croner::parser::CronParser::builder()
                    .seconds(croner::parser::Seconds::Disallowed)
                    .year(croner::parser::Year::Disallowed)
                    .build()
                    .parse(expr)
                    .map_err(|e| ScheduleError::Cron {
                        expr: expr.clone(),
                        message: e.to_string(),
                    })?;
                let tz = match timezone {
                    Some(name) => crate::config::timezone::load(name)
                        .map_err(|_| ScheduleError::TimeZone(name.clone()))?,
                    None => None,
                };
                Ok(GroupSchedule {
                    kind: Kind::Cron {
                        cron: Box::new(cron),
                        tz,
                    },
                    delay_ms: delay.unwrap_or(default_eval_delay_ms),
                    align: false,
                })
            }
            Schedule::Interval(_) => {
                if let Some(offset) = group.eval_offset {
                    // vmalert: an eval_offset pins the slot and turns off delay and alignment.
                    let phase_ms = offset.as_millis().rem_euclid(interval_ms);
                    return Ok(GroupSchedule {
                        kind: Kind::Interval {
                            interval_ms,
                            phase_ms,
                        },
                        delay_ms: 0,
                        align: false,
                    });
                }
                let spread = interval_ms.min(max_start_delay_ms.max(1));
                Ok(GroupSchedule {
                    kind: Kind::Interval {
                        interval_ms,
                        phase_ms: phase_from_id(group.id, spread),
                    },
                    delay_ms: delay.unwrap_or(default_eval_delay_ms),
                    align: group.eval_alignment.unwrap_or(true),
                })
            }
        }
    }

    /// The first tick at or after `now_ms`.
    pub fn first_tick(&self, now_ms: i64) -> Result<i64, ScheduleError> {
        self.tick_after(now_ms - 1)
    }

    /// The first tick strictly after `after_ms`. Ticks that passed while an evaluation overran are skipped, never
    /// back-filled: call this with the current time, not the previous tick.
    pub fn tick_after(&self, after_ms: i64) -> Result<i64, ScheduleError> {
        match &self.kind {
            Kind::Interval {
                interval_ms,
                phase_ms,
            } => {
                let k = (after_ms - phase_ms).div_euclid(*interval_ms) + 1;
                Ok(k * interval_ms + phase_ms)
            }
            Kind::Cron { cron, tz } => {
                let expr = cron.pattern.to_string();
                let start = Utc
                    .timestamp_millis_opt(after_ms)
                    .single()
                    .ok_or_else(|| ScheduleError::NoNextInstant(expr.clone()))?;
                let next = match tz {
                    Some(tz) => cron
                        .find_next_occurrence(&start.with_timezone(tz), false)
                        .map(|t| t.timestamp_millis()),
                    None => cron
                        .find_next_occurrence(&start, false)
                        .map(|t| t.timestamp_millis()),
                };
                next.map_err(|_| ScheduleError::NoNextInstant(expr))
            }
        }
    }

    /// How many ticks lie strictly between `previous` and `next` (ticks skipped because an evaluation overran).
    pub fn missed_between(&self, previous: i64, next: i64) -> u64 {
        match &self.kind {
            Kind::Interval { interval_ms, .. } => {
                u64::try_from((next - previous) / interval_ms - 1).unwrap_or(0)
            }
            Kind::Cron { .. } => {
                let mut missed = 0;
                let mut t = previous;
                // Bounded: at most 1000 instants are counted.
                while missed < 1000 {
                    match self.tick_after(t) {
                        Ok(n) if n < next => {
                            missed += 1;
                            t = n;
                        }
                        _ => break,
                    }
                }
                missed
            }
        }
    }

    /// The timestamp a group's queries use for the evaluation at `tick_ms`.
    pub fn query_time(&self, tick_ms: i64) -> i64 {
        let ts = tick_ms - self.delay_ms;
        match &self.kind {
            Kind::Interval { interval_ms, .. } if self.align => {
                ts.div_euclid(*interval_ms) * interval_ms
            }
            _ => ts,
        }
    }

    /// The interval between ticks, for interval groups.
    pub fn interval_ms(&self) -> Option<i64> {
        match &self.kind {
            Kind::Interval { interval_ms, .. } => Some(*interval_ms),
            Kind::Cron { .. } => None,
        }
    }
}

/// vmalert's start-delay fraction: the group ID as a fraction of 2^64, times the spread.
fn phase_from_id(id: u64, spread_ms: i64) -> i64 {
    let fraction = id as f64 / 18_446_744_073_709_551_616.0;
    ((spread_ms as f64) * fraction) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LoadOptions, load_text_with_env};

    const S: i64 = 1000;
    const M: i64 = 60 * S;

    fn group(fields: &str) -> Group {
        let text = format!("groups:\n- name: g\n{fields}  rules:\n  - record: r\n    expr: up\n");
        let f = load_text_with_env("rules.yml", &text, &LoadOptions::default(), |_| None);
        assert!(f.diagnostics.is_empty(), "{:?}", f.diagnostics);
        f.groups.into_iter().next().expect("group")
    }

    fn schedule(fields: &str) -> GroupSchedule {
        GroupSchedule::new(
            &group(fields),
            DEFAULT_EVAL_DELAY_MS,
            DEFAULT_MAX_START_DELAY_MS,
        )
        .expect("schedule")
    }

    #[test]
    fn replicas_started_at_different_moments_share_ticks_and_query_times() {
        let s = schedule("  interval: 1m\n");
        let a = s.first_tick(1_700_000_000_000).expect("tick");
        let b = s.first_tick(1_700_000_000_000 + 17 * S).expect("tick");
        let a_next = s.tick_after(a).expect("tick");
        assert!(
            b == a || b == a_next,
            "replica B's first tick is one of A's"
        );
        assert_eq!(s.query_time(a_next), s.query_time(b.max(a_next)));
        // Every tick is the same phase inside the interval.
        assert_eq!(a.rem_euclid(M), a_next.rem_euclid(M));
    }

    #[test]
    fn aligned_query_time_is_truncated_after_the_delay() {
        let s = schedule("  interval: 1m\n");
        // vmalert's example: tick 12:00:17, 30s delay, 1m interval → 11:59:00.
        let noon = 1_700_049_600_000; // a multiple of 1m
        assert_eq!(noon % M, 0);
        assert_eq!(s.query_time(noon + 17 * S), noon - M);
        let unaligned = schedule("  interval: 1m\n  eval_alignment: false\n  eval_delay: 10s\n");
        assert_eq!(unaligned.query_time(noon + 17 * S), noon + 7 * S);
        let offset = schedule("  interval: 1m\n  query_offset: 5m\n");
        assert_eq!(offset.query_time(noon + 17 * S), noon - 5 * M);
    }

    #[test]
    fn eval_offset_pins_the_slot_and_disables_delay_and_alignment() {
        let s = schedule("  interval: 10m\n  eval_offset: 3m\n");
        let t = s.first_tick(1_700_049_600_000 + 4 * M).expect("tick");
        assert_eq!(t.rem_euclid(10 * M), 3 * M);
        assert_eq!(s.query_time(t), t);
        let negative = schedule("  interval: 10m\n  eval_offset: -1m\n");
        assert_eq!(
            negative.first_tick(0).expect("tick").rem_euclid(10 * M),
            9 * M
        );
    }

    #[test]
    fn overruns_skip_ticks_and_count_them() {
        let s = schedule("  interval: 1m\n");
        let t0 = s.first_tick(0).expect("tick");
        // The evaluation at t0 took 3.5 minutes: the next tick is the first one after now.
        let now = t0 + 3 * M + 30 * S;
        let next = s.tick_after(now).expect("tick");
        assert_eq!(next, t0 + 4 * M);
        assert_eq!(s.missed_between(t0, next), 3);
        assert_eq!(s.missed_between(t0, t0 + M), 0);
    }

    #[test]
    fn a_backwards_clock_jump_gives_the_next_tick_after_the_new_time() {
        let s = schedule("  interval: 1m\n");
        let t = s.first_tick(10 * M).expect("tick");
        let after_jump = s.tick_after(t - 5 * M).expect("tick");
        assert!(after_jump <= t - 4 * M && after_jump > t - 5 * M);
    }

    #[test]
    fn phase_stays_within_the_spread_for_long_intervals() {
        let s = schedule("  interval: 1h\n");
        let t = s.first_tick(0).expect("tick");
        assert!(
            t.rem_euclid(60 * M) < 5 * M,
            "phase {t} beyond the 5m start-delay spread"
        );
    }

    #[test]
    fn cron_groups_fire_at_crontab_instants_in_their_zone() {
        // Mondays 09:00 in Berlin. 2026-11-25 is a Wednesday; the next Monday is 2026-11-30, 08:00 UTC (CET).
        let s = schedule("  cron: \"0 9 * * 1\"\n  cron_timezone: Europe/Berlin\n");
        let wed = Utc
            .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
            .single()
            .expect("date")
            .timestamp_millis();
        let next = s.first_tick(wed).expect("tick");
        let want = Utc
            .with_ymd_and_hms(2026, 11, 30, 8, 0, 0)
            .single()
            .expect("date")
            .timestamp_millis();
        assert_eq!(next, want);
        assert_eq!(s.query_time(next), next - DEFAULT_EVAL_DELAY_MS);
        assert_eq!(s.tick_after(next).expect("tick") - next, 7 * 24 * 60 * M);
        let in_summer = Utc
            .with_ymd_and_hms(2026, 7, 1, 0, 0, 0)
            .single()
            .expect("date")
            .timestamp_millis();
        let summer = s.first_tick(in_summer).expect("tick");
        assert_eq!(
            summer.rem_euclid(24 * 60 * M),
            7 * 60 * M,
            "09:00 CEST is 07:00 UTC"
        );
        assert_eq!(s.missed_between(next, next + 3 * 7 * 24 * 60 * M), 2);
    }
}
