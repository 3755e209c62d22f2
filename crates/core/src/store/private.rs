//! Private XML storage (XEP-0049, mod_private). The owner is `user@domain`.

use super::StoreFuture;

/// The private XML elements of every user, one per (owner, namespace).
pub trait PrivateStore: Send + Sync + 'static {
    /// The stored private XML element for (owner, namespace).
    fn private_get<'a>(
        &'a self,
        owner: &'a str,
        namespace: &'a str,
    ) -> StoreFuture<'a, Option<String>>;
    /// Stores one private XML element under its namespace.
    fn private_set<'a>(
        &'a self,
        owner: &'a str,
        namespace: &'a str,
        xml: &'a str,
    ) -> StoreFuture<'a, ()>;
    /// Every private XML element of the owner as (namespace, xml), ordered by namespace
    /// (GDPR export).
    fn private_list<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<(String, String)>>;
    /// Forgets every private XML element of the owner.
    fn private_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()>;
}
