//! The admin schema (admin and domain_admin endpoints): `AdminQuery`, `AdminMutation`,
//! `AdminSubscription`, as in MongooseIM's `priv/graphql/schemas/admin`.
//!
//! Each category is a module with its query and mutation types; a root field checks the
//! category (enabled, authenticated) and returns the category object.

pub mod account;

use crate::context::{Auth, Ctx};
use juniper::{FieldResult, GraphQLEnum, GraphQLObject, graphql_object};

/// `AuthStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "AuthStatus")]
pub enum AuthStatus {
    /// Credentials accepted.
    #[graphql(name = "AUTHORIZED")]
    Authorized,
    /// No or wrong credentials.
    #[graphql(name = "UNAUTHORIZED")]
    Unauthorized,
}

/// `AuthType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "AuthType")]
pub enum AuthType {
    /// A domain admin.
    #[graphql(name = "DOMAIN_ADMIN")]
    DomainAdmin,
    /// The global admin.
    #[graphql(name = "ADMIN")]
    Admin,
    /// Nobody.
    #[graphql(name = "UNAUTHORIZED")]
    Unauthorized,
}

/// `AdminAuthInfo`.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "AdminAuthInfo")]
pub struct AdminAuthInfo {
    /// The domain admin's domain.
    pub domain: Option<String>,
    /// Authorization status.
    #[graphql(name = "authStatus")]
    pub auth_status: AuthStatus,
    /// Kind of admin.
    #[graphql(name = "authType")]
    pub auth_type: Option<AuthType>,
}

/// Root of admin queries.
pub struct AdminQuery;

#[graphql_object(context = Ctx, name = "AdminQuery")]
impl AdminQuery {
    /// Check authorization status.
    #[graphql(name = "checkAuth")]
    fn check_auth(ctx: &Ctx) -> AdminAuthInfo {
        match &ctx.auth {
            Auth::Admin => AdminAuthInfo {
                domain: None,
                auth_status: AuthStatus::Authorized,
                auth_type: Some(AuthType::Admin),
            },
            Auth::DomainAdmin(d) => AdminAuthInfo {
                domain: Some(d.clone()),
                auth_status: AuthStatus::Authorized,
                auth_type: Some(AuthType::DomainAdmin),
            },
            _ => AdminAuthInfo {
                domain: None,
                auth_status: AuthStatus::Unauthorized,
                auth_type: None,
            },
        }
    }

    /// Account management.
    fn account(ctx: &Ctx) -> FieldResult<Option<account::AccountAdminQuery>> {
        ctx.category("account")?;
        Ok(Some(account::AccountAdminQuery))
    }
}

/// Root of admin mutations (all protected).
pub struct AdminMutation;

#[graphql_object(context = Ctx, name = "AdminMutation")]
impl AdminMutation {
    /// Account management.
    fn account(ctx: &Ctx) -> FieldResult<Option<account::AccountAdminMutation>> {
        ctx.category("account")?;
        Ok(Some(account::AccountAdminMutation))
    }
}

/// Root of admin subscriptions (over SSE).
pub struct AdminSubscription;

#[juniper::graphql_subscription(context = Ctx, name = "AdminSubscription")]
impl AdminSubscription {
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

/// The admin schema.
pub type AdminSchema = juniper::RootNode<AdminQuery, AdminMutation, AdminSubscription>;

/// Builds the admin schema.
pub fn schema() -> AdminSchema {
    AdminSchema::new(AdminQuery, AdminMutation, AdminSubscription)
}
