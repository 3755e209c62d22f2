//! Presence (RFC 6121 sections 3 and 4): the subscription state machine on both sides,
//! probes, and broadcasts to subscribers.

use crate::Server;
use crate::store::{Ask, RosterItem, Subscription};
use meerkat_xmpp::{BareJid, Element, FullJid, Jid, ns};

fn presence(ty: Option<&str>) -> Element {
    let el = Element::new("presence", ns::CLIENT);
    match ty {
        Some(t) => el.with_attr("type", t),
        None => el,
    }
}

async fn item(server: &Server, user: &BareJid, contact: &BareJid) -> Option<RosterItem> {
    // Without mod_roster there are no roster items.
    server.module::<crate::roster::Roster>()?;
    server
        .store()
        .roster_get_item(user.as_str(), contact.as_str())
        .await
        .ok()
        .flatten()
}

fn blank(contact: &BareJid) -> RosterItem {
    RosterItem {
        contact: contact.as_str().to_owned(),
        name: None,
        groups: Vec::new(),
        subscription: Subscription::None,
        ask: Ask::None,
    }
}

/// Whether `item` holds nothing but its contact.
fn is_blank(item: &RosterItem) -> bool {
    item.name.is_none()
        && item.groups.is_empty()
        && item.subscription == Subscription::None
        && item.ask == Ask::None
}

fn with_in(ask: Ask, pending: bool) -> Ask {
    match (ask, pending) {
        (Ask::None | Ask::In, true) => Ask::In,
        (Ask::Out | Ask::Both, true) => Ask::Both,
        (Ask::None | Ask::In, false) => Ask::None,
        (Ask::Out | Ask::Both, false) => Ask::Out,
    }
}

fn with_out(ask: Ask, pending: bool) -> Ask {
    match (ask, pending) {
        (Ask::None | Ask::Out, true) => Ask::Out,
        (Ask::In | Ask::Both, true) => Ask::Both,
        (Ask::None | Ask::Out, false) => Ask::None,
        (Ask::In | Ask::Both, false) => Ask::In,
    }
}

async fn save(server: &Server, user: &BareJid, old: Option<&RosterItem>, new: &RosterItem) {
    if old == Some(new) {
        return;
    }
    if old.is_some_and(|o| !crate::roster::is_visible(o)) && is_blank(new) {
        // A pending request that went away (declined or withdrawn) on an item the user
        // never saw: drop it quietly, as MongooseIM does, rather than show a bare item.
        if let Err(e) = server
            .store()
            .roster_delete_item(user.as_str(), &new.contact)
            .await
        {
            tracing::error!(error = %e, user = %user, "roster update failed");
        }
        return;
    }
    if let Err(e) = server.put_roster_item(user, new).await {
        tracing::error!(error = %e, user = %user, "roster update failed");
    }
}

/// Sends presence of every available resource of `user` to `to` (or unavailable presence
/// when `unavailable`).
async fn send_own_presence(server: &Server, user: &BareJid, to: &BareJid, unavailable: bool) {
    for r in server.sm().resources(user) {
        let Some(p) = &r.presence else { continue };
        let el = if unavailable {
            presence(Some("unavailable"))
        } else {
            (**p).clone()
        };
        server
            .route(Jid::from(r.jid.clone()), Jid::from(to.clone()), el)
            .await;
    }
}

/// A subscription-related presence the user sent to `contact`.
pub async fn outbound_subscription(
    server: &Server,
    user: &BareJid,
    contact: &BareJid,
    ty: &str,
    mut el: Element,
) {
    // Whether the contact was subscribed to the user's presence before this.
    let mut was_subscriber = false;
    if server.module::<crate::roster::Roster>().is_some() {
        let old = item(server, user, contact).await;
        let cur = old.clone().unwrap_or_else(|| blank(contact));
        was_subscriber = matches!(cur.subscription, Subscription::From | Subscription::Both);
        let mut new = cur.clone();
        match ty {
            "subscribe" => {
                if !matches!(cur.subscription, Subscription::To | Subscription::Both) {
                    new.ask = with_out(cur.ask, true);
                }
            }
            "subscribed" => {
                if !matches!(cur.ask, Ask::In | Ask::Both) {
                    return; // no pending request to approve (no pre-approval support)
                }
                new.subscription = match cur.subscription {
                    Subscription::None => Subscription::From,
                    Subscription::To => Subscription::Both,
                    s => s,
                };
                new.ask = with_in(cur.ask, false);
            }
            "unsubscribe" => {
                new.subscription = match cur.subscription {
                    Subscription::To => Subscription::None,
                    Subscription::Both => Subscription::From,
                    s => s,
                };
                new.ask = with_out(cur.ask, false);
            }
            "unsubscribed" => {
                new.subscription = match cur.subscription {
                    Subscription::From => Subscription::None,
                    Subscription::Both => Subscription::To,
                    s => s,
                };
                new.ask = with_in(cur.ask, false);
            }
            _ => return,
        }
        if old.is_some() || new != blank(contact) {
            save(server, user, old.as_ref(), &new).await;
        }
    }
    el.remove_attr("from");
    server
        .route(Jid::from(user.clone()), Jid::from(contact.clone()), el)
        .await;
    match ty {
        "subscribed" => send_own_presence(server, user, contact, false).await,
        // Only a former subscriber had the user's presence to take back (declining a
        // request sends nothing more, as in MongooseIM).
        "unsubscribed" if was_subscriber => send_own_presence(server, user, contact, true).await,
        _ => {}
    }
}

/// A subscription-related presence from `from` arriving for local `user`.
pub async fn inbound_subscription(server: &Server, from: &Jid, user: &BareJid, el: Element) {
    let contact = from.to_bare();
    let ty = el.attr("type").unwrap_or("").to_owned();
    if !server.user_exists(user).await.unwrap_or(false) {
        if ty == "subscribe" {
            let reply = presence(Some("unsubscribed"));
            server
                .route(Jid::from(user.clone()), Jid::from(contact), reply)
                .await;
        }
        return;
    }
    if server.module::<crate::roster::Roster>().is_none() {
        deliver_to_available(server, user, el).await;
        return;
    }
    let old = item(server, user, &contact).await;
    let cur = old.clone().unwrap_or_else(|| blank(&contact));
    let mut new = cur.clone();
    let mut lost_subscriber = false;
    let deliver = match ty.as_str() {
        "subscribe" => {
            if matches!(cur.subscription, Subscription::From | Subscription::Both) {
                // Already approved: answer on the user's behalf.
                server
                    .route(
                        Jid::from(user.clone()),
                        Jid::from(contact.clone()),
                        presence(Some("subscribed")),
                    )
                    .await;
                false
            } else {
                new.ask = with_in(cur.ask, true);
                true
            }
        }
        "subscribed" => {
            if matches!(cur.ask, Ask::Out | Ask::Both) {
                new.subscription = match cur.subscription {
                    Subscription::None => Subscription::To,
                    Subscription::From => Subscription::Both,
                    s => s,
                };
                new.ask = with_out(cur.ask, false);
                true
            } else {
                false
            }
        }
        "unsubscribe" => {
            lost_subscriber = matches!(cur.subscription, Subscription::From | Subscription::Both);
            let was = lost_subscriber || matches!(cur.ask, Ask::In | Ask::Both);
            new.subscription = match cur.subscription {
                Subscription::From => Subscription::None,
                Subscription::Both => Subscription::To,
                s => s,
            };
            new.ask = with_in(cur.ask, false);
            was
        }
        "unsubscribed" => {
            let was = matches!(cur.subscription, Subscription::To | Subscription::Both)
                || matches!(cur.ask, Ask::Out | Ask::Both);
            new.subscription = match cur.subscription {
                Subscription::To => Subscription::None,
                Subscription::Both => Subscription::From,
                s => s,
            };
            new.ask = with_out(cur.ask, false);
            was
        }
        _ => false,
    };
    if old.is_some() || new != blank(&contact) {
        save(server, user, old.as_ref(), &new).await;
    }
    if deliver {
        let mut el = el;
        el.set_attr("from", contact.as_str());
        deliver_to_available(server, user, el).await;
    }
    if lost_subscriber {
        // The contact no longer sees the user's presence: its last view must be
        // "unavailable" (RFC 6121 3.3.3; MongooseIM sends it from each session).
        send_own_presence(server, user, &contact, true).await;
    }
}

async fn deliver_to_available(server: &Server, user: &BareJid, el: Element) {
    for r in server
        .sm()
        .resources(user)
        .into_iter()
        .filter(|r| r.available)
    {
        let mut copy = el.clone();
        copy.set_attr("to", r.jid.as_str());
        if !r.send(crate::sm::Routed::Stanza(Box::new(copy))) {
            tracing::warn!(jid = %r.jid, "mailbox full; presence dropped");
        }
    }
}

/// Answers a probe from `from` about local `user`: the user's available resources'
/// presence if `from` is subscribed, else nothing.
pub async fn answer_probe(server: &Server, from: &Jid, user: &BareJid) {
    let prober = from.to_bare();
    let allowed = prober == *user
        || item(server, user, &prober)
            .await
            .is_some_and(|i| matches!(i.subscription, Subscription::From | Subscription::Both));
    if !allowed {
        return;
    }
    let mut any = false;
    for r in server.sm().resources(user) {
        if let Some(p) = &r.presence {
            any = true;
            server
                .route(Jid::from(r.jid.clone()), from.clone(), (**p).clone())
                .await;
        }
    }
    if !any {
        let mut el = presence(Some("unavailable"));
        if let Ok(Some(last)) = server.store().last_get(user.as_str()).await {
            if !last.status.is_empty() {
                el.append_child(Element::new("status", ns::CLIENT).with_text(last.status));
            }
            el.append_child(
                Element::new("delay", ns::DELAY)
                    .with_attr("stamp", crate::util::timestamp_secs(last.timestamp)),
            );
        }
        server
            .route(Jid::from(user.clone()), from.clone(), el)
            .await;
    }
}

/// Cancels subscriptions both ways before an item is removed (RFC 6121 2.5.2).
pub async fn cancel_on_remove(
    server: &Server,
    user: &BareJid,
    contact: &BareJid,
    old: &RosterItem,
) {
    let from_user = Jid::from(user.clone());
    if matches!(old.subscription, Subscription::To | Subscription::Both)
        || matches!(old.ask, Ask::Out | Ask::Both)
    {
        server
            .route(
                from_user.clone(),
                Jid::from(contact.clone()),
                presence(Some("unsubscribe")),
            )
            .await;
    }
    if matches!(old.subscription, Subscription::From | Subscription::Both)
        || matches!(old.ask, Ask::In | Ask::Both)
    {
        server
            .route(
                from_user,
                Jid::from(contact.clone()),
                presence(Some("unsubscribed")),
            )
            .await;
    }
    if matches!(old.subscription, Subscription::From | Subscription::Both) {
        // As for an outbound "unsubscribed" (RFC 6121 3.2.2): the former subscriber is
        // told the user is unavailable.
        send_own_presence(server, user, contact, true).await;
    }
}

/// Broadcasts a session's presence (available or unavailable) to the user's subscribers
/// and to the user's other available resources, and echoes it to the sending session
/// `echo` (a session ending, or replaced by another session bound to the same full JID,
/// gets no echo). On initial presence, probes the contacts the user is subscribed to and
/// returns the pending inbound subscription requests to show the client.
pub async fn broadcast(
    server: &Server,
    from: &FullJid,
    el: &Element,
    initial: bool,
    echo: Option<crate::sm::SessionId>,
) -> Vec<Element> {
    let user = from.to_bare();
    let from_jid = Jid::from(from.clone());
    let mut pending = Vec::new();
    let items = if server.module::<crate::roster::Roster>().is_some() {
        server
            .store()
            .roster_get(user.as_str())
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for i in &items {
        let Ok(contact) = BareJid::new(&i.contact) else {
            continue;
        };
        if matches!(i.subscription, Subscription::From | Subscription::Both) {
            server
                .route(from_jid.clone(), Jid::from(contact.clone()), el.clone())
                .await;
        }
        if initial {
            if matches!(i.subscription, Subscription::To | Subscription::Both) {
                server
                    .route(
                        Jid::from(user.clone()),
                        Jid::from(contact.clone()),
                        presence(Some("probe")),
                    )
                    .await;
            }
            if matches!(i.ask, Ask::In | Ask::Both) {
                pending.push(
                    presence(Some("subscribe"))
                        .with_attr("from", contact.as_str())
                        .with_attr("to", user.as_str()),
                );
            }
        }
    }
    let resources = server.sm().resources(&user);
    let sender = resources.iter().find(|r| r.jid == *from);
    for r in &resources {
        let to_sender = r.jid == *from;
        if let (true, false, Some(me), Some(p)) = (initial, to_sender, sender, &r.presence) {
            // A user is implicitly subscribed to its own presence (RFC 6121 4.2.2): the new
            // resource learns its other available resources' presence, as a probe would.
            let mut copy = (**p).clone();
            copy.set_attr("from", r.jid.as_str());
            copy.set_attr("to", from.as_str());
            me.send(crate::sm::Routed::Stanza(Box::new(copy)));
        }
        if (to_sender && echo == Some(r.sid)) || (!to_sender && r.available) {
            let mut copy = el.clone();
            copy.set_attr("from", from.as_str());
            copy.set_attr("to", r.jid.as_str());
            r.send(crate::sm::Routed::Stanza(Box::new(copy)));
        }
    }
    pending
}
