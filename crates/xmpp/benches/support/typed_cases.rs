//! The cases measured by the `typed` and `typed_allocs` benches: what it costs
//! to reach an xmpp-parsers payload from the bytes of a stanza, compared with
//! parsing alone and with walking our `Element` by hand.

use std::hint::black_box;

use meerkat_xmpp::typed;
use meerkat_xmpp::xmpp_parsers::minidom;
use meerkat_xmpp::xmpp_parsers::{carbons, delay::Delay, forwarding::Forwarded, mam, message};
use meerkat_xmpp::{Element, Jid, ParseLimits, ns};

/// A carbon copy (XEP-0280) of a chat message received by another resource.
pub const CARBON: &str = "<received xmlns='urn:xmpp:carbons:2'>\
    <forwarded xmlns='urn:xmpp:forward:0'>\
    <delay xmlns='urn:xmpp:delay' stamp='2026-12-05T10:11:12Z'/>\
    <message xmlns='jabber:client' from='juliet@capulet.example/balcony' \
    to='romeo@montague.example/garden' type='chat' id='m-1234'>\
    <body>What man art thou that, thus bescreen'd in night, so stumblest on my counsel?</body>\
    <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>\
    </message></forwarded></received>";

/// A MAM result (XEP-0313) with the archived message and its delay.
pub const MAM_RESULT: &str = "<result xmlns='urn:xmpp:mam:2' queryid='f27' id='28482-98726-73623'>\
    <forwarded xmlns='urn:xmpp:forward:0'>\
    <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>\
    <message xmlns='jabber:client' from='witch@shakespeare.lit' to='macbeth@shakespeare.lit' type='chat' id='m1'>\
    <body>Hail to thee</body></message>\
    </forwarded></result>";

/// An archived message as a MAM module would load it before wrapping it in a result.
pub const STORED: &str = "<message xmlns='jabber:client' from='witch@shakespeare.lit' \
    to='macbeth@shakespeare.lit' type='chat' id='m1'><body>Hail to thee</body></message>";

/// One measured operation; `run` returns something derived from its result so
/// that the work is not optimized away.
pub struct Case {
    pub name: &'static str,
    pub run: Box<dyn Fn() -> usize>,
}

fn parse(xml: &[u8]) -> Element {
    Element::parse(black_box(xml), &ParseLimits::default()).expect("valid payload")
}

/// What a module does today: walk the element by hand, parse the JIDs, keep
/// the strings it needs (no date parsing: the stamp stays a string).
fn hand_carbon(el: &Element) -> Option<usize> {
    let fwd = el.get_child("forwarded", ns::FORWARD)?;
    let stamp = fwd.get_child("delay", ns::DELAY)?.attr("stamp")?.to_owned();
    let msg = fwd.get_child("message", ns::CLIENT)?;
    let from = Jid::new(msg.attr("from")?).ok()?;
    let to = Jid::new(msg.attr("to")?).ok()?;
    let body = msg.get_child("body", ns::CLIENT)?.text();
    Some(stamp.len() + from.as_str().len() + to.as_str().len() + body.len())
}

fn carbon_len(c: &carbons::Received) -> usize {
    c.forwarded.message.bodies.len() + usize::from(c.forwarded.delay.is_some())
}

fn mam_len(r: &mam::Result_) -> usize {
    r.id.len() + r.forwarded.message.bodies.len()
}

/// Builds the MAM result for a stored message with xmpp-parsers types.
fn typed_mam_result(stored: &Element) -> Element {
    let message: message::Message = typed::to_typed(stored).expect("valid message");
    let delay = Delay {
        from: None,
        stamp: "2010-07-10T23:08:25Z".parse().expect("valid date"),
        data: None,
    };
    typed::from_typed(mam::Result_ {
        id: "28482-98726-73623".to_owned(),
        queryid: Some(mam::QueryId("f27".to_owned())),
        forwarded: Forwarded {
            delay: Some(delay),
            message,
        },
    })
}

/// Builds the same MAM result as an `Element` chain.
fn hand_mam_result(stored: &Element) -> Element {
    Element::new("result", "urn:xmpp:mam:2")
        .with_attr("queryid", "f27")
        .with_attr("id", "28482-98726-73623")
        .with_child(
            Element::new("forwarded", ns::FORWARD)
                .with_child(
                    Element::new("delay", ns::DELAY).with_attr("stamp", "2010-07-10T23:08:25Z"),
                )
                .with_child(stored.clone()),
        )
}

pub fn cases() -> Vec<Case> {
    let carbon = CARBON.as_bytes();
    let mam_bytes = MAM_RESULT.as_bytes();
    let stored = parse(STORED.as_bytes());
    let stored2 = stored.clone();
    let built = hand_mam_result(&stored);
    vec![
        Case {
            name: "carbon: parse",
            run: Box::new(move || parse(carbon).nodes().count()),
        },
        Case {
            name: "carbon: parse + walk by hand",
            run: Box::new(move || hand_carbon(&parse(carbon)).unwrap_or(0)),
        },
        Case {
            name: "carbon: parse + into_minidom",
            run: Box::new(move || {
                let m = typed::into_minidom(parse(carbon)).expect("valid names");
                m.nodes().count()
            }),
        },
        Case {
            name: "carbon: parse + into_typed::<Received>",
            run: Box::new(move || {
                let c: carbons::Received = typed::into_typed(parse(carbon)).expect("valid");
                carbon_len(&c)
            }),
        },
        Case {
            name: "carbon: to_typed::<Received> (already parsed, copy)",
            run: {
                let el = parse(carbon);
                Box::new(move || {
                    let c: carbons::Received = typed::to_typed(black_box(&el)).expect("valid");
                    carbon_len(&c)
                })
            },
        },
        Case {
            name: "carbon: minidom's own parser + TryFrom (xmpp-rs alone)",
            run: Box::new(move || {
                let m: minidom::Element = std::str::from_utf8(black_box(carbon))
                    .expect("utf-8")
                    .parse()
                    .expect("valid");
                let c = carbons::Received::try_from(m).expect("valid");
                carbon_len(&c)
            }),
        },
        Case {
            name: "mam result: parse",
            run: Box::new(move || parse(mam_bytes).nodes().count()),
        },
        Case {
            name: "mam result: parse + into_typed::<Result_>",
            run: Box::new(move || {
                let r: mam::Result_ = typed::into_typed(parse(mam_bytes)).expect("valid");
                mam_len(&r)
            }),
        },
        Case {
            name: "mam result: build from stored message, typed",
            run: Box::new(move || typed_mam_result(black_box(&stored)).nodes().count()),
        },
        Case {
            name: "mam result: build from stored message, by hand",
            run: Box::new(move || hand_mam_result(black_box(&stored2)).nodes().count()),
        },
        Case {
            name: "mam result: serialize (to_xml, for scale)",
            run: Box::new(move || black_box(&built).to_xml().len()),
        },
    ]
}

/// Checks once that the typed and hand-built results are the same element,
/// so that the two build cases measure the same output.
pub fn check() {
    let stored = parse(STORED.as_bytes());
    let typed = typed_mam_result(&stored);
    let hand = hand_mam_result(&stored);
    // xmpp-parsers writes the UTC offset as +00:00.
    let mut hand_fixed = hand.clone();
    if let Some(d) = hand_fixed
        .get_child_mut("forwarded", ns::FORWARD)
        .and_then(|f| f.get_child_mut("delay", ns::DELAY))
    {
        d.set_attr("stamp", "2010-07-10T23:08:25+00:00");
    }
    assert_eq!(typed, hand_fixed, "\n{}\n{}", typed.to_xml(), hand.to_xml());
    assert!(hand_carbon(&parse(CARBON.as_bytes())).is_some());
}
