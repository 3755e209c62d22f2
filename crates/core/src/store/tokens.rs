//! Auth-token sequence numbers (mod_auth_token, commands::token). The owner is
//! `user@domain`.

use super::StoreFuture;

/// The auth-token sequence number of every user; revoking a user's tokens bumps it.
pub trait TokenStore: Send + Sync + 'static {
    /// The owner's current auth-token sequence number, `None` when no token was ever
    /// issued (or the account was removed since).
    fn auth_token_seq<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<i64>>;
    /// The owner's current auth-token sequence number, first setting it to `initial`
    /// when there is none.
    fn auth_token_seq_init<'a>(&'a self, owner: &'a str, initial: i64) -> StoreFuture<'a, i64>;
    /// Revokes the owner's tokens by incrementing the sequence number. Returns `false`
    /// when there is none.
    fn auth_token_revoke<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, bool>;
    /// Forgets the owner's sequence number.
    fn auth_token_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()>;
}
