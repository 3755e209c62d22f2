//! `stat` category (admin): MongooseIM's `admin/stats.gql`, over
//! [`meerkat_core::commands::stat`].

use crate::context::{Ctx, IntoField};
use crate::scalars::DomainName;
use juniper::{FieldResult, GraphQLObject, graphql_object};
use meerkat_core::commands::stat;

fn int(v: u64) -> Option<i32> {
    Some(i32::try_from(v).unwrap_or(i32::MAX))
}

/// Statistics of the whole server.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "GlobalStats")]
pub struct GlobalStats {
    /// Uptime of the node
    #[graphql(name = "uptimeSeconds")]
    pub uptime_seconds: Option<i32>,
    /// Number of registered users
    #[graphql(name = "registeredUsers")]
    pub registered_users: Option<i32>,
    /// Number of online users on the node
    #[graphql(name = "onlineUsersNode")]
    pub online_users_node: Option<i32>,
    /// Number of online users
    #[graphql(name = "onlineUsers")]
    pub online_users: Option<i32>,
    /// Number of all incoming s2s connections
    #[graphql(name = "incomingS2S")]
    pub incoming_s2s: Option<i32>,
    /// Number of all outgoing s2s connections
    #[graphql(name = "outgoingS2S")]
    pub outgoing_s2s: Option<i32>,
}

/// Statistics of one domain.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "DomainStats")]
pub struct DomainStats {
    /// Number of registered users on a given domain
    #[graphql(name = "registeredUsers")]
    pub registered_users: Option<i32>,
    /// Number of online users on a given domain
    #[graphql(name = "onlineUsers")]
    pub online_users: Option<i32>,
}

/// Allow admin to get statistics
pub struct StatsAdminQuery;

#[graphql_object(context = Ctx, name = "StatsAdminQuery")]
impl StatsAdminQuery {
    /// Get statistics from all of the nodes. Only for global admin
    async fn global_stats(ctx: &Ctx) -> FieldResult<Option<GlobalStats>> {
        ctx.guard("StatsAdminQuery.globalStats", &[])?;
        let s = stat::global_stats(&ctx.server).await.field()?;
        Ok(Some(GlobalStats {
            uptime_seconds: int(s.uptime_seconds),
            registered_users: int(s.registered_users),
            online_users_node: int(s.online_users_node),
            online_users: int(s.online_users),
            incoming_s2s: int(s.incoming_s2s),
            outgoing_s2s: int(s.outgoing_s2s),
        }))
    }

    /// Get statistics from a specific domain
    async fn domain_stats(ctx: &Ctx, domain: DomainName) -> FieldResult<Option<DomainStats>> {
        ctx.guard("StatsAdminQuery.domainStats", &[("domain", &domain)])?;
        let s = stat::domain_stats(&ctx.server, domain.as_str())
            .await
            .field()?;
        Ok(Some(DomainStats {
            registered_users: int(s.registered_users),
            online_users: int(s.online_users),
        }))
    }
}
