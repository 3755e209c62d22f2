//! The user schema: `UserQuery`, `UserMutation`, `UserSubscription`, as in MongooseIM's
//! `priv/graphql/schemas/user`. Every operation acts for the authenticated user.

pub mod account;

use crate::admin::AuthStatus;
use crate::context::{Auth, Ctx};
use crate::scalars::JidScalar;
use juniper::{FieldResult, GraphQLObject, graphql_object};

/// `UserAuthInfo`.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "UserAuthInfo")]
pub struct UserAuthInfo {
    /// The authenticated user's bare JID.
    pub username: Option<JidScalar>,
    /// Authorization status.
    #[graphql(name = "authStatus")]
    pub auth_status: AuthStatus,
}

/// Root of user queries.
pub struct UserQuery;

#[graphql_object(context = Ctx, name = "UserQuery")]
impl UserQuery {
    /// Check authorization status.
    #[graphql(name = "checkAuth")]
    fn check_auth(ctx: &Ctx) -> UserAuthInfo {
        match &ctx.auth {
            Auth::User(j) => UserAuthInfo {
                username: Some(JidScalar(j.clone().into())),
                auth_status: AuthStatus::Authorized,
            },
            _ => UserAuthInfo {
                username: None,
                auth_status: AuthStatus::Unauthorized,
            },
        }
    }
}

/// Root of user mutations (all protected).
pub struct UserMutation;

#[graphql_object(context = Ctx, name = "UserMutation")]
impl UserMutation {
    /// Account management.
    fn account(ctx: &Ctx) -> FieldResult<Option<account::AccountUserMutation>> {
        ctx.category("account")?;
        Ok(Some(account::AccountUserMutation))
    }
}

/// Root of user subscriptions (over SSE).
pub struct UserSubscription;

#[juniper::graphql_subscription(context = Ctx, name = "UserSubscription")]
impl UserSubscription {
    /// Placeholder until stanza subscriptions land.
    async fn stanza(
        ctx: &Ctx,
    ) -> FieldResult<std::pin::Pin<Box<dyn futures_util::Stream<Item = FieldResult<String>> + Send>>>
    {
        ctx.authenticated()?;
        Err(crate::context::error(
            "deps_not_loaded",
            "Not implemented yet",
            &[],
        ))
    }
}

/// The user schema.
pub type UserSchema = juniper::RootNode<UserQuery, UserMutation, UserSubscription>;

/// Builds the user schema.
pub fn schema() -> UserSchema {
    UserSchema::new(UserQuery, UserMutation, UserSubscription)
}
