//! Segment files of the durable queue: `DIR/<id, 20 digits>.seg`, each an 8-byte magic (`TOCSINQ1`, the format
//! version) followed by framed records (see `frame`). Only the newest segment is appended to; older ones are
//! read, then deleted once the cursor has passed them. Opening scans a segment, counts its records and rows, and
//! cuts it at the first frame that is torn or corrupt.
//!
//! File IO only; no knowledge of the queue's cursor policy or of samples beyond a record's row count.

use super::frame::{self, FRAME_HEADER, Frame};
use super::record;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The first bytes of every segment. A new format gets a new magic.
pub const MAGIC: &[u8; 8] = b"TOCSINQ1";
/// Offset of the first record.
pub const START: u64 = MAGIC.len() as u64;
const SUFFIX: &str = ".seg";

/// Why a segment cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a tocsin remote-write queue segment (unknown header); move it away")]
    NotASegment { path: String },
}

impl SegmentError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        SegmentError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

pub fn path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}{SUFFIX}"))
}

/// The ids of the segments in `dir`, oldest first. Other files are ignored.
pub fn list(dir: &Path) -> std::io::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(id) = name
            .strip_suffix(SUFFIX)
            .filter(|s| s.len() == 20)
            .and_then(|s| s.parse::<u64>().ok())
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Creates segment `id` with its magic and returns a handle to append to it.
pub fn create(dir: &Path, id: u64) -> Result<File, SegmentError> {
    let p = path(dir, id);
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&p)
        .map_err(|e| SegmentError::io(&p, e))?;
    f.write_all(MAGIC).map_err(|e| SegmentError::io(&p, e))?;
    Ok(f)
}

/// Opens an existing segment for appending (after a scan has made its end a record boundary).
pub fn append(dir: &Path, id: u64) -> Result<File, SegmentError> {
    let p = path(dir, id);
    OpenOptions::new()
        .append(true)
        .open(&p)
        .map_err(|e| SegmentError::io(&p, e))
}

/// What a scan found in one segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scan {
    /// Length of the valid part (the file's length after the scan).
    pub bytes: u64,
    pub rows: u64,
    pub records: u64,
    /// Rows and records in frames that start at or after the `from` offset given to [`scan`].
    pub rows_from: u64,
    pub records_from: u64,
    /// Bytes cut off the end, and why.
    pub cut: Option<(u64, &'static str)>,
}

/// Counts the records of segment `id` and truncates it at the first torn or corrupt frame (fsyncing the cut).
pub fn scan(dir: &Path, id: u64, from: u64) -> Result<Scan, SegmentError> {
    let p = path(dir, id);
    let io = |e| SegmentError::io(&p, e);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&p)
        .map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut reader = BufReader::new(&file);
    let mut magic = [0u8; MAGIC.len()];
    let mut head = 0;
    // Reads at most 8 bytes.
    while head < magic.len() {
        match std::io::Read::read(&mut reader, &mut magic[head..]).map_err(io)? {
            0 => break,
            n => head += n,
        }
    }
    if magic[..head] != MAGIC[..head] {
        return Err(SegmentError::NotASegment {
            path: p.display().to_string(),
        });
    }
    let mut out = Scan::default();
    if head < magic.len() {
        // Torn while being created: make it a proper empty segment.
        drop(reader);
        let f = create(dir, id)?;
        f.sync_all().map_err(io)?;
        out.bytes = START;
        out.cut = Some((len, "segment header is torn"));
        return Ok(out);
    }
    let mut pos = START;
    // Each turn consumes at least one frame header, so the loop ends by the file's end.
    loop {
        match frame::read(&mut reader).map_err(io)? {
            Frame::End => break,
            Frame::Record(payload) => {
                let Ok(rows) = record::rows(&payload) else {
                    out.cut = Some((len - pos, "record too short"));
                    break;
                };
                if pos >= from {
                    out.rows_from += rows;
                    out.records_from += 1;
                }
                pos += (FRAME_HEADER + payload.len()) as u64;
                out.rows += rows;
                out.records += 1;
            }
            Frame::Torn => {
                out.cut = Some((len - pos, "torn record at the end (crash mid-write)"));
                break;
            }
            Frame::Corrupt(why) => {
                out.cut = Some((len - pos, why));
                break;
            }
        }
    }
    drop(reader);
    if out.cut.is_some() {
        file.set_len(pos).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    out.bytes = pos;
    Ok(out)
}

/// A handle positioned at `off` in segment `id`, for reading records.
pub fn reader_at(dir: &Path, id: u64, off: u64) -> Result<BufReader<File>, SegmentError> {
    let p = path(dir, id);
    let mut f = File::open(&p).map_err(|e| SegmentError::io(&p, e))?;
    f.seek(SeekFrom::Start(off))
        .map_err(|e| SegmentError::io(&p, e))?;
    Ok(BufReader::new(f))
}
