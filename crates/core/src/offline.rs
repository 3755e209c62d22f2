//! mod_offline: messages for a user with no available resource are stored durably and
//! delivered, oldest first, with a XEP-0203 delay stamp at the next available presence.

use crate::Server;
use crate::store::OfflineMessage;
use crate::util::{now_us, timestamp_us};
use xmpp::stanza::cond;
use xmpp::{BareJid, Element, ParseLimits, ns};

/// Cap on messages held per user when the `max_user_offline_messages` rule gives no
/// number (the value of MongooseIM's shipped rule; MongooseIM itself has no cap then).
pub const DEFAULT_MAX_MESSAGES: u64 = 100;

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

/// Stores a message for `user`; bounces it when the user's queue is full or storage fails.
/// Messages not worth storing ([`is_storable`]) are dropped silently.
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
    let msg = OfflineMessage {
        id: 0,
        from: el.attr("from").unwrap_or("").to_owned(),
        to: el.attr("to").unwrap_or("").to_owned(),
        packet: el.to_xml(),
        timestamp_us: now_us(),
        expire_us: None,
    };
    if let Err(e) = server.store().offline_push(owner, &msg).await {
        tracing::error!(error = %e, "offline store failed");
        server.bounce(&el, cond::INTERNAL_SERVER_ERROR).await;
    }
}

/// Takes `user`'s stored messages, oldest first, each with a delay stamp, and removes them
/// from storage. The caller delivers them to the session that became available.
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
    let mut out = Vec::with_capacity(msgs.len());
    for m in msgs {
        if m.expire_us.is_some_and(|e| e < now) {
            continue;
        }
        match Element::parse_str(&m.packet, &ParseLimits::default()) {
            Ok(mut el) => {
                el.append_child(
                    Element::new("delay", ns::DELAY)
                        .with_attr("from", user.domain().as_str())
                        .with_attr("stamp", timestamp_us(m.timestamp_us)),
                );
                out.push(el);
            }
            Err(e) => {
                tracing::error!(error = %e, id = m.id, "stored offline message unreadable; dropped")
            }
        }
    }
    if let Err(e) = server.store().offline_remove(owner, last_id).await {
        tracing::error!(error = %e, "offline remove failed");
    }
    out
}
