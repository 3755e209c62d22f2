//! SCRAM-SHA-256 (RFC 5802 / RFC 7677) logins for the load generator: the project's
//! client (`meerkat_xmpp::scram::ScramClient`) with a key cache.
//!
//! A real client computes PBKDF2 on its own device, and may keep the salted password
//! (RFC 5802 section 5.1 allows it). Here one core plays thousands of clients, so the
//! 4,096-iteration PBKDF2 would make the load generator, not the server, the limit of a
//! login run. The keys are therefore derived once per (user, salt, iterations) and kept
//! for the life of the process; the server does exactly the same work either way. The
//! cache can be switched off ([`set_cache`]) to measure the uncached client.

use meerkat_xmpp::scram::{Keys, ScramClient, ScramHash};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex};

type CacheKey = (String, Vec<u8>, u32);

static CACHE: LazyLock<Mutex<HashMap<CacheKey, Keys>>> = LazyLock::new(Mutex::default);
static CACHE_ON: AtomicBool = AtomicBool::new(true);

/// Turns the key cache on (the default) or off.
pub fn set_cache(on: bool) {
    CACHE_ON.store(on, Ordering::Relaxed);
}

/// Whether the key cache is on.
pub fn cache_on() -> bool {
    CACHE_ON.load(Ordering::Relaxed)
}

fn keys(
    user: &str,
    password: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<Keys, meerkat_xmpp::scram::ScramError> {
    if !cache_on() {
        return Keys::derive(ScramHash::Sha256, password, salt, iterations);
    }
    let key = (user.to_owned(), salt.to_vec(), iterations);
    if let Some(k) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(k.clone());
    }
    let k = Keys::derive(ScramHash::Sha256, password, salt, iterations)?;
    CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, k.clone());
    Ok(k)
}

/// One SCRAM-SHA-256 exchange.
pub struct Scram {
    user: String,
    password: String,
    client: ScramClient,
}

impl Scram {
    pub fn new(user: &str, password: &str) -> Scram {
        Scram {
            user: user.to_owned(),
            password: password.to_owned(),
            client: ScramClient::new(ScramHash::Sha256, user, password),
        }
    }

    /// The client-first-message.
    pub fn client_first(&mut self) -> String {
        String::from_utf8_lossy(&self.client.client_first()).into_owned()
    }

    /// The client-final-message for the server-first-message.
    pub fn client_final(&mut self, server_first: &[u8]) -> anyhow::Result<String> {
        let (user, password) = (&self.user, &self.password);
        let out = self
            .client
            .client_final_with(server_first, |salt, it| keys(user, password, salt, it))?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Checks the server-final-message (`v=...`).
    pub fn verify(&self, server_final: &[u8]) -> anyhow::Result<()> {
        Ok(self.client.verify_server_final(server_final)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3: the cached keys give the same proof and verify the server.
    #[test]
    fn cached_keys_reproduce_the_rfc7677_exchange() {
        set_cache(true);
        let server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        for _ in 0..2 {
            let mut s = Scram::new("user", "pencil");
            s.client = ScramClient::with_nonce(
                ScramHash::Sha256,
                "user",
                "pencil",
                "rOprNGfwEbeRWgbNEkqO",
            );
            s.client_first();
            let fin = s.client_final(server_first).unwrap();
            assert_eq!(
                fin,
                "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
            );
            s.verify(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
                .unwrap();
        }
        assert_eq!(
            CACHE.lock().unwrap().len(),
            1,
            "derived once, then taken from the cache"
        );
    }
}
