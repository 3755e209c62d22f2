//! Property test: any element built through the API serializes to XML that
//! parses back to an equal element.

mod common;

use common::Rng;
use meerkat_xmpp::xmpp_parsers::minidom;
use meerkat_xmpp::{Element, Node, ParseLimits, ns, typed};

const NAMES: &[&str] = &[
    "a", "message", "body", "x-y", "_u", "é", "日本", "a.b", "Z9", "ns0", "stream", "xmpp", "error",
];
const ELEMENT_NS: &[&str] = &[
    "",
    ns::CLIENT,
    ns::CLIENT,
    ns::STREAM,
    ns::HTTPBIND,
    ns::XML,
    "urn:x",
    "urn:<&>\"'",
    "http://é.example/日本?a=1&b=2",
];
const ATTR_NAMES: &[&str] = &[
    "id", "to", "from", "type", "a", "é", "b-c", "ns0", "xmpp", "lang",
];
const ATTR_NS: &[&str] = &[
    "",
    "",
    "",
    ns::XML,
    ns::XBOSH,
    ns::STREAM,
    "urn:a",
    "urn:b",
    "urn:<'>&\"",
];
const PIECES: &[&str] = &[
    "<",
    ">",
    "&",
    "\"",
    "'",
    "]]>",
    "é",
    "日本語",
    "🦀",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "a",
    "xyz",
    "&amp;",
    "<![CDATA[",
    "-->",
    "<!--",
    "<?xml",
    "\u{FFFD}",
    "\u{10FFFF}",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "=",
    ";",
    "&#x41;",
];

fn tricky_string(rng: &mut Rng, max_pieces: usize) -> String {
    let n = rng.below(max_pieces + 1);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(rng.pick::<&str>(PIECES));
    }
    s
}

fn is_ws(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn gen_element(rng: &mut Rng, depth: usize) -> Element {
    let mut e = Element::new(*rng.pick(NAMES), *rng.pick(ELEMENT_NS));
    for _ in 0..rng.below(5) {
        let value = tricky_string(rng, 5);
        let name = *rng.pick(ATTR_NAMES);
        match *rng.pick(ATTR_NS) {
            "" => e.set_attr(name, value),
            ns::XML if rng.chance(50) => e.set_attr(format!("xml:{name}"), value),
            ns => e.set_attr_ns(ns, name, value),
        }
    }
    let n_children = if depth == 0 { 0 } else { rng.below(4) };
    let n_texts = rng.below(3);
    let mut kinds: Vec<bool> = Vec::new();
    kinds.extend(std::iter::repeat_n(true, n_children));
    kinds.extend(std::iter::repeat_n(false, n_texts));
    // Shuffle the order of children and texts.
    for i in (1..kinds.len()).rev() {
        let j = rng.below(i + 1);
        kinds.swap(i, j);
    }
    for is_child in kinds {
        if is_child {
            e.append_child(gen_element(rng, depth - 1));
        } else {
            let mut text = tricky_string(rng, 6);
            // The parser drops whitespace-only text between child elements.
            if n_children > 0 && is_ws(&text) {
                text.push('x');
            }
            e.append_text(text);
        }
    }
    e
}

fn limits() -> ParseLimits {
    ParseLimits {
        max_bytes: 1 << 20,
        max_depth: 64,
        max_attrs: 64,
        ..ParseLimits::default()
    }
}

/// The boundary to xmpp-parsers: an element converted to a `minidom::Element`
/// and back is the same element (names, namespaces, attributes, text and
/// children in order), and minidom sees the same names, namespaces and
/// attribute values.
#[test]
fn minidom_conversion_is_identity() {
    let mut rng = Rng::new(0x5eed_1234_abcd_0002);
    for i in 0..3000 {
        let e = gen_element(&mut rng, 4);
        let m = typed::to_minidom(&e).unwrap_or_else(|err| panic!("case {i}: {err}\n{e:#?}"));
        same_as_minidom(&e, &m, i);
        assert_eq!(typed::from_minidom(m), e, "case {i}");
        let m = typed::into_minidom(e.clone()).unwrap();
        assert_eq!(typed::from_minidom(m), e, "case {i} (by value)");
    }
}

fn same_as_minidom(e: &Element, m: &minidom::Element, case: usize) {
    assert_eq!(m.name(), e.name(), "case {case}");
    assert_eq!(m.ns(), e.ns(), "case {case}");
    assert_eq!(m.attrs().len(), e.all_attrs().count(), "case {case}");
    for a in e.all_attrs() {
        assert_eq!(
            m.attr_ns(a.ns(), a.name()),
            Some(a.value()),
            "case {case}: attribute {{{}}}{}",
            a.ns(),
            a.name()
        );
    }
    let ours: Vec<_> = e.nodes().collect();
    let theirs: Vec<_> = m.nodes().collect();
    assert_eq!(ours.len(), theirs.len(), "case {case}");
    for (o, t) in ours.into_iter().zip(theirs) {
        match (o, t) {
            (Node::Element(o), minidom::Node::Element(t)) => same_as_minidom(o, t, case),
            (Node::Text(o), minidom::Node::Text(t)) => assert_eq!(o, t, "case {case}"),
            _ => panic!("case {case}: node kinds differ"),
        }
    }
}

#[test]
fn serialize_then_parse_is_identity() {
    let mut rng = Rng::new(0x5eed_1234_abcd_0001);
    for i in 0..3000 {
        let e = gen_element(&mut rng, 4);
        let xml = e.to_xml();
        let parsed = Element::parse_str(&xml, &limits())
            .unwrap_or_else(|err| panic!("case {i}: {err}\n{xml}\n{e:#?}"));
        assert_eq!(parsed, e, "case {i}: {xml}");
        // Serializing the parsed element gives XML that parses equal too.
        let again = parsed.to_xml();
        assert_eq!(Element::parse_str(&again, &limits()).unwrap(), e);

        // As a child of another element (namespace inherited or not).
        let parent_ns = *rng.pick(ELEMENT_NS);
        let wrapped = Element::new("wrap", parent_ns).with_child(e.clone());
        let xml = wrapped.to_xml();
        let parsed = Element::parse_str(&xml, &limits())
            .unwrap_or_else(|err| panic!("case {i} wrapped: {err}\n{xml}"));
        assert_eq!(parsed, wrapped, "case {i}: {xml}");

        // write_xml into a context whose default namespace is the element's.
        if !matches!(e.ns(), ns::STREAM | ns::XML) {
            let mut inner = String::new();
            e.write_xml(&mut inner, Some(e.ns()));
            let mut doc = String::from("<wrap xmlns='");
            xmpp_escape_attr(&mut doc, e.ns());
            doc.push_str("'>");
            doc.push_str(&inner);
            doc.push_str("</wrap>");
            let parsed = Element::parse_str(&doc, &limits())
                .unwrap_or_else(|err| panic!("case {i} write_xml: {err}\n{doc}"));
            assert_eq!(parsed.children().next(), Some(&e), "case {i}: {doc}");
        }
    }
}

/// Escapes a namespace for the hand-written wrapper above.
fn xmpp_escape_attr(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[test]
fn invalid_characters_are_replaced() {
    let e = Element::new("a", "u")
        .with_attr("v", "x\u{0}y\u{FFFF}")
        .with_text("\u{1}\u{FFFE}z");
    let parsed = Element::parse_str(&e.to_xml(), &limits()).unwrap();
    assert_eq!(parsed.attr("v"), Some("x\u{FFFD}y\u{FFFD}"));
    assert_eq!(parsed.text(), "\u{FFFD}\u{FFFD}z");
}

#[test]
fn bosh_body_with_stanzas() {
    let mut body = Element::new("body", ns::HTTPBIND)
        .with_attr("sid", "abc")
        .with_attr("rid", "42");
    body.set_attr_ns(ns::XBOSH, "version", "1.0");
    body.append_child(
        Element::new("message", ns::CLIENT)
            .with_attr("to", "a@b")
            .with_child(Element::new("body", ns::CLIENT).with_text("hi")),
    );
    body.append_child(
        Element::new("features", ns::STREAM)
            .with_child(Element::new("bind", ns::BIND))
            .with_child(Element::new("session", ns::SESSION)),
    );
    let xml = body.to_xml();
    assert!(xml.contains("xmpp:version='1.0'"), "{xml}");
    assert!(xml.contains("<stream:features xmlns:stream="), "{xml}");
    let parsed = Element::parse_str(&xml, &limits()).unwrap();
    assert_eq!(parsed, body);
    assert_eq!(parsed.attr_ns(ns::XBOSH, "version"), Some("1.0"));
    let stanzas: Vec<_> = parsed.children().collect();
    assert!(stanzas[0].is("message", ns::CLIENT));
    assert!(stanzas[1].is("features", ns::STREAM));
}
