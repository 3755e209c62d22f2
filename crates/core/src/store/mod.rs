//! Persistence traits. The core owns the rules; a backend crate (`meerkat-storage`) owns
//! the SQL. Every method is async and object-safe (returns a boxed future) so the binary
//! can pick the backend at start-up and hand the core an `Arc<dyn Store>`.
//!
//! The contract is split per area, one trait per file, so a backend can implement (and
//! test) each area on its own and a module can hold just the area it uses
//! (`Arc<dyn Store>` upcasts to, say, `Arc<dyn OfflineStore>`):
//!
//! | trait            | file          | holds                                             |
//! |------------------|---------------|---------------------------------------------------|
//! | [`AccountStore`] | `accounts.rs` | accounts and their stored passwords               |
//! | [`RosterStore`]  | `roster.rs`   | roster items and versions                         |
//! | [`OfflineStore`] | `offline.rs`  | messages held for offline users                   |
//! | [`VcardStore`]   | `vcard.rs`    | vcard-temp (XEP-0054)                             |
//! | [`PrivateStore`] | `private.rs`  | private XML storage (XEP-0049)                    |
//! | [`LastStore`]    | `last.rs`     | last activity (XEP-0012)                          |
//! | [`DomainStore`]  | `domains.rs`  | dynamic domains and domain-admin passwords        |
//! | [`TokenStore`]   | `tokens.rs`   | auth-token sequence numbers                       |
//! | [`SecretStore`]  | `secrets.rs`  | named server secrets                              |
//! | [`MamStore`]     | `mam.rs`      | message archives and archiving preferences        |
//!
//! [`Store`] is their sum, what a backend provides. Method names carry their area's
//! prefix, so no two traits share a name and calls on `dyn Store` are never ambiguous.
//! Every area that keeps data per user has a `<area>_remove_user(owner)` method that
//! forgets all of it; [`AccountStore::remove_user`] removes the account and the data of
//! every area at once.
//!
//! Identities are plain strings, already normalised by the caller: `user` is the JID's
//! nodeprepped local part, `domain` the nameprepped domain, `owner` is `user@domain`.
//! Stanza payloads are stored as serialized XML (`Element::to_xml`), so the storage crate
//! needs no XML knowledge.

use std::future::Future;
use std::pin::Pin;

mod accounts;
mod domains;
mod last;
mod mam;
mod offline;
mod private;
mod roster;
mod secrets;
mod tokens;
mod vcard;

pub use accounts::AccountStore;
pub use domains::{DomainStatus, DomainStore, DynamicDomain};
pub use last::{LastActivity, LastStore};
pub use mam::{ArchivedMessage, Direction, MamFilter, MamPage, MamPrefs, MamStore, PageStart};
pub use offline::{OfflineMessage, OfflineStore};
pub use private::PrivateStore;
pub use roster::{Ask, RosterItem, RosterStore, Subscription};
pub use secrets::SecretStore;
pub use tokens::TokenStore;
pub use vcard::VcardStore;

/// Boxed future returned by store methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A storage failure. The message is for logs; callers map it to a user-facing error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, SQL, pool exhausted...).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// Stored data could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Everything the core persists: every area at once. One object serves every domain.
/// Implemented for anything that implements all the area traits; a backend implements
/// those.
pub trait Store:
    AccountStore
    + RosterStore
    + OfflineStore
    + VcardStore
    + PrivateStore
    + LastStore
    + DomainStore
    + TokenStore
    + SecretStore
    + MamStore
{
}

impl<T> Store for T where
    T: AccountStore
        + RosterStore
        + OfflineStore
        + VcardStore
        + PrivateStore
        + LastStore
        + DomainStore
        + TokenStore
        + SecretStore
        + MamStore
        + ?Sized
{
}

/// The upcasts a module makes: from the server's `Arc<dyn Store>` to its own area. These
/// are checked when the tests compile (the core has no backend to run them on; the
/// storage crate's conformance suite runs every area through such an upcast of a real
/// SQLite store).
#[cfg(test)]
mod upcasts {
    use std::sync::Arc;

    use super::*;

    fn accounts(s: Arc<dyn Store>) -> Arc<dyn AccountStore> {
        s
    }
    fn roster(s: Arc<dyn Store>) -> Arc<dyn RosterStore> {
        s
    }
    fn offline(s: Arc<dyn Store>) -> Arc<dyn OfflineStore> {
        s
    }
    fn vcard(s: Arc<dyn Store>) -> Arc<dyn VcardStore> {
        s
    }
    fn private(s: Arc<dyn Store>) -> Arc<dyn PrivateStore> {
        s
    }
    fn last(s: Arc<dyn Store>) -> Arc<dyn LastStore> {
        s
    }
    fn domains(s: Arc<dyn Store>) -> Arc<dyn DomainStore> {
        s
    }
    fn tokens(s: Arc<dyn Store>) -> Arc<dyn TokenStore> {
        s
    }
    fn secrets(s: Arc<dyn Store>) -> Arc<dyn SecretStore> {
        s
    }
    /// A borrowed store upcasts the same way.
    fn offline_ref(s: &dyn Store) -> &dyn OfflineStore {
        s
    }

    /// Every area trait is object-safe and reachable from the aggregate.
    const _: [fn(Arc<dyn Store>); 9] = [
        |s| drop(accounts(s)),
        |s| drop(roster(s)),
        |s| drop(offline(s)),
        |s| drop(vcard(s)),
        |s| drop(private(s)),
        |s| drop(last(s)),
        |s| drop(domains(s)),
        |s| drop(tokens(s)),
        |s| drop(secrets(s)),
    ];
    const _: for<'a> fn(&'a dyn Store) -> &'a dyn OfflineStore = offline_ref;
}
