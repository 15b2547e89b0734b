//! Printing: the figures of every drilled ruler side by side, phase by phase, and tocsin's goals with their
//! verdicts. Formatting only; the figures and the goals are decided elsewhere.

use super::figures::PhaseFigures;
use super::goals::{GOALS, Status};
use super::rules::ALERTS;
use std::fmt::Write;

/// One ruler's drill.
pub struct RunFigures {
    pub ruler: String,
    pub phases: Vec<PhaseFigures>,
    /// Every notification the receiver got, one line each, for `DRILL_TIMELINE=1` and for reading duplicates.
    pub timeline: Vec<String>,
}

/// Side-by-side table: one block per phase, one column per ruler.
pub fn table(runs: &[RunFigures]) -> String {
    let mut out = String::new();
    let Some(first) = runs.first() else {
        return out;
    };
    let col = |s: &str| format!("{s:>16}");
    for (p, phase) in first.phases.iter().enumerate() {
        let _ = writeln!(out, "\n== phase {p}: {}", phase.name);
        let mut head = format!("{:<40}", "");
        for r in runs {
            head.push_str(&col(&r.ruler));
        }
        let _ = writeln!(out, "{head}");
        let mut row = |label: String, cell: &dyn Fn(&PhaseFigures) -> String| {
            let mut line = format!("{label:<40}");
            for r in runs {
                line.push_str(&col(&r.phases.get(p).map(cell).unwrap_or_default()));
            }
            let _ = writeln!(out, "{line}");
        };
        for a in ALERTS {
            row(format!("notifications {a} (firing/resolved)"), &|f| {
                let (fi, re) = f.notifications.get(a).copied().unwrap_or_default();
                format!("{fi}/{re}")
            });
        }
        row("notifications of the ruler's own alerts".into(), &|f| {
            if f.others.is_empty() {
                return "-".to_string();
            }
            let (fi, re) = f
                .others
                .values()
                .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
            format!("{fi}/{re}")
        });
        row("notifications by peer 0/1/2".into(), &|f| {
            (0..super::PEERS)
                .map(|i| f.by_peer.get(&i).copied().unwrap_or(0).to_string())
                .collect::<Vec<_>>()
                .join("/")
        });
        row("spurious resolves".into(), &|f| {
            f.spurious_resolves.to_string()
        });
        row("duplicate notifications (ruler)".into(), &|f| {
            f.duplicates.to_string()
        });
        row("stale re-sends (Alertmanager HA race)".into(), &|f| {
            f.stale_resends.to_string()
        });
        row("lost notifications".into(), &|f| f.lost.to_string());
        row("longest absence from a live peer".into(), &|f| {
            f.max_absent_ms
                .map_or("-".to_string(), |ms| format!("{:.1} s", ms as f64 / 1000.0))
        });
        row("recording samples missing".into(), &|f| {
            format!("{} of {}", f.missing_samples, f.expected_samples)
        });
        row("  not evaluable (datasource down)".into(), &|f| {
            f.not_evaluable.to_string()
        });
    }
    out
}

/// tocsin's goals, one line each, and the list of goals expected to hold now that did not.
pub fn judge(tocsin: &RunFigures) -> (String, Vec<String>) {
    let mut out = String::from("\n== tocsin against the issue's goals\n");
    let mut failed = Vec::new();
    for g in GOALS {
        let Some(f) = tocsin.phases.get(g.phase) else {
            continue;
        };
        let value = g.metric.value(f);
        let verdict = match (g.status, value == 0) {
            (Status::HoldsNow, true) => "ok".to_string(),
            (Status::HoldsNow, false) => {
                failed.push(format!(
                    "phase {} ({}): {} — measured {value}",
                    g.phase,
                    f.name,
                    g.metric.label()
                ));
                "FAIL".to_string()
            }
            (Status::Pending(feature), true) => format!("PENDING ({feature}; met this run)"),
            (Status::Pending(feature), false) => format!("PENDING ({feature})"),
        };
        let _ = writeln!(
            out,
            "phase {} {:<30} {:<36} {:>6}  {verdict}",
            g.phase,
            f.name,
            g.metric.label(),
            value
        );
    }
    (out, failed)
}
