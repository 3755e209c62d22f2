//! The client REST API (`mongoose_client_api`) over real HTTP: MongooseIM 6.5's auth and
//! CORS, contacts (with presences and roster pushes seen by real XMPP clients), messages,
//! the rooms routes without MUC Light, and `/sse` events.

use crate::common::{TestServer, http};
use crate::ws_client::WsClient;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const CONFIG: &str = r#"
[general]
  hosts = ["localhost"]
  default_server_domain = "localhost"
[auth.password]
  scram_iterations = 64
[[listen.http]]
  port = 0
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_client_api]]
    host = "_"
    path = "/api"
  [[listen.http.handlers.mod_websockets]]
    host = "_"
    path = "/ws-xmpp"
[modules.mod_roster]
[modules.mod_offline]
"#;

struct Api {
    s: TestServer,
    c: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        let s = TestServer::start(CONFIG).await;
        s.register_users(&["alice", "bob", "carol"]).await;
        Api { s, c: http() }
    }

    fn url(&self, path: &str) -> String {
        self.s.url(0, &format!("/api{path}"))
    }

    /// As `user` (password `<user>-pw`): `method path [body]` → (status, JSON or Null).
    async fn call(
        &self,
        user: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self
            .c
            .request(method, self.url(path))
            .basic_auth(format!("{user}@localhost"), Some(format!("{user}-pw")));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn ws(&self, user: &str) -> WsClient {
        let mut c = WsClient::login(
            &self.s.ws_url(0),
            user,
            "localhost",
            &format!("{user}-pw"),
            Some("res"),
        )
        .await;
        c.available().await;
        c
    }
}

fn err(status: u16, message: &str) -> (u16, Value) {
    (status, json!(message))
}

#[actix_rt::test]
async fn rest_client_auth_cors_options_and_methods() {
    let a = Api::start().await;
    // No credentials, a wrong password, an unknown user, a foreign domain: 401 + realm.
    let r = a.c.get(a.url("/contacts")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Basic realm="mongooseim""#
    );
    for (user, pw) in [
        ("alice@localhost", "wrong"),
        ("ghost@localhost", "x"),
        ("alice@elsewhere", "alice-pw"),
        ("not a jid@@", "x"),
    ] {
        let r =
            a.c.get(a.url("/contacts"))
                .basic_auth(user, Some(pw))
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), 401, "{user}");
    }
    // OPTIONS needs no credentials; CORS headers echo the Origin, on every answer.
    let r =
        a.c.request(Method::OPTIONS, a.url("/messages"))
            .header("origin", "https://app.example")
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert_eq!(h["access-control-allow-methods"], "GET, OPTIONS");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert_eq!(
        h["access-control-allow-headers"],
        "authorization, content-type"
    );
    let r =
        a.c.get(a.url("/contacts"))
            .header("origin", "https://app.example")
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    // Without an Origin, no CORS headers.
    let (status, _) = a.call("alice", Method::GET, "/contacts", None).await;
    assert_eq!(status, 200);
    let r =
        a.c.get(a.url("/contacts"))
            .basic_auth("alice@localhost", Some("alice-pw"))
            .send()
            .await
            .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // Other methods: 405.
    assert_eq!(
        a.call("alice", Method::PATCH, "/contacts", None).await.0,
        405
    );
    assert_eq!(
        a.call("alice", Method::DELETE, "/messages", None).await.0,
        405
    );
}

#[actix_rt::test]
async fn rest_client_contacts_invite_accept_and_remove() {
    let a = Api::start().await;
    let mut bob = a.ws("bob").await;
    assert_eq!(
        a.call("alice", Method::GET, "/contacts", None).await,
        (200, json!([]))
    );
    assert_eq!(
        a.call(
            "alice",
            Method::POST,
            "/contacts",
            Some(json!({"jid": "bob@localhost"}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        a.call("alice", Method::GET, "/contacts", None).await,
        (
            200,
            json!([{"jid": "bob@localhost", "subscription": "none", "ask": "none"}])
        )
    );
    // alice invites: bob's client gets the request.
    assert_eq!(
        a.call(
            "alice",
            Method::PUT,
            "/contacts/bob@localhost",
            Some(json!({"action": "invite"}))
        )
        .await
        .0,
        204
    );
    let req = bob
        .recv_until(|e| e.name() == "presence" && e.attr("type") == Some("subscribe"))
        .await;
    assert_eq!(req.attr("from"), Some("alice@localhost"));
    assert_eq!(
        a.call("alice", Method::GET, "/contacts", None).await,
        (
            200,
            json!([{"jid": "bob@localhost", "subscription": "none", "ask": "out"}])
        )
    );
    // bob accepts over REST (the pending request put alice in his roster).
    assert_eq!(
        a.call(
            "bob",
            Method::PUT,
            "/contacts/alice@localhost",
            Some(json!({"action": "accept"}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        a.call("alice", Method::GET, "/contacts", None).await,
        (
            200,
            json!([{"jid": "bob@localhost", "subscription": "to", "ask": "none"}])
        )
    );
    assert_eq!(
        a.call("bob", Method::GET, "/contacts", None).await,
        (
            200,
            json!([{"jid": "alice@localhost", "subscription": "from", "ask": "none"}])
        )
    );
    // Removal: one by one, and in bulk with a JID that is not a contact.
    assert_eq!(
        a.call("bob", Method::DELETE, "/contacts/alice@localhost", None)
            .await
            .0,
        204
    );
    assert_eq!(
        a.call("bob", Method::GET, "/contacts", None).await,
        (200, json!([]))
    );
    assert_eq!(
        a.call("bob", Method::DELETE, "/contacts/alice@localhost", None)
            .await,
        err(
            404,
            "Cannot remove alice@localhost contact that does not exist"
        )
    );
    a.call(
        "alice",
        Method::POST,
        "/contacts",
        Some(json!({"jid": "carol@localhost"})),
    )
    .await;
    assert_eq!(
        a.call(
            "alice",
            Method::DELETE,
            "/contacts",
            Some(json!({"to_delete": ["bob@localhost", "carol@localhost", "ghost@localhost"]}))
        )
        .await,
        (200, json!({"not_deleted": ["ghost@localhost"]}))
    );
    assert_eq!(
        a.call("alice", Method::GET, "/contacts", None).await,
        (200, json!([]))
    );
}

#[actix_rt::test]
async fn rest_client_contacts_errors() {
    let a = Api::start().await;
    for (method, path, body, expected) in [
        (
            Method::GET,
            "/contacts/bob@localhost",
            None,
            err(404, "JID provided but not supported"),
        ),
        (
            Method::POST,
            "/contacts",
            Some(json!({})),
            err(400, "Missing JID"),
        ),
        (
            Method::POST,
            "/contacts",
            Some(json!({"jid": "@@"})),
            err(400, "Invalid JID: @@"),
        ),
        (
            Method::POST,
            "/contacts",
            Some(json!({"jid": "ghost@localhost"})),
            err(404, "The user ghost@localhost does not exist"),
        ),
        (
            Method::POST,
            "/contacts",
            Some(json!({"jid": "bob@localhost", "x": 1})),
            err(400, "Invalid request body"),
        ),
        (
            Method::PUT,
            "/contacts/bob@localhost",
            Some(json!({})),
            err(400, "Missing action"),
        ),
        (
            Method::PUT,
            "/contacts/bob@localhost",
            Some(json!({"action": "subscribe"})),
            err(400, "Invalid action"),
        ),
        (
            Method::PUT,
            "/contacts/bob@localhost",
            Some(json!({"action": "invite"})),
            err(404, "Given contact does not exist"),
        ),
        (
            Method::DELETE,
            "/contacts",
            Some(json!({"to_delete": ["@@"]})),
            err(400, "Invalid JID: @@"),
        ),
        (
            Method::DELETE,
            "/contacts",
            Some(json!({"to_delete": "bob@localhost"})),
            err(400, "Invalid request body"),
        ),
    ] {
        assert_eq!(
            a.call("alice", method.clone(), path, body).await,
            expected,
            "{method} {path}"
        );
    }
}

#[actix_rt::test]
async fn rest_client_messages_are_sent_and_checked() {
    let a = Api::start().await;
    let mut bob = a.ws("bob").await;
    let (status, sent) = a
        .call(
            "alice",
            Method::POST,
            "/messages",
            Some(json!({"to": "bob@localhost", "body": "hi"})),
        )
        .await;
    assert_eq!(status, 200);
    let m = bob.recv_until(|e| e.name() == "message").await;
    assert_eq!(m.attr("from"), Some("alice@localhost"));
    assert_eq!(
        m.attr("id"),
        sent["id"].as_str(),
        "the answer is the stanza's id"
    );
    assert_eq!(m.get_child("body", "jabber:client").unwrap().text(), "hi");
    for (body, expected) in [
        (json!({"body": "x"}), "Missing recipient JID"),
        (json!({"to": "bob@localhost"}), "Missing message body"),
        (json!({"to": "@@", "body": "x"}), "Invalid recipient JID"),
        (
            json!({"to": "bob@localhost", "body": "x", "from": "bob@localhost"}),
            "Invalid request body",
        ),
    ] {
        assert_eq!(
            a.call("alice", Method::POST, "/messages", Some(body.clone()))
                .await,
            err(400, expected),
            "{body}"
        );
    }
    for (path, expected) in [
        ("/messages/@@", err(400, "Invalid interlocutor JID")),
        ("/messages?evil=1", err(400, "Invalid query string")),
        ("/messages?limit=many", err(400, "Invalid limit")),
        (
            "/messages?before=later",
            err(400, "Invalid value of 'before'"),
        ),
        (
            "/messages/bob@localhost?limit=5",
            err(404, "Some of the required modules are not loaded"),
        ),
    ] {
        assert_eq!(
            a.call("alice", Method::GET, path, None).await,
            expected,
            "{path}"
        );
    }
}

#[actix_rt::test]
async fn rest_client_rooms_without_muc_light() {
    let a = Api::start().await;
    for (method, path, body, expected) in [
        (
            Method::GET,
            "/rooms",
            None,
            err(404, "MUC Light server not found"),
        ),
        (
            Method::POST,
            "/rooms",
            Some(json!({"name": "n", "subject": "s"})),
            err(404, "MUC Light server not found"),
        ),
        (
            Method::PUT,
            "/rooms",
            Some(json!({"name": "n", "subject": "s"})),
            err(400, "Missing room ID"),
        ),
        (
            Method::GET,
            "/rooms/r1",
            None,
            err(404, "MUC Light server not found"),
        ),
        (
            Method::PUT,
            "/rooms/r1/config",
            Some(json!({"name": "n", "subject": "s"})),
            err(404, "MUC Light server not found"),
        ),
        (
            Method::POST,
            "/rooms/r1/users",
            Some(json!({"user": "bob@localhost"})),
            err(404, "MUC Light server not found"),
        ),
        (
            Method::DELETE,
            "/rooms/r1/users/bob@localhost",
            None,
            err(404, "MUC Light server not found"),
        ),
        (
            Method::GET,
            "/rooms/r1/messages",
            None,
            err(404, "MUC Light server not found"),
        ),
        (
            Method::POST,
            "/rooms/r1/messages",
            Some(json!({"body": "x"})),
            err(404, "MUC Light server not found"),
        ),
    ] {
        assert_eq!(
            a.call("alice", method.clone(), path, body).await,
            expected,
            "{method} {path}"
        );
    }
    // Credentials first.
    assert_eq!(a.c.get(a.url("/rooms")).send().await.unwrap().status(), 401);
}

/// Reads SSE frames until one with an `event:` line arrives.
async fn next_event<B: AsRef<[u8]>>(
    stream: &mut (impl futures_util::Stream<Item = reqwest::Result<B>> + Unpin),
    buf: &mut String,
) -> (String, String, Value) {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            if frame.starts_with(':') {
                continue; // keep-alive comment
            }
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default()
            };
            let data = serde_json::from_str(&field("data:")).unwrap();
            return (field("id:"), field("event:"), data);
        }
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event within 5 s")
            .expect("the stream is open")
            .unwrap();
        buf.push_str(std::str::from_utf8(chunk.as_ref()).unwrap());
    }
}

#[actix_rt::test]
async fn rest_client_sse_streams_messages_as_events() {
    let a = Api::start().await;
    let r = a.c.get(a.url("/sse")).send().await.unwrap();
    assert_eq!(r.status(), 401);

    let r =
        a.c.get(a.url("/sse"))
            .basic_auth("bob@localhost", Some("bob-pw"))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    // The SSE session is a session of bob's, in the lists like any other.
    let sessions =
        || meerkat_core::commands::session::list_sessions(&a.s.meerkat.server, None).unwrap();
    let listed = sessions();
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].user.starts_with("bob@localhost/sse-"),
        "{:?}",
        listed[0].user
    );

    let mut stream = r.bytes_stream();
    let mut buf = String::new();
    let mut alice = a.ws("alice").await;
    alice
        .send("<message xmlns='jabber:client' to='bob@localhost' type='chat' id='m1'><body>first</body><thread parent='p0'>t1</thread></message>")
        .await;
    let (id, event, data) = next_event(&mut stream, &mut buf).await;
    assert_eq!((id.as_str(), event.as_str()), ("1", "message"));
    assert_eq!(data["from"], json!("alice@localhost/res"));
    assert_eq!(data["to"], json!("bob@localhost"));
    assert_eq!(data["id"], json!("m1"));
    assert_eq!(data["body"], json!("first"));
    assert_eq!(data["thread"], json!("t1"));
    assert_eq!(data["parent"], json!("p0"));
    let ts = data["timestamp"].as_i64().unwrap();
    let now_us = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap();
    assert!((now_us - ts).abs() < 60_000_000, "microseconds: {ts}");

    // Not forwarded: a headline; the next chat is event 2, with Smack properties.
    alice
        .send("<message xmlns='jabber:client' to='bob@localhost' type='headline'><body>news</body></message>")
        .await;
    alice
        .send("<message xmlns='jabber:client' to='bob@localhost' type='chat' id='m2'><body>second</body><properties xmlns='http://www.jivesoftware.com/xmlns/xmpp/properties'><property><name>colour</name><value type='string'>red</value></property></properties></message>")
        .await;
    let (id, event, data) = next_event(&mut stream, &mut buf).await;
    assert_eq!((id.as_str(), event.as_str()), ("2", "message"));
    assert_eq!(data["body"], json!("second"));
    assert_eq!(data["properties"], json!({"colour": "red"}));

    // The client leaves: the session ends.
    drop(stream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !sessions().iter().all(|s| !s.user.starts_with("bob@")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the SSE session outlived its client"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Now bob is offline: a chat goes to offline storage, not lost. (The IQ round trip
    // makes sure alice's session has routed the message before bob logs in.)
    alice
        .send("<message xmlns='jabber:client' to='bob@localhost' type='chat' id='m3'><body>later</body></message>")
        .await;
    alice
        .send("<iq xmlns='jabber:client' type='get' id='sync' to='localhost'><query xmlns='jabber:iq:version'/></iq>")
        .await;
    alice.recv_until(|e| e.attr("id") == Some("sync")).await;
    let mut bob = WsClient::login(&a.s.ws_url(0), "bob", "localhost", "bob-pw", Some("r")).await;
    bob.send("<presence xmlns='jabber:client'/>").await;
    let m = bob.recv_until(|e| e.name() == "message").await;
    assert_eq!(m.attr("id"), Some("m3"));
}

/// An SSE stream is not cut by the listener's keep-alive timeout (actix's default, 5 s):
/// after 7 s without events it still delivers (MongooseIM's `sse_should_not_get_timeout`).
#[actix_rt::test]
async fn rest_client_sse_outlives_the_listener_keep_alive() {
    let a = Api::start().await;
    let r =
        a.c.get(a.url("/sse"))
            .basic_auth("bob@localhost", Some("bob-pw"))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();
    tokio::time::sleep(Duration::from_secs(7)).await;
    let mut alice = a.ws("alice").await;
    alice
        .send("<message xmlns='jabber:client' to='bob@localhost' type='chat' id='late'><body>still there</body></message>")
        .await;
    let mut buf = String::new();
    let (id, event, data) = next_event(&mut stream, &mut buf).await;
    assert_eq!((id.as_str(), event.as_str()), ("1", "message"));
    assert_eq!(data["id"], json!("late"));
}
