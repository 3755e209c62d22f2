//! Server statistics (MongooseIM's `stat` category, `stats_api`). As in MongooseIM,
//! "online users" counts sessions (a user with two resources counts twice), and a domain
//! that is not served has no users rather than being an error.

use super::CommandResult;
use crate::Server;

/// `stat.globalStats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalStats {
    /// Seconds since the server started.
    pub uptime_seconds: u64,
    /// Accounts in every served domain (static hosts and enabled dynamic domains).
    pub registered_users: u64,
    /// Sessions on this node.
    pub online_users_node: u64,
    /// Sessions in the cluster (this node is the whole cluster).
    pub online_users: u64,
    /// Incoming s2s connections (meerkat has no s2s: always 0).
    pub incoming_s2s: u64,
    /// Outgoing s2s connections (always 0).
    pub outgoing_s2s: u64,
}

/// Statistics of the whole server.
pub async fn global_stats(server: &Server) -> CommandResult<GlobalStats> {
    let domains = super::served_domains(server);
    let mut registered = 0;
    for domain in &domains {
        registered += server.store().count_users(domain).await?;
    }
    let sessions = server.sm().count() as u64;
    Ok(GlobalStats {
        uptime_seconds: server.uptime().as_secs(),
        registered_users: registered,
        online_users_node: sessions,
        online_users: sessions,
        incoming_s2s: 0,
        outgoing_s2s: 0,
    })
}

/// `stat.domainStats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainStats {
    /// Accounts in the domain.
    pub registered_users: u64,
    /// Sessions of the domain's users.
    pub online_users: u64,
}

/// Statistics of one domain (zero for a domain that is not served, as in MongooseIM).
pub async fn domain_stats(server: &Server, domain: &str) -> CommandResult<DomainStats> {
    let Some(domain) = super::served_domain(server, domain) else {
        return Ok(DomainStats {
            registered_users: 0,
            online_users: 0,
        });
    };
    Ok(DomainStats {
        registered_users: server.store().count_users(&domain).await?,
        online_users: server.sm().all(Some(&domain)).len() as u64,
    })
}
