//! The admin REST API's groups beyond users and sessions, over real HTTP, with real XMPP
//! clients where a route delivers something: messages, stanzas, contacts (with roster
//! pushes and presences), domains, metrics, and the groups whose module meerkat does not
//! have yet (MUC Light, MUC, inbox), which answer as MongooseIM without the module.

use crate::common::{TestServer, http};
use crate::ws_client::WsClient;
use meerkat_xmpp::Element;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const CONFIG: &str = r#"
[general]
  hosts = ["localhost"]
  host_types = ["tenant", "other"]
  default_server_domain = "localhost"
[auth.password]
  scram_iterations = 64
[[listen.http]]
  port = 0
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
    host = "_"
    path = "/api"
  [[listen.http.handlers.mod_websockets]]
    host = "_"
    path = "/ws-xmpp"
[[listen.http]]
  port = 0
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
    host = "_"
    path = "/api"
    handlers = ["sessions"]
[modules.mod_roster]
"#;

struct Api {
    s: TestServer,
    c: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
        let s = TestServer::start(CONFIG).await;
        s.register_users(&["alice", "bob"]).await;
        Api { s, c: http() }
    }

    /// `method path [body]` → (status, JSON body or Null).
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self
            .c
            .request(method, self.s.url(0, &format!("/api{path}")));
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

async fn next_message(c: &mut WsClient) -> Element {
    c.recv_until(|e| e.name() == "message").await
}

#[actix_rt::test]
async fn rest_admin_messages_are_sent_and_checked() {
    let a = Api::start().await;
    let mut bob = a.ws("bob").await;
    let send = json!({"caller": "alice@localhost", "to": "bob@localhost", "body": "hello"});
    assert_eq!(a.call(Method::POST, "/messages", Some(send)).await.0, 204);
    let m = next_message(&mut bob).await;
    assert_eq!(m.attr("from"), Some("alice@localhost"));
    assert_eq!(m.attr("type"), Some("chat"));
    assert_eq!(
        m.get_child("body", "jabber:client").unwrap().text(),
        "hello"
    );

    for (body, expected) in [
        (
            json!({"to": "bob@localhost", "body": "x"}),
            "Missing sender JID",
        ),
        (
            json!({"caller": "alice@localhost", "body": "x"}),
            "Missing recipient JID",
        ),
        (
            json!({"caller": "alice@localhost", "to": "bob@localhost"}),
            "Missing message body",
        ),
        (
            json!({"caller": "@@", "to": "bob@localhost", "body": "x"}),
            "Invalid sender JID",
        ),
        (
            json!({"caller": "alice@localhost", "to": "@@", "body": "x"}),
            "Invalid recipient JID",
        ),
        (
            json!({"caller": "nobody@localhost", "to": "bob@localhost", "body": "x"}),
            "User does not exist",
        ),
        (
            json!({"caller": "alice@localhost", "to": "bob@localhost", "body": "x", "y": 1}),
            "Invalid request body",
        ),
    ] {
        assert_eq!(
            a.call(Method::POST, "/messages", Some(body.clone())).await,
            err(400, expected),
            "{body}"
        );
    }
    assert_eq!(bob.silent_for(Duration::from_millis(200)).await, None);

    // Archive reads: MongooseIM's checks in its order, then MAM's absence.
    for (path, expected) in [
        ("/messages", err(404, "Missing owner JID")),
        ("/messages/@@", err(400, "Invalid owner JID")),
        (
            "/messages/alice@localhost/@@",
            err(400, "Invalid interlocutor JID"),
        ),
        (
            "/messages/alice@localhost?evil=1",
            err(400, "Invalid query string"),
        ),
        (
            "/messages/alice@localhost?limit=-1",
            err(400, "Invalid limit"),
        ),
        (
            "/messages/alice@localhost?before=soon",
            err(400, "Invalid value of 'before'"),
        ),
        (
            "/messages/alice@localhost/bob@localhost?limit=5&before=1700000000",
            err(404, "Some of the required modules are not loaded"),
        ),
    ] {
        assert_eq!(a.call(Method::GET, path, None).await, expected, "{path}");
    }
}

#[actix_rt::test]
async fn rest_admin_stanzas_are_routed_intact() {
    let a = Api::start().await;
    let mut bob = a.ws("bob").await;
    let xml = "<message from='alice@localhost' to='bob@localhost' type='chat' extra='yes'>\
               <body>raw</body><custom xmlns='urn:example'>data</custom></message>";
    assert_eq!(
        a.call(Method::POST, "/stanzas", Some(json!({"stanza": xml})))
            .await
            .0,
        204
    );
    let m = next_message(&mut bob).await;
    assert_eq!(m.attr("extra"), Some("yes"));
    assert_eq!(m.get_child("custom", "urn:example").unwrap().text(), "data");
    assert!(m.attr("id").is_some(), "an id is added: {m}");

    for (stanza, expected) in [
        (None, "Missing stanza"),
        (Some("<message"), "Malformed stanza"),
        (Some("<message to='bob@localhost'/>"), "Missing sender JID"),
        (
            Some("<message from='alice@localhost'/>"),
            "Missing recipient JID",
        ),
        (
            Some("<message from='@@' to='bob@localhost'/>"),
            "Invalid sender JID",
        ),
        (
            Some("<message from='alice@localhost' to='@@'/>"),
            "Invalid recipient JID",
        ),
        (
            Some("<message from='ghost@localhost' to='bob@localhost'/>"),
            "User does not exist",
        ),
    ] {
        let body = match stanza {
            Some(s) => json!({"stanza": s}),
            None => json!({}),
        };
        assert_eq!(
            a.call(Method::POST, "/stanzas", Some(body)).await,
            err(400, expected),
            "{stanza:?}"
        );
    }
    // Not JSON at all.
    let r =
        a.c.post(a.s.url(0, "/api/stanzas"))
            .body("<message/>")
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!("Invalid request body")
    );
}

#[actix_rt::test]
async fn rest_admin_contacts_befriend_and_alienate() {
    let a = &Api::start().await;
    let mut alice = a.ws("alice").await;
    let mut bob = a.ws("bob").await;
    let contacts = |who: &'static str| async move {
        a.call(Method::GET, &format!("/contacts/{who}@localhost"), None)
            .await
    };
    assert_eq!(contacts("alice").await, (200, json!([])));

    // Added: a roster push to alice's client (interested: it asked for its roster);
    // added again: idempotent.
    alice
        .send("<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    alice.recv_until(|e| e.attr("id") == Some("r1")).await;
    let add = json!({"jid": "bob@localhost"});
    assert_eq!(
        a.call(Method::POST, "/contacts/alice@localhost", Some(add.clone()))
            .await
            .0,
        204
    );
    let push = alice
        .recv_until(|e| e.name() == "iq" && e.attr("type") == Some("set"))
        .await;
    assert!(push.to_string().contains("bob@localhost"), "{push}");
    assert_eq!(
        a.call(Method::POST, "/contacts/alice@localhost", Some(add))
            .await
            .0,
        204
    );
    assert_eq!(
        contacts("alice").await,
        (
            200,
            json!([{"jid": "bob@localhost", "subscription": "none", "ask": "none"}])
        )
    );

    // alice subscribes, bob approves and subscribes back, alice approves: both.
    let act = |user: &'static str, contact: &'static str, action: &'static str| async move {
        a.call(
            Method::PUT,
            &format!("/contacts/{user}@localhost/{contact}@localhost"),
            Some(json!({"action": action})),
        )
        .await
    };
    assert_eq!(act("alice", "bob", "subscribe").await.0, 204);
    let req = bob
        .recv_until(|e| e.name() == "presence" && e.attr("type") == Some("subscribe"))
        .await;
    assert_eq!(req.attr("from"), Some("alice@localhost"));
    assert_eq!(act("bob", "alice", "subscribed").await.0, 204);
    assert_eq!(act("bob", "alice", "subscribe").await.0, 204);
    assert_eq!(act("alice", "bob", "subscribed").await.0, 204);
    assert_eq!(
        contacts("alice").await,
        (
            200,
            json!([{"jid": "bob@localhost", "subscription": "both", "ask": "none"}])
        )
    );
    assert_eq!(
        contacts("bob").await,
        (
            200,
            json!([{"jid": "alice@localhost", "subscription": "both", "ask": "none"}])
        )
    );

    // Delete: gone from alice's roster; a second delete is 404.
    assert_eq!(
        a.call(
            Method::DELETE,
            "/contacts/alice@localhost/bob@localhost",
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(contacts("alice").await, (200, json!([])));
    assert_eq!(
        a.call(
            Method::DELETE,
            "/contacts/alice@localhost/bob@localhost",
            None
        )
        .await,
        err(
            404,
            "Cannot remove bob@localhost contact that does not exist"
        )
    );

    // manage: connect makes both mutual contacts at once; disconnect removes both.
    let manage = |action: &'static str| async move {
        a.call(
            Method::PUT,
            "/contacts/alice@localhost/bob@localhost/manage",
            Some(json!({"action": action})),
        )
        .await
    };
    assert_eq!(manage("connect").await.0, 204);
    assert_eq!(
        contacts("bob").await,
        (
            200,
            json!([{"jid": "alice@localhost", "subscription": "both", "ask": "none"}])
        )
    );
    assert_eq!(manage("disconnect").await.0, 204);
    assert_eq!(contacts("alice").await, (200, json!([])));
    assert_eq!(contacts("bob").await, (200, json!([])));
    assert_eq!(
        manage("disconnect").await,
        err(
            404,
            "Cannot remove bob@localhost contact that does not exist"
        )
    );
}

#[actix_rt::test]
async fn rest_admin_contacts_errors() {
    let a = Api::start().await;
    for (method, path, body, expected) in [
        (Method::GET, "/contacts/", None, (404, Value::Null)),
        (
            Method::GET,
            "/contacts/@@",
            None,
            err(400, "Invalid user JID"),
        ),
        (
            Method::GET,
            "/contacts/alice@nowhere",
            None,
            err(404, "Domain not found"),
        ),
        (
            Method::POST,
            "/contacts/alice@localhost",
            Some(json!({})),
            err(400, "Missing JID"),
        ),
        (
            Method::POST,
            "/contacts/alice@localhost",
            Some(json!({"jid": "@@"})),
            err(400, "Invalid JID"),
        ),
        (
            Method::POST,
            "/contacts/alice@localhost",
            Some(json!({"jid": "ghost@localhost"})),
            err(404, "The user ghost@localhost does not exist"),
        ),
        (
            Method::POST,
            "/contacts/alice@localhost",
            Some(json!({"jid": "bob@localhost", "name": "B"})),
            err(400, "Invalid request body"),
        ),
        (
            Method::PUT,
            "/contacts/alice@localhost",
            Some(json!({"action": "subscribe"})),
            err(400, "Missing contact JID"),
        ),
        (
            Method::PUT,
            "/contacts/alice@localhost/bob@localhost",
            Some(json!({})),
            err(400, "Missing action"),
        ),
        (
            Method::PUT,
            "/contacts/alice@localhost/bob@localhost",
            Some(json!({"action": "invite"})),
            err(400, "Invalid action"),
        ),
        (
            Method::PUT,
            "/contacts/alice@localhost/@@",
            Some(json!({"action": "subscribe"})),
            err(400, "Invalid contact JID"),
        ),
        (
            Method::PUT,
            "/contacts/alice@localhost/bob@localhost/manage",
            Some(json!({"action": "subscribe"})),
            err(400, "Invalid action"),
        ),
        (
            Method::DELETE,
            "/contacts/alice@localhost",
            None,
            err(400, "Missing contact JID"),
        ),
        (
            Method::PATCH,
            "/contacts/alice@localhost",
            None,
            (405, Value::Null),
        ),
    ] {
        assert_eq!(
            a.call(method.clone(), path, body).await,
            expected,
            "{method} {path}"
        );
    }
}

#[actix_rt::test]
async fn rest_admin_domains_lifecycle() {
    let a = Api::start().await;
    assert_eq!(
        a.call(Method::GET, "/domains/localhost", None).await,
        (200, json!({"host_type": "localhost", "status": "enabled"}))
    );
    assert_eq!(
        a.call(Method::GET, "/domains/new.test", None).await,
        err(404, "Given domain does not exist")
    );
    assert_eq!(
        a.call(Method::PUT, "/domains/new.test", Some(json!({})))
            .await,
        err(400, "'host_type' field is missing")
    );
    assert_eq!(
        a.call(
            Method::PUT,
            "/domains/new.test",
            Some(json!({"host_type": "nope"}))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        a.call(
            Method::PUT,
            "/domains/localhost",
            Some(json!({"host_type": "tenant"}))
        )
        .await
        .0,
        403,
        "static"
    );
    assert_eq!(
        a.call(
            Method::PUT,
            "/domains/new.test",
            Some(json!({"host_type": "tenant"}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        a.call(
            Method::PUT,
            "/domains/new.test",
            Some(json!({"host_type": "other"}))
        )
        .await
        .0,
        409
    );
    assert_eq!(
        a.call(Method::GET, "/domains/new.test", None).await,
        (200, json!({"host_type": "tenant", "status": "enabled"}))
    );
    assert!(a.s.meerkat.server.is_served_domain("new.test"));
    assert_eq!(
        a.call(Method::PATCH, "/domains/new.test", Some(json!({})))
            .await,
        err(400, "'enabled' field is missing")
    );
    assert_eq!(
        a.call(
            Method::PATCH,
            "/domains/new.test",
            Some(json!({"enabled": false}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        a.call(Method::GET, "/domains/new.test", None).await,
        (200, json!({"host_type": "tenant", "status": "disabled"}))
    );
    assert!(!a.s.meerkat.server.is_served_domain("new.test"));
    assert_eq!(
        a.call(Method::DELETE, "/domains/new.test", Some(json!({})))
            .await,
        err(400, "'host_type' field is missing")
    );
    assert_eq!(
        a.call(
            Method::DELETE,
            "/domains/new.test",
            Some(json!({"host_type": "tenant"}))
        )
        .await
        .0,
        204
    );
    assert_eq!(
        a.call(
            Method::DELETE,
            "/domains/new.test",
            Some(json!({"host_type": "tenant"}))
        )
        .await,
        err(404, "Given domain does not exist")
    );
    // Queued removal: 202.
    a.call(
        Method::PUT,
        "/domains/q.test",
        Some(json!({"host_type": "tenant"})),
    )
    .await;
    assert_eq!(
        a.call(
            Method::DELETE,
            "/domains/q.test",
            Some(json!({"host_type": "tenant", "request": true}))
        )
        .await
        .0,
        202
    );
    assert_eq!(
        a.call(Method::GET, "/domains/bad..name", None).await,
        err(400, "Invalid domain name")
    );
}

#[actix_rt::test]
async fn rest_admin_metrics() {
    let a = Api::start().await;
    let _alice = a.ws("alice").await; // one login
    let (status, index) = a.call(Method::GET, "/metrics/", None).await;
    assert_eq!(status, 200);
    assert_eq!(index["host_types"], json!(["localhost", "tenant", "other"]));
    let names = index["metrics"].as_array().unwrap();
    assert!(names.contains(&json!("sm_session.logins")), "{index}");
    assert!(!index["global"].as_array().unwrap().is_empty());

    let (status, all) = a
        .call(Method::GET, "/metrics/all/sm_session.logins", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(all["metric"]["count"], json!(1), "{all}");
    let (status, all) = a.call(Method::GET, "/metrics/all", None).await;
    assert_eq!(status, 200);
    assert_eq!(all["metrics"]["sm_session.logins"]["count"], json!(1));
    let (status, one) = a
        .call(
            Method::GET,
            "/metrics/host_type/localhost/sm_session.logins",
            None,
        )
        .await;
    assert_eq!((status, &one["metric"]["count"]), (200, &json!(1)));
    assert_eq!(
        a.call(Method::GET, "/metrics/host_type/localhost", None)
            .await
            .0,
        200
    );
    assert_eq!(a.call(Method::GET, "/metrics/global", None).await.0, 200);
    for path in [
        "/metrics/all/no.such",
        "/metrics/global/no.such",
        "/metrics/host_type/localhost/no.such",
    ] {
        assert_eq!(
            a.call(Method::GET, path, None).await,
            err(404, "Metric not found"),
            "{path}"
        );
    }
    assert_eq!(
        a.call(Method::GET, "/metrics/host_type/nope", None).await,
        err(404, "No metrics found")
    );
    assert_eq!(a.call(Method::HEAD, "/metrics/", None).await.0, 200);
}

#[actix_rt::test]
async fn rest_admin_groups_without_their_module_answer_as_mongooseim() {
    let a = Api::start().await;
    let room = json!({"owner": "alice@localhost", "name": "n", "subject": "s"});
    for (method, path, body, expected) in [
        (
            Method::POST,
            "/muc-lights/muclight.localhost",
            Some(json!({"owner": "alice@localhost", "name": "n"})),
            err(400, "Missing room subject"),
        ),
        (
            Method::POST,
            "/muc-lights/muclight.localhost",
            Some(json!({"owner": "@@", "name": "n", "subject": "s"})),
            err(400, "Invalid owner JID"),
        ),
        (
            Method::POST,
            "/muc-lights/muclight.localhost",
            Some(room.clone()),
            err(404, "MUC Light server not found"),
        ),
        (
            Method::PUT,
            "/muc-lights/muclight.localhost",
            Some(room.clone()),
            err(400, "Missing room ID"),
        ),
        (
            Method::POST,
            "/muc-lights/muclight.localhost/r1/participants",
            Some(json!({"sender": "alice@localhost"})),
            err(400, "Missing recipient JID"),
        ),
        (
            Method::POST,
            "/muc-lights/muclight.localhost/r1/messages",
            Some(json!({"from": "alice@localhost", "body": "x"})),
            err(404, "MUC Light server not found"),
        ),
        (
            Method::DELETE,
            "/muc-lights/muclight.localhost/r1/management",
            None,
            err(404, "MUC Light server not found"),
        ),
        (
            Method::POST,
            "/mucs/localhost",
            Some(json!({"name": "r", "owner": "alice@localhost"})),
            err(400, "Missing nickname"),
        ),
        (
            Method::POST,
            "/mucs/localhost",
            Some(json!({"name": "r", "owner": "alice@localhost", "nick": "al"})),
            err(404, "MUC domain not found"),
        ),
        (
            Method::POST,
            "/mucs/localhost/r/participants",
            Some(json!({"sender": "alice@localhost", "recipient": "bob@localhost"})),
            err(400, "Missing invite reason"),
        ),
        (
            Method::POST,
            "/mucs/localhost/r/messages",
            Some(json!({"from": "alice@localhost"})),
            err(400, "Missing message body"),
        ),
        (
            Method::POST,
            "/mucs/localhost/r/messages",
            Some(json!({"from": "alice@localhost", "body": "hi"})),
            err(404, "MUC domain not found"),
        ),
        (
            Method::DELETE,
            "/mucs/localhost/r/al",
            None,
            err(404, "MUC domain not found"),
        ),
        (
            Method::DELETE,
            "/inbox/localhost/soon/bin",
            None,
            err(400, "Invalid number of days"),
        ),
        (
            Method::DELETE,
            "/inbox/localhost/7/bin",
            None,
            err(404, "Some of the required modules are not loaded"),
        ),
        (
            Method::DELETE,
            "/inbox/localhost/alice/7/bin",
            None,
            err(404, "Some of the required modules are not loaded"),
        ),
    ] {
        assert_eq!(
            a.call(method.clone(), path, body).await,
            expected,
            "{method} {path}"
        );
    }
}

#[actix_rt::test]
async fn rest_admin_handlers_subset_hides_the_other_groups() {
    let a = Api::start().await;
    let get = |path: &'static str| {
        let url = a.s.url(1, path);
        let c = a.c.clone();
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/api/sessions/localhost").await, 200);
    assert_eq!(get("/api/users/localhost").await, 404);
    assert_eq!(get("/api/contacts/alice@localhost").await, 404);
    assert_eq!(get("/api/metrics/").await, 404);
    // The document lists only what is served.
    let doc: Value =
        a.c.get(a.s.url(1, "/api/api-docs/swagger.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert!(
        paths.iter().all(|p| p.starts_with("/sessions")),
        "{paths:?}"
    );
}
