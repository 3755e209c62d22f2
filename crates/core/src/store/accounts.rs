//! Accounts and their stored passwords.

use super::StoreFuture;

/// Accounts of every domain, keyed by (domain, local part).
pub trait AccountStore: Send + Sync + 'static {
    /// Creates an account. Returns `false` (and changes nothing) when it already exists.
    fn create_user<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
        password: &'a str,
    ) -> StoreFuture<'a, bool>;
    /// Removes an account and everything every area stores for it (the data each
    /// `<area>_remove_user` method of [`Store`](super::Store) removes), all at once: a backend with
    /// transactions does it in one. The areas' data goes even when the account was gone
    /// already. Returns `false` when the account did not exist.
    fn remove_user<'a>(&'a self, domain: &'a str, user: &'a str) -> StoreFuture<'a, bool>;
    /// The stored password string (see `meerkat_xmpp::scram::StoredPassword::to_storage_string`).
    fn get_password<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
    ) -> StoreFuture<'a, Option<String>>;
    /// Replaces the stored password string. Returns `false` when the account does not exist.
    fn set_password<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
        password: &'a str,
    ) -> StoreFuture<'a, bool>;
    /// Local parts of the accounts of `domain`, sorted.
    fn list_users<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Vec<String>>;
    /// Number of accounts of `domain`.
    fn count_users<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, u64>;
    /// The domains that have at least one account, sorted (for `meerkat db copy`).
    fn user_domains(&self) -> StoreFuture<'_, Vec<String>>;
}
