//! Small helpers: hex, random identifiers and XEP-0082 timestamps (the calendar is the
//! `time` crate's, the one used everywhere in the tree).

use std::time::{SystemTime, UNIX_EPOCH};

/// A random identifier of `bytes` random bytes, lowercase hex (CSPRNG).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    hex(&buf)
}

/// `bytes` as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    s
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> i64 {
    now_us() / 1_000_000
}

/// The UTC date-time of a Unix time in microseconds, clamped to the years 0000-9999 that
/// the four-digit XEP-0082 form can write.
fn utc_us(us: i64) -> time::OffsetDateTime {
    let min = time::PrimitiveDateTime::MIN.assume_utc();
    let max = time::PrimitiveDateTime::MAX.assume_utc();
    let first = time::Date::from_calendar_date(0, time::Month::January, 1)
        .map_or(min, |d| d.midnight().assume_utc());
    let last = time::Date::from_calendar_date(9999, time::Month::December, 31)
        .ok()
        .and_then(|d| d.with_hms_micro(23, 59, 59, 999_999).ok())
        .map_or(max, time::PrimitiveDateTime::assume_utc);
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or(if us < 0 { first } else { last })
        .clamp(first, last)
}

/// XEP-0082 date-time in UTC with microseconds, e.g. `2026-11-25T18:39:05.123456Z`.
pub fn timestamp_us(us: i64) -> String {
    let t = utc_us(us);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// XEP-0082 date-time in UTC with whole seconds, e.g. `2026-11-25T18:39:05Z`.
pub fn timestamp_secs(secs: i64) -> String {
    let t = utc_us(secs.saturating_mul(1_000_000));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The Unix time (seconds) of a UTC calendar date and time of day, or `None` if the date
/// does not exist (the 30th of February) or a field is out of range. A leap second
/// (`second` 60) counts as the first second of the next minute, as in POSIX time.
pub fn unix_secs(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<i64> {
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let leap = i64::from(second == 60);
    let t = date
        .with_hms(hour, minute, second - u8::try_from(leap).ok()?)
        .ok()?;
    Some(t.assume_utc().unix_timestamp() + leap)
}

/// Parses an XEP-0082 date-time (`2026-11-25T18:39:05Z`, optional fraction, `Z` or
/// `+hh:mm`/`-hh:mm`) into microseconds since the epoch.
pub fn parse_timestamp_us(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d, h, mi, sec) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let mut rest = &s[19..];
    let mut micros = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let f = &frac[..digits];
        let padded: String = f.chars().chain(std::iter::repeat('0')).take(6).collect();
        micros = padded.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset_secs = match rest {
        "Z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":" => {
            let oh: i64 = tz[1..3].parse().ok()?;
            let om: i64 = tz[4..6].parse().ok()?;
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    let field = |v: i64| u8::try_from(v).ok();
    let local = unix_secs(
        i32::try_from(y).ok()?,
        field(mo)?,
        field(d)?,
        field(h)?,
        field(mi)?,
        field(sec)?,
    )?;
    Some((local - offset_secs) * 1_000_000 + micros)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parse_round_trip() {
        for us in [0i64, 951_782_400_000_000, 1_795_718_345_123_456, -1_000_000] {
            assert_eq!(
                super::parse_timestamp_us(&super::timestamp_us(us)),
                Some(us)
            );
        }
        assert_eq!(
            super::parse_timestamp_us("2026-11-26T19:39:05+01:00"),
            Some(1_795_718_345_000_000)
        );
        assert_eq!(super::parse_timestamp_us("2026-11-26 18:39:05Z"), None);
        assert_eq!(super::parse_timestamp_us("2026-13-26T18:39:05Z"), None);
    }

    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp_secs(0), "1970-01-01T00:00:00Z");
        assert_eq!(timestamp_secs(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            timestamp_us(1_795_718_345_123_456),
            "2026-11-26T18:39:05.123456Z"
        );
        assert_eq!(timestamp_secs(-1), "1969-12-31T23:59:59Z");
        // Leap days, before 1970 and after 2038 (past 32-bit time_t).
        assert_eq!(timestamp_secs(-2_203_891_200), "1900-03-01T00:00:00Z");
        assert_eq!(timestamp_secs(-2_077_747_200), "1904-02-29T00:00:00Z");
        assert_eq!(
            timestamp_us(4_107_542_400_000_001),
            "2100-03-01T00:00:00.000001Z"
        );
        assert_eq!(timestamp_secs(2_147_483_648), "2038-01-19T03:14:08Z");
        assert_eq!(timestamp_secs(253_402_300_799), "9999-12-31T23:59:59Z");
        // Beyond four-digit years: clamped, never a panic.
        assert_eq!(timestamp_secs(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(timestamp_us(i64::MIN), "0000-01-01T00:00:00.000000Z");
    }

    #[test]
    fn calendar_dates_are_checked() {
        assert_eq!(unix_secs(2000, 2, 29, 0, 0, 0), Some(951_782_400));
        assert_eq!(unix_secs(2100, 2, 29, 0, 0, 0), None);
        assert_eq!(unix_secs(2026, 4, 31, 0, 0, 0), None);
        assert_eq!(unix_secs(1969, 12, 31, 23, 59, 59), Some(-1));
        // A leap second is the next second.
        assert_eq!(
            unix_secs(2016, 12, 31, 23, 59, 60),
            unix_secs(2017, 1, 1, 0, 0, 0)
        );
        assert_eq!(
            parse_timestamp_us("2024-02-29T12:00:00Z"),
            Some(1_709_208_000_000_000)
        );
        assert_eq!(parse_timestamp_us("2023-02-29T12:00:00Z"), None);
        assert_eq!(
            parse_timestamp_us("1900-01-01T00:00:00.5-01:00"),
            Some(-2_208_985_200_000_000 + 500_000)
        );
    }

    #[test]
    fn hex_ids() {
        let a = random_hex(20);
        assert_eq!(a.len(), 40);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, random_hex(20));
    }
}
