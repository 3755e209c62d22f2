//! Named server secrets, kept so they survive restarts (the auth-token signing key, the
//! key fake SCRAM salts derive from).

use super::StoreFuture;

/// Server-wide named secrets, set once.
pub trait SecretStore: Send + Sync + 'static {
    /// A named server secret: the stored value, or `value` after storing it when there
    /// is none (so concurrent first calls agree on one value).
    fn secret_get_or_insert<'a>(&'a self, name: &'a str, value: &'a str)
    -> StoreFuture<'a, String>;
    /// Every secret as `(name, value)`, sorted by name (for `meerkat db copy`).
    fn secret_list(&self) -> StoreFuture<'_, Vec<(String, String)>>;
}
