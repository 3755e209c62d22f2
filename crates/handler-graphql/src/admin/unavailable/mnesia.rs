//! `mnesia` (admin): MongooseIM's `admin/mnesia.gql`. Needs the `mnesia` internal
//! database, which meerkat does not have: every operation is for the global admin only
//! and answers `deps_not_loaded`.
#![allow(unused_variables)] // arguments are declared for the schema only

use super::deps_not_loaded;
use crate::context::Ctx;
use crate::scalars::NodeName;
use juniper::{FieldResult, GraphQLObject, GraphQLUnion, graphql_object};

const DATABASES: &[&str] = &["mnesia"];

/// A Mnesia system info entry.
#[derive(Clone, Debug, GraphQLUnion)]
#[graphql(name = "MnesiaInfo")]
pub enum MnesiaInfo {
    /// A string.
    String(MnesiaStringResponse),
    /// A list.
    List(MnesiaListResponse),
    /// An integer.
    Int(MnesiaIntResponse),
}

/// Mnesia response in the form of a string
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MnesiaStringResponse")]
pub struct MnesiaStringResponse {
    /// Result as a string
    pub result: Option<String>,
    /// Result's key
    pub key: Option<String>,
}

/// Mnesia response in the form of a list
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MnesiaListResponse")]
pub struct MnesiaListResponse {
    /// Result as a list
    pub result: Option<Vec<Option<String>>>,
    /// Result's key
    pub key: Option<String>,
}

/// Mnesia response in the form of an integer
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MnesiaIntResponse")]
pub struct MnesiaIntResponse {
    /// Result as an integer
    pub result: Option<i32>,
    /// Result's key
    pub key: Option<String>,
}

/// Allow admin to acquire information about mnesia database
pub struct MnesiaAdminQuery;

#[graphql_object(context = Ctx, name = "MnesiaAdminQuery")]
impl MnesiaAdminQuery {
    /// Get the information about appropriate mnesia property for a specified key,
    /// if no keys are provided all the available properties will be returned
    fn system_info(
        ctx: &Ctx,
        keys: Option<Vec<String>>,
    ) -> FieldResult<Option<Vec<Option<MnesiaInfo>>>> {
        ctx.guard("MnesiaAdminQuery.systemInfo", &[])?;
        deps_not_loaded(&[], DATABASES)
    }
}

/// Allow admin to backup, dump, load, restore and modify mnesia database
pub struct MnesiaAdminMutation;

#[graphql_object(context = Ctx, name = "MnesiaAdminMutation")]
impl MnesiaAdminMutation {
    /// Set mnesia's master node
    fn set_master(ctx: &Ctx, node: NodeName) -> FieldResult<Option<String>> {
        ctx.guard("MnesiaAdminMutation.setMaster", &[])?;
        deps_not_loaded(&[], DATABASES)
    }

    /// Change nodename from 'fromString' to 'toString' in 'source' backup file and create new 'target' backup file
    fn change_nodename(
        ctx: &Ctx,
        from_string: NodeName,
        to_string: NodeName,
        source: String,
        target: String,
    ) -> FieldResult<Option<String>> {
        ctx.guard("MnesiaAdminMutation.changeNodename", &[])?;
        deps_not_loaded(&[], DATABASES)
    }

    /// Save mnesia backup to file 'path'
    fn backup(ctx: &Ctx, path: String) -> FieldResult<Option<String>> {
        ctx.guard("MnesiaAdminMutation.backup", &[])?;
        deps_not_loaded(&[], DATABASES)
    }

    /// Restore mnesia backup from file 'path'
    fn restore(ctx: &Ctx, path: String) -> FieldResult<Option<String>> {
        ctx.guard("MnesiaAdminMutation.restore", &[])?;
        deps_not_loaded(&[], DATABASES)
    }

    /// Dump mnesia to file 'path'
    fn dump(ctx: &Ctx, path: String) -> FieldResult<Option<String>> {
        ctx.guard("MnesiaAdminMutation.dump", &[])?;
        deps_not_loaded(&[], DATABASES)
    }

    /// Dump mnesia table 'table' to file 'path'
    fn dump_table(ctx: &Ctx, path: String, table: String) -> FieldResult<Option<String>> {
        ctx.guard("MnesiaAdminMutation.dumpTable", &[])?;
        deps_not_loaded(&[], DATABASES)
    }

    /// Load mnesia from file 'path' that was previously dumped
    fn load(ctx: &Ctx, path: String) -> FieldResult<Option<String>> {
        ctx.guard("MnesiaAdminMutation.load", &[])?;
        deps_not_loaded(&[], DATABASES)
    }

    /// Install mnesia fallback
    fn install_fallback(ctx: &Ctx, path: String) -> FieldResult<Option<String>> {
        ctx.guard("MnesiaAdminMutation.installFallback", &[])?;
        deps_not_loaded(&[], DATABASES)
    }
}
