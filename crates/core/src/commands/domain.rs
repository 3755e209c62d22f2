//! Domains and their admins (MongooseIM's `domain` category, `mongoose_domain_api`):
//! dynamic domains with host types (add, enable, disable, remove), the list of all
//! domains, and the domain-admin passwords checked by the domain_admin endpoint.
//!
//! Error codes and messages are MongooseIM's: `static`, `unknown_host_type`, `duplicate`,
//! `not_found`, `wrong_host_type`, `deleted`.

use super::{CommandError, CommandResult, ErrorKind};
use crate::Server;
use crate::store::{DomainStatus as Stored, DynamicDomain};
use meerkat_xmpp::scram::{ScramHash, StoredPassword};

/// `DomainStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainStatus {
    /// Served.
    Enabled,
    /// Not served.
    Disabled,
    /// Being removed.
    Deleting,
    /// Removed.
    Deleted,
}

impl From<Stored> for DomainStatus {
    fn from(s: Stored) -> Self {
        match s {
            Stored::Enabled => DomainStatus::Enabled,
            Stored::Disabled => DomainStatus::Disabled,
            Stored::Deleting => DomainStatus::Deleting,
        }
    }
}

/// `DomainType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainType {
    /// From `general.hosts`.
    Static,
    /// Added at run time.
    Dynamic,
}

/// A domain as the API shows it (`Domain` / `DomainWithType`); as in MongooseIM, some
/// operations leave fields unset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainInfo {
    /// The domain.
    pub domain: String,
    /// Its host type.
    pub host_type: Option<String>,
    /// Its status.
    pub status: Option<DomainStatus>,
    /// Static or dynamic.
    pub kind: Option<DomainType>,
}

fn error(kind: ErrorKind, code: &'static str, message: &str, domain: &str) -> CommandError {
    CommandError::new(kind, code, message).with("domain", domain)
}

fn not_found(domain: &str) -> CommandError {
    error(
        ErrorKind::NotFound,
        "not_found",
        "Given domain does not exist",
        domain,
    )
}

/// Normalises a domain name (nameprep, lower case).
fn normalise(domain: &str) -> CommandResult<String> {
    match meerkat_xmpp::Jid::new(domain.trim()) {
        Ok(j) if j.node().is_none() && j.resource().is_none() => Ok(j.domain().to_string()),
        _ => Err(error(
            ErrorKind::BadRequest,
            "invalid_domain",
            "Invalid domain name",
            domain,
        )),
    }
}

fn check_not_static(server: &Server, domain: &str) -> CommandResult<()> {
    if server.config().is_local_domain(domain) {
        Err(error(
            ErrorKind::Denied,
            "static",
            "Domain is static",
            domain,
        ))
    } else {
        Ok(())
    }
}

fn check_host_type(server: &Server, host_type: &str) -> CommandResult<()> {
    if server.is_dynamic_host_type(host_type) {
        Ok(())
    } else {
        Err(
            CommandError::denied("unknown_host_type", "Unknown host type")
                .with("hostType", host_type),
        )
    }
}

/// Adds an enabled dynamic domain of `host_type` (one of `general.host_types`).
pub async fn add_domain(
    server: &Server,
    domain: &str,
    host_type: &str,
) -> CommandResult<DomainInfo> {
    let d = normalise(domain)?;
    let ctx = |e: CommandError| e.with("hostType", host_type);
    check_not_static(server, &d).map_err(ctx)?;
    check_host_type(server, host_type).map_err(|e| e.with("domain", d.as_str()))?;
    if !server.store().domain_insert(&d, host_type).await? {
        return Err(ctx(error(
            ErrorKind::Conflict,
            "duplicate",
            "Domain already exists",
            &d,
        )));
    }
    server.remember_domain(DynamicDomain {
        domain: d.clone(),
        host_type: host_type.to_owned(),
        status: Stored::Enabled,
    });
    tracing::info!(domain = %d, host_type, "dynamic domain added");
    Ok(DomainInfo {
        domain: d,
        host_type: Some(host_type.to_owned()),
        status: None,
        kind: None,
    })
}

/// Marks a dynamic domain for deletion after the MongooseIM checks (static, host type,
/// existence, matching host type); its sessions end and its admin password goes.
async fn start_removal(server: &Server, domain: &str, host_type: &str) -> CommandResult<String> {
    let d = normalise(domain)?;
    let ctx = |e: CommandError| e.with("hostType", host_type);
    check_not_static(server, &d).map_err(ctx)?;
    check_host_type(server, host_type).map_err(|e| e.with("domain", d.as_str()))?;
    let Some(stored) = server.store().domain_get(&d).await? else {
        return Err(ctx(not_found(&d)));
    };
    if stored.host_type != host_type {
        return Err(ctx(error(
            ErrorKind::Denied,
            "wrong_host_type",
            "Wrong host type was provided",
            &d,
        )));
    }
    server
        .store()
        .domain_set_status(&d, Stored::Deleting)
        .await?;
    server.remember_domain(DynamicDomain {
        status: Stored::Deleting,
        ..stored
    });
    end_sessions(server, &d, "domain removed");
    server.store().domain_admin_delete(&d).await?;
    Ok(d)
}

/// Removes the accounts (and everything stored for them) of a domain being deleted, then
/// the domain itself.
async fn finish_removal(server: &Server, domain: &str) -> CommandResult<()> {
    for user in server.store().list_users(domain).await? {
        let Ok(jid) = meerkat_xmpp::BareJid::new(&format!("{user}@{domain}")) else {
            tracing::warn!(
                user,
                domain,
                "stored account with an invalid JID left in place"
            );
            continue;
        };
        match server.remove_user(&jid).await {
            Ok(()) | Err(crate::AccountError::NotFound(_)) => {}
            Err(e) => return Err(CommandError::internal("domain removal", e)),
        }
    }
    server.store().domain_delete(domain).await?;
    server.forget_domain(domain);
    tracing::info!(domain, "dynamic domain removed");
    Ok(())
}

/// Finishes the removal of a domain in `deleting` status on a background task.
pub(crate) fn finish_removal_in_background(server: &Server, domain: String) {
    let weak = server.downgrade();
    tokio::spawn(async move {
        let Some(server) = Server::upgrade(&weak) else {
            return;
        };
        if let Err(e) = finish_removal(&server, &domain).await {
            tracing::error!(domain, error = %e, "removing a domain failed; it stays in deleting status");
        }
    });
}

fn end_sessions(server: &Server, domain: &str, reason: &str) {
    for r in server.sm().all(Some(domain)) {
        r.send(crate::sm::Routed::kick(reason.to_owned()));
    }
}

/// Removes a dynamic domain with all its accounts, synchronously.
pub async fn remove_domain(
    server: &Server,
    domain: &str,
    host_type: &str,
) -> CommandResult<DomainInfo> {
    let d = start_removal(server, domain, host_type).await?;
    finish_removal(server, &d).await?;
    Ok(DomainInfo {
        domain: d,
        host_type: Some(host_type.to_owned()),
        status: Some(DomainStatus::Deleted),
        kind: None,
    })
}

/// Removes a dynamic domain in the background; it is `DELETING` until done.
pub async fn request_remove_domain(
    server: &Server,
    domain: &str,
    host_type: &str,
) -> CommandResult<DomainInfo> {
    let d = start_removal(server, domain, host_type).await?;
    finish_removal_in_background(server, d.clone());
    Ok(DomainInfo {
        domain: d,
        host_type: Some(host_type.to_owned()),
        status: Some(DomainStatus::Deleting),
        kind: None,
    })
}

async fn set_status(server: &Server, domain: &str, status: Stored) -> CommandResult<DomainInfo> {
    let d = normalise(domain)?;
    check_not_static(server, &d)?;
    let Some(stored) = server.store().domain_get(&d).await? else {
        return Err(not_found(&d));
    };
    if !server.is_dynamic_host_type(&stored.host_type) {
        return Err(error(
            ErrorKind::Denied,
            "unknown_host_type",
            "Unknown host type",
            &d,
        ));
    }
    if stored.status == Stored::Deleting {
        return Err(error(
            ErrorKind::Denied,
            "deleted",
            "Domain has been deleted",
            &d,
        ));
    }
    if stored.status != status {
        server.store().domain_set_status(&d, status).await?;
        server.remember_domain(DynamicDomain { status, ..stored });
        if status == Stored::Disabled {
            end_sessions(server, &d, "domain disabled");
        }
        tracing::info!(domain = %d, status = status.as_str(), "dynamic domain status changed");
    }
    // As MongooseIM: the host type is not part of the answer.
    Ok(DomainInfo {
        domain: d,
        host_type: None,
        status: Some(status.into()),
        kind: None,
    })
}

/// Enables (serves again) a disabled dynamic domain.
pub async fn enable_domain(server: &Server, domain: &str) -> CommandResult<DomainInfo> {
    set_status(server, domain, Stored::Enabled).await
}

/// Disables a dynamic domain: it is kept, but not served; its sessions end.
pub async fn disable_domain(server: &Server, domain: &str) -> CommandResult<DomainInfo> {
    set_status(server, domain, Stored::Disabled).await
}

/// The served domains of a dynamic host type.
pub fn domains_by_host_type(server: &Server, host_type: &str) -> CommandResult<Vec<String>> {
    check_host_type(server, host_type)?;
    Ok(server
        .dynamic_domains()
        .into_iter()
        .filter(|d| d.host_type == host_type && server.is_served_domain(&d.domain))
        .map(|d| d.domain)
        .collect())
}

fn static_info(domain: &str) -> DomainInfo {
    DomainInfo {
        domain: domain.to_owned(),
        host_type: Some(domain.to_owned()),
        status: Some(DomainStatus::Enabled),
        kind: Some(DomainType::Static),
    }
}

fn dynamic_info(d: DynamicDomain) -> DomainInfo {
    DomainInfo {
        domain: d.domain,
        host_type: Some(d.host_type),
        status: Some(d.status.into()),
        kind: Some(DomainType::Dynamic),
    }
}

/// Every domain, static and dynamic (any status), ordered by name; a static host hides
/// a stored dynamic domain of the same name.
pub async fn all_domains(server: &Server) -> CommandResult<Vec<DomainInfo>> {
    let mut all: Vec<DomainInfo> = server
        .config()
        .general
        .hosts
        .iter()
        .map(|h| static_info(h))
        .collect();
    for d in server.store().domain_list().await? {
        if !server.config().is_local_domain(&d.domain) {
            all.push(dynamic_info(d));
        }
    }
    all.sort_by(|a, b| a.domain.cmp(&b.domain));
    Ok(all)
}

/// One domain, static or dynamic.
pub async fn domain_details(server: &Server, domain: &str) -> CommandResult<DomainInfo> {
    let d = normalise(domain)?;
    if server.config().is_local_domain(&d) {
        return Ok(static_info(&d));
    }
    match server.store().domain_get(&d).await? {
        Some(stored) => Ok(dynamic_info(stored)),
        None => Err(not_found(&d)),
    }
}

/// Sets the password of `admin@<domain>` at the domain_admin endpoint. The domain must
/// be served (static, or dynamic and enabled).
pub async fn set_domain_password(
    server: &Server,
    domain: &str,
    password: &str,
) -> CommandResult<String> {
    let d = normalise(domain)?;
    if !server.is_served_domain(&d) {
        return Err(error(
            ErrorKind::NotFound,
            "not_found",
            "Given domain does not exist or is disabled",
            &d,
        ));
    }
    // SCRAM-SHA-512 keys only, as MongooseIM stores domain-admin passwords.
    let (pw, iterations) = (password.to_owned(), server.config().auth.scram_iterations);
    let stored = server
        .hash_job(move || StoredPassword::derive(&pw, &[ScramHash::Sha512], iterations))
        .await
        .map_err(|_| {
            error(
                ErrorKind::BadRequest,
                "invalid_password",
                "The password contains characters SASLprep does not allow",
                &d,
            )
        })?;
    server
        .store()
        .domain_admin_set(&d, &stored.to_storage_string())
        .await?;
    tracing::info!(domain = %d, "domain admin password set");
    Ok("Domain password set successfully".into())
}

/// Removes the domain-admin password (the domain admin can no longer log in).
pub async fn delete_domain_password(server: &Server, domain: &str) -> CommandResult<String> {
    let d = normalise(domain)?;
    if server.store().domain_admin_delete(&d).await? {
        tracing::info!(domain = %d, "domain admin password deleted");
        Ok("Domain password deleted successfully".into())
    } else {
        Err(error(
            ErrorKind::NotFound,
            "not_found",
            "Domain password does not exist",
            &d,
        ))
    }
}

/// Whether `password` is the admin password of `domain` (set with
/// `domain.setDomainPassword`). No domain has an admin password until one is set.
pub async fn check_admin_password(server: &Server, domain: &str, password: &str) -> bool {
    let Ok(d) = normalise(domain) else {
        return false;
    };
    match server.store().domain_admin_get(&d).await {
        Ok(Some(s)) => match StoredPassword::from_storage_string(&s) {
            Ok(p) => {
                let password = password.to_owned();
                server.hash_job(move || p.verify_plain(&password)).await
            }
            Err(e) => {
                tracing::error!(domain = %d, error = %e, "stored domain admin password is corrupt");
                false
            }
        },
        Ok(None) => false,
        Err(e) => {
            tracing::error!(domain = %d, error = %e, "domain admin password lookup failed");
            false
        }
    }
}
