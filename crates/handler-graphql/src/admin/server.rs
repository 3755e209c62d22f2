//! `server` category (admin): MongooseIM's `admin/server.gql`, over
//! [`meerkat_core::commands::server`]. Every operation is for the global admin only.
//!
//! meerkat is a single node: the cluster operations answer MongooseIM's closest errors
//! (`error` for joinCluster, `not_in_cluster` for the others); `restart` answers
//! `not_supported`; `getCookie` answers `nocookie`, as a MongooseIM node that is not
//! distributed does.

use crate::context::{Ctx, IntoField};
use juniper::{FieldResult, GraphQLEnum, GraphQLObject, graphql_object};
use meerkat_core::commands::server as cmd;

/// Specifies status of the server
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "StatusCode")]
pub enum StatusCode {
    /// Server is running
    Running,
    /// Server is not running
    NotRunning,
}

/// Status of the server
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Status")]
pub struct Status {
    /// Code of the status
    #[graphql(name = "statusCode")]
    pub status_code: Option<StatusCode>,
    /// Message about the status
    pub message: Option<String>,
    /// MongooseIM version
    pub version: Option<String>,
    /// The hash of the commit that MongooseIM is running
    #[graphql(name = "commitHash")]
    pub commit_hash: Option<String>,
}

/// Logs events that equally or more severe than the configured level
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "LogLevel")]
pub enum LogLevel {
    /// Do not log any events
    None,
    /// Log when system is unusable
    Emergency,
    /// Log when action must be taken immediately
    Alert,
    /// Log critical conditions
    Critical,
    /// Log error conditions
    #[graphql(name = "ERROR")]
    ErrorLevel,
    /// Log warning conditions
    Warning,
    /// Log normal but significant conditions
    Notice,
    /// Long informational messages
    Info,
    /// Log debug messages
    Debug,
    /// Log everything
    All,
}

impl From<cmd::LogLevel> for LogLevel {
    fn from(l: cmd::LogLevel) -> Self {
        match l {
            cmd::LogLevel::None => LogLevel::None,
            cmd::LogLevel::Emergency => LogLevel::Emergency,
            cmd::LogLevel::Alert => LogLevel::Alert,
            cmd::LogLevel::Critical => LogLevel::Critical,
            cmd::LogLevel::Error => LogLevel::ErrorLevel,
            cmd::LogLevel::Warning => LogLevel::Warning,
            cmd::LogLevel::Notice => LogLevel::Notice,
            cmd::LogLevel::Info => LogLevel::Info,
            cmd::LogLevel::Debug => LogLevel::Debug,
            cmd::LogLevel::All => LogLevel::All,
        }
    }
}

impl From<LogLevel> for cmd::LogLevel {
    fn from(l: LogLevel) -> Self {
        match l {
            LogLevel::None => cmd::LogLevel::None,
            LogLevel::Emergency => cmd::LogLevel::Emergency,
            LogLevel::Alert => cmd::LogLevel::Alert,
            LogLevel::Critical => cmd::LogLevel::Critical,
            LogLevel::ErrorLevel => cmd::LogLevel::Error,
            LogLevel::Warning => cmd::LogLevel::Warning,
            LogLevel::Notice => cmd::LogLevel::Notice,
            LogLevel::Info => cmd::LogLevel::Info,
            LogLevel::Debug => cmd::LogLevel::Debug,
            LogLevel::All => cmd::LogLevel::All,
        }
    }
}

/// Key/value pair describing a module option.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "ModuleOption")]
pub struct ModuleOption {
    /// Option key (atom or string)
    pub key: String,
    /// Configured value rendered as string when available
    pub value: Option<String>,
}

/// Information about a loaded module for a given host type.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "ModuleInfo")]
pub struct ModuleInfo {
    /// Module name (atom as string, e.g. 'mod_roster')
    pub name: String,
    /// Subset of relevant configuration options
    pub options: Vec<ModuleOption>,
}

/// Information about a loaded service.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "ServiceInfo")]
pub struct ServiceInfo {
    /// Service name (atom as string, e.g. 'service_domain_db')
    pub name: String,
}

/// Global services and internal databases.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "GlobalInfo")]
pub struct GlobalInfo {
    /// Loaded services
    pub services: Vec<ServiceInfo>,
    /// Internal databases configured
    #[graphql(name = "internalDatabases")]
    pub internal_databases: Vec<String>,
}

/// Information about a host type.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "HostTypeInfo")]
pub struct HostTypeInfo {
    /// Host type name
    pub name: String,
    /// Loaded modules for this host type
    pub modules: Vec<ModuleInfo>,
    /// Authentication methods configured for this host type
    #[graphql(name = "authMethods")]
    pub auth_methods: Vec<String>,
}

/// Allow admin to acquire data about the node
pub struct ServerAdminQuery;

#[graphql_object(context = Ctx, name = "ServerAdminQuery")]
impl ServerAdminQuery {
    /// Get the status of the server
    fn status(ctx: &Ctx) -> FieldResult<Option<Status>> {
        ctx.guard("ServerAdminQuery.status", &[])?;
        let s = cmd::status();
        Ok(Some(Status {
            status_code: Some(if s.running {
                StatusCode::Running
            } else {
                StatusCode::NotRunning
            }),
            message: Some(s.message),
            version: Some(s.version),
            commit_hash: Some(s.commit_hash),
        }))
    }

    /// Get MongooseIM node's current LogLevel
    fn get_loglevel(ctx: &Ctx) -> FieldResult<Option<LogLevel>> {
        ctx.guard("ServerAdminQuery.getLoglevel", &[])?;
        Ok(Some(cmd::get_loglevel(&ctx.server).into()))
    }

    /// Get the Erlang cookie of this node
    fn get_cookie(ctx: &Ctx) -> FieldResult<Option<String>> {
        ctx.guard("ServerAdminQuery.getCookie", &[])?;
        Ok(Some(cmd::get_cookie()))
    }

    /// List configured host types with their modules and backends
    fn host_types(ctx: &Ctx) -> FieldResult<Vec<HostTypeInfo>> {
        ctx.guard("ServerAdminQuery.hostTypes", &[])?;
        Ok(cmd::host_types(&ctx.server)
            .into_iter()
            .map(|h| HostTypeInfo {
                name: h.name,
                modules: h
                    .modules
                    .into_iter()
                    .map(|m| ModuleInfo {
                        name: m.name,
                        options: m
                            .options
                            .into_iter()
                            .map(|o| ModuleOption {
                                key: o.key,
                                value: o.value,
                            })
                            .collect(),
                    })
                    .collect(),
                auth_methods: h.auth_methods,
            })
            .collect())
    }

    /// Global services and internal databases
    fn global_info(ctx: &Ctx) -> FieldResult<GlobalInfo> {
        ctx.guard("ServerAdminQuery.globalInfo", &[])?;
        let g = cmd::global_info(&ctx.server);
        Ok(GlobalInfo {
            services: g
                .services
                .into_iter()
                .map(|name| ServiceInfo { name })
                .collect(),
            internal_databases: g.internal_databases,
        })
    }
}

/// Allow admin to manage the node
pub struct ServerAdminMutation;

#[graphql_object(context = Ctx, name = "ServerAdminMutation")]
impl ServerAdminMutation {
    /// Join the MongooseIM node to a cluster. Call it on the joining node
    fn join_cluster(ctx: &Ctx, node: String) -> FieldResult<Option<String>> {
        ctx.guard("ServerAdminMutation.joinCluster", &[])?;
        cmd::join_cluster(&node).field().map(Some)
    }

    /// Leave a cluster. Call it on the node that is going to leave
    fn leave_cluster(ctx: &Ctx) -> FieldResult<Option<String>> {
        ctx.guard("ServerAdminMutation.leaveCluster", &[])?;
        cmd::leave_cluster().field().map(Some)
    }

    /// Remove a MongooseIM node from the cluster. Call it from the member of the cluster
    fn remove_from_cluster(ctx: &Ctx, node: String) -> FieldResult<Option<String>> {
        ctx.guard("ServerAdminMutation.removeFromCluster", &[])?;
        cmd::remove_from_cluster(&node).field().map(Some)
    }

    /// Restart MongooseIM node
    fn restart(ctx: &Ctx) -> FieldResult<Option<String>> {
        ctx.guard("ServerAdminMutation.restart", &[])?;
        cmd::restart().field().map(Some)
    }

    /// Stop MongooseIM node
    fn stop(ctx: &Ctx) -> FieldResult<Option<String>> {
        ctx.guard("ServerAdminMutation.stop", &[])?;
        cmd::stop(&ctx.server).field().map(Some)
    }

    /// Remove a MongooseIM node from Mnesia clustering config
    fn remove_node(ctx: &Ctx, node: String) -> FieldResult<Option<String>> {
        ctx.guard("ServerAdminMutation.removeNode", &[])?;
        cmd::remove_node(&node).field().map(Some)
    }

    /// Set MongooseIM node's LogLevel
    fn set_loglevel(ctx: &Ctx, level: LogLevel) -> FieldResult<Option<String>> {
        ctx.guard("ServerAdminMutation.setLoglevel", &[])?;
        cmd::set_loglevel(&ctx.server, level.into())
            .field()
            .map(Some)
    }
}
