//! Last activity (XEP-0012, mod_last). The owner is `user@domain`.

use super::StoreFuture;

/// Last activity of a user (XEP-0012).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastActivity {
    /// Unix time in seconds.
    pub timestamp: i64,
    /// Status text of the last unavailable presence.
    pub status: String,
}

/// The last activity of every user.
pub trait LastStore: Send + Sync + 'static {
    /// Last activity.
    fn last_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<LastActivity>>;
    /// Records last activity.
    fn last_set<'a>(&'a self, owner: &'a str, last: &'a LastActivity) -> StoreFuture<'a, ()>;
    /// The last-activity records of the users of `domain`, as (local part, activity),
    /// ordered by local part (admin API `last` category: countActiveUsers, listOldUsers,
    /// removeOldUsers).
    fn last_list_domain<'a>(
        &'a self,
        domain: &'a str,
    ) -> StoreFuture<'a, Vec<(String, LastActivity)>>;
    /// Forgets the owner's last activity.
    fn last_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()>;
}
