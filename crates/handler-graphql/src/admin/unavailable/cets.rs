//! `cets` (admin): MongooseIM's `admin/cets.gql`. Needs the `cets` internal database,
//! which meerkat does not have: every operation is for the global admin only and answers
//! `deps_not_loaded`.

use super::deps_not_loaded;
use crate::context::Ctx;
use juniper::{FieldResult, GraphQLObject, graphql_object};

const DATABASES: &[&str] = &["cets"];

/// A CETS table.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "CETSTableInfo")]
pub struct CetsTableInfo {
    /// ETS table name
    #[graphql(name = "tableName")]
    pub table_name: Option<String>,
    /// Memory (in words)
    pub memory: Option<i32>,
    /// Size (in records)
    pub size: Option<i32>,
    /// A list of clustered nodes
    pub nodes: Option<Vec<Option<String>>>,
}

/// The state of CETS clustering.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "CETSSystemInfo")]
pub struct CetsSystemInfo {
    /// Available nodes (nodes that are connected to us and have the CETS disco process started)
    #[graphql(name = "availableNodes")]
    pub available_nodes: Option<Vec<Option<String>>>,
    /// Unavailable nodes (nodes that do not respond to our pings)
    #[graphql(name = "unavailableNodes")]
    pub unavailable_nodes: Option<Vec<Option<String>>>,
    /// Joined nodes (nodes that have our local tables running)
    #[graphql(name = "joinedNodes")]
    pub joined_nodes: Option<Vec<Option<String>>>,
    /// Discovered nodes (nodes that are extracted from the discovery backend)
    #[graphql(name = "discoveredNodes")]
    pub discovered_nodes: Option<Vec<Option<String>>>,
    /// Nodes with stopped CETS discovery
    #[graphql(name = "remoteNodesWithoutDisco")]
    pub remote_nodes_without_disco: Option<Vec<Option<String>>>,
    /// Nodes that have more tables registered than the local node
    #[graphql(name = "remoteNodesWithUnknownTables")]
    pub remote_nodes_with_unknown_tables: Option<Vec<Option<String>>>,
    /// Unknown remote tables
    #[graphql(name = "remoteUnknownTables")]
    pub remote_unknown_tables: Option<Vec<Option<String>>>,
    /// Nodes that are available, but do not host some of our local tables
    #[graphql(name = "remoteNodesWithMissingTables")]
    pub remote_nodes_with_missing_tables: Option<Vec<Option<String>>>,
    /// Missing remote tables
    #[graphql(name = "remoteMissingTables")]
    pub remote_missing_tables: Option<Vec<Option<String>>>,
    /// Nodes that replicate at least one of our local tables to a different list of nodes
    #[graphql(name = "conflictNodes")]
    pub conflict_nodes: Option<Vec<Option<String>>>,
    /// Tables that have conflicting replication destinations
    #[graphql(name = "conflictTables")]
    pub conflict_tables: Option<Vec<Option<String>>>,
    /// Returns true if the last discovery attempt is successful
    #[graphql(name = "discoveryWorks")]
    pub discovery_works: Option<bool>,
}

/// Allow admin to get information about CETS status
pub struct CetsAdminQuery;

#[graphql_object(context = Ctx, name = "CETSAdminQuery")]
impl CetsAdminQuery {
    /// Get a list of tables from the local node
    fn table_info(ctx: &Ctx) -> FieldResult<Option<Vec<Option<CetsTableInfo>>>> {
        ctx.guard("CETSAdminQuery.tableInfo", &[])?;
        deps_not_loaded(&[], DATABASES)
    }

    /// Get status of CETS
    fn system_info(ctx: &Ctx) -> FieldResult<Option<CetsSystemInfo>> {
        ctx.guard("CETSAdminQuery.systemInfo", &[])?;
        deps_not_loaded(&[], DATABASES)
    }
}
