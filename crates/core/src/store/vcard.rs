//! vcard-temp (XEP-0054, mod_vcard). The owner is `user@domain`.

use super::StoreFuture;

/// The vCards of every user, as serialized `<vCard/>` XML.
pub trait VcardStore: Send + Sync + 'static {
    /// The stored `<vCard/>` XML.
    fn vcard_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Stores the `<vCard/>` XML.
    fn vcard_set<'a>(&'a self, owner: &'a str, xml: &'a str) -> StoreFuture<'a, ()>;
    /// Forgets the owner's vCard.
    fn vcard_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()>;
}
