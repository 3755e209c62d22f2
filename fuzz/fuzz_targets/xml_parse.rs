//! Fuzzes `Element::parse`: it must never panic, and every element it
//! accepts must serialize to XML that parses back to an equal element.

#![no_main]

use libfuzzer_sys::fuzz_target;
use xmpp::{Element, ParseLimits};

fuzz_target!(|data: &[u8]| {
    let limits = ParseLimits {
        max_bytes: 64 * 1024,
        max_depth: 16,
        max_attrs: 16,
        max_nodes: 4096,
        max_text: 32 * 1024,
    };
    if let Ok(element) = Element::parse(data, &limits) {
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
