//! The server under test, as every scenario sees it: where its WebSocket, BOSH and HTTP
//! endpoints are, its XMPP domain, the pid to read memory and CPU time from, and which
//! accounts exist. The scenarios use nothing else, so another XMPP server (ejabberd,
//! Prosody) becomes testable by writing a [`Launcher`] for it.
//!
//! Accounts are always `user1..userN` with password `pass1..passN`
//! ([`Users::credentials`]), created before the server starts or through its own tools.

use crate::progress::Progress;
use futures_util::future::BoxFuture;
use std::net::SocketAddr;

/// An HTTP endpoint on loopback (plain HTTP, no TLS): address and path.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub path: String,
}

/// What a good answer to an [`HttpProbe`] looks like.
#[derive(Clone, Debug)]
pub enum Expect {
    /// Status 200 and exactly this body.
    Text(String),
    /// Status 200, a JSON body without `errors`, and this value at the JSON pointer.
    Json {
        pointer: String,
        equals: serde_json::Value,
    },
    /// Status 200, a JSON body without `errors`, and at the JSON pointer the number of
    /// sessions the scenario has logged in.
    JsonSessionCount { pointer: String },
    /// Status 200 and a JSON array of exactly this many items (REST lists).
    JsonArrayLen(usize),
}

/// One request the `http` scenario sends over and over. `key` names the table row, so
/// the same row can be filled by different requests on different servers (e.g. meerkat's
/// GraphQL `countSessions` and ejabberd's `mod_http_api` `connected_users_number`).
#[derive(Clone, Debug)]
pub struct HttpProbe {
    pub key: &'static str,
    /// Human-readable description for the report.
    pub label: String,
    pub endpoint: Endpoint,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Extra request headers (e.g. `authorization`, `content-type`).
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub expect: Expect,
}

/// The accounts that exist on the server.
#[derive(Clone, Debug)]
pub struct Users {
    /// `user1..user<count>`.
    pub count: usize,
    /// How they were created (for the report).
    pub created_by: String,
}

impl Users {
    /// User `i` (1-based): `user<i>` with password `pass<i>`.
    pub fn credentials(i: usize) -> (String, String) {
        (format!("user{i}"), format!("pass{i}"))
    }
}

/// A running server under test.
#[derive(Clone, Debug)]
pub struct Target {
    /// Short name: the table column ("meerkat", "ejabberd", "prosody").
    pub name: String,
    /// Version and build, for the report.
    pub version: String,
    /// XMPP domain of the accounts.
    pub domain: String,
    /// The process whose RSS and CPU time are measured.
    pub pid: u32,
    /// XMPP over WebSocket (RFC 7395), if served.
    pub ws: Option<Endpoint>,
    /// BOSH (XEP-0124/0206), if served.
    pub bosh: Option<Endpoint>,
    /// Requests for the `http` scenario (empty: the scenario does not apply).
    pub http: Vec<HttpProbe>,
    pub users: Users,
    /// SCRAM iteration count of the stored credentials.
    pub scram_iterations: u32,
    /// One line on the server's configuration, for the report.
    pub config_summary: String,
}

impl Target {
    /// Version, configuration and how the accounts were made, for the report.
    pub fn describe(&self) -> String {
        format!(
            "{}; {}; accounts user<i>/pass<i> created {}",
            self.version, self.config_summary, self.users.created_by
        )
    }

    pub fn ws(&self) -> anyhow::Result<&Endpoint> {
        self.ws
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("{} serves no WebSocket endpoint", self.name))
    }

    pub fn bosh(&self) -> anyhow::Result<&Endpoint> {
        self.bosh
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("{} serves no BOSH endpoint", self.name))
    }
}

/// What a scenario asks of the server it needs.
#[derive(Clone, Debug)]
pub struct StartSpec {
    /// Accounts to create: `user1..user<users>`.
    pub users: usize,
    /// CPU to pin the server to (None: no pinning).
    pub server_cpu: Option<usize>,
    /// Keep the server's work directory (config, data, log) afterwards.
    pub keep: bool,
}

/// A server the load generator started; stopped by [`RunningServer::stop`] (and killed
/// on drop).
pub trait RunningServer: Send {
    fn target(&self) -> &Target;
    /// An error if the server has died.
    fn check(&mut self) -> anyhow::Result<()>;
    /// Keep the work directory (config, data, log) after stopping, e.g. after a failure.
    fn keep(&mut self);
    fn stop(self: Box<Self>) -> anyhow::Result<()>;
}

/// Creates the accounts and starts one kind of server.
pub trait Launcher: Sync {
    /// The table column: "meerkat", "ejabberd", "prosody".
    fn name(&self) -> &'static str;
    /// Whether the server has an HTTP API for the `http` scenario.
    fn has_http_api(&self) -> bool {
        true
    }
    fn start<'a>(
        &'a self,
        spec: &'a StartSpec,
        progress: &'a Progress,
    ) -> BoxFuture<'a, anyhow::Result<Box<dyn RunningServer>>>;
}
