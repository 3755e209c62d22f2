//! Accounts: registration, passwords (stored as SCRAM keys or plaintext per
//! `[auth.password]`), removal. The rules live here once; the CLI, the c2s SASL code and
//! the APIs call these functions. Password hashing (PBKDF2) runs on the blocking thread
//! pool, a bounded number of jobs at a time (`Server::hash_job`).

use crate::Server;
use crate::config::{Limit, PasswordFormat};
use crate::store::StoreError;
use meerkat_xmpp::BareJid;
use meerkat_xmpp::scram::StoredPassword;
use std::time::Instant;

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The user name or JID is not valid.
    #[error("invalid JID: {0}")]
    InvalidJid(String),
    /// The domain is not served here.
    #[error("unknown domain: {0}")]
    UnknownDomain(String),
    /// Empty passwords are refused.
    #[error("empty password")]
    EmptyPassword,
    /// The account exists already.
    #[error("user {0} already exists")]
    AlreadyExists(String),
    /// No such account.
    #[error("user {0} does not exist")]
    NotFound(String),
    /// `max_users_per_domain` reached.
    #[error("domain {0} has reached its maximum number of users")]
    LimitReached(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Validates and normalises `user@domain` (nodeprep, nameprep); the domain must be served.
pub fn account_jid(server: &Server, user: &str, domain: &str) -> Result<BareJid, AccountError> {
    if user.is_empty() {
        return Err(AccountError::InvalidJid(format!("@{domain}")));
    }
    let jid = BareJid::new(&format!("{user}@{domain}"))
        .map_err(|e| AccountError::InvalidJid(format!("{user}@{domain}: {e}")))?;
    if !server.is_served_domain(jid.domain().as_str()) {
        return Err(AccountError::UnknownDomain(jid.domain().to_string()));
    }
    Ok(jid)
}

/// Parses a bare JID string naming an account on this server.
pub fn parse_account(server: &Server, jid: &str) -> Result<BareJid, AccountError> {
    let parsed = BareJid::new(jid).map_err(|e| AccountError::InvalidJid(format!("{jid}: {e}")))?;
    let Some(node) = parsed.node() else {
        return Err(AccountError::InvalidJid(jid.to_owned()));
    };
    account_jid(server, node.as_str(), parsed.domain().as_str())
}

fn parts(jid: &BareJid) -> (&str, &str) {
    (jid.domain().as_str(), jid.node().map_or("", |n| n.as_str()))
}

impl Server {
    /// The stored form of a new password, per `[auth.password]`. The SCRAM keys (PBKDF2)
    /// are computed off the async workers (`Server::hash_job`).
    pub async fn encode_password(&self, password: &str) -> Result<String, AccountError> {
        if password.is_empty() {
            return Err(AccountError::EmptyPassword);
        }
        let auth = &self.config().auth;
        let stored = match auth.password_format {
            PasswordFormat::Plain => StoredPassword::plain(password),
            PasswordFormat::Scram => {
                let (password, hashes, iterations) = (
                    password.to_owned(),
                    auth.scram_hashes.clone(),
                    auth.scram_iterations,
                );
                self.hash_job(move || StoredPassword::derive(&password, &hashes, iterations))
                    .await
                    .map_err(|e| {
                        AccountError::InvalidJid(format!("password rejected by SASLprep: {e}"))
                    })?
            }
        };
        Ok(stored.to_storage_string())
    }

    /// Creates an account.
    pub async fn register_user(&self, jid: &BareJid, password: &str) -> Result<(), AccountError> {
        let metrics = &self.domain_metrics(jid.domain().as_str()).auth;
        let start = Instant::now();
        let result = self.try_register(jid, password).await;
        metrics.try_register.since(start);
        if result.is_ok() {
            metrics.register_user.inc();
        }
        result
    }

    async fn try_register(&self, jid: &BareJid, password: &str) -> Result<(), AccountError> {
        let stored = self.encode_password(password).await?;
        let (domain, user) = parts(jid);
        if let Limit::Finite(max) = self.config().auth.max_users_per_domain
            && self.store().count_users(domain).await? >= max
        {
            return Err(AccountError::LimitReached(domain.to_owned()));
        }
        if self.store().create_user(domain, user, &stored).await? {
            tracing::info!(jid = %jid, "user registered");
            Ok(())
        } else {
            Err(AccountError::AlreadyExists(jid.to_string()))
        }
    }

    /// Removes an account and everything stored for it; its sessions are ended.
    pub async fn remove_user(&self, jid: &BareJid) -> Result<(), AccountError> {
        let (domain, user) = parts(jid);
        if !self.store().remove_user(domain, user).await? {
            return Err(AccountError::NotFound(jid.to_string()));
        }
        self.domain_metrics(domain).auth.unregister_user.inc();
        for r in self.sm().resources(jid) {
            r.send(crate::sm::Routed::kick("account removed"));
        }
        // The store removed the stored data of every area in one transaction; the hook
        // is for what modules keep elsewhere.
        for m in self.modules().hooked(crate::module::Hook::RemoveUser) {
            if let Err(e) = m.remove_user(self, jid).await {
                tracing::error!(jid = %jid, error = %e, "a module failed to remove a user's data");
            }
        }
        tracing::info!(jid = %jid, "user removed");
        Ok(())
    }

    /// Replaces an account's password.
    pub async fn set_password(&self, jid: &BareJid, password: &str) -> Result<(), AccountError> {
        let stored = self.encode_password(password).await?;
        let (domain, user) = parts(jid);
        if self.store().set_password(domain, user, &stored).await? {
            Ok(())
        } else {
            Err(AccountError::NotFound(jid.to_string()))
        }
    }

    /// The stored password of an account, parsed.
    pub async fn stored_password(
        &self,
        jid: &BareJid,
    ) -> Result<Option<StoredPassword>, AccountError> {
        let (domain, user) = parts(jid);
        match self.store().get_password(domain, user).await? {
            None => Ok(None),
            Some(s) => StoredPassword::from_storage_string(&s)
                .map(Some)
                .map_err(|e| {
                    AccountError::Store(StoreError::Corrupt(format!("password of {jid}: {e}")))
                }),
        }
    }

    /// Whether `password` is the account's password (`false` for unknown accounts).
    pub async fn check_password(
        &self,
        jid: &BareJid,
        password: &str,
    ) -> Result<bool, AccountError> {
        let start = Instant::now();
        let (domain, user) = parts(jid);
        let stored = self.store().get_password(domain, user).await;
        let result = match stored {
            Ok(Some(raw)) => {
                let cache = self.verified_passwords();
                if cache.contains(jid.as_str(), &raw, password) {
                    Ok(true)
                } else {
                    match StoredPassword::from_storage_string(&raw) {
                        Err(e) => Err(AccountError::Store(StoreError::Corrupt(format!(
                            "password of {jid}: {e}"
                        )))),
                        Ok(p) => {
                            let pw = password.to_owned();
                            // PBKDF2 for SCRAM-stored passwords: off the async workers.
                            let ok = self.hash_job(move || p.verify_plain(&pw)).await;
                            if ok {
                                cache.insert(jid.as_str(), &raw, password);
                            }
                            Ok(ok)
                        }
                    }
                }
            }
            // An unknown account costs what a known one does (no user-existence timing
            // oracle): one PBKDF2 run against fake keys when keys are stored.
            Ok(None) => {
                let auth = &self.config().auth;
                if auth.password_format == PasswordFormat::Scram
                    && let Some(&hash) = auth.scram_hashes.first()
                {
                    let key = self.fake_salt_key().await.to_vec();
                    let fake = meerkat_xmpp::scram::ScramCredentials::for_unknown_user(
                        hash,
                        jid.as_str(),
                        auth.scram_iterations,
                        &key,
                    );
                    let password = password.to_owned();
                    self.hash_job(move || {
                        let _ = fake.verify_password(&password);
                    })
                    .await;
                }
                Ok(false)
            }
            Err(e) => Err(e.into()),
        };
        self.domain_metrics(jid.domain().as_str())
            .auth
            .check_password
            .since(start);
        result
    }

    /// Whether the account exists.
    pub async fn user_exists(&self, jid: &BareJid) -> Result<bool, AccountError> {
        let (domain, user) = parts(jid);
        let start = Instant::now();
        let result = self.store().get_password(domain, user).await;
        self.domain_metrics(domain)
            .auth
            .does_user_exist
            .since(start);
        Ok(result?.is_some())
    }

    /// Accounts of a domain, as bare JIDs.
    pub async fn list_users(&self, domain: &str) -> Result<Vec<String>, AccountError> {
        let users = self.store().list_users(domain).await?;
        Ok(users.into_iter().map(|u| format!("{u}@{domain}")).collect())
    }
}
