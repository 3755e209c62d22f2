//! Persistence traits. The core owns the rules; a backend crate (`meerkat-storage`) owns
//! the SQL. Every method is async and object-safe (returns a boxed future) so the binary
//! can pick the backend at start-up and hand the core an `Arc<dyn Store>`.
//!
//! Identities are plain strings, already normalised by the caller: `user` is the JID's
//! nodeprepped local part, `domain` the nameprepped domain. Stanza payloads are stored as
//! serialized XML (`Element::to_xml`), so the storage crate needs no XML knowledge.

use std::future::Future;
use std::pin::Pin;

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

/// Roster subscription state (RFC 6121 section 2.1.2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subscription {
    /// Neither side is subscribed.
    None,
    /// The owner is subscribed to the contact's presence.
    To,
    /// The contact is subscribed to the owner's presence.
    From,
    /// Mutual subscription.
    Both,
    /// Pseudo-state for a roster set with subscription="remove" (never stored).
    Remove,
}

impl Subscription {
    /// The `subscription` attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Subscription::None => "none",
            Subscription::To => "to",
            Subscription::From => "from",
            Subscription::Both => "both",
            Subscription::Remove => "remove",
        }
    }
    /// Parses an attribute value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Subscription::None,
            "to" => Subscription::To,
            "from" => Subscription::From,
            "both" => Subscription::Both,
            "remove" => Subscription::Remove,
            _ => return None,
        })
    }
}

/// Pending subscription state kept beside [`Subscription`] (RFC 6121 "ask" plus the
/// pending-in flag, as MongooseIM stores it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ask {
    /// Nothing pending.
    None,
    /// The owner asked to subscribe to the contact (shown as `ask="subscribe"`).
    Out,
    /// The contact asked to subscribe to the owner (pending in, not shown in roster).
    In,
    /// Both directions pending.
    Both,
}

impl Ask {
    /// Storage code.
    pub fn as_str(self) -> &'static str {
        match self {
            Ask::None => "none",
            Ask::Out => "out",
            Ask::In => "in",
            Ask::Both => "both",
        }
    }
    /// Parses a storage code.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Ask::None,
            "out" => Ask::Out,
            "in" => Ask::In,
            "both" => Ask::Both,
            _ => return None,
        })
    }
}

/// One roster item of `owner` (`user@domain`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterItem {
    /// The contact's bare JID, normalised.
    pub contact: String,
    /// Display name, if set.
    pub name: Option<String>,
    /// Groups, in the order given.
    pub groups: Vec<String>,
    /// Subscription state.
    pub subscription: Subscription,
    /// Pending state.
    pub ask: Ask,
}

/// A message held for an offline user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfflineMessage {
    /// Storage id; increases with insertion order.
    pub id: i64,
    /// Sender JID as a string.
    pub from: String,
    /// Recipient JID as a string.
    pub to: String,
    /// Serialized `<message/>` element.
    pub packet: String,
    /// Unix time in microseconds when it was stored.
    pub timestamp_us: i64,
    /// Unix time in microseconds after which it may be dropped, if any.
    pub expire_us: Option<i64>,
}

/// Last activity of a user (XEP-0012).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastActivity {
    /// Unix time in seconds.
    pub timestamp: i64,
    /// Status text of the last unavailable presence.
    pub status: String,
}

// ---- dynamic domains, domain admins, auth tokens (GraphQL domain / token / gdpr)

/// Stored status of a dynamic domain (MongooseIM's `domain_settings.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DomainStatus {
    /// Served.
    Enabled,
    /// Kept, not served.
    Disabled,
    /// Being removed (its data is deleted in the background).
    Deleting,
}

impl DomainStatus {
    /// Storage code.
    pub fn as_str(self) -> &'static str {
        match self {
            DomainStatus::Enabled => "enabled",
            DomainStatus::Disabled => "disabled",
            DomainStatus::Deleting => "deleting",
        }
    }
    /// Parses a storage code.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "enabled" => DomainStatus::Enabled,
            "disabled" => DomainStatus::Disabled,
            "deleting" => DomainStatus::Deleting,
            _ => return None,
        })
    }
}

/// A dynamic domain (added at run time, as opposed to the static `general.hosts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynamicDomain {
    /// The domain, nameprepped.
    pub domain: String,
    /// Its host type (one of `general.host_types`).
    pub host_type: String,
    /// Its status.
    pub status: DomainStatus,
}

// ---- end of dynamic domains, domain admins, auth tokens

/// Everything the core persists. One object serves every domain.
pub trait Store: Send + Sync + 'static {
    // ---- accounts
    /// Creates an account. Returns `false` (and changes nothing) when it already exists.
    fn create_user<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
        password: &'a str,
    ) -> StoreFuture<'a, bool>;
    /// Removes an account and everything stored for it (roster, offline, vcard, private, last).
    /// Returns `false` when it did not exist.
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

    // ---- roster (owner = "user@domain")
    /// All items of the owner's roster, ordered by contact.
    fn roster_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<RosterItem>>;
    /// One item.
    fn roster_get_item<'a>(
        &'a self,
        owner: &'a str,
        contact: &'a str,
    ) -> StoreFuture<'a, Option<RosterItem>>;
    /// Inserts or replaces an item and returns the owner's new roster version.
    fn roster_put_item<'a>(
        &'a self,
        owner: &'a str,
        item: &'a RosterItem,
    ) -> StoreFuture<'a, String>;
    /// Deletes an item; returns the new roster version, or `None` when there was no such item.
    fn roster_delete_item<'a>(
        &'a self,
        owner: &'a str,
        contact: &'a str,
    ) -> StoreFuture<'a, Option<String>>;
    /// The owner's current roster version (changes on every put/delete).
    fn roster_version<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, String>;

    // ---- offline messages (owner = "user@domain")
    /// Appends a message; returns only after it is durably stored.
    fn offline_push<'a>(&'a self, owner: &'a str, msg: &'a OfflineMessage) -> StoreFuture<'a, i64>;
    /// Messages for the owner, oldest first (not removed).
    fn offline_peek<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<OfflineMessage>>;
    /// Removes the owner's messages with id <= `up_to_id` (after they were delivered).
    fn offline_remove<'a>(&'a self, owner: &'a str, up_to_id: i64) -> StoreFuture<'a, u64>;
    /// Removes the owner's messages with these ids (those delivered, when some others
    /// could not be read back and must stay).
    fn offline_remove_ids<'a>(&'a self, owner: &'a str, ids: &'a [i64]) -> StoreFuture<'a, u64>;
    /// Number of messages held for the owner.
    fn offline_count<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, u64>;
    /// Total size in bytes of the packets held for the owner.
    fn offline_bytes<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, u64>;
    /// Removes messages of `domain` whose expiry is before `now_us`; returns how many.
    fn offline_remove_expired<'a>(&'a self, domain: &'a str, now_us: i64) -> StoreFuture<'a, u64>;
    /// Removes messages of `domain` stored before `before_us`; returns how many.
    fn offline_remove_older<'a>(&'a self, domain: &'a str, before_us: i64) -> StoreFuture<'a, u64>;

    // ---- vcard-temp (XEP-0054), private storage (XEP-0049), last activity (XEP-0012)
    /// The stored `<vCard/>` XML.
    fn vcard_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Stores the `<vCard/>` XML.
    fn vcard_set<'a>(&'a self, owner: &'a str, xml: &'a str) -> StoreFuture<'a, ()>;
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
    /// Last activity.
    fn last_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<LastActivity>>;
    /// Records last activity.
    fn last_set<'a>(&'a self, owner: &'a str, last: &'a LastActivity) -> StoreFuture<'a, ()>;

    // ---- dynamic domains, domain admins, auth tokens, GDPR export
    // (commands::domain, commands::token, commands::gdpr)
    /// Adds an enabled dynamic domain. Returns `false` (and changes nothing) when the
    /// domain is stored already, whatever its status.
    fn domain_insert<'a>(&'a self, domain: &'a str, host_type: &'a str) -> StoreFuture<'a, bool>;
    /// One dynamic domain.
    fn domain_get<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Option<DynamicDomain>>;
    /// Every dynamic domain, ordered by domain.
    fn domain_list(&self) -> StoreFuture<'_, Vec<DynamicDomain>>;
    /// Sets a dynamic domain's status. Returns `false` when it is not stored.
    fn domain_set_status<'a>(
        &'a self,
        domain: &'a str,
        status: DomainStatus,
    ) -> StoreFuture<'a, bool>;
    /// Forgets a dynamic domain (its accounts are removed separately). Returns `false`
    /// when it was not stored.
    fn domain_delete<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, bool>;
    /// The stored domain-admin password of a domain (a `StoredPassword` string).
    fn domain_admin_get<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Sets (inserts or replaces) the domain-admin password of a domain.
    fn domain_admin_set<'a>(&'a self, domain: &'a str, password: &'a str) -> StoreFuture<'a, ()>;
    /// Removes the domain-admin password. Returns `false` when there was none.
    fn domain_admin_delete<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, bool>;
    /// The owner's current auth-token sequence number, `None` when no token was ever
    /// issued (or the account was removed since).
    fn auth_token_seq<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<i64>>;
    /// The owner's current auth-token sequence number, first setting it to `initial`
    /// when there is none.
    fn auth_token_seq_init<'a>(&'a self, owner: &'a str, initial: i64) -> StoreFuture<'a, i64>;
    /// Revokes the owner's tokens by incrementing the sequence number. Returns `false`
    /// when there is none.
    fn auth_token_revoke<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, bool>;
    /// A named server secret: the stored value, or `value` after storing it when there
    /// is none (so concurrent first calls agree on one value).
    fn secret_get_or_insert<'a>(&'a self, name: &'a str, value: &'a str)
    -> StoreFuture<'a, String>;
    /// Every private XML element of the owner as (namespace, xml), ordered by namespace.
    fn private_list<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<(String, String)>>;
    // ---- end of dynamic domains, domain admins, auth tokens, GDPR export

    // ---- last activity per domain (admin API `last` category: countActiveUsers,
    // listOldUsers, removeOldUsers)
    /// The last-activity records of the users of `domain`, as (local part, activity),
    /// ordered by local part.
    fn last_list_domain<'a>(
        &'a self,
        domain: &'a str,
    ) -> StoreFuture<'a, Vec<(String, LastActivity)>>;
    // ---- end of last activity per domain
}
