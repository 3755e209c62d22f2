//! mod_ping (XEP-0199): answers pings to the server and to users' bare JIDs.
//! `send_pings` (the server pinging idle clients) is read but not acted on: the WebSocket
//! transport has its own ping (`ping_rate`).

use crate::config::{Diagnostics, Positive, Section};
use crate::module::{IqRequest, IqScope, Module, ModuleContext, ModuleSpec, Registrar};
use crate::router::BoxFuture;
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{Element, ns};
use std::time::Duration;

/// The loaded mod_ping.
#[derive(Debug)]
pub struct Ping {
    /// Pings sent to clients every this often (`None` = none), as configured.
    pub interval: Option<Duration>,
}

impl ModuleSpec for Ping {
    const NAME: &'static str = "mod_ping";
    const IGNORED_OPTIONS: &'static [&'static str] =
        &["iqdisc", "timeout_action", "ping_req_timeout"];
    type Config = Option<Duration>;
    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Self::Config {
        let send = s.get_or("send_pings", false, diag);
        let every = s.get_or("ping_interval", Positive(60), diag);
        send.then(|| Duration::from_secs(every.0))
    }
    fn build(config: &Self::Config, _cx: &ModuleContext) -> Self {
        Ping { interval: *config }
    }
}

impl Module for Ping {
    fn register(&self, r: &mut Registrar) {
        r.iq(IqScope::Server, ns::PING, "ping");
        r.iq(IqScope::User, ns::PING, "ping");
        r.disco_feature(IqScope::Server, ns::PING);
    }
    fn handle_iq<'a>(&'a self, req: IqRequest<'a>) -> BoxFuture<'a, Option<Element>> {
        Box::pin(async move {
            Some(if req.set {
                req.error(cond::SERVICE_UNAVAILABLE)
            } else {
                req.result()
            })
        })
    }
}
