//! mod_vcard (XEP-0054): a user's vCard, read by anyone and written by its owner, at the
//! user's bare JID. The search service (`host`, `vjud.@HOST@`) is read, not served.

use crate::Server;
use crate::config::{Diagnostics, Section};
use crate::module::{
    Hook, IqRequest, IqScope, Module, ModuleContext, ModuleSpec, PersonalData, Registrar,
};
use crate::router::BoxFuture;
use crate::store::{StoreError, VcardStore};
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{BareJid, Element, ParseLimits, ns};
use std::sync::Arc;

/// The loaded mod_vcard.
pub struct Vcard {
    store: Arc<dyn VcardStore>,
    /// The search service's host pattern, as configured (not served).
    pub search_host: String,
}

impl ModuleSpec for Vcard {
    const NAME: &'static str = "mod_vcard";
    const IGNORED_OPTIONS: &'static [&'static str] =
        &["iqdisc", "search", "backend", "matches", "ldap"];
    const STORED: bool = true;
    type Config = String;
    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Self::Config {
        s.get_or("host", "vjud.@HOST@".to_owned(), diag)
    }
    fn build(config: &Self::Config, cx: &ModuleContext) -> Self {
        Vcard {
            store: cx.store.clone(),
            search_host: config.clone(),
        }
    }
}

impl Module for Vcard {
    fn register(&self, r: &mut Registrar) {
        r.iq(IqScope::User, ns::VCARD, "vCard");
        r.disco_feature(IqScope::Server, ns::VCARD);
        r.disco_feature(IqScope::User, ns::VCARD);
        r.hook(Hook::PersonalData, 20);
    }

    fn handle_iq<'a>(&'a self, req: IqRequest<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            let owner = req.to.to_bare();
            let owner = owner.as_str();
            if req.set {
                if !req.own() {
                    return Some(req.error(cond::FORBIDDEN));
                }
                let mut card = req.payload.clone();
                card.remove_attr("xmlns");
                return Some(match self.store.vcard_set(owner, &card.to_xml()).await {
                    Ok(()) => req.result(),
                    Err(e) => {
                        tracing::error!(error = %e, "vcard_set failed");
                        req.error(cond::INTERNAL_SERVER_ERROR)
                    }
                });
            }
            Some(match self.store.vcard_get(owner).await {
                Ok(Some(xml)) => match Element::parse_str(&xml, &ParseLimits::default()) {
                    Ok(card) => req.result().with_child(card),
                    Err(_) => req.error(cond::INTERNAL_SERVER_ERROR),
                },
                Ok(None) => req.result().with_child(Element::new("vCard", ns::VCARD)),
                Err(e) => {
                    tracing::error!(error = %e, "vcard_get failed");
                    req.error(cond::INTERNAL_SERVER_ERROR)
                }
            })
        })
    }

    fn personal_data<'a>(
        &'a self,
        _server: &'a Server,
        user: &'a BareJid,
    ) -> BoxFuture<'a, Result<Vec<PersonalData>, StoreError>> {
        Box::pin(async move {
            let owner = user.as_str();
            let rows = self
                .store
                .vcard_get(owner)
                .await?
                .map(|xml| vec![owner.to_owned(), xml])
                .into_iter()
                .collect();
            Ok(vec![PersonalData {
                name: "vcard",
                columns: &["jid", "vcard"],
                rows,
            }])
        })
    }
}
