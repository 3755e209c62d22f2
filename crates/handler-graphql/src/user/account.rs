//! `account` category (user): MongooseIM's `user/account.gql`.

use crate::context::{Ctx, IntoField};
use juniper::{FieldResult, graphql_object};
use meerkat_core::commands::account;

/// `AccountUserMutation`.
pub struct AccountUserMutation;

#[graphql_object(context = Ctx, name = "AccountUserMutation")]
impl AccountUserMutation {
    /// Remove an account.
    async fn unregister(ctx: &Ctx) -> FieldResult<Option<String>> {
        let user = ctx.user()?.to_string();
        let removed = account::remove_user(&ctx.server, &user).await.field()?;
        Ok(Some(removed.message))
    }

    /// Change the password of the account.
    async fn change_password(ctx: &Ctx, new_password: String) -> FieldResult<Option<String>> {
        let user = ctx.user()?.to_string();
        let changed = account::change_password(&ctx.server, &user, &new_password)
            .await
            .field()?;
        Ok(Some(changed.message))
    }
}
