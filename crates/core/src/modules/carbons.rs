//! mod_carboncopy (XEP-0280): a session that enabled carbons gets a copy of the chat
//! messages its user's other sessions send (`<sent/>`) and receive (`<received/>`).

use crate::config::{Diagnostics, Section};
use crate::module::{
    Hook, IqScope, MessageRoute, Module, ModuleContext, ModuleSpec, Registrar, SessionIq,
};
use crate::router::{BoxFuture, deliver};
use crate::sm::Resource;
use meerkat_xmpp::{BareJid, Element, ns};

/// The loaded mod_carboncopy.
#[derive(Debug)]
pub struct Carbons;

impl ModuleSpec for Carbons {
    const NAME: &'static str = "mod_carboncopy";
    const IGNORED_OPTIONS: &'static [&'static str] = &["iqdisc"];
    type Config = ();
    fn read_config(_s: &mut Section<'_>, _diag: &mut Diagnostics) -> Self::Config {}
    fn build(_config: &Self::Config, _cx: &ModuleContext) -> Self {
        Carbons
    }
}

fn is_chat(el: &Element) -> bool {
    el.attr("type") == Some("chat")
        && !el.has_child("private", ns::CARBONS)
        && !el.has_child("no-copy", "urn:xmpp:hints")
}

/// A copy wrapped as `<sent/>` or `<received/>` for `to`.
fn carbon(direction: &str, bare: &BareJid, to: &Resource, el: &Element) -> Element {
    Element::new("message", ns::CLIENT)
        .with_attr("from", bare.as_str())
        .with_attr("to", to.jid.as_str())
        .with_attr("type", "chat")
        .with_child(
            Element::new(direction, ns::CARBONS)
                .with_child(Element::new("forwarded", ns::FORWARD).with_child(el.clone())),
        )
}

impl Module for Carbons {
    fn register(&self, r: &mut Registrar) {
        r.session_iq(ns::CARBONS, "enable");
        r.session_iq(ns::CARBONS, "disable");
        r.disco_feature(IqScope::Server, ns::CARBONS);
        r.hook(Hook::MessageSent, 50);
        r.hook(Hook::MessageDelivered, 50);
    }

    fn handle_session_iq<'a>(&'a self, req: SessionIq<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            if !req.set {
                return Some(req.error(meerkat_xmpp::stanza::cond::SERVICE_UNAVAILABLE));
            }
            let enable = req.payload.name() == "enable";
            req.server.sm().set_carbons(req.jid, req.sid, enable);
            Some(req.result())
        })
    }

    fn message_sent<'a>(&'a self, m: &'a MessageRoute<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if !is_chat(m.el) {
                return;
            }
            let Ok(sender) = m.from.try_as_full() else {
                return;
            };
            let bare = sender.to_bare();
            if m.server.sm().resource(sender).is_none() {
                return;
            }
            for r in m.server.sm().resources(&bare) {
                if r.carbons && r.jid != *sender {
                    deliver(m.server, &r, carbon("sent", &bare, &r, m.el)).await;
                }
            }
        })
    }

    fn message_delivered<'a>(
        &'a self,
        m: &'a MessageRoute<'a>,
        delivered_to: &'a [u64],
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if !is_chat(m.el) {
                return;
            }
            for other in m
                .resources
                .iter()
                .filter(|o| o.carbons && !delivered_to.contains(&o.sid))
            {
                deliver(m.server, other, carbon("received", m.to, other, m.el)).await;
            }
        })
    }
}
