//! mod_private (XEP-0049): private XML storage, at the user's own bare JID only.

use crate::Server;
use crate::config::{Diagnostics, Section};
use crate::module::{
    Hook, IqRequest, IqScope, Module, ModuleContext, ModuleSpec, PersonalData, Registrar,
};
use crate::router::BoxFuture;
use crate::store::{PrivateStore, StoreError};
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{BareJid, Element, ParseLimits, ns};
use std::sync::Arc;

/// The loaded mod_private.
pub struct Private {
    store: Arc<dyn PrivateStore>,
}

impl ModuleSpec for Private {
    const NAME: &'static str = "mod_private";
    const IGNORED_OPTIONS: &'static [&'static str] = &["iqdisc", "backend"];
    const STORED: bool = true;
    type Config = ();
    fn read_config(_s: &mut Section<'_>, _diag: &mut Diagnostics) -> Self::Config {}
    fn build(_config: &Self::Config, cx: &ModuleContext) -> Self {
        Private {
            store: cx.store.clone(),
        }
    }
}

impl Module for Private {
    fn register(&self, r: &mut Registrar) {
        r.iq(IqScope::User, ns::PRIVATE, "query");
        r.disco_feature(IqScope::Server, ns::PRIVATE);
        r.hook(Hook::PersonalData, 30);
    }

    fn handle_iq<'a>(&'a self, req: IqRequest<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            if !req.own() {
                return Some(req.error(cond::FORBIDDEN));
            }
            let owner = req.to.to_bare();
            let owner = owner.as_str();
            let children: Vec<&Element> = req.payload.children().collect();
            if children.is_empty() {
                return Some(req.error(cond::BAD_REQUEST));
            }
            if children
                .iter()
                .any(|c| !crate::commands::private::namespace_allowed(c.ns()))
            {
                return Some(req.error(cond::NOT_ACCEPTABLE));
            }
            if req.set {
                for c in &children {
                    if let Err(e) = self.store.private_set(owner, c.ns(), &c.to_xml()).await {
                        tracing::error!(error = %e, "private_set failed");
                        return Some(req.error(cond::INTERNAL_SERVER_ERROR));
                    }
                }
                return Some(req.result());
            }
            let mut q = Element::new("query", ns::PRIVATE);
            for c in children {
                match self.store.private_get(owner, c.ns()).await {
                    Ok(Some(xml)) => match Element::parse_str(&xml, &ParseLimits::default()) {
                        Ok(stored) => {
                            q.append_child(stored);
                        }
                        Err(_) => return Some(req.error(cond::INTERNAL_SERVER_ERROR)),
                    },
                    Ok(None) => {
                        q.append_child(Element::new(c.name(), c.ns()));
                    }
                    Err(_) => return Some(req.error(cond::INTERNAL_SERVER_ERROR)),
                }
            }
            Some(req.result().with_child(q))
        })
    }

    fn personal_data<'a>(
        &'a self,
        _server: &'a Server,
        user: &'a BareJid,
    ) -> BoxFuture<'a, Result<Vec<PersonalData>, StoreError>> {
        Box::pin(async move {
            let rows = self
                .store
                .private_list(user.as_str())
                .await?
                .into_iter()
                .map(|(ns, xml)| vec![ns, xml])
                .collect();
            Ok(vec![PersonalData {
                name: "private",
                columns: &["ns", "xml"],
                rows,
            }])
        })
    }
}
