//! SASL PLAIN (RFC 4616) message handling.
//!
//! SCRAM lives in [`crate::scram`].

/// Errors while decoding a SASL PLAIN message.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SaslError {
    /// The message does not have the form `authzid NUL authcid NUL passwd`,
    /// or the username or password is empty.
    #[error("malformed SASL message: {0}")]
    Malformed(String),
    /// A part of the message is not UTF-8.
    #[error("SASL message is not UTF-8")]
    InvalidUtf8,
    /// The username or password is rejected by SASLprep (RFC 4013).
    #[error("username or password rejected by SASLprep")]
    PrepFailed,
}

/// The decoded content of a PLAIN message.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainCredentials {
    /// Authorization identity, if one was given (not prepared; usually a JID).
    pub authzid: Option<String>,
    /// Authentication identity, SASLprep'd, non-empty. Some clients send a
    /// bare JID (`user@domain`) here; splitting it is up to the caller.
    pub username: String,
    /// Password, SASLprep'd, non-empty.
    pub password: String,
}

impl std::fmt::Debug for PlainCredentials {
    /// Does not print the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainCredentials")
            .field("authzid", &self.authzid)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

fn utf8(part: &[u8]) -> Result<&str, SaslError> {
    std::str::from_utf8(part).map_err(|_| SaslError::InvalidUtf8)
}

fn prep(s: &str) -> Result<String, SaslError> {
    stringprep::saslprep(s)
        .map(|c| c.into_owned())
        .map_err(|_| SaslError::PrepFailed)
}

/// Parses a PLAIN message (`[authzid] NUL authcid NUL passwd`, already
/// base64-decoded). The username and password are SASLprep'd and must not be
/// empty; an empty authzid gives `None`.
pub fn parse_plain(data: &[u8]) -> Result<PlainCredentials, SaslError> {
    let mut parts = data.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(passwd), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SaslError::Malformed(
            "expected authzid NUL authcid NUL password".to_owned(),
        ));
    };
    let authzid = utf8(authzid)?;
    let username = prep(utf8(authcid)?)?;
    let password = prep(utf8(passwd)?)?;
    if username.is_empty() {
        return Err(SaslError::Malformed("empty username".to_owned()));
    }
    if password.is_empty() {
        return Err(SaslError::Malformed("empty password".to_owned()));
    }
    Ok(PlainCredentials {
        authzid: (!authzid.is_empty()).then(|| authzid.to_owned()),
        username,
        password,
    })
}

/// Encodes a PLAIN message without authzid: `NUL username NUL password`.
pub fn encode_plain(username: &str, password: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(username.len() + password.len() + 2);
    out.push(0);
    out.extend_from_slice(username.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let c = parse_plain(&encode_plain("alice", "s3cr3t")).unwrap();
        assert_eq!(c.authzid, None);
        assert_eq!(c.username, "alice");
        assert_eq!(c.password, "s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn authzid_and_prep() {
        let c = parse_plain(b"admin@example.com\0al\xc2\xadice\0pa\xc2\xa0ss").unwrap();
        assert_eq!(c.authzid.as_deref(), Some("admin@example.com"));
        assert_eq!(c.username, "alice");
        assert_eq!(c.password, "pa ss");
        let c = parse_plain("\0user@host\0日本語".as_bytes()).unwrap();
        assert_eq!(c.username, "user@host");
        assert_eq!(c.password, "日本語");
    }

    #[test]
    fn invalid() {
        for bad in [
            &b""[..],
            b"user",
            b"\0user",
            b"\0user\0pass\0",
            b"a\0b\0c\0d",
            b"\0\0pass",
            b"\0user\0",
        ] {
            assert!(
                matches!(parse_plain(bad), Err(SaslError::Malformed(_))),
                "{bad:?}"
            );
        }
        assert_eq!(parse_plain(b"\0us\xffer\0p"), Err(SaslError::InvalidUtf8));
        assert_eq!(parse_plain(b"\xff\0user\0p"), Err(SaslError::InvalidUtf8));
        assert_eq!(parse_plain(b"\0user\0p\x07"), Err(SaslError::PrepFailed));
        assert_eq!(parse_plain(b"\0u\x07\0p"), Err(SaslError::PrepFailed));
    }
}
