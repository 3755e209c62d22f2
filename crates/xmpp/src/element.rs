//! An owned XML element tree and its serializer.
//!
//! [`Element`] is a namespace-resolved element: it knows its local name and
//! namespace URI, never a prefix. Serialization ([`Element::to_xml`],
//! [`Element::write_xml`]) picks prefixes itself:
//!
//! * an element's namespace is written as a default namespace declaration
//!   (`xmlns='…'`), omitted when equal to the parent's;
//! * elements in the stream namespace ([`ns::STREAM`]) are written with the
//!   conventional `stream:` prefix (`<stream:features xmlns:stream='…'>`),
//!   as XMPP clients expect;
//! * attributes in the XML namespace are written as `xml:lang` etc. without a
//!   declaration; other namespaced attributes get a prefix declared on the
//!   element that uses it (`xmpp:` for [`ns::XBOSH`], otherwise `ns0`, `ns1`…).
//!
//! Text nodes are normalized on insertion: adjacent text is merged and empty
//! text is dropped, so that an element built with the API and the element
//! parsed back from its serialization compare equal.

use std::fmt::{self, Write as _};

use rxml::Namespace;
use rxml::strings::CompactString;

use crate::ns;

/// Storage for element and attribute names: short names are stored inline.
pub(crate) type Name = CompactString;

/// An XML element: local name, namespace URI, attributes and child nodes.
///
/// Equality ignores the order of attributes (XML attributes are unordered)
/// but not the order of child nodes.
#[derive(Clone, Debug)]
pub struct Element {
    pub(crate) name: Name,
    pub(crate) ns: Namespace<'static>,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) nodes: Vec<Node>,
}

/// A child node of an [`Element`]: either an element or character data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (already unescaped).
    Text(String),
}

/// One attribute of an [`Element`], as returned by [`Element::all_attrs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub(crate) ns: Namespace<'static>,
    /// Unnamespaced attributes and those in other namespaces: the local name.
    /// Attributes in the XML namespace: `xml:` + local name (e.g. `xml:lang`),
    /// so that [`Element::attrs`] can hand out the prefixed name by reference.
    pub(crate) name: Name,
    pub(crate) value: String,
}

impl Attr {
    /// Namespace URI of the attribute; `""` for ordinary (unnamespaced) attributes.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// Local name of the attribute (`lang` for `xml:lang`).
    pub fn name(&self) -> &str {
        if self.is_xml() {
            self.name.strip_prefix("xml:").unwrap_or(&self.name)
        } else {
            &self.name
        }
    }

    /// Attribute value (already unescaped).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Builds an attribute from its resolved namespace and local name.
    pub(crate) fn from_parts(ns: Namespace<'static>, local: Name, value: String) -> Attr {
        let name = if &*ns == ns::XML {
            let mut n = Name::from("xml:");
            n.push_str(&local);
            n
        } else {
            local
        };
        Attr { ns, name, value }
    }

    fn is_xml(&self) -> bool {
        &*self.ns == ns::XML
    }

    /// The key used by [`Element::attr`]: the local name for unnamespaced
    /// attributes, `xml:name` for XML-namespace ones, `None` for others.
    fn plain_key(&self) -> Option<&str> {
        if self.ns.is_none() || self.is_xml() {
            Some(&self.name)
        } else {
            None
        }
    }
}

/// Builds a namespace value, sharing well-known namespaces instead of allocating.
pub(crate) fn make_ns(ns: String) -> Namespace<'static> {
    match ns::intern(&ns) {
        Some(s) => Namespace::from_str(s),
        None => Namespace::from(ns),
    }
}

/// Builds an attribute from a name as accepted by [`Element::set_attr`].
fn plain_attr(name: String, value: String) -> Attr {
    let ns = if name.starts_with("xml:") {
        Namespace::XML
    } else {
        Namespace::NONE
    };
    Attr {
        ns,
        name: Name::from(name),
        value,
    }
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        // Attributes are unique per (ns, name), so equal length plus inclusion
        // means set equality.
        self.name == other.name
            && self.ns == other.ns
            && self.attrs.len() == other.attrs.len()
            && self.attrs.iter().all(|a| other.attrs.contains(a))
            && self.nodes == other.nodes
    }
}

impl Eq for Element {}

impl From<Element> for Node {
    fn from(e: Element) -> Node {
        Node::Element(e)
    }
}

impl Node {
    /// The element, if this node is one.
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        }
    }

    /// The text, if this node is character data.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Node::Text(t) => Some(t),
            Node::Element(_) => None,
        }
    }
}

impl Element {
    /// Creates an empty element with local name `name` in namespace `ns`
    /// (`""` for no namespace).
    ///
    /// The name should be a valid XML NCName (no colon, no prefix); elements
    /// with invalid names are left out by the serializer.
    pub fn new(name: impl Into<String>, ns: impl Into<String>) -> Element {
        Element {
            name: Name::from(name.into()),
            ns: make_ns(ns.into()),
            attrs: Vec::new(),
            nodes: Vec::new(),
        }
    }

    /// Builder: sets attribute `name` (see [`Element::set_attr`]) and returns the element.
    pub fn with_attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Element {
        self.set_attr(name, value);
        self
    }

    /// Builder: appends a child element and returns the element.
    pub fn with_child(mut self, child: Element) -> Element {
        self.nodes.push(Node::Element(child));
        self
    }

    /// Builder: appends text (see [`Element::append_text`]) and returns the element.
    pub fn with_text(mut self, text: impl Into<String>) -> Element {
        self.append_text(text);
        self
    }

    /// Local name of the element (never prefixed).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Namespace URI of the element; `""` when no namespace applies.
    pub fn ns(&self) -> &str {
        &self.ns
    }

    /// Whether the element has local name `name` and namespace `ns`.
    pub fn is(&self, name: &str, ns: &str) -> bool {
        *self.name == *name && *self.ns == *ns
    }

    /// Value of the unnamespaced attribute `name`; `"xml:lang"` (or any
    /// `xml:`-prefixed name) addresses the XML namespace.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.plain_key() == Some(name))
            .map(|a| a.value.as_str())
    }

    /// Value of the attribute with local name `name` in namespace `ns`
    /// (e.g. `(ns::XBOSH, "version")` for `xmpp:version`). `ns == ""` is the
    /// same as [`Element::attr`].
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        if ns.is_empty() {
            return self.attr(name);
        }
        self.attrs
            .iter()
            .find(|a| *a.ns == *ns && a.name() == name)
            .map(|a| a.value.as_str())
    }

    /// Sets (or replaces) an unnamespaced attribute; a name starting with
    /// `xml:` sets the attribute in the XML namespace (e.g. `xml:lang`).
    ///
    /// Namespaces are not attributes: use [`Element::new`] to choose the
    /// element's namespace. Attributes whose name is not a valid NCName
    /// (including `xmlns` and other prefixed names) are left out by the
    /// serializer.
    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        if let Some(a) = self
            .attrs
            .iter_mut()
            .find(|a| a.plain_key() == Some(name.as_str()))
        {
            a.value = value;
        } else {
            self.attrs.push(plain_attr(name, value));
        }
    }

    /// Sets (or replaces) the attribute with local name `name` in namespace
    /// `ns` (e.g. `(ns::XBOSH, "version")`); `ns == ""` is the same as
    /// [`Element::set_attr`].
    pub fn set_attr_ns(
        &mut self,
        ns: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) {
        let ns = ns.into();
        let name = name.into();
        let value = value.into();
        if ns.is_empty() {
            return self.set_attr(name, value);
        }
        if let Some(a) = self
            .attrs
            .iter_mut()
            .find(|a| *a.ns == *ns && a.name() == name)
        {
            a.value = value;
            return;
        }
        self.attrs
            .push(Attr::from_parts(make_ns(ns), Name::from(name), value));
    }

    /// Removes an attribute addressed like in [`Element::attr`], returning its value.
    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let idx = self
            .attrs
            .iter()
            .position(|a| a.plain_key() == Some(name))?;
        Some(self.attrs.remove(idx).value)
    }

    /// Unnamespaced attributes (and XML-namespace ones as `xml:name`) as
    /// `(name, value)` pairs, in insertion/document order.
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs
            .iter()
            .filter_map(|a| a.plain_key().map(|k| (k, a.value.as_str())))
    }

    /// All attributes, including namespaced ones.
    pub fn all_attrs(&self) -> impl Iterator<Item = &Attr> {
        self.attrs.iter()
    }

    /// All child nodes (elements and text) in document order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    /// Child elements in document order.
    pub fn children(&self) -> impl Iterator<Item = &Element> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements in document order, mutably.
    pub fn children_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.nodes.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// First child element with local name `name` in namespace `ns`.
    pub fn get_child(&self, name: &str, ns: &str) -> Option<&Element> {
        self.children().find(|e| e.is(name, ns))
    }

    /// First child element with local name `name` in namespace `ns`, mutably.
    pub fn get_child_mut(&mut self, name: &str, ns: &str) -> Option<&mut Element> {
        self.children_mut().find(|e| e.is(name, ns))
    }

    /// Whether a child element with local name `name` in namespace `ns` exists.
    pub fn has_child(&self, name: &str, ns: &str) -> bool {
        self.get_child(name, ns).is_some()
    }

    /// Removes and returns the first child element with local name `name` in
    /// namespace `ns`.
    pub fn remove_child(&mut self, name: &str, ns: &str) -> Option<Element> {
        let idx = self
            .nodes
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.is(name, ns)))?;
        match self.nodes.remove(idx) {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        }
    }

    /// Appends a child element and returns a reference to it.
    pub fn append_child(&mut self, child: Element) -> &mut Element {
        self.nodes.push(Node::Element(child));
        match self.nodes.last_mut() {
            Some(Node::Element(e)) => e,
            // The node pushed just above is an element.
            _ => unreachable!("last node is the element just pushed"),
        }
    }

    /// Appends character data. Empty text is ignored and text following a
    /// text node is merged into it.
    pub fn append_text(&mut self, text: impl Into<String>) {
        let text = text.into();
        if text.is_empty() {
            return;
        }
        match self.nodes.last_mut() {
            Some(Node::Text(t)) => t.push_str(&text),
            _ => self.nodes.push(Node::Text(text)),
        }
    }

    /// Removes all child nodes and returns the child elements (text is dropped).
    pub fn take_children(&mut self) -> Vec<Element> {
        std::mem::take(&mut self.nodes)
            .into_iter()
            .filter_map(|n| match n {
                Node::Element(e) => Some(e),
                Node::Text(_) => None,
            })
            .collect()
    }

    /// Concatenation of the direct text children.
    pub fn text(&self) -> String {
        let mut texts = self.nodes.iter().filter_map(Node::as_text);
        let Some(first) = texts.next() else {
            return String::new();
        };
        let mut out = first.to_owned();
        for t in texts {
            out.push_str(t);
        }
        out
    }

    /// Rewrites namespace `from` to `to` on this element and all descendant
    /// elements (attributes are untouched). Used to move stanzas between
    /// `jabber:client` and other contexts.
    pub fn set_ns_recursive(&mut self, from: &str, to: &str) {
        let to = make_ns(to.to_owned());
        self.set_ns_recursive_inner(from, &to);
    }

    fn set_ns_recursive_inner(&mut self, from: &str, to: &Namespace<'static>) {
        if *self.ns == *from {
            self.ns = to.clone();
        }
        for child in self.children_mut() {
            child.set_ns_recursive_inner(from, to);
        }
    }

    /// Serializes the element. The root always carries its namespace
    /// declaration; children omit `xmlns` when equal to their parent's.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(128);
        self.write_xml(&mut out, None);
        out
    }

    /// Serializes the element as a child of an element whose default
    /// namespace is `parent_ns` (`xmlns` is omitted if equal). With `None`,
    /// the namespace is always declared.
    ///
    /// An element whose name is not a valid NCName is not written at all
    /// (likewise for such children and attributes), so the output is always
    /// well-formed; characters XML 1.0 cannot represent are written as U+FFFD.
    pub fn write_xml(&self, out: &mut String, parent_ns: Option<&str>) {
        write_element(self, out, parent_ns, false);
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xml())
    }
}

fn is_ncname(s: &str) -> bool {
    rxml::strings::validate_ncname(s).is_ok()
}

/// A prefix chosen for a namespaced attribute.
#[derive(Clone, Copy)]
enum Prefix {
    Static(&'static str),
    Generated(usize),
}

fn push_prefix(out: &mut String, p: Prefix) {
    match p {
        Prefix::Static(s) => out.push_str(s),
        Prefix::Generated(n) => {
            // Writing to a String cannot fail.
            let _ = write!(out, "ns{n}");
        }
    }
}

/// Writes ` name='value'` with the value escaped.
fn push_attr(out: &mut String, name: &str, value: &str) {
    out.push(' ');
    out.push_str(name);
    out.push_str("='");
    escape_into(out, value, true);
    out.push('\'');
}

fn write_element(el: &Element, out: &mut String, default_ns: Option<&str>, stream_bound: bool) {
    if !is_ncname(&el.name) {
        return;
    }
    let el_ns: &str = &el.ns;
    let prefix = match el_ns {
        ns::STREAM => Some("stream"),
        ns::XML => Some("xml"),
        // No element can be in the xmlns namespace.
        ns::XMLNS => return,
        _ => None,
    };
    out.push('<');
    if let Some(p) = prefix {
        out.push_str(p);
        out.push(':');
    }
    out.push_str(&el.name);

    let mut child_default = default_ns;
    let mut child_stream = stream_bound;
    match prefix {
        Some("stream") => {
            if !stream_bound {
                push_attr(out, "xmlns:stream", ns::STREAM);
                child_stream = true;
            }
        }
        Some(_) => {}
        None => {
            if default_ns != Some(el_ns) {
                push_attr(out, "xmlns", el_ns);
            }
            child_default = Some(el_ns);
        }
    }

    // Prefixes declared on this element for namespaced attributes.
    let mut declared: Vec<(&str, Prefix)> = Vec::new();
    for a in &el.attrs {
        let a_ns: &str = &a.ns;
        if a_ns.is_empty() {
            if &*a.name == "xmlns" || !is_ncname(&a.name) {
                continue;
            }
            push_attr(out, &a.name, &a.value);
        } else if a_ns == ns::XML {
            if !is_ncname(a.name()) {
                continue;
            }
            push_attr(out, &a.name, &a.value);
        } else if a_ns == ns::XMLNS || !is_ncname(&a.name) {
            continue;
        } else {
            let prefix = if a_ns == ns::STREAM && child_stream {
                Prefix::Static("stream")
            } else if let Some((_, p)) = declared.iter().find(|(n, _)| *n == a_ns) {
                *p
            } else {
                let p = match ns::preferred_prefix(a_ns) {
                    Some(p) => Prefix::Static(p),
                    None => Prefix::Generated(declared.len()),
                };
                out.push_str(" xmlns:");
                push_prefix(out, p);
                out.push_str("='");
                escape_into(out, a_ns, true);
                out.push('\'');
                if a_ns == ns::STREAM {
                    child_stream = true;
                } else {
                    declared.push((a_ns, p));
                }
                p
            };
            out.push(' ');
            push_prefix(out, prefix);
            out.push(':');
            out.push_str(&a.name);
            out.push_str("='");
            escape_into(out, &a.value, true);
            out.push('\'');
        }
    }

    if el.nodes.is_empty() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for node in &el.nodes {
        match node {
            Node::Element(child) => write_element(child, out, child_default, child_stream),
            Node::Text(t) => escape_into(out, t, false),
        }
    }
    out.push_str("</");
    if let Some(p) = prefix {
        out.push_str(p);
        out.push(':');
    }
    out.push_str(&el.name);
    out.push('>');
}

/// Appends `s` escaped for character data (`attr == false`) or for a
/// single-quoted attribute value (`attr == true`).
///
/// `\r` (and in attributes `\t`, `\n`) become character references so that
/// XML end-of-line and attribute-value normalization give back the original
/// string. Characters not allowed in XML 1.0 (C0 controls other than tab, LF,
/// CR; U+FFFE; U+FFFF) are replaced with U+FFFD.
pub(crate) fn escape_into(out: &mut String, s: &str, attr: bool) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (rep, len) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'\r' => ("&#xD;", 1),
            b'\'' if attr => ("&apos;", 1),
            b'"' if attr => ("&quot;", 1),
            b'\t' if attr => ("&#x9;", 1),
            b'\n' if attr => ("&#xA;", 1),
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            0..=0x1f => ("\u{FFFD}", 1),
            // U+FFFE and U+FFFF are encoded as EF BF BE / EF BF BF.
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                ("\u{FFFD}", 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        // `start` and `i` are char boundaries: replacements start at an ASCII
        // byte or a UTF-8 lead byte.
        if let Some(chunk) = s.get(start..i) {
            out.push_str(chunk);
        }
        out.push_str(rep);
        i += len;
        start = i;
    }
    if let Some(chunk) = s.get(start..) {
        out.push_str(chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str, attr: bool) -> String {
        let mut out = String::new();
        escape_into(&mut out, s, attr);
        out
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("a&b<c>d\"e'f", false), "a&amp;b&lt;c&gt;d\"e'f");
        assert_eq!(esc("a&b<c>d\"e'f", true), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
        assert_eq!(esc("]]>", false), "]]&gt;");
        assert_eq!(esc("a\tb\nc\rd", false), "a\tb\nc&#xD;d");
        assert_eq!(esc("a\tb\nc\rd", true), "a&#x9;b&#xA;c&#xD;d");
        assert_eq!(esc("x\u{0}y\u{1f}z", false), "x\u{FFFD}y\u{FFFD}z");
        assert_eq!(
            esc("\u{FFFE}\u{FFFF}\u{FFFD}é", false),
            "\u{FFFD}\u{FFFD}\u{FFFD}é"
        );
        assert_eq!(esc("日本語 🦀", true), "日本語 🦀");
        assert_eq!(esc("", true), "");
    }

    #[test]
    fn builder_and_accessors() {
        let mut e = Element::new("message", ns::CLIENT)
            .with_attr("to", "a@b")
            .with_attr("type", "chat")
            .with_attr("xml:lang", "en")
            .with_child(Element::new("body", ns::CLIENT).with_text("hi"));
        assert_eq!(e.name(), "message");
        assert_eq!(e.ns(), ns::CLIENT);
        assert!(e.is("message", ns::CLIENT));
        assert!(!e.is("message", ""));
        assert_eq!(e.attr("to"), Some("a@b"));
        assert_eq!(e.attr("xml:lang"), Some("en"));
        assert_eq!(e.attr_ns(ns::XML, "lang"), Some("en"));
        assert_eq!(e.attr_ns("", "to"), Some("a@b"));
        assert_eq!(e.attr("lang"), None);
        assert_eq!(
            e.attrs().collect::<Vec<_>>(),
            vec![("to", "a@b"), ("type", "chat"), ("xml:lang", "en")]
        );
        e.set_attr("type", "normal");
        assert_eq!(e.attr("type"), Some("normal"));
        e.set_attr_ns(ns::XML, "lang", "de");
        assert_eq!(e.attr("xml:lang"), Some("de"));
        assert_eq!(e.all_attrs().count(), 3);
        e.set_attr_ns(ns::XBOSH, "version", "1.0");
        assert_eq!(e.attr_ns(ns::XBOSH, "version"), Some("1.0"));
        assert_eq!(e.attr("version"), None);
        assert_eq!(e.attrs().count(), 3);
        let a = e.all_attrs().find(|a| a.ns() == ns::XBOSH).unwrap();
        assert_eq!((a.name(), a.value()), ("version", "1.0"));
        let a = e.all_attrs().find(|a| a.ns() == ns::XML).unwrap();
        assert_eq!((a.name(), a.value()), ("lang", "de"));
        assert_eq!(e.remove_attr("to"), Some("a@b".to_owned()));
        assert_eq!(e.remove_attr("to"), None);
        assert_eq!(e.remove_attr("xml:lang"), Some("de".to_owned()));

        assert!(e.has_child("body", ns::CLIENT));
        assert!(!e.has_child("body", ""));
        assert_eq!(e.get_child("body", ns::CLIENT).unwrap().text(), "hi");
        e.get_child_mut("body", ns::CLIENT)
            .unwrap()
            .append_text(" there");
        assert_eq!(e.get_child("body", ns::CLIENT).unwrap().text(), "hi there");
        assert_eq!(e.get_child("body", ns::CLIENT).unwrap().nodes().count(), 1);
        let c = e.append_child(Element::new("thread", ns::CLIENT));
        c.append_text("t1");
        assert_eq!(e.children().count(), 2);
        assert_eq!(
            e.remove_child("thread", ns::CLIENT).map(|c| c.text()),
            Some("t1".to_owned())
        );
        assert_eq!(e.remove_child("thread", ns::CLIENT), None);
        e.append_text("tail");
        assert_eq!(e.text(), "tail");
        let kids = e.take_children();
        assert_eq!(kids.len(), 1);
        assert_eq!(e.nodes().count(), 0);
        assert_eq!(e.text(), "");
    }

    #[test]
    fn text_merging() {
        let e = Element::new("a", "")
            .with_text("x")
            .with_text("")
            .with_text("y");
        assert_eq!(e.nodes().count(), 1);
        assert_eq!(e.text(), "xy");
        let e = Element::new("a", "")
            .with_text("x")
            .with_child(Element::new("b", ""))
            .with_text("y");
        assert_eq!(e.nodes().count(), 3);
        assert_eq!(e.text(), "xy");
        assert_eq!(Element::new("a", "").with_text("").nodes().count(), 0);
    }

    #[test]
    fn equality_ignores_attr_order() {
        let a = Element::new("a", "u")
            .with_attr("x", "1")
            .with_attr("y", "2");
        let b = Element::new("a", "u")
            .with_attr("y", "2")
            .with_attr("x", "1");
        assert_eq!(a, b);
        let c = Element::new("a", "u")
            .with_attr("y", "2")
            .with_attr("x", "3");
        assert_ne!(a, c);
        let d = Element::new("a", "v")
            .with_attr("y", "2")
            .with_attr("x", "1");
        assert_ne!(a, d);
    }

    #[test]
    fn serialize_basic() {
        let e = Element::new("message", ns::CLIENT)
            .with_attr("to", "a@b")
            .with_child(Element::new("body", ns::CLIENT).with_text("<hi> & 'bye'"))
            .with_child(Element::new("x", "urn:x"))
            .with_child(Element::new("y", ""));
        assert_eq!(
            e.to_xml(),
            "<message xmlns='jabber:client' to='a@b'><body>&lt;hi&gt; &amp; 'bye'</body>\
             <x xmlns='urn:x'/><y xmlns=''/></message>"
        );
        assert_eq!(e.to_string(), e.to_xml());
        let mut out = String::new();
        e.write_xml(&mut out, Some(ns::CLIENT));
        assert!(out.starts_with("<message to='a@b'>"), "{out}");
        let mut out = String::new();
        Element::new("a", "").write_xml(&mut out, Some(""));
        assert_eq!(out, "<a/>");
        assert_eq!(Element::new("a", "").to_xml(), "<a xmlns=''/>");
    }

    #[test]
    fn serialize_attr_quotes() {
        let e = Element::new("a", "u").with_attr("v", "it's \"q\" <&>");
        assert_eq!(
            e.to_xml(),
            "<a xmlns='u' v='it&apos;s &quot;q&quot; &lt;&amp;&gt;'/>"
        );
    }

    #[test]
    fn serialize_prefixes() {
        let mut body = Element::new("body", ns::HTTPBIND).with_attr("sid", "s1");
        body.set_attr_ns(ns::XBOSH, "version", "1.0");
        body.set_attr_ns(ns::XBOSH, "restartlogic", "true");
        body.set_attr_ns("urn:a", "p", "1");
        body.set_attr_ns("urn:b", "q", "2");
        body.append_child(
            Element::new("features", ns::STREAM)
                .with_child(Element::new("mechanisms", ns::SASL))
                .with_child(Element::new("bad", ns::STREAM)),
        );
        let xml = body.to_xml();
        assert_eq!(
            xml,
            "<body xmlns='http://jabber.org/protocol/httpbind' sid='s1' \
             xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' xmpp:restartlogic='true' \
             xmlns:ns1='urn:a' ns1:p='1' xmlns:ns2='urn:b' ns2:q='2'>\
             <stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
             <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/><stream:bad/>\
             </stream:features></body>"
        );
    }

    #[test]
    fn serialize_skips_invalid_names() {
        let e = Element::new("a", "u")
            .with_attr("xmlns", "evil")
            .with_attr("b c", "1")
            .with_attr("p:q", "1")
            .with_attr("", "1")
            .with_attr("ok", "1")
            .with_child(Element::new("", "u"))
            .with_child(Element::new("x y", "u"))
            .with_child(Element::new("ok", "u"));
        assert_eq!(e.to_xml(), "<a xmlns='u' ok='1'><ok/></a>");
        assert_eq!(Element::new("", "u").to_xml(), "");
        assert_eq!(Element::new("a", ns::XMLNS).to_xml(), "");
        let mut e = Element::new("a", "u");
        e.set_attr_ns(ns::XMLNS, "x", "y");
        assert_eq!(e.to_xml(), "<a xmlns='u'/>");
    }

    #[test]
    fn set_ns_recursive_rewrites_descendants() {
        let mut e = Element::new("message", ns::CLIENT)
            .with_child(Element::new("body", ns::CLIENT).with_child(Element::new("x", ns::CLIENT)));
        e.append_child(Element::new("y", "urn:y"));
        e.set_ns_recursive(ns::CLIENT, "jabber:server");
        assert_eq!(e.ns(), "jabber:server");
        let body = e.get_child("body", "jabber:server").unwrap();
        assert_eq!(body.children().next().unwrap().ns(), "jabber:server");
        assert!(e.has_child("y", "urn:y"));
    }
}
