//! The IQ services and extensions at the core level: disco, ping (XEP-0199), vCard
//! (XEP-0054), private storage (XEP-0049), last activity (XEP-0012), carbons (XEP-0280).

use crate::core_client::{Client, Harness, stanza_error, xml};
use meerkat_xmpp::{Element, ns};
use std::collections::BTreeSet;

fn features(reply: &Element) -> BTreeSet<String> {
    let q = reply
        .get_child("query", ns::DISCO_INFO)
        .unwrap_or_else(|| panic!("no disco#info query in {reply}"));
    q.children()
        .filter(|c| c.is("feature", ns::DISCO_INFO))
        .map(|f| f.attr("var").unwrap_or_default().to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

async fn users(h: &Harness, names: &[&str]) {
    for n in names {
        h.user(n, "pw").await;
    }
}

/// `x` and `y` subscribed to each other.
async fn befriend(x: &mut Client, y: &mut Client) {
    let xj = x.c2s.jid().unwrap().to_bare().to_string();
    let yj = y.c2s.jid().unwrap().to_bare().to_string();
    x.send(&format!("<presence to='{yj}' type='subscribe'/>"))
        .await;
    y.drain().await;
    y.send(&format!("<presence to='{xj}' type='subscribed'/>"))
        .await;
    y.send(&format!("<presence to='{xj}' type='subscribe'/>"))
        .await;
    x.drain().await;
    x.send(&format!("<presence to='{yj}' type='subscribed'/>"))
        .await;
    x.drain().await;
    y.drain().await;
}

#[tokio::test]
async fn core_server_disco_info_lists_enabled_modules_only() {
    let h = Harness::new().await;
    users(&h, &["alice"]).await;
    let mut a = h.online("alice", "r").await;
    let reply = a
        .iq("<iq to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    assert_eq!(reply.attr("type"), Some("result"));
    assert_eq!(reply.attr("from"), Some("localhost"));
    assert_eq!(reply.attr("to"), Some("alice@localhost/r"));
    let q = reply.get_child("query", ns::DISCO_INFO).unwrap();
    assert_eq!(
        q.get_child("identity", ns::DISCO_INFO),
        Some(&xml(
            "<identity xmlns='http://jabber.org/protocol/disco#info' \
                   category='server' type='im' name='meerkat'/>"
        ))
    );
    assert_eq!(
        features(&reply),
        set(&[
            "http://jabber.org/protocol/disco#info",
            "http://jabber.org/protocol/disco#items",
            "iq",
            "presence",
            "urn:xmpp:ping",
            "vcard-temp",
            "jabber:iq:last",
            "urn:xmpp:carbons:2",
            "msgoffline",
            "jabber:iq:private",
            "jabber:iq:roster",
            "urn:xmpp:features:rosterver",
        ])
    );
    let items = a
        .iq("<iq to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
        .await;
    assert_eq!(
        items.get_child("query", ns::DISCO_ITEMS),
        Some(&Element::new("query", ns::DISCO_ITEMS))
    );

    // Only mod_disco and mod_roster: nothing else is advertised, nor answered.
    let h = Harness::with_config(
        r#"
[general]
  hosts = ["localhost"]
[auth.password]
  scram_iterations = 64
[modules.mod_disco]
[modules.mod_roster]
"#,
    )
    .await;
    users(&h, &["alice", "bob"]).await;
    let mut a = h.online("alice", "r").await;
    let reply = a
        .iq("<iq to='localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    assert_eq!(
        features(&reply),
        set(&[
            "http://jabber.org/protocol/disco#info",
            "http://jabber.org/protocol/disco#items",
            "iq",
            "presence",
            "jabber:iq:roster",
        ])
    );
    for (to, payload) in [
        ("localhost", "<ping xmlns='urn:xmpp:ping'/>"),
        ("localhost", "<query xmlns='jabber:iq:last'/>"),
        ("bob@localhost", "<vCard xmlns='vcard-temp'/>"),
        ("bob@localhost", "<ping xmlns='urn:xmpp:ping'/>"),
    ] {
        let r = a
            .iq(&format!("<iq to='{to}' type='get'>{payload}</iq>"))
            .await;
        assert_eq!(
            stanza_error(&r),
            ("cancel".into(), "service-unavailable".into()),
            "{payload}"
        );
    }
    let r = a
        .iq("<iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>")
        .await;
    assert_eq!(stanza_error(&r).1, "service-unavailable");
}

#[tokio::test]
async fn core_user_disco_info() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut a = h.online("alice", "r").await;
    let reply = a
        .iq("<iq to='bob@localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    assert_eq!(reply.attr("from"), Some("bob@localhost"));
    let q = reply.get_child("query", ns::DISCO_INFO).unwrap();
    let id = q.get_child("identity", ns::DISCO_INFO).unwrap();
    assert_eq!(id.attr("category"), Some("account"));
    assert_eq!(id.attr("type"), Some("registered"));
    assert!(features(&reply).contains("vcard-temp"));
    // No such account.
    let r = a
        .iq("<iq to='ghost@localhost' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    assert_eq!(stanza_error(&r).1, "service-unavailable");
}

#[tokio::test]
async fn core_ping_server_and_bare_jid() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut a = h.online("alice", "r").await;
    let pong = a
        .iq("<iq to='localhost' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(
        pong,
        xml("<iq from='localhost' to='alice@localhost/r' type='result' id='t1'/>")
    );
    // A bare JID is answered by the server on the account's behalf, online or not.
    let pong = a
        .iq("<iq to='bob@localhost' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(
        pong,
        xml("<iq from='bob@localhost' to='alice@localhost/r' type='result' id='t2'/>")
    );
    // Without `to`: the user's own account.
    let pong = a
        .iq("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(pong.attr("type"), Some("result"));
    assert_eq!(pong.attr("to"), Some("alice@localhost/r"));
    // The other domain served here answers too.
    let pong = a
        .iq("<iq to='example.org' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(pong.attr("from"), Some("example.org"));
    assert_eq!(pong.attr("type"), Some("result"));
    // An unknown payload for the server.
    let r = a
        .iq("<iq to='localhost' type='get'><query xmlns='urn:example:nothing'/></iq>")
        .await;
    assert_eq!(
        stanza_error(&r),
        ("cancel".into(), "service-unavailable".into())
    );
    a.expect_nothing().await;
}

#[tokio::test]
async fn core_vcard_set_and_get() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut a = h.online("alice", "r").await;
    let mut b = h.online("bob", "r").await;

    // Nothing stored yet: an empty vCard.
    let r = b
        .iq("<iq to='alice@localhost' type='get'><vCard xmlns='vcard-temp'/></iq>")
        .await;
    assert_eq!(r.attr("type"), Some("result"));
    assert_eq!(
        r.get_child("vCard", ns::VCARD),
        Some(&Element::new("vCard", ns::VCARD))
    );

    let card = "<vCard xmlns='vcard-temp'><FN>Alice &amp; &lt;Co&gt; \u{1F980}</FN>\
                <NICKNAME>al</NICKNAME><EMAIL><USERID>a@example.com</USERID></EMAIL></vCard>";
    let r = a.iq(&format!("<iq type='set'>{card}</iq>")).await;
    assert_eq!(r.attr("type"), Some("result"), "{r}");
    assert!(r.children().next().is_none());

    let own = a
        .iq("<iq type='get'><vCard xmlns='vcard-temp'/></iq>")
        .await;
    assert_eq!(own.get_child("vCard", ns::VCARD), Some(&xml(card)));
    let other = b
        .iq("<iq to='alice@localhost' type='get'><vCard xmlns='vcard-temp'/></iq>")
        .await;
    assert_eq!(other.attr("from"), Some("alice@localhost"));
    assert_eq!(other.get_child("vCard", ns::VCARD), Some(&xml(card)));

    // Nobody writes another user's vCard.
    let r = b
        .iq("<iq to='alice@localhost' type='set'><vCard xmlns='vcard-temp'><FN>x</FN></vCard></iq>")
        .await;
    assert_eq!(stanza_error(&r), ("auth".into(), "forbidden".into()));
    let own = a
        .iq("<iq type='get'><vCard xmlns='vcard-temp'/></iq>")
        .await;
    assert_eq!(own.get_child("vCard", ns::VCARD), Some(&xml(card)));
}

#[tokio::test]
async fn core_private_storage() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut a = h.online("alice", "r").await;
    let mut b = h.online("bob", "r").await;

    let bookmarks = "<storage xmlns='storage:bookmarks'>\
                     <conference jid='room@muc.localhost' autojoin='true' name='R &amp; D'>\
                     <nick>al</nick></conference></storage>";
    let r = a
        .iq(&format!(
            "<iq type='set'><query xmlns='jabber:iq:private'>{bookmarks}</query></iq>"
        ))
        .await;
    assert_eq!(r.attr("type"), Some("result"), "{r}");

    let got = a
        .iq("<iq type='get'><query xmlns='jabber:iq:private'>\
             <storage xmlns='storage:bookmarks'/></query></iq>")
        .await;
    assert_eq!(
        got.get_child("query", ns::PRIVATE),
        Some(&xml(&format!(
            "<query xmlns='jabber:iq:private'>{bookmarks}</query>"
        )))
    );
    // Nothing under another namespace: the empty element comes back.
    let none = a
        .iq("<iq type='get'><query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query></iq>")
        .await;
    assert_eq!(
        none.get_child("query", ns::PRIVATE),
        Some(&xml(
            "<query xmlns='jabber:iq:private'><prefs xmlns='urn:example:prefs'/></query>"
        ))
    );

    // Bob may neither read nor write Alice's.
    for ty in ["get", "set"] {
        let r = b
            .iq(&format!(
                "<iq to='alice@localhost' type='{ty}'><query xmlns='jabber:iq:private'>\
                 <storage xmlns='storage:bookmarks'/></query></iq>"
            ))
            .await;
        assert_eq!(
            stanza_error(&r),
            ("auth".into(), "forbidden".into()),
            "{ty}"
        );
    }
    // Bob's own storage is his.
    let r = b
        .iq("<iq type='get'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>")
        .await;
    assert_eq!(
        r.get_child("query", ns::PRIVATE),
        Some(&xml(
            "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>"
        ))
    );

    // jabber:* namespaces are reserved.
    for ty in ["get", "set"] {
        let r = a
            .iq(&format!(
                "<iq type='{ty}'><query xmlns='jabber:iq:private'><x xmlns='jabber:x:data'/></query></iq>"
            ))
            .await;
        assert_eq!(
            stanza_error(&r),
            ("modify".into(), "not-acceptable".into()),
            "{ty}"
        );
    }
}

#[tokio::test]
async fn core_last_activity() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob", "carol"]).await;
    let mut a = h.online("alice", "r").await;
    let mut b = h.online("bob", "r").await;
    let mut c = h.online("carol", "r").await;
    befriend(&mut a, &mut b).await;

    // The server: its uptime.
    let up = a
        .iq("<iq to='localhost' type='get'><query xmlns='jabber:iq:last'/></iq>")
        .await;
    let secs: u64 = up
        .get_child("query", ns::LAST)
        .and_then(|q| q.attr("seconds"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(secs <= h.server.uptime().as_secs(), "{up}");

    // An online contact: 0.
    let r = a
        .iq("<iq to='bob@localhost' type='get'><query xmlns='jabber:iq:last'/></iq>")
        .await;
    assert_eq!(
        r.get_child("query", ns::LAST),
        Some(&xml("<query xmlns='jabber:iq:last' seconds='0'/>"))
    );

    // Bob leaves with a status.
    b.send("<presence type='unavailable'><status>Off to bed</status></presence>")
        .await;
    b.disconnect().await;
    a.drain().await;
    let r = a
        .iq("<iq to='bob@localhost' type='get'><query xmlns='jabber:iq:last'/></iq>")
        .await;
    assert_eq!(r.attr("from"), Some("bob@localhost"));
    let q = r.get_child("query", ns::LAST).unwrap();
    assert_eq!(q.text(), "Off to bed");
    let secs: i64 = q.attr("seconds").unwrap().parse().unwrap();
    assert!((0..60).contains(&secs), "{r}");

    // Carol is not subscribed to Bob's presence.
    let r = c
        .iq("<iq to='bob@localhost' type='get'><query xmlns='jabber:iq:last'/></iq>")
        .await;
    assert_eq!(stanza_error(&r), ("auth".into(), "forbidden".into()));

    // A dropped connection records last activity too (empty status).
    c.disconnect().await;
    let mut c2 = h.login("carol", "r2").await;
    let r = c2
        .iq("<iq type='get'><query xmlns='jabber:iq:last'/></iq>")
        .await;
    let q = r.get_child("query", ns::LAST).unwrap();
    assert_eq!(q.text(), "");
    let secs: i64 = q.attr("seconds").unwrap().parse().unwrap();
    assert!((0..60).contains(&secs), "{r}");

    // Never been online: nothing known.
    users(&h, &["dave"]).await;
    let mut d = h.login("dave", "r").await;
    let r = d
        .iq("<iq type='get'><query xmlns='jabber:iq:last'/></iq>")
        .await;
    assert_eq!(stanza_error(&r), ("cancel".into(), "item-not-found".into()));
}

#[tokio::test]
async fn core_carbons_copy_to_other_enabled_resources() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut r1 = h.online("alice", "r1").await;
    let mut r2 = h.online("alice", "r2").await;
    let mut r3 = h.online("alice", "r3").await; // carbons not enabled
    let mut bob = h.online("bob", "b").await;
    for r in [&mut r1, &mut r2] {
        let ok = r
            .iq("<iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>")
            .await;
        assert_eq!(ok.attr("type"), Some("result"), "{ok}");
    }
    for r in [&mut r1, &mut r2, &mut r3] {
        r.drain().await;
    }

    // Received: Bob writes to r1; r2 gets a <received/> copy.
    bob.send(
        "<message to='alice@localhost/r1' type='chat' id='c1'><body>hello r1</body></message>",
    )
    .await;
    let direct = xml(
        "<message from='bob@localhost/b' to='alice@localhost/r1' type='chat' id='c1'>\
         <body>hello r1</body></message>",
    );
    assert_eq!(r1.recv().await, direct);
    assert_eq!(
        r2.recv().await,
        xml(&format!(
            "<message from='alice@localhost' to='alice@localhost/r2' type='chat'>\
             <received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             {}</forwarded></received></message>",
            direct.to_xml()
        ))
    );
    r3.expect_nothing().await;
    r1.expect_nothing().await;

    // Sent: r1 writes to Bob; r2 gets a <sent/> copy.
    r1.send("<message to='bob@localhost' type='chat' id='c2'><body>hi bob</body></message>")
        .await;
    let sent = xml(
        "<message from='alice@localhost/r1' to='bob@localhost' type='chat' id='c2'>\
         <body>hi bob</body></message>",
    );
    assert_eq!(bob.recv().await, sent);
    assert_eq!(
        r2.recv().await,
        xml(&format!(
            "<message from='alice@localhost' to='alice@localhost/r2' type='chat'>\
             <sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>\
             {}</forwarded></sent></message>",
            sent.to_xml()
        ))
    );
    r1.expect_nothing().await;
    r3.expect_nothing().await;

    // <private/> opts out.
    bob.send(
        "<message to='alice@localhost/r1' type='chat'><body>secret</body>\
              <private xmlns='urn:xmpp:carbons:2'/></message>",
    )
    .await;
    assert!(r1.recv().await.has_child("private", ns::CARBONS));
    r2.expect_nothing().await;

    // After disable, no copies.
    let ok = r2
        .iq("<iq type='set'><disable xmlns='urn:xmpp:carbons:2'/></iq>")
        .await;
    assert_eq!(ok.attr("type"), Some("result"));
    bob.send("<message to='alice@localhost/r1' type='chat'><body>again</body></message>")
        .await;
    r1.recv().await;
    r2.expect_nothing().await;
}
