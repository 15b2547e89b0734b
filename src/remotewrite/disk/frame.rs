//! The on-disk framing of the durable remote-write queue, pure: a record is `len` (u32 LE, payload bytes),
//! `crc` (u32 LE, CRC-32/IEEE of the payload), then the payload. A reader that meets a short header, a short
//! payload, a length out of range or a CRC mismatch stops there: that is a torn tail (a crash mid-write) or
//! corruption, and nothing after it in the same file is trusted.
//!
//! No IO beyond the `Read` it is handed; knows nothing about samples (see `record`).

use std::io::Read;

/// Bytes before each payload: length and CRC.
pub const FRAME_HEADER: usize = 8;
/// A payload larger than this is taken as a corrupt length (records hold at most one batch).
pub const MAX_PAYLOAD: u32 = 256 << 20;

/// What the next bytes of a file hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole record whose CRC matches.
    Record(Vec<u8>),
    /// Nothing more: the file ends at a record boundary.
    End,
    /// The file ends inside a header or payload (a crash mid-write).
    Torn,
    /// A zero or oversized length, or a CRC mismatch.
    Corrupt(&'static str),
}

/// One framed record, ready to be appended with a single write.
pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEADER + payload.len());
    // Callers keep payloads far below 4 GiB (a record holds at most one batch), so the length fits.
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads the next frame from `r`. IO errors other than a short read are returned as such.
pub fn read(r: &mut impl Read) -> std::io::Result<Frame> {
    let mut header = [0u8; FRAME_HEADER];
    let got = read_full(r, &mut header)?;
    if got == 0 {
        return Ok(Frame::End);
    }
    if got < FRAME_HEADER {
        return Ok(Frame::Torn);
    }
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if len == 0 || len > MAX_PAYLOAD {
        return Ok(Frame::Corrupt("record length out of range"));
    }
    let mut payload = vec![0u8; len as usize];
    if read_full(r, &mut payload)? < payload.len() {
        return Ok(Frame::Torn);
    }
    if crc32(&payload) != crc {
        return Ok(Frame::Corrupt("record checksum mismatch"));
    }
    Ok(Frame::Record(payload))
}

/// Fills `buf` as far as the reader allows; returns the bytes read (less than `buf.len()` only at end of file).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    // Each turn reads at least one byte or ends; bounded by `buf.len()`.
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// CRC-32/IEEE (the zlib, PNG and Ethernet checksum), table-driven.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

const CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_values() {
        // The catalogue check value of CRC-32/ISO-HDLC, and two values zlib's crc32() gives.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"a"), 0xe8b7_be43);
    }

    #[test]
    fn frames_round_trip_in_sequence() {
        let mut file = encode(b"first");
        file.extend(encode(&[7u8; 1000]));
        assert_eq!(
            &file[..8],
            &[5, 0, 0, 0, 0x57, 0xee, 0x71, 0x92][..],
            "len, then crc32(\"first\") = 0x9271ee57 (zlib), LE"
        );
        let mut r = file.as_slice();
        assert_eq!(read(&mut r).unwrap(), Frame::Record(b"first".to_vec()));
        assert_eq!(read(&mut r).unwrap(), Frame::Record(vec![7u8; 1000]));
        assert_eq!(read(&mut r).unwrap(), Frame::End);
    }

    #[test]
    fn every_cut_inside_a_frame_reads_as_torn() {
        let whole = encode(b"payload");
        for cut in 1..whole.len() {
            let mut r = &whole[..cut];
            assert_eq!(read(&mut r).unwrap(), Frame::Torn, "cut at {cut}");
        }
    }

    #[test]
    fn flipped_bits_and_bad_lengths_read_as_corrupt() {
        let whole = encode(b"payload");
        for i in FRAME_HEADER..whole.len() {
            let mut bad = whole.clone();
            bad[i] ^= 0x10;
            assert_eq!(
                read(&mut bad.as_slice()).unwrap(),
                Frame::Corrupt("record checksum mismatch"),
                "byte {i}"
            );
        }
        let zeros = [0u8; 16];
        assert_eq!(
            read(&mut zeros.as_slice()).unwrap(),
            Frame::Corrupt("record length out of range")
        );
        let mut huge = encode(b"x");
        huge[..4].copy_from_slice(&(MAX_PAYLOAD + 1).to_le_bytes());
        assert_eq!(
            read(&mut huge.as_slice()).unwrap(),
            Frame::Corrupt("record length out of range")
        );
    }
}
