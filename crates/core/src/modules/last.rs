//! mod_last (XEP-0012): the server's uptime, and a user's last activity: 0 seconds while
//! available, else the time since the last unavailable presence, with its status. Only
//! the user and contacts subscribed to the user's presence may ask.

use crate::Server;
use crate::config::{Diagnostics, Section};
use crate::module::{Hook, IqRequest, IqScope, Module, ModuleContext, ModuleSpec, Registrar};
use crate::router::BoxFuture;
use crate::store::{LastActivity, LastStore, RosterStore, Subscription};
use crate::util::now_secs;
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{Element, FullJid, ns};
use std::sync::Arc;

/// The loaded mod_last.
pub struct Last {
    store: Arc<dyn LastStore>,
    /// Who may ask: the user's subscribers.
    roster: Arc<dyn RosterStore>,
}

impl ModuleSpec for Last {
    const NAME: &'static str = "mod_last";
    const IGNORED_OPTIONS: &'static [&'static str] = &["iqdisc", "backend"];
    const STORED: bool = true;
    type Config = ();
    fn read_config(_s: &mut Section<'_>, _diag: &mut Diagnostics) -> Self::Config {}
    fn build(_config: &Self::Config, cx: &ModuleContext) -> Self {
        Last {
            store: cx.store.clone(),
            roster: cx.store.clone(),
        }
    }
}

impl Module for Last {
    fn register(&self, r: &mut Registrar) {
        r.iq(IqScope::Server, ns::LAST, "query");
        r.iq(IqScope::User, ns::LAST, "query");
        r.disco_feature(IqScope::Server, ns::LAST);
        r.hook(Hook::UnsetPresence, 50);
    }

    fn handle_iq<'a>(&'a self, req: IqRequest<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            if req.set {
                return Some(req.error(cond::SERVICE_UNAVAILABLE));
            }
            if req.to.node().is_none() {
                let q = Element::new("query", ns::LAST)
                    .with_attr("seconds", req.server.uptime().as_secs().to_string());
                return Some(req.result().with_child(q));
            }
            let user = req.to.to_bare();
            if !req.own() {
                // XEP-0012: only contacts subscribed to the user's presence may ask.
                let item = self
                    .roster
                    .roster_get_item(user.as_str(), req.from.to_bare().as_str())
                    .await
                    .ok()
                    .flatten();
                let subscribed = item.is_some_and(|i| {
                    matches!(i.subscription, Subscription::From | Subscription::Both)
                });
                if !subscribed {
                    return Some(req.error(cond::FORBIDDEN));
                }
            }
            if req.server.sm().resources(&user).iter().any(|r| r.available) {
                return Some(
                    req.result()
                        .with_child(Element::new("query", ns::LAST).with_attr("seconds", "0")),
                );
            }
            Some(match self.store.last_get(user.as_str()).await {
                Ok(Some(l)) => {
                    let secs = (now_secs() - l.timestamp).max(0);
                    req.result().with_child(
                        Element::new("query", ns::LAST)
                            .with_attr("seconds", secs.to_string())
                            .with_text(l.status),
                    )
                }
                Ok(None) => req.error(cond::ITEM_NOT_FOUND),
                Err(_) => req.error(cond::INTERNAL_SERVER_ERROR),
            })
        })
    }

    fn unset_presence<'a>(
        &'a self,
        _server: &'a Server,
        jid: &'a FullJid,
        el: &'a Element,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let status = el
                .get_child("status", ns::CLIENT)
                .map(|s| s.text())
                .unwrap_or_default();
            let last = LastActivity {
                timestamp: now_secs(),
                status,
            };
            if let Err(e) = self.store.last_set(jid.to_bare().as_str(), &last).await {
                tracing::error!(error = %e, "last activity not stored");
            }
        })
    }
}
