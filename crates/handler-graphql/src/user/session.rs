//! `session` category (user): MongooseIM's `user/session.gql`.

use crate::admin::session::{Session, sessions};
use crate::context::{Ctx, IntoField};
use crate::scalars::ResourceName;
use juniper::{FieldResult, graphql_object};
use meerkat_core::commands::session;

/// `SessionUserQuery`: allow user to get information about sessions.
pub struct SessionUserQuery;

#[graphql_object(
    context = Ctx,
    name = "SessionUserQuery",
    description = "Allow user to get information about sessions."
)]
impl SessionUserQuery {
    /// List connected resources
    async fn list_resources(ctx: &Ctx) -> FieldResult<Option<Vec<ResourceName>>> {
        let user = ctx.user()?.to_string();
        let list = session::list_user_resources(&ctx.server, &user)
            .await
            .field()?;
        Ok(Some(list.into_iter().map(ResourceName).collect()))
    }

    /// Count connected resources
    async fn count_resources(ctx: &Ctx) -> FieldResult<Option<i32>> {
        let user = ctx.user()?.to_string();
        let n = session::count_user_resources(&ctx.server, &user)
            .await
            .field()?;
        Ok(Some(i32::try_from(n).unwrap_or(i32::MAX)))
    }

    /// Get information about all sessions
    async fn list_sessions(ctx: &Ctx) -> FieldResult<Option<Vec<Session>>> {
        let user = ctx.user()?.to_string();
        sessions(
            session::list_user_sessions(&ctx.server, &user)
                .await
                .field()?,
        )
    }
}
