//! XMPP over WebSocket (RFC 7395) against the real server: framing, login, chat,
//! presence, offline delivery, every stream error, limits and dropped sockets.

use crate::common::{LOCALHOST_HTTP, TestServer, WS_HANDLER};
use crate::ws_client::{Frame, WsClient};
use meerkat_xmpp::{Element, ns};
use std::time::Duration;

const DOMAIN: &str = "localhost";

fn config(ws_options: &str) -> String {
    format!(
        "{LOCALHOST_HTTP}{WS_HANDLER}{ws_options}
[modules.mod_roster]
versioning = true
[modules.mod_presence]
[modules.mod_offline]
[modules.mod_disco]
[modules.mod_ping]
"
    )
}

struct Env {
    server: TestServer,
    url: String,
}

/// Starts `config` and registers `users` (`<name>-pw`).
async fn start(config: &str, users: &[&str]) -> Env {
    let server = TestServer::start(config).await;
    server.register_users(users).await;
    Env {
        url: server.ws_url(0),
        server,
    }
}

async fn env(ws_options: &str, users: &[&str]) -> Env {
    start(&config(ws_options), users).await
}

impl Env {
    async fn login(&self, user: &str, resource: Option<&str>) -> WsClient {
        WsClient::login(&self.url, user, DOMAIN, &format!("{user}-pw"), resource).await
    }
}

#[actix_rt::test]
async fn xmpp_subprotocol_is_echoed() {
    let e = env("", &[]).await;
    let c = WsClient::connect(&e.url).await;
    assert_eq!(c.protocol.as_deref(), Some("xmpp"));
    let c = WsClient::connect_with(&e.url, false).await;
    assert_eq!(
        c.protocol, None,
        "no protocol header when the client offers none"
    );
    e.server.stop().await;
}

#[actix_rt::test]
async fn open_features_and_framing_namespaces() {
    let e = env("", &[]).await;
    let mut c = WsClient::connect(&e.url).await;
    c.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>")
        .await;
    let open = c.recv().await;
    assert!(open.is("open", ns::FRAMING));
    assert_eq!(open.attr("from"), Some("localhost"));
    assert_eq!(open.attr("version"), Some("1.0"));
    assert!(open.attr("id").is_some_and(|id| id.len() >= 16));
    let features = c.recv().await;
    assert!(features.is("features", ns::STREAM), "{features}");
    let mechs: Vec<String> = features
        .get_child("mechanisms", ns::SASL)
        .unwrap()
        .children()
        .map(|m| m.text())
        .collect();
    assert!(
        mechs.contains(&"SCRAM-SHA-256".to_owned()) && mechs.contains(&"PLAIN".to_owned()),
        "{mechs:?}"
    );
    c.close().await;
    e.server.stop().await;
}

#[actix_rt::test]
async fn two_users_chat_with_escaping() {
    let e = env("", &["alice", "bob"]).await;
    let mut alice = e.login("alice", Some("phone")).await;
    let mut bob = e.login("bob", None).await;
    assert_eq!(alice.jid, "alice@localhost/phone");
    assert!(bob.jid.starts_with("bob@localhost/") && bob.jid.len() > "bob@localhost/".len());
    alice.available().await;
    bob.available().await;
    let body = "1 < 2 && \"quotes\" 'apostrophes' > ]]> ünïcödé 🦦";
    let escaped = body
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    alice
        .send(&format!(
            "<message xmlns='jabber:client' to='bob@localhost' type='chat' id='m&amp;1'><body>{escaped}</body><thread>t\"&apos;1</thread></message>"
        ))
        .await;
    let got = bob.recv_until(|e| e.name() == "message").await;
    assert_eq!(got.ns(), ns::CLIENT, "stanzas carry jabber:client");
    assert_eq!(got.attr("from"), Some("alice@localhost/phone"));
    assert_eq!(got.attr("id"), Some("m&1"));
    assert_eq!(got.get_child("body", ns::CLIENT).unwrap().text(), body);
    assert_eq!(got.get_child("thread", ns::CLIENT).unwrap().text(), "t\"'1");
    // And back.
    bob.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat'><body>hi alice</body></message>",
        alice.jid
    ))
    .await;
    let got = alice.recv_until(|e| e.name() == "message").await;
    assert_eq!(got.attr("from"), Some(bob.jid.as_str()));
    assert_eq!(
        got.get_child("body", ns::CLIENT).unwrap().text(),
        "hi alice"
    );
    alice.close().await;
    bob.close().await;
    e.server.stop().await;
}

#[actix_rt::test]
async fn stream_errors_then_close() {
    let e = env("state_timeout = 300", &["alice"]).await;
    // Unknown domain.
    let mut c = WsClient::connect(&e.url).await;
    c.send(
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='elsewhere.example' version='1.0'/>",
    )
    .await;
    assert!(c.recv().await.is("open", ns::FRAMING));
    c.expect_stream_error("host-unknown").await;
    // Unsupported version (as MongooseIM's websockets_SUITE checks).
    let mut c = WsClient::connect(&e.url).await;
    c.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.23456'/>")
        .await;
    assert!(c.recv().await.is("open", ns::FRAMING));
    c.expect_stream_error("unsupported-version").await;
    // A stanza before authentication.
    let mut c = WsClient::connect(&e.url).await;
    c.open(DOMAIN).await;
    c.send("<message xmlns='jabber:client' to='alice@localhost'><body>x</body></message>")
        .await;
    c.expect_stream_error("not-authorized").await;
    // Negotiation takes longer than state_timeout.
    let mut c = WsClient::connect(&e.url).await;
    c.open(DOMAIN).await;
    c.expect_stream_error("connection-timeout").await;
    // Malformed XML after the stream is open.
    let mut c = WsClient::connect(&e.url).await;
    c.open(DOMAIN).await;
    c.send("<message xmlns='jabber:client'><body>unclosed</message>")
        .await;
    c.expect_stream_error("not-well-formed").await;
    // A DTD is refused.
    let mut c = WsClient::connect(&e.url).await;
    c.open(DOMAIN).await;
    c.send("<!DOCTYPE x [<!ENTITY a 'aaaa'>]><message xmlns='jabber:client'>&a;</message>")
        .await;
    c.expect_stream_error("restricted-xml").await;
    // Spoofed from after login.
    let mut alice = e.login("alice", None).await;
    alice.send("<message xmlns='jabber:client' from='bob@localhost/x' to='alice@localhost'><body>spoof</body></message>").await;
    alice.expect_stream_error("invalid-from").await;
    e.server.stop().await;
}

#[actix_rt::test]
async fn first_frame_must_be_open() {
    let e = env("", &[]).await;
    let mut c = WsClient::connect(&e.url).await;
    c.send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>").await;
    assert!(
        matches!(c.next().await, Frame::Closed),
        "legacy stream header must close the connection"
    );
    let mut c = WsClient::connect(&e.url).await;
    c.send("<message xmlns='jabber:client'/>").await;
    assert!(matches!(c.next().await, Frame::Closed));
    e.server.stop().await;
}

#[actix_rt::test]
async fn oversized_stanza_is_refused_and_not_delivered() {
    let e = env("max_stanza_size = 400", &["alice", "bob"]).await;
    let mut alice = e.login("alice", None).await;
    let mut bob = e.login("bob", None).await;
    bob.available().await;
    let big = "x".repeat(500);
    alice.send(&format!("<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>{big}</body></message>")).await;
    alice.expect_stream_error("policy-violation").await;
    assert_eq!(
        bob.silent_for(Duration::from_millis(500)).await,
        None,
        "oversized message was delivered"
    );
    // A frame far beyond the limit is refused by the WebSocket layer itself.
    let mut c = e.login("alice", Some("second")).await;
    c.send(&format!(
        "<message xmlns='jabber:client' to='bob@localhost'><body>{}</body></message>",
        "y".repeat(100_000)
    ))
    .await;
    c.expect_stream_error("policy-violation").await;
    assert_eq!(bob.silent_for(Duration::from_millis(300)).await, None);
    e.server.stop().await;
}

#[actix_rt::test]
async fn offline_messages_arrive_in_order_at_next_login() {
    let e = env("", &["alice", "bob"]).await;
    let mut alice = e.login("alice", None).await;
    for i in 1..=5 {
        alice.send(&format!("<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>msg {i}</body></message>")).await;
    }
    // A ping round trip makes sure the five were processed before bob logs in.
    alice.send("<iq xmlns='jabber:client' type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>").await;
    let pong = alice.recv_until(|e| e.attr("id") == Some("p1")).await;
    assert_eq!(pong.attr("type"), Some("result"));
    let mut bob = e.login("bob", None).await;
    bob.send("<presence xmlns='jabber:client'/>").await;
    let mut bodies = Vec::new();
    while bodies.len() < 5 {
        let m = bob.recv_until(|e| e.name() == "message").await;
        assert!(m.has_child("delay", ns::DELAY), "{m}");
        bodies.push(m.get_child("body", ns::CLIENT).unwrap().text());
    }
    assert_eq!(bodies, ["msg 1", "msg 2", "msg 3", "msg 4", "msg 5"]);
    // Delivered once: a second login gets nothing.
    bob.close().await;
    let mut bob = e.login("bob", None).await;
    bob.available().await;
    assert_eq!(bob.silent_for(Duration::from_millis(300)).await, None);
    e.server.stop().await;
}

async fn roster_get(c: &mut WsClient) -> Element {
    c.send("<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    c.recv_until(|e| e.attr("id") == Some("r1")).await
}

fn item_of<'a>(roster_push_or_result: &'a Element, jid: &str) -> Option<&'a Element> {
    roster_push_or_result
        .get_child("query", ns::ROSTER)?
        .children()
        .find(|i| i.attr("jid") == Some(jid))
}

/// Subscribes `a` to `b` and `b` to `a` over the wire, as clients do.
async fn befriend(a: &mut WsClient, b: &mut WsClient) {
    let (aj, bj) = (bare(&a.jid), bare(&b.jid));
    a.send(&format!(
        "<presence xmlns='jabber:client' type='subscribe' to='{bj}'/>"
    ))
    .await;
    let req = b
        .recv_until(|e| e.name() == "presence" && e.attr("type") == Some("subscribe"))
        .await;
    assert_eq!(req.attr("from"), Some(aj.as_str()));
    b.send(&format!(
        "<presence xmlns='jabber:client' type='subscribed' to='{aj}'/>"
    ))
    .await;
    b.send(&format!(
        "<presence xmlns='jabber:client' type='subscribe' to='{aj}'/>"
    ))
    .await;
    a.recv_until(|e| e.name() == "presence" && e.attr("type") == Some("subscribe"))
        .await;
    a.send(&format!(
        "<presence xmlns='jabber:client' type='subscribed' to='{bj}'/>"
    ))
    .await;
}

fn bare(full: &str) -> String {
    full.split('/').next().unwrap().to_owned()
}

#[actix_rt::test]
async fn roster_subscription_and_presence() {
    let e = env("", &["alice", "bob"]).await;
    let mut alice = e.login("alice", None).await;
    let mut bob = e.login("bob", None).await;
    let r = roster_get(&mut alice).await;
    assert!(
        r.get_child("query", ns::ROSTER)
            .unwrap()
            .attr("ver")
            .is_some(),
        "versioning is on: {r}"
    );
    roster_get(&mut bob).await;
    alice.available().await;
    bob.available().await;
    // Add with a name and a group: pushed to the client.
    alice
        .send("<iq xmlns='jabber:client' type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' name='Bob &amp; co'><group>Friends</group></item></query></iq>")
        .await;
    let push = alice
        .recv_until(|e| e.name() == "iq" && e.attr("type") == Some("set"))
        .await;
    let item = item_of(&push, "bob@localhost").expect("pushed item");
    assert_eq!(
        (item.attr("name"), item.attr("subscription")),
        (Some("Bob & co"), Some("none"))
    );
    befriend(&mut alice, &mut bob).await;
    // Both end with subscription "both" and see each other's presence.
    let r = roster_get(&mut alice).await;
    let item = item_of(&r, "bob@localhost").unwrap();
    assert_eq!(item.attr("subscription"), Some("both"), "{r}");
    assert_eq!(
        item.get_child("group", ns::ROSTER)
            .map(Element::text)
            .as_deref(),
        Some("Friends")
    );
    let r = roster_get(&mut bob).await;
    assert_eq!(
        item_of(&r, "alice@localhost").unwrap().attr("subscription"),
        Some("both"),
        "{r}"
    );
    bob.send("<presence xmlns='jabber:client'><status>busy</status></presence>")
        .await;
    let p = alice
        .recv_until(|e| {
            e.name() == "presence"
                && e.attr("from") == Some(bob.jid.as_str())
                && e.has_child("status", ns::CLIENT)
        })
        .await;
    assert_eq!(p.get_child("status", ns::CLIENT).unwrap().text(), "busy");
    // A dropped socket broadcasts unavailable presence to subscribers.
    let bob_jid = bob.jid.clone();
    bob.drop_socket();
    let p = alice
        .recv_until(|e| e.name() == "presence" && e.attr("from") == Some(bob_jid.as_str()))
        .await;
    assert_eq!(p.attr("type"), Some("unavailable"));
    // Login again: the probe shows alice's presence to the new bob session.
    let mut bob = e.login("bob", None).await;
    bob.send("<presence xmlns='jabber:client'/>").await;
    let p = bob
        .recv_until(|e| e.name() == "presence" && e.attr("from") == Some(alice.jid.as_str()))
        .await;
    assert_eq!(p.attr("type"), None);
    e.server.stop().await;
}

#[actix_rt::test]
async fn same_resource_replaces_the_old_session() {
    let e = env("", &["alice"]).await;
    let mut first = e.login("alice", Some("desk")).await;
    let second = e.login("alice", Some("desk")).await;
    first.expect_stream_error("conflict").await;
    assert_eq!(second.jid, "alice@localhost/desk");
    e.server.stop().await;
}

#[actix_rt::test]
async fn server_pings_and_idle_timeout() {
    let e = env("ping_rate = 200\ntimeout = 1500", &["alice"]).await;
    let url = e.url.clone();
    // Raw tungstenite to observe ping frames.
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    use futures_util::StreamExt;
    let got_ping = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(Ok(m)) = ws.next().await {
            if m.is_ping() {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        got_ping,
        Ok(true),
        "no ping within 3 s with ping_rate = 200"
    );
    drop(ws);
    // Idle: no frames from the client for `timeout` ms closes the connection (pongs
    // answered by tungstenite do not count as XMPP activity but do count as frames,
    // so use a client that is silent: no ping_rate here).
    e.server.stop().await;
    let e = env("timeout = 500", &["alice"]).await;
    let mut c = WsClient::connect(&e.url).await;
    c.open(DOMAIN).await;
    let start = std::time::Instant::now();
    c.expect_closed().await;
    assert!(start.elapsed() < Duration::from_secs(4));
    e.server.stop().await;
}

#[actix_rt::test]
async fn disco_and_ping_over_websocket() {
    let e = env("", &["alice"]).await;
    let mut alice = e.login("alice", None).await;
    alice.send("<iq xmlns='jabber:client' type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>").await;
    let info = alice.recv_until(|e| e.attr("id") == Some("d1")).await;
    let features: Vec<&str> = info
        .get_child("query", ns::DISCO_INFO)
        .unwrap()
        .children()
        .filter_map(|f| f.attr("var"))
        .collect();
    assert!(features.contains(&"urn:xmpp:ping"), "{features:?}");
    assert!(
        !features.contains(&"vcard-temp"),
        "mod_vcard is not enabled here: {features:?}"
    );
    alice.send("<iq xmlns='jabber:client' type='get' id='v1' to='localhost'><query xmlns='jabber:iq:nothing'/></iq>").await;
    let err = alice.recv_until(|e| e.attr("id") == Some("v1")).await;
    assert_eq!(err.attr("type"), Some("error"));
    assert!(
        err.get_child("error", ns::CLIENT)
            .unwrap()
            .has_child("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")
    );
    e.server.stop().await;
}

#[actix_rt::test]
async fn vcard_private_last_and_carbons_over_websocket() {
    let extra =
        "[modules.mod_vcard]\n[modules.mod_private]\n[modules.mod_last]\n[modules.mod_carboncopy]";
    let e = start(&format!("{}{extra}\n", config("")), &["alice", "bob"]).await;
    let mut alice = e.login("alice", Some("desk")).await;
    let mut alice2 = e.login("alice", Some("phone")).await;
    let mut bob = e.login("bob", None).await;
    // vCard: set own, read back by another user.
    alice
        .send("<iq xmlns='jabber:client' type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Alice &amp; Co</FN><NICKNAME>al</NICKNAME></vCard></iq>")
        .await;
    assert_eq!(
        alice
            .recv_until(|e| e.attr("id") == Some("v1"))
            .await
            .attr("type"),
        Some("result")
    );
    bob.send("<iq xmlns='jabber:client' type='get' id='v2' to='alice@localhost'><vCard xmlns='vcard-temp'/></iq>").await;
    let card = bob.recv_until(|e| e.attr("id") == Some("v2")).await;
    let v = card.get_child("vCard", ns::VCARD).expect("vCard");
    assert_eq!(
        v.get_child("FN", ns::VCARD).map(Element::text).as_deref(),
        Some("Alice & Co")
    );
    // Private storage: own only.
    alice
        .send("<iq xmlns='jabber:client' type='set' id='p1'><query xmlns='jabber:iq:private'><prefs xmlns='x:prefs'><theme>dark</theme></prefs></query></iq>")
        .await;
    assert_eq!(
        alice
            .recv_until(|e| e.attr("id") == Some("p1"))
            .await
            .attr("type"),
        Some("result")
    );
    alice2.send("<iq xmlns='jabber:client' type='get' id='p2'><query xmlns='jabber:iq:private'><prefs xmlns='x:prefs'/></query></iq>").await;
    let got = alice2.recv_until(|e| e.attr("id") == Some("p2")).await;
    let prefs = got
        .get_child("query", ns::PRIVATE)
        .and_then(|q| q.get_child("prefs", "x:prefs"))
        .expect("stored element");
    assert_eq!(
        prefs
            .get_child("theme", "x:prefs")
            .map(Element::text)
            .as_deref(),
        Some("dark")
    );
    bob.send("<iq xmlns='jabber:client' type='get' id='p3' to='alice@localhost'><query xmlns='jabber:iq:private'><prefs xmlns='x:prefs'/></query></iq>").await;
    let err = bob.recv_until(|e| e.attr("id") == Some("p3")).await;
    assert_eq!(err.attr("type"), Some("error"), "{err}");
    // Last activity of the server (uptime).
    bob.send("<iq xmlns='jabber:client' type='get' id='l1' to='localhost'><query xmlns='jabber:iq:last'/></iq>").await;
    let last = bob.recv_until(|e| e.attr("id") == Some("l1")).await;
    assert!(
        last.get_child("query", ns::LAST)
            .and_then(|q| q.attr("seconds"))
            .is_some(),
        "{last}"
    );
    // Carbons: alice's phone enables them and sees what bob sends to the desk and what
    // the desk sends to bob.
    alice2.send("<iq xmlns='jabber:client' type='set' id='c1'><enable xmlns='urn:xmpp:carbons:2'/></iq>").await;
    assert_eq!(
        alice2
            .recv_until(|e| e.attr("id") == Some("c1"))
            .await
            .attr("type"),
        Some("result")
    );
    bob.send("<message xmlns='jabber:client' type='chat' to='alice@localhost/desk'><body>to desk</body></message>").await;
    let c = alice2.recv_until(|e| e.name() == "message").await;
    let fwd = c
        .get_child("received", ns::CARBONS)
        .and_then(|r| r.get_child("forwarded", ns::FORWARD))
        .expect("received carbon");
    assert_eq!(
        fwd.get_child("message", ns::CLIENT)
            .and_then(|m| m.get_child("body", ns::CLIENT))
            .map(Element::text)
            .as_deref(),
        Some("to desk")
    );
    alice.send("<message xmlns='jabber:client' type='chat' to='bob@localhost'><body>from desk</body></message>").await;
    let c = alice2.recv_until(|e| e.name() == "message").await;
    assert!(
        c.get_child("sent", ns::CARBONS).is_some(),
        "sent carbon: {c}"
    );
    e.server.stop().await;
}
