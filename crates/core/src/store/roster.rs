//! Rosters (RFC 6121), with versioning. The owner is `user@domain`.

use super::StoreFuture;

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
    /// Display name, if set. A backend may store an empty name as none (MongooseIM's
    /// tables do).
    pub name: Option<String>,
    /// Groups: a set (RFC 6121 gives their order no meaning). A backend may return them
    /// in another order (PostgreSQL on MongooseIM's tables: sorted) and without
    /// duplicates.
    pub groups: Vec<String>,
    /// Subscription state.
    pub subscription: Subscription,
    /// Pending state.
    pub ask: Ask,
}

/// The rosters of every user.
pub trait RosterStore: Send + Sync + 'static {
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
    /// Forgets the owner's roster and its version (the version starts again from "0").
    fn roster_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()>;
}
