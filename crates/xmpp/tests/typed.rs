//! The typed-payload boundary (meerkat_xmpp::typed): real XEP payloads parsed
//! by our parser, converted to xmpp-parsers types, and back.

mod common;

use common::Rng;
use meerkat_xmpp::typed::{self, TypedError};
use meerkat_xmpp::xmpp_parsers::{
    carbons, data_forms::DataFormType, mam, message::Message, muc, presence::Presence, rsm,
};
use meerkat_xmpp::{BareJid, Element, FullJid, Jid, ParseLimits};

fn parse(xml: &str) -> Element {
    Element::parse_str(xml, &ParseLimits::default()).unwrap_or_else(|e| panic!("{e}: {xml}"))
}

/// A MAM query (XEP-0313) filtering with a data form and paging with RSM.
const MAM_QUERY: &str = "<query xmlns='urn:xmpp:mam:2' queryid='f27'>\
    <x xmlns='jabber:x:data' type='submit'>\
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>\
    <field var='with'><value>juliet@capulet.lit</value></field>\
    <field var='start'><value>2010-08-07T00:00:00Z</value></field>\
    </x>\
    <set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>09af3-cc343-b409f</after></set>\
    </query>";

/// A MAM result message payload: the archived message, forwarded with its delay.
const MAM_RESULT: &str = "<result xmlns='urn:xmpp:mam:2' queryid='f27' id='28482-98726-73623'>\
    <forwarded xmlns='urn:xmpp:forward:0'>\
    <delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>\
    <message xmlns='jabber:client' from='witch@shakespeare.lit' to='macbeth@shakespeare.lit' type='chat' id='m1'>\
    <body>Hail to thee</body></message>\
    </forwarded></result>";

/// A carbon copy (XEP-0280) of a message received by another resource.
const CARBON: &str = "<received xmlns='urn:xmpp:carbons:2'>\
    <forwarded xmlns='urn:xmpp:forward:0'>\
    <delay xmlns='urn:xmpp:delay' stamp='2026-12-05T10:11:12Z'/>\
    <message xmlns='jabber:client' from='juliet@capulet.example/balcony' \
    to='romeo@montague.example/garden' type='chat' xml:lang='en'>\
    <body>What man art thou that, thus bescreen'd in night, so stumblest on my counsel?</body>\
    <thread>0e3141cd80894871a68e6fe6b1ec56fa</thread>\
    </message></forwarded></received>";

/// A MUC self-presence (XEP-0045) with the muc#user payload.
const MUC_PRESENCE: &str = "<presence xmlns='jabber:client' from='coven@chat.shakespeare.lit/thirdwitch' \
    to='hag66@shakespeare.lit/pda' id='n13mt3l'>\
    <x xmlns='http://jabber.org/protocol/muc#user'>\
    <item affiliation='member' role='participant' jid='hag66@shakespeare.lit/pda'/>\
    <status code='110'/><status code='210'/>\
    </x></presence>";

/// Converts `xml` to `T` and back. xmpp-parsers writes a payload its own
/// way (`expected`): the element it writes must be exactly that, and typing
/// it again must give the same value, so nothing is lost at the boundary.
/// Returns the typed value.
fn round_trip<T>(xml: &str, expected: &str) -> T
where
    T: TryFrom<minidom::Element, Error = meerkat_xmpp::xmpp_parsers::FromElementError>
        + Into<minidom::Element>
        + Clone
        + PartialEq
        + std::fmt::Debug,
{
    let el = parse(xml);
    let value: T = typed::to_typed(&el).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let back = typed::from_typed(value.clone());
    assert_eq!(back, parse(expected), "\n{}\n{expected}", back.to_xml());
    assert_eq!(typed::to_typed::<T>(&back).unwrap(), value);
    // By value gives the same result.
    let by_value: T = typed::into_typed(el).unwrap();
    assert_eq!(by_value, value);
    value
}

use meerkat_xmpp::xmpp_parsers::minidom;

#[test]
fn mam_query_with_rsm_and_data_form() {
    let el = parse(MAM_QUERY);
    let q: mam::Query = typed::to_typed(&el).unwrap();
    assert_eq!(q.queryid, Some(mam::QueryId("f27".into())));
    let form = q.form.as_ref().expect("form");
    assert_eq!(form.type_, DataFormType::Submit);
    assert_eq!(form.form_type(), Some("urn:xmpp:mam:2"));
    let with = form
        .fields
        .iter()
        .find(|f| f.var.as_deref() == Some("with"));
    assert_eq!(with.unwrap().values, ["juliet@capulet.lit"]);
    let set: &rsm::SetQuery = q.set.as_ref().expect("set");
    assert_eq!(set.max, Some(10));
    assert_eq!(set.after.as_deref(), Some("09af3-cc343-b409f"));
    assert_eq!(set.before, None);
    assert!(!q.flip_page);
    // mam::Query is not Clone: check the way back by hand.
    assert_eq!(typed::from_typed(q), el);
}

#[test]
fn mam_result_round_trip() {
    // xmpp-parsers writes the UTC offset as +00:00 (XEP-0082 allows both).
    let expected = MAM_RESULT.replace("23:08:25Z", "23:08:25+00:00");
    let r: mam::Result_ = round_trip(MAM_RESULT, &expected);
    assert_eq!(r.id, "28482-98726-73623");
    let stamp = r.forwarded.delay.as_ref().unwrap().stamp.0;
    assert_eq!(stamp.to_rfc3339(), "2010-07-10T23:08:25+00:00");
    assert_eq!(
        r.forwarded.message.from,
        Some(Jid::from(BareJid::new("witch@shakespeare.lit").unwrap()))
    );
    assert_eq!(
        r.forwarded.message.bodies.get("").map(|b| b.as_str()),
        Some("Hail to thee")
    );
}

#[test]
fn carbons_received_round_trip() {
    // xmpp-parsers writes the offset as +00:00 and moves the message's
    // xml:lang to the body it applies to.
    let expected = CARBON
        .replace("10:11:12Z", "10:11:12+00:00")
        .replace(" xml:lang='en'>", ">")
        .replace("<body>", "<body xml:lang='en'>");
    let c: carbons::Received = round_trip(CARBON, &expected);
    let Message {
        from,
        to,
        bodies,
        thread,
        ..
    } = &c.forwarded.message;
    // JIDs cross the boundary as meerkat_xmpp's own jid types.
    let from_jid: FullJid = FullJid::new("juliet@capulet.example/balcony").unwrap();
    assert_eq!(from.as_ref(), Some(&Jid::from(from_jid)));
    assert_eq!(
        to.as_ref().map(|j| j.to_string()).as_deref(),
        Some("romeo@montague.example/garden")
    );
    // xml:lang on the message applies to its body.
    assert!(bodies.get("en").unwrap().starts_with("What man art thou"));
    assert_eq!(
        thread.as_ref().map(|t| t.id.as_str()),
        Some("0e3141cd80894871a68e6fe6b1ec56fa")
    );
    assert!(c.forwarded.delay.is_some());
}

#[test]
fn muc_presence_round_trip() {
    // xmpp-parsers writes the default priority explicitly.
    let expected = MUC_PRESENCE.replace("'n13mt3l'>", "'n13mt3l'><priority>0</priority>");
    let p: Presence = round_trip(MUC_PRESENCE, &expected);
    assert_eq!(p.id.as_deref(), Some("n13mt3l"));
    assert_eq!(p.payloads.len(), 1);
    // The payload left untyped by Presence is a minidom element; type it too.
    let x = muc::user::MucUser::try_from(p.payloads[0].clone()).unwrap();
    assert_eq!(x.items.len(), 1);
    assert_eq!(x.items[0].affiliation, muc::user::Affiliation::Member);
    assert_eq!(x.items[0].role, muc::user::Role::Participant);
    assert_eq!(
        x.status,
        [
            muc::user::Status::SelfPresence,
            muc::user::Status::AssignedNick
        ]
    );
    // The same <x> typed straight from our element.
    let el = parse(MUC_PRESENCE);
    let x2: muc::user::MucUser = typed::to_typed(el.children().next().unwrap()).unwrap();
    assert_eq!(x2, x);
}

#[test]
fn wrong_element_is_a_mismatch() {
    let el = parse(CARBON);
    match typed::to_typed::<mam::Result_>(&el) {
        Err(TypedError::Mismatch { name, ns }) => {
            assert_eq!(name, "received");
            assert_eq!(ns, "urn:xmpp:carbons:2");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_payloads_are_clean_errors() {
    let cases: &[(&str, &str)] = &[
        // RSM <max> that is not a number.
        (
            "query",
            "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>ten</max></set></query>",
        ),
        // Delay stamp that is not a date.
        (
            "received",
            "<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             <delay xmlns='urn:xmpp:delay' stamp='yesterday'/><message xmlns='jabber:client'/>\
             </forwarded></received>",
        ),
        // Forwarded without the message it forwards.
        (
            "received",
            "<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></received>",
        ),
        // JID that is not a JID.
        (
            "received",
            "<received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             <message xmlns='jabber:client' from='@@'/></forwarded></received>",
        ),
        // MAM result without its required id.
        (
            "result",
            "<result xmlns='urn:xmpp:mam:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             <message xmlns='jabber:client'/></forwarded></result>",
        ),
        // MUC item with an unknown role.
        (
            "x",
            "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='king'/></x>",
        ),
        // Two FORM_TYPE fields.
        (
            "query",
            "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>\
             <field var='FORM_TYPE' type='hidden'><value>a</value></field>\
             <field var='FORM_TYPE' type='hidden'><value>b</value></field></x></query>",
        ),
    ];
    for (kind, xml) in cases {
        let el = parse(xml);
        let err = match *kind {
            "query" => typed::to_typed::<mam::Query>(&el).err(),
            "result" => typed::to_typed::<mam::Result_>(&el).err(),
            "received" => typed::to_typed::<carbons::Received>(&el).err(),
            _ => typed::to_typed::<muc::user::MucUser>(&el).err(),
        };
        match err {
            Some(TypedError::Invalid(e)) => assert!(!e.to_string().is_empty()),
            other => panic!("{xml}: {other:?}"),
        }
    }
}

#[test]
fn invalid_names_built_with_the_api_are_errors() {
    let el = Element::new("bad name", "urn:x");
    assert!(matches!(
        typed::to_minidom(&el),
        Err(TypedError::InvalidName(n)) if n == "bad name"
    ));
    let el =
        Element::new("ok", "urn:x").with_child(Element::new("ok", "urn:x").with_attr("a:b", "v"));
    assert!(matches!(
        typed::into_minidom(el),
        Err(TypedError::InvalidName(n)) if n == "a:b"
    ));
}

fn try_all(el: &Element) {
    let _ = typed::to_typed::<mam::Query>(el);
    let _ = typed::to_typed::<mam::Result_>(el);
    let _ = typed::to_typed::<carbons::Received>(el);
    let _ = typed::to_typed::<Presence>(el);
    let _ = typed::to_typed::<Message>(el);
    let _ = typed::to_typed::<muc::user::MucUser>(el);
    for child in el.children() {
        try_all(child);
    }
}

/// Mutated real payloads: whatever our parser accepts, the conversion to every
/// typed payload returns (Ok or a clean error) and never panics.
#[test]
fn mutated_payloads_never_panic() {
    let seeds = [MAM_QUERY, MAM_RESULT, CARBON, MUC_PRESENCE];
    let alphabet: &[u8] = b"<>/='\" :-0123456789abcdefghijklmnopqrstuvwxyz@T";
    let mut rng = Rng::new(0x7919_0000_c0ff_ee01);
    let mut parsed = 0;
    for _ in 0..5000 {
        let mut input = rng.pick(&seeds).as_bytes().to_vec();
        for _ in 0..=rng.below(3) {
            let i = rng.below(input.len());
            match rng.below(3) {
                0 => {
                    input.remove(i);
                }
                1 => input.insert(i, *rng.pick(alphabet)),
                _ => input[i] = *rng.pick(alphabet),
            }
        }
        if let Ok(el) = Element::parse(&input, &ParseLimits::default()) {
            parsed += 1;
            try_all(&el);
        }
    }
    assert!(parsed > 500, "only {parsed} mutated inputs parsed");
}
