//! XML namespace constants used by XMPP.

/// `jabber:client`: the default namespace of client-to-server streams (RFC 6120 §4.8.2).
pub const CLIENT: &str = "jabber:client";
/// `http://etherx.jabber.org/streams`: the stream namespace, usually bound to the
/// `stream:` prefix (RFC 6120 §4.8.1).
pub const STREAM: &str = "http://etherx.jabber.org/streams";
/// `urn:ietf:params:xml:ns:xmpp-framing`: XMPP over WebSocket framing (`<open/>`,
/// `<close/>`) (RFC 7395 §3.3).
pub const FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";
/// `urn:ietf:params:xml:ns:xmpp-tls`: STARTTLS negotiation (RFC 6120 §5).
pub const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// `urn:ietf:params:xml:ns:xmpp-sasl`: SASL negotiation (RFC 6120 §6).
pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
/// `urn:ietf:params:xml:ns:xmpp-bind`: resource binding (RFC 6120 §7).
pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
/// `urn:ietf:params:xml:ns:xmpp-session`: legacy session establishment
/// (RFC 3921 §3, kept as an optional feature per draft-cridland-xmpp-session).
pub const SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
/// `urn:ietf:params:xml:ns:xmpp-stanzas`: stanza error conditions (RFC 6120 §8.3).
pub const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
/// `urn:ietf:params:xml:ns:xmpp-streams`: stream error conditions (RFC 6120 §4.9).
pub const STREAMS_ERR: &str = "urn:ietf:params:xml:ns:xmpp-streams";
/// `jabber:iq:roster`: roster management (RFC 6121 §2).
pub const ROSTER: &str = "jabber:iq:roster";
/// `urn:xmpp:features:rosterver`: roster versioning stream feature (RFC 6121 §2.6).
pub const ROSTERVER: &str = "urn:xmpp:features:rosterver";
/// `http://jabber.org/protocol/disco#info`: service discovery, info (XEP-0030).
pub const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
/// `http://jabber.org/protocol/disco#items`: service discovery, items (XEP-0030).
pub const DISCO_ITEMS: &str = "http://jabber.org/protocol/disco#items";
/// `urn:xmpp:ping`: XMPP ping (XEP-0199).
pub const PING: &str = "urn:xmpp:ping";
/// `vcard-temp`: vCards (XEP-0054).
pub const VCARD: &str = "vcard-temp";
/// `jabber:iq:private`: private XML storage (XEP-0049).
pub const PRIVATE: &str = "jabber:iq:private";
/// `jabber:iq:last`: last activity (XEP-0012).
pub const LAST: &str = "jabber:iq:last";
/// `jabber:iq:version`: software version (XEP-0092).
pub const VERSION: &str = "jabber:iq:version";
/// `urn:xmpp:carbons:2`: message carbons (XEP-0280).
pub const CARBONS: &str = "urn:xmpp:carbons:2";
/// `urn:xmpp:forward:0`: stanza forwarding (XEP-0297).
pub const FORWARD: &str = "urn:xmpp:forward:0";
/// `urn:xmpp:delay`: delayed delivery (XEP-0203).
pub const DELAY: &str = "urn:xmpp:delay";
/// `urn:xmpp:sm:3`: stream management (XEP-0198).
pub const SM: &str = "urn:xmpp:sm:3";
/// `http://jabber.org/protocol/httpbind`: BOSH `<body/>` wrapper (XEP-0124).
pub const HTTPBIND: &str = "http://jabber.org/protocol/httpbind";
/// `urn:xmpp:xbosh`: XMPP over BOSH attributes such as `xmpp:version`,
/// conventionally bound to the `xmpp:` prefix (XEP-0206).
pub const XBOSH: &str = "urn:xmpp:xbosh";
/// `http://www.w3.org/XML/1998/namespace`: the XML namespace (`xml:lang`),
/// always bound to the `xml:` prefix (Namespaces in XML 1.0 §3).
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
/// `http://www.w3.org/2000/xmlns/`: the namespace of namespace declarations;
/// it never appears on elements or ordinary attributes (Namespaces in XML 1.0 §3).
pub const XMLNS: &str = "http://www.w3.org/2000/xmlns/";

/// Returns the `'static` copy of a well-known namespace, so that elements
/// built with it share the constant instead of allocating.
pub(crate) fn intern(ns: &str) -> Option<&'static str> {
    Some(match ns {
        "" => "",
        CLIENT => CLIENT,
        STREAM => STREAM,
        FRAMING => FRAMING,
        TLS => TLS,
        SASL => SASL,
        BIND => BIND,
        SESSION => SESSION,
        STANZAS => STANZAS,
        STREAMS_ERR => STREAMS_ERR,
        ROSTER => ROSTER,
        ROSTERVER => ROSTERVER,
        DISCO_INFO => DISCO_INFO,
        DISCO_ITEMS => DISCO_ITEMS,
        PING => PING,
        VCARD => VCARD,
        PRIVATE => PRIVATE,
        LAST => LAST,
        VERSION => VERSION,
        CARBONS => CARBONS,
        FORWARD => FORWARD,
        DELAY => DELAY,
        SM => SM,
        HTTPBIND => HTTPBIND,
        XBOSH => XBOSH,
        XML => XML,
        XMLNS => XMLNS,
        _ => return None,
    })
}

/// Conventional prefix for a namespace used on attributes (`xmpp:` for
/// [`XBOSH`], `stream:` for [`STREAM`]), as some clients look attributes up
/// by their prefixed name.
pub(crate) fn preferred_prefix(ns: &str) -> Option<&'static str> {
    match ns {
        XBOSH => Some("xmpp"),
        STREAM => Some("stream"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intern_returns_same_text() {
        for ns in [CLIENT, STREAM, XBOSH, XML, ""] {
            // A heap copy: the result is a 'static str equal to it.
            let owned = String::from(ns);
            let interned: &'static str = intern(&owned).unwrap();
            assert_eq!(interned, ns);
        }
        assert_eq!(intern("urn:example"), None);
    }

    #[test]
    fn required_values() {
        assert_eq!(CLIENT, "jabber:client");
        assert_eq!(FRAMING, "urn:ietf:params:xml:ns:xmpp-framing");
        assert_eq!(HTTPBIND, "http://jabber.org/protocol/httpbind");
        assert_eq!(XML, rxml::XMLNS_XML);
        assert_eq!(XMLNS, rxml::XMLNS_XMLNS);
    }
}
