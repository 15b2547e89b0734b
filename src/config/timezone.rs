//! Time zones by IANA name (`cron_timezone`), read from the system's tz database at run time, as Go's
//! `time.LoadLocation` (and so vmalert) does, instead of tables compiled into the executable. Validation and the
//! schedule both load zones through here. Must not know about schedules or groups.
//!
//! Why not compiled-in tables (`chrono-tz`): their 28,600 transition entries each point to an abbreviation, so a
//! position-independent executable rewrites ~1 MiB of them at every start, resident for the process's life, to serve
//! a field most rule files never set (`docs/benchmarks.md`, "Binary size").
//!
//! The reader (`tzfile`) applies a zone's listed transitions only, not the rule string at the end of the file that
//! extends them. Debian's and most distributions' "fat" files list transitions up to 2037, so that is exact for
//! the years that matter; a "slim" file (transitions only until the rule took over, e.g. 2007 for New York) would
//! silently lose daylight saving time, so such a zone is refused with a clear error instead.

use tzfile::{ArcTz, Tz};

/// Where the zone files are: `$ZONEINFO` when set (as for Go), otherwise the system's database.
fn zoneinfo_dir() -> std::path::PathBuf {
    std::env::var_os("ZONEINFO")
        .map(Into::into)
        .unwrap_or_else(|| "/usr/share/zoneinfo".into())
}

/// A named zone: `None` for UTC (built in, no file needed), otherwise the zone read from the database.
pub fn load(name: &str) -> Result<Option<ArcTz>, String> {
    if name == "UTC" || name == "Etc/UTC" {
        return Ok(None);
    }
    let valid = !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/'));
    if !valid {
        return Err("not an IANA time zone name".to_string());
    }
    let path = zoneinfo_dir().join(name);
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("no such zone in {}", zoneinfo_dir().display()),
        _ => format!("cannot read {}: {e}", path.display()),
    })?;
    if is_slim(&bytes) {
        return Err(format!(
            "{} is a \"slim\" zone file whose daylight-saving rule tocsin cannot apply; install fat zone files \
             (Debian's tzdata) or point $ZONEINFO at them",
            name
        ));
    }
    Tz::parse(name, &bytes)
        .map(|tz| Some(ArcTz::new(tz)))
        .map_err(|e| format!("cannot parse {}: {e}", path.display()))
}

/// True when the file's last listed transition is before 2030 while its closing rule string still switches
/// between standard and daylight time (a comma in the POSIX TZ string): the transitions after it are missing.
fn is_slim(bytes: &[u8]) -> bool {
    const YEAR_2030: i64 = 1_893_456_000;
    let Some((last, footer)) = last_transition_and_footer(bytes) else {
        return false;
    };
    footer.contains(',') && last.is_none_or(|t| t < YEAR_2030)
}

/// The last transition time of the 64-bit (version 2+) block and the footer string, per RFC 8536.
fn last_transition_and_footer(bytes: &[u8]) -> Option<(Option<i64>, String)> {
    let counts = |at: usize| -> Option<[usize; 6]> {
        let h = bytes.get(at..at + 44)?;
        if &h[..4] != b"TZif" {
            return None;
        }
        let mut out = [0usize; 6];
        for (i, slot) in out.iter_mut().enumerate() {
            let b = h.get(20 + 4 * i..24 + 4 * i)?;
            *slot = u32::from_be_bytes(b.try_into().ok()?) as usize;
        }
        Some(out)
    };
    // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    let [ut, std, leap, time, typ, chr] = counts(0)?;
    let v1 = time * 4 + time + typ * 6 + chr + leap * 8 + std + ut;
    let second = 44 + v1;
    let [ut, std, leap, time, typ, chr] = counts(second)?;
    let data = second + 44;
    let last = if time > 0 {
        let at = data + (time - 1) * 8;
        Some(i64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
    } else {
        None
    };
    let footer_at = data + time * 8 + time + typ * 6 + chr + leap * 12 + std + ut;
    let footer = bytes.get(footer_at..)?;
    let text = String::from_utf8_lossy(footer)
        .trim_matches('\n')
        .to_string();
    Some((last, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_needs_no_file_and_bad_names_are_refused() {
        assert!(load("UTC").expect("utc").is_none());
        for bad in [
            "",
            "/etc/passwd",
            "Europe/../../etc/passwd",
            "Europe//Berlin",
            "Mars/Olympus Mons",
        ] {
            assert!(load(bad).is_err(), "{bad:?}");
        }
        assert!(load("Nowhere/Atlantis").is_err());
    }

    #[test]
    fn fat_and_slim_files_are_told_apart() {
        // The system's file (Debian's tzdata is fat) loads; its footer is read correctly.
        let bytes = std::fs::read("/usr/share/zoneinfo/Europe/Berlin").expect("tzdata installed");
        let (last, footer) = last_transition_and_footer(&bytes).expect("parses");
        assert_eq!(footer, "CET-1CEST,M3.5.0,M10.5.0/3");
        assert!(
            last.expect("transitions") > 2_000_000_000,
            "fat: listed into the 2030s"
        );
        assert!(!is_slim(&bytes));
        assert!(load("Europe/Berlin").expect("loads").is_some());
        // The same file cut down to its last transition before 2010 (what zic -b slim writes) is refused.
        let slim = slim_copy(&bytes, 1_262_304_000);
        assert!(is_slim(&slim));
    }

    /// A copy of a version-2 file whose 64-bit block lists only the transitions before `until`.
    fn slim_copy(bytes: &[u8], until: i64) -> Vec<u8> {
        let u32_at = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let v1 = {
            let (ut, std, leap, time, typ, chr) = (
                u32_at(20),
                u32_at(24),
                u32_at(28),
                u32_at(32),
                u32_at(36),
                u32_at(40),
            );
            time * 5 + typ * 6 + chr + leap * 8 + std + ut
        };
        let second = 44 + v1;
        let time = u32_at(second + 32);
        let data = second + 44;
        let times: Vec<i64> = (0..time)
            .map(|i| i64::from_be_bytes(bytes[data + i * 8..data + i * 8 + 8].try_into().unwrap()))
            .collect();
        let keep = times.iter().filter(|&&t| t < until).count();
        let idx = &bytes[data + time * 8..data + time * 9];
        let rest = &bytes[data + time * 9..];
        let mut out = bytes[..second + 32].to_vec();
        out.extend_from_slice(&(keep as u32).to_be_bytes());
        out.extend_from_slice(&bytes[second + 36..data]);
        for t in &times[..keep] {
            out.extend_from_slice(&t.to_be_bytes());
        }
        out.extend_from_slice(&idx[..keep]);
        out.extend_from_slice(rest);
        out
    }
}
