//! IQs the server answers itself: addressed to a served domain, or to a user's bare JID
//! (on the user's behalf). Each goes to the module that declared its payload
//! ([`crate::module::Registrar::iq`]); a payload nobody handles gets
//! `service-unavailable` (RFC 6120 8.4).

use crate::Server;
use crate::module::{IqRequest, IqScope};
use meerkat_xmpp::stanza::cond;
use meerkat_xmpp::{Element, Jid, ns};

fn error(iq: &Element, condition: &str) -> Option<Element> {
    Some(crate::module::iq_error(iq, condition))
}

/// The payload of an IQ get/set: its one child element.
fn payload(iq: &Element) -> Option<&Element> {
    let mut it = iq.children();
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

/// Answers an IQ addressed to the server's domain. `None` = nothing to send back.
pub async fn server_iq(server: &Server, from: &Jid, to: &Jid, iq: &Element) -> Option<Element> {
    dispatch(server, IqScope::Server, from, to, iq).await
}

/// Answers an IQ addressed to a user's bare JID, on the user's behalf.
pub async fn user_iq(server: &Server, from: &Jid, to: &Jid, iq: &Element) -> Option<Element> {
    let ty = iq.attr("type").unwrap_or("");
    if ty != "get" && ty != "set" {
        return None;
    }
    if !server.user_exists(&to.to_bare()).await.unwrap_or(false) {
        return error(iq, cond::SERVICE_UNAVAILABLE);
    }
    dispatch(server, IqScope::User, from, to, iq).await
}

async fn dispatch(
    server: &Server,
    scope: IqScope,
    from: &Jid,
    to: &Jid,
    iq: &Element,
) -> Option<Element> {
    let ty = iq.attr("type").unwrap_or("");
    if ty != "get" && ty != "set" {
        return None;
    }
    let Some(p) = payload(iq) else {
        return error(iq, cond::BAD_REQUEST);
    };
    if let Some(module) = server.modules().iq_handler(scope, p) {
        let req = IqRequest {
            server,
            from,
            to,
            iq,
            payload: p,
            set: ty == "set",
        };
        return module.handle_iq(req).await;
    }
    // Nobody may read or change another user's roster (RFC 6121 2.1.5).
    if scope == IqScope::User && p.is("query", ns::ROSTER) && from.to_bare() != to.to_bare() {
        return error(iq, cond::FORBIDDEN);
    }
    error(iq, cond::SERVICE_UNAVAILABLE)
}
