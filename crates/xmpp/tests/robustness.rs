//! Feeds ~20k pseudo-random and mutated inputs through `Element::parse`:
//! it must never panic, and whatever it accepts must serialize to XML that
//! parses back to an equal element.

mod common;

use common::Rng;
use xmpp::{Element, ParseError, ParseLimits};

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

fn check(input: &[u8], limits: &ParseLimits) -> bool {
    match Element::parse(input, limits) {
        Ok(e) => {
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
