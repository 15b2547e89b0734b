//! The persisted read cursor of the durable queue: the position (segment, byte offset) before which every record
//! has been settled (delivered, or given up for good). It lives in `DIR/cursor` as 20 bytes: segment (u64 LE),
//! offset (u64 LE), CRC-32 of those 16 bytes (u32 LE). It is replaced atomically (write `cursor.tmp`, rename) and
//! not fsynced: a cursor lost to a power cut only means some delivered records are sent again, never that one is
//! skipped. A missing or damaged cursor reads as `None` and the queue resends from its oldest record.

use super::frame::crc32;
use std::path::Path;

/// A position in the queue: a segment and a byte offset in it. Orders as the records do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub seg: u64,
    pub off: u64,
}

pub const FILE: &str = "cursor";
const TMP: &str = "cursor.tmp";
const LEN: usize = 20;

/// The cursor bytes.
pub fn encode(pos: Pos) -> [u8; LEN] {
    let mut out = [0u8; LEN];
    out[..8].copy_from_slice(&pos.seg.to_le_bytes());
    out[8..16].copy_from_slice(&pos.off.to_le_bytes());
    let crc = crc32(&out[..16]);
    out[16..].copy_from_slice(&crc.to_le_bytes());
    out
}

/// The position in `bytes`, or `None` when they are not a whole, intact cursor.
pub fn decode(bytes: &[u8]) -> Option<Pos> {
    if bytes.len() != LEN {
        return None;
    }
    let word = |r: std::ops::Range<usize>| -> Option<u64> {
        Some(u64::from_le_bytes(bytes.get(r)?.try_into().ok()?))
    };
    let crc = u32::from_le_bytes(bytes.get(16..20)?.try_into().ok()?);
    if crc32(&bytes[..16]) != crc {
        return None;
    }
    Some(Pos {
        seg: word(0..8)?,
        off: word(8..16)?,
    })
}

/// Reads `dir/cursor`; `Ok(None)` when it is absent, `Err` with a reason when it is damaged.
pub fn load(dir: &Path) -> Result<Option<Pos>, String> {
    match std::fs::read(dir.join(FILE)) {
        Ok(bytes) => decode(&bytes)
            .map(Some)
            .ok_or_else(|| format!("{} bytes that are not an intact cursor", bytes.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Replaces `dir/cursor` atomically.
pub fn store(dir: &Path, pos: Pos) -> std::io::Result<()> {
    let tmp = dir.join(TMP);
    std::fs::write(&tmp, encode(pos))?;
    std::fs::rename(&tmp, dir.join(FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_survives_a_store_and_load() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Ok(None));
        let pos = Pos {
            seg: 7,
            off: 123_456,
        };
        store(dir.path(), pos).unwrap();
        assert_eq!(load(dir.path()), Ok(Some(pos)));
        store(dir.path(), Pos { seg: 8, off: 8 }).unwrap();
        assert_eq!(load(dir.path()), Ok(Some(Pos { seg: 8, off: 8 })));
        assert!(!dir.path().join(TMP).exists());
    }

    #[test]
    fn damaged_cursors_are_refused() {
        let good = encode(Pos { seg: 1, off: 8 });
        assert_eq!(decode(&good), Some(Pos { seg: 1, off: 8 }));
        assert_eq!(decode(&good[..19]), None);
        for i in 0..LEN {
            let mut bad = good;
            bad[i] ^= 1;
            assert_eq!(decode(&bad), None, "byte {i} flipped");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"").unwrap();
        assert!(load(dir.path()).is_err());
    }
}
