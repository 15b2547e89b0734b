//! The drill's rule set and its ground truth: which alert holds at which query timestamp, and the data the
//! recording rules read. Pure: the truth is computed from the rule design, never read back from a ruler.

use super::settings::DrillSettings;

/// Always true from the first evaluation on.
pub const ALWAYS: &str = "DrillAlways";
/// Always true, behind `for:`; firing once `for` has passed.
pub const HELD: &str = "DrillHeld";
/// True for the first half of every flap period: `time() mod period < period / 2`.
pub const FLAP: &str = "DrillFlap";
/// Alerts whose condition never stops holding once fired: any resolve of them is spurious.
pub const STEADY: [&str; 2] = [ALWAYS, HELD];
pub const ALERTS: [&str; 3] = [ALWAYS, HELD, FLAP];
/// Recording rules over `drill_input`; every aligned evaluation timestamp must be in VictoriaMetrics.
pub const RECORDS: [&str; 2] = ["drill:input:sum", "drill:input:max"];
pub const GROUP: &str = "drill";

/// The rule file every replica of every ruler loads.
pub fn rule_file(s: &DrillSettings) -> String {
    let i = s.interval.as_secs();
    let p = s.flap_period.as_secs();
    format!(
        "groups:
  - name: {GROUP}
    interval: {i}s
    rules:
      - record: {sum}
        expr: sum(drill_input)
      - record: {max}
        expr: max(drill_input)
      - alert: {ALWAYS}
        expr: vector(1)
        labels:
          severity: drill
      - alert: {HELD}
        expr: vector(1)
        for: {hold}s
        labels:
          severity: drill
      - alert: {FLAP}
        expr: (vector(time()) % {p}) < {half}
        labels:
          severity: drill
",
        sum = RECORDS[0],
        max = RECORDS[1],
        hold = s.hold_for.as_secs(),
        half = p / 2,
    )
}

/// `drill_input` exposition lines, one point a second per series, from `from_ms` to `to_ms`.
pub fn input_data(from_ms: i64, to_ms: i64) -> String {
    let mut out = String::new();
    let mut t = from_ms - from_ms.rem_euclid(1000);
    while t <= to_ms {
        out.push_str(&format!("drill_input{{instance=\"a\"}} 1 {t}\n"));
        out.push_str(&format!("drill_input{{instance=\"b\"}} 2 {t}\n"));
        t += 1000;
    }
    out
}

/// Whether the flapping alert's condition holds at query time `ts_ms` (any time: truncated to the interval).
pub fn flap_holds(s: &DrillSettings, ts_ms: i64) -> bool {
    let ts = ts_ms - ts_ms.rem_euclid(s.interval_ms());
    let p = s.flap_period.as_millis() as i64;
    ts.rem_euclid(p) < p / 2
}

/// The flapping alert's transitions in `[from_ms, to_ms)`: `(query timestamp, true = starts firing)`.
pub fn flap_transitions(s: &DrillSettings, from_ms: i64, to_ms: i64) -> Vec<(i64, bool)> {
    let half = s.flap_period.as_millis() as i64 / 2;
    let mut t = from_ms - from_ms.rem_euclid(half);
    let mut out = Vec::new();
    while t < to_ms {
        if t >= from_ms {
            out.push((t, flap_holds(s, t)));
        }
        t += half;
    }
    out
}
