//! Fuzzes `Element::parse`: it must never panic, every element it accepts
//! must stay within the node and text budgets, and serialize to XML that
//! parses back to an equal element.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meerkat_xmpp::{Element, Node, ParseLimits};

/// (nodes, bytes of text) as `ParseLimits` counts them.
fn tally(e: &Element) -> (usize, usize) {
    let mut nodes = 1 + e.all_attrs().count();
    let mut text: usize = e.all_attrs().map(|a| a.value().len()).sum();
    for n in e.nodes() {
        let (n, t) = match n {
            Node::Element(c) => tally(c),
            Node::Text(t) => (1, t.len()),
        };
        nodes += n;
        text += t;
    }
    (nodes, text)
}

fuzz_target!(|data: &[u8]| {
    let limits = ParseLimits {
        max_bytes: 64 * 1024,
        max_depth: 16,
        max_attrs: 16,
        max_nodes: 4096,
        max_text: 32 * 1024,
    };
    if let Ok(element) = Element::parse(data, &limits) {
        let (nodes, text) = tally(&element);
        assert!(nodes <= limits.max_nodes && text <= limits.max_text);
        let xml = element.to_xml();
        // Escaping can make the output larger than the input.
        let relaxed = ParseLimits {
            max_bytes: usize::MAX,
            max_text: usize::MAX,
            ..limits
        };
        match Element::parse_str(&xml, &relaxed) {
            Ok(back) => assert_eq!(back, element, "round trip changed the element: {xml}"),
            Err(e) => panic!("serializer output does not parse ({e}): {xml}"),
        }
    }
});
