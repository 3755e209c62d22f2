//! Feeds ~20k pseudo-random and mutated inputs through `Element::parse`:
//! it must never panic, whatever it accepts must serialize to XML that
//! parses back to an equal element, and an accepted tree never exceeds the
//! node and text budgets of its `ParseLimits`. A second property, over
//! random node-dense documents and their mutations, checks that the budgets
//! are exact: an input is refused by a budget exactly when the tree it gives
//! without budgets exceeds that budget.

mod common;

use common::Rng;
use meerkat_xmpp::{Element, Node, ParseError, ParseLimits};

const SEEDS: &[&str] = &[
    "<message xmlns='jabber:client' to='juliet@example.com' from='romeo@example.net/orchard' \
     type='chat' id='m1' xml:lang='en'><body>Wherefore art thou, Romeo?</body>\
     <thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread></message>",
    "<iq xmlns='jabber:client' type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
     <resource>balcony</resource></bind></iq>",
    "<?xml version='1.0' encoding='UTF-8'?>\n<presence xmlns='jabber:client'>\n  <show>away</show>\n\
     <status>&lt;gone&gt; &amp; &#x263A; &#65;</status>\n  <priority>5</priority>\n</presence>",
    "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' \
     xmpp:version='1.0' rid='1573741820' sid='SomeSID' to='example.com' wait='60' hold='1'/>",
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
     <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>\
     <mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>",
    "<a><b><c><d><e><f x=\"&quot;'&apos;\">text<![CDATA[<raw> & ]]>more</f></e></d></c></b></a>",
    "<p:x xmlns:p='urn:p' xmlns='urn:d' p:a='1' b='2'><y/><p:z p:q='3'/></p:x>",
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=</auth>",
    "<x>\r\n日本語 🦀 é\t</x>",
];

const INTERESTING: &[u8] = b"<>&;'\"/=!?[]-:#x \t\r\n\0\x01\x7f\x80\xbf\xc3\xe2\xef\xf0\xffaZ0";

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        match rng.below(7) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 if !input.is_empty() => {
                let i = rng.below(input.len());
                input.remove(i);
            }
            2 => {
                let i = rng.below(input.len() + 1);
                input.insert(i, *rng.pick(INTERESTING));
            }
            3 if !input.is_empty() => {
                let i = rng.below(input.len());
                input.truncate(i);
            }
            4 if !input.is_empty() => {
                // Duplicate a slice somewhere else.
                let a = rng.below(input.len());
                let b = (a + rng.below(32)).min(input.len());
                let chunk = input[a..b].to_vec();
                let at = rng.below(input.len() + 1);
                input.splice(at..at, chunk);
            }
            5 => {
                // Splice in a slice of another seed.
                let other = rng.pick(SEEDS).as_bytes();
                let a = rng.below(other.len());
                let b = (a + rng.below(48)).min(other.len());
                let at = rng.below(input.len() + 1);
                input.splice(at..at, other[a..b].iter().copied());
            }
            _ if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] = *rng.pick(INTERESTING);
            }
            _ => {}
        }
    }
}

/// What a tree holds, as the budgets count it: (nodes, bytes of text).
/// Every element, attribute and text node is a node; text is the text of
/// text nodes plus attribute values.
fn tally(e: &Element) -> (usize, usize) {
    let mut nodes = 1 + e.all_attrs().count();
    let mut text: usize = e.all_attrs().map(|a| a.value().len()).sum();
    for n in e.nodes() {
        match n {
            Node::Element(c) => {
                let (n, t) = tally(c);
                nodes += n;
                text += t;
            }
            Node::Text(t) => {
                nodes += 1;
                text += t.len();
            }
        }
    }
    (nodes, text)
}

fn unlimited() -> ParseLimits {
    ParseLimits {
        max_bytes: usize::MAX,
        max_depth: usize::MAX,
        max_attrs: usize::MAX,
        max_nodes: usize::MAX,
        max_text: usize::MAX,
    }
}

fn check(input: &[u8], limits: &ParseLimits) -> bool {
    match Element::parse(input, limits) {
        Ok(e) => {
            let (nodes, text) = tally(&e);
            assert!(nodes <= limits.max_nodes, "{nodes} nodes; input: {input:?}");
            assert!(
                text <= limits.max_text,
                "{text} bytes of text; input: {input:?}"
            );
            let xml = e.to_xml();
            let back = Element::parse_str(&xml, &ParseLimits::default()).unwrap_or_else(|err| {
                panic!("reparse failed: {err}\ninput: {input:?}\nxml: {xml}")
            });
            assert_eq!(back, e, "input: {input:?}\nxml: {xml}");
            true
        }
        Err(ParseError::TooLarge { limit }) => {
            assert!(input.len() > limit);
            false
        }
        Err(_) => false,
    }
}

#[test]
fn seeds_are_valid() {
    for seed in SEEDS {
        assert!(check(seed.as_bytes(), &ParseLimits::default()), "{seed}");
    }
}

#[test]
fn mutated_and_random_inputs_never_panic() {
    let mut rng = Rng::new(0xdead_beef_cafe_f00d);
    let small = ParseLimits {
        max_bytes: 256,
        max_depth: 3,
        max_attrs: 2,
        max_nodes: 8,
        max_text: 32,
    };
    let default = ParseLimits::default();
    let mut accepted = 0;
    for i in 0..20_000 {
        let input: Vec<u8> = if i % 10 == 0 {
            // Pure noise from the interesting alphabet.
            (0..rng.below(64)).map(|_| *rng.pick(INTERESTING)).collect()
        } else {
            let mut v = rng.pick(SEEDS).as_bytes().to_vec();
            mutate(&mut rng, &mut v);
            v
        };
        let limits = if i % 3 == 0 { &small } else { &default };
        if check(&input, limits) {
            accepted += 1;
        }
    }
    // The mutations are mild enough that some inputs stay valid.
    assert!(accepted > 100, "only {accepted} inputs accepted");
}

/// Pieces of content: text, whitespace (formatting or kept), references, CDATA.
const TEXTS: &[&str] = &[
    "x",
    " ",
    "\n  ",
    "&amp;",
    "&#32;",
    "<![CDATA[ ]]>",
    "<![CDATA[y]]>",
    "\u{e9}",
    "\r\n",
];

/// A random node-dense document: small elements, attributes, mixed content.
fn dense(rng: &mut Rng, depth: usize, out: &mut String) {
    let name = *rng.pick(&["a", "b", "p:c"][..]);
    out.push('<');
    out.push_str(name);
    if name.starts_with("p:") {
        out.push_str(" xmlns:p='urn:p'");
    }
    for attr in ["u", "v", "w"].iter().take(rng.below(4)) {
        out.push_str(&format!(" {attr}='{}'", rng.pick(TEXTS).replace('<', "")));
    }
    let children = if depth == 0 { 0 } else { rng.below(6) };
    if children == 0 && rng.chance(50) {
        out.push_str("/>");
        return;
    }
    out.push('>');
    for _ in 0..children {
        if rng.chance(50) {
            out.push_str(rng.pick::<&str>(TEXTS));
        } else {
            dense(rng, depth - 1, out);
        }
    }
    if rng.chance(30) {
        out.push_str(rng.pick::<&str>(TEXTS));
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[test]
fn budgets_are_exact() {
    let mut rng = Rng::new(0x0b0d_9e75_1234_5678);
    let mut refused_by_budget = 0;
    for i in 0..5_000 {
        let mut doc = String::new();
        let depth = 1 + rng.below(4);
        dense(&mut rng, depth, &mut doc);
        let mut input = doc.into_bytes();
        if i % 4 == 0 {
            mutate(&mut rng, &mut input);
        }
        let reference = Element::parse(&input, &unlimited());
        // Budgets at, just below and around what the input needs.
        let (need_nodes, need_text) = match &reference {
            Ok(e) => tally(e),
            Err(_) => (rng.below(40), rng.below(40)),
        };
        for _ in 0..4 {
            let max_nodes = need_nodes.saturating_sub(1) + rng.below(3);
            let max_text = need_text.saturating_sub(1) + rng.below(3);
            let limits = ParseLimits {
                max_nodes,
                max_text,
                ..unlimited()
            };
            let got = Element::parse(&input, &limits);
            match &reference {
                Ok(tree) => {
                    let nodes_over = need_nodes > max_nodes;
                    let text_over = need_text > max_text;
                    match got {
                        Ok(e) => {
                            assert!(!nodes_over && !text_over, "input {input:?}");
                            assert_eq!(&e, tree);
                        }
                        Err(ParseError::TooManyNodes { limit }) => {
                            assert_eq!(limit, max_nodes);
                            assert!(nodes_over, "input {input:?}");
                            refused_by_budget += 1;
                        }
                        Err(ParseError::TooMuchText { limit }) => {
                            assert_eq!(limit, max_text);
                            assert!(text_over, "input {input:?}");
                            refused_by_budget += 1;
                        }
                        Err(e) => panic!("{e} for an input that parses; input {input:?}"),
                    }
                }
                // Refused without budgets: still refused, by the same
                // error or by a budget reached first.
                Err(reason) => match got {
                    Ok(_) => panic!("accepted with budgets only; input {input:?}"),
                    Err(ParseError::TooManyNodes { .. } | ParseError::TooMuchText { .. }) => {}
                    Err(e) => assert_eq!(&e, reason, "input {input:?}"),
                },
            }
        }
    }
    assert!(
        refused_by_budget > 1_000,
        "only {refused_by_budget} budget refusals"
    );
}
