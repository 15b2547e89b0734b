//! The ruler under test, pluggable: tocsin (the binary cargo built) or Debian's vmalert, each with its own flag
//! list. A replica keeps its port and its directory across restarts, so state a ruler keeps on disk or restores
//! from a sibling survives a SIGKILL as it would in a pod with a volume.
//!
//! Extra flags (HA features as they land) come from the settings; `{dir}` (the replica's directory), `{replica}`
//! (its index), `{peers}` (the other replicas' base URLs, comma-separated), `{vm}` (the datasource URL, also fit
//! for remote read) and `{rw}` (the remote-write URL) are replaced in them. A ruler that exits before it is up, for instance on a flag it does not know, fails the drill
//! with its log: nothing is skipped silently.

use crate::peers::{Proc, VMALERT, client, free_port};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulerKind {
    Tocsin,
    Vmalert,
}

impl RulerKind {
    pub fn parse(name: &str) -> RulerKind {
        match name {
            "tocsin" => RulerKind::Tocsin,
            "vmalert" => RulerKind::Vmalert,
            other => panic!("unknown ruler {other:?}"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RulerKind::Tocsin => "tocsin",
            RulerKind::Vmalert => "vmalert",
        }
    }

    fn bin(self) -> &'static str {
        match self {
            RulerKind::Tocsin => env!("CARGO_BIN_EXE_tocsin"),
            RulerKind::Vmalert => VMALERT,
        }
    }
}

/// Where a replica reads, writes and notifies.
pub struct Wiring<'a> {
    pub rules: &'a Path,
    /// Datasource and (vmalert) remote read: the read gate in front of VictoriaMetrics.
    pub vm: &'a str,
    /// Remote write: the write gate in front of the same VictoriaMetrics.
    pub write: &'a str,
    pub alertmanagers: &'a [String],
    /// Every replica's HTTP port, this one's included.
    pub ports: &'a [u16],
    pub flush_interval: Duration,
}

/// The flags a ruler gets before the extra ones.
pub fn base_flags(kind: RulerKind, w: &Wiring<'_>, replica: usize) -> Vec<String> {
    let mut args = Vec::new();
    if kind == RulerKind::Tocsin {
        args.push("run".to_string());
    }
    args.extend([
        format!("-rule={}", w.rules.display()),
        format!("-datasource.url={}", w.vm),
        format!("-remoteWrite.url={}", w.write),
        format!(
            "-remoteWrite.flushInterval={}ms",
            w.flush_interval.as_millis()
        ),
        format!("-httpListenAddr=127.0.0.1:{}", w.ports[replica]),
        "-loggerLevel=INFO".to_string(),
    ]);
    match kind {
        // vmalert 1.79 has no evaluation delay: query at the aligned tick, like vmalert.
        RulerKind::Tocsin => args.push("-rule.evalDelay=0s".to_string()),
        // vmalert's own way to restore `for` state after a restart.
        RulerKind::Vmalert => args.push(format!("-remoteRead.url={}", w.vm)),
    }
    args.extend(w.alertmanagers.iter().map(|u| format!("-notifier.url={u}")));
    args
}

/// Replaces the placeholders of an extra flag.
pub fn expand(flag: &str, dir: &Path, replica: usize, w: &Wiring<'_>) -> String {
    let peers: Vec<String> = w
        .ports
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != replica)
        .map(|(_, p)| format!("http://127.0.0.1:{p}"))
        .collect();
    flag.replace("{dir}", &dir.display().to_string())
        .replace("{replica}", &replica.to_string())
        .replace("{peers}", &peers.join(","))
        .replace("{vm}", w.vm)
        .replace("{rw}", w.write)
}

/// One replica: a process that can be killed and started again on the same port and directory.
pub struct Replica {
    pub port: u16,
    pub proc: Proc,
}

impl Replica {
    /// Starts replica `index` and waits until it is up.
    pub async fn start(kind: RulerKind, index: usize, w: &Wiring<'_>, extra: &[String]) -> Replica {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut args = base_flags(kind, w, index);
        args.extend(extra.iter().map(|f| expand(f, dir.path(), index, w)));
        let name = format!("{}-{index}", kind.name());
        let mut r = Replica {
            port: w.ports[index],
            proc: Proc::spawn(&name, kind.bin(), &args, dir),
        };
        r.wait_up(0).await;
        r
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        self.proc.kill();
    }

    /// Starts the replica again after `kill` and waits until it is up.
    pub async fn start_again(&mut self) {
        let offset = self.proc.log_len();
        self.proc.start_again();
        self.wait_up(offset).await;
    }

    /// Up: `/health` answers 200, or (tocsin before it serves HTTP) it logged that its groups started, which it
    /// does after restoring state. Panics with the log when the process exits first or is not up within 30 s.
    async fn wait_up(&mut self, log_offset: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let health = format!("http://127.0.0.1:{}/health", self.port);
        let c = client();
        loop {
            if let Some(code) = self.proc.exited() {
                panic!(
                    "{} exited ({code:?}) before it was up: a flag it rejects, or a crash. Log:\n{}",
                    self.proc.name,
                    self.proc.log_since(log_offset)
                );
            }
            let healthy = c
                .get(&health)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if healthy || started_groups(&self.proc.log_since(log_offset)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} not up within 30 s; log:\n{}",
                self.proc.name,
                self.proc.log_since(log_offset)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Panics with the log if the replica died on its own.
    pub fn assert_running(&mut self) {
        if let Some(code) = self.proc.exited() {
            panic!(
                "{} died during the drill ({code:?}); log:\n{}",
                self.proc.name,
                self.proc.log()
            );
        }
    }
}

/// Whether a log holds tocsin's "groups started" line (or an older "group started").
fn started_groups(log: &str) -> bool {
    log.lines()
        .any(|l| l.contains("started") && l.contains("group"))
}

/// Ports for `n` replicas, fixed for the whole drill.
pub fn ports(n: usize) -> Vec<u16> {
    (0..n).map(|_| free_port()).collect()
}
