//! The node itself (MongooseIM's `server` category, `mongoose_server_api`): status, log
//! level, host types and global info, stop; the cluster operations, which a single-node
//! server can only refuse.
//!
//! The core owns neither logging nor the process, so two things are handed to it by the
//! binary at start-up ([`Server::set_log_control`], [`Server::set_stop_control`]): a way
//! to read and change the log level, and a way to request a graceful stop. A server
//! embedded without them (tests, tools) reports its configured level and refuses to
//! change it or to stop.

use super::{CommandError, CommandResult};
use crate::Server;
use crate::config::LogLevel as ConfigLogLevel;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// MongooseIM's log levels (the GraphQL `LogLevel` enum), from least to most verbose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Do not log any events.
    None,
    /// System is unusable.
    Emergency,
    /// Action must be taken immediately.
    Alert,
    /// Critical conditions.
    Critical,
    /// Error conditions.
    Error,
    /// Warning conditions.
    Warning,
    /// Normal but significant conditions.
    Notice,
    /// Informational messages.
    Info,
    /// Debug messages.
    Debug,
    /// Everything.
    All,
}

impl LogLevel {
    /// Every level, least verbose first.
    pub const ALL_LEVELS: [LogLevel; 10] = [
        LogLevel::None,
        LogLevel::Emergency,
        LogLevel::Alert,
        LogLevel::Critical,
        LogLevel::Error,
        LogLevel::Warning,
        LogLevel::Notice,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::All,
    ];

    /// MongooseIM's name (`none` ... `all`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::None => "none",
            LogLevel::Emergency => "emergency",
            LogLevel::Alert => "alert",
            LogLevel::Critical => "critical",
            LogLevel::Error => "error",
            LogLevel::Warning => "warning",
            LogLevel::Notice => "notice",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::All => "all",
        }
    }

    /// Parses MongooseIM's name.
    pub fn parse(s: &str) -> Option<LogLevel> {
        LogLevel::ALL_LEVELS
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
    }

    /// The tracing level this maps onto (`None` = logging off). tracing has five levels:
    /// emergency, alert, critical and error are all `error`; notice is `info`; all is
    /// `trace`.
    pub fn tracing_level(self) -> Option<tracing::Level> {
        Some(match self {
            LogLevel::None => return None,
            LogLevel::Emergency | LogLevel::Alert | LogLevel::Critical | LogLevel::Error => {
                tracing::Level::ERROR
            }
            LogLevel::Warning => tracing::Level::WARN,
            LogLevel::Notice | LogLevel::Info => tracing::Level::INFO,
            LogLevel::Debug => tracing::Level::DEBUG,
            LogLevel::All => tracing::Level::TRACE,
        })
    }

    /// The tracing filter directive for this level (`off`, `error`, ... `trace`).
    pub fn filter(self) -> &'static str {
        match self.tracing_level() {
            None => "off",
            Some(tracing::Level::ERROR) => "error",
            Some(tracing::Level::WARN) => "warn",
            Some(tracing::Level::INFO) => "info",
            Some(tracing::Level::DEBUG) => "debug",
            Some(_) => "trace",
        }
    }

    /// The MongooseIM level closest to the most verbose level a tracing filter enables.
    pub fn from_tracing(max: Option<tracing::Level>) -> LogLevel {
        match max {
            None => LogLevel::None,
            Some(tracing::Level::ERROR) => LogLevel::Error,
            Some(tracing::Level::WARN) => LogLevel::Warning,
            Some(tracing::Level::INFO) => LogLevel::Info,
            Some(tracing::Level::DEBUG) => LogLevel::Debug,
            Some(_) => LogLevel::All,
        }
    }
}

impl From<ConfigLogLevel> for LogLevel {
    fn from(l: ConfigLogLevel) -> Self {
        match l {
            ConfigLogLevel::None => LogLevel::None,
            ConfigLogLevel::Error => LogLevel::Error,
            ConfigLogLevel::Warning => LogLevel::Warning,
            ConfigLogLevel::Info => LogLevel::Info,
            ConfigLogLevel::Debug => LogLevel::Debug,
            ConfigLogLevel::All => LogLevel::All,
        }
    }
}

impl std::fmt::Display for LogLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads and changes the level of the process's logger (implemented by the binary, which
/// owns the tracing subscriber).
pub trait LogControl: Send + Sync {
    /// The level in effect.
    fn level(&self) -> LogLevel;
    /// Changes the level at run time.
    fn set_level(&self, level: LogLevel) -> Result<(), String>;
}

/// Requests a graceful stop of the process (implemented by the binary, which owns the
/// listeners and the store). Must return at once; the stop happens afterwards.
pub trait StopControl: Send + Sync {
    /// Starts stopping gracefully.
    fn request_stop(&self);
}

/// The controls handed over by the binary.
#[derive(Default)]
pub(crate) struct Controls {
    log: OnceLock<Arc<dyn LogControl>>,
    stop: OnceLock<Arc<dyn StopControl>>,
}

impl Server {
    /// Hands the core the log control (once; later calls are ignored and return false).
    pub fn set_log_control(&self, control: Arc<dyn LogControl>) -> bool {
        self.command_state().server.log.set(control).is_ok()
    }

    /// Hands the core the stop control (once; later calls are ignored and return false).
    pub fn set_stop_control(&self, control: Arc<dyn StopControl>) -> bool {
        self.command_state().server.stop.set(control).is_ok()
    }
}

/// The name of this node, as MongooseIM names Erlang nodes (`meerkat@<hostname>`; the
/// same name sessions report, [`super::session::node_name`]). Where MongooseIM reports a
/// node (status, cluster metrics), meerkat reports this one.
pub fn node_name() -> &'static str {
    super::session::node_name()
}

/// meerkat's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit meerkat was built from, when the build set `MEERKAT_COMMIT_HASH`
/// (otherwise empty, as MongooseIM reports for a build without git metadata).
pub const COMMIT_HASH: &str = match option_env!("MEERKAT_COMMIT_HASH") {
    Some(h) => h,
    None => "",
};

/// `server.status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Always true for a server that answers.
    pub running: bool,
    /// MongooseIM's sentence about the node.
    pub message: String,
    /// meerkat's version.
    pub version: String,
    /// The build's commit, or empty.
    pub commit_hash: String,
}

/// The status of this node.
pub fn status() -> Status {
    let node = node_name();
    Status {
        running: true,
        message: format!(
            "The node {node} is started. Status: started. meerkat {VERSION} is running in that node."
        ),
        version: VERSION.to_owned(),
        commit_hash: COMMIT_HASH.to_owned(),
    }
}

/// The log level in effect (the configured one when the binary installed no control).
pub fn get_loglevel(server: &Server) -> LogLevel {
    match server.command_state().server.log.get() {
        Some(c) => c.level(),
        None => server.config().general.loglevel.into(),
    }
}

/// Changes the log level at run time.
pub fn set_loglevel(server: &Server, level: LogLevel) -> CommandResult<String> {
    let Some(control) = server.command_state().server.log.get() else {
        return Err(CommandError::denied(
            "invalid_level",
            "The log level cannot be changed: this process did not install a log control",
        )
        .with("level", level.as_str()));
    };
    control.set_level(level).map_err(|e| {
        CommandError::bad_request(
            "invalid_level",
            format!("Log level {level} cannot be set: {e}"),
        )
        .with("level", level.as_str())
    })?;
    tracing::info!(level = level.as_str(), "log level changed");
    Ok("Log level successfully set.".to_owned())
}

/// The Erlang cookie. meerkat is not an Erlang node: like a MongooseIM node that is not
/// distributed (`erlang:get_cookie()` on a node that is not alive), it has none.
pub fn get_cookie() -> String {
    "nocookie".to_owned()
}

/// How long a requested stop waits, so that the answer to the request still leaves
/// (MongooseIM waits 500 ms too).
pub const STOP_DELAY: Duration = Duration::from_millis(500);

/// Schedules a graceful stop (listeners finish open requests, then the store closes).
pub fn stop(server: &Server) -> CommandResult<String> {
    let Some(control) = server.command_state().server.stop.get().cloned() else {
        return Err(CommandError::denied(
            "not_supported",
            "This process cannot be stopped through the API: it did not install a stop control",
        ));
    };
    tracing::warn!("stop requested through the admin API");
    tokio::spawn(async move {
        tokio::time::sleep(STOP_DELAY).await;
        control.request_stop();
    });
    Ok("Stop scheduled".to_owned())
}

/// Restarting is not offered: a restart would re-execute the binary, which a supervisor
/// (systemd, a container runtime) does better. Refused with `not_supported`.
pub fn restart() -> CommandResult<String> {
    Err(CommandError::denied(
        "not_supported",
        "meerkat cannot restart itself; stop it and let its supervisor start it again",
    ))
}

fn single_node(node: Option<&str>) -> String {
    match node {
        Some(n) => format!(
            "The node {n} is not in the cluster: meerkat runs as a single node ({})",
            node_name()
        ),
        None => format!(
            "The node {} is not in the cluster: meerkat runs as a single node",
            node_name()
        ),
    }
}

/// Joining a cluster is impossible for a single-node server: MongooseIM's generic
/// `error` of `join_cluster`.
pub fn join_cluster(node: &str) -> CommandResult<String> {
    Err(CommandError::denied(
        "error",
        format!("Failed to join the cluster. Reason: meerkat runs as a single node and cannot join {node}"),
    )
    .with("node", node))
}

/// MongooseIM's answer for a node that is alone: `not_in_cluster`.
pub fn leave_cluster() -> CommandResult<String> {
    Err(CommandError::not_found("not_in_cluster", single_node(None)))
}

/// No other node can be a member: `not_in_cluster`.
pub fn remove_from_cluster(node: &str) -> CommandResult<String> {
    Err(CommandError::not_found("not_in_cluster", single_node(Some(node))).with("node", node))
}

/// There is no Mnesia schema to remove a node from: `not_in_cluster`.
pub fn remove_node(node: &str) -> CommandResult<String> {
    Err(CommandError::not_found("not_in_cluster", single_node(Some(node))).with("node", node))
}

/// A configured module, with the options MongooseIM reports for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    /// e.g. `mod_roster`.
    pub name: String,
    /// Its options, sorted by key.
    pub options: Vec<ModuleOption>,
}

/// One option of a configured module as MongooseIM reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleOption {
    /// e.g. `backend`.
    pub key: String,
    /// Its value, when it has one.
    pub value: Option<String>,
}

/// A host type with its modules and authentication methods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostTypeInfo {
    /// The host type: each static host is its own; dynamic domains have the
    /// `general.host_types`.
    pub name: String,
    /// Enabled modules, sorted by name.
    pub modules: Vec<ModuleInfo>,
    /// Authentication methods.
    pub auth_methods: Vec<String>,
}

/// Every host type (static hosts, then `general.host_types`). Modules are configured
/// for all of them alike (meerkat has no `host_config`). MongooseIM reports, per module, the options whose key ends in
/// `backend`; meerkat reports the backend it really uses. Accounts live in the SQL store
/// (`rdbms`); `anonymous` is added when `[auth.anonymous]` is configured.
pub fn host_types(server: &Server) -> Vec<HostTypeInfo> {
    let config = server.config();
    // Modules that keep state in the store: MongooseIM reports their `backend`, which in
    // meerkat is always the SQL store (`rdbms`), whatever the config says.
    let mut modules: Vec<ModuleInfo> = server
        .modules()
        .descriptors()
        .map(|d| ModuleInfo {
            name: d.name.to_owned(),
            options: if d.stored {
                vec![ModuleOption {
                    key: "backend".to_owned(),
                    value: Some("rdbms".to_owned()),
                }]
            } else {
                Vec::new()
            },
        })
        .collect();
    modules.sort_by(|a, b| a.name.cmp(&b.name));
    let mut auth_methods = vec!["rdbms".to_owned()];
    if config.auth.anonymous.is_some() {
        auth_methods.push("anonymous".to_owned());
    }
    config
        .all_host_types()
        .iter()
        .map(|h| HostTypeInfo {
            name: h.clone(),
            modules: modules.clone(),
            auth_methods: auth_methods.clone(),
        })
        .collect()
}

/// Global services and internal databases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalInfo {
    /// Running services, sorted.
    pub services: Vec<String>,
    /// Internal databases (meerkat has neither Mnesia nor CETS).
    pub internal_databases: Vec<String>,
}

/// The services meerkat runs: `service_bosh` when BOSH is configured.
pub fn global_info(server: &Server) -> GlobalInfo {
    let mut services = Vec::new();
    if server.config().bosh.is_some() {
        services.push("service_bosh".to_owned());
    }
    services.sort();
    GlobalInfo {
        services,
        internal_databases: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_map_onto_tracing() {
        assert_eq!(LogLevel::parse("CRITICAL"), Some(LogLevel::Critical));
        assert_eq!(LogLevel::parse("loud"), None);
        assert_eq!(LogLevel::None.filter(), "off");
        assert_eq!(LogLevel::Emergency.filter(), "error");
        assert_eq!(LogLevel::Notice.filter(), "info");
        assert_eq!(LogLevel::All.filter(), "trace");
        for l in LogLevel::ALL_LEVELS {
            assert_eq!(LogLevel::parse(l.as_str()), Some(l));
            // Round trip through tracing keeps the verbosity.
            let back = LogLevel::from_tracing(l.tracing_level());
            assert_eq!(back.tracing_level(), l.tracing_level(), "{l}");
        }
        assert_eq!(LogLevel::from(ConfigLogLevel::Warning), LogLevel::Warning);
    }

    #[test]
    fn cluster_operations_are_refused_with_mongooseim_codes() {
        assert_eq!(join_cluster("x@y").unwrap_err().code, "error");
        assert_eq!(leave_cluster().unwrap_err().code, "not_in_cluster");
        assert_eq!(
            remove_from_cluster("x@y").unwrap_err().code,
            "not_in_cluster"
        );
        assert_eq!(remove_node("x@y").unwrap_err().code, "not_in_cluster");
        assert_eq!(restart().unwrap_err().code, "not_supported");
        assert!(node_name().starts_with("meerkat@"));
        assert_eq!(get_cookie(), "nocookie");
    }
}
