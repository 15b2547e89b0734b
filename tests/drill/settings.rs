//! The drill's knobs: the short form (CI), the full form (`scripts/drill.sh`), and `DRILL_*` environment overrides.
//! Plain data; nothing here starts a process or reads the clock.

use std::time::Duration;

/// Every duration and count the drill uses. All times are wall-clock: the drill exercises real processes.
#[derive(Debug, Clone)]
pub struct DrillSettings {
    /// `short` or `full`, printed with the figures.
    pub form: &'static str,
    /// Group interval of the rule set; also what the ruler uses to align query timestamps.
    pub interval: Duration,
    /// Period of the flapping alert: firing for the first half of each period, resolved for the second.
    pub flap_period: Duration,
    /// `for:` of the held alert.
    pub hold_for: Duration,
    /// Phase 0: time after every ruler is up before the first disruption.
    pub settle: Duration,
    /// Pause after each restarted ruler or Alertmanager is back, before the next one goes down.
    pub restart_gap: Duration,
    /// Length of each VictoriaMetrics outage (phases 3 and 4).
    pub outage: Duration,
    /// Whether an outage also fails queries (all of VictoriaMetrics down, the default), or only remote write
    /// (vminsert down; `DRILL_OUTAGE_READS=0`), the case a durable remote-write queue is for.
    pub outage_reads: bool,
    /// Time after an outage ends before the phase ends.
    pub recovery: Duration,
    /// Alertmanager route timers, written into every peer's configuration.
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
    /// Alertmanager `--cluster.peer-timeout`: how long peer `i` waits (× i) before it checks the notification log.
    pub peer_timeout: Duration,
    /// How often the harness reads every live peer's `GET /api/v2/alerts`.
    pub poll_every: Duration,
    /// Extra flags for tocsin (HA features as they land); `{dir}`, `{replica}`, `{peers}`, `{vm}`, `{rw}` are
    /// replaced. Default: `DEFAULT_TOCSIN_FLAGS`; `DRILL_TOCSIN_FLAGS` replaces the list.
    pub tocsin_flags: Vec<String>,
    /// Extra flags for vmalert.
    pub vmalert_flags: Vec<String>,
    /// Which rulers to drill: `tocsin`, `vmalert` or both.
    pub rulers: Vec<String>,
}

const S: fn(u64) -> Duration = Duration::from_secs;

/// tocsin's HA flags that are off by default and that the drill turns on, as a deployment for HA would.
pub const DEFAULT_TOCSIN_FLAGS: &[&str] = &[
    "-remoteWrite.queuePath={dir}/remote-write-queue",
    "-replica.peers={peers}",
];

impl DrillSettings {
    /// CI: every phase, short intervals, a 24 s outage; about three minutes per ruler (both run at once).
    pub fn short() -> DrillSettings {
        DrillSettings {
            form: "short",
            interval: S(2),
            flap_period: S(24),
            hold_for: S(6),
            settle: S(20),
            restart_gap: S(4),
            outage: S(24),
            outage_reads: true,
            recovery: S(16),
            group_wait: S(1),
            group_interval: S(2),
            repeat_interval: S(600),
            peer_timeout: S(2),
            poll_every: Duration::from_millis(500),
            tocsin_flags: DEFAULT_TOCSIN_FLAGS.iter().map(|f| f.to_string()).collect(),
            vmalert_flags: Vec::new(),
            rulers: vec!["tocsin".to_string(), "vmalert".to_string()],
        }
    }

    /// The scenario at realistic pace: 10 s interval, 2.5 min outages, Alertmanager's default peer timeout.
    pub fn full() -> DrillSettings {
        DrillSettings {
            form: "full",
            interval: S(10),
            flap_period: S(120),
            hold_for: S(30),
            settle: S(90),
            restart_gap: S(30),
            outage: S(150),
            recovery: S(90),
            group_wait: S(5),
            group_interval: S(10),
            repeat_interval: S(3600),
            peer_timeout: S(15),
            poll_every: Duration::from_millis(500),
            ..DrillSettings::short()
        }
    }

    /// `base` with `DRILL_*` variables applied (durations in seconds; flag lists split on whitespace).
    pub fn from_env(base: DrillSettings) -> DrillSettings {
        DrillSettings::with_vars(base, |k| std::env::var(k).ok())
    }

    /// `base` with the variables `var` returns applied; panics naming a variable whose value does not parse.
    pub fn with_vars(mut s: DrillSettings, var: impl Fn(&str) -> Option<String>) -> DrillSettings {
        let secs = |name: &str, d: &mut Duration| {
            if let Some(v) = var(name) {
                let n: f64 = v
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={v:?}: want seconds"));
                *d = Duration::from_secs_f64(n);
            }
        };
        secs("DRILL_INTERVAL", &mut s.interval);
        secs("DRILL_FLAP_PERIOD", &mut s.flap_period);
        secs("DRILL_HOLD_FOR", &mut s.hold_for);
        secs("DRILL_SETTLE", &mut s.settle);
        secs("DRILL_RESTART_GAP", &mut s.restart_gap);
        secs("DRILL_OUTAGE", &mut s.outage);
        secs("DRILL_RECOVERY", &mut s.recovery);
        secs("DRILL_GROUP_WAIT", &mut s.group_wait);
        secs("DRILL_GROUP_INTERVAL", &mut s.group_interval);
        secs("DRILL_REPEAT_INTERVAL", &mut s.repeat_interval);
        secs("DRILL_PEER_TIMEOUT", &mut s.peer_timeout);
        if let Some(v) = var("DRILL_OUTAGE_READS") {
            s.outage_reads = match v.trim() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => panic!("DRILL_OUTAGE_READS={v:?}: want 1 or 0"),
            };
        }
        let words = |v: String| v.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        if let Some(v) = var("DRILL_TOCSIN_FLAGS") {
            s.tocsin_flags = words(v);
        }
        if let Some(v) = var("DRILL_VMALERT_FLAGS") {
            s.vmalert_flags = words(v);
        }
        if let Some(v) = var("DRILL_RULERS") {
            s.rulers = v
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            for r in &s.rulers {
                assert!(
                    r == "tocsin" || r == "vmalert",
                    "DRILL_RULERS: unknown ruler {r:?} (tocsin, vmalert)"
                );
            }
        }
        s.check();
        s
    }

    /// Panics on settings the rule design cannot use.
    pub fn check(&self) {
        let i = self.interval.as_millis();
        assert!(
            i >= 1000 && i.is_multiple_of(1000),
            "interval {:?}: whole seconds",
            self.interval
        );
        assert!(
            self.flap_period.as_millis().is_multiple_of(2 * i),
            "flap period {:?} must be a multiple of 2 × interval",
            self.flap_period
        );
        assert!(
            self.hold_for.as_millis().is_multiple_of(i),
            "for: {:?} must be a multiple of the interval",
            self.hold_for
        );
    }

    pub fn interval_ms(&self) -> i64 {
        self.interval.as_millis() as i64
    }

    /// How long after a state change its notification may arrive and still count as on time: one evaluation,
    /// Alertmanager's group wait and interval, the two non-leading peers' waits, and 5 s of slack.
    pub fn notify_tolerance_ms(&self) -> i64 {
        (self.interval + self.group_wait + self.group_interval + 2 * self.peer_timeout + S(5))
            .as_millis() as i64
    }

    /// Expected length of one ruler's drill, for the log.
    pub fn estimate(&self) -> Duration {
        self.settle
            + 3 * (self.restart_gap + S(2))
            + 3 * (self.restart_gap + S(8))
            + 2 * (self.outage + self.recovery)
            + S(20)
    }
}
