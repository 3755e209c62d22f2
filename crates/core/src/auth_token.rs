//! mod_auth_token: access and refresh tokens that log a user in with the X-OAUTH SASL
//! mechanism, in MongooseIM's serialization (`doc/modules/mod_auth_token.md`):
//!
//! ```text
//! access  \0 <BARE_JID> \0 <EXPIRES_AT> \0 <MAC>
//! refresh \0 <BARE_JID> \0 <EXPIRES_AT> \0 <SEQUENCE_NO> \0 <MAC>
//! ```
//!
//! `EXPIRES_AT` is in Gregorian seconds (seconds since year 0, as Erlang's `calendar`
//! counts), `MAC` the lowercase hex HMAC-SHA-384 of everything before it.
//!
//! The MAC key: MongooseIM signs with a per-host-type key from `mod_keystore`; meerkat
//! derives a per-user key from a server secret persisted in the store (so tokens survive
//! restarts) and the user's current sequence number. Revoking a user's tokens bumps that
//! number, which invalidates *every* token issued before, access tokens included
//! (MongooseIM can only revoke refresh tokens). The first sequence number of a user is
//! random, so tokens of a removed account do not come back to life when an account of the
//! same name is registered again.
//!
//! Provision tokens (signed with an externally shared key) are not supported.

use crate::Server;
use crate::store::StoreError;
use crate::util::hex;
use hmac::{Hmac, KeyInit, Mac};
use meerkat_xmpp::BareJid;
use sha2::Sha384;

/// Seconds from 0000-01-01 to 1970-01-01 in the proleptic Gregorian calendar.
const GREGORIAN_UNIX_OFFSET: i64 = 62_167_219_200;

/// Name of the signing secret in the store (MongooseIM's keystore key name).
const SECRET_NAME: &str = "token_secret";

/// The server's token secret, read from (or first written to) the store on first use.
#[derive(Default)]
pub struct TokenKey {
    secret: tokio::sync::OnceCell<Vec<u8>>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("loaded", &self.secret.initialized())
            .finish()
    }
}

/// Token kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Short-lived login token.
    Access,
    /// Long-lived token that also yields a new access token at login.
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// A freshly issued pair, serialized (the fields are separated by NUL characters, as in
/// MongooseIM; X-OAUTH takes them base64-encoded like any SASL data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedTokens {
    /// The access token.
    pub access: String,
    /// The refresh token.
    pub refresh: String,
}

/// A successful token login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLogin {
    /// The authenticated user.
    pub user: BareJid,
    /// A new access token, when a refresh token was presented.
    pub new_access: Option<String>,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Not a token in the expected format (or an unsupported kind).
    #[error("malformed token")]
    Malformed,
    /// The token names another domain than the stream's.
    #[error("token for another domain")]
    WrongDomain,
    /// The MAC does not match (forged, or revoked since it was issued).
    #[error("invalid token signature")]
    BadMac,
    /// Past its expiry time.
    #[error("token expired")]
    Expired,
    /// The refresh token's sequence number was revoked, or no token was ever issued.
    #[error("token revoked")]
    Revoked,
    /// The account does not exist (any more).
    #[error("no such user")]
    NoUser,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A parsed token (fields still unchecked).
struct Parsed {
    kind: TokenKind,
    user: BareJid,
    expires: i64,
    seq: Option<i64>,
    mac: Vec<u8>,
}

fn body(kind: TokenKind, user: &BareJid, expires: i64, seq: Option<i64>) -> String {
    let mut b = format!("{}\0{}\0{expires}", kind.as_str(), user.as_str());
    if let Some(seq) = seq {
        b.push('\0');
        b.push_str(&seq.to_string());
    }
    b
}

fn hmac384(key: &[u8], parts: &[&[u8]]) -> Option<Hmac<Sha384>> {
    let mut mac = <Hmac<Sha384> as KeyInit>::new_from_slice(key).ok()?;
    for p in parts {
        mac.update(p);
    }
    Some(mac)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

fn parse(raw: &[u8]) -> Result<Parsed, TokenError> {
    let text = std::str::from_utf8(raw).map_err(|_| TokenError::Malformed)?;
    let fields: Vec<&str> = text.trim().split('\0').collect();
    let (kind, user, expires, seq, mac) = match fields.as_slice() {
        ["access", user, expires, mac] => (TokenKind::Access, user, expires, None, mac),
        ["refresh", user, expires, seq, mac] => {
            let seq: i64 = seq.parse().map_err(|_| TokenError::Malformed)?;
            (TokenKind::Refresh, user, expires, Some(seq), mac)
        }
        _ => return Err(TokenError::Malformed),
    };
    let user = BareJid::new(user).map_err(|_| TokenError::Malformed)?;
    if user.node().is_none() {
        return Err(TokenError::Malformed);
    }
    Ok(Parsed {
        kind,
        user,
        expires: expires.parse().map_err(|_| TokenError::Malformed)?,
        seq,
        mac: unhex(mac).ok_or(TokenError::Malformed)?,
    })
}

fn now_gregorian() -> i64 {
    crate::util::now_secs() + GREGORIAN_UNIX_OFFSET
}

/// A random first sequence number (positive, far from overflowing when bumped).
fn initial_seq() -> i64 {
    let mut b = [0u8; 4];
    rand::fill(&mut b[..]);
    i64::from(u32::from_le_bytes(b)) + 1
}

impl Server {
    async fn token_secret(&self) -> Result<&[u8], StoreError> {
        self.token_key()
            .secret
            .get_or_try_init(|| async {
                let fresh = crate::util::random_hex(48);
                let stored = self
                    .store()
                    .secret_get_or_insert(SECRET_NAME, &fresh)
                    .await?;
                Ok::<_, StoreError>(stored.into_bytes())
            })
            .await
            .map(Vec::as_slice)
    }

    /// The MAC (not finalized) of a token body for `user` at sequence number `seq`.
    async fn token_mac(
        &self,
        user: &BareJid,
        seq: i64,
        body: &str,
    ) -> Result<Hmac<Sha384>, StoreError> {
        let secret = self.token_secret().await?;
        let key = hmac384(
            secret,
            &[
                b"meerkat auth token key\0",
                user.as_str().as_bytes(),
                b"\0",
                seq.to_string().as_bytes(),
            ],
        )
        .map(|m| m.finalize().into_bytes())
        .ok_or_else(|| StoreError::Corrupt("token secret unusable".into()))?;
        hmac384(&key, &[body.as_bytes()])
            .ok_or_else(|| StoreError::Corrupt("token key unusable".into()))
    }

    async fn make_token(
        &self,
        kind: TokenKind,
        user: &BareJid,
        seq: i64,
    ) -> Result<String, StoreError> {
        let settings = self
            .module::<crate::modules::auth_token::AuthToken>()
            .map(|m| m.settings)
            .unwrap_or_default();
        let validity = match kind {
            TokenKind::Access => settings.access_validity,
            TokenKind::Refresh => settings.refresh_validity,
        };
        let validity = i64::try_from(validity.as_secs()).unwrap_or(i64::MAX / 2);
        let expires = now_gregorian().saturating_add(validity);
        let body = body(
            kind,
            user,
            expires,
            (kind == TokenKind::Refresh).then_some(seq),
        );
        let mac = self
            .token_mac(user, seq, &body)
            .await?
            .finalize()
            .into_bytes();
        Ok(format!("{body}\0{}", hex(&mac)))
    }

    /// Issues an access and a refresh token for `user` (which the caller checked).
    pub async fn issue_tokens(&self, user: &BareJid) -> Result<IssuedTokens, StoreError> {
        let seq = self
            .store()
            .auth_token_seq_init(user.as_str(), initial_seq())
            .await?;
        Ok(IssuedTokens {
            access: self.make_token(TokenKind::Access, user, seq).await?,
            refresh: self.make_token(TokenKind::Refresh, user, seq).await?,
        })
    }

    /// Revokes every token issued to `user`; `false` when none was ever issued.
    pub async fn revoke_tokens(&self, user: &BareJid) -> Result<bool, StoreError> {
        self.store().auth_token_revoke(user.as_str()).await
    }

    /// Checks a token presented with X-OAUTH on a stream to `domain`.
    pub async fn authenticate_token(
        &self,
        raw: &[u8],
        domain: &str,
    ) -> Result<TokenLogin, TokenError> {
        let t = parse(raw)?;
        if t.user.domain().as_str() != domain {
            return Err(TokenError::WrongDomain);
        }
        let Some(valid_seq) = self.store().auth_token_seq(t.user.as_str()).await? else {
            return Err(TokenError::Revoked);
        };
        let body = body(t.kind, &t.user, t.expires, t.seq);
        // `verify_slice` compares in constant time.
        let mac_ok = self
            .token_mac(&t.user, valid_seq, &body)
            .await?
            .verify_slice(&t.mac)
            .is_ok();
        if t.seq.is_some_and(|s| s < valid_seq) {
            return Err(TokenError::Revoked);
        }
        if !mac_ok {
            return Err(TokenError::BadMac);
        }
        if now_gregorian() >= t.expires {
            return Err(TokenError::Expired);
        }
        match self.user_exists(&t.user).await {
            Ok(true) => {}
            Ok(false) => return Err(TokenError::NoUser),
            Err(crate::AccountError::Store(e)) => return Err(TokenError::Store(e)),
            Err(_) => return Err(TokenError::NoUser),
        }
        let new_access = match t.kind {
            TokenKind::Refresh => Some(
                self.make_token(TokenKind::Access, &t.user, valid_seq)
                    .await?,
            ),
            TokenKind::Access => None,
        };
        Ok(TokenLogin {
            user: t.user,
            new_access,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mongooseim_layout() {
        let t = parse(b"access\0Q8@localhost\x0064875466454\0abcd").unwrap();
        assert_eq!(t.kind, TokenKind::Access);
        assert_eq!(t.user.as_str(), "q8@localhost");
        assert_eq!(t.expires, 64_875_466_454);
        assert_eq!(t.mac, [0xab, 0xcd]);
        let t = parse(b"refresh\0qp@localhost\x0064875466457\x006\0ff").unwrap();
        assert_eq!((t.kind, t.seq), (TokenKind::Refresh, Some(6)));
        for bad in [
            &b"access\0qp@localhost\x00123"[..],
            b"refresh\0qp@localhost\x00123\0x\0ff",
            b"provision\0qp@localhost\x00123\0<vCard/>\0ff",
            b"access\0localhost\x00123\0ff",
            b"access\0a@localhost\x00123\0f",
            b"access\0a@localhost\x00123\0zz",
            b"\xff\xfe",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn gregorian_offset_matches_erlang_calendar() {
        // calendar:datetime_to_gregorian_seconds({{1970,1,1},{0,0,0}}) = 62167219200.
        assert_eq!(GREGORIAN_UNIX_OFFSET, 719_528 * 86_400);
    }
}
