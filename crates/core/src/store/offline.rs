//! Messages held for offline users (mod_offline). The owner is `user@domain`.

use super::StoreFuture;

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

/// The offline messages of every user.
pub trait OfflineStore: Send + Sync + 'static {
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
    /// Forgets every message held for the owner.
    fn offline_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()>;
}
