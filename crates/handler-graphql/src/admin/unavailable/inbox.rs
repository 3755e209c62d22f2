//! `inbox` (admin): MongooseIM's `admin/inbox.gql`. Needs `mod_inbox`, which meerkat does
//! not have: every operation answers `deps_not_loaded` after the domain-admin check.
#![allow(unused_variables)] // arguments are declared for the schema only

use super::deps_not_loaded;
use crate::context::Ctx;
use crate::scalars::{DomainName, JidScalar, PosInt};
use juniper::{FieldResult, graphql_object};

const MODULES: &[&str] = &["mod_inbox"];

/// Allow admin to flush the inbox bin".
pub struct InboxAdminMutation;

#[graphql_object(context = Ctx, name = "InboxAdminMutation")]
impl InboxAdminMutation {
    /// Flush the user's bin and return the number of deleted rows
    fn flush_user_bin(
        ctx: &Ctx,
        #[graphql(desc = "User to clear a bin")] user: JidScalar,
        #[graphql(desc = "Remove older than given days or all if null")] days: Option<PosInt>,
    ) -> FieldResult<Option<i32>> {
        ctx.guard("InboxAdminMutation.flushUserBin", &[("user", &user)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Flush the whole domain bin and return the number of deleted rows
    fn flush_domain_bin(
        ctx: &Ctx,
        #[graphql(desc = "Domain to be cleared")] domain: DomainName,
        #[graphql(desc = "Remove older than given days or all if null")] days: Option<PosInt>,
    ) -> FieldResult<Option<i32>> {
        ctx.guard("InboxAdminMutation.flushDomainBin", &[("domain", &domain)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Flush the global bin and return the number of deleted rows
    fn flush_global_bin(
        ctx: &Ctx,
        #[graphql(desc = "Required to identify the DB backend")] host_type: String,
        #[graphql(desc = "Remove older than given days or all if null. Only for global admin")]
        days: Option<PosInt>,
    ) -> FieldResult<Option<i32>> {
        ctx.guard("InboxAdminMutation.flushGlobalBin", &[])?;
        deps_not_loaded(MODULES, &[])
    }
}
