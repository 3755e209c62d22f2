//! A minimal ZIP writer: stored (uncompressed) entries with CRC-32, no ZIP64, which every
//! unzip tool reads. Personal-data exports are a few small CSV files, so compression
//! would buy little; MongooseIM's `zip:create` deflates, readers do not care.

use std::io::{self, Write};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIR: u32 = 0x0605_4b50;
/// ZIP 2.0.
const VERSION: u16 = 20;
/// "Made by" Unix (high byte 3), ZIP 2.0: the external attributes carry Unix modes.
const VERSION_MADE_BY: u16 = (3 << 8) | VERSION;
/// General-purpose flag bit 11: names are UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
/// Regular file, rw-r--r--.
const UNIX_MODE: u32 = 0o100_644;

struct Entry {
    name: String,
    crc: u32,
    size: u32,
    offset: u32,
}

/// Writes `files` (name, content) as a ZIP archive into `out`, entries stamped with
/// `unix_secs` (UTC).
pub fn write_zip(
    mut out: impl Write,
    files: &[(String, Vec<u8>)],
    unix_secs: i64,
) -> io::Result<()> {
    let (time, date) = dos_time(unix_secs);
    let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "ZIP archive larger than 4 GiB");
    let mut entries = Vec::with_capacity(files.len());
    let mut pos: u32 = 0;
    for (name, data) in files {
        let size = u32::try_from(data.len()).map_err(|_| too_big())?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_big())?;
        let crc = crc32fast::hash(data);
        let mut h = Vec::with_capacity(30 + name.len());
        put32(&mut h, LOCAL_HEADER);
        put16(&mut h, VERSION);
        put16(&mut h, FLAG_UTF8);
        put16(&mut h, 0); // stored
        put16(&mut h, time);
        put16(&mut h, date);
        put32(&mut h, crc);
        put32(&mut h, size); // compressed size
        put32(&mut h, size);
        put16(&mut h, name_len);
        put16(&mut h, 0); // extra field length
        h.extend_from_slice(name.as_bytes());
        out.write_all(&h)?;
        out.write_all(data)?;
        entries.push(Entry {
            name: name.clone(),
            crc,
            size,
            offset: pos,
        });
        pos = u32::try_from(h.len())
            .ok()
            .and_then(|n| pos.checked_add(n))
            .and_then(|p| p.checked_add(size))
            .ok_or_else(too_big)?;
    }
    let dir_start = pos;
    let mut dir = Vec::new();
    for e in &entries {
        put32(&mut dir, CENTRAL_HEADER);
        put16(&mut dir, VERSION_MADE_BY);
        put16(&mut dir, VERSION);
        put16(&mut dir, FLAG_UTF8);
        put16(&mut dir, 0); // stored
        put16(&mut dir, time);
        put16(&mut dir, date);
        put32(&mut dir, e.crc);
        put32(&mut dir, e.size);
        put32(&mut dir, e.size);
        put16(&mut dir, e.name.len() as u16); // checked above
        put16(&mut dir, 0); // extra field length
        put16(&mut dir, 0); // comment length
        put16(&mut dir, 0); // disk number
        put16(&mut dir, 0); // internal attributes
        put32(&mut dir, UNIX_MODE << 16);
        put32(&mut dir, e.offset);
        dir.extend_from_slice(e.name.as_bytes());
    }
    let count = u16::try_from(entries.len()).map_err(|_| too_big())?;
    let dir_len = u32::try_from(dir.len()).map_err(|_| too_big())?;
    dir_start.checked_add(dir_len).ok_or_else(too_big)?;
    put32(&mut dir, END_OF_CENTRAL_DIR);
    put16(&mut dir, 0); // this disk
    put16(&mut dir, 0); // disk with the directory
    put16(&mut dir, count);
    put16(&mut dir, count);
    put32(&mut dir, dir_len);
    put32(&mut dir, dir_start);
    put16(&mut dir, 0); // comment length
    out.write_all(&dir)?;
    out.flush()
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// MS-DOS (time, date) of a Unix time (UTC); DOS dates start in 1980 and end in 2107.
fn dos_time(unix_secs: i64) -> (u16, u16) {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_secs.max(315_532_800))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let (h, mi, sec) = (
        u16::from(t.hour()),
        u16::from(t.minute()),
        u16::from(t.second()),
    );
    let (mo, d) = (u16::from(u8::from(t.month())), u16::from(t.day()));
    let y = u16::try_from(t.year() - 1980).unwrap_or(0).min(127);
    let time = (h << 11) | (mi << 5) | (sec / 2);
    let date = (y << 9) | (mo << 5) | d;
    (time, date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_le_bytes([b[i], b[i + 1]])
    }
    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
    }

    /// Reads the archive back through its central directory.
    fn read_back(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        let eocd = zip.len() - 22;
        assert_eq!(u32_at(zip, eocd), END_OF_CENTRAL_DIR);
        let count = usize::from(u16_at(zip, eocd + 10));
        let mut p = u32_at(zip, eocd + 16) as usize;
        let mut out = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(zip, p), CENTRAL_HEADER);
            let crc = u32_at(zip, p + 16);
            let size = u32_at(zip, p + 24) as usize;
            let name_len = usize::from(u16_at(zip, p + 28));
            let offset = u32_at(zip, p + 42) as usize;
            let name = String::from_utf8(zip[p + 46..p + 46 + name_len].to_vec()).unwrap();
            assert_eq!(u32_at(zip, offset), LOCAL_HEADER);
            let start = offset + 30 + usize::from(u16_at(zip, offset + 26));
            let data = zip[start..start + size].to_vec();
            assert_eq!(crc32fast::hash(&data), crc);
            out.push((name, data));
            p += 46 + name_len;
        }
        out
    }

    #[test]
    fn round_trip() {
        let files = vec![
            (
                "roster.csv".to_owned(),
                b"jid,name\nbob@localhost,Bob\n".to_vec(),
            ),
            ("é.csv".to_owned(), Vec::new()),
        ];
        let mut buf = Vec::new();
        write_zip(&mut buf, &files, 1_700_000_000).unwrap();
        assert_eq!(read_back(&buf), files);
        let mut empty = Vec::new();
        write_zip(&mut empty, &[], 0).unwrap();
        assert_eq!(empty.len(), 22);
        assert!(read_back(&empty).is_empty());
    }

    #[test]
    fn dos_time_fields() {
        // 2023-11-14T22:13:20Z
        let (t, d) = dos_time(1_700_000_000);
        assert_eq!((t >> 11, (t >> 5) & 63, (t & 31) * 2), (22, 13, 20));
        assert_eq!((d >> 9) + 1980, 2023);
        assert_eq!(((d >> 5) & 15, d & 31), (11, 14));
        // Before 1980: clamped.
        assert_eq!(dos_time(0).1 >> 9, 0);
    }

    #[test]
    fn crc_is_the_zip_crc() {
        // The CRC-32 check value of "123456789".
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
    }
}
