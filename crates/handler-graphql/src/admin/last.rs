//! `last` category (admin): MongooseIM's `admin/last.gql`, with `LastActivity` of
//! `global/last.gql`. Timestamps are whole seconds, as mod_last stores them.

use super::roster::with_context;
use crate::context::{Ctx, IntoField};
use crate::scalars::{DateTime, DomainName, JidScalar};
use juniper::{FieldResult, GraphQLObject, graphql_object};
use meerkat_core::commands::last;

/// The user's last activity.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "LastActivity")]
pub struct LastActivity {
    /// The user's JID.
    pub user: JidScalar,
    /// The activity DateTime.
    pub timestamp: DateTime,
    /// The status text.
    pub status: String,
}

impl LastActivity {
    /// From a command result.
    pub fn of(r: last::UserLast) -> LastActivity {
        LastActivity {
            user: JidScalar(r.user.into()),
            timestamp: DateTime::from_secs(r.last.timestamp),
            status: r.last.status,
        }
    }
}

/// The user is considered old when never registered activity in `mod_last`, or the
/// latest registered activity is older than the given timestamp.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "OldUser")]
pub struct OldUser {
    /// The user's JID.
    pub jid: JidScalar,
    /// The latest recorded user activity DateTime.
    pub timestamp: Option<DateTime>,
}

fn old_users(list: Vec<last::OldUser>) -> Option<Vec<OldUser>> {
    Some(
        list.into_iter()
            .map(|u| OldUser {
                jid: JidScalar(u.jid.into()),
                timestamp: u.timestamp.map(DateTime::from_secs),
            })
            .collect(),
    )
}

/// Seconds of a `DateTime` argument.
pub fn secs(t: &DateTime) -> i64 {
    t.micros().div_euclid(1_000_000)
}

/// `getLast` for `user`.
pub async fn get(ctx: &Ctx, user: &str) -> FieldResult<Option<LastActivity>> {
    let r = last::get_last(&ctx.server, user)
        .await
        .map_err(|e| with_context(e, &[("user", user)]))
        .field()?;
    Ok(Some(LastActivity::of(r)))
}

/// `setLast` for `user`.
pub async fn set(
    ctx: &Ctx,
    user: &str,
    timestamp: Option<DateTime>,
    status: &str,
) -> FieldResult<Option<LastActivity>> {
    let r = last::set_last(&ctx.server, user, timestamp.as_ref().map(secs), status)
        .await
        .map_err(|e| with_context(e, &[("user", user)]))
        .field()?;
    Ok(Some(LastActivity::of(r)))
}

/// Allow admin to get information about last activity.
pub struct LastAdminQuery;

#[graphql_object(context = Ctx, name = "LastAdminQuery")]
impl LastAdminQuery {
    /// Get the user's last status and timestamp
    async fn get_last(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<LastActivity>> {
        ctx.guard("LastAdminQuery.getLast", &[("user", &user)])?;
        get(ctx, user.as_str()).await
    }

    /// Get the number of users active from the given timestamp
    async fn count_active_users(
        ctx: &Ctx,
        domain: DomainName,
        timestamp: Option<DateTime>,
    ) -> FieldResult<Option<i32>> {
        ctx.guard("LastAdminQuery.countActiveUsers", &[("domain", &domain)])?;
        let n =
            last::count_active_users(&ctx.server, domain.as_str(), timestamp.as_ref().map(secs))
                .await
                .map_err(|e| with_context(e, &[("domain", domain.as_str())]))
                .field()?;
        Ok(Some(i32::try_from(n).unwrap_or(i32::MAX)))
    }

    /// List users that didn't log in the last days or have never logged in.
    /// Globally or for a specified domain
    async fn list_old_users(
        ctx: &Ctx,
        domain: Option<DomainName>,
        timestamp: DateTime,
    ) -> FieldResult<Option<Vec<OldUser>>> {
        let d = domain.as_ref().map(DomainName::as_str);
        ctx.guard("LastAdminQuery.listOldUsers", &[("domain", &domain)])?;
        let list = last::list_old_users(&ctx.server, d, secs(&timestamp))
            .await
            .map_err(|e| with_context(e, d.map(|d| ("domain", d)).as_slice()))
            .field()?;
        Ok(old_users(list))
    }
}

/// Allow admin to manage last activity.
pub struct LastAdminMutation;

#[graphql_object(context = Ctx, name = "LastAdminMutation")]
impl LastAdminMutation {
    /// Set user's last status and timestamp
    async fn set_last(
        ctx: &Ctx,
        user: JidScalar,
        timestamp: Option<DateTime>,
        status: String,
    ) -> FieldResult<Option<LastActivity>> {
        ctx.guard("LastAdminMutation.setLast", &[("user", &user)])?;
        set(ctx, user.as_str(), timestamp, &status).await
    }

    /// Delete users that didn't log in the last days or have never logged in.
    /// Globally or for a specified domain. Please use listOldUsers to check which users
    /// will be deleted
    async fn remove_old_users(
        ctx: &Ctx,
        domain: Option<DomainName>,
        timestamp: DateTime,
    ) -> FieldResult<Option<Vec<OldUser>>> {
        let d = domain.as_ref().map(DomainName::as_str);
        ctx.guard("LastAdminMutation.removeOldUsers", &[("domain", &domain)])?;
        let list = last::remove_old_users(&ctx.server, d, secs(&timestamp))
            .await
            .map_err(|e| with_context(e, d.map(|d| ("domain", d)).as_slice()))
            .field()?;
        Ok(old_users(list))
    }
}
