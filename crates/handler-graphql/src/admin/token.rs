//! `token` category (admin): MongooseIM's `admin/token.gql`, with `Token` of
//! `global/token.gql`. Needs mod_auth_token.

use crate::context::{Ctx, IntoField};
use crate::scalars::JidScalar;
use juniper::{FieldResult, GraphQLObject, graphql_object};
use meerkat_core::auth_token::IssuedTokens;
use meerkat_core::commands::token;

/// Token data
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Token")]
pub struct Token {
    /// Access token data
    pub access: Option<String>,
    /// Refresh token data
    pub refresh: Option<String>,
}

impl From<IssuedTokens> for Token {
    fn from(t: IssuedTokens) -> Self {
        Token {
            access: Some(t.access),
            refresh: Some(t.refresh),
        }
    }
}

/// Allow admin to get and revoke user's auth tokens
pub struct TokenAdminMutation;

#[graphql_object(context = Ctx, name = "TokenAdminMutation")]
impl TokenAdminMutation {
    /// Request auth token for a user
    async fn request_token(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<Token>> {
        ctx.guard("TokenAdminMutation.requestToken", &[("user", &user)])?;
        let t = token::request_token(&ctx.server, user.as_str())
            .await
            .field()?;
        Ok(Some(t.into()))
    }

    /// Revoke any tokens for a user
    async fn revoke_token(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<String>> {
        ctx.guard("TokenAdminMutation.revokeToken", &[("user", &user)])?;
        token::revoke_token(&ctx.server, user.as_str())
            .await
            .field()
            .map(Some)
    }
}
