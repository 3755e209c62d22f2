//! GraphQL `vcard` category over real HTTP: the full `Vcard` type both ways, checked
//! against what an XMPP client reads and writes with vcard-temp IQs (one store entry),
//! MongooseIM's error codes, the user endpoint, module gating and domain-admin scoping.

use crate::graphql::{Env, codes};
use crate::graphql_roster::{env, env_without};
use meerkat_xmpp::{Element, ns};
use serde_json::{Value, json};

/// Every field of `Vcard`, unions resolved with `__typename`.
const FIELDS: &str = "formattedName nameComponents { family givenName middleName prefix suffix } nickname
    photo { __typename ... on ImageData { type binValue } ... on External { extValue } } birthday
    address { tags pobox extadd street locality region pcode country } label { tags line }
    telephone { tags number } email { tags userId } jabberId mailer timeZone geo { lat lon } title role
    logo { __typename ... on ImageData { type binValue } ... on External { extValue } }
    agent { __typename ... on AgentVcard { vcard { formattedName nickname } } ... on External { extValue } }
    org { orgname orgunit } categories { keyword } note prodId rev sortString
    sound { __typename ... on Phonetic { phonetic } ... on BinValue { binValue } ... on External { extValue } }
    uid url desc class { tags } key { type credential }";

fn set_query() -> String {
    format!(
        "mutation($u: JID!, $v: VcardInput!) {{ vcard {{ setVcard(user: $u, vcard: $v) {{ {FIELDS} }} }} }}"
    )
}

fn get_query() -> String {
    format!("query($u: JID!) {{ vcard {{ getVcard(user: $u) {{ {FIELDS} }} }} }}")
}

fn full_input() -> Value {
    json!({
        "formattedName": "Alice Liddell",
        "nameComponents": {"family": "Liddell", "givenName": "Alice", "middleName": "Pleasance", "prefix": "Ms", "suffix": "Jr"},
        "nickname": ["al", "ali"],
        "photo": [{"type": "image/png", "binValue": "iVBORw0KGgo="}, {"extValue": "https://example.org/alice.png"}],
        "birthday": ["1852-05-04"],
        "address": [{"tags": ["HOME", "PREF"], "pobox": "1", "extadd": "Hall", "street": "Rabbit Hole 1", "locality": "Oxford", "region": "Oxon", "pcode": "OX1", "country": "UK"}],
        "label": [{"tags": ["WORK"], "line": ["Christ Church", "Oxford"]}],
        "telephone": [{"tags": ["CELL", "VOICE"], "number": "+44 1865"}, {"number": "112"}],
        "email": [{"tags": ["INTERNET", "PREF"], "userId": "alice@example.org"}],
        "jabberId": ["alice@localhost"],
        "mailer": ["meerkat"],
        "timeZone": ["+00:00"],
        "geo": [{"lat": "51.75", "lon": "-1.25"}],
        "title": ["Explorer"],
        "role": ["Guest"],
        "logo": [{"type": "image/gif", "binValue": "R0lGOD=="}],
        "agent": [{"vcard": {"formattedName": "White Rabbit", "nameComponents": {}, "nickname": ["rabbit"]}}, {"extValue": "xmpp:hatter@localhost"}],
        "org": [{"orgname": "Wonderland", "orgunit": ["Tea", "Party"]}],
        "categories": [{"keyword": ["adventure", "tea"]}],
        "note": ["Curiouser and curiouser"],
        "prodId": ["meerkat-test"],
        "rev": ["2024-01-01T00:00:00Z"],
        "sortString": ["Liddell"],
        "sound": [{"phonetic": "A-lis"}, {"binValue": "AAAA"}, {"extValue": "https://example.org/alice.ogg"}],
        "uid": ["uid-1"],
        "url": ["https://example.org/alice"],
        "desc": ["A girl"],
        "class": [{"tags": ["CONFIDENTIAL"]}],
        "key": [{"type": "x509", "credential": "KEYDATA"}]
    })
}

fn full_output() -> Value {
    json!({
        "formattedName": "Alice Liddell",
        "nameComponents": {"family": "Liddell", "givenName": "Alice", "middleName": "Pleasance", "prefix": "Ms", "suffix": "Jr"},
        "nickname": ["al", "ali"],
        "photo": [{"__typename": "ImageData", "type": "image/png", "binValue": "iVBORw0KGgo="}, {"__typename": "External", "extValue": "https://example.org/alice.png"}],
        "birthday": ["1852-05-04"],
        "address": [{"tags": ["HOME", "PREF"], "pobox": "1", "extadd": "Hall", "street": "Rabbit Hole 1", "locality": "Oxford", "region": "Oxon", "pcode": "OX1", "country": "UK"}],
        "label": [{"tags": ["WORK"], "line": ["Christ Church", "Oxford"]}],
        "telephone": [{"tags": ["CELL", "VOICE"], "number": "+44 1865"}, {"tags": null, "number": "112"}],
        "email": [{"tags": ["INTERNET", "PREF"], "userId": "alice@example.org"}],
        "jabberId": ["alice@localhost"],
        "mailer": ["meerkat"],
        "timeZone": ["+00:00"],
        "geo": [{"lat": "51.75", "lon": "-1.25"}],
        "title": ["Explorer"],
        "role": ["Guest"],
        "logo": [{"__typename": "ImageData", "type": "image/gif", "binValue": "R0lGOD=="}],
        "agent": [{"__typename": "AgentVcard", "vcard": {"formattedName": "White Rabbit", "nickname": ["rabbit"]}}, {"__typename": "External", "extValue": "xmpp:hatter@localhost"}],
        "org": [{"orgname": "Wonderland", "orgunit": ["Tea", "Party"]}],
        "categories": [{"keyword": ["adventure", "tea"]}],
        "note": ["Curiouser and curiouser"],
        "prodId": ["meerkat-test"],
        "rev": ["2024-01-01T00:00:00Z"],
        "sortString": ["Liddell"],
        "sound": [{"__typename": "Phonetic", "phonetic": "A-lis"}, {"__typename": "BinValue", "binValue": "AAAA"}, {"__typename": "External", "extValue": "https://example.org/alice.ogg"}],
        "uid": ["uid-1"],
        "url": ["https://example.org/alice"],
        "desc": ["A girl"],
        "class": [{"tags": ["CONFIDENTIAL"]}],
        "key": [{"type": "x509", "credential": "KEYDATA"}]
    })
}

fn text(el: &Element, path: &[&str]) -> Option<String> {
    let mut cur = el;
    for p in path {
        cur = cur.get_child(p, ns::VCARD)?;
    }
    Some(cur.text())
}

/// The vCard an XMPP client gets for `whose` (a bare JID).
async fn vcard_over_xmpp(e: &Env, client: &str, whose: &str) -> Element {
    let mut c = e.online(client).await;
    c.send(&format!(
        "<iq xmlns='jabber:client' type='get' id='v1' to='{whose}'><vCard xmlns='vcard-temp'/></iq>"
    ))
    .await;
    let r = c.recv_until(|e| e.attr("id") == Some("v1")).await;
    assert_eq!(r.attr("type"), Some("result"), "{r}");
    c.close().await;
    r.get_child("vCard", ns::VCARD).unwrap().clone()
}

#[actix_rt::test]
async fn full_vcard_set_by_admin_is_what_xmpp_clients_read() {
    let e = env().await;
    let b = e
        .admin(
            &set_query(),
            json!({"u": "alice@localhost", "v": full_input()}),
        )
        .await;
    assert!(b["errors"].is_null(), "{b}");
    assert_eq!(b["data"]["vcard"]["setVcard"], full_output());
    let b = e.admin(&get_query(), json!({"u": "alice@localhost"})).await;
    assert_eq!(b["data"]["vcard"]["getVcard"], full_output());

    // Bob's client asks for alice's vCard over XMPP (XEP-0054) and gets the same data.
    let card = vcard_over_xmpp(&e, "bob@localhost", "alice@localhost").await;
    assert_eq!(text(&card, &["FN"]).as_deref(), Some("Alice Liddell"));
    assert_eq!(text(&card, &["N", "FAMILY"]).as_deref(), Some("Liddell"));
    assert_eq!(text(&card, &["N", "GIVEN"]).as_deref(), Some("Alice"));
    assert_eq!(text(&card, &["N", "MIDDLE"]).as_deref(), Some("Pleasance"));
    let nicknames: Vec<String> = card
        .children()
        .filter(|c| c.name() == "NICKNAME")
        .map(Element::text)
        .collect();
    assert_eq!(nicknames, ["al", "ali"]);
    let photos: Vec<&Element> = card.children().filter(|c| c.name() == "PHOTO").collect();
    assert_eq!(text(photos[0], &["TYPE"]).as_deref(), Some("image/png"));
    assert_eq!(
        text(photos[0], &["BINVAL"]).as_deref(),
        Some("iVBORw0KGgo=")
    );
    assert_eq!(
        text(photos[1], &["EXTVAL"]).as_deref(),
        Some("https://example.org/alice.png")
    );
    let adr = card.get_child("ADR", ns::VCARD).unwrap();
    assert!(
        adr.has_child("HOME", ns::VCARD) && adr.has_child("PREF", ns::VCARD),
        "{adr}"
    );
    assert_eq!(text(adr, &["CTRY"]).as_deref(), Some("UK"));
    assert_eq!(text(adr, &["PCODE"]).as_deref(), Some("OX1"));
    let lines: Vec<String> = card
        .get_child("LABEL", ns::VCARD)
        .unwrap()
        .children()
        .filter(|c| c.name() == "LINE")
        .map(Element::text)
        .collect();
    assert_eq!(lines, ["Christ Church", "Oxford"]);
    let tel = card.get_child("TEL", ns::VCARD).unwrap();
    assert!(tel.has_child("CELL", ns::VCARD) && tel.has_child("VOICE", ns::VCARD));
    assert_eq!(text(tel, &["NUMBER"]).as_deref(), Some("+44 1865"));
    assert_eq!(
        text(&card, &["EMAIL", "USERID"]).as_deref(),
        Some("alice@example.org")
    );
    assert!(
        card.get_child("EMAIL", ns::VCARD)
            .unwrap()
            .has_child("INTERNET", ns::VCARD)
    );
    assert_eq!(
        text(&card, &["JABBERID"]).as_deref(),
        Some("alice@localhost")
    );
    assert_eq!(text(&card, &["TZ"]).as_deref(), Some("+00:00"));
    assert_eq!(text(&card, &["GEO", "LAT"]).as_deref(), Some("51.75"));
    assert_eq!(text(&card, &["GEO", "LON"]).as_deref(), Some("-1.25"));
    assert_eq!(text(&card, &["LOGO", "TYPE"]).as_deref(), Some("image/gif"));
    assert_eq!(
        text(&card, &["AGENT", "vCard", "FN"]).as_deref(),
        Some("White Rabbit")
    );
    assert_eq!(
        text(&card, &["ORG", "ORGNAME"]).as_deref(),
        Some("Wonderland")
    );
    let units: Vec<String> = card
        .get_child("ORG", ns::VCARD)
        .unwrap()
        .children()
        .filter(|c| c.name() == "ORGUNIT")
        .map(Element::text)
        .collect();
    assert_eq!(units, ["Tea", "Party"]);
    let keywords: Vec<String> = card
        .get_child("CATEGORIES", ns::VCARD)
        .unwrap()
        .children()
        .map(Element::text)
        .collect();
    assert_eq!(keywords, ["adventure", "tea"]);
    assert_eq!(text(&card, &["SORT-STRING"]).as_deref(), Some("Liddell"));
    assert_eq!(
        text(&card, &["SOUND", "PHONETIC"]).as_deref(),
        Some("A-lis")
    );
    assert!(
        card.get_child("CLASS", ns::VCARD)
            .unwrap()
            .has_child("CONFIDENTIAL", ns::VCARD)
    );
    assert_eq!(text(&card, &["KEY", "TYPE"]).as_deref(), Some("x509"));
    assert_eq!(text(&card, &["KEY", "CRED"]).as_deref(), Some("KEYDATA"));
    for (name, value) in [
        ("BDAY", "1852-05-04"),
        ("MAILER", "meerkat"),
        ("TITLE", "Explorer"),
        ("ROLE", "Guest"),
        ("NOTE", "Curiouser and curiouser"),
        ("PRODID", "meerkat-test"),
        ("REV", "2024-01-01T00:00:00Z"),
        ("UID", "uid-1"),
        ("URL", "https://example.org/alice"),
        ("DESC", "A girl"),
    ] {
        assert_eq!(text(&card, &[name]).as_deref(), Some(value), "{name}");
    }

    // A minimal vCard replaces the whole card; absent properties read as null.
    let b = e.admin("mutation { vcard { setVcard(user: \"alice@localhost\", vcard: {formattedName: \"A\", nameComponents: {}}) { formattedName nameComponents { family } nickname photo { __typename } } } }", json!({})).await;
    assert_eq!(
        b["data"]["vcard"]["setVcard"],
        json!({"formattedName": "A", "nameComponents": {"family": null}, "nickname": null, "photo": null}),
        "{b}"
    );
    let card = vcard_over_xmpp(&e, "alice@localhost", "alice@localhost").await;
    assert_eq!(
        card.to_xml(),
        "<vCard xmlns='vcard-temp'><FN>A</FN><N/></vCard>"
    );
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn vcard_set_over_xmpp_is_what_graphql_reads() {
    let e = env().await;
    let mut bob = e.online("bob@localhost").await;
    bob.send("<iq xmlns='jabber:client' type='set' id='s1'><vCard xmlns='vcard-temp'>\
        <FN>Bob Builder</FN><N><GIVEN>Bob</GIVEN></N><NICKNAME>bobby</NICKNAME>\
        <PHOTO><EXTVAL>https://example.org/bob.jpg</EXTVAL></PHOTO>\
        <TEL><WORK/><FAX/><NUMBER>555</NUMBER></TEL><EMAIL><HOME/><USERID>bob@example.org</USERID></EMAIL>\
        <SOUND><BINVAL>UklGRg==</BINVAL></SOUND><AGENT><EXTVAL>xmpp:wendy@localhost</EXTVAL></AGENT>\
        <SOR>legacy</SOR><CLASS><PUBLIC/></CLASS><X-UNKNOWN>ignored</X-UNKNOWN></vCard></iq>").await;
    let r = bob.recv_until(|e| e.attr("id") == Some("s1")).await;
    assert_eq!(r.attr("type"), Some("result"), "{r}");
    let q = "query($u: JID!) { vcard { getVcard(user: $u) { formattedName nameComponents { givenName family } nickname
        photo { __typename ... on External { extValue } } telephone { tags number } email { tags userId }
        sound { __typename ... on BinValue { binValue } } agent { __typename ... on External { extValue } }
        sortString class { tags } note } } }";
    let b = e.admin(q, json!({"u": "bob@localhost"})).await;
    assert_eq!(
        b["data"]["vcard"]["getVcard"],
        json!({
        "formattedName": "Bob Builder", "nameComponents": {"givenName": "Bob", "family": null}, "nickname": ["bobby"],
        "photo": [{"__typename": "External", "extValue": "https://example.org/bob.jpg"}],
        "telephone": [{"tags": ["WORK", "FAX"], "number": "555"}], "email": [{"tags": ["HOME"], "userId": "bob@example.org"}],
        "sound": [{"__typename": "BinValue", "binValue": "UklGRg=="}], "agent": [{"__typename": "External", "extValue": "xmpp:wendy@localhost"}],
        "sortString": ["legacy"], "class": [{"tags": ["PUBLIC"]}], "note": null}),
        "{b}"
    );
    // The user endpoint: one's own card, another user's, and setting one's own.
    let b = e
        .user(
            "bob@localhost",
            "{ vcard { getVcard { formattedName } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["vcard"]["getVcard"]["formattedName"],
        "Bob Builder"
    );
    let b = e
        .user(
            "alice@localhost",
            "{ vcard { getVcard(user: \"bob@localhost\") { formattedName } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["vcard"]["getVcard"]["formattedName"],
        "Bob Builder"
    );
    let b = e
        .user(
            "alice@localhost",
            "{ vcard { getVcard { formattedName } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["vcard_not_found".to_owned()],
            &json!("Vcard for user not found")
        )
    );
    let b = e.user("alice@localhost", "mutation($v: VcardInput!) { vcard { setVcard(vcard: $v) { formattedName telephone { number } } } }",
        json!({"v": {"formattedName": "Alice", "nameComponents": {"givenName": "Alice"}, "telephone": [{"number": "1"}]}})).await;
    assert_eq!(
        b["data"]["vcard"]["setVcard"],
        json!({"formattedName": "Alice", "telephone": [{"number": "1"}]}),
        "{b}"
    );
    let card = vcard_over_xmpp(&e, "bob@localhost", "alice@localhost").await;
    assert_eq!(
        card.to_xml(),
        "<vCard xmlns='vcard-temp'><FN>Alice</FN><N><GIVEN>Alice</GIVEN></N><TEL><NUMBER>1</NUMBER></TEL></vCard>"
    );
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn vcard_errors_gating_and_scope() {
    let e = env().await;
    let get = get_query();
    let b = e.admin(&get, json!({"u": "kate@localhost"})).await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["vcard_not_found".to_owned()],
            &json!("Vcard for user not found")
        )
    );
    assert_eq!(b["errors"][0]["extensions"]["user"], "kate@localhost");
    let b = e.admin(&get, json!({"u": "nobody@localhost"})).await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["user_not_found".to_owned()],
            &json!("Given user does not exist")
        )
    );
    let b = e.admin(&get, json!({"u": "alice@nowhere.test"})).await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["user_not_found".to_owned()],
            &json!("User's domain does not exist")
        )
    );
    let set = set_query();
    let b = e
        .admin(&set, json!({"u": "nobody@localhost", "v": full_input()}))
        .await;
    assert_eq!(codes(&b), ["user_not_found"]);
    // Required input fields are enforced before anything runs.
    let (s, _) =
        e.g.post(
            crate::graphql::ADMIN,
            Some(("admin", "secret")),
            &set,
            json!({"u": "alice@localhost", "v": {"formattedName": "x"}}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = e.g.post(crate::graphql::ADMIN, Some(("admin", "secret")), &set, json!({"u": "alice@localhost", "v": {"formattedName": "x", "nameComponents": {}, "telephone": [{"tags": ["NOPE"], "number": "1"}]}})).await;
    assert_eq!(s, 400);

    // Domain admin: own domain yes, other domain no.
    let b = e
        .domain_admin(&set, json!({"u": "alice@localhost", "v": full_input()}))
        .await;
    assert!(b["errors"].is_null(), "{b}");
    let b = e.domain_admin(&get, json!({"u": "alice@localhost"})).await;
    assert_eq!(
        b["data"]["vcard"]["getVcard"]["formattedName"],
        "Alice Liddell"
    );
    let b = e.domain_admin(&get, json!({"u": "carol@other.test"})).await;
    assert_eq!(codes(&b), ["no_permissions"]);
    let b = e
        .domain_admin(&set, json!({"u": "carol@other.test", "v": full_input()}))
        .await;
    assert_eq!(codes(&b), ["no_permissions"]);
    e.g.server.stop().await;

    let e = env_without(Some("mod_vcard")).await;
    let b = e.admin(&get, json!({"u": "alice@localhost"})).await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    assert_eq!(
        b["errors"][0]["extensions"]["not_loaded_modules"],
        json!(["mod_vcard"])
    );
    let b = e
        .admin(&set, json!({"u": "alice@localhost", "v": full_input()}))
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    let b = e
        .user(
            "alice@localhost",
            "{ vcard { getVcard { formattedName } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    let b = e.user("alice@localhost", "mutation { vcard { setVcard(vcard: {formattedName: \"A\", nameComponents: {}}) { formattedName } } }", json!({})).await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    e.g.server.stop().await;
}
