//! The command layer: every operation the admin and user APIs offer, as plain async
//! functions with their rules and errors, written once. GraphQL and REST (and `meerkat
//! ctl`) are thin faces over these. Errors carry MongooseIM's error codes
//! (`user_does_not_exist`, `domain_not_found`, ...) so both APIs can report them as
//! MongooseIM does.

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

/// A refused or failed command: a machine-readable code, a message, and context values
/// (e.g. `jid`) that the APIs put in their error details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    /// MongooseIM's error code, e.g. `user_does_not_exist`.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Extra context, in order.
    pub context: Vec<(&'static str, String)>,
}

impl CommandError {
    /// An error with no context.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            code,
            message: message.into(),
            context: Vec::new(),
        }
    }
    /// Adds a context value.
    pub fn with(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.context.push((key, value.into()));
        self
    }
    /// A storage or other internal failure; details go to the log, not to the client.
    pub fn internal(what: &str, err: impl fmt::Display) -> Self {
        tracing::error!(error = %err, operation = what, "command failed");
        CommandError::new(
            "internal_server_error",
            format!("{what} failed because of an internal error"),
        )
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

/// Checks that `domain` is served here (`domain_not_found` otherwise), returning it
/// normalised.
pub fn local_domain(server: &crate::Server, domain: &str) -> CommandResult<String> {
    served_domain(server, domain).ok_or_else(|| {
        CommandError::new("domain_not_found", "Domain does not exist").with("domain", domain)
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
        .map_err(|_| CommandError::new("invalid_jid", "Invalid JID").with("jid", jid))?;
    if parsed.node().is_none() {
        return Err(CommandError::new("invalid_jid", "Invalid JID").with("jid", jid));
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
            CommandError::new("user_does_not_exist", format!("User {user} does not exist"))
                .with("jid", user.as_str()),
        )
    }
}
