//! The drill's figures, per phase, computed from what the receiver, the Alertmanager watch and VictoriaMetrics
//! recorded, judged against the ground truth of the rule design (`rules.rs`). Pure functions of their inputs: the
//! unit tests in `tests/drill.rs` feed them hand-made records.

use super::rules::{self, FLAP, STEADY};
use super::settings::DrillSettings;
use super::watch::Observation;
use super::webhook::Notification;
use std::collections::{BTreeMap, BTreeSet};

/// A stretch of the drill, `[start_ms, end_ms)`.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Everything the drill recorded, plus when what happened.
pub struct Record<'a> {
    pub settings: &'a DrillSettings,
    pub phases: &'a [Phase],
    /// When every replica was first up: evaluations are expected from here on.
    pub evals_from_ms: i64,
    /// When the last phase ended: evaluations are expected up to here.
    pub evals_to_ms: i64,
    /// Windows in which the datasource answered 503 (empty when only remote write failed).
    pub outages: &'a [(i64, i64)],
    pub notifications: &'a [Notification],
    pub observations: &'a [Observation],
    /// Absence from a peer counts from here (the end of the settle phase).
    pub watch_from_ms: i64,
    /// Per recording rule, the timestamps VictoriaMetrics holds.
    pub recorded: &'a BTreeMap<String, BTreeSet<i64>>,
}

#[derive(Debug, Clone, Default)]
pub struct PhaseFigures {
    pub name: String,
    /// Per alert: (firing, resolved) notifications received in the phase.
    pub notifications: BTreeMap<String, (usize, usize)>,
    /// Per alert outside the rule set (the ruler's own, e.g. `TocsinDatasourceUnreachable`): (firing, resolved).
    pub others: BTreeMap<String, (usize, usize)>,
    /// Notifications of the rule set's alerts per sending Alertmanager peer.
    pub by_peer: BTreeMap<usize, usize>,
    pub spurious_resolves: usize,
    /// Repeats with new content that change nothing for the receiver (attributable to the ruler).
    pub duplicates: usize,
    /// Stale re-sends by Alertmanager peers (their HA race); reported, not a ruler's doing.
    pub stale_resends: usize,
    pub lost: usize,
    /// Longest time a steady alert was missing from a live peer's list, in ms; `None` when not measured.
    pub max_absent_ms: Option<i64>,
    pub missing_samples: usize,
    pub expected_samples: usize,
    /// Aligned timestamps not expected because the datasource was down when they were due.
    pub not_evaluable: usize,
}

fn phase_of(phases: &[Phase], t: i64) -> Option<usize> {
    let last = phases.len().checked_sub(1)?;
    phases
        .iter()
        .position(|p| t >= p.start_ms && t < p.end_ms)
        .or_else(|| (t >= phases[last].end_ms).then_some(last))
}

/// Whether a query due at `ts` may have met the outage: the ruler asks within one interval after `ts`.
fn in_outage(r: &Record<'_>, ts: i64) -> bool {
    let i = r.settings.interval_ms();
    r.outages
        .iter()
        .any(|(from, to)| ts > from - i - 1000 && ts < to + 1000)
}

pub fn compute(r: &Record<'_>) -> Vec<PhaseFigures> {
    let mut out: Vec<PhaseFigures> = r
        .phases
        .iter()
        .map(|p| PhaseFigures {
            name: p.name.clone(),
            notifications: rules::ALERTS
                .iter()
                .map(|a| (a.to_string(), (0, 0)))
                .collect(),
            ..PhaseFigures::default()
        })
        .collect();
    // Alerts outside the rule set (tocsin's own TocsinDatasourceUnreachable) are counted, never judged.
    let (mut sorted, others): (Vec<&Notification>, Vec<&Notification>) = r
        .notifications
        .iter()
        .partition(|n| rules::ALERTS.contains(&n.alertname.as_str()));
    sorted.sort_by_key(|n| n.at_ms);
    for n in others {
        if let Some(p) = phase_of(r.phases, n.at_ms) {
            let c = out[p].others.entry(n.alertname.clone()).or_default();
            if n.firing {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
    }
    for n in &sorted {
        let Some(p) = phase_of(r.phases, n.at_ms) else {
            continue;
        };
        *out[p].by_peer.entry(n.peer).or_default() += 1;
        let c = out[p].notifications.entry(n.alertname.clone()).or_default();
        if n.firing {
            c.0 += 1;
        } else {
            c.1 += 1;
            if is_spurious(r.settings, n) {
                out[p].spurious_resolves += 1;
            }
        }
    }
    for (n, kind) in repeats(r.settings, &sorted) {
        if let Some(p) = phase_of(r.phases, n.at_ms) {
            match kind {
                Repeat::Duplicate => out[p].duplicates += 1,
                Repeat::StaleResend => out[p].stale_resends += 1,
            }
        }
    }
    for t in lost(r, &sorted) {
        if let Some(p) = phase_of(r.phases, t) {
            out[p].lost += 1;
        }
    }
    for (start, len) in absences(r) {
        if let Some(p) = phase_of(r.phases, start) {
            let m = out[p].max_absent_ms.get_or_insert(0);
            *m = (*m).max(len);
        }
    }
    for (p, f) in out.iter_mut().enumerate() {
        if r.phases[p].end_ms > r.watch_from_ms && f.max_absent_ms.is_none() {
            f.max_absent_ms = Some(0);
        }
    }
    samples(r, &mut out);
    out
}

/// A resolve while the condition still held at the resolve's `endsAt` (the query time a ruler resolved at, or
/// the `endsAt` at which Alertmanager gave up on refreshes).
pub fn is_spurious(s: &DrillSettings, n: &Notification) -> bool {
    if n.firing {
        return false;
    }
    STEADY.contains(&n.alertname.as_str())
        || (n.alertname == FLAP && rules::flap_holds(s, n.ends_at_ms.unwrap_or(n.at_ms)))
}

/// Why a notification told the receiver nothing new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Alertmanager sent content the receiver already had (same alert, status, startsAt and, for a resolve,
    /// endsAt), or a resolve of an episode older than the latest firing one: the HA race between peers that
    /// flush on their own timers (alertmanager#4008), not something a ruler sent.
    StaleResend,
    /// New content that changes nothing: firing after firing with another startsAt, or resolved after resolved
    /// with another endsAt. A ruler that loses or re-invents state (a restart without restore) causes these.
    Duplicate,
}

/// Notifications beyond Alertmanager's own repeat, classified; judged per alert, over every peer, in arrival
/// order. A notification that corrects the receiver's view (firing while the condition holds after a resolve,
/// resolved while it does not after a firing) is never a repeat; anything older than `repeat_interval` (minus
/// 1 s) does not count.
pub fn repeats<'a>(
    s: &DrillSettings,
    sorted: &[&'a Notification],
) -> Vec<(&'a Notification, Repeat)> {
    let repeat = s.repeat_interval.as_millis() as i64 - 1000;
    // Per alert: the status the receiver last heard and when.
    let mut view: BTreeMap<&str, (bool, i64)> = BTreeMap::new();
    let mut latest_firing_start: BTreeMap<&str, i64> = BTreeMap::new();
    let mut seen: BTreeMap<(&str, bool, i64, Option<i64>), i64> = BTreeMap::new();
    let mut out = Vec::new();
    for n in sorted {
        let name = n.alertname.as_str();
        let key = (
            name,
            n.firing,
            n.starts_at_ms,
            if n.firing { None } else { n.ends_at_ms },
        );
        let holds = STEADY.contains(&name) || (name == FLAP && rules::flap_holds(s, n.at_ms));
        let last = view.get(name).copied();
        let corrects = last.is_some_and(|(f, _)| f != n.firing) && n.firing == holds;
        let resent = seen.get(&key).is_some_and(|t| n.at_ms - t < repeat);
        let stale = if n.firing {
            resent && !corrects
        } else {
            resent
                || latest_firing_start
                    .get(name)
                    .is_some_and(|t| n.starts_at_ms < *t)
        };
        let same_view = last.is_some_and(|(f, t)| f == n.firing && n.at_ms - t < repeat);
        if stale {
            out.push((*n, Repeat::StaleResend));
        } else if same_view && !corrects {
            out.push((*n, Repeat::Duplicate));
        }
        if !stale {
            seen.insert(key, n.at_ms);
            if n.firing {
                let t = latest_firing_start.entry(name).or_insert(n.starts_at_ms);
                *t = (*t).max(n.starts_at_ms);
            }
        }
        view.insert(name, (n.firing, n.at_ms));
    }
    out
}

/// Times of state changes the receiver never heard of: the flapping alert's transitions (while the datasource
/// was up, and early enough to be delivered before the drill ended), the first firing of each steady alert, and
/// a steady alert whose last notification says resolved.
pub fn lost(r: &Record<'_>, sorted: &[&Notification]) -> Vec<i64> {
    let s = r.settings;
    let tol = s.notify_tolerance_ms();
    let half = s.flap_period.as_millis() as i64 / 2;
    let end = r.phases.last().map_or(r.evals_to_ms, |p| p.end_ms);
    let mut out = Vec::new();
    let of = |name: &'static str| sorted.iter().filter(move |n| n.alertname == name);
    for (ts, firing) in rules::flap_transitions(s, r.evals_from_ms + s.interval_ms(), r.evals_to_ms)
    {
        if in_outage(r, ts) || ts + tol > end {
            continue;
        }
        // A resolve may also have come early (then it is counted as spurious), but within this on-period.
        let from = if firing { ts } else { ts - half };
        if !of(FLAP).any(|n| n.firing == firing && n.at_ms >= from && n.at_ms <= ts + tol) {
            out.push(ts);
        }
    }
    for name in STEADY {
        match of(name).next_back() {
            None => out.push(r.evals_from_ms),
            Some(n) if !n.firing => out.push(n.at_ms),
            Some(_) => {}
        }
    }
    out
}

/// Each stretch in which a steady alert was missing from a live peer: (first poll that missed it, length in ms).
/// A stretch ends at the next poll that lists it; when the peer died first, at its last poll plus one period.
pub fn absences(r: &Record<'_>) -> Vec<(i64, i64)> {
    let every = r.settings.poll_every.as_millis() as i64;
    let mut out = Vec::new();
    let mut by_peer: BTreeMap<usize, Vec<&Observation>> = BTreeMap::new();
    for o in r.observations.iter().filter(|o| o.at_ms >= r.watch_from_ms) {
        by_peer.entry(o.peer).or_default().push(o);
    }
    for obs in by_peer.values_mut() {
        obs.sort_by_key(|o| o.at_ms);
        for name in STEADY {
            let mut open: Option<(i64, i64)> = None; // (first missing, last missing)
            let mut prev_at: Option<i64> = None;
            for o in obs.iter() {
                let contiguous = prev_at.is_some_and(|p| o.at_ms - p <= 5000.max(4 * every));
                prev_at = Some(o.at_ms);
                if let Some((first, last)) = open
                    && !contiguous
                {
                    out.push((first, last - first + every));
                    open = None;
                }
                if o.listed.contains(name) {
                    if let Some((first, _)) = open.take() {
                        out.push((first, o.at_ms - first));
                    }
                } else {
                    open = Some(open.map_or((o.at_ms, o.at_ms), |(f, _)| (f, o.at_ms)));
                }
            }
            if let Some((first, last)) = open {
                out.push((first, last - first + every));
            }
        }
    }
    out
}

/// Expected and missing recording samples per phase, over every recording rule.
fn samples(r: &Record<'_>, out: &mut [PhaseFigures]) {
    let i = r.settings.interval_ms();
    let first = r.evals_from_ms - r.evals_from_ms.rem_euclid(i) + 2 * i;
    let mut ts = first;
    while ts < r.evals_to_ms - i {
        // A sample belongs to the phase in which its write falls due: within one interval (and a flush) of `ts`.
        if let Some(p) = phase_of(r.phases, ts + i + 1000) {
            for name in rules::RECORDS {
                if in_outage(r, ts) {
                    out[p].not_evaluable += 1;
                    continue;
                }
                out[p].expected_samples += 1;
                if !r.recorded.get(name).is_some_and(|t| t.contains(&ts)) {
                    out[p].missing_samples += 1;
                }
            }
        }
        ts += i;
    }
}

/// One line per notification: time since `origin_ms`, phase, peer, alert, status, startsAt and endsAt (relative),
/// and a mark on duplicates and spurious resolves.
pub fn timeline(r: &Record<'_>, origin_ms: i64) -> Vec<String> {
    let mut sorted: Vec<&Notification> = r.notifications.iter().collect();
    sorted.sort_by_key(|n| n.at_ms);
    let judged: Vec<&Notification> = sorted
        .iter()
        .copied()
        .filter(|n| rules::ALERTS.contains(&n.alertname.as_str()))
        .collect();
    let marks = repeats(r.settings, &judged);
    let rel = |t: i64| format!("{:+.1}", (t - origin_ms) as f64 / 1000.0);
    sorted
        .iter()
        .map(|n| {
            let mut notes = Vec::new();
            match marks.iter().find(|(d, _)| std::ptr::eq(*d, *n)) {
                Some((_, Repeat::Duplicate)) => notes.push("DUPLICATE"),
                Some((_, Repeat::StaleResend)) => notes.push("stale re-send"),
                None => {}
            }
            if is_spurious(r.settings, n) {
                notes.push("SPURIOUS");
            }
            format!(
                "{:>8} s  phase {}  peer {}  {:<12} {:<8} startsAt {:>8}  endsAt {:>8}  {}",
                rel(n.at_ms),
                phase_of(r.phases, n.at_ms).map_or("-".to_string(), |p| p.to_string()),
                n.peer,
                n.alertname,
                if n.firing { "firing" } else { "resolved" },
                rel(n.starts_at_ms),
                n.ends_at_ms.map_or("-".to_string(), rel),
                notes.join(" ")
            )
        })
        .collect()
}
