//! Process metrics in the Prometheus client's names (`process_*`), read from `/proc/self` on Linux; elsewhere
//! only the start time. Best effort: a file that cannot be read leaves its metric out.

use super::text::{Exposition, Kind};
use std::sync::OnceLock;

/// Unix seconds when the server first asked (close enough to process start: the server starts at once).
fn start_time() -> f64 {
    static START: OnceLock<f64> = OnceLock::new();
    *START.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    })
}

/// Records the start time; call once at startup.
pub fn mark_start() {
    let _ = start_time();
}

pub fn write(e: &mut Exposition) {
    e.family(
        "process_start_time_seconds",
        Kind::Gauge,
        "start time of the process since the Unix epoch",
    );
    e.sample("process_start_time_seconds", &[], start_time().floor());
    #[cfg(target_os = "linux")]
    linux(e);
}

#[cfg(target_os = "linux")]
fn linux(e: &mut Exposition) {
    // USER_HZ is 100 on every Linux architecture tocsin builds for; page size 4 KiB on x86_64 and aarch64 defaults.
    const TICKS: f64 = 100.0;
    const PAGE: f64 = 4096.0;
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        // Fields after the command name (which may hold spaces) start after the last ')'.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        // f[0] is field 3 (state): utime is field 14, stime 15, vsize 23, rss 24.
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
        if let (Some(u), Some(s)) = (num(11), num(12)) {
            e.family(
                "process_cpu_seconds_total",
                Kind::Counter,
                "user and system CPU time spent",
            );
            e.sample("process_cpu_seconds_total", &[], (u + s) / TICKS);
        }
        if let Some(v) = num(20) {
            e.family(
                "process_virtual_memory_bytes",
                Kind::Gauge,
                "virtual memory size",
            );
            e.sample("process_virtual_memory_bytes", &[], v);
        }
        if let Some(r) = num(21) {
            e.family(
                "process_resident_memory_bytes",
                Kind::Gauge,
                "resident memory size",
            );
            e.sample("process_resident_memory_bytes", &[], r * PAGE);
        }
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        e.family("process_open_fds", Kind::Gauge, "open file descriptors");
        e.sample("process_open_fds", &[], dir.count() as f64);
    }
}
