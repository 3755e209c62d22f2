//! The command layer: every operation the admin and user APIs offer, as plain async
//! functions with their rules and errors, written once. GraphQL and REST (and `meerkat
//! ctl`) are thin faces over these. A command declares the modules it needs
//! ([`require_modules`]) and fails with a [`CommandError`]: a kind each face maps to its
//! own status once ([`ErrorKind`]), MongooseIM's error code (`user_does_not_exist`,
//! `domain_not_found`, ...) and message, so every API reports it as MongooseIM does.

pub mod account;
pub mod confined;
pub mod domain;
pub mod gdpr;
pub mod metric;
pub mod server;
pub mod session;
pub mod stanza;
pub mod stat;
pub mod token;
// roster, vcard, private, last, offline categories
pub mod last;
pub mod offline;
pub mod private;
pub mod roster;
pub mod vcard;

use std::fmt;

/// State the command layer keeps per server: the controls the binary hands over
/// ([`server::LogControl`], [`server::StopControl`]) and the samples behind the metric
/// windows.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) server: server::Controls,
    pub(crate) metric: metric::Windows,
}

/// What kind of refusal or failure a [`CommandError`] is: each face (GraphQL, REST)
/// maps the kind to its own status once. The kinds follow MongooseIM's REST API, so an
/// error a REST route shares with a command gets MongooseIM's status for it (e.g. an
/// existing user on registration is `Denied`, 403, as MongooseIM answers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is wrong: a missing, malformed or invalid argument (REST 400).
    BadRequest,
    /// What the request names does not exist (REST 404).
    NotFound,
    /// Not allowed, to this caller or in this configuration (REST 403).
    Denied,
    /// It exists already, differently (REST 409).
    Conflict,
    /// The server failed; the details went to the log (REST 500).
    Internal,
    /// The operation needs modules that are not enabled (GraphQL `deps_not_loaded`);
    /// the missing names, in the order the command declares them.
    ModuleNotLoaded {
        /// The missing modules, e.g. `mod_roster`.
        modules: Vec<&'static str>,
    },
}

/// A refused or failed command: its kind, a machine-readable code, a message, and
/// context values (e.g. `jid`) that the APIs put in their error details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    /// What kind of error it is (the faces map it to their status).
    pub kind: ErrorKind,
    /// MongooseIM's error code, e.g. `user_does_not_exist`.
    pub code: &'static str,
    /// Human-readable message (MongooseIM's wording: the REST API sends it as is).
    pub message: String,
    /// Extra context, in order.
    pub context: Vec<(&'static str, String)>,
}

impl CommandError {
    /// An error with no context.
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            kind,
            code,
            message: message.into(),
            context: Vec::new(),
        }
    }
    /// A wrong argument ([`ErrorKind::BadRequest`]).
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        CommandError::new(ErrorKind::BadRequest, code, message)
    }
    /// Something named that does not exist ([`ErrorKind::NotFound`]).
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        CommandError::new(ErrorKind::NotFound, code, message)
    }
    /// A refusal ([`ErrorKind::Denied`]).
    pub fn denied(code: &'static str, message: impl Into<String>) -> Self {
        CommandError::new(ErrorKind::Denied, code, message)
    }
    /// Something that exists already ([`ErrorKind::Conflict`]).
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        CommandError::new(ErrorKind::Conflict, code, message)
    }
    /// A storage or other internal failure ([`ErrorKind::Internal`]); details go to the
    /// log, not to the client.
    pub fn internal(what: &str, err: impl fmt::Display) -> Self {
        tracing::error!(error = %err, operation = what, "command failed");
        CommandError::new(
            ErrorKind::Internal,
            "internal_server_error",
            format!("{what} failed because of an internal error"),
        )
    }
    /// Modules the operation needs are not enabled ([`ErrorKind::ModuleNotLoaded`]).
    pub fn module_not_loaded(modules: Vec<&'static str>) -> Self {
        CommandError::new(
            ErrorKind::ModuleNotLoaded { modules },
            "deps_not_loaded",
            "Some of the required modules are not loaded",
        )
    }
    /// Adds a context value.
    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.context.push((key, value.into()));
        self
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for CommandError {}

/// The result of a command.
pub type CommandResult<T> = Result<T, CommandError>;

impl From<crate::store::StoreError> for CommandError {
    fn from(e: crate::store::StoreError) -> Self {
        CommandError::internal("storage", e)
    }
}

/// `domain` normalised (trimmed, lower case) if it is served here. Each API category
/// words its own error for the other case.
pub(crate) fn served_domain(server: &crate::Server, domain: &str) -> Option<String> {
    let d = domain.trim().to_lowercase();
    server.is_served_domain(&d).then_some(d)
}

/// Every domain served here: the static hosts, then the enabled dynamic domains.
pub(crate) fn served_domains(server: &crate::Server) -> Vec<String> {
    let mut all = server.config().general.hosts.clone();
    for d in server.dynamic_domains() {
        if server.is_served_domain(&d.domain) && !all.contains(&d.domain) {
            all.push(d.domain);
        }
    }
    all
}

/// The modules an operation needs must be enabled ([`ErrorKind::ModuleNotLoaded`]
/// naming the missing ones otherwise). Commands call it first, before reading their
/// arguments, as MongooseIM checks an operation's `@use` directive before running it.
pub fn require_modules(server: &crate::Server, modules: &[&'static str]) -> CommandResult<()> {
    let missing: Vec<&'static str> = modules
        .iter()
        .copied()
        .filter(|m| !server.has_module(m))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(CommandError::module_not_loaded(missing))
    }
}

/// Checks that `domain` is served here (`domain_not_found` otherwise), returning it
/// normalised.
pub fn local_domain(server: &crate::Server, domain: &str) -> CommandResult<String> {
    served_domain(server, domain).ok_or_else(|| {
        CommandError::not_found("domain_not_found", "Domain does not exist").with("domain", domain)
    })
}

/// Whether `user` is an existing account of a domain served here.
pub(crate) async fn is_local_account(
    server: &crate::Server,
    user: &meerkat_xmpp::BareJid,
) -> CommandResult<bool> {
    if user.node().is_none() || !server.is_served_domain(user.domain().as_str()) {
        return Ok(false);
    }
    server
        .user_exists(user)
        .await
        .map_err(|e| CommandError::internal("user lookup", e))
}

/// Parses a bare JID of a local user (`invalid_jid` / `domain_not_found` otherwise).
pub fn local_user(server: &crate::Server, jid: &str) -> CommandResult<meerkat_xmpp::BareJid> {
    let parsed = meerkat_xmpp::Jid::new(jid)
        .map_err(|_| CommandError::bad_request("invalid_jid", "Invalid JID").with("jid", jid))?;
    if parsed.node().is_none() {
        return Err(CommandError::bad_request("invalid_jid", "Invalid JID").with("jid", jid));
    }
    local_domain(server, parsed.domain().as_str()).map_err(|e| e.with("jid", jid))?;
    Ok(parsed.to_bare())
}

/// Like [`local_user`], and the account must exist (`user_does_not_exist`).
pub async fn existing_user(
    server: &crate::Server,
    jid: &str,
) -> CommandResult<meerkat_xmpp::BareJid> {
    let user = local_user(server, jid)?;
    if server
        .user_exists(&user)
        .await
        .map_err(|e| CommandError::internal("user lookup", e))?
    {
        Ok(user)
    } else {
        Err(
            CommandError::not_found("user_does_not_exist", format!("User {user} does not exist"))
                .with("jid", user.as_str()),
        )
    }
}
