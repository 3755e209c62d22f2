//! `last` category (user): MongooseIM's `user/last.gql`. As in MongooseIM, a user may
//! read any local user's last activity, and set only its own.

use crate::admin::last::{self as admin, LastActivity};
use crate::context::Ctx;
use crate::scalars::{DateTime, JidScalar};
use juniper::{FieldResult, graphql_object};

/// Allow user to get information about last activity.
pub struct LastUserQuery;

#[graphql_object(context = Ctx, name = "LastUserQuery")]
impl LastUserQuery {
    /// Get the user's last activity information
    async fn get_last(ctx: &Ctx, user: Option<JidScalar>) -> FieldResult<Option<LastActivity>> {
        let me = ctx.user()?.to_string();
        ctx.needs_modules(&["mod_last"])?;
        let target = user.as_ref().map_or(me.as_str(), JidScalar::as_str);
        admin::get(ctx, target).await
    }
}

/// Allow user to manage last activity.
pub struct LastUserMutation;

#[graphql_object(context = Ctx, name = "LastUserMutation")]
impl LastUserMutation {
    /// Set user's last activity information
    async fn set_last(
        ctx: &Ctx,
        timestamp: Option<DateTime>,
        status: String,
    ) -> FieldResult<Option<LastActivity>> {
        let me = ctx.user()?.to_string();
        ctx.needs_modules(&["mod_last"])?;
        admin::set(ctx, &me, timestamp, &status).await
    }
}
