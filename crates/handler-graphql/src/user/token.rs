//! `token` category (user): MongooseIM's `user/token.gql`. Needs mod_auth_token.

use crate::admin::token::Token;
use crate::context::{Ctx, IntoField};
use juniper::{FieldResult, graphql_object};
use meerkat_core::commands::token;

/// Allow user to get and revoke tokens.
pub struct TokenUserMutation;

#[graphql_object(context = Ctx, name = "TokenUserMutation")]
impl TokenUserMutation {
    /// Get a new token
    async fn request_token(ctx: &Ctx) -> FieldResult<Option<Token>> {
        let user = ctx.user()?.to_string();
        let t = token::request_token(&ctx.server, &user).await.field()?;
        Ok(Some(t.into()))
    }

    /// Revoke any tokens
    async fn revoke_token(ctx: &Ctx) -> FieldResult<Option<String>> {
        let user = ctx.user()?.to_string();
        token::revoke_token(&ctx.server, &user)
            .await
            .field()
            .map(Some)
    }
}
