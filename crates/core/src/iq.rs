//! IQs the server answers itself: addressed to the domain, or to a user's bare JID
//! (on the user's behalf): disco, ping, vCard, private storage, last activity.
//! A namespace nobody handles gets `service-unavailable` (RFC 6120 8.4).

use crate::Server;
use crate::util::now_secs;
use meerkat_xmpp::stanza::{ErrorType, cond, error_reply, iq_result};
use meerkat_xmpp::{BareJid, Element, Jid, ParseLimits, ns};

fn error(iq: &Element, condition: &str) -> Option<Element> {
    Some(error_reply(
        iq,
        ErrorType::default_for(condition),
        condition,
        None,
    ))
}

fn result_with(iq: &Element, child: Element) -> Option<Element> {
    Some(iq_result(iq).with_child(child))
}

/// The payload of an IQ get/set: its one child element.
fn payload(iq: &Element) -> Option<&Element> {
    let mut it = iq.children();
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

/// Features the server advertises in disco#info, from its enabled modules.
pub fn server_features(server: &Server) -> Vec<&'static str> {
    let m = &server.config().modules;
    let mut f = vec![ns::DISCO_INFO, ns::DISCO_ITEMS, "iq", "presence"];
    for (module, feature) in [
        ("mod_ping", ns::PING),
        ("mod_vcard", ns::VCARD),
        ("mod_last", ns::LAST),
        ("mod_carboncopy", ns::CARBONS),
        ("mod_offline", "msgoffline"),
        ("mod_private", ns::PRIVATE),
        ("mod_roster", ns::ROSTER),
    ] {
        if m.is_enabled(module) {
            f.push(feature);
        }
    }
    if m.is_enabled("mod_roster") && m.roster_versioning {
        f.push(ns::ROSTERVER);
    }
    f
}

fn disco_info(identity: (&str, &str, &str), features: &[&str]) -> Element {
    let mut q = Element::new("query", ns::DISCO_INFO);
    let (category, kind, name) = identity;
    let mut id = Element::new("identity", ns::DISCO_INFO)
        .with_attr("category", category)
        .with_attr("type", kind);
    if !name.is_empty() {
        id.set_attr("name", name);
    }
    q.append_child(id);
    for f in features {
        q.append_child(Element::new("feature", ns::DISCO_INFO).with_attr("var", *f));
    }
    q
}

/// Answers an IQ addressed to the server's domain. `None` = nothing to send back.
pub async fn server_iq(server: &Server, _from: &Jid, _to: &Jid, iq: &Element) -> Option<Element> {
    let ty = iq.attr("type").unwrap_or("");
    if ty != "get" && ty != "set" {
        return None;
    }
    let Some(p) = payload(iq) else {
        return error(iq, cond::BAD_REQUEST);
    };
    let m = &server.config().modules;
    match (ty, p.ns(), p.name()) {
        ("get", ns::DISCO_INFO, "query") if p.attr("node").is_none() => {
            let features = server_features(server);
            result_with(iq, disco_info(("server", "im", "meerkat"), &features))
        }
        ("get", ns::DISCO_ITEMS, "query") => {
            result_with(iq, Element::new("query", ns::DISCO_ITEMS))
        }
        ("get", ns::PING, "ping") if m.is_enabled("mod_ping") => Some(iq_result(iq)),
        ("get", ns::LAST, "query") if m.is_enabled("mod_last") => {
            let q = Element::new("query", ns::LAST)
                .with_attr("seconds", server.uptime().as_secs().to_string());
            result_with(iq, q)
        }
        _ => error(iq, cond::SERVICE_UNAVAILABLE),
    }
}

/// Answers an IQ addressed to a user's bare JID, on the user's behalf.
pub async fn user_iq(server: &Server, from: &Jid, user: &BareJid, iq: &Element) -> Option<Element> {
    let ty = iq.attr("type").unwrap_or("");
    if ty != "get" && ty != "set" {
        return None;
    }
    if !server.user_exists(user).await.unwrap_or(false) {
        return error(iq, cond::SERVICE_UNAVAILABLE);
    }
    let Some(p) = payload(iq) else {
        return error(iq, cond::BAD_REQUEST);
    };
    let own = from.to_bare() == *user;
    let m = &server.config().modules;
    let owner = user.as_str();
    match (ty, p.ns(), p.name()) {
        ("get", ns::DISCO_INFO, "query") if p.attr("node").is_none() => {
            let mut features = vec![ns::DISCO_INFO, ns::DISCO_ITEMS];
            if m.is_enabled("mod_vcard") {
                features.push(ns::VCARD);
            }
            result_with(iq, disco_info(("account", "registered", ""), &features))
        }
        ("get", ns::DISCO_ITEMS, "query") => {
            result_with(iq, Element::new("query", ns::DISCO_ITEMS))
        }
        ("get", ns::PING, "ping") if m.is_enabled("mod_ping") => Some(iq_result(iq)),
        (_, ns::VCARD, "vCard") if m.is_enabled("mod_vcard") => {
            vcard(server, iq, p, owner, own, ty).await
        }
        (_, ns::PRIVATE, "query") if m.is_enabled("mod_private") => {
            if !own {
                return error(iq, cond::FORBIDDEN);
            }
            private(server, iq, p, owner, ty).await
        }
        ("get", ns::LAST, "query") if m.is_enabled("mod_last") => {
            last(server, iq, from, user, own).await
        }
        (_, ns::ROSTER, "query") if !own => error(iq, cond::FORBIDDEN),
        _ => error(iq, cond::SERVICE_UNAVAILABLE),
    }
}

async fn vcard(
    server: &Server,
    iq: &Element,
    p: &Element,
    owner: &str,
    own: bool,
    ty: &str,
) -> Option<Element> {
    if ty == "set" {
        if !own {
            return error(iq, cond::FORBIDDEN);
        }
        let mut card = p.clone();
        card.remove_attr("xmlns");
        return match server.store().vcard_set(owner, &card.to_xml()).await {
            Ok(()) => Some(iq_result(iq)),
            Err(e) => {
                tracing::error!(error = %e, "vcard_set failed");
                error(iq, cond::INTERNAL_SERVER_ERROR)
            }
        };
    }
    match server.store().vcard_get(owner).await {
        Ok(Some(xml)) => match Element::parse_str(&xml, &ParseLimits::default()) {
            Ok(card) => result_with(iq, card),
            Err(_) => error(iq, cond::INTERNAL_SERVER_ERROR),
        },
        Ok(None) => result_with(iq, Element::new("vCard", ns::VCARD)),
        Err(e) => {
            tracing::error!(error = %e, "vcard_get failed");
            error(iq, cond::INTERNAL_SERVER_ERROR)
        }
    }
}

async fn private(
    server: &Server,
    iq: &Element,
    p: &Element,
    owner: &str,
    ty: &str,
) -> Option<Element> {
    let children: Vec<&Element> = p.children().collect();
    if children.is_empty() {
        return error(iq, cond::BAD_REQUEST);
    }
    if children
        .iter()
        .any(|c| !crate::commands::private::namespace_allowed(c.ns()))
    {
        return error(iq, cond::NOT_ACCEPTABLE);
    }
    if ty == "set" {
        for c in &children {
            if let Err(e) = server.store().private_set(owner, c.ns(), &c.to_xml()).await {
                tracing::error!(error = %e, "private_set failed");
                return error(iq, cond::INTERNAL_SERVER_ERROR);
            }
        }
        return Some(iq_result(iq));
    }
    let mut q = Element::new("query", ns::PRIVATE);
    for c in children {
        match server.store().private_get(owner, c.ns()).await {
            Ok(Some(xml)) => match Element::parse_str(&xml, &ParseLimits::default()) {
                Ok(stored) => {
                    q.append_child(stored);
                }
                Err(_) => return error(iq, cond::INTERNAL_SERVER_ERROR),
            },
            Ok(None) => {
                q.append_child(Element::new(c.name(), c.ns()));
            }
            Err(_) => return error(iq, cond::INTERNAL_SERVER_ERROR),
        }
    }
    result_with(iq, q)
}

async fn last(
    server: &Server,
    iq: &Element,
    from: &Jid,
    user: &BareJid,
    own: bool,
) -> Option<Element> {
    if !own {
        // XEP-0012: only contacts subscribed to the user's presence may ask.
        let item = server
            .store()
            .roster_get_item(user.as_str(), from.to_bare().as_str())
            .await
            .ok()
            .flatten();
        let subscribed = item.is_some_and(|i| {
            matches!(
                i.subscription,
                crate::store::Subscription::From | crate::store::Subscription::Both
            )
        });
        if !subscribed {
            return error(iq, cond::FORBIDDEN);
        }
    }
    if server.sm().resources(user).iter().any(|r| r.available) {
        return result_with(
            iq,
            Element::new("query", ns::LAST).with_attr("seconds", "0"),
        );
    }
    match server.store().last_get(user.as_str()).await {
        Ok(Some(l)) => {
            let secs = (now_secs() - l.timestamp).max(0);
            result_with(
                iq,
                Element::new("query", ns::LAST)
                    .with_attr("seconds", secs.to_string())
                    .with_text(l.status),
            )
        }
        Ok(None) => error(iq, cond::ITEM_NOT_FOUND),
        Err(_) => error(iq, cond::INTERNAL_SERVER_ERROR),
    }
}
