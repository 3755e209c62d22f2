//! `last` category (user): MongooseIM's `user/last.gql`. A user sets only its own last
//! activity, and reads another user's only when subscribed to that user's presence
//! (XEP-0012's rule; MongooseIM lets a user read anyone's).

use crate::admin::last::{self as admin, LastActivity};
use crate::context::{Ctx, IntoField};
use crate::scalars::{DateTime, JidScalar};
use juniper::{FieldResult, graphql_object};
use meerkat_core::commands::last;

/// Allow user to get information about last activity.
pub struct LastUserQuery;

#[graphql_object(context = Ctx, name = "LastUserQuery")]
impl LastUserQuery {
    /// Get the user's last activity information
    async fn get_last(ctx: &Ctx, user: Option<JidScalar>) -> FieldResult<Option<LastActivity>> {
        let me = ctx.user()?.clone();
        let target = user.as_ref().map_or(me.as_str(), JidScalar::as_str);
        let r = last::get_last_as(&ctx.server, &me, target)
            .await
            .map_err(|e| e.with("user", target))
            .field()?;
        Ok(Some(LastActivity::of(r)))
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
        admin::set(ctx, &me, timestamp, &status).await
    }
}
