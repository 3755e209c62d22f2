//! BOSH (XEP-0124/0206) against the real server, following MongooseIM's bosh_SUITE:
//! HTTP methods, session creation and its refusals, the RID window, retransmission,
//! acknowledgements, pause, inactivity, long polling, chat with WebSocket users.

use crate::bosh_client::{Bosh, client, is_terminate, post_raw};
use crate::common::{BOSH_HANDLER, LOCALHOST_HTTP, TestServer, WS_HANDLER};
use crate::ws_client::WsClient;
use meerkat_xmpp::{Element, ns};
use std::time::{Duration, Instant};

const DOMAIN: &str = "localhost";

fn config(service: &str) -> String {
    format!(
        "{LOCALHOST_HTTP}{BOSH_HANDLER}{WS_HANDLER}{service}
[modules.mod_roster]
[modules.mod_presence]
[modules.mod_offline]
[modules.mod_ping]
"
    )
}

struct Env {
    server: TestServer,
    bosh: String,
    ws: String,
}

async fn env(service: &str, users: &[&str]) -> Env {
    let server = TestServer::start(&config(service)).await;
    server.register_users(users).await;
    Env {
        bosh: server.url(0, "/http-bind"),
        ws: server.ws_url(0),
        server,
    }
}

impl Env {
    async fn bosh_login(&self, user: &str) -> Bosh {
        Bosh::login(&self.bosh, user, DOMAIN, &format!("{user}-pw")).await
    }
    async fn ws_login(&self, user: &str) -> WsClient {
        WsClient::login(&self.ws, user, DOMAIN, &format!("{user}-pw"), None).await
    }
}

const SERVICE: &str = "[services.service_bosh]";

#[actix_rt::test]
async fn http_methods() {
    let e = env(SERVICE, &[]).await;
    let http = client();
    let r = http
        .request(reqwest::Method::OPTIONS, &e.bosh)
        .header("origin", "https://chat.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "https://chat.example");
    assert_eq!(h["access-control-allow-methods"], "POST, OPTIONS, GET");
    assert_eq!(h["access-control-allow-headers"], "content-type");
    assert_eq!(h["access-control-max-age"], "1728000");
    let r = http.get(&e.bosh).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    let r = http.post(&e.bosh).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().await.unwrap(), "Missing request body");
    let r = http.put(&e.bosh).body("x").send().await.unwrap();
    assert_eq!(r.status(), 405);
    let (status, _) = post_raw(
        &http,
        &e.bosh,
        "<body xmlns='http://jabber.org/protocol/httpbind' rid='1' to='localhost'",
    )
    .await;
    assert_eq!(status, 400, "malformed XML is a bad request");
    e.server.stop().await;
}

#[actix_rt::test]
async fn session_creation_refusals() {
    // Without service_bosh (or mod_bosh) nobody may create a session.
    let e = env("", &[]).await;
    let (_, body) = Bosh::create(&e.bosh, DOMAIN, "").await;
    assert!(is_terminate(&body, Some("host-unknown")), "{body}");
    e.server.stop().await;

    let e = env(SERVICE, &[]).await;
    let (_, body) = Bosh::create(&e.bosh, "unknown.example", "").await;
    assert!(is_terminate(&body, Some("host-unknown")), "{body}");
    let (status, body) = post_raw(
        &client(),
        &e.bosh,
        "<body xmlns='http://jabber.org/protocol/httpbind' to='localhost' rid='5' hold='0' wait='60'/>",
    )
    .await;
    assert_eq!(status, 200);
    assert!(is_terminate(&body.unwrap(), Some("undefined-condition")));
    // An unknown sid.
    let (status, body) = post_raw(
        &client(),
        &e.bosh,
        "<body xmlns='http://jabber.org/protocol/httpbind' sid='0123456789abcdef0123456789abcdef01234567' rid='6'/>",
    )
    .await;
    assert_eq!(status, 200);
    assert!(is_terminate(&body.unwrap(), Some("item-not-found")));
    e.server.stop().await;

    // host_types restricts the domains.
    let e = env(
        "[services.service_bosh]\nhost_types = [\"other.example\"]",
        &[],
    )
    .await;
    let (_, body) = Bosh::create(&e.bosh, DOMAIN, "").await;
    assert!(is_terminate(&body, Some("host-unknown")), "{body}");
    e.server.stop().await;
}

#[actix_rt::test]
async fn create_and_terminate_session() {
    let e = env("[services.service_bosh]\nmax_wait = 30\n", &[]).await;
    let (mut b, body) = Bosh::create(&e.bosh, DOMAIN, "hold='2'").await;
    assert_eq!(body.attr("type"), None, "{body}");
    assert_eq!(b.sid.len(), 40);
    assert!(b.sid.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(body.attr("hold"), Some("1"), "hold > 1 is lowered to 1");
    assert_eq!(body.attr("wait"), Some("30"), "wait is capped by max_wait");
    assert_eq!(body.attr("requests"), Some("2"));
    assert_eq!(body.attr("inactivity"), Some("30"));
    assert_eq!(body.attr("maxpause"), Some("120"));
    assert_eq!(body.attr("from"), Some("localhost"));
    assert_eq!(body.attr_ns(ns::XBOSH, "version"), Some("1.0"));
    assert_eq!(body.attr_ns(ns::XBOSH, "restartlogic"), Some("true"));
    assert!(body.get_child("features", ns::STREAM).is_some());
    let (_, other) = Bosh::create(&e.bosh, DOMAIN, "").await;
    assert_ne!(other.attr("sid"), Some(b.sid.as_str()), "sids are unique");
    let r = b.send_attrs("type='terminate'", "").await;
    assert!(is_terminate(&r, None), "{r}");
    let r = b.send("").await;
    assert!(
        is_terminate(&r, Some("item-not-found")),
        "terminated session is gone: {r}"
    );
    e.server.stop().await;
}

#[actix_rt::test]
async fn chat_between_bosh_and_websocket_users() {
    let e = env(SERVICE, &["alice", "bob"]).await;
    let mut alice = e.bosh_login("alice").await;
    let mut bob = e.ws_login("bob").await;
    assert!(alice.jid.starts_with("alice@localhost/"));
    alice.send("<presence xmlns='jabber:client'/>").await;
    bob.available().await;
    let body = "<&>\"' ünïcödé";
    let escaped = "&lt;&amp;&gt;&quot;&apos; ünïcödé";
    // BOSH -> WS; the stanza omits xmlns and inherits the body's: it must arrive as jabber:client.
    alice
        .send(&format!(
            "<message to='bob@localhost' type='chat' id='a&amp;1'><body>{escaped}</body></message>"
        ))
        .await;
    let m = bob.recv_until(|el| el.name() == "message").await;
    assert_eq!(m.ns(), ns::CLIENT);
    assert_eq!(m.attr("id"), Some("a&1"));
    assert_eq!(m.get_child("body", ns::CLIENT).unwrap().text(), body);
    // WS -> BOSH, answered on a held request.
    let alice_jid = alice.jid.clone();
    let poll = tokio::spawn(async move {
        let m = alice.poll_until(|el| el.name() == "message").await;
        (alice, m)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    bob.send(&format!("<message xmlns='jabber:client' to='{alice_jid}' type='chat'><body>{escaped}</body></message>")).await;
    let (mut alice, m) = poll.await.unwrap();
    assert_eq!(m.ns(), ns::CLIENT, "{m}");
    assert_eq!(m.get_child("body", ns::CLIENT).unwrap().text(), body);
    // Several stanzas in one body are processed in order.
    alice
        .send(
            "<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>one</body></message>\
             <message xmlns='jabber:client' to='bob@localhost' type='chat'><body>two</body></message>\
             <message xmlns='jabber:client' to='bob@localhost' type='chat'><body>three</body></message>",
        )
        .await;
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(
            bob.recv_until(|el| el.name() == "message")
                .await
                .get_child("body", ns::CLIENT)
                .unwrap()
                .text(),
        );
    }
    assert_eq!(got, ["one", "two", "three"]);
    e.server.stop().await;
}

#[actix_rt::test]
async fn rid_window_out_of_order_and_out_of_range() {
    let e = env(SERVICE, &["alice", "bob"]).await;
    let mut alice = e.bosh_login("alice").await;
    let mut bob = e.ws_login("bob").await;
    bob.available().await;
    // rid+2 arrives before rid+1: held until the gap fills, then both in rid order.
    let (r1, r2) = (alice.rid + 1, alice.rid + 2);
    alice.rid = r2;
    let late = {
        let b = Bosh {
            http: alice.http.clone(),
            url: alice.url.clone(),
            sid: alice.sid.clone(),
            rid: 0,
            jid: String::new(),
        };
        tokio::spawn(async move {
            b.post_rid(r2, "", "<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>second</body></message>").await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = alice.post_rid(r1, "", "<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>first</body></message>").await;
    assert_eq!(r.attr("type"), None, "{r}");
    let a = bob.recv_until(|el| el.name() == "message").await;
    let b = bob.recv_until(|el| el.name() == "message").await;
    assert_eq!(
        [
            a.get_child("body", ns::CLIENT).unwrap().text(),
            b.get_child("body", ns::CLIENT).unwrap().text()
        ],
        ["first", "second"]
    );
    // Wake the held request so the task finishes.
    bob.send(&format!(
        "<message xmlns='jabber:client' to='{}' type='chat'><body>wake</body></message>",
        alice.jid
    ))
    .await;
    late.await.unwrap();
    // A rid far outside the window ends the session.
    let r = alice.post_rid(alice.rid + 50, "", "").await;
    assert!(is_terminate(&r, Some("item-not-found")), "{r}");
    let r = alice.send("").await;
    assert!(
        is_terminate(&r, Some("item-not-found")),
        "session is gone: {r}"
    );
    e.server.stop().await;
}

#[actix_rt::test]
async fn retransmission_returns_the_cached_response() {
    let e = env(SERVICE, &["alice"]).await;
    let mut alice = e.bosh_login("alice").await;
    let rid = alice.rid + 1;
    let first = alice.send("<iq xmlns='jabber:client' type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>").await;
    assert!(first.get_child("iq", ns::CLIENT).is_some(), "{first}");
    let again = alice.post_rid(rid, "", "<iq xmlns='jabber:client' type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>").await;
    assert_eq!(again, first, "a repeated rid gets the cached response");
    e.server.stop().await;
}

#[actix_rt::test]
async fn held_request_is_answered_after_wait() {
    let e = env(SERVICE, &["alice"]).await;
    let (mut b, _) = Bosh::create(&e.bosh, DOMAIN, "wait='1'").await;
    let start = Instant::now();
    let r = b.send("").await;
    let took = start.elapsed();
    assert_eq!(r.children().count(), 0, "{r}");
    assert!(
        took >= Duration::from_millis(900),
        "answered after {took:?}, before wait"
    );
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    e.server.stop().await;
}

#[actix_rt::test]
async fn inactivity_kills_the_session_and_contacts_see_it() {
    let e = env(
        "[services.service_bosh]\ninactivity = 1\n",
        &["alice", "bob"],
    )
    .await;
    let mut alice = e.bosh_login("alice").await;
    let mut bob = e.ws_login("bob").await;
    // Mutual subscription so bob sees alice's presence.
    let s = &e.server.meerkat.server;
    for (owner, contact) in [("alice", "bob"), ("bob", "alice")] {
        let item = meerkat_core::store::RosterItem {
            contact: format!("{contact}@localhost"),
            name: None,
            groups: vec![],
            subscription: meerkat_core::store::Subscription::Both,
            ask: meerkat_core::store::Ask::None,
        };
        s.store()
            .roster_put_item(&format!("{owner}@localhost"), &item)
            .await
            .unwrap();
    }
    bob.available().await;
    alice.send("<presence xmlns='jabber:client'/>").await;
    bob.recv_until(|el| el.name() == "presence" && el.attr("from") == Some(alice.jid.as_str()))
        .await;
    // No request held for longer than `inactivity`: the session dies, with unavailable presence.
    let p = bob
        .recv_until(|el| el.name() == "presence" && el.attr("from") == Some(alice.jid.as_str()))
        .await;
    assert_eq!(p.attr("type"), Some("unavailable"));
    let r = alice.send("").await;
    assert!(is_terminate(&r, Some("item-not-found")), "{r}");
    e.server.stop().await;
}

#[actix_rt::test]
async fn vanished_client_is_cleaned_up_after_wait_plus_inactivity() {
    let e = env("[services.service_bosh]\ninactivity = 1\n", &["alice"]).await;
    let (mut b, _) = Bosh::create(&e.bosh, DOMAIN, "wait='1'").await;
    // The client sends a request and disappears (its request times out client-side).
    let short = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    b.rid += 1;
    let _ = short
        .post(&b.url)
        .body(format!(
            "<body xmlns='http://jabber.org/protocol/httpbind' sid='{}' rid='{}'/>",
            b.sid, b.rid
        ))
        .send()
        .await;
    // Still alive within `wait`.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let alive = b.post_rid(b.rid, "", "").await; // retransmission of the held request
    assert_ne!(alive.attr("type"), Some("terminate"), "{alive}");
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let r = b.send("").await;
    assert!(
        is_terminate(&r, Some("item-not-found")),
        "gone after wait + inactivity: {r}"
    );
    e.server.stop().await;
}

#[actix_rt::test]
async fn pause_answers_held_requests_and_is_bounded() {
    let e = env(
        "[services.service_bosh]\nmax_pause = 10\ninactivity = 1\n",
        &["alice"],
    )
    .await;
    let (mut b, _) = Bosh::create(&e.bosh, DOMAIN, "").await;
    let held_rid = b.rid + 1;
    b.rid = held_rid;
    let held = {
        let c = Bosh {
            http: b.http.clone(),
            url: b.url.clone(),
            sid: b.sid.clone(),
            rid: 0,
            jid: String::new(),
        };
        tokio::spawn(async move { c.post_rid(held_rid, "", "").await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = b.send_attrs("pause='5'", "").await;
    assert_ne!(r.attr("type"), Some("terminate"), "{r}");
    let h = tokio::time::timeout(Duration::from_secs(2), held)
        .await
        .expect("held request answered on pause")
        .unwrap();
    assert_ne!(h.attr("type"), Some("terminate"));
    // The pause extends inactivity beyond the configured 1 s.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let r = b.send_attrs("pause='60'", "").await;
    assert!(
        is_terminate(&r, Some("policy-violation")),
        "pause above max_pause: {r}"
    );
    e.server.stop().await;
}

#[actix_rt::test]
async fn acknowledgements() {
    // server_acks: a response to an older rid carries the highest rid received.
    let e = env("[services.service_bosh]\nserver_acks = true\n", &["alice"]).await;
    let (mut b, created) = Bosh::create(&e.bosh, DOMAIN, "wait='1'").await;
    assert_eq!(
        created.attr("ack").map(str::to_owned),
        Some(b.rid.to_string())
    );
    let held_rid = b.rid + 1;
    let held = {
        let c = Bosh {
            http: b.http.clone(),
            url: b.url.clone(),
            sid: b.sid.clone(),
            rid: 0,
            jid: String::new(),
        };
        tokio::spawn(async move { c.post_rid(held_rid, "", "").await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    b.rid = held_rid + 1;
    let newer = b.post_rid(b.rid, "", "");
    let (older, _) = tokio::join!(held, newer);
    assert_eq!(
        older.unwrap().attr("ack").map(str::to_owned),
        Some((held_rid + 1).to_string())
    );
    e.server.stop().await;

    // Client acks: the cache keeps unacknowledged responses; a stale ack triggers report.
    let e = env(SERVICE, &["alice"]).await;
    let (mut b, _) = Bosh::create(&e.bosh, DOMAIN, "ack='1' wait='1'").await;
    // Before authentication, a SASL attempt with an unknown mechanism is a cheap request
    // that always gets an answer.
    let ping = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-NONE'/>";
    let created_rid = b.rid;
    let first_rid = b.rid + 1;
    let r1 = b.send_attrs(&format!("ack='{created_rid}'"), ping).await;
    assert_eq!(r1.attr("report"), None);
    // The client still acknowledges only the creation response although r1 was sent:
    // the server reports r1 as possibly lost.
    let r2 = b.send_attrs(&format!("ack='{created_rid}'"), ping).await;
    assert_eq!(
        r2.attr("report").map(str::to_owned),
        Some(first_rid.to_string()),
        "{r2}"
    );
    assert!(
        r2.attr("time").is_some_and(|t| t.parse::<u64>().is_ok()),
        "{r2}"
    );
    // Unacknowledged responses stay retransmittable (more than the usual two).
    b.send_attrs(&format!("ack='{created_rid}'"), ping).await;
    assert_eq!(b.post_rid(first_rid, "", ping).await, r1);
    // Acknowledging everything trims the cache: old rids are no longer retransmittable.
    let last = b.rid;
    b.send_attrs(&format!("ack='{last}'"), ping).await;
    let r = b.post_rid(first_rid, "", ping).await;
    assert!(is_terminate(&r, Some("item-not-found")), "trimmed: {r}");
    e.server.stop().await;
}

#[actix_rt::test]
async fn stream_error_terminates_the_session() {
    let e = env(SERVICE, &["alice"]).await;
    let mut alice = e.bosh_login("alice").await;
    let r = alice.send("<message xmlns='jabber:client' from='mallory@localhost/x' to='alice@localhost'><body>x</body></message>").await;
    assert!(is_terminate(&r, Some("remote-stream-error")), "{r}");
    let err = r
        .get_child("error", ns::STREAM)
        .expect("stream error inside");
    assert!(err.has_child("invalid-from", "urn:ietf:params:xml:ns:xmpp-streams"));
    e.server.stop().await;
}

#[actix_rt::test]
async fn terminate_processes_its_stanzas_first() {
    let e = env(SERVICE, &["alice", "bob"]).await;
    let mut alice = e.bosh_login("alice").await;
    let mut bob = e.ws_login("bob").await;
    bob.available().await;
    let r = alice.send_attrs("type='terminate'", "<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>bye</body></message>").await;
    assert!(is_terminate(&r, None), "{r}");
    let m = bob.recv_until(|el| el.name() == "message").await;
    assert_eq!(m.get_child("body", ns::CLIENT).unwrap().text(), "bye");
    e.server.stop().await;
}

#[actix_rt::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let e = env(SERVICE, &[]).await;
    let http = client();
    let r = http
        .post(&e.bosh)
        .header("accept-encoding", "gzip")
        .body("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' to='localhost' rid='10' hold='1' wait='60' xmpp:version='1.0'/>")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("gzip")
    );
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
    let r = http
        .post(&e.bosh)
        .body("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' to='localhost' rid='10' hold='1' wait='60' xmpp:version='1.0'/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("content-encoding"), None);
    let body = Element::parse_str(&r.text().await.unwrap(), &Default::default()).unwrap();
    assert_eq!(body.attr("accept"), Some("deflate, gzip"));
    e.server.stop().await;
}

// ------------------------------------------------------------------ limits (issue 11)

const CREATE: &str = "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' to='localhost' hold='1' xmpp:version='1.0'";

#[actix_rt::test]
async fn huge_wait_is_clamped_to_max_wait() {
    // max_wait defaults to 60 s (MongooseIM: infinity); a wait that overflows any clock
    // is clamped, and the server keeps answering.
    let e = env(SERVICE, &[]).await;
    let http = client();
    for wait in ["18446744073709551615", "99999999999999999999999999", "3601"] {
        let (status, body) = post_raw(
            &http,
            &e.bosh,
            &format!("{CREATE} rid='10' wait='{wait}'/>"),
        )
        .await;
        assert_eq!(status, 200, "wait={wait}");
        let body = body.expect("XML body");
        assert_eq!(body.attr("type"), None, "{body}");
        assert_eq!(body.attr("wait"), Some("60"), "wait={wait}: {body}");
    }
    let (_, body) = Bosh::create(&e.bosh, DOMAIN, "wait='5'").await;
    assert_eq!(body.attr("wait"), Some("5"), "a smaller wait is kept");
    e.server.stop().await;

    // "infinity" still has a ceiling (one hour).
    let e = env("[services.service_bosh]\nmax_wait = \"infinity\"\n", &[]).await;
    let (status, body) = post_raw(
        &client(),
        &e.bosh,
        &format!("{CREATE} rid='10' wait='18446744073709551615'/>"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body.unwrap().attr("wait"), Some("3600"));
    e.server.stop().await;
}

#[actix_rt::test]
async fn rid_above_2_pow_53_is_refused() {
    let e = env(SERVICE, &[]).await;
    let http = client();
    for rid in ["9007199254740992", "18446744073709551615", "-1"] {
        let (status, body) =
            post_raw(&http, &e.bosh, &format!("{CREATE} rid='{rid}' wait='60'/>")).await;
        assert_eq!(status, 200);
        let body = body.unwrap();
        assert!(
            is_terminate(&body, Some("bad-request")),
            "rid={rid}: {body}"
        );
    }
    // The highest rid is fine; the next one would pass 2^53 and ends the session.
    let (status, body) = post_raw(
        &http,
        &e.bosh,
        &format!("{CREATE} rid='9007199254740991' wait='60'/>"),
    )
    .await;
    assert_eq!(status, 200);
    let body = body.unwrap();
    assert_eq!(body.attr("type"), None, "{body}");
    let b = Bosh {
        http: http.clone(),
        url: e.bosh.clone(),
        sid: body.attr("sid").unwrap().to_owned(),
        rid: 0,
        jid: String::new(),
    };
    let r = b.post_rid(9_007_199_254_740_992, "", "").await;
    assert!(is_terminate(&r, Some("bad-request")), "{r}");
    let r = b.post_rid(9_007_199_254_740_991, "", "").await;
    assert!(
        is_terminate(&r, Some("item-not-found")),
        "session is gone: {r}"
    );
    e.server.stop().await;
}

#[actix_rt::test]
async fn bodies_are_small_before_binding_and_bounded_in_elements() {
    let e = env(SERVICE, &["alice"]).await;
    let http = client();
    let padding = "x".repeat(9 * 1024);
    // Session creation is small.
    let r = http
        .post(&e.bosh)
        .body(format!("{CREATE} rid='10' wait='60' pad='{padding}'/>"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // So is everything before the resource is bound.
    let (mut b, _) = Bosh::create(&e.bosh, DOMAIN, "wait='1'").await;
    let big = format!(
        "<message xmlns='jabber:client' to='alice@localhost'><body>{padding}</body></message>"
    );
    let r = http
        .post(&e.bosh)
        .body(format!(
            "<body xmlns='http://jabber.org/protocol/httpbind' sid='{}' rid='{}'>{big}</body>",
            b.sid,
            b.rid + 1
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413, "before binding");
    // The refused body did not count: the session goes on with that rid.
    let r = b.send("").await;
    assert_ne!(r.attr("type"), Some("terminate"), "{r}");
    // Once bound, the same body is fine (up to 1 MiB).
    let mut alice = e.bosh_login("alice").await;
    let r = alice.send(&big).await;
    assert_ne!(r.attr("type"), Some("terminate"), "{r}");
    // At most 100 elements in one body.
    let many = "<presence xmlns='jabber:client' type='probe' to='alice@localhost'/>".repeat(101);
    let r = alice.send(&many).await;
    assert!(is_terminate(&r, Some("policy-violation")), "{r}");
    let r = alice.send("").await;
    assert!(
        is_terminate(&r, Some("item-not-found")),
        "session is gone: {r}"
    );
    e.server.stop().await;
}

#[actix_rt::test]
async fn response_cache_is_bounded_with_acks() {
    // With ack='1' unacknowledged responses stay retransmittable, but only the newest
    // within 256 KiB (and 16 responses); older ones are gone.
    let e = env(SERVICE, &["alice"]).await;
    let mut alice =
        Bosh::login_with(&e.bosh, "alice", DOMAIN, "alice-pw", "wait='1' ack='1'").await;
    let text = "y".repeat(60 * 1024);
    let msg = format!(
        "<message xmlns='jabber:client' to='{}' type='chat'><body>{text}</body></message>",
        alice.jid
    );
    let mut sent = Vec::new();
    for _ in 0..6 {
        // The client never acknowledges anything beyond the creation response.
        let r = alice.send_attrs("ack='1'", &msg).await;
        let r = if r.children().count() == 0 {
            alice.send_attrs("ack='1'", "").await
        } else {
            r
        };
        assert!(r.get_child("message", ns::CLIENT).is_some(), "{r}");
        sent.push((alice.rid, r));
    }
    // The newest four (~61 KiB each) fit in the bound: retransmissions get them back.
    for (rid, r) in &sent[2..] {
        assert_eq!(&alice.post_rid(*rid, "ack='1'", "").await, r, "rid {rid}");
    }
    // The oldest fell out of the cache: its retransmission ends the session.
    let r = alice.post_rid(sent[0].0, "ack='1'", "").await;
    assert!(is_terminate(&r, Some("item-not-found")), "{r}");
    e.server.stop().await;
}

#[actix_rt::test]
async fn held_request_without_client_traffic_ends_at_the_deadline() {
    // Even with inactivity = "infinity", a client that sends nothing for
    // wait + max_pause is gone: its session ends although a request was held.
    let e = env(
        "[services.service_bosh]\ninactivity = \"infinity\"\nmax_pause = 1\nmax_wait = 1\n",
        &["alice"],
    )
    .await;
    let (mut b, created) = Bosh::create(&e.bosh, DOMAIN, "wait='3600'").await;
    assert_eq!(created.attr("wait"), Some("1"));
    assert_eq!(created.attr("inactivity"), None);
    let short = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    b.rid += 1;
    let _ = short
        .post(&b.url)
        .body(format!(
            "<body xmlns='http://jabber.org/protocol/httpbind' sid='{}' rid='{}'/>",
            b.sid, b.rid
        ))
        .send()
        .await;
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let r = b.send("").await;
    assert!(
        is_terminate(&r, Some("item-not-found")),
        "gone after wait + max_pause without requests: {r}"
    );
    // A client that keeps polling stays.
    let (mut b, _) = Bosh::create(&e.bosh, DOMAIN, "").await;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        let r = b.send("").await;
        assert_ne!(r.attr("type"), Some("terminate"), "{r}");
    }
    e.server.stop().await;
}

#[actix_rt::test]
async fn message_queued_in_an_ended_session_goes_offline() {
    let e = env(
        "[services.service_bosh]\ninactivity = 1\n",
        &["alice", "bob"],
    )
    .await;
    let mut alice = e.bosh_login("alice").await;
    alice.send("<presence xmlns='jabber:client'/>").await;
    let mut bob = e.ws_login("bob").await;
    bob.available().await;
    // Alice holds no request: the message waits in her session...
    bob.send("<message xmlns='jabber:client' to='alice@localhost' type='chat' id='q1'><body>kept</body></message>")
        .await;
    // ...which then dies of inactivity.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let r = alice.send("").await;
    assert!(is_terminate(&r, Some("item-not-found")), "{r}");
    let s = &e.server.meerkat.server;
    assert_eq!(
        s.store().offline_count("alice@localhost").await.unwrap(),
        1,
        "stored offline"
    );
    // The message went to offline storage: the next login gets it.
    let mut alice = e.bosh_login("alice").await;
    let is_it = |el: &Element| el.name() == "message" && el.attr("id") == Some("q1");
    let r = alice.send("<presence xmlns='jabber:client'/>").await;
    let m = match r.children().find(|c| is_it(c)) {
        Some(m) => m.clone(),
        None => alice.poll_until(is_it).await,
    };
    assert_eq!(m.get_child("body", ns::CLIENT).unwrap().text(), "kept");
    e.server.stop().await;
}

#[actix_rt::test]
async fn slow_reader_is_closed_and_nothing_is_lost() {
    // A BOSH client that stops polling while stanzas pour in: beyond 1 MiB waiting, the
    // stream ends with policy-violation; what the client never got goes offline.
    let e = env(SERVICE, &["alice", "bob"]).await;
    let mut alice = e.bosh_login("alice").await;
    alice.send("<presence xmlns='jabber:client'/>").await;
    let mut bob = e.ws_login("bob").await;
    bob.available().await;
    let text = "z".repeat(60 * 1024);
    let total = 20;
    for i in 0..total {
        bob.send(&format!(
            "<message xmlns='jabber:client' to='{}' type='chat' id='f{i}'><body>{text}</body></message>",
            alice.jid
        ))
        .await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let r = alice.send("").await;
    assert!(
        is_terminate(&r, Some("remote-stream-error")),
        "{}",
        r.attr("type").unwrap_or("-")
    );
    let err = r.get_child("error", ns::STREAM).expect("stream error");
    assert!(err.has_child("policy-violation", "urn:ietf:params:xml:ns:xmpp-streams"));
    let delivered = r.children().filter(|c| c.name() == "message").count();
    assert!(delivered < total, "{delivered}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let s = &e.server.meerkat.server;
    let offline = s.store().offline_count("alice@localhost").await.unwrap();
    assert_eq!(
        delivered as u64 + offline,
        total as u64,
        "delivered {delivered}, offline {offline}"
    );
    e.server.stop().await;
}
