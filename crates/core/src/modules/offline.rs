//! mod_offline: messages for a user with no available resource are stored durably and
//! delivered, oldest first, with a XEP-0203 delay stamp at the next available presence.
//!
//! Only what can be given back is stored: a message over [`MAX_MESSAGE_BYTES`], or one
//! that would take the user over [`MAX_USER_BYTES`], bounces with `resource-constraint`
//! (meerkat's limits; MongooseIM's `max_user_offline_messages` caps the count). A stored
//! message that cannot be parsed at delivery is kept in storage and logged, never deleted.

use crate::Server;
use crate::config::{Diagnostics, Section};
use crate::module::{Hook, IqScope, Module, ModuleContext, ModuleSpec, PersonalData, Registrar};
use crate::router::BoxFuture;
use crate::store::{OfflineMessage, StoreError};
use crate::util::{now_us, timestamp_us};
use meerkat_xmpp::FullJid;
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{BareJid, Element, ParseLimits, ns};

/// Cap on messages held per user when the `max_user_offline_messages` rule gives no
/// number (the value of MongooseIM's shipped rule; MongooseIM itself has no cap then).
pub const DEFAULT_MAX_MESSAGES: u64 = 100;

/// The largest message stored offline, in bytes of XML (a meerkat limit; MongooseIM has
/// none): a bigger one bounces with `resource-constraint`. Every stored message can be
/// parsed back within [`read_limits`].
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// The most bytes of XML held offline per user (a meerkat limit; MongooseIM has none): a
/// message that would go beyond bounces with `resource-constraint`.
pub const MAX_USER_BYTES: u64 = 4 * 1024 * 1024;

/// The parser limits stored messages are read back with.
fn read_limits() -> ParseLimits {
    let default = ParseLimits::default();
    ParseLimits {
        max_bytes: default.max_bytes.max(MAX_MESSAGE_BYTES),
        ..default
    }
}

/// XEP-0085 chat state notifications.
const CHATSTATES: &str = "http://jabber.org/protocol/chatstates";

/// Whether a message is worth keeping for later: a bare chat state notification
/// (`<composing/>`, `<gone/>`...) with nothing else is not (as in MongooseIM's mod_offline);
/// it would only crowd real messages out of the user's bounded queue.
pub fn is_storable(el: &Element) -> bool {
    let mut children = el.children().peekable();
    if children.peek().is_none() {
        return true;
    }
    !children.all(|c| c.ns() == CHATSTATES)
}

/// Stores a message for `user`; bounces it when the user's queue is full (in messages, or
/// in bytes: [`MAX_USER_BYTES`]), when it is too big to keep ([`MAX_MESSAGE_BYTES`]) or
/// could not be read back, or when storage fails. Messages not worth storing
/// ([`is_storable`]) are dropped silently.
pub async fn store(server: &Server, user: &BareJid, el: Element) {
    if !is_storable(&el) {
        return;
    }
    let owner = user.as_str();
    // The `max_user_offline_messages` access rule (or the one mod_offline names).
    let max = server.max_offline_messages(user).unwrap_or(u64::MAX);
    match server.store().offline_count(owner).await {
        Ok(n) if n >= max => {
            tracing::info!(user = %user, max, "offline queue full; message bounced");
            return server.bounce(&el, cond::RESOURCE_CONSTRAINT).await;
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, "offline count failed");
            return server.bounce(&el, cond::INTERNAL_SERVER_ERROR).await;
        }
    }
    let packet = el.to_xml();
    if packet.len() > MAX_MESSAGE_BYTES {
        tracing::info!(user = %user, size = packet.len(), max = MAX_MESSAGE_BYTES, "message too big to store offline; bounced");
        return server.bounce(&el, cond::RESOURCE_CONSTRAINT).await;
    }
    // What is stored must come back: refuse now what could not be parsed later.
    if let Err(e) = Element::parse_str(&packet, &read_limits()) {
        tracing::info!(user = %user, error = %e, "message not storable offline; bounced");
        return server.bounce(&el, cond::RESOURCE_CONSTRAINT).await;
    }
    match server.store().offline_bytes(owner).await {
        Ok(held) if held.saturating_add(packet.len() as u64) > MAX_USER_BYTES => {
            tracing::info!(user = %user, held, max = MAX_USER_BYTES, "offline storage of the user full; message bounced");
            return server.bounce(&el, cond::RESOURCE_CONSTRAINT).await;
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, "offline size failed");
            return server.bounce(&el, cond::INTERNAL_SERVER_ERROR).await;
        }
    }
    let msg = OfflineMessage {
        id: 0,
        from: el.attr("from").unwrap_or("").to_owned(),
        to: el.attr("to").unwrap_or("").to_owned(),
        packet,
        timestamp_us: now_us(),
        expire_us: None,
    };
    if let Err(e) = server.store().offline_push(owner, &msg).await {
        tracing::error!(error = %e, "offline store failed");
        server.bounce(&el, cond::INTERNAL_SERVER_ERROR).await;
    }
}

/// Takes `user`'s stored messages, oldest first, each with a delay stamp (unless it has
/// one from this server already: it was stored before), and removes them from storage.
/// The caller delivers them to the session that became available. A stored message that
/// cannot be parsed is never deleted: it stays in storage and is logged as an error.
pub async fn take(server: &Server, user: &BareJid) -> Vec<Element> {
    let owner = user.as_str();
    let msgs = match server.store().offline_peek(owner).await {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "offline peek failed");
            return Vec::new();
        }
    };
    let now = now_us();
    let Some(last_id) = msgs.last().map(|m| m.id) else {
        return Vec::new();
    };
    let limits = read_limits();
    let mut out = Vec::with_capacity(msgs.len());
    let mut taken = Vec::with_capacity(msgs.len());
    let mut kept = 0usize;
    for m in msgs {
        if m.expire_us.is_some_and(|e| e < now) {
            taken.push(m.id);
            continue;
        }
        match Element::parse_str(&m.packet, &limits) {
            Ok(mut el) => {
                let domain = user.domain().as_str();
                let stamped = el
                    .children()
                    .any(|c| c.is("delay", ns::DELAY) && c.attr("from") == Some(domain));
                if !stamped {
                    el.append_child(
                        Element::new("delay", ns::DELAY)
                            .with_attr("from", domain)
                            .with_attr("stamp", timestamp_us(m.timestamp_us)),
                    );
                }
                out.push(el);
                taken.push(m.id);
            }
            Err(e) => {
                kept += 1;
                tracing::error!(error = %e, user = %user, id = m.id, "stored offline message unreadable; kept in storage");
            }
        }
    }
    let removed = if kept == 0 {
        server.store().offline_remove(owner, last_id).await
    } else {
        server.store().offline_remove_ids(owner, &taken).await
    };
    if let Err(e) = removed {
        tracing::error!(error = %e, "offline remove failed");
    }
    out
}

/// The loaded mod_offline.
#[derive(Debug)]
pub struct Offline {
    /// `access_max_user_messages`: the access rule giving the most messages held per
    /// user (`None`: MongooseIM's default, `max_user_offline_messages`).
    pub access_rule: Option<String>,
}

impl ModuleSpec for Offline {
    const NAME: &'static str = "mod_offline";
    const IGNORED_OPTIONS: &'static [&'static str] = &["store_groupchat_messages", "backend"];
    const STORED: bool = true;
    type Config = Option<String>;
    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Self::Config {
        s.opt("access_max_user_messages", diag)
    }
    fn build(config: &Self::Config, _cx: &ModuleContext) -> Self {
        Offline {
            access_rule: config.clone(),
        }
    }
}

impl Module for Offline {
    fn register(&self, r: &mut Registrar) {
        r.disco_feature(IqScope::Server, "msgoffline");
        r.hook(Hook::Offline, 50);
        r.hook(Hook::UserAvailable, 50);
        r.hook(Hook::PersonalData, 40);
    }

    fn offline<'a>(
        &'a self,
        server: &'a Server,
        user: &'a BareJid,
        el: Element,
    ) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            store(server, user, el).await;
            None
        })
    }

    fn user_available<'a>(
        &'a self,
        server: &'a Server,
        jid: &'a FullJid,
    ) -> BoxFuture<'a, Vec<Element>> {
        Box::pin(async move { take(server, &jid.to_bare()).await })
    }

    fn personal_data<'a>(
        &'a self,
        server: &'a Server,
        user: &'a BareJid,
    ) -> BoxFuture<'a, Result<Vec<PersonalData>, StoreError>> {
        Box::pin(async move {
            let now = now_us();
            let rows = server
                .store()
                .offline_peek(user.as_str())
                .await?
                .into_iter()
                .filter(|m| m.expire_us.is_none_or(|e| e >= now))
                .map(|m| {
                    let to = meerkat_xmpp::Jid::new(&m.to)
                        .map(|j| j.to_bare().to_string())
                        .unwrap_or(m.to);
                    vec![
                        crate::util::timestamp_secs(m.timestamp_us.div_euclid(1_000_000)),
                        m.from,
                        to,
                        m.packet,
                    ]
                })
                .collect();
            Ok(vec![PersonalData {
                name: "offline",
                columns: &["timestamp", "from", "to", "packet"],
                rows,
            }])
        })
    }
}
