//! SCRAM-SHA-256 (RFC 5802 / RFC 7677), client side, with a key cache.
//!
//! A real client computes PBKDF2 on its own device, and may keep the salted password
//! (RFC 5802 section 5.1 allows it). Here one core plays thousands of clients, so the
//! 4,096-iteration PBKDF2 would make the load generator, not the server, the limit of a
//! login run. The keys are therefore derived once per (user, salt, iterations) and kept
//! for the life of the process; the server does exactly the same work either way. The
//! cache can be switched off ([`set_cache`]) to measure the uncached client.

use anyhow::{anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

struct Keys {
    client_key: Vec<u8>,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

type CacheKey = (String, Vec<u8>, u32);

static CACHE: LazyLock<Mutex<HashMap<CacheKey, Arc<Keys>>>> = LazyLock::new(Mutex::default);
static CACHE_ON: AtomicBool = AtomicBool::new(true);

/// Turns the key cache on (the default) or off.
pub fn set_cache(on: bool) {
    CACHE_ON.store(on, Ordering::Relaxed);
}

/// Whether the key cache is on.
pub fn cache_on() -> bool {
    CACHE_ON.load(Ordering::Relaxed)
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn derive(password: &str, salt: &[u8], iterations: u32) -> Keys {
    let mut salted = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut salted);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha256::digest(&client_key).to_vec();
    let server_key = hmac(&salted, b"Server Key");
    Keys {
        client_key,
        stored_key,
        server_key,
    }
}

fn keys(user: &str, password: &str, salt: &[u8], iterations: u32) -> Arc<Keys> {
    if !cache_on() {
        return Arc::new(derive(password, salt, iterations));
    }
    let key = (user.to_owned(), salt.to_vec(), iterations);
    if let Some(k) = CACHE.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return k.clone();
    }
    let k = Arc::new(derive(password, salt, iterations));
    CACHE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, k.clone());
    k
}

/// One SCRAM-SHA-256 exchange (gs2 header `n,,`, no channel binding).
pub struct Scram {
    user: String,
    password: String,
    client_first_bare: String,
    server_signature: Vec<u8>,
}

impl Scram {
    pub fn new(user: &str, password: &str) -> Scram {
        let mut nonce = [0u8; 18];
        rand::fill(&mut nonce[..]);
        // Account names here are plain ASCII; escape the two reserved characters anyway.
        let name = user.replace('=', "=3D").replace(',', "=2C");
        Scram {
            user: user.to_owned(),
            password: password.to_owned(),
            client_first_bare: format!("n={name},r={}", B64.encode(nonce)),
            server_signature: Vec::new(),
        }
    }

    /// The client-first-message.
    pub fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// The client-final-message for the server-first-message.
    pub fn client_final(&mut self, server_first: &[u8]) -> anyhow::Result<String> {
        let msg = std::str::from_utf8(server_first)?;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for part in msg.split(',') {
            if let Some(v) = part.strip_prefix("r=") {
                nonce = Some(v);
            } else if let Some(v) = part.strip_prefix("s=") {
                salt = Some(B64.decode(v)?);
            } else if let Some(v) = part.strip_prefix("i=") {
                iterations = Some(v.parse::<u32>()?);
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            bail!("malformed server-first-message: {msg}");
        };
        let client_nonce = self
            .client_first_bare
            .split_once(",r=")
            .map_or("", |(_, n)| n);
        if !nonce.starts_with(client_nonce) || nonce.len() <= client_nonce.len() {
            bail!("server nonce does not extend the client nonce");
        }
        let keys = keys(&self.user, &self.password, &salt, iterations);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{msg},{without_proof}", self.client_first_bare);
        let signature = hmac(&keys.stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = keys
            .client_key
            .iter()
            .zip(&signature)
            .map(|(k, s)| k ^ s)
            .collect();
        self.server_signature = hmac(&keys.server_key, auth_message.as_bytes());
        Ok(format!("{without_proof},p={}", B64.encode(proof)))
    }

    /// Checks the server-final-message (`v=...`).
    pub fn verify(&self, server_final: &[u8]) -> anyhow::Result<()> {
        let msg = std::str::from_utf8(server_final)?;
        let v = msg
            .split(',')
            .find_map(|p| p.strip_prefix("v="))
            .ok_or_else(|| anyhow!("server-final-message without verifier: {msg}"))?;
        if B64.decode(v)? != self.server_signature {
            bail!("server signature mismatch");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3 test vector.
    #[test]
    fn rfc7677_vector() {
        let mut s = Scram::new("user", "pencil");
        s.client_first_bare = "n=user,r=rOprNGfwEbeRWgbNEkqO".into();
        let fin = s
            .client_final(
                b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            )
            .unwrap();
        assert_eq!(
            fin,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        s.verify(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
    }
}
