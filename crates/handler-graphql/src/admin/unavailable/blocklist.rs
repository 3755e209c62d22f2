//! `blocklist` (admin): MongooseIM's `admin/blocklist.gql`. Needs `mod_blocklist`, which
//! meerkat does not have: every operation answers `deps_not_loaded` after the
//! domain-admin check.
#![allow(unused_variables)] // arguments are declared for the schema only

use super::deps_not_loaded;
use crate::context::Ctx;
use crate::scalars::{DomainName, JidScalar, NonEmptyString, NonNegInt, PosInt};
use juniper::{FieldResult, GraphQLObject, graphql_object};

const MODULES: &[&str] = &["mod_blocklist"];

/// A blocked user entry with the JID and optional reason.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "BlockedUser")]
pub struct BlockedUser {
    /// The JID of the blocked user
    pub jid: JidScalar,
    /// The reason for the block, if provided
    pub reason: Option<String>,
}

/// Allow admin to query the blocklist.
pub struct BlocklistAdminQuery;

#[graphql_object(context = Ctx, name = "BlocklistAdminQuery")]
impl BlocklistAdminQuery {
    /// Get number of blocked users per domain
    fn user_count(ctx: &Ctx, domain: DomainName) -> FieldResult<Option<i32>> {
        ctx.guard("BlocklistAdminQuery.userCount", &[("domain", &domain)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// List blocked users per domain
    fn list_blocked_users(
        ctx: &Ctx,
        domain: DomainName,
        #[graphql(
            desc = "Maximum number of users to return. If omitted, returns all users (or all remaining users after applying index)."
        )]
        limit: Option<PosInt>,
        #[graphql(
            desc = "Zero-based index of the first user to return. If omitted, defaults to 0."
        )]
        index: Option<NonNegInt>,
    ) -> FieldResult<Option<Vec<BlockedUser>>> {
        ctx.guard(
            "BlocklistAdminQuery.listBlockedUsers",
            &[("domain", &domain)],
        )?;
        deps_not_loaded(MODULES, &[])
    }
}

/// Allow admin to manage the blocklist.
pub struct BlocklistAdminMutation;

#[graphql_object(context = Ctx, name = "BlocklistAdminMutation")]
impl BlocklistAdminMutation {
    /// Add a user to the blocklist. If the user is already blocked, update the reason.
    fn add_user(
        ctx: &Ctx,
        user: JidScalar,
        reason: Option<NonEmptyString>,
    ) -> FieldResult<Option<bool>> {
        ctx.guard("BlocklistAdminMutation.addUser", &[("user", &user)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Remove a user from the blocklist
    fn remove_user(ctx: &Ctx, user: JidScalar) -> FieldResult<Option<bool>> {
        ctx.guard("BlocklistAdminMutation.removeUser", &[("user", &user)])?;
        deps_not_loaded(MODULES, &[])
    }
}
