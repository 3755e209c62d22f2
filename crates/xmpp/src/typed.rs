//! The boundary to typed XEP payloads from [`xmpp_parsers`].
//!
//! Stanzas travel through meerkat as [`Element`]s. Modules that handle a XEP
//! payload xmpp-parsers models (MAM, RSM, data forms, MUC, delay, forwarding,
//! stanza-id, blocking, stream management, carbons…) convert it here, at the
//! module boundary, instead of walking or building `Element` chains by hand:
//!
//! ```
//! use meerkat_xmpp::{Element, ParseLimits, typed};
//! use xmpp_parsers::ping::Ping;
//!
//! let el = Element::parse_str("<ping xmlns='urn:xmpp:ping'/>", &ParseLimits::default()).unwrap();
//! let _ping: Ping = typed::to_typed(&el).unwrap();
//! let back = typed::from_typed(Ping);
//! assert_eq!(back, el);
//! ```
//!
//! xmpp-parsers works on [`minidom::Element`], so the conversion goes through
//! it: [`to_minidom`] / [`into_minidom`] and [`from_minidom`] map names,
//! namespaces, attributes (namespaced ones included) and child nodes one to
//! one, in order. Both trees use the same `rxml` 0.14 types for namespaces and
//! names, and both crates use the same `jid` 0.12 `Jid`, so JIDs cross the
//! boundary unchanged.
//!
//! Parsing never panics: a payload that is not the expected element gives
//! [`TypedError::Mismatch`], a malformed one [`TypedError::Invalid`].
//! Serializing a typed value ([`from_typed`]) relies on xmpp-parsers'
//! `Into<minidom::Element>`, which panics if the value cannot be written as
//! XML (xso's `panicking-into-impl`): build typed values from checked data.
//!
//! xmpp-parsers writes what it types its own way (`+00:00` for `Z`, a
//! message's `xml:lang` on its body, an explicit presence priority, unknown
//! attributes discarded): a stanza that is only carried (forwarded in a
//! carbon or a MAM result) stays an [`Element`].

use minidom::Node as MiniNode;
use rxml::{NcName, NcNameStr};
use xmpp_parsers::FromElementError;

use crate::element::{Attr, Element, Name, Node, make_ns};

/// Why an [`Element`] could not be converted to a typed payload.
#[derive(Debug, thiserror::Error)]
pub enum TypedError {
    /// An element or attribute name that is not a valid XML NCName (only
    /// possible for elements built with the API, never for parsed ones).
    #[error("invalid XML name {0:?}")]
    InvalidName(String),
    /// The element is not the payload asked for (other name or namespace).
    #[error("expected a different element, got <{name}/> in namespace {ns:?}")]
    Mismatch {
        /// Local name of the element.
        name: String,
        /// Namespace of the element.
        ns: String,
    },
    /// The element is the payload asked for, but malformed.
    #[error("invalid payload: {0}")]
    Invalid(#[source] xmpp_parsers::Error),
}

impl From<FromElementError> for TypedError {
    fn from(e: FromElementError) -> TypedError {
        match e {
            FromElementError::Mismatch(el) => TypedError::Mismatch {
                name: el.name().to_owned(),
                ns: el.ns(),
            },
            FromElementError::Invalid(e) => TypedError::Invalid(e),
        }
    }
}

/// Converts `el` to the typed payload `T` (e.g.
/// `xmpp_parsers::mam::Query`, `xmpp_parsers::carbons::Received`).
///
/// Copies the tree; use [`into_typed`] when `el` is no longer needed.
pub fn to_typed<T>(el: &Element) -> Result<T, TypedError>
where
    T: TryFrom<minidom::Element, Error = FromElementError>,
{
    Ok(T::try_from(to_minidom(el)?)?)
}

/// Converts `el` to the typed payload `T`, consuming it (no copy of its
/// names, attribute values and text).
pub fn into_typed<T>(el: Element) -> Result<T, TypedError>
where
    T: TryFrom<minidom::Element, Error = FromElementError>,
{
    Ok(T::try_from(into_minidom(el)?)?)
}

/// Converts a typed payload to an [`Element`], ready to be sent or appended
/// to a stanza.
pub fn from_typed<T: Into<minidom::Element>>(value: T) -> Element {
    from_minidom(value.into())
}

fn check_element_name(name: &str) -> Result<(), TypedError> {
    <&NcNameStr>::try_from(name)
        .map(|_| ())
        .map_err(|_| TypedError::InvalidName(name.to_owned()))
}

/// The attribute's local name as an `NcName` (without the `xml:` prefix kept
/// for XML-namespace attributes); short names stay inline, no allocation.
fn attr_name(a: &Attr) -> Result<NcName, TypedError> {
    NcName::try_from(a.name()).map_err(|_| TypedError::InvalidName(a.name().to_owned()))
}

/// Converts an [`Element`] to a [`minidom::Element`], copying it.
pub fn to_minidom(el: &Element) -> Result<minidom::Element, TypedError> {
    check_element_name(&el.name)?;
    let mut out = minidom::Element::bare(el.name.as_str(), el.ns.as_str());
    for a in &el.attrs {
        out.set_attr(a.ns.clone(), attr_name(a)?, a.value.as_str());
    }
    for node in &el.nodes {
        match node {
            Node::Element(child) => {
                out.append_child(to_minidom(child)?);
            }
            Node::Text(text) => out.append_text_node(text.as_str()),
        }
    }
    Ok(out)
}

/// Converts an [`Element`] to a [`minidom::Element`], moving its attribute
/// values and text.
pub fn into_minidom(el: Element) -> Result<minidom::Element, TypedError> {
    check_element_name(&el.name)?;
    let mut out = minidom::Element::bare(el.name.as_str(), el.ns.as_str());
    for a in el.attrs {
        let name = attr_name(&a)?;
        out.set_attr(a.ns, name, a.value);
    }
    for node in el.nodes {
        match node {
            Node::Element(child) => {
                out.append_child(into_minidom(child)?);
            }
            Node::Text(text) => out.append_text_node(text),
        }
    }
    Ok(out)
}

/// Converts a [`minidom::Element`] to an [`Element`].
///
/// Adjacent text nodes are merged and empty ones dropped, as everywhere in
/// [`Element`].
pub fn from_minidom(mut el: minidom::Element) -> Element {
    let attrs = std::mem::take(el.attrs_mut());
    let nodes = el.take_nodes();
    let mut out = Element {
        name: Name::from(el.name()),
        ns: make_ns(el.ns()),
        attrs: Vec::with_capacity(attrs.len()),
        nodes: Vec::with_capacity(nodes.len()),
    };
    for ((ns, name), value) in attrs {
        out.attrs.push(Attr::from_parts(ns, name.into(), value));
    }
    for node in nodes {
        match node {
            MiniNode::Element(child) => out.nodes.push(Node::Element(from_minidom(child))),
            MiniNode::Text(text) => out.append_text(text),
        }
    }
    out
}
