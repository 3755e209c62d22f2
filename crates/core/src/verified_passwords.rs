//! Passwords verified recently, so that an API authenticating every request with HTTP
//! Basic credentials (the client REST API, the user GraphQL API) runs PBKDF2 once per
//! account and password for a while, not once per request.
//!
//! An entry is an HMAC-SHA-256, under a key drawn at start and never stored, over the
//! account, its stored credential exactly as stored (salt, iterations and keys) and the
//! password. Changing the password changes the stored credential, so older entries stop
//! matching without any invalidation; a removed account has no stored credential. Entries
//! expire after [`TTL`]; at most [`CAPACITY`] are kept (expired ones go first, then all).

use hmac::{KeyInit, Mac};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified password is trusted without hashing it again.
pub const TTL: Duration = Duration::from_secs(300);

/// The most entries kept (about 100 bytes each).
pub const CAPACITY: usize = 50_000;

type Tag = [u8; 32];

/// The cache (one per server).
pub struct VerifiedPasswords {
    key: [u8; 32],
    entries: Mutex<HashMap<String, (Instant, Tag)>>,
}

impl Default for VerifiedPasswords {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::fill(&mut key[..]);
        VerifiedPasswords {
            key,
            entries: Mutex::default(),
        }
    }
}

impl VerifiedPasswords {
    fn tag(&self, account: &str, stored: &str, password: &str) -> Tag {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key)
            .expect("HMAC takes any key length");
        for part in [account, stored, password] {
            // Length-prefixed, so that no two different triples hash the same bytes.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `password` was verified against exactly this stored credential within
    /// [`TTL`].
    pub fn contains(&self, account: &str, stored: &str, password: &str) -> bool {
        let tag = self.tag(account, stored, password);
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(account).is_some_and(|(at, t)| {
            at.elapsed() < TTL && subtle::ConstantTimeEq::ct_eq(&t[..], &tag[..]).into()
        })
    }

    /// Records that `password` matches this stored credential.
    pub fn insert(&self, account: &str, stored: &str, password: &str) {
        let tag = self.tag(account, stored, password);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(account) {
            entries.retain(|_, (at, _)| at.elapsed() < TTL);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(account.to_owned(), (Instant::now(), tag));
    }

    /// Entries held (expired ones included until they are pushed out).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_same_account_credential_and_password() {
        let c = VerifiedPasswords::default();
        assert!(!c.contains("a@x", "cred1", "pw"));
        c.insert("a@x", "cred1", "pw");
        assert!(c.contains("a@x", "cred1", "pw"));
        assert!(!c.contains("a@x", "cred1", "pw2"), "another password");
        assert!(
            !c.contains("a@x", "cred2", "pw"),
            "the password was changed"
        );
        assert!(!c.contains("b@x", "cred1", "pw"), "another account");
        // The parts are delimited: moving bytes between them changes the tag.
        c.insert("a@x", "cred1p", "w");
        assert!(!c.contains("a@x", "cred1", "pw"));
    }

    #[test]
    fn stays_within_capacity() {
        let c = VerifiedPasswords::default();
        for i in 0..CAPACITY + 10 {
            c.insert(&format!("u{i}@x"), "cred", "pw");
        }
        assert!(c.len() <= CAPACITY);
        assert!(c.contains(&format!("u{}@x", CAPACITY + 9), "cred", "pw"));
    }
}
