//! Routing (RFC 6120 section 10, RFC 6121 section 8): to a full JID, to a bare JID's
//! best resource (messages) or all resources (presence), to offline storage, to the
//! server's own handlers, or back to the sender as a stanza error.

use crate::iq;
use crate::module::{Hook, MessageRoute};
use crate::sm::{Refused, Resource, Routed};
use crate::{Server, presence};
use meerkat_xmpp::stanza::{ErrorType, cond, error_reply};
use meerkat_xmpp::{Element, Jid, ns};
use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future (routing recurses: an error reply is routed too).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Server {
    /// Routes a stanza from `from` to `to` (both stamped on the element).
    pub fn route(&self, from: Jid, to: Jid, el: Element) -> BoxFuture<'_, ()> {
        Box::pin(route(self, from, to, el))
    }

    /// Sends the stanza error reply for `el` back to its sender (never for errors or results).
    pub fn bounce<'a>(&'a self, el: &Element, condition: &'a str) -> BoxFuture<'a, ()> {
        let reply = match el.attr("type") {
            Some("error" | "result") => None,
            _ => Some(error_reply(
                el,
                ErrorType::default_for(condition),
                condition,
                None,
            )),
        };
        let addrs = (
            el.attr("from").and_then(|f| Jid::new(f).ok()),
            el.attr("to").and_then(|t| Jid::new(t).ok()),
        );
        let is_message = el.name() == "message";
        Box::pin(async move {
            if let (Some(reply), (Some(back_to), Some(back_from))) = (reply, addrs) {
                // `sm_message_bounced_count` counts messages, as MongooseIM's does.
                // Labelled with the intended recipient's domain (served here).
                if is_message
                    && (condition == cond::RESOURCE_CONSTRAINT
                        || condition == cond::SERVICE_UNAVAILABLE)
                {
                    self.domain_metrics(back_from.domain().as_str())
                        .message_bounced
                        .inc();
                }
                self.route(back_from, back_to, reply).await;
            }
        })
    }
}

impl Server {
    /// Routes again a stanza that was queued for a session but never reached its client
    /// (the session ended first): call it after the session is unregistered. Nothing
    /// acknowledged to a sender is lost: a message to the gone full JID falls back to the
    /// user's other resources or offline storage, an IQ bounces with
    /// `service-unavailable`; presence and carbon copies (whose original went elsewhere)
    /// are dropped, as MongooseIM's c2s does at termination.
    pub fn reroute_undelivered(&self, el: Element) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if el.name() == "presence"
                || el.has_child("sent", ns::CARBONS)
                || el.has_child("received", ns::CARBONS)
            {
                return;
            }
            let from = el.attr("from").and_then(|f| Jid::new(f).ok());
            let to = el.attr("to").and_then(|t| Jid::new(t).ok());
            if let (Some(from), Some(to)) = (from, to) {
                self.route(from, to, el).await;
            }
        })
    }
}

async fn route(server: &Server, from: Jid, to: Jid, mut el: Element) {
    el.set_attr("from", from.as_str());
    el.set_attr("to", to.as_str());
    if !server.is_served_domain(to.domain().as_str()) {
        // A module's service on its own domain (`muclight.<host>`)?
        if let Some(service) = server
            .modules()
            .service_for(to.domain().as_str(), |h| server.is_served_domain(h))
        {
            return service.route_service(server, from, to, el).await;
        }
        // No s2s and no components: nothing else outside the served domains is reachable.
        server.metrics().no_route.inc();
        server.bounce(&el, cond::REMOTE_SERVER_NOT_FOUND).await;
        return;
    }
    if to.node().is_none() {
        if el.name() == "iq" {
            let reply = iq::server_iq(server, &from, &to, &el).await;
            if let Some(reply) = reply {
                server.route(to, from, reply).await;
            }
        }
        return;
    }
    match el.name() {
        "message" => route_message(server, &from, &to, el).await,
        "presence" => route_presence(server, &from, &to, el).await,
        "iq" => route_iq(server, &from, &to, el).await,
        _ => {}
    }
}

/// Delivers to one session. An overflowed mailbox refuses messages and IQs with
/// `resource-constraint`; a session that has just ended (its mailbox drained) has the
/// stanza routed again, as if it had been queued before the end.
pub(crate) async fn deliver(server: &Server, r: &Resource, el: Element) {
    match r.offer(Routed::Stanza(Box::new(el))) {
        Ok(()) => {}
        Err(Refused::Full(Routed::Stanza(el))) => {
            tracing::warn!(jid = %r.jid, stanza = %el.name(), ty = ?el.attr("type"), "session mailbox full; stanza bounced");
            if el.name() != "presence" {
                server.bounce(&el, cond::RESOURCE_CONSTRAINT).await;
            }
        }
        Err(Refused::Gone(Routed::Stanza(el))) => {
            // Normally unregistered already; if not (a session dropped without ending),
            // unregister it so that routing again cannot come back here.
            server.sm().unregister(&r.jid, r.sid);
            server.reroute_undelivered(*el).await;
        }
        Err(_) => {}
    }
}

/// Runs the [`Hook::MessageDelivered`] hooks for a message that reached the sessions
/// `sids`.
async fn message_delivered(m: &MessageRoute<'_>, sids: &[u64]) {
    for module in m.server.modules().hooked(Hook::MessageDelivered) {
        module.message_delivered(m, sids).await;
    }
}

async fn route_message(server: &Server, from: &Jid, to: &Jid, mut el: Element) {
    let ty = el.attr("type").unwrap_or("normal").to_owned();
    let bare = to.to_bare();
    let resources = server.sm().resources(&bare);
    let modules = server.modules();
    // Whether the recipient's account exists, once asked (a user with sessions does).
    let mut exists = (!resources.is_empty()).then_some(true);
    // The archive (mod_mam) takes the recipient's copy of one-to-one messages of users
    // that exist.
    if matches!(ty.as_str(), "chat" | "normal") && modules.has_hook(Hook::MessageIn) {
        let known = match exists {
            Some(e) => e,
            None => *exists.insert(server.user_exists(&bare).await.unwrap_or(false)),
        };
        if known {
            for module in modules.hooked(Hook::MessageIn) {
                module.message_in(server, from, &bare, &mut el).await;
            }
        }
    }
    // The message hooks (carbons) see the message and the recipient's sessions.
    let route = |el| MessageRoute {
        server,
        from,
        to: &bare,
        resources: &resources,
        el,
    };
    if modules.has_hook(Hook::MessageSent) {
        let m = route(&el);
        for module in modules.hooked(Hook::MessageSent) {
            module.message_sent(&m).await;
        }
    }
    let after = modules.has_hook(Hook::MessageDelivered);
    if let Ok(full) = to.try_as_full() {
        if let Some(r) = resources.iter().find(|r| r.jid == *full) {
            if after {
                deliver(server, r, el.clone()).await;
                message_delivered(&route(&el), &[r.sid]).await;
            } else {
                deliver(server, r, el).await;
            }
            return;
        }
        match ty.as_str() {
            "groupchat" => return server.bounce(&el, cond::SERVICE_UNAVAILABLE).await,
            "headline" | "error" => return,
            _ => {} // as if sent to the bare JID
        }
    }
    let available: Vec<&Resource> = resources
        .iter()
        .filter(|r| r.available && r.priority >= 0)
        .collect();
    let best = available.iter().map(|r| r.priority).max();
    if let Some(best) = best {
        match ty.as_str() {
            "groupchat" => server.bounce(&el, cond::SERVICE_UNAVAILABLE).await,
            "error" => {}
            "headline" => {
                for r in &available {
                    deliver(server, r, el.clone()).await;
                }
            }
            _ => {
                let targets = available.iter().filter(|r| r.priority == best);
                for r in targets.clone() {
                    deliver(server, r, el.clone()).await;
                }
                if after {
                    let sids: Vec<u64> = targets.map(|r| r.sid).collect();
                    message_delivered(&route(&el), &sids).await;
                }
            }
        }
        return;
    }
    // Nobody available.
    match ty.as_str() {
        "error" | "headline" => {}
        "groupchat" => server.bounce(&el, cond::SERVICE_UNAVAILABLE).await,
        _ => {
            let known = match exists {
                Some(e) => e,
                None => server.user_exists(&bare).await.unwrap_or(false),
            };
            if !known {
                return server.bounce(&el, cond::SERVICE_UNAVAILABLE).await;
            }
            // mod_offline (or another module) may take it; else it bounces.
            let mut left = Some(el);
            for module in modules.hooked(Hook::Offline) {
                let Some(el) = left.take() else { break };
                left = module.offline(server, &bare, el).await;
            }
            if let Some(el) = left {
                server.bounce(&el, cond::SERVICE_UNAVAILABLE).await;
            }
        }
    }
}

async fn route_presence(server: &Server, from: &Jid, to: &Jid, el: Element) {
    let bare = to.to_bare();
    match el.attr("type") {
        Some("subscribe" | "subscribed" | "unsubscribe" | "unsubscribed") => {
            presence::inbound_subscription(server, from, &bare, el).await;
        }
        Some("probe") => presence::answer_probe(server, from, &bare).await,
        _ => {
            let resources = server.sm().resources(&bare);
            if let Ok(full) = to.try_as_full() {
                if let Some(r) = resources.iter().find(|r| r.jid == *full) {
                    deliver(server, r, el).await;
                }
            } else {
                for r in resources.iter().filter(|r| r.available) {
                    let mut copy = el.clone();
                    copy.set_attr("to", r.jid.as_str());
                    deliver(server, r, copy).await;
                }
            }
        }
    }
}

async fn route_iq(server: &Server, from: &Jid, to: &Jid, el: Element) {
    if let Ok(full) = to.try_as_full() {
        match server.sm().resource(full) {
            Some(r) => deliver(server, &r, el).await,
            None => server.bounce(&el, cond::SERVICE_UNAVAILABLE).await,
        }
        return;
    }
    if let Some(reply) = iq::user_iq(server, from, to, &el).await {
        server.route(to.clone(), from.clone(), reply).await;
    }
}
