//! GraphQL `stanza` category over real HTTP: sending messages and stanzas as the admin
//! and as a user (received by real WebSocket clients), `getLastMessages` without and with
//! mod_mam, and
//! the `subscribeForMessages` subscription over SSE (spec 5.4, MongooseIM's
//! graphql_sse_SUITE): a message sent over WebSocket arrives as an SSE event for the admin
//! and the user subscriptions, long messages, the idle timeout, the transport errors, and
//! the subscription's session being closed when the client leaves.

use crate::graphql::{ADMIN, DOMAIN_ADMIN, Env, Gql, OPEN_ADMIN, USER, codes, with_creds};
use crate::graphql_session::env;
use crate::ws_client::WsClient;
use futures_util::StreamExt;
use meerkat_xmpp::{Element, ParseLimits, ns};
use serde_json::{Value, json};
use std::pin::Pin;
use std::time::Duration;

/// A user GraphQL listener (index 6) whose SSE streams close after 1.5 s without events.
const SHORT_IDLE: usize = 6;
const SHORT_IDLE_EXTRA: &str = "[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\n[[listen.http.handlers.mongoose_graphql_handler]]\nhost = \"_\"\npath = \"/api/graphql\"\nschema_endpoint = \"user\"\nsse_idle_timeout = 1500\n";

/// Credentials on the admin and the user endpoints.
const ADMIN_AUTH: Option<(&str, &str)> = Some(("admin", "secret"));
const ALICE_AUTH: Option<(&str, &str)> = Some(("alice@localhost", "alice-pw"));

const ADMIN_SUB: &str = "subscription($c: JID!) { stanza { subscribeForMessages(caller: $c) { sender timestamp stanza_id stanza } } }";
const USER_SUB: &str =
    "subscription { stanza { subscribeForMessages { sender timestamp stanza_id stanza } } }";

/// An SSE client over a real HTTP connection (no overall request timeout).
struct Sse {
    body: Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Vec<u8>>> + Send>>,
    buf: String,
}

fn sse_url(g: &Gql, listener: usize) -> String {
    g.server.url(listener, "/api/graphql/sse")
}

/// Percent-encodes a query-string value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// GET `<path>/sse` with `query` and `variables`; returns the raw response.
async fn sse_get(
    g: &Gql,
    listener: usize,
    creds: Option<(&str, &str)>,
    query: &str,
    vars: Value,
) -> reqwest::Response {
    let client = reqwest::Client::builder().build().unwrap();
    let url = format!(
        "{}?query={}&variables={}",
        sse_url(g, listener),
        encode(query),
        encode(&vars.to_string())
    );
    with_creds(client.get(url), creds).send().await.unwrap()
}

async fn subscribe(
    g: &Gql,
    listener: usize,
    creds: Option<(&str, &str)>,
    query: &str,
    vars: Value,
) -> Sse {
    let resp = sse_get(g, listener, creds, query, vars).await;
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        ct.starts_with("text/event-stream"),
        "{ct}: {}",
        resp.text().await.unwrap()
    );
    Sse {
        body: Box::pin(resp.bytes_stream().map(|c| c.map(|b| b.to_vec()))),
        buf: String::new(),
    }
}

/// One SSE event: its id and its data.
#[derive(Debug)]
struct Event {
    id: String,
    data: Value,
}

impl Sse {
    /// The next event; `None` when the server ended the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let mut id = String::new();
                let mut data = String::new();
                for line in raw.lines().filter(|l| !l.is_empty()) {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    } else {
                        panic!("unexpected SSE line {line:?}");
                    }
                }
                return Some(Event {
                    id,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
            match tokio::time::timeout(Duration::from_secs(5), self.body.next()).await {
                Err(_) => panic!("no SSE event within 5 s"),
                Ok(None) | Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(chunk))) => self.buf.push_str(std::str::from_utf8(&chunk).unwrap()),
            }
        }
    }

    async fn event(&mut self) -> Event {
        self.next().await.expect("the SSE stream ended")
    }
}

fn message(ev: &Event) -> &Value {
    &ev.data["data"]["stanza"]["subscribeForMessages"]
}

fn stanza_of(v: &Value) -> Element {
    Element::parse_str(v["stanza"].as_str().unwrap(), &ParseLimits::default()).unwrap()
}

async fn chat(from: &mut WsClient, to: &str, body: &str, id: &str) {
    from.send(&format!("<message xmlns='jabber:client' type='chat' to='{to}' id='{id}'><body>{body}</body></message>")).await;
}

async fn resources(e: &Env, user: &str) -> i64 {
    let b =
        e.g.admin(
            &format!("{{ session {{ countUserResources(user: \"{user}\") }} }}"),
            json!({}),
        )
        .await;
    b["data"]["session"]["countUserResources"].as_i64().unwrap()
}

async fn wait_resources(e: &Env, user: &str, n: i64) {
    for _ in 0..100 {
        if resources(e, user).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{user} never had {n} resources");
}

/// Sends alice messages until she has `n` resources (a subscription whose client left is
/// closed on the next write to its stream).
async fn until_resources(e: &Env, bob: &mut WsClient, user: &str, n: i64) {
    for i in 0..100 {
        if resources(e, user).await == n {
            return;
        }
        chat(bob, user, "ping", &format!("p{i}")).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{user} never had {n} resources");
}

#[actix_rt::test]
async fn admin_sends_messages_and_stanzas() {
    let e = env("").await;
    let mut alice = e.login("alice@localhost", "r1").await;
    alice.available().await;
    let q = "mutation($f: JID!, $t: JID!, $b: String!) { stanza { sendMessage(from: $f, to: $t, body: $b) { id } } }";
    let b =
        e.g.admin(
            q,
            json!({"f": "bob@localhost", "t": "alice@localhost", "b": "hi alice"}),
        )
        .await;
    let id = b["data"]["stanza"]["sendMessage"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert!(!id.is_empty());
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(
        (m.attr("from"), m.attr("type"), m.attr("id")),
        (Some("bob@localhost"), Some("chat"), Some(id.as_str()))
    );
    assert_eq!(m.get_child("body", ns::CLIENT).unwrap().text(), "hi alice");
    // From a full JID, to a full JID.
    e.g.admin(
        q,
        json!({"f": "bob@localhost/desk", "t": "alice@localhost/r1", "b": "again"}),
    )
    .await;
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(m.attr("from"), Some("bob@localhost/desk"));
    // The sender must exist here.
    let b =
        e.g.admin(
            q,
            json!({"f": "nobody@localhost", "t": "alice@localhost", "b": "x"}),
        )
        .await;
    assert_eq!(codes(&b), ["unknown_user"]);
    assert_eq!(b["errors"][0]["message"], "User does not exist");
    assert_eq!(b["errors"][0]["extensions"]["from"], "nobody@localhost");
    let b =
        e.g.admin(
            q,
            json!({"f": "bob@nowhere.test", "t": "alice@localhost", "b": "x"}),
        )
        .await;
    assert_eq!(codes(&b), ["unknown_user"]);
    assert_eq!(b["errors"][0]["message"], "User's domain does not exist");

    let q = "mutation($f: JID!, $t: JID!, $s: String, $b: String) { stanza { sendMessageHeadLine(from: $f, to: $t, subject: $s, body: $b) { id } } }";
    let b = e.g.admin(q, json!({"f": "bob@localhost", "t": "alice@localhost", "s": "news", "b": "read all about it"})).await;
    let id = b["data"]["stanza"]["sendMessageHeadLine"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(
        (m.attr("type"), m.attr("id")),
        (Some("headline"), Some(id.as_str()))
    );
    assert_eq!(m.get_child("subject", ns::CLIENT).unwrap().text(), "news");
    assert_eq!(
        m.get_child("body", ns::CLIENT).unwrap().text(),
        "read all about it"
    );
    e.g.admin(
        q,
        json!({"f": "bob@localhost", "t": "alice@localhost", "s": "only a subject"}),
    )
    .await;
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert!(m.get_child("body", ns::CLIENT).is_none(), "{m}");
    let b =
        e.g.admin(q, json!({"f": "nobody@localhost", "t": "alice@localhost"}))
            .await;
    assert_eq!(codes(&b), ["unknown_user"]);

    let q = "mutation($s: XmlElement) { stanza { sendStanza(stanza: $s) { id } } }";
    let b = e.g.admin(q, json!({"s": "<message to='alice@localhost' from='bob@localhost/x' id='given-id' type='chat'><body>raw</body></message>"})).await;
    assert_eq!(b["data"]["stanza"]["sendStanza"]["id"], "given-id", "{b}");
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(
        (m.attr("from"), m.attr("id")),
        (Some("bob@localhost/x"), Some("given-id"))
    );
    assert_eq!(m.get_child("body", ns::CLIENT).unwrap().text(), "raw");
    // An id is generated when missing.
    let b = e.g.admin(q, json!({"s": "<message to='alice@localhost' from='bob@localhost'><body>no id</body></message>"})).await;
    let id = b["data"]["stanza"]["sendStanza"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(m.attr("id"), Some(id.as_str()));
    for (stanza, code, message) in [
        (
            "<message from='bob@localhost'><body>x</body></message>",
            "no_recipient",
            "Missing recipient JID",
        ),
        (
            "<message to='alice@localhost'><body>x</body></message>",
            "no_sender",
            "Missing sender JID",
        ),
        (
            "<message to='alice@localhost' from='nobody@localhost'/>",
            "unknown_user",
            "User does not exist",
        ),
        (
            "<message to='alice@localhost' from='@@'/>",
            "invalid_sender",
            "Invalid sender JID",
        ),
        (
            "<message to='@@' from='bob@localhost'/>",
            "invalid_recipient",
            "Invalid recipient JID",
        ),
    ] {
        let b = e.g.admin(q, json!({"s": stanza})).await;
        assert_eq!(codes(&b), [code], "{stanza}: {b}");
        assert_eq!(b["errors"][0]["message"], message);
    }
    let (s, _) =
        e.g.post(ADMIN, ADMIN_AUTH, q, json!({"s": "<message"}))
            .await;
    assert_eq!(s, 400, "malformed XML is an input error");
    assert!(
        alice.silent_for(Duration::from_millis(200)).await.is_none(),
        "nothing else was delivered"
    );
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn users_send_as_themselves() {
    let e = env("").await;
    let mut alice = e.login("alice@localhost", "r1").await;
    alice.available().await;
    let q = "mutation($f: JID, $t: JID!, $b: String!) { stanza { sendMessage(from: $f, to: $t, body: $b) { id } } }";
    let b = e
        .user(
            "bob@localhost",
            q,
            json!({"t": "alice@localhost", "b": "from bob"}),
        )
        .await;
    let id = b["data"]["stanza"]["sendMessage"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(
        (m.attr("from"), m.attr("id")),
        (Some("bob@localhost"), Some(id.as_str()))
    );
    e.user(
        "bob@localhost",
        q,
        json!({"f": "bob@localhost/phone", "t": "alice@localhost", "b": "from the phone"}),
    )
    .await;
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(m.attr("from"), Some("bob@localhost/phone"));
    let b = e
        .user(
            "bob@localhost",
            q,
            json!({"f": "carol@other.test", "t": "alice@localhost", "b": "spoofed"}),
        )
        .await;
    assert_eq!(codes(&b), ["invalid_sender"]);
    assert_eq!(
        b["errors"][0]["message"],
        "Sender's JID is different from the user's JID"
    );

    let q = "mutation($f: JID, $t: JID!, $s: String, $b: String) { stanza { sendMessageHeadLine(from: $f, to: $t, subject: $s, body: $b) { id } } }";
    e.user(
        "bob@localhost",
        q,
        json!({"t": "alice@localhost", "s": "subj", "b": "body"}),
    )
    .await;
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(
        (m.attr("from"), m.attr("type")),
        (Some("bob@localhost"), Some("headline"))
    );
    let b = e
        .user(
            "bob@localhost",
            q,
            json!({"f": "alice@localhost", "t": "alice@localhost"}),
        )
        .await;
    assert_eq!(codes(&b), ["invalid_sender"]);

    let q = "mutation($s: XmlElement) { stanza { sendStanza(stanza: $s) { id } } }";
    let b = e
        .user(
            "bob@localhost",
            q,
            json!({"s": "<message to='alice@localhost' id='u1'><body>raw</body></message>"}),
        )
        .await;
    assert_eq!(b["data"]["stanza"]["sendStanza"]["id"], "u1");
    let m = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(m.attr("from"), Some("bob@localhost"));
    let b = e
        .user(
            "bob@localhost",
            q,
            json!({"s": "<message to='alice@localhost' from='alice@localhost'/>"}),
        )
        .await;
    assert_eq!(codes(&b), ["invalid_sender"]);
    let b = e.user("bob@localhost", q, json!({"s": "<message/>"})).await;
    assert_eq!(codes(&b), ["no_recipient"]);
    assert!(alice.silent_for(Duration::from_millis(200)).await.is_none());
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn last_messages_need_mam() {
    let e = env("").await;
    let b = e.g.admin("{ stanza { getLastMessages(caller: \"alice@localhost\") { stanzas { stanza } limit } } }", json!({})).await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    assert_eq!(
        b["errors"][0]["extensions"]["not_loaded_modules"],
        json!(["mod_mam_pm"])
    );
    let b = e
        .user(
            "alice@localhost",
            "{ stanza { getLastMessages(limit: 10) { limit } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    assert_eq!(
        b["errors"][0]["extensions"]["not_loaded_modules"],
        json!(["mod_mam_pm"])
    );
    // The domain admin's scope is checked first.
    let (s, b) = e
        .post_domain_admin(
            "{ stanza { getLastMessages(caller: \"carol@other.test\") { limit } } }",
            json!({}),
        )
        .await;
    assert_eq!((s, codes(&b)), (401, vec!["no_permissions".to_owned()]));
    let (_, b) = e
        .post_domain_admin(
            "{ stanza { getLastMessages(caller: \"alice@localhost\") { limit } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn domain_admin_sends_only_from_its_domain() {
    let e = env("").await;
    let mut alice = e.login("alice@localhost", "r1").await;
    alice.available().await;
    let q = "mutation($f: JID!) { stanza { sendMessage(from: $f, to: \"alice@localhost\", body: \"b\") { id } sendMessageHeadLine(from: $f, to: \"alice@localhost\", body: \"h\") { id } } }";
    let (_, b) = e.post_domain_admin(q, json!({"f": "bob@localhost"})).await;
    assert!(b["data"]["stanza"]["sendMessage"]["id"].is_string(), "{b}");
    assert!(
        b["data"]["stanza"]["sendMessageHeadLine"]["id"].is_string(),
        "{b}"
    );
    alice.recv_until(|el| el.name() == "message").await;
    alice.recv_until(|el| el.name() == "message").await;
    let (s, b) = e
        .post_domain_admin(q, json!({"f": "carol@other.test"}))
        .await;
    assert_eq!(
        (s, codes(&b)),
        (401, vec!["no_permissions".to_owned()]),
        "{b}"
    );
    assert_eq!(
        b["errors"][0]["message"],
        "Cannot execute query without permissions to the given domain. Args with invalid value: from"
    );
    let (s, b) = e
        .post_domain_admin("mutation { stanza { sendStanza(stanza: \"<message to='alice@localhost' from='bob@localhost'/>\") { id } } }", json!({}))
        .await;
    assert_eq!((s, codes(&b)), (401, vec!["no_permissions".to_owned()]));
    assert_eq!(
        b["errors"][0]["message"],
        "Cannot execute query without a global admin permissions"
    );
    assert!(alice.silent_for(Duration::from_millis(200)).await.is_none());
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn messages_sent_over_websocket_arrive_as_sse_events() {
    let e = env("").await;
    // The admin subscribes for alice, who is not even connected.
    let mut admin_sub = subscribe(
        &e.g,
        ADMIN,
        ADMIN_AUTH,
        ADMIN_SUB,
        json!({"c": "alice@localhost"}),
    )
    .await;
    // The subscription is a session of alice's.
    let b = e.g.admin("{ session { listUserSessions(user: \"alice@localhost\") { user connection ip port priority } } }", json!({})).await;
    let sessions = b["data"]["session"]["listUserSessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{b}");
    assert!(
        sessions[0]["user"]
            .as_str()
            .unwrap()
            .starts_with("alice@localhost/sse-"),
        "{b}"
    );
    assert_eq!(
        (
            &sessions[0]["connection"],
            &sessions[0]["ip"],
            &sessions[0]["priority"]
        ),
        (&Value::Null, &Value::Null, &json!(1))
    );
    let mut bob = e.login("bob@localhost", "phone").await;
    chat(&mut bob, "alice@localhost", "Hello!", "m1").await;
    let ev = admin_sub.event().await;
    assert_eq!(ev.id, "1");
    let m = message(&ev);
    assert_eq!(
        (&m["sender"], &m["stanza_id"]),
        (&json!("bob@localhost/phone"), &json!("m1")),
        "{:?}",
        ev.data
    );
    let ts = m["timestamp"].as_str().unwrap();
    assert!(ts.len() >= 20 && ts.ends_with('Z'), "{ts}");
    let st = stanza_of(m);
    assert_eq!(st.name(), "message");
    assert_eq!(st.get_child("body", ns::CLIENT).unwrap().text(), "Hello!");

    // The user subscribes too; both get the next message (both sessions have priority 1).
    let mut user_sub = subscribe(&e.g, USER, ALICE_AUTH, USER_SUB, json!({})).await;
    assert_eq!(resources(&e, "alice@localhost").await, 2);
    chat(&mut bob, "alice@localhost", "Hello again!", "m2").await;
    let ev = admin_sub.event().await;
    assert_eq!(ev.id, "2");
    assert_eq!(message(&ev)["stanza_id"], "m2");
    let ev = user_sub.event().await;
    assert_eq!(ev.id, "1");
    assert_eq!(message(&ev)["sender"], "bob@localhost/phone");
    assert_eq!(
        stanza_of(message(&ev))
            .get_child("body", ns::CLIENT)
            .unwrap()
            .text(),
        "Hello again!"
    );
    assert_eq!(
        ev.data,
        json!({"data": {"stanza": {"subscribeForMessages": message(&ev).clone()}}}),
        "no other keys"
    );

    // Messages sent through the API reach the subscription as well.
    e.g.admin("mutation { stanza { sendMessage(from: \"bob@localhost\", to: \"alice@localhost\", body: \"via api\") { id } } }", json!({})).await;
    assert_eq!(
        stanza_of(message(&user_sub.event().await))
            .get_child("body", ns::CLIENT)
            .unwrap()
            .text(),
        "via api"
    );
    admin_sub.event().await;

    // A 2000-character message arrives intact.
    let long = "0".repeat(2000);
    chat(&mut bob, "alice@localhost", &long, "long").await;
    let ev = user_sub.event().await;
    assert_eq!(
        stanza_of(message(&ev))
            .get_child("body", ns::CLIENT)
            .unwrap()
            .text(),
        long
    );
    admin_sub.event().await;

    // Other stanzas are not events: presence, and IQs (answered with an error).
    let b =
        e.g.admin(
            "{ session { listUserSessions(user: \"alice@localhost\") { user } } }",
            json!({}),
        )
        .await;
    let sse_jid = b["data"]["session"]["listUserSessions"][0]["user"]
        .as_str()
        .unwrap()
        .to_owned();
    bob.send("<presence xmlns='jabber:client' to='alice@localhost' type='subscribe'/>")
        .await;
    bob.send(&format!("<iq xmlns='jabber:client' type='get' id='q1' to='{sse_jid}'><query xmlns='jabber:iq:version'/></iq>")).await;
    let err = bob.recv_until(|el| el.name() == "iq").await;
    assert_eq!(
        (err.attr("type"), err.attr("id"), err.attr("from")),
        (Some("error"), Some("q1"), Some(sse_jid.as_str())),
        "{err}"
    );
    chat(&mut bob, "alice@localhost", "after", "m3").await;
    assert_eq!(message(&user_sub.event().await)["stanza_id"], "m3");
    assert_eq!(message(&admin_sub.event().await)["stanza_id"], "m3");

    // Leaving closes the subscription's session: noticed when the server next writes
    // to the stream (an event here; a heartbeat comment on a quiet stream).
    drop(admin_sub);
    until_resources(&e, &mut bob, "alice@localhost", 1).await;
    drop(user_sub);
    until_resources(&e, &mut bob, "alice@localhost", 0).await;
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn sse_idle_timeout_is_honoured() {
    let e = env(SHORT_IDLE_EXTRA).await;
    let mut bob = e.login("bob@localhost", "phone").await;
    let mut sub = subscribe(&e.g, SHORT_IDLE, ALICE_AUTH, USER_SUB, json!({})).await;
    chat(&mut bob, "alice@localhost", "one", "i1").await;
    assert_eq!(message(&sub.event().await)["stanza_id"], "i1");
    // Idle for less than the timeout: the stream survives.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    chat(&mut bob, "alice@localhost", "two", "i2").await;
    assert_eq!(message(&sub.event().await)["stanza_id"], "i2");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    chat(&mut bob, "alice@localhost", "three", "i3").await;
    let ev = sub.event().await;
    assert_eq!(
        (ev.id.as_str(), &message(&ev)["stanza_id"]),
        ("3", &json!("i3"))
    );
    // Then idle past it: the server ends the stream and closes the session.
    let start = std::time::Instant::now();
    assert!(sub.next().await.is_none(), "the stream ends");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(1300) && waited < Duration::from_millis(3500),
        "{waited:?}"
    );
    wait_resources(&e, "alice@localhost", 0).await;
    // The default (one hour) keeps the stream on the other listener.
    let mut sub = subscribe(&e.g, USER, ALICE_AUTH, USER_SUB, json!({})).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    chat(&mut bob, "alice@localhost", "late", "i4").await;
    assert_eq!(message(&sub.event().await)["stanza_id"], "i4");
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn kicking_a_subscription_ends_its_stream() {
    let e = env("").await;
    let mut sub = subscribe(&e.g, USER, ALICE_AUTH, USER_SUB, json!({})).await;
    let b =
        e.g.admin(
            "mutation { session { kickUser(user: \"alice@localhost\") { jid kicked } } }",
            json!({}),
        )
        .await;
    let kicked = &b["data"]["session"]["kickUser"];
    assert_eq!(kicked.as_array().unwrap().len(), 1, "{b}");
    assert_eq!(kicked[0]["kicked"], true);
    assert!(sub.next().await.is_none(), "the stream ends");
    wait_resources(&e, "alice@localhost", 0).await;
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn sse_transport_errors() {
    let e = env("").await;
    let g = &e.g;
    let client = reqwest::Client::new();
    let status_codes = |r: reqwest::Response| async move {
        let s = r.status().as_u16();
        let b: Value = r.json().await.unwrap_or(Value::Null);
        (s, codes(&b), b)
    };
    for (listener, creds) in [(ADMIN, ADMIN_AUTH), (USER, ALICE_AUTH)] {
        // Missing query.
        let r = with_creds(client.get(sse_url(g, listener)), creds);
        let (s, c, _) = status_codes(r.send().await.unwrap()).await;
        assert_eq!((s, c), (400, vec!["no_query_supplied".to_owned()]));
        // Malformed query string.
        let r = with_creds(
            client.get(format!("{}?=invalid", sse_url(g, listener))),
            creds,
        );
        let (s, _, b) = status_codes(r.send().await.unwrap()).await;
        assert_eq!(s, 400, "{b}");
        // POST.
        let r = client
            .post(sse_url(g, listener))
            .json(&json!({"query": USER_SUB}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        // A query is not a subscription.
        let (s, c, _) = status_codes(
            sse_get(
                g,
                listener,
                creds,
                "{ checkAuth { authStatus } }",
                json!({}),
            )
            .await,
        )
        .await;
        assert_eq!((s, c), (400, vec!["unsupported_operation".to_owned()]));
        // Parse errors.
        let (s, c, _) =
            status_codes(sse_get(g, listener, creds, "subscription {", json!({})).await).await;
        assert_eq!((s, c), (400, vec!["parser_error".to_owned()]));
    }
    // Missing and wrong credentials.
    let (s, c, _) =
        status_codes(sse_get(g, ADMIN, None, ADMIN_SUB, json!({"c": "alice@localhost"})).await)
            .await;
    assert_eq!((s, c), (401, vec!["no_permissions".to_owned()]));
    let (s, c, _) = status_codes(
        sse_get(
            g,
            ADMIN,
            Some(("admin", "wrong")),
            ADMIN_SUB,
            json!({"c": "alice@localhost"}),
        )
        .await,
    )
    .await;
    assert_eq!((s, c), (401, vec!["wrong_credentials".to_owned()]));
    let (s, c, _) = status_codes(sse_get(g, USER, None, USER_SUB, json!({})).await).await;
    assert_eq!((s, c), (401, vec!["no_permissions".to_owned()]));
    let (s, c, _) = status_codes(
        sse_get(
            g,
            USER,
            Some(("alice@localhost", "nope")),
            USER_SUB,
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((s, c), (401, vec!["wrong_credentials".to_owned()]));
    // Subscriptions are refused on the plain endpoint.
    let (s, b) = g
        .post(
            ADMIN,
            ADMIN_AUTH,
            ADMIN_SUB,
            json!({"c": "alice@localhost"}),
        )
        .await;
    assert_eq!(
        (s, codes(&b)),
        (400, vec!["unsupported_operation".to_owned()])
    );
    // A failing resolver answers with a plain JSON body, not a stream.
    let (s, c, b) = status_codes(
        sse_get(
            g,
            ADMIN,
            ADMIN_AUTH,
            ADMIN_SUB,
            json!({"c": "nobody@localhost"}),
        )
        .await,
    )
    .await;
    assert_eq!((s, c), (200, vec!["unknown_user".to_owned()]), "{b}");
    assert_eq!(b["errors"][0]["message"], "User does not exist");
    assert_eq!(b["errors"][0]["extensions"]["caller"], "nobody@localhost");
    assert_eq!(b["data"], json!({"stanza": null}));
    let (s, c, b) = status_codes(
        sse_get(
            g,
            OPEN_ADMIN,
            None,
            "subscription { stanza { subscribeForTraffic(limit: 2) { dir stanza } } }",
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((s, c), (200, vec!["deps_not_loaded".to_owned()]), "{b}");
    assert_eq!(
        b["errors"][0]["extensions"]["not_loaded_services"],
        json!(["service_traffic"])
    );
    // The domain admin subscribes only for its domain's users.
    let (s, c, b) = status_codes(
        sse_get(
            g,
            DOMAIN_ADMIN,
            Some(("admin@localhost", "dpw")),
            ADMIN_SUB,
            json!({"c": "carol@other.test"}),
        )
        .await,
    )
    .await;
    assert_eq!((s, c), (401, vec!["no_permissions".to_owned()]), "{b}");
    assert_eq!(
        b["errors"][0]["message"],
        "Cannot execute query without permissions to the given domain. Args with invalid value: caller"
    );
    let (s, c, _) = status_codes(
        sse_get(
            g,
            DOMAIN_ADMIN,
            Some(("admin@localhost", "dpw")),
            "subscription { stanza { subscribeForTraffic { dir } } }",
            json!({}),
        )
        .await,
    )
    .await;
    assert_eq!((s, c), (401, vec!["no_permissions".to_owned()]));
    let mut sub = subscribe(
        g,
        DOMAIN_ADMIN,
        Some(("admin@localhost", "dpw")),
        ADMIN_SUB,
        json!({"c": "alice@localhost"}),
    )
    .await;
    let mut bob = e.login("bob@localhost", "phone").await;
    chat(&mut bob, "alice@localhost", "to the domain admin", "d1").await;
    assert_eq!(message(&sub.event().await)["stanza_id"], "d1");
    // No session was left behind by the refused subscriptions.
    assert_eq!(resources(&e, "carol@other.test").await, 0);
    assert_eq!(resources(&e, "alice@localhost").await, 1);
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn subscriptions_with_aliases_and_fragments() {
    let e = env("").await;
    let mut bob = e.login("bob@localhost", "phone").await;
    let q = "subscription { s: stanza { ...F } } fragment F on StanzaUserSubscription { m: subscribeForMessages { id: stanza_id } }";
    let mut sub = subscribe(&e.g, USER, ALICE_AUTH, q, json!({})).await;
    chat(&mut bob, "alice@localhost", "x", "f1").await;
    assert_eq!(
        sub.event().await.data,
        json!({"data": {"s": {"m": {"id": "f1"}}}})
    );
    // The admin asks for two users at once: one session each, each event under its own alias.
    let q = "subscription { stanza { a: subscribeForMessages(caller: \"alice@localhost\") { stanza_id } b: subscribeForMessages(caller: \"carol@other.test\") { stanza_id } } }";
    let mut sub = subscribe(&e.g, ADMIN, ADMIN_AUTH, q, json!({})).await;
    assert_eq!(resources(&e, "carol@other.test").await, 1);
    chat(&mut bob, "carol@other.test", "x", "c1").await;
    assert_eq!(
        sub.event().await.data,
        json!({"data": {"stanza": {"a": null, "b": {"stanza_id": "c1"}}}})
    );
    drop(sub);
    until_resources(&e, &mut bob, "carol@other.test", 0).await;
    e.g.server.stop().await;
}

/// With mod_mam's one-to-one archive: the newest messages, oldest first, with `with`,
/// `limit` (capped by `max_result_limit`) and `before`; stanza ids in MongooseIM's form;
/// an unknown caller; the domain admin's scope; the user's own archive only.
#[actix_rt::test]
async fn last_messages_from_the_archive() {
    let e = env(
        "[modules.mod_mam]\nmax_result_limit = 3\ndefault_result_limit = 3\n[modules.mod_mam.pm]\n",
    )
    .await;
    let mut alice = e.login("alice@localhost", "a").await;
    let mut bob = e.login("bob@localhost", "b").await;
    alice.available().await;
    bob.available().await;
    for n in 1..=4 {
        alice
            .send(&format!("<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>a{n}</body></message>"))
            .await;
        bob.recv_until(|m| m.name() == "message").await;
    }
    bob.send(
        "<message xmlns='jabber:client' to='alice@localhost' type='chat'><body>b1</body></message>",
    )
    .await;
    alice.recv_until(|m| m.name() == "message").await;
    let bodies = |b: &Value, path: &str| -> Vec<String> {
        b["data"]["stanza"][path]["stanzas"]
            .as_array()
            .unwrap_or_else(|| panic!("{b}"))
            .iter()
            .map(|s| {
                let el = Element::parse_str(s["stanza"].as_str().unwrap(), &ParseLimits::default())
                    .unwrap();
                el.get_child("body", ns::CLIENT).unwrap().text()
            })
            .collect()
    };
    let q = "query($c: JID!, $w: JID, $l: PosInt, $b: DateTime) { stanza { getLastMessages(caller: $c, with: $w, limit: $l, before: $b) { stanzas { sender timestamp stanza_id stanza } limit } } }";
    let b = e.admin(q, json!({"c": "alice@localhost"})).await;
    assert_eq!(bodies(&b, "getLastMessages"), ["a3", "a4", "b1"], "{b}");
    assert_eq!(b["data"]["stanza"]["getLastMessages"]["limit"], 3);
    let first = &b["data"]["stanza"]["getLastMessages"]["stanzas"][0];
    assert!(
        first["sender"]
            .as_str()
            .unwrap()
            .starts_with("alice@localhost/a"),
        "{first}"
    );
    let sid = first["stanza_id"].as_str().unwrap();
    assert!(
        sid.chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
        "{sid}"
    );
    // Limited, and more than max_result_limit is capped.
    let b = e.admin(q, json!({"c": "alice@localhost", "l": 2})).await;
    assert_eq!(bodies(&b, "getLastMessages"), ["a4", "b1"]);
    let b = e.admin(q, json!({"c": "alice@localhost", "l": 50})).await;
    assert_eq!(b["data"]["stanza"]["getLastMessages"]["limit"], 3);
    // Before the timestamp of b1: only alice's messages.
    let b1_time = b["data"]["stanza"]["getLastMessages"]["stanzas"][2]["timestamp"].clone();
    let b = e
        .admin(q, json!({"c": "alice@localhost", "b": b1_time}))
        .await;
    assert_eq!(bodies(&b, "getLastMessages"), ["a2", "a3", "a4"], "{b}");
    // With a JID nobody talked to.
    let b = e
        .admin(q, json!({"c": "alice@localhost", "w": "carol@other.test"}))
        .await;
    assert_eq!(bodies(&b, "getLastMessages"), Vec::<String>::new());
    // Unknown users.
    let b = e.admin(q, json!({"c": "nobody@localhost"})).await;
    assert_eq!(codes(&b), ["unknown_user"], "{b}");
    // The domain admin: its domain only.
    let (_, b) = e.post_domain_admin(q, json!({"c": "bob@localhost"})).await;
    assert_eq!(bodies(&b, "getLastMessages"), ["a3", "a4", "b1"], "{b}");
    let (s, b) = e
        .post_domain_admin(q, json!({"c": "carol@other.test"}))
        .await;
    assert_eq!((s, codes(&b)), (401, vec!["no_permissions".to_owned()]));
    // The user: their own archive.
    let b = e
        .user(
            "bob@localhost",
            "{ stanza { getLastMessages(limit: 1) { stanzas { stanza } limit } } }",
            json!({}),
        )
        .await;
    assert_eq!(bodies(&b, "getLastMessages"), ["b1"], "{b}");
    e.g.server.stop().await;
}
