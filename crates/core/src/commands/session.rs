//! Sessions (MongooseIM's `session` category, `mongoose_session_api`): list and count
//! sessions, resources and users by presence status, kick sessions, set a session's
//! presence. Error codes and messages follow `mongoose_session_api`.

use super::{CommandError, CommandResult};
use crate::Server;
use crate::sm::{Resource, Routed};
use meerkat_xmpp::{BareJid, Element, FullJid, Jid, ns};
use std::sync::OnceLock;
use std::time::SystemTime;

/// One session, as the admin APIs show it (MongooseIM's `Session`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionView {
    /// Full JID.
    pub user: String,
    /// Transport (`websocket`, `bosh`), `None` for sessions without a connection (SSE).
    pub connection: Option<String>,
    /// Peer address.
    pub ip: Option<String>,
    /// Peer port.
    pub port: Option<u16>,
    /// Presence priority, `None` while the session has no available presence.
    pub priority: Option<i8>,
    /// The node the session lives on ([`node_name`]).
    pub node: String,
    /// Seconds since the session was bound.
    pub uptime: u64,
}

/// A session whose presence has the asked status (MongooseIM's `UserStatus`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusUser {
    /// Full JID.
    pub user: String,
    /// Presence priority.
    pub priority: Option<i8>,
    /// The presence's `<status/>` text (empty when none).
    pub text: String,
}

/// The outcome of kicking one session (MongooseIM's `KickUserResult`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KickResult {
    /// Full JID of the session.
    pub jid: String,
    /// Whether it was kicked.
    pub kicked: bool,
    /// Error code when not kicked.
    pub code: Option<String>,
    /// Result message.
    pub message: String,
}

/// This node's name, as MongooseIM shows Erlang node names: `meerkat@<hostname>`.
pub fn node_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .find_map(|p| {
                std::fs::read_to_string(p)
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
            })
            .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "localhost".to_owned());
        format!("meerkat@{host}")
    })
}

fn view(r: &Resource) -> SessionView {
    let uptime = SystemTime::now()
        .duration_since(r.info.started)
        .map_or(0, |d| d.as_secs());
    SessionView {
        user: r.jid.to_string(),
        connection: Some(r.info.connection)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        ip: r.info.ip.map(|ip| ip.to_string()),
        port: r.info.ip.map(|_| r.info.port),
        priority: r.available.then_some(r.priority),
        node: node_name().to_owned(),
        uptime,
    }
}

fn check_domain(server: &Server, domain: &str) -> CommandResult<String> {
    super::served_domain(server, domain).ok_or_else(|| {
        CommandError::not_found("domain_not_found", "Domain not found").with("domain", domain)
    })
}

fn parse_jid(jid: &str) -> CommandResult<Jid> {
    Jid::new(jid)
        .map_err(|_| CommandError::bad_request("invalid_jid", "Invalid JID").with("jid", jid))
}

/// The account behind `jid` must exist (`user_not_found` otherwise).
async fn check_user(server: &Server, jid: &Jid) -> CommandResult<BareJid> {
    if !server.is_served_domain(jid.domain().as_str()) {
        return Err(CommandError::not_found(
            "user_not_found",
            "User's domain does not exist",
        ));
    }
    let bare = jid.to_bare();
    let exists = bare.node().is_some()
        && server
            .user_exists(&bare)
            .await
            .map_err(|e| CommandError::internal("user lookup", e))?;
    if exists {
        Ok(bare)
    } else {
        Err(CommandError::not_found(
            "user_not_found",
            "Given user does not exist",
        ))
    }
}

/// A user's sessions, ordered by resource.
fn user_resources(server: &Server, user: &BareJid) -> Vec<Resource> {
    let mut list = server.sm().resources(user);
    list.sort_by(|a, b| a.jid.as_str().cmp(b.jid.as_str()));
    list
}

/// Sessions of a domain, or of every domain.
pub fn list_sessions(server: &Server, domain: Option<&str>) -> CommandResult<Vec<SessionView>> {
    let domain = domain.map(|d| check_domain(server, d)).transpose()?;
    Ok(server
        .sm()
        .all(domain.as_deref())
        .iter()
        .map(view)
        .collect())
}

/// Number of sessions of a domain, or of every domain.
pub fn count_sessions(server: &Server, domain: Option<&str>) -> CommandResult<usize> {
    match domain {
        None => Ok(server.sm().count()),
        Some(d) => {
            let d = check_domain(server, d)?;
            Ok(server.sm().all(Some(&d)).len())
        }
    }
}

/// Sessions of one user (the resource of `jid`, if any, is ignored).
pub async fn list_user_sessions(server: &Server, jid: &str) -> CommandResult<Vec<SessionView>> {
    let parsed = parse_jid(jid)?;
    let user = check_user(server, &parsed)
        .await
        .map_err(|e| e.with("user", jid))?;
    Ok(user_resources(server, &user).iter().map(view).collect())
}

/// Resources of one user, ordered.
pub async fn list_user_resources(server: &Server, jid: &str) -> CommandResult<Vec<String>> {
    let parsed = parse_jid(jid)?;
    let user = check_user(server, &parsed)
        .await
        .map_err(|e| e.with("jid", jid))?;
    Ok(user_resources(server, &user)
        .iter()
        .map(|r| r.jid.resource().as_str().to_owned())
        .collect())
}

/// Number of resources of one user.
pub async fn count_user_resources(server: &Server, jid: &str) -> CommandResult<usize> {
    Ok(list_user_resources(server, jid).await?.len())
}

/// The resource of the user's `number`-th session (from 1, in resource order).
pub async fn get_user_resource(server: &Server, jid: &str, number: i64) -> CommandResult<String> {
    let context = |e: CommandError| e.with("user", jid).with("number", number.to_string());
    let parsed = parse_jid(jid)?;
    let user = check_user(server, &parsed).await.map_err(context)?;
    let resources = user_resources(server, &user);
    usize::try_from(number)
        .ok()
        .filter(|n| (1..=resources.len()).contains(n))
        .map(|n| resources[n - 1].jid.resource().as_str().to_owned())
        .ok_or_else(|| {
            context(CommandError::bad_request(
                "wrong_res_number",
                format!("Wrong resource number: {number}"),
            ))
        })
}

/// The status MongooseIM reports for a session: `unavailable` without presence, the
/// `<show/>` value, or `available`.
fn status_of(r: &Resource) -> (String, String) {
    match &r.presence {
        None => ("unavailable".to_owned(), String::new()),
        Some(p) => {
            let show = p
                .get_child("show", ns::CLIENT)
                .map(|s| s.text())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "available".to_owned());
            let text = p
                .get_child("status", ns::CLIENT)
                .map(|s| s.text())
                .unwrap_or_default();
            (show, text)
        }
    }
}

/// Sessions (of a domain, or all) whose presence status is `status`.
pub fn list_status_users(
    server: &Server,
    domain: Option<&str>,
    status: &str,
) -> CommandResult<Vec<StatusUser>> {
    let context = |e: CommandError| e.with("status", status);
    let domain = domain
        .map(|d| check_domain(server, d))
        .transpose()
        .map_err(context)?;
    Ok(server
        .sm()
        .all(domain.as_deref())
        .iter()
        .filter_map(|r| {
            let (show, text) = status_of(r);
            (show == status).then(|| StatusUser {
                user: r.jid.to_string(),
                priority: r.available.then_some(r.priority),
                text,
            })
        })
        .collect())
}

/// Number of sessions (of a domain, or all) whose presence status is `status`.
pub fn count_status_users(
    server: &Server,
    domain: Option<&str>,
    status: &str,
) -> CommandResult<usize> {
    Ok(list_status_users(server, domain, status)?.len())
}

/// MongooseIM's default kick reason.
fn reason_text(reason: Option<&str>) -> String {
    match reason {
        None | Some("") => "Kicked by administrator".to_owned(),
        Some(r) => r.to_owned(),
    }
}

fn kick_one(server: &Server, full: &FullJid, reason: &str) -> CommandResult<KickResult> {
    match server.sm().resource(full) {
        Some(r) if r.send(Routed::kick(reason.to_owned())) => Ok(KickResult {
            jid: full.to_string(),
            kicked: true,
            code: None,
            message: "Session kicked".to_owned(),
        }),
        _ => Err(CommandError::not_found("no_session", "No active session")),
    }
}

/// Ends one session (`jid` must be a full JID); the client gets a `policy-violation`
/// stream error with the reason.
pub async fn kick_session(
    server: &Server,
    jid: &str,
    reason: Option<&str>,
) -> CommandResult<KickResult> {
    let text = reason_text(reason);
    let context = |e: CommandError| e.with("jid", jid).with("reason", text.clone());
    let parsed = parse_jid(jid)?;
    check_user(server, &parsed).await.map_err(context)?;
    let Ok(full) = parsed.try_as_full() else {
        return Err(context(CommandError::not_found(
            "no_session",
            "No active session",
        )));
    };
    kick_one(server, full, &text).map_err(context)
}

/// Ends every session of a user; one result per session.
pub async fn kick_sessions(
    server: &Server,
    jid: &str,
    reason: Option<&str>,
) -> CommandResult<Vec<KickResult>> {
    let text = reason_text(reason);
    let parsed = parse_jid(jid)?;
    let user = check_user(server, &parsed)
        .await
        .map_err(|e| e.with("jid", jid).with("reason", text.clone()))?;
    Ok(user_resources(server, &user)
        .iter()
        .map(|r| {
            kick_one(server, &r.jid, &text).unwrap_or_else(|e| KickResult {
                jid: r.jid.to_string(),
                kicked: false,
                code: Some(e.code.to_owned()),
                message: e.message,
            })
        })
        .collect())
}

/// Makes a session send `presence` as if its client had: `type` is a presence type
/// (`available` for none), `show` is omitted when empty or `online`.
pub async fn set_presence(
    server: &Server,
    jid: &str,
    ty: &str,
    show: Option<&str>,
    status: Option<&str>,
    priority: Option<i32>,
) -> CommandResult<String> {
    let context = |e: CommandError| e.with("jid", jid);
    let parsed = parse_jid(jid)?;
    let Ok(full) = parsed.try_as_full() else {
        return Err(context(CommandError::bad_request(
            "empty_resource",
            "The resource is empty. You need to provide a full JID",
        )));
    };
    check_user(server, &parsed).await.map_err(context)?;
    let mut el = Element::new("presence", ns::CLIENT)
        .with_attr("from", full.as_str())
        .with_attr("to", full.to_bare().as_str());
    if ty != "available" {
        el.set_attr("type", ty);
    }
    if let Some(show) = show.filter(|s| !s.is_empty() && *s != "online") {
        el.append_child(Element::new("show", ns::CLIENT).with_text(show));
    }
    if let Some(p) = priority {
        el.append_child(Element::new("priority", ns::CLIENT).with_text(p.to_string()));
    }
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        el.append_child(Element::new("status", ns::CLIENT).with_text(s));
    }
    match server.sm().resource(full) {
        Some(r) if r.send(Routed::SetPresence(Box::new(el))) => {
            Ok("Presence set successfully".to_owned())
        }
        _ => Err(context(CommandError::not_found(
            "no_session",
            "No active session",
        ))),
    }
}
