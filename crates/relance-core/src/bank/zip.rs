//! A `.zip` of daily statement files, read whole: each file inside is a statement, named
//! "archive.zip/file.xml" in messages. Only what banks write is read (stored or deflated
//! entries, no ZIP64, no encryption); every size is bounded before anything is inflated
//! (the files together over the statement bound, or more than [`MAX_ENTRIES`] files, are
//! refused), so a crafted archive cannot exhaust memory. Each entry's CRC-32 is checked.

use super::{check_size, fault, MAX_MB};
use crate::error::{Result, StatementFault};
use std::io::Read;

/// The most files one archive may hold (a year of daily statements and some).
pub const MAX_ENTRIES: usize = 1000;

/// True when `bytes` start like a ZIP archive.
pub fn looks_like(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

fn bad(why: &str) -> crate::error::Error {
    fault(StatementFault::ZipUnreadable(why.to_string()))
}

fn u16_at(b: &[u8], at: usize) -> Result<u16> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| bad("truncated"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| bad("truncated"))
}

/// The files of the archive, in its order: (name, bytes). Directories and the resource
/// forks some systems add (`__MACOSX/`, names starting with ".") are left out.
pub fn entries(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    check_size(bytes.len() as u64)?;
    // The end of central directory record: in the last 22 + 65,535 bytes (its comment).
    let floor = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (floor..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))
        .ok_or_else(|| bad("no central directory"))?;
    let count = u16_at(bytes, eocd + 10)? as usize;
    let cd_offset = u32_at(bytes, eocd + 16)? as usize;
    if count == 0xFFFF || cd_offset == 0xFFFF_FFFF {
        return Err(bad("zip64"));
    }
    if count > MAX_ENTRIES {
        return Err(bad(&format!("more than {MAX_ENTRIES} files")));
    }
    let mut out = Vec::new();
    let mut at = cd_offset;
    let limit = MAX_MB * 1024 * 1024;
    let mut total: u64 = 0;
    for _ in 0..count {
        if u32_at(bytes, at)? != 0x0201_4b50 {
            return Err(bad("damaged central directory"));
        }
        let flags = u16_at(bytes, at + 8)?;
        let method = u16_at(bytes, at + 10)?;
        let crc = u32_at(bytes, at + 16)?;
        let packed = u32_at(bytes, at + 20)? as usize;
        let size = u32_at(bytes, at + 24)? as u64;
        let name_len = u16_at(bytes, at + 28)? as usize;
        let extra_len = u16_at(bytes, at + 30)? as usize;
        let comment_len = u16_at(bytes, at + 32)? as usize;
        let local = u32_at(bytes, at + 42)? as usize;
        let raw_name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or_else(|| bad("truncated"))?;
        // Bit 11: the name is UTF-8; otherwise CP437, which for the ASCII names banks use
        // reads the same (anything else is read as Windows-1252, close enough for a name).
        let name = super::decode(raw_name).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        let base = name.rsplit('/').next().unwrap_or_default();
        if name.ends_with('/') || name.starts_with("__MACOSX/") || base.starts_with('.') {
            continue;
        }
        if flags & 1 != 0 {
            return Err(fault(StatementFault::ZipEncrypted));
        }
        total += size;
        if total > limit || packed as u64 > limit {
            return Err(fault(StatementFault::TooLarge { max_mb: MAX_MB }));
        }
        if u32_at(bytes, local)? != 0x0403_4b50 {
            return Err(bad("damaged file header"));
        }
        let start =
            local + 30 + u16_at(bytes, local + 26)? as usize + u16_at(bytes, local + 28)? as usize;
        let data = bytes
            .get(start..start + packed)
            .ok_or_else(|| bad("truncated"))?;
        let content = match method {
            0 => data.to_vec(),
            8 => {
                let mut v = Vec::with_capacity(size as usize);
                flate2::read::DeflateDecoder::new(data)
                    .take(size + 1)
                    .read_to_end(&mut v)
                    .map_err(|_| bad("damaged compressed data"))?;
                v
            }
            _ => return Err(bad(&format!("compression method {method}"))),
        };
        if content.len() as u64 != size {
            return Err(bad("size does not match"));
        }
        let mut h = flate2::Crc::new();
        h.update(&content);
        if h.sum() != crc {
            return Err(bad("checksum does not match"));
        }
        out.push((name, content));
    }
    if out.is_empty() {
        return Err(fault(StatementFault::ZipEmpty));
    }
    Ok(out)
}
