//! `meerkat db copy`: every area of one store into another, empty one, through the store
//! traits, so any backend can be copied into any other (SQLite to PostgreSQL to grow, and
//! back).

use meerkat_core::store::{DomainStatus, MamFilter, PageStart, Store, StoreError};

/// What a copy moved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Dynamic domains.
    pub domains: u64,
    /// Domain-admin passwords.
    pub domain_admins: u64,
    /// Accounts.
    pub accounts: u64,
    /// Roster items.
    pub roster_items: u64,
    /// Offline messages.
    pub offline_messages: u64,
    /// vCards.
    pub vcards: u64,
    /// Private XML entries.
    pub private_entries: u64,
    /// Last-activity records.
    pub last_activity: u64,
    /// Auth-token sequence numbers.
    pub token_sequences: u64,
    /// Server secrets.
    pub secrets: u64,
    /// Archived messages.
    pub archived_messages: u64,
}

impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} account(s), {} roster item(s), {} offline message(s), {} vCard(s), \
             {} private XML entr(ies), {} last-activity record(s), {} token sequence(s), \
             {} dynamic domain(s), {} domain-admin password(s), {} server secret(s), \
             {} archived message(s)",
            self.accounts,
            self.roster_items,
            self.offline_messages,
            self.vcards,
            self.private_entries,
            self.last_activity,
            self.token_sequences,
            self.domains,
            self.domain_admins,
            self.secrets,
            self.archived_messages
        )
    }
}

/// Why a copy stopped.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The target already holds data; copying into it could mix two servers' users.
    #[error("the target store is not empty ({0}); copy only into an empty store")]
    TargetNotEmpty(String),
    /// A store call failed.
    #[error("{what}: {source}")]
    Store {
        /// What was being copied.
        what: String,
        /// The failure.
        #[source]
        source: StoreError,
    },
}

fn at(what: impl Into<String>) -> impl FnOnce(StoreError) -> CopyError {
    let what = what.into();
    move |source| CopyError::Store { what, source }
}

/// Copies everything `from` holds into `to`, which must be empty. Per-user data is copied
/// for every account (data of users without an account, which account removal would
/// have deleted, is left behind). Offline messages keep their order and times but get the
/// target's ids; roster versions start afresh (clients re-fetch their roster once).
pub async fn copy_store(from: &dyn Store, to: &dyn Store) -> Result<CopyReport, CopyError> {
    let target_domains = to.user_domains().await.map_err(at("reading the target"))?;
    if !target_domains.is_empty() {
        return Err(CopyError::TargetNotEmpty(format!(
            "accounts in {}",
            target_domains.join(", ")
        )));
    }
    if !to
        .domain_list()
        .await
        .map_err(at("reading the target"))?
        .is_empty()
    {
        return Err(CopyError::TargetNotEmpty("dynamic domains".to_owned()));
    }
    let mut report = CopyReport::default();
    for (name, value) in from.secret_list().await.map_err(at("server secrets"))? {
        // The target may have made its own on first open; the source's wins only where
        // the target has none, which is every secret of a target nothing used yet.
        to.secret_get_or_insert(&name, &value)
            .await
            .map_err(at(format!("server secret {name}")))?;
        report.secrets += 1;
    }
    for d in from.domain_list().await.map_err(at("dynamic domains"))? {
        let what = || format!("dynamic domain {}", d.domain);
        to.domain_insert(&d.domain, &d.host_type)
            .await
            .map_err(at(what()))?;
        if d.status != DomainStatus::Enabled {
            to.domain_set_status(&d.domain, d.status)
                .await
                .map_err(at(what()))?;
        }
        report.domains += 1;
    }
    for (domain, password) in from
        .domain_admin_list()
        .await
        .map_err(at("domain admins"))?
    {
        to.domain_admin_set(&domain, &password)
            .await
            .map_err(at(format!("domain-admin password of {domain}")))?;
        report.domain_admins += 1;
    }
    for domain in from.user_domains().await.map_err(at("account domains"))? {
        for user in from
            .list_users(&domain)
            .await
            .map_err(at(format!("accounts of {domain}")))?
        {
            copy_user(from, to, &domain, &user, &mut report)
                .await
                .map_err(at(format!("account {user}@{domain}")))?;
        }
    }
    Ok(report)
}

async fn copy_user(
    from: &dyn Store,
    to: &dyn Store,
    domain: &str,
    user: &str,
    report: &mut CopyReport,
) -> Result<(), StoreError> {
    let owner = format!("{user}@{domain}");
    let Some(password) = from.get_password(domain, user).await? else {
        return Ok(()); // removed meanwhile
    };
    to.create_user(domain, user, &password).await?;
    report.accounts += 1;
    for item in from.roster_get(&owner).await? {
        to.roster_put_item(&owner, &item).await?;
        report.roster_items += 1;
    }
    for msg in from.offline_peek(&owner).await? {
        to.offline_push(&owner, &msg).await?;
        report.offline_messages += 1;
    }
    if let Some(vcard) = from.vcard_get(&owner).await? {
        to.vcard_set(&owner, &vcard).await?;
        report.vcards += 1;
    }
    for (namespace, xml) in from.private_list(&owner).await? {
        to.private_set(&owner, &namespace, &xml).await?;
        report.private_entries += 1;
    }
    if let Some(last) = from.last_get(&owner).await? {
        to.last_set(&owner, &last).await?;
        report.last_activity += 1;
    }
    if let Some(seq) = from.auth_token_seq(&owner).await? {
        to.auth_token_seq_init(&owner, seq).await?;
        report.token_sequences += 1;
    }
    if let Some(prefs) = from.mam_prefs_get(&owner).await? {
        to.mam_prefs_set(&owner, &prefs).await?;
    }
    // The archive, oldest first, a page at a time (ids kept: they are the stanza ids
    // clients know).
    let everything = MamFilter::default();
    let mut after = None;
    loop {
        let start = after.map_or(PageStart::Offset(0), PageStart::After);
        let page = from.mam_query(&owner, &everything, start, 500).await?;
        for m in &page.messages {
            to.mam_append(&owner, m).await?;
            report.archived_messages += 1;
        }
        match page.messages.last() {
            Some(last) if page.messages.len() == 500 => after = Some(last.id),
            _ => break,
        }
    }
    Ok(())
}
