//! HTTP Basic authentication, shared by the API faces (GraphQL, REST): reading the
//! `Authorization` header, and checking what it presents against the three kinds of
//! principal MongooseIM's APIs know: the admin of a listener (its `username` /
//! `password`), the admin of one domain (`admin@<domain>` with the domain's admin
//! password), and a user (`<bare JID>` with the account's password, plain or SCRAM,
//! through the core).
//!
//! Nothing here knows HTTP statuses or error bodies: each check answers an [`Outcome`]
//! or a [`Denied`], which a face maps to its own error once (GraphQL: 401 with
//! `extensions.code`; REST: 401 with `www-authenticate`).
//!
//! The domain-admin and user checks go through the core's login throttle
//! (`[auth.login_throttle]`), as SASL does: a locked address or account is refused
//! ([`Denied::TooManyFailures`]) before its password is checked, and failures and
//! successes are counted. The listener admin's credentials are compared in constant time
//! ([`Credentials::matches`]).

use crate::options::Credentials;
use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine;
use meerkat_core::Server;
use meerkat_core::meerkat_xmpp::BareJid;
use std::net::IpAddr;

/// The longest `Authorization` header value read (bytes). Longer ones are refused unread,
/// as MongooseIM's HTTP server refuses header values over 4 KiB.
pub const MAX_AUTHORIZATION_BYTES: usize = 4096;

/// Credentials presented with HTTP Basic: `username:password`, split at the first colon.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The part before the first colon.
    pub username: String,
    /// The rest (may contain colons).
    pub password: String,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why an `Authorization` header is not usable Basic credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// Over [`MAX_AUTHORIZATION_BYTES`].
    #[error("the Authorization header is over {MAX_AUTHORIZATION_BYTES} bytes")]
    TooLong,
    /// Another scheme than `Basic`.
    #[error("the Authorization header is not of the Basic scheme")]
    NotBasic,
    /// The credentials are not valid base64.
    #[error("the Basic credentials are not valid base64")]
    Base64,
    /// The decoded credentials are not UTF-8.
    #[error("the Basic credentials are not UTF-8")]
    NotUtf8,
    /// The decoded credentials have no colon between user name and password.
    #[error("the Basic credentials have no colon")]
    NoColon,
}

/// Parses the value of an `Authorization` header as HTTP Basic credentials (RFC 7617).
/// The scheme name is matched case-insensitively; the credentials are standard base64
/// (padded), surrounding spaces ignored.
pub fn parse_basic(value: &[u8]) -> Result<BasicCredentials, Malformed> {
    if value.len() > MAX_AUTHORIZATION_BYTES {
        return Err(Malformed::TooLong);
    }
    let token = match value.split_at_checked(6) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case(b"basic ") => rest,
        _ => return Err(Malformed::NotBasic),
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim_ascii())
        .map_err(|_| Malformed::Base64)?;
    let text = String::from_utf8(decoded).map_err(|_| Malformed::NotUtf8)?;
    let (username, password) = text.split_once(':').ok_or(Malformed::NoColon)?;
    Ok(BasicCredentials {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// The Basic credentials of a request: `Ok(None)` without an `Authorization` header.
pub fn from_request(req: &HttpRequest) -> Result<Option<BasicCredentials>, Malformed> {
    req.headers()
        .get(header::AUTHORIZATION)
        .map(|v| parse_basic(v.as_bytes()))
        .transpose()
}

/// A request's credentials were accepted, or it had none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    /// No credentials were presented (and none were needed to be refused): the face
    /// decides what an anonymous request may do.
    Anonymous,
    /// The credentials are valid for this principal.
    Granted(T),
}

/// Why credentials were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The `Authorization` header is not Basic credentials.
    #[error("malformed authorization header: {0}")]
    Malformed(#[from] Malformed),
    /// Wrong user name or password, or credentials where none are accepted.
    #[error("the provided credentials are wrong")]
    WrongCredentials,
    /// The address or account is locked by the login throttle.
    #[error("too many failed authentication attempts")]
    TooManyFailures,
}

/// The admin of a listener. With `configured` credentials, the presented ones must equal
/// them, and a request without any is [`Outcome::Anonymous`]. Without configured
/// credentials the endpoint is open: a request without credentials is granted, and any
/// credentials are refused (MongooseIM's rule for the admin APIs).
pub fn admin(
    configured: Option<&Credentials>,
    presented: Option<&BasicCredentials>,
) -> Result<Outcome<()>, Denied> {
    match (configured, presented) {
        (Some(expected), Some(c)) if expected.matches(&c.username, &c.password) => {
            Ok(Outcome::Granted(()))
        }
        (Some(_), Some(_)) | (None, Some(_)) => Err(Denied::WrongCredentials),
        (Some(_), None) => Ok(Outcome::Anonymous),
        (None, None) => Ok(Outcome::Granted(())),
    }
}

/// The admin of one domain: `admin@<domain>` with that domain's admin password. Grants
/// the domain, lowercased.
pub async fn domain_admin(
    server: &Server,
    peer: Option<IpAddr>,
    presented: Option<&BasicCredentials>,
) -> Result<Outcome<String>, Denied> {
    let Some(c) = presented else {
        return Ok(Outcome::Anonymous);
    };
    let throttle = Throttle::check(server, peer, &c.username)?;
    let domain = c.username.strip_prefix("admin@").filter(|d| !d.is_empty());
    match domain {
        Some(d)
            if meerkat_core::commands::domain::check_admin_password(server, d, &c.password)
                .await =>
        {
            throttle.succeeded();
            Ok(Outcome::Granted(d.to_lowercase()))
        }
        _ => Err(throttle.failed()),
    }
}

/// A user of a served domain: the bare JID with the account's password. Grants the JID.
pub async fn user(
    server: &Server,
    peer: Option<IpAddr>,
    presented: Option<&BasicCredentials>,
) -> Result<Outcome<BareJid>, Denied> {
    let Some(c) = presented else {
        return Ok(Outcome::Anonymous);
    };
    let jid = meerkat_core::commands::local_user(server, &c.username).ok();
    let account = jid.as_ref().map_or(c.username.as_str(), |j| j.as_str());
    let throttle = Throttle::check(server, peer, account)?;
    match jid {
        Some(jid)
            if server
                .check_password(&jid, &c.password)
                .await
                .unwrap_or(false) =>
        {
            throttle.succeeded();
            Ok(Outcome::Granted(jid))
        }
        _ => Err(throttle.failed()),
    }
}

/// One attempt as the login throttle sees it.
struct Throttle<'a> {
    server: &'a Server,
    peer: Option<IpAddr>,
    account: String,
}

impl<'a> Throttle<'a> {
    fn check(server: &'a Server, peer: Option<IpAddr>, account: &str) -> Result<Self, Denied> {
        if server.login_throttle().check(peer, Some(account)).is_err() {
            tracing::info!(user = account, ip = ?peer, "HTTP authentication refused: too many failures");
            return Err(Denied::TooManyFailures);
        }
        Ok(Throttle {
            server,
            peer,
            account: account.to_owned(),
        })
    }

    fn succeeded(&self) {
        self.server.login_throttle().succeeded(&self.account);
    }

    fn failed(&self) -> Denied {
        self.server
            .login_throttle()
            .failed(self.peer, Some(&self.account));
        Denied::WrongCredentials
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn header(credentials: &[u8]) -> Vec<u8> {
        format!("Basic {}", b64(credentials)).into_bytes()
    }

    #[test]
    fn reads_user_and_password_split_at_the_first_colon() {
        let c = parse_basic(&header(b"alice@localhost:pa:ss")).unwrap();
        assert_eq!(c.username, "alice@localhost");
        assert_eq!(c.password, "pa:ss");
        let c = parse_basic(&header(b":")).unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("", ""));
        // The scheme in any case, spaces around the token.
        let v = format!("bAsIc   {}  ", b64(b"admin:secret"));
        let c = parse_basic(v.as_bytes()).unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("admin", "secret")
        );
        // UTF-8 passwords.
        let c = parse_basic(&header("bob:pässwörd".as_bytes())).unwrap();
        assert_eq!(c.password, "pässwörd");
    }

    #[test]
    fn other_schemes_are_refused() {
        for v in [
            &b"Bearer abc"[..],
            b"Basic",
            b"Basi",
            b"",
            b"Digest username=\"a\"",
        ] {
            assert_eq!(parse_basic(v), Err(Malformed::NotBasic), "{v:?}");
        }
    }

    #[test]
    fn malformed_base64_is_refused() {
        for token in ["not base64!", "YWRtaW46c2VjcmV0=", "====", "é", "YW Rt"] {
            let v = format!("Basic {token}");
            assert_eq!(parse_basic(v.as_bytes()), Err(Malformed::Base64), "{token}");
        }
        // Raw non-ASCII bytes in the header value.
        assert_eq!(parse_basic(b"Basic \xff\xfe=="), Err(Malformed::Base64));
        // Unpadded where padding is due.
        assert_eq!(
            parse_basic(b"Basic YWRtaW46c2VjcmV0MQ"),
            Err(Malformed::Base64)
        );
    }

    #[test]
    fn credentials_without_a_colon_are_refused() {
        assert_eq!(parse_basic(&header(b"admin")), Err(Malformed::NoColon));
        assert_eq!(parse_basic(&header(b"")), Err(Malformed::NoColon));
    }

    #[test]
    fn non_utf8_credentials_are_refused() {
        assert_eq!(
            parse_basic(&header(b"admin:\xff\xfe")),
            Err(Malformed::NotUtf8)
        );
        assert_eq!(parse_basic(&header(b"\xc3:pw")), Err(Malformed::NotUtf8));
    }

    #[test]
    fn oversized_headers_are_refused_unread() {
        let user = "a".repeat(MAX_AUTHORIZATION_BYTES);
        let v = header(format!("{user}:pw").as_bytes());
        assert!(v.len() > MAX_AUTHORIZATION_BYTES);
        assert_eq!(parse_basic(&v), Err(Malformed::TooLong));
        // Just at the limit is read.
        let fits = "Basic ".len() + b64(b"x:").len();
        let pad = (MAX_AUTHORIZATION_BYTES - fits) / 4 * 3;
        let v = header(format!("{}:", "u".repeat(pad)).as_bytes());
        assert!(v.len() <= MAX_AUTHORIZATION_BYTES, "{}", v.len());
        assert!(parse_basic(&v).is_ok());
    }

    #[test]
    fn the_admin_rule() {
        let configured = Credentials {
            username: "admin".into(),
            password: "secret".into(),
        };
        let good = BasicCredentials {
            username: "admin".into(),
            password: "secret".into(),
        };
        let bad = BasicCredentials {
            username: "admin".into(),
            password: "secreT".into(),
        };
        assert_eq!(
            admin(Some(&configured), Some(&good)),
            Ok(Outcome::Granted(()))
        );
        assert_eq!(
            admin(Some(&configured), Some(&bad)),
            Err(Denied::WrongCredentials)
        );
        assert_eq!(admin(Some(&configured), None), Ok(Outcome::Anonymous));
        assert_eq!(admin(None, None), Ok(Outcome::Granted(())));
        assert_eq!(admin(None, Some(&good)), Err(Denied::WrongCredentials));
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        let c = parse_basic(&header(b"admin:hunter2")).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
