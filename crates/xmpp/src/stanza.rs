//! Helpers to build stanza errors (RFC 6120 §8.3), stream errors
//! (RFC 6120 §4.9) and IQ results.

use crate::element::Element;
use crate::ns;

/// Stanza error type (RFC 6120 §8.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorType {
    /// Do not retry (the error cannot be remedied).
    Cancel,
    /// Proceed (the condition was only a warning).
    Continue,
    /// Retry after changing the data sent.
    Modify,
    /// Retry after providing credentials.
    Auth,
    /// Retry after waiting (the error is temporary).
    Wait,
}

impl ErrorType {
    /// The value of the `type` attribute, e.g. `"cancel"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Cancel => "cancel",
            ErrorType::Continue => "continue",
            ErrorType::Modify => "modify",
            ErrorType::Auth => "auth",
            ErrorType::Wait => "wait",
        }
    }

    /// Parses the value of the `type` attribute.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "cancel" => ErrorType::Cancel,
            "continue" => ErrorType::Continue,
            "modify" => ErrorType::Modify,
            "auth" => ErrorType::Auth,
            "wait" => ErrorType::Wait,
            _ => return None,
        })
    }

    /// The error type RFC 6120 §8.3.3 suggests for a defined stanza error
    /// condition (`Cancel` for unknown conditions).
    pub fn default_for(condition: &str) -> Self {
        match condition {
            cond::BAD_REQUEST
            | cond::JID_MALFORMED
            | cond::NOT_ACCEPTABLE
            | cond::POLICY_VIOLATION
            | cond::REDIRECT => ErrorType::Modify,
            cond::FORBIDDEN
            | cond::NOT_AUTHORIZED
            | cond::REGISTRATION_REQUIRED
            | cond::SUBSCRIPTION_REQUIRED => ErrorType::Auth,
            cond::RECIPIENT_UNAVAILABLE
            | cond::REMOTE_SERVER_TIMEOUT
            | cond::RESOURCE_CONSTRAINT
            | cond::UNEXPECTED_REQUEST => ErrorType::Wait,
            _ => ErrorType::Cancel,
        }
    }
}

/// Defined stanza error conditions (RFC 6120 §8.3.3), in [`ns::STANZAS`].
pub mod cond {
    /// `bad-request`
    pub const BAD_REQUEST: &str = "bad-request";
    /// `conflict`
    pub const CONFLICT: &str = "conflict";
    /// `feature-not-implemented`
    pub const FEATURE_NOT_IMPLEMENTED: &str = "feature-not-implemented";
    /// `forbidden`
    pub const FORBIDDEN: &str = "forbidden";
    /// `gone`
    pub const GONE: &str = "gone";
    /// `internal-server-error`
    pub const INTERNAL_SERVER_ERROR: &str = "internal-server-error";
    /// `item-not-found`
    pub const ITEM_NOT_FOUND: &str = "item-not-found";
    /// `jid-malformed`
    pub const JID_MALFORMED: &str = "jid-malformed";
    /// `not-acceptable`
    pub const NOT_ACCEPTABLE: &str = "not-acceptable";
    /// `not-allowed`
    pub const NOT_ALLOWED: &str = "not-allowed";
    /// `not-authorized`
    pub const NOT_AUTHORIZED: &str = "not-authorized";
    /// `policy-violation`
    pub const POLICY_VIOLATION: &str = "policy-violation";
    /// `recipient-unavailable`
    pub const RECIPIENT_UNAVAILABLE: &str = "recipient-unavailable";
    /// `redirect`
    pub const REDIRECT: &str = "redirect";
    /// `registration-required`
    pub const REGISTRATION_REQUIRED: &str = "registration-required";
    /// `remote-server-not-found`
    pub const REMOTE_SERVER_NOT_FOUND: &str = "remote-server-not-found";
    /// `remote-server-timeout`
    pub const REMOTE_SERVER_TIMEOUT: &str = "remote-server-timeout";
    /// `resource-constraint`
    pub const RESOURCE_CONSTRAINT: &str = "resource-constraint";
    /// `service-unavailable`
    pub const SERVICE_UNAVAILABLE: &str = "service-unavailable";
    /// `subscription-required`
    pub const SUBSCRIPTION_REQUIRED: &str = "subscription-required";
    /// `undefined-condition`
    pub const UNDEFINED_CONDITION: &str = "undefined-condition";
    /// `unexpected-request`
    pub const UNEXPECTED_REQUEST: &str = "unexpected-request";
}

/// Defined stream error conditions (RFC 6120 §4.9.3), in [`ns::STREAMS_ERR`].
pub mod stream_cond {
    /// `bad-format`
    pub const BAD_FORMAT: &str = "bad-format";
    /// `bad-namespace-prefix`
    pub const BAD_NAMESPACE_PREFIX: &str = "bad-namespace-prefix";
    /// `conflict`
    pub const CONFLICT: &str = "conflict";
    /// `connection-timeout`
    pub const CONNECTION_TIMEOUT: &str = "connection-timeout";
    /// `host-gone`
    pub const HOST_GONE: &str = "host-gone";
    /// `host-unknown`
    pub const HOST_UNKNOWN: &str = "host-unknown";
    /// `improper-addressing`
    pub const IMPROPER_ADDRESSING: &str = "improper-addressing";
    /// `internal-server-error`
    pub const INTERNAL_SERVER_ERROR: &str = "internal-server-error";
    /// `invalid-from`
    pub const INVALID_FROM: &str = "invalid-from";
    /// `invalid-namespace`
    pub const INVALID_NAMESPACE: &str = "invalid-namespace";
    /// `invalid-xml`
    pub const INVALID_XML: &str = "invalid-xml";
    /// `not-authorized`
    pub const NOT_AUTHORIZED: &str = "not-authorized";
    /// `not-well-formed`
    pub const NOT_WELL_FORMED: &str = "not-well-formed";
    /// `policy-violation`
    pub const POLICY_VIOLATION: &str = "policy-violation";
    /// `remote-connection-failed`
    pub const REMOTE_CONNECTION_FAILED: &str = "remote-connection-failed";
    /// `reset`
    pub const RESET: &str = "reset";
    /// `resource-constraint`
    pub const RESOURCE_CONSTRAINT: &str = "resource-constraint";
    /// `restricted-xml`
    pub const RESTRICTED_XML: &str = "restricted-xml";
    /// `see-other-host`
    pub const SEE_OTHER_HOST: &str = "see-other-host";
    /// `system-shutdown`
    pub const SYSTEM_SHUTDOWN: &str = "system-shutdown";
    /// `undefined-condition`
    pub const UNDEFINED_CONDITION: &str = "undefined-condition";
    /// `unsupported-encoding`
    pub const UNSUPPORTED_ENCODING: &str = "unsupported-encoding";
    /// `unsupported-feature`
    pub const UNSUPPORTED_FEATURE: &str = "unsupported-feature";
    /// `unsupported-stanza-type`
    pub const UNSUPPORTED_STANZA_TYPE: &str = "unsupported-stanza-type";
    /// `unsupported-version`
    pub const UNSUPPORTED_VERSION: &str = "unsupported-version";
}

/// Copies `from`/`to` of `stanza` swapped onto `reply`.
fn swap_addresses(stanza: &Element, reply: &mut Element) {
    if let Some(to) = stanza.attr("to") {
        reply.set_attr("from", to);
    }
    if let Some(from) = stanza.attr("from") {
        reply.set_attr("to", from);
    }
}

/// Builds the error reply for a stanza (RFC 6120 §8.3): same name,
/// namespace, attributes (`id`, `xml:lang`, …) and children, `from`/`to`
/// swapped, `type='error'`, and an appended
/// `<error type='…'><condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>[<text>…</text>]</error>`.
///
/// Per RFC 6120 §8.3.1 callers must not reply to a stanza that is itself of
/// type `error`.
pub fn error_reply(
    stanza: &Element,
    error_type: ErrorType,
    condition: &str,
    text: Option<&str>,
) -> Element {
    let mut reply = stanza.clone();
    reply.remove_attr("from");
    reply.remove_attr("to");
    reply.set_attr("type", "error");
    swap_addresses(stanza, &mut reply);
    let mut error = Element::new("error", stanza.ns())
        .with_attr("type", error_type.as_str())
        .with_child(Element::new(condition, ns::STANZAS));
    if let Some(text) = text {
        error.append_child(Element::new("text", ns::STANZAS).with_text(text));
    }
    reply.append_child(error);
    reply
}

/// The `<stream:error/>` element: named `error` in [`ns::STREAM`], with
/// `<condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>` and an optional
/// `<text/>`. Serializes as
/// `<stream:error xmlns:stream='http://etherx.jabber.org/streams'>…</stream:error>`.
pub fn stream_error(condition: &str, text: Option<&str>) -> Element {
    let mut error =
        Element::new("error", ns::STREAM).with_child(Element::new(condition, ns::STREAMS_ERR));
    if let Some(text) = text {
        error.append_child(Element::new("text", ns::STREAMS_ERR).with_text(text));
    }
    error
}

/// An empty `type='result'` reply to an IQ: same namespace and `id`,
/// `from`/`to` swapped.
pub fn iq_result(iq: &Element) -> Element {
    let mut reply = Element::new("iq", iq.ns());
    if let Some(id) = iq.attr("id") {
        reply.set_attr("id", id);
    }
    reply.set_attr("type", "result");
    swap_addresses(iq, &mut reply);
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::ParseLimits;

    #[test]
    fn error_types() {
        for t in [
            ErrorType::Cancel,
            ErrorType::Continue,
            ErrorType::Modify,
            ErrorType::Auth,
            ErrorType::Wait,
        ] {
            assert_eq!(ErrorType::from_name(t.as_str()), Some(t));
        }
        assert_eq!(ErrorType::from_name("Cancel"), None);
        assert_eq!(ErrorType::default_for(cond::BAD_REQUEST), ErrorType::Modify);
        assert_eq!(
            ErrorType::default_for(cond::NOT_AUTHORIZED),
            ErrorType::Auth
        );
        assert_eq!(
            ErrorType::default_for(cond::RESOURCE_CONSTRAINT),
            ErrorType::Wait
        );
        assert_eq!(
            ErrorType::default_for(cond::SERVICE_UNAVAILABLE),
            ErrorType::Cancel
        );
    }

    #[test]
    fn error_reply_shape() {
        let iq = Element::parse_str(
            "<iq xmlns='jabber:client' type='get' id='q1' from='a@b/r' to='b' xml:lang='en'>\
             <query xmlns='jabber:iq:version'/></iq>",
            &ParseLimits::default(),
        )
        .unwrap();
        let reply = error_reply(
            &iq,
            ErrorType::Cancel,
            cond::SERVICE_UNAVAILABLE,
            Some("nope & <no>"),
        );
        assert_eq!(reply.attr("from"), Some("b"));
        assert_eq!(reply.attr("to"), Some("a@b/r"));
        assert_eq!(reply.attr("type"), Some("error"));
        assert_eq!(reply.attr("id"), Some("q1"));
        assert_eq!(reply.attr("xml:lang"), Some("en"));
        assert!(reply.has_child("query", ns::VERSION));
        let err = reply.get_child("error", ns::CLIENT).unwrap();
        assert_eq!(err.attr("type"), Some("cancel"));
        assert!(err.has_child("service-unavailable", ns::STANZAS));
        assert_eq!(
            err.get_child("text", ns::STANZAS).unwrap().text(),
            "nope & <no>"
        );
        assert_eq!(
            reply.to_xml(),
            "<iq xmlns='jabber:client' id='q1' type='error' xml:lang='en' from='b' to='a@b/r'>\
             <query xmlns='jabber:iq:version'/><error type='cancel'>\
             <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>nope &amp; &lt;no&gt;</text>\
             </error></iq>"
        );

        // Without addresses or text.
        let msg = Element::new("message", ns::CLIENT).with_attr("to", "x@y");
        let reply = error_reply(&msg, ErrorType::Wait, cond::RECIPIENT_UNAVAILABLE, None);
        assert_eq!(reply.attr("from"), Some("x@y"));
        assert_eq!(reply.attr("to"), None);
        assert_eq!(
            reply.to_xml(),
            "<message xmlns='jabber:client' type='error' from='x@y'><error type='wait'>\
             <recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"
        );
    }

    #[test]
    fn stream_error_shape() {
        let e = stream_error(stream_cond::NOT_WELL_FORMED, None);
        assert!(e.is("error", ns::STREAM));
        assert_eq!(
            e.to_xml(),
            "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>\
             <not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
        );
        let e = stream_error(stream_cond::POLICY_VIOLATION, Some("too fast"));
        assert_eq!(
            e.get_child("text", ns::STREAMS_ERR).unwrap().text(),
            "too fast"
        );
        assert_eq!(
            Element::parse_str(&e.to_xml(), &ParseLimits::default()).unwrap(),
            e
        );
    }

    #[test]
    fn iq_result_shape() {
        let iq = Element::new("iq", ns::CLIENT)
            .with_attr("id", "p1")
            .with_attr("type", "get")
            .with_attr("from", "a@b/c")
            .with_attr("to", "b")
            .with_child(Element::new("ping", ns::PING));
        let r = iq_result(&iq);
        assert_eq!(
            r.to_xml(),
            "<iq xmlns='jabber:client' id='p1' type='result' from='b' to='a@b/c'/>"
        );
        let r = iq_result(&Element::new("iq", ns::CLIENT));
        assert_eq!(r.to_xml(), "<iq xmlns='jabber:client' type='result'/>");
    }
}
