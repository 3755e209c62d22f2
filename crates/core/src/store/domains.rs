//! Dynamic domains (added at run time) and domain-admin passwords (commands::domain).

use super::StoreFuture;

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

/// Dynamic domains and the domain-admin passwords.
pub trait DomainStore: Send + Sync + 'static {
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
    /// Every domain-admin password as `(domain, stored password)`, sorted by domain (for
    /// `meerkat db copy`).
    fn domain_admin_list(&self) -> StoreFuture<'_, Vec<(String, String)>>;
}
