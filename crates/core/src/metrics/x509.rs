//! The validity period of an X.509 certificate (RFC 5280 4.1), for
//! `tls_cert_remaining_days_count`.
//!
//! A minimal DER walk instead of a certificate parser: the two times sit at a fixed place
//! (`Certificate → tbsCertificate → [version], serialNumber, signature, issuer →
//! validity`), so reading them needs tag-length-value headers and the two time formats,
//! nothing else (the calendar is `util::unix_secs`, on the `time` crate). `rustls-pki-types` does not parse certificates, and a full parser
//! (`x509-parser` with nom, asn1-rs, der-parser, oid-registry and time) would be a large
//! dependency for one field. Every read is bounds-checked: malformed input gives `None`.

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const VERSION: u8 = 0xA0; // [0] EXPLICIT, constructed
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// `(notBefore, notAfter)` of a DER certificate, in Unix seconds.
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (cert, _) = expect(der, SEQUENCE)?;
    let (tbs, _) = expect(cert, SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&VERSION) {
        rest = tlv(rest)?.2;
    }
    rest = expect(rest, INTEGER)?.1; // serialNumber
    rest = expect(rest, SEQUENCE)?.1; // signature AlgorithmIdentifier
    rest = expect(rest, SEQUENCE)?.1; // issuer Name
    let (validity, _) = expect(rest, SEQUENCE)?;
    let (not_before, rest) = time(validity)?;
    let (not_after, _) = time(rest)?;
    Some((not_before, not_after))
}

/// Splits one TLV off `input`: (tag, contents, rest). Low tag numbers and definite
/// lengths only (DER never uses indefinite lengths).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
}

/// A TLV that must have tag `tag`: (contents, rest).
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (t, contents, rest) = tlv(input)?;
    (t == tag).then_some((contents, rest))
}

/// A `Time` (UTCTime or GeneralizedTime, in RFC 5280's `...Z` forms) as Unix seconds.
fn time(input: &[u8]) -> Option<(i64, &[u8])> {
    let (tag, s, rest) = tlv(input)?;
    let (year, s) = match (tag, s.len()) {
        (UTC_TIME, 13) => {
            // RFC 5280 4.1.2.5.1: YY >= 50 is 19YY, otherwise 20YY.
            let yy = digits(&s[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        (GENERALIZED_TIME, 15) => (digits(&s[..4])?, &s[4..]),
        _ => return None,
    };
    // s = MMDDHHMMSSZ
    if s[10] != b'Z' {
        return None;
    }
    let field = |r: std::ops::Range<usize>| digits(&s[r]).and_then(|v| u8::try_from(v).ok());
    let year = i32::try_from(year).ok()?;
    let (month, day) = (field(0..2)?, field(2..4)?);
    let (hour, minute, second) = (field(4..6)?, field(6..8)?, field(8..10)?);
    let secs = crate::util::unix_secs(year, month, day, hour, minute, second)?;
    Some((secs, rest))
}

fn digits(s: &[u8]) -> Option<i64> {
    s.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// `openssl req -x509 -newkey ec -days 36500`: notBefore 2026-11-25 19:27:56 UTC
    /// (a UTCTime), notAfter 2126-11-01 19:27:56 UTC (a GeneralizedTime).
    const TEST_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBfzCCASWgAwIBAgIUIWCgUTk6nLK+XBxyNcjJ66IMLTowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJeDUwOSB0ZXN0MCAXDTI2MTEyNTE5Mjc1NloYDzIxMjYxMTAx
MTkyNzU2WjAUMRIwEAYDVQQDDAl4NTA5IHRlc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATH87aOuldOZqhsVsd5UgE2jon8A5vuD9eEA52u+9zHmR2XIvZEUMuV
5wVw2xc+mEK8YusJSuV2Cvju3XyxWslio1MwUTAdBgNVHQ4EFgQUyqFIy+csiDXV
rny8wx1YyPZpRJYwHwYDVR0jBBgwFoAUyqFIy+csiDXVrny8wx1YyPZpRJYwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBdIYvY86ootu7S6w1BQpX+
cA/LtTVziHCXtsMQO+UuXAIhANZh9KXDu1XdMQGrsCcZByBVIXbgaSRLb5EHi15f
mHMW
-----END CERTIFICATE-----
";

    fn der(pem: &str) -> Vec<u8> {
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    }

    #[test]
    fn reads_both_time_formats() {
        assert_eq!(
            validity(&der(TEST_PEM)),
            Some((1_795_634_876, 4_949_234_876))
        );
    }

    #[test]
    fn truncated_or_corrupt_input_is_none() {
        let d = der(TEST_PEM);
        for n in 0..d.len() {
            // Never panics; a prefix long enough to hold the validity may still parse
            // only if its outer lengths fit, which they don't once truncated.
            assert_eq!(validity(&d[..n]), None, "prefix of {n} bytes");
        }
        assert_eq!(validity(b"-----BEGIN CERTIFICATE-----"), None);
        let mut bad = d.clone();
        bad[0] = 0x31;
        assert_eq!(validity(&bad), None);
    }

    #[test]
    fn utc_time_century_pivot_and_calendar() {
        let utc = |s: &str| {
            let mut v = vec![UTC_TIME, s.len() as u8];
            v.extend_from_slice(s.as_bytes());
            time(&v).map(|t| t.0)
        };
        assert_eq!(utc("991231235959Z"), Some(946_684_799));
        assert_eq!(utc("491231235959Z"), Some(2_524_607_999));
        assert_eq!(utc("700101000000Z"), Some(0));
        assert_eq!(utc("700101000000+"), None);
        assert_eq!(utc("701301000000Z"), None);
        assert_eq!(utc("7001010000Z"), None);
        // Calendar dates: leap days, and days that do not exist.
        assert_eq!(utc("000229000000Z"), Some(951_782_400));
        assert_eq!(utc("000301000000Z"), Some(11_017 * 86_400));
        assert_eq!(utc("691231000000Z"), Some(-86_400));
        assert_eq!(utc("010229000000Z"), None);
        assert_eq!(utc("260431000000Z"), None);
    }
}
