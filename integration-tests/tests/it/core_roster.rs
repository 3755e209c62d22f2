//! Rosters, subscriptions and presence at the core level (RFC 6121 sections 2 to 4).

use crate::core_client::{Client, Harness, stanza_error, xml};
use meerkat_xmpp::{Element, ns};

const ROSTER_GET: &str = "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>";

/// The items of a roster result or push, as (jid, subscription, ask, name, groups).
fn items(iq: &Element) -> Vec<(String, String, Option<String>)> {
    let q = iq
        .get_child("query", ns::ROSTER)
        .unwrap_or_else(|| panic!("no roster query in {iq}"));
    q.children()
        .map(|i| {
            assert!(i.is("item", ns::ROSTER), "{i}");
            (
                i.attr("jid").unwrap_or_default().to_owned(),
                i.attr("subscription").unwrap_or("none").to_owned(),
                i.attr("ask").map(str::to_owned),
            )
        })
        .collect()
}

fn item(jid: &str, subscription: &str, ask: Option<&str>) -> (String, String, Option<String>) {
    (
        jid.to_owned(),
        subscription.to_owned(),
        ask.map(str::to_owned),
    )
}

fn is_push(el: &Element) -> bool {
    el.name() == "iq" && el.attr("type") == Some("set") && el.has_child("query", ns::ROSTER)
}

fn is_presence(ty: Option<&str>) -> impl Fn(&Element) -> bool {
    move |el: &Element| el.name() == "presence" && el.attr("type") == ty
}

/// The roster as the server has it now.
async fn roster(c: &mut Client) -> Vec<(String, String, Option<String>)> {
    let r = c.iq(ROSTER_GET).await;
    assert_eq!(r.attr("type"), Some("result"), "{r}");
    items(&r)
}

/// The next roster push, answered as a client would.
async fn push(c: &mut Client) -> Element {
    let p = c.recv().await;
    assert!(is_push(&p), "expected a roster push, got {p}");
    assert_eq!(p.attr("to"), c.c2s.jid().map(|j| j.as_str()));
    assert!(
        p.attr("from").is_none()
            || p.attr("from") == c.c2s.jid().map(|j| j.to_bare().to_string()).as_deref(),
        "a push comes from the user's account: {p}"
    );
    let id = p.attr("id").unwrap().to_owned();
    c.send(&format!("<iq type='result' id='{id}'/>")).await;
    p
}

/// A session that has asked for its roster and sent initial presence.
async fn session(h: &Harness, user: &str, resource: &str) -> Client {
    let mut c = h.login(user, resource).await;
    roster(&mut c).await;
    c.send("<presence/>").await;
    c.drain().await;
    c
}

#[tokio::test]
async fn core_roster_get_set_remove_with_pushes_to_interested_resources() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    h.user("bob", "pw").await;
    let mut r1 = h.login("alice", "r1").await;
    let mut r2 = h.login("alice", "r2").await; // never asks for the roster

    let empty = r1.iq(ROSTER_GET).await;
    assert_eq!(
        empty,
        xml("<iq type='result' id='t1' to='alice@localhost/r1'>\
             <query xmlns='jabber:iq:roster' ver='0'/></iq>")
    );

    let set = r1
        .iq_with(
            "<iq type='set'><query xmlns='jabber:iq:roster'>\
             <item jid='Bob@LOCALHOST' name='Bobby &amp; co'><group>Friends</group><group>Work</group></item>\
             </query></iq>",
        )
        .await;
    let (result, before) = set;
    assert_eq!(result.attr("type"), Some("result"), "{result}");
    assert!(result.children().next().is_none());
    // The push went to the mailbox; it follows the result.
    assert!(before.is_empty());
    let p = push(&mut r1).await;
    assert_eq!(
        p.get_child("query", ns::ROSTER).unwrap(),
        &xml("<query xmlns='jabber:iq:roster' ver='1'>\
              <item jid='bob@localhost' subscription='none' name='Bobby &amp; co'>\
              <group>Friends</group><group>Work</group></item></query>")
    );
    r2.expect_nothing().await;

    let got = r1.iq(ROSTER_GET).await;
    assert_eq!(
        got.get_child("query", ns::ROSTER).unwrap(),
        &xml("<query xmlns='jabber:iq:roster' ver='1'>\
              <item jid='bob@localhost' subscription='none' name='Bobby &amp; co'>\
              <group>Friends</group><group>Work</group></item></query>")
    );

    // Update: name gone, one group.
    r1.iq("<iq type='set'><query xmlns='jabber:iq:roster'>\
           <item jid='bob@localhost'><group>Work</group></item></query></iq>")
        .await;
    let p = push(&mut r1).await;
    assert_eq!(
        p.get_child("query", ns::ROSTER).unwrap(),
        &xml("<query xmlns='jabber:iq:roster' ver='2'>\
              <item jid='bob@localhost' subscription='none'><group>Work</group></item></query>")
    );

    // Remove.
    r1.iq("<iq type='set'><query xmlns='jabber:iq:roster'>\
           <item jid='bob@localhost' subscription='remove'/></query></iq>")
        .await;
    let p = push(&mut r1).await;
    assert_eq!(
        p.get_child("query", ns::ROSTER).unwrap(),
        &xml("<query xmlns='jabber:iq:roster' ver='3'>\
              <item jid='bob@localhost' subscription='remove'/></query>")
    );
    assert_eq!(roster(&mut r1).await, vec![]);
    r2.expect_nothing().await;

    // Once r2 asks for the roster, it gets pushes too.
    roster(&mut r2).await;
    r1.iq(
        "<iq type='set'><query xmlns='jabber:iq:roster'><item jid='carol@localhost'/></query></iq>",
    )
    .await;
    assert_eq!(
        items(&push(&mut r1).await),
        vec![item("carol@localhost", "none", None)]
    );
    assert_eq!(
        items(&push(&mut r2).await),
        vec![item("carol@localhost", "none", None)]
    );
}

#[tokio::test]
async fn core_roster_set_errors() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    h.user("bob", "pw").await;
    let mut a = h.login("alice", "r").await;
    roster(&mut a).await;
    for (set, condition) in [
        (
            "<item jid='b@localhost'/><item jid='c@localhost'/>",
            "bad-request",
        ),
        ("<item name='x'/>", "bad-request"),
        ("<item jid='x@localhost/res@@'/>", "jid-malformed"),
        (
            "<item jid='b@localhost'><group>g</group><group>g</group></item>",
            "bad-request",
        ),
        (
            "<item jid='b@localhost'><group></group></item>",
            "not-acceptable",
        ),
        (
            "<item jid='nobody@localhost' subscription='remove'/>",
            "item-not-found",
        ),
    ] {
        let r = a
            .iq(&format!(
                "<iq type='set'><query xmlns='jabber:iq:roster'>{set}</query></iq>"
            ))
            .await;
        assert_eq!(stanza_error(&r).1, condition, "{set}: {r}");
    }
    // Nothing was stored or pushed.
    a.expect_nothing().await;
    assert_eq!(roster(&mut a).await, vec![]);

    // Another user's roster is not reachable.
    let r = a
        .iq("<iq type='get' to='bob@localhost'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    assert_eq!(stanza_error(&r), ("auth".into(), "forbidden".into()));
}

#[tokio::test]
async fn core_roster_versioning() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    let mut a = h.login("alice", "r").await;

    let first = a
        .iq("<iq type='get'><query xmlns='jabber:iq:roster' ver=''/></iq>")
        .await;
    let ver0 = first
        .get_child("query", ns::ROSTER)
        .and_then(|q| q.attr("ver"))
        .unwrap()
        .to_owned();

    // Up to date: an empty result, no query at all (RFC 6121 2.6.3).
    let same = a
        .iq(&format!(
            "<iq type='get'><query xmlns='jabber:iq:roster' ver='{ver0}'/></iq>"
        ))
        .await;
    assert_eq!(same.attr("type"), Some("result"));
    assert!(same.children().next().is_none(), "{same}");

    a.iq("<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@localhost'/></query></iq>")
        .await;
    let p = push(&mut a).await;
    let ver1 = p
        .get_child("query", ns::ROSTER)
        .and_then(|q| q.attr("ver"))
        .unwrap()
        .to_owned();
    assert_ne!(ver1, ver0);

    // With the old version: the whole roster and the new version.
    let full = a
        .iq(&format!(
            "<iq type='get'><query xmlns='jabber:iq:roster' ver='{ver0}'/></iq>"
        ))
        .await;
    let q = full.get_child("query", ns::ROSTER).unwrap();
    assert_eq!(q.attr("ver"), Some(ver1.as_str()));
    assert_eq!(items(&full), vec![item("bob@localhost", "none", None)]);
    // With the new one: empty again.
    let same = a
        .iq(&format!(
            "<iq type='get'><query xmlns='jabber:iq:roster' ver='{ver1}'/></iq>"
        ))
        .await;
    assert!(same.children().next().is_none(), "{same}");

    // Without versioning: no ver anywhere, always the full roster.
    let h = Harness::with_config(
        r#"
[general]
  hosts = ["localhost"]
[auth.password]
  scram_iterations = 64
[modules.mod_roster]
"#,
    )
    .await;
    h.user("alice", "pw").await;
    let mut c = h.client();
    c.open_features().await;
    c.auth_plain("alice", "pw").await;
    let features = c.open_features().await;
    assert!(!features.has_child("ver", ns::ROSTERVER), "{features}");
    c.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
        .await;
    c.recv().await;
    let r = c
        .iq("<iq type='get'><query xmlns='jabber:iq:roster' ver='0'/></iq>")
        .await;
    assert_eq!(
        r.get_child("query", ns::ROSTER),
        Some(&Element::new("query", ns::ROSTER))
    );
}

#[tokio::test]
async fn core_full_subscription_flow() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    h.user("bob", "pw").await;
    let mut alice = session(&h, "alice", "a").await;
    let mut bob = session(&h, "bob", "b").await;

    // Alice asks to see Bob's presence.
    alice
        .send("<presence to='bob@localhost' type='subscribe'/>")
        .await;
    assert_eq!(
        items(&push(&mut alice).await),
        vec![item("bob@localhost", "none", Some("subscribe"))]
    );
    alice.expect_nothing().await;
    assert_eq!(
        bob.recv().await,
        xml("<presence from='alice@localhost' to='bob@localhost/b' type='subscribe'/>")
    );
    // The pending request is not a roster item Bob sees.
    bob.expect_nothing().await;
    assert_eq!(roster(&mut bob).await, vec![]);
    assert_eq!(
        roster(&mut alice).await,
        vec![item("bob@localhost", "none", Some("subscribe"))]
    );

    // Bob approves: Alice is "from" for Bob and Bob "to" for Alice.
    bob.send("<presence to='alice@localhost' type='subscribed'/>")
        .await;
    assert_eq!(
        items(&push(&mut bob).await),
        vec![item("alice@localhost", "from", None)]
    );
    bob.expect_nothing().await;
    let got = alice.drain_elements().await;
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(is_push(&got[0]));
    assert_eq!(items(&got[0]), vec![item("bob@localhost", "to", None)]);
    assert_eq!(
        got[1],
        xml("<presence from='bob@localhost' to='alice@localhost/a' type='subscribed'/>")
    );
    // ...and Bob's current presence follows.
    assert_eq!(
        got[2],
        xml("<presence from='bob@localhost/b' to='alice@localhost/a'/>")
    );

    // Presence now flows from Bob to Alice, not the other way.
    bob.send("<presence><show>away</show><status>lunch</status></presence>")
        .await;
    assert_eq!(
        alice.recv().await,
        xml("<presence from='bob@localhost/b' to='alice@localhost/a'>\
             <show>away</show><status>lunch</status></presence>")
    );
    assert_eq!(
        bob.recv().await,
        xml("<presence from='bob@localhost/b' to='bob@localhost/b'>\
             <show>away</show><status>lunch</status></presence>"),
        "the sender gets its own presence back"
    );
    alice.send("<presence><show>dnd</show></presence>").await;
    alice.drain().await;
    bob.expect_nothing().await;

    // Bob subscribes back; Alice approves: both.
    bob.send("<presence to='alice@localhost' type='subscribe'/>")
        .await;
    assert_eq!(
        items(&push(&mut bob).await),
        vec![item("alice@localhost", "from", Some("subscribe"))]
    );
    // Alice's item changed (pending in), so she gets a push, then the request.
    assert_eq!(
        items(&push(&mut alice).await),
        vec![item("bob@localhost", "to", None)]
    );
    assert_eq!(
        alice.recv().await,
        xml("<presence from='bob@localhost' to='alice@localhost/a' type='subscribe'/>")
    );
    alice
        .send("<presence to='bob@localhost' type='subscribed'/>")
        .await;
    assert_eq!(
        items(&push(&mut alice).await),
        vec![item("bob@localhost", "both", None)]
    );
    let got = bob.drain_elements().await;
    assert_eq!(items(&got[0]), vec![item("alice@localhost", "both", None)]);
    assert_eq!(
        got[1],
        xml("<presence from='alice@localhost' to='bob@localhost/b' type='subscribed'/>")
    );
    assert_eq!(
        got[2],
        xml("<presence from='alice@localhost/a' to='bob@localhost/b'><show>dnd</show></presence>")
    );
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(
        roster(&mut alice).await,
        vec![item("bob@localhost", "both", None)]
    );
    assert_eq!(
        roster(&mut bob).await,
        vec![item("alice@localhost", "both", None)]
    );

    // Alice unsubscribes from Bob's presence: Alice from, Bob to; Alice sees Bob go.
    alice
        .send("<presence to='bob@localhost' type='unsubscribe'/>")
        .await;
    assert_eq!(
        items(&push(&mut alice).await),
        vec![item("bob@localhost", "from", None)]
    );
    let got = bob.drain_elements().await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(items(&got[0]), vec![item("alice@localhost", "to", None)]);
    assert_eq!(
        got[1],
        xml("<presence from='alice@localhost' to='bob@localhost/b' type='unsubscribe'/>")
    );
    assert_eq!(
        alice.recv().await,
        xml("<presence from='bob@localhost/b' to='alice@localhost/a' type='unavailable'/>")
    );
    alice.expect_nothing().await;

    // Alice cancels Bob's subscription: none both ways; Bob sees Alice go.
    alice
        .send("<presence to='bob@localhost' type='unsubscribed'/>")
        .await;
    assert_eq!(
        items(&push(&mut alice).await),
        vec![item("bob@localhost", "none", None)]
    );
    let got = bob.drain_elements().await;
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(items(&got[0]), vec![item("alice@localhost", "none", None)]);
    assert_eq!(
        got[1],
        xml("<presence from='alice@localhost' to='bob@localhost/b' type='unsubscribed'/>")
    );
    assert_eq!(
        got[2],
        xml("<presence from='alice@localhost/a' to='bob@localhost/b' type='unavailable'/>")
    );

    // No presence flows any more.
    alice.send("<presence/>").await;
    bob.send("<presence/>").await;
    alice.drain().await;
    bob.drain().await;
    alice.send("<presence><status>x</status></presence>").await;
    bob.expect_nothing().await;
}

#[tokio::test]
async fn core_subscription_declined() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    h.user("bob", "pw").await;
    let mut alice = session(&h, "alice", "a").await;
    let mut bob = session(&h, "bob", "b").await;
    alice
        .send("<presence to='bob@localhost' type='subscribe'/>")
        .await;
    push(&mut alice).await;
    bob.recv().await;
    bob.send("<presence to='alice@localhost' type='unsubscribed'/>")
        .await;
    let got = alice.drain_elements().await;
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(items(&got[0]), vec![item("bob@localhost", "none", None)]);
    assert_eq!(
        got[1],
        xml("<presence from='bob@localhost' to='alice@localhost/a' type='unsubscribed'/>")
    );
    // Bob's hidden pending item is gone from his point of view.
    bob.expect_nothing().await;
    assert_eq!(roster(&mut bob).await, vec![]);
    // A later "subscribed" from Bob approves nothing.
    bob.send("<presence to='alice@localhost' type='subscribed'/>")
        .await;
    alice.expect_nothing().await;
    assert_eq!(
        roster(&mut alice).await,
        vec![item("bob@localhost", "none", None)]
    );
}

/// `x` subscribes to `y`'s presence and `y` approves.
async fn subscribe(x: &mut Client, y: &mut Client, xj: &str, yj: &str) {
    x.send(&format!("<presence to='{yj}' type='subscribe'/>"))
        .await;
    y.drain().await;
    y.send(&format!("<presence to='{xj}' type='subscribed'/>"))
        .await;
    x.drain().await;
    y.drain().await;
}

/// Alice and Bob subscribed both ways, both online with roster requested.
async fn mutual(h: &Harness) -> (Client, Client) {
    h.user("alice", "pw").await;
    h.user("bob", "pw").await;
    let mut alice = session(h, "alice", "a").await;
    let mut bob = session(h, "bob", "b").await;
    subscribe(&mut alice, &mut bob, "alice@localhost", "bob@localhost").await;
    subscribe(&mut bob, &mut alice, "bob@localhost", "alice@localhost").await;
    assert_eq!(
        roster(&mut alice).await,
        vec![item("bob@localhost", "both", None)]
    );
    assert_eq!(
        roster(&mut bob).await,
        vec![item("alice@localhost", "both", None)]
    );
    (alice, bob)
}

#[tokio::test]
async fn core_roster_removal_cancels_subscriptions_both_ways() {
    let h = Harness::new().await;
    let (mut alice, mut bob) = mutual(&h).await;

    alice
        .send(
            "<iq type='set' id='rm'><query xmlns='jabber:iq:roster'>\
               <item jid='bob@localhost' subscription='remove'/></query></iq>",
        )
        .await;
    let got = alice.drain_elements().await;
    let push_rm = got.iter().find(|e| is_push(e)).expect("a removal push");
    assert_eq!(items(push_rm), vec![item("bob@localhost", "remove", None)]);
    assert!(
        got.iter()
            .any(|e| e.attr("id") == Some("rm") && e.attr("type") == Some("result"))
    );
    // Bob's presence is no longer Alice's to see.
    assert!(
        got.iter().any(|e| *e
            == xml("<presence from='bob@localhost/b' to='alice@localhost/a' type='unavailable'/>")),
        "{got:#?}"
    );
    assert_eq!(got.len(), 3, "{got:#?}");

    let got = bob.drain_elements().await;
    let presences: Vec<&Element> = got.iter().filter(|e| e.name() == "presence").collect();
    assert_eq!(
        presences,
        vec![
            &xml("<presence from='alice@localhost' to='bob@localhost/b' type='unsubscribe'/>"),
            &xml("<presence from='alice@localhost' to='bob@localhost/b' type='unsubscribed'/>"),
            &xml("<presence from='alice@localhost/a' to='bob@localhost/b' type='unavailable'/>"),
        ]
    );
    assert_eq!(
        got.iter().filter(|e| is_push(e)).map(items).next_back(),
        Some(vec![item("alice@localhost", "none", None)])
    );
    assert_eq!(roster(&mut alice).await, vec![]);
    assert_eq!(
        roster(&mut bob).await,
        vec![item("alice@localhost", "none", None)]
    );

    // Presence no longer flows either way.
    alice.send("<presence><show>xa</show></presence>").await;
    bob.send("<presence><show>xa</show></presence>").await;
    alice.drain().await;
    bob.drain().await;
    alice.send("<presence/>").await;
    alice.drain().await;
    bob.expect_nothing().await;
    bob.send("<presence/>").await;
    bob.drain().await;
    alice.expect_nothing().await;
}

#[tokio::test]
async fn core_subscription_request_to_offline_user_is_delivered_at_next_login() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    h.user("bob", "pw").await;
    let mut alice = session(&h, "alice", "a").await;
    alice
        .send("<presence to='bob@localhost' type='subscribe'><status>it is me</status></presence>")
        .await;
    push(&mut alice).await;

    let mut bob = h.login("bob", "b").await;
    assert_eq!(roster(&mut bob).await, vec![]);
    bob.send("<presence/>").await;
    let got = bob.drain_elements().await;
    let reqs: Vec<&Element> = got
        .iter()
        .filter(|e| is_presence(Some("subscribe"))(e))
        .collect();
    assert_eq!(reqs.len(), 1, "{got:#?}");
    assert_eq!(reqs[0].attr("from"), Some("alice@localhost"));
    assert_eq!(
        reqs[0].attr("to").map(|t| t.split('/').next().unwrap()),
        Some("bob@localhost")
    );
    // Every new available resource is reminded until Bob answers.
    let mut bob2 = h.login("bob", "b2").await;
    bob2.send("<presence/>").await;
    let got = bob2.drain_elements().await;
    assert_eq!(
        got.iter()
            .filter(|e| is_presence(Some("subscribe"))(e))
            .count(),
        1,
        "{got:#?}"
    );
    bob.drain().await;

    bob.send("<presence to='alice@localhost' type='subscribed'/>")
        .await;
    let (p, _) = alice.recv_until(is_presence(Some("subscribed"))).await;
    assert_eq!(p.attr("from"), Some("bob@localhost"));
    assert_eq!(
        roster(&mut alice).await,
        vec![item("bob@localhost", "to", None)]
    );
    let mut bob3 = h.login("bob", "b3").await;
    bob3.send("<presence/>").await;
    let got = bob3.drain_elements().await;
    assert!(
        got.iter().all(|e| !is_presence(Some("subscribe"))(e)),
        "{got:#?}"
    );
}

#[tokio::test]
async fn core_subscribe_to_nonexistent_user_is_refused() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    let mut alice = session(&h, "alice", "a").await;
    alice
        .send("<presence to='ghost@localhost' type='subscribe'/>")
        .await;
    let got = alice.drain_elements().await;
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(
        items(&got[0]),
        vec![item("ghost@localhost", "none", Some("subscribe"))]
    );
    assert_eq!(items(&got[1]), vec![item("ghost@localhost", "none", None)]);
    assert_eq!(
        got[2],
        xml("<presence from='ghost@localhost' to='alice@localhost/a' type='unsubscribed'/>")
    );
}

#[tokio::test]
async fn core_initial_presence_probes_broadcast_and_echo() {
    let h = Harness::new().await;
    let (mut alice, mut bob) = mutual(&h).await;
    bob.send("<presence><show>chat</show><priority>3</priority></presence>")
        .await;
    bob.drain().await;
    alice.drain().await;

    // A second resource of Alice logs in and sends initial presence.
    let mut a2 = h.login("alice", "a2").await;
    a2.send("<presence><status>second</status></presence>")
        .await;
    let got = a2.drain_elements().await;
    // Its own echo, Alice's other resource's presence, and Bob's presence (the probe).
    assert!(
        got.contains(&xml(
            "<presence from='alice@localhost/a2' to='alice@localhost/a2'>\
                           <status>second</status></presence>"
        )),
        "{got:#?}"
    );
    let from_bob: Vec<&Element> = got
        .iter()
        .filter(|e| e.attr("from") == Some("bob@localhost/b"))
        .collect();
    assert_eq!(from_bob.len(), 1, "{got:#?}");
    assert_eq!(from_bob[0].attr("type"), None);
    assert_eq!(
        from_bob[0].get_child("show", ns::CLIENT).map(|s| s.text()),
        Some("chat".into())
    );
    assert!(
        got.iter()
            .any(|e| e.attr("from") == Some("alice@localhost/a") && e.attr("type").is_none()),
        "{got:#?}"
    );

    // Bob (subscribed to Alice) and Alice's other resource see the new presence.
    let expected_status = Some("second".to_owned());
    let (p, _) = bob
        .recv_until(|e| e.attr("from") == Some("alice@localhost/a2"))
        .await;
    assert_eq!(
        p.get_child("status", ns::CLIENT).map(|s| s.text()),
        expected_status
    );
    assert_eq!(p.attr("to"), Some("bob@localhost/b"));
    let (p, _) = alice
        .recv_until(|e| e.attr("from") == Some("alice@localhost/a2"))
        .await;
    assert_eq!(p.attr("to"), Some("alice@localhost/a"));
}

#[tokio::test]
async fn core_probe_for_offline_contact_reports_last_unavailable() {
    let h = Harness::new().await;
    let (mut alice, mut bob) = mutual(&h).await;
    bob.send("<presence type='unavailable'><status>gone fishing</status></presence>")
        .await;
    bob.disconnect().await;
    alice.drain().await;
    alice.disconnect().await;

    let mut a = h.login("alice", "a").await;
    a.send("<presence/>").await;
    let got = a.drain_elements().await;
    let from_bob: Vec<&Element> = got
        .iter()
        .filter(|e| {
            e.attr("from")
                .is_some_and(|f| f.starts_with("bob@localhost"))
        })
        .collect();
    assert_eq!(from_bob.len(), 1, "{got:#?}");
    let p = from_bob[0];
    assert_eq!(p.attr("type"), Some("unavailable"));
    assert_eq!(p.attr("from"), Some("bob@localhost"));
    assert_eq!(
        p.get_child("status", ns::CLIENT).map(|s| s.text()),
        Some("gone fishing".into())
    );
    assert!(p.has_child("delay", ns::DELAY), "{p}");
}

#[tokio::test]
async fn core_unavailable_is_broadcast_when_the_session_ends() {
    let h = Harness::new().await;
    let (mut alice, mut bob) = mutual(&h).await;
    let mut a2 = session(&h, "alice", "a2").await;
    alice.drain().await;
    bob.drain().await;

    // A dropped socket: the transport calls terminate.
    a2.disconnect().await;
    assert_eq!(
        bob.recv().await,
        xml("<presence from='alice@localhost/a2' to='bob@localhost/b' type='unavailable'/>")
    );
    assert_eq!(
        alice.recv().await,
        xml("<presence from='alice@localhost/a2' to='alice@localhost/a' type='unavailable'/>")
    );
    bob.expect_nothing().await;
    alice.expect_nothing().await;
    assert_eq!(h.server.sm().count(), 2);

    // A clean close (</close>) does the same.
    let out = alice.feed(meerkat_core::c2s::Input::Close).await;
    assert_eq!(out, vec![meerkat_core::c2s::Output::Close]);
    assert_eq!(
        bob.recv().await,
        xml("<presence from='alice@localhost/a' to='bob@localhost/b' type='unavailable'/>")
    );
    assert_eq!(h.server.sm().count(), 1);
    // Terminate is idempotent.
    alice.disconnect().await;
    bob.expect_nothing().await;
}

#[tokio::test]
async fn core_replaced_session_is_reported_unavailable_to_contacts() {
    let h = Harness::new().await;
    let (mut alice, mut bob) = mutual(&h).await;
    let mut new = h.login("alice", "a").await;
    let out = alice.drain().await;
    assert!(alice.c2s.is_closed(), "{out:?}");
    assert_eq!(
        bob.recv().await,
        xml(
            "<presence from='alice@localhost/a' to='bob@localhost/b' type='unavailable'>\
             <status>Replaced by new connection</status></presence>"
        )
    );
    // Not to the session that took over the full JID.
    new.expect_nothing().await;
    new.send("<presence/>").await;
    let (p, _) = bob
        .recv_until(|e| e.attr("from") == Some("alice@localhost/a"))
        .await;
    assert_eq!(p.attr("type"), None);
}

#[tokio::test]
async fn core_directed_presence_gets_unavailable_at_logout() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    h.user("bob", "pw").await;
    h.user("carol", "pw").await;
    let mut alice = session(&h, "alice", "a").await;
    let mut bob = session(&h, "bob", "b").await;
    let mut carol = session(&h, "carol", "c").await;

    // No subscription: only directed presence reaches Bob and Carol.
    alice
        .send("<presence to='bob@localhost'><show>chat</show></presence>")
        .await;
    assert_eq!(
        bob.recv().await,
        xml("<presence from='alice@localhost/a' to='bob@localhost/b'><show>chat</show></presence>")
    );
    alice.send("<presence to='carol@localhost/c'/>").await;
    assert_eq!(
        carol.recv().await,
        xml("<presence from='alice@localhost/a' to='carol@localhost/c'/>")
    );
    // Directed unavailable to Carol: she is off the list.
    alice
        .send("<presence to='carol@localhost/c' type='unavailable'/>")
        .await;
    assert_eq!(
        carol.recv().await,
        xml("<presence from='alice@localhost/a' to='carol@localhost/c' type='unavailable'/>")
    );
    alice.expect_nothing().await;

    alice.disconnect().await;
    assert_eq!(
        bob.recv().await,
        xml("<presence from='alice@localhost/a' to='bob@localhost/b' type='unavailable'/>")
    );
    bob.expect_nothing().await;
    carol.expect_nothing().await;
}

#[tokio::test]
async fn core_negative_priority_presence_is_broadcast() {
    let h = Harness::new().await;
    h.user("alice", "pw").await;
    let mut a1 = session(&h, "alice", "a1").await;
    let mut a2 = session(&h, "alice", "a2").await;
    a1.drain().await;
    a1.send("<presence><priority>-10</priority></presence>")
        .await;
    let mine = a1.recv().await;
    let other = a2.recv().await;
    for p in [&mine, &other] {
        assert_eq!(p.attr("from"), Some("alice@localhost/a1"));
        assert_eq!(
            p.get_child("priority", ns::CLIENT).map(|s| s.text()),
            Some("-10".into())
        );
    }
}

#[tokio::test]
async fn core_replaced_session_does_not_override_the_new_sessions_presence() {
    let h = Harness::new().await;
    let (mut alice, mut bob) = mutual(&h).await;
    // The new session is available before the old one hears it was replaced.
    let mut new = h.login("alice", "a").await;
    new.send("<presence><show>chat</show></presence>").await;
    new.drain().await;
    alice.drain().await;
    assert!(alice.c2s.is_closed());
    let got = bob.drain_elements().await;
    let from_a: Vec<&Element> = got
        .iter()
        .filter(|e| e.attr("from") == Some("alice@localhost/a"))
        .collect();
    assert_eq!(
        from_a,
        vec![&xml(
            "<presence from='alice@localhost/a' to='bob@localhost/b'><show>chat</show></presence>"
        )]
    );
}
