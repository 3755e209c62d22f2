//! Message archives (mod_mam, XEP-0313). The owner is `user@domain`.
//!
//! Message ids are MongooseIM's: `(microseconds << 8) | node`, so ids order messages by
//! time and a time range is an id range (see `modules::mam::id`).

use super::StoreFuture;

/// Which way a message went, from the archive owner's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Received (`remote` is the sender).
    Incoming,
    /// Sent (`remote` is the recipient).
    Outgoing,
}

/// One archived message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchivedMessage {
    /// The archive id (time-ordered, unique in the archive).
    pub id: i64,
    /// The other party's bare JID.
    pub remote_bare: String,
    /// The other party's resource (`""` when none).
    pub remote_resource: String,
    /// In or out.
    pub direction: Direction,
    /// The `from` of the message as archived.
    pub from: String,
    /// The client's `<origin-id/>` (XEP-0359), if any.
    pub origin_id: Option<String>,
    /// The text searched by full-text queries (the body, lower-cased), if any.
    pub search_body: Option<String>,
    /// The serialized `<message/>`.
    pub xml: String,
}

/// What a query selects, before paging. Bounds are inclusive ids (the module turns
/// times and `after-id`/`before-id` into them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MamFilter {
    /// Only with this bare JID...
    pub with_bare: Option<String>,
    /// ...and, if set, this resource of it.
    pub with_resource: Option<String>,
    /// Ids `>=` this.
    pub min_id: Option<i64>,
    /// Ids `<=` this.
    pub max_id: Option<i64>,
    /// Only these ids.
    pub ids: Option<Vec<i64>>,
    /// Only messages whose `search_body` contains every one of these words.
    pub words: Vec<String>,
}

/// Where a page starts (XEP-0059 result set management).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageStart {
    /// The oldest messages, skipping `offset` of them (`<index/>`, or none: 0).
    Offset(u64),
    /// The messages right after this id (`<after/>`).
    After(i64),
    /// The messages right before this id (`<before>id</before>`), or the newest ones
    /// (`<before/>`, `None`).
    Before(Option<i64>),
}

/// One page of a query: messages oldest first, how many match the filter in all, and the
/// position of the first one among them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MamPage {
    /// At most the limit asked for, oldest first.
    pub messages: Vec<ArchivedMessage>,
    /// Messages that match the filter (whatever the page).
    pub total: u64,
    /// How many matching messages are older than the first one of the page.
    pub first_index: u64,
}

/// The archives of every user.
pub trait MamStore: Send + Sync + 'static {
    /// Archives a message; ids are unique per owner (the caller makes them). Returns only
    /// after it is stored.
    fn mam_append<'a>(&'a self, owner: &'a str, msg: &'a ArchivedMessage) -> StoreFuture<'a, ()>;
    /// A page of the owner's archive.
    fn mam_query<'a>(
        &'a self,
        owner: &'a str,
        filter: &'a MamFilter,
        start: PageStart,
        limit: u32,
    ) -> StoreFuture<'a, MamPage>;
    /// Removes the domain's messages with ids below `before_id` (retention); returns how
    /// many.
    fn mam_remove_older<'a>(&'a self, domain: &'a str, before_id: i64) -> StoreFuture<'a, u64>;
    /// The owner's archiving preferences: the default (`always`, `never` or `roster`) and
    /// the JIDs always and never archived; `None` when never set.
    fn mam_prefs_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<MamPrefs>>;
    /// Replaces the owner's preferences.
    fn mam_prefs_set<'a>(&'a self, owner: &'a str, prefs: &'a MamPrefs) -> StoreFuture<'a, ()>;
    /// Forgets the owner's archive and preferences.
    fn mam_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()>;
}

/// Archiving preferences (XEP-0313 `<prefs/>`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MamPrefs {
    /// `always`, `never` or `roster`.
    pub default: String,
    /// Bare JIDs always archived.
    pub always: Vec<String>,
    /// Bare JIDs never archived.
    pub never: Vec<String>,
}
