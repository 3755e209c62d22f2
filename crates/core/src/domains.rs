//! Which domains this server serves: the static `general.hosts` plus the enabled dynamic
//! domains (added at run time with the `domain` API, persisted in the store, kept here in
//! memory so that routing and stream opening never wait on storage).
//!
//! As in MongooseIM, each static host is a host type of its own, and a dynamic domain
//! belongs to one of the configured `general.host_types`; a dynamic domain is served only
//! while it is enabled and its host type is still configured.

use crate::Server;
use crate::store::{DomainStatus, DynamicDomain, StoreError};
use std::collections::HashMap;
use std::sync::RwLock;

/// The in-memory copy of the stored dynamic domains (every status).
#[derive(Debug, Default)]
pub struct DomainRegistry {
    map: RwLock<HashMap<String, DynamicDomain>>,
}

impl DomainRegistry {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, DynamicDomain>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, DynamicDomain>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Server {
    /// Whether `domain` (nameprepped, lower case) is served: a static host, or an enabled
    /// dynamic domain of a configured host type.
    pub fn is_served_domain(&self, domain: &str) -> bool {
        // On the per-stanza path (the router): no allocation, and no lock for static hosts.
        self.config().is_local_domain(domain)
            || self
                .domains()
                .read()
                .get(domain)
                .is_some_and(|d| self.is_served_dynamic(d))
    }

    /// The host type of a served domain (a static host is its own host type).
    pub fn host_type_of(&self, domain: &str) -> Option<String> {
        if self.config().is_local_domain(domain) {
            return Some(domain.to_owned());
        }
        let map = self.domains().read();
        let d = map.get(domain)?;
        self.is_served_dynamic(d).then(|| d.host_type.clone())
    }

    /// Whether a dynamic domain is served: enabled, with a configured host type.
    fn is_served_dynamic(&self, d: &DynamicDomain) -> bool {
        d.status == DomainStatus::Enabled && self.is_dynamic_host_type(&d.host_type)
    }

    /// The metric handles of a domain's host type (those of `host_type=""` when the
    /// domain is not served).
    pub fn domain_metrics(&self, domain: &str) -> &std::sync::Arc<crate::metrics::HostMetrics> {
        if self.config().is_local_domain(domain) {
            return self.metrics().host(domain);
        }
        match self.host_type_of(domain) {
            Some(host_type) => self.metrics().host(&host_type),
            None => self.metrics().unknown_host(),
        }
    }

    /// Whether dynamic domains may have this host type (`general.host_types`).
    pub fn is_dynamic_host_type(&self, host_type: &str) -> bool {
        self.config()
            .general
            .host_types
            .iter()
            .any(|t| t == host_type)
    }

    /// The dynamic domains as last stored (every status), ordered by domain.
    pub fn dynamic_domains(&self) -> Vec<DynamicDomain> {
        let mut all: Vec<DynamicDomain> = self.domains().read().values().cloned().collect();
        all.sort_by(|a, b| a.domain.cmp(&b.domain));
        all
    }

    /// One dynamic domain as last stored.
    pub fn dynamic_domain(&self, domain: &str) -> Option<DynamicDomain> {
        self.domains().read().get(domain).cloned()
    }

    /// Loads the dynamic domains from the store (at start-up). Domains whose removal was
    /// requested but not finished (status `deleting`) are removed in the background.
    pub async fn load_dynamic_domains(&self) -> Result<(), StoreError> {
        let stored = self.store().domain_list().await?;
        let unfinished: Vec<String> = stored
            .iter()
            .filter(|d| d.status == DomainStatus::Deleting)
            .map(|d| d.domain.clone())
            .collect();
        let served = stored
            .iter()
            .filter(|d| d.status == DomainStatus::Enabled)
            .count();
        {
            let mut map = self.domains().write();
            map.clear();
            map.extend(stored.into_iter().map(|d| (d.domain.clone(), d)));
        }
        tracing::info!(served, "dynamic domains loaded");
        for domain in unfinished {
            crate::commands::domain::finish_removal_in_background(self, domain);
        }
        Ok(())
    }

    /// Records a stored change of a dynamic domain.
    pub(crate) fn remember_domain(&self, d: DynamicDomain) {
        self.domains().write().insert(d.domain.clone(), d);
    }

    /// Records the removal of a dynamic domain from the store.
    pub(crate) fn forget_domain(&self, domain: &str) {
        self.domains().write().remove(domain);
    }
}
