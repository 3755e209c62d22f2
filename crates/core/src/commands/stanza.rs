//! Stanzas (MongooseIM's `stanza` category, `mongoose_stanza_api`): send a chat or
//! headline message or any stanza on a user's behalf, and open a session that receives
//! the user's messages (the GraphQL `subscribeForMessages` subscription). Error codes
//! and messages follow `mongoose_stanza_api`.

use super::{CommandError, CommandResult};
use crate::Server;
use crate::sm::{Mailbox, Routed, SessionId, SessionInfo};
use meerkat_xmpp::{BareJid, Element, FullJid, Jid, ns};
use std::time::SystemTime;

/// Priority of a message-receiving session: above a client's default 0, as MongooseIM
/// opens it, so messages to the bare JID reach it.
const LISTENER_PRIORITY: i8 = 1;

/// Who sends, after the sender checks.
struct Sender {
    from: Jid,
    user: BareJid,
    check_user: bool,
}

/// MongooseIM's `check_sender`: a user may only send as itself (any resource); the
/// admin sends as `from`, whose account must exist.
fn check_sender(user: Option<&BareJid>, from: Option<Jid>) -> CommandResult<Sender> {
    match (user, from) {
        (Some(user), Some(from)) => {
            if from.to_bare() == *user {
                Ok(Sender {
                    from,
                    user: user.clone(),
                    check_user: false,
                })
            } else {
                Err(CommandError::bad_request(
                    "invalid_sender",
                    "Sender's JID is different from the user's JID",
                ))
            }
        }
        (None, Some(from)) => Ok(Sender {
            user: from.to_bare(),
            from,
            check_user: true,
        }),
        (Some(user), None) => Ok(Sender {
            from: Jid::from(user.clone()),
            user: user.clone(),
            check_user: false,
        }),
        (None, None) => Err(CommandError::bad_request("no_sender", "Missing sender JID")),
    }
}

/// The user's domain must be served here and, when asked, the account must exist
/// (`unknown_user` otherwise).
async fn check_user(server: &Server, user: &BareJid, check_user: bool) -> CommandResult<()> {
    if !server.is_served_domain(user.domain().as_str()) {
        return Err(CommandError::bad_request(
            "unknown_user",
            "User's domain does not exist",
        ));
    }
    if check_user {
        let exists = user.node().is_some()
            && server
                .user_exists(user)
                .await
                .map_err(|e| CommandError::internal("user lookup", e))?;
        if !exists {
            return Err(CommandError::bad_request(
                "unknown_user",
                "User does not exist",
            ));
        }
    }
    Ok(())
}

fn parse_jid(jid: &str, code: &'static str, message: &str) -> CommandResult<Jid> {
    Jid::new(jid).map_err(|_| CommandError::bad_request(code, message).with("jid", jid))
}

fn new_id() -> String {
    crate::util::random_hex(16)
}

async fn send(server: &Server, sender: Sender, to: Jid, mut el: Element) -> CommandResult<String> {
    check_user(server, &sender.user, sender.check_user).await?;
    let id = el.attr("id").unwrap_or_default().to_owned();
    // As from a session of the sender (MongooseIM runs user_send_packet for API
    // messages too): mod_mam archives the sender's copy.
    let modules = server.modules();
    if el.name() == "message"
        && modules.has_hook(crate::module::Hook::MessageOut)
        && server.is_served_domain(sender.user.domain().as_str())
    {
        for m in modules.hooked(crate::module::Hook::MessageOut) {
            m.message_out(server, &sender.from, &mut el).await;
        }
    }
    server.route(sender.from, to, el).await;
    Ok(id)
}

/// Sends a chat message from `from` (admin: required, an existing local user; user: one
/// of the user's own JIDs, the bare JID by default) to `to`. Returns the stanza id.
pub async fn send_chat_message(
    server: &Server,
    user: Option<&BareJid>,
    from: Option<&str>,
    to: &str,
    body: &str,
) -> CommandResult<String> {
    let from = from
        .map(|f| parse_jid(f, "invalid_sender", "Invalid sender JID"))
        .transpose()?;
    let to = parse_jid(to, "invalid_recipient", "Invalid recipient JID")?;
    let sender = check_sender(user, from)?;
    let el = Element::new("message", ns::CLIENT)
        .with_attr("type", "chat")
        .with_attr("from", sender.from.as_str())
        .with_attr("to", to.as_str())
        .with_attr("id", new_id())
        .with_child(Element::new("body", ns::CLIENT).with_text(body));
    send(server, sender, to, el).await
}

/// Sends a headline message (optional subject and body), as [`send_chat_message`].
pub async fn send_headline_message(
    server: &Server,
    user: Option<&BareJid>,
    from: Option<&str>,
    to: &str,
    subject: Option<&str>,
    body: Option<&str>,
) -> CommandResult<String> {
    let from = from
        .map(|f| parse_jid(f, "invalid_sender", "Invalid sender JID"))
        .transpose()?;
    let to = parse_jid(to, "invalid_recipient", "Invalid recipient JID")?;
    let sender = check_sender(user, from)?;
    let mut el = Element::new("message", ns::CLIENT)
        .with_attr("type", "headline")
        .with_attr("from", sender.from.as_str())
        .with_attr("to", to.as_str())
        .with_attr("id", new_id());
    if let Some(s) = subject {
        el.append_child(Element::new("subject", ns::CLIENT).with_text(s));
    }
    if let Some(b) = body {
        el.append_child(Element::new("body", ns::CLIENT).with_text(b));
    }
    send(server, sender, to, el).await
}

/// Routes any stanza. Sender and recipient come from its `from` and `to`; for a user
/// `from` is optional and must be one of the user's own JIDs. An `id` is added when
/// missing. A stanza without a namespace is taken as `jabber:client`.
pub async fn send_stanza(
    server: &Server,
    user: Option<&BareJid>,
    mut el: Element,
) -> CommandResult<String> {
    let from = match el.attr("from") {
        None => None,
        Some(f) => Some(
            Jid::new(f)
                .map_err(|_| CommandError::bad_request("invalid_sender", "Invalid sender JID"))?,
        ),
    };
    let to = match el.attr("to") {
        None => {
            return Err(CommandError::bad_request(
                "no_recipient",
                "Missing recipient JID",
            ));
        }
        Some(t) => Jid::new(t)
            .map_err(|_| CommandError::bad_request("invalid_recipient", "Invalid recipient JID"))?,
    };
    let sender = check_sender(user, from)?;
    if el.ns().is_empty() {
        el.set_ns_recursive("", ns::CLIENT);
    }
    if el.attr("id").is_none() {
        el.set_attr("id", new_id());
    }
    send(server, sender, to, el).await
}

/// A message received by a [`MessageSession`].
#[derive(Clone, Debug)]
pub struct ReceivedMessage {
    /// The sender's JID (`from`).
    pub sender: Option<String>,
    /// When it arrived, in microseconds since the epoch.
    pub timestamp_us: i64,
    /// Its `id` (empty when it has none).
    pub stanza_id: String,
    /// The message.
    pub stanza: Element,
}

/// A session in the session manager with no client behind it, receiving the messages
/// routed to its user like any session (to its full JID, and to the bare JID: it is
/// available with priority 1). Unregistered when dropped.
pub struct MessageSession {
    server: Server,
    jid: FullJid,
    sid: SessionId,
    mailbox: Mailbox,
}

impl std::fmt::Debug for MessageSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageSession")
            .field("jid", &self.jid)
            .field("sid", &self.sid)
            .finish_non_exhaustive()
    }
}

/// A random UUID v4 in its canonical text form.
fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    rand::fill(&mut b[..]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Opens a message-receiving session for `jid` with resource `sse-<uuid>`. With
/// `check_user` (the admin API) the account must exist.
pub async fn open_session(
    server: &Server,
    jid: &str,
    check_user_exists: bool,
) -> CommandResult<MessageSession> {
    let parsed = parse_jid(jid, "unknown_user", "User does not exist")?;
    let user = parsed.to_bare();
    check_user(server, &user, check_user_exists).await?;
    let full = user
        .with_resource_str(&format!("sse-{}", uuid_v4()))
        .map_err(|_| CommandError::bad_request("unknown_user", "User does not exist"))?;
    // No connection: the session APIs show connection, ip and port as null, as
    // MongooseIM shows its SSE sessions.
    let info = SessionInfo {
        connection: "",
        ip: None,
        port: 0,
        started: SystemTime::now(),
    };
    let reg = server
        .sm()
        .register_listener(&full, info, LISTENER_PRIORITY);
    tracing::info!(jid = %full, "message subscription session opened");
    Ok(MessageSession {
        server: server.clone(),
        jid: full,
        sid: reg.sid,
        mailbox: reg.mailbox,
    })
}

impl MessageSession {
    /// The session's full JID.
    pub fn jid(&self) -> &FullJid {
        &self.jid
    }

    /// The next message routed to the session; `None` once the session was kicked or
    /// replaced. Other stanzas (presence, IQs) are skipped.
    pub async fn next(&mut self) -> Option<ReceivedMessage> {
        loop {
            match self.mailbox.recv().await? {
                Routed::Stanza(el) if el.name() == "message" => {
                    return Some(ReceivedMessage {
                        sender: el.attr("from").map(str::to_owned),
                        timestamp_us: crate::util::now_us(),
                        stanza_id: el.attr("id").unwrap_or_default().to_owned(),
                        stanza: *el,
                    });
                }
                Routed::Stanza(el) if el.name() == "iq" => {
                    // Nobody answers IQs here: the sender gets an error rather than silence.
                    self.server
                        .bounce(&el, meerkat_xmpp::stanza::cond::SERVICE_UNAVAILABLE)
                        .await;
                }
                Routed::Kick(_) | Routed::Replaced => return None,
                _ => {}
            }
        }
    }
}

impl Drop for MessageSession {
    fn drop(&mut self) {
        self.server.sm().unregister(&self.jid, self.sid);
        // Messages queued but never streamed are routed again (offline storage...).
        let left: Vec<Element> = self
            .mailbox
            .close()
            .into_iter()
            .filter_map(|item| match item {
                Routed::Stanza(el) => Some(*el),
                _ => None,
            })
            .collect();
        if !left.is_empty()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let server = self.server.clone();
            rt.spawn(async move {
                for el in left {
                    server.reroute_undelivered(el).await;
                }
            });
        }
        tracing::info!(jid = %self.jid, "message subscription session closed");
    }
}

/// The newest `limit` (at most mod_mam's `max_result_limit`) archived messages of
/// `caller`, optionally only those with `with` and older than `before_us`, oldest first
/// (MongooseIM's `lookup_recent_messages`); with the limit used. Needs mod_mam with its
/// one-to-one archive (`mod_mam_pm` in MongooseIM's terms). `check_user`: the account
/// must exist.
pub async fn last_messages(
    server: &Server,
    caller: &BareJid,
    with: Option<&Jid>,
    limit: u32,
    before_us: Option<i64>,
    check_user: bool,
) -> CommandResult<(Vec<ReceivedMessage>, u32)> {
    use crate::modules::mam::{Mam, id};
    use crate::store::{MamFilter, PageStart};
    let Some(mam) = server.module::<Mam>().filter(|m| m.config().pm) else {
        return Err(CommandError::module_not_loaded(vec!["mod_mam_pm"]));
    };
    self::check_user(server, caller, check_user).await?;
    let limit = limit.min(mam.config().max_result_limit);
    let filter = MamFilter {
        with_bare: with.map(|w| w.to_bare().to_string()),
        with_resource: with
            .and_then(|w| w.resource())
            .map(|r| r.as_str().to_owned()),
        max_id: before_us.map(|b| id::first_at(b).saturating_sub(1)),
        ..MamFilter::default()
    };
    let page = server
        .store()
        .mam_query(caller.as_str(), &filter, PageStart::Before(None), limit)
        .await
        .map_err(|e| CommandError::internal("archive lookup", e))?;
    let mut out = Vec::with_capacity(page.messages.len());
    for m in page.messages {
        let stanza = Element::parse_str(&m.xml, &meerkat_xmpp::ParseLimits::default())
            .map_err(|e| CommandError::internal("archived message", e))?;
        out.push(ReceivedMessage {
            sender: Some(m.from),
            timestamp_us: id::micros(m.id),
            stanza_id: id::external(m.id),
            stanza,
        });
    }
    Ok((out, limit))
}
