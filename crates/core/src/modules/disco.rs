//! mod_disco (XEP-0030): disco#info of the server and of user accounts, with the features
//! the loaded modules declare, and disco#items of a domain, listing its services
//! (`muclight.<domain>`, ...). `extra_domains` and `server_info` are read but not served.

use crate::config::{Diagnostics, Section};
use crate::module::{IqRequest, IqScope, Module, ModuleContext, ModuleSpec, Registrar};
use crate::router::BoxFuture;
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{Element, ns};

/// The loaded mod_disco.
#[derive(Debug)]
pub struct Disco;

impl ModuleSpec for Disco {
    const NAME: &'static str = "mod_disco";
    const IGNORED_OPTIONS: &'static [&'static str] = &[
        "iqdisc",
        "extra_domains",
        "server_info",
        "users_can_see_hidden_services",
    ];
    type Config = ();
    fn read_config(_s: &mut Section<'_>, _diag: &mut Diagnostics) -> Self::Config {}
    fn build(_config: &Self::Config, _cx: &ModuleContext) -> Self {
        Disco
    }
}

/// A disco#info result payload.
pub fn disco_info<'f>(
    identity: (&str, &str, &str),
    features: impl IntoIterator<Item = &'f str>,
) -> Element {
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
        q.append_child(Element::new("feature", ns::DISCO_INFO).with_attr("var", f));
    }
    q
}

impl Module for Disco {
    fn register(&self, r: &mut Registrar) {
        for scope in [IqScope::Server, IqScope::User] {
            r.iq(scope, ns::DISCO_INFO, "query");
            r.iq(scope, ns::DISCO_ITEMS, "query");
        }
    }

    fn handle_iq<'a>(&'a self, req: IqRequest<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            let info = req.payload.ns() == ns::DISCO_INFO;
            if req.set || (info && req.payload.attr("node").is_some()) {
                return Some(req.error(cond::SERVICE_UNAVAILABLE));
            }
            let modules = req.server.modules();
            let server = req.to.node().is_none();
            let q = match (info, server) {
                (true, true) => disco_info(
                    ("server", "im", "meerkat"),
                    [ns::DISCO_INFO, ns::DISCO_ITEMS, "iq", "presence"]
                        .into_iter()
                        .chain(modules.disco_features(IqScope::Server)),
                ),
                (true, false) => disco_info(
                    ("account", "registered", ""),
                    [ns::DISCO_INFO, ns::DISCO_ITEMS]
                        .into_iter()
                        .chain(modules.disco_features(IqScope::User)),
                ),
                (false, true) => {
                    let mut q = Element::new("query", ns::DISCO_ITEMS);
                    for service in modules.services_of(req.to.domain().as_str()) {
                        q.append_child(
                            Element::new("item", ns::DISCO_ITEMS).with_attr("jid", service),
                        );
                    }
                    q
                }
                (false, false) => Element::new("query", ns::DISCO_ITEMS),
            };
            Some(req.result().with_child(q))
        })
    }
}
