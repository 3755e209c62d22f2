//! mod_roster, rosters (RFC 6121 section 2): get with versioning, set, remove, pushes.
//! A session's roster get and set are answered here; subscriptions are the core's
//! presence state machine ([`crate::presence`]), which keeps rosters only while this
//! module is loaded.

use crate::Server;
use crate::config::{Diagnostics, Section};
use crate::module::{
    Hook, IqScope, Module, ModuleContext, ModuleSpec, PersonalData, Registrar, SessionIq,
    StreamStage,
};
use crate::router::BoxFuture;
use crate::sm::Routed;
use crate::store::{Ask, RosterItem, StoreError, Subscription};
use meerkat_xmpp::stanza::{ErrorType, cond, error_reply, iq_result};
use meerkat_xmpp::{BareJid, Element, ns};

/// An item the user sees: items that exist only as a pending inbound subscription request
/// stay hidden until the user acts on them (as ejabberd and MongooseIM do).
pub fn is_visible(item: &RosterItem) -> bool {
    !(item.subscription == Subscription::None && item.ask == Ask::In)
}

/// The `<item/>` element of a roster item.
pub fn item_element(item: &RosterItem) -> Element {
    let mut el = Element::new("item", ns::ROSTER)
        .with_attr("jid", item.contact.as_str())
        .with_attr("subscription", item.subscription.as_str());
    if let Some(name) = &item.name {
        el.set_attr("name", name.as_str());
    }
    if matches!(item.ask, Ask::Out | Ask::Both) {
        el.set_attr("ask", "subscribe");
    }
    for g in &item.groups {
        el.append_child(Element::new("group", ns::ROSTER).with_text(g.as_str()));
    }
    el
}

impl Server {
    /// Whether roster versioning is advertised and used.
    pub fn roster_versioning(&self) -> bool {
        self.module::<Roster>().is_some_and(|r| r.versioning)
    }

    /// Sends a roster push for `item` to every session of `user` (each sends it on only if
    /// its client asked for the roster).
    pub fn push_roster_item(&self, user: &BareJid, item: Element, version: Option<String>) {
        let version = version.filter(|_| self.roster_versioning());
        for r in self.sm().resources(user) {
            r.send(Routed::RosterPush(Box::new(crate::sm::RosterPush {
                item: item.clone(),
                version: version.clone(),
            })));
        }
    }

    /// Stores an item and pushes it (when visible).
    pub async fn put_roster_item(
        &self,
        user: &BareJid,
        item: &RosterItem,
    ) -> Result<(), StoreError> {
        let version = self.store().roster_put_item(user.as_str(), item).await?;
        if is_visible(item) {
            self.push_roster_item(user, item_element(item), Some(version));
        }
        Ok(())
    }

    /// Deletes an item and pushes its removal. `false` if there was none.
    pub async fn delete_roster_item(
        &self,
        user: &BareJid,
        contact: &str,
    ) -> Result<bool, StoreError> {
        match self
            .store()
            .roster_delete_item(user.as_str(), contact)
            .await?
        {
            Some(version) => {
                let el = Element::new("item", ns::ROSTER)
                    .with_attr("jid", contact)
                    .with_attr("subscription", "remove");
                self.push_roster_item(user, el, Some(version));
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Result of a roster get: the `<query/>` to put in the IQ result, or `None` for an empty
/// result (the client's version is current).
pub async fn get(
    server: &Server,
    user: &BareJid,
    client_ver: Option<&str>,
) -> Result<Option<Element>, StoreError> {
    let owner = user.as_str();
    let versioning = server.roster_versioning();
    let version = if versioning {
        Some(server.store().roster_version(owner).await?)
    } else {
        None
    };
    if let (Some(v), Some(cv)) = (&version, client_ver)
        && v == cv
    {
        return Ok(None);
    }
    let mut q = Element::new("query", ns::ROSTER);
    if let Some(v) = version {
        q.set_attr("ver", v);
    }
    for item in server.store().roster_get(owner).await? {
        if is_visible(&item) {
            q.append_child(item_element(&item));
        }
    }
    Ok(Some(q))
}

/// A roster set from the user's client. `Err(condition)` for a stanza error.
pub async fn set(server: &Server, user: &BareJid, query: &Element) -> Result<(), &'static str> {
    let items: Vec<&Element> = query
        .children()
        .filter(|c| c.is("item", ns::ROSTER))
        .collect();
    let [item] = items.as_slice() else {
        return Err(cond::BAD_REQUEST);
    };
    let Some(jid) = item.attr("jid") else {
        return Err(cond::BAD_REQUEST);
    };
    let contact = BareJid::new(jid).map_err(|_| cond::JID_MALFORMED)?;
    let contact_s = contact.as_str().to_owned();
    let mut groups: Vec<String> = Vec::new();
    for g in item.children().filter(|c| c.is("group", ns::ROSTER)) {
        let name = g.text();
        if name.is_empty() {
            return Err(cond::NOT_ACCEPTABLE);
        }
        if groups.contains(&name) {
            return Err(cond::BAD_REQUEST);
        }
        groups.push(name);
    }
    let store_err = |e: StoreError| {
        tracing::error!(error = %e, "roster store failed");
        cond::INTERNAL_SERVER_ERROR
    };
    let existing = server
        .store()
        .roster_get_item(user.as_str(), &contact_s)
        .await
        .map_err(store_err)?;
    if item.attr("subscription") == Some("remove") {
        let Some(old) = existing else {
            return Err(cond::ITEM_NOT_FOUND);
        };
        crate::presence::cancel_on_remove(server, user, &contact, &old).await;
        server
            .delete_roster_item(user, &contact_s)
            .await
            .map_err(store_err)?;
        return Ok(());
    }
    let (subscription, ask) = existing
        .as_ref()
        .map_or((Subscription::None, Ask::None), |e| (e.subscription, e.ask));
    // A user acting on a hidden pending item makes it visible; keep the pending state.
    let new = RosterItem {
        contact: contact_s,
        name: item.attr("name").map(str::to_owned),
        groups,
        subscription,
        ask,
    };
    if !is_visible(&new) {
        // Adding a contact whose request is pending: show it (the request stays pending-in).
        server
            .store()
            .roster_put_item(user.as_str(), &new)
            .await
            .map_err(store_err)?;
        let mut el = item_element(&new);
        el.set_attr("subscription", "none");
        let v = server
            .store()
            .roster_version(user.as_str())
            .await
            .map_err(store_err)?;
        server.push_roster_item(user, el, Some(v));
        return Ok(());
    }
    server.put_roster_item(user, &new).await.map_err(store_err)
}

/// The loaded mod_roster.
#[derive(Debug)]
pub struct Roster {
    /// Roster versioning (XEP-0237), `versioning`.
    pub versioning: bool,
}

/// Set in a session's [`crate::module::SessionExt`] once its client asked for the roster: only such
/// sessions get roster pushes (RFC 6121 2.1.6).
pub struct RosterRequested;

impl ModuleSpec for Roster {
    const NAME: &'static str = "mod_roster";
    const IGNORED_OPTIONS: &'static [&'static str] = &["iqdisc", "store_current_id", "backend"];
    const STORED: bool = true;
    type Config = bool;
    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Self::Config {
        s.get_or("versioning", false, diag)
    }
    fn build(config: &Self::Config, _cx: &ModuleContext) -> Self {
        Roster {
            versioning: *config,
        }
    }
}

impl Module for Roster {
    fn register(&self, r: &mut Registrar) {
        r.session_iq(ns::ROSTER, "query");
        r.disco_feature(IqScope::Server, ns::ROSTER);
        if self.versioning {
            r.disco_feature(IqScope::Server, ns::ROSTERVER);
            r.stream_feature(StreamStage::Bind, Element::new("ver", ns::ROSTERVER));
        }
        r.hook(Hook::PersonalData, 10);
    }

    fn handle_session_iq<'a>(&'a self, req: SessionIq<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            let user = req.jid.to_bare();
            let el = req.iq;
            let query = req.payload;
            let reply = if !req.set {
                let ver = query.attr("ver");
                let reply = match get(req.server, &user, ver).await {
                    Ok(Some(q)) => iq_result(el).with_child(q),
                    Ok(None) => iq_result(el),
                    Err(e) => {
                        tracing::error!(error = %e, "roster get failed");
                        error_reply(el, ErrorType::Wait, cond::INTERNAL_SERVER_ERROR, None)
                    }
                };
                req.ext.insert(RosterRequested);
                reply
            } else {
                match set(req.server, &user, query).await {
                    Ok(()) => iq_result(el),
                    Err(c) => error_reply(el, ErrorType::default_for(c), c, None),
                }
            };
            Some(reply)
        })
    }

    fn personal_data<'a>(
        &'a self,
        server: &'a Server,
        user: &'a BareJid,
    ) -> BoxFuture<'a, Result<Vec<PersonalData>, StoreError>> {
        Box::pin(async move {
            let rows = server
                .store()
                .roster_get(user.as_str())
                .await?
                .into_iter()
                .map(|i| {
                    vec![
                        i.contact,
                        i.name.unwrap_or_default(),
                        i.subscription.as_str().to_owned(),
                        i.ask.as_str().to_owned(),
                        i.groups.join(", "),
                        String::new(),
                        String::new(),
                    ]
                })
                .collect();
            Ok(vec![PersonalData {
                name: "roster",
                columns: &[
                    "jid",
                    "name",
                    "subscription",
                    "ask",
                    "groups",
                    "askmessage",
                    "xs",
                ],
                rows,
            }])
        })
    }
}
