//! GraphQL `session` category over real HTTP, against sessions of real WebSocket clients:
//! listing and counting sessions, resources and users by status, kicking (the client gets
//! the stream error and is disconnected), setting a session's presence (broadcast as if
//! the client had sent it), the user endpoint, and domain-admin scoping.

use crate::graphql::{ADMIN, Env, USER, WS_EXTRA, codes, config};
use crate::ws_client::WsClient;
use meerkat_xmpp::ns;
use serde_json::{Value, json};
use std::time::Duration;

/// A server with alice, bob (localhost) and carol (other.test), and a domain admin for
/// localhost (password `dpw`).
pub async fn env(extra: &str) -> Env {
    Env::start(&config(&format!("{WS_EXTRA}{extra}")), &["alice", "bob"]).await
}

impl Env {
    /// Polls an admin query until `pred` holds on its body (sessions end asynchronously).
    pub async fn admin_until(&self, query: &str, pred: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..100 {
            let b = self.g.admin(query, json!({})).await;
            if pred(&b) {
                return b;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("condition never met for {query}");
    }
}

/// Sends presence and waits for its echo.
async fn presence(c: &mut WsClient, children: &str) {
    c.send(&format!(
        "<presence xmlns='jabber:client'>{children}</presence>"
    ))
    .await;
    let jid = c.jid.clone();
    c.recv_until(|e| {
        e.name() == "presence" && e.attr("from") == Some(jid.as_str()) && e.attr("type").is_none()
    })
    .await;
}

/// After a stream error: `<close/>`, then the socket closes.
pub async fn closes(c: &mut WsClient) {
    let close = c.recv().await;
    assert!(
        close.is("close", ns::FRAMING),
        "expected <close/>, got {close}"
    );
    c.expect_closed().await;
}

#[actix_rt::test]
async fn session_queries_over_real_sessions() {
    let e = env("").await;
    let mut r1 = e.login("alice@localhost", "r1").await;
    presence(
        &mut r1,
        "<show>away</show><status>busy</status><priority>5</priority>",
    )
    .await;
    let _r2 = e.login("alice@localhost", "r2").await;
    let _carol = e.login("carol@other.test", "home").await;
    let fields = "user connection ip port priority node uptime";

    let b =
        e.g.admin(
            &format!("{{ session {{ listSessions {{ {fields} }} countSessions }} }}"),
            json!({}),
        )
        .await;
    let list = b["data"]["session"]["listSessions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(b["data"]["session"]["countSessions"], 3, "{b}");
    let users: Vec<&str> = list.iter().map(|s| s["user"].as_str().unwrap()).collect();
    assert_eq!(
        users,
        [
            "alice@localhost/r1",
            "alice@localhost/r2",
            "carol@other.test/home"
        ]
    );
    let s = &list[0];
    assert_eq!(s["connection"], "websocket");
    assert_eq!(s["ip"], "127.0.0.1");
    assert!(s["port"].as_i64().unwrap() > 0, "{s}");
    assert_eq!(s["priority"], 5);
    assert_eq!(list[1]["priority"], Value::Null, "no presence sent yet");
    assert!(s["node"].as_str().unwrap().starts_with("meerkat@"), "{s}");
    assert!(s["uptime"].as_i64().unwrap() >= 0);

    let q = "query($d: DomainName) { session { listSessions(domain: $d) { user } countSessions(domain: $d) } }";
    let b = e.g.admin(q, json!({"d": "localhost"})).await;
    assert_eq!(b["data"]["session"]["countSessions"], 2);
    assert_eq!(
        b["data"]["session"]["listSessions"],
        json!([{"user": "alice@localhost/r1"}, {"user": "alice@localhost/r2"}])
    );
    let b = e.g.admin(q, json!({"d": "other.test"})).await;
    assert_eq!(b["data"]["session"]["countSessions"], 1);
    let b = e.g.admin(q, json!({"d": "nowhere.test"})).await;
    assert_eq!(codes(&b), ["domain_not_found", "domain_not_found"]);
    assert_eq!(b["errors"][0]["message"], "Domain not found");
    assert_eq!(b["errors"][0]["extensions"]["domain"], "nowhere.test");

    let q = "query($u: JID!) { session { listUserSessions(user: $u) { user priority } countUserResources(user: $u) } }";
    let b = e.g.admin(q, json!({"u": "alice@localhost"})).await;
    assert_eq!(b["data"]["session"]["countUserResources"], 2);
    assert_eq!(
        b["data"]["session"]["listUserSessions"],
        json!([{"user": "alice@localhost/r1", "priority": 5}, {"user": "alice@localhost/r2", "priority": null}])
    );
    // A full JID names the same user.
    let b = e.g.admin(q, json!({"u": "alice@localhost/whatever"})).await;
    assert_eq!(b["data"]["session"]["countUserResources"], 2);
    let b = e.g.admin(q, json!({"u": "bob@localhost"})).await;
    assert_eq!(
        (
            &b["data"]["session"]["countUserResources"],
            &b["data"]["session"]["listUserSessions"]
        ),
        (&json!(0), &json!([]))
    );
    let b = e.g.admin(q, json!({"u": "nobody@localhost"})).await;
    assert_eq!(codes(&b), ["user_not_found", "user_not_found"]);
    assert_eq!(b["errors"][0]["message"], "Given user does not exist");
    let b = e.g.admin(q, json!({"u": "alice@nowhere.test"})).await;
    assert_eq!(b["errors"][0]["message"], "User's domain does not exist");

    let q =
        "query($n: PosInt!) { session { getUserResource(user: \"alice@localhost\", number: $n) } }";
    assert_eq!(
        e.g.admin(q, json!({"n": 1})).await["data"]["session"]["getUserResource"],
        "r1"
    );
    assert_eq!(
        e.g.admin(q, json!({"n": 2})).await["data"]["session"]["getUserResource"],
        "r2"
    );
    let b = e.g.admin(q, json!({"n": 3})).await;
    assert_eq!(codes(&b), ["wrong_res_number"]);
    assert_eq!(b["errors"][0]["message"], "Wrong resource number: 3");
    let (s, b) =
        e.g.post(ADMIN, Some(("admin", "secret")), q, json!({"n": 0}))
            .await;
    assert_eq!(s, 400, "PosInt refuses 0: {b}");

    let q = "query($d: DomainName, $s: NonEmptyString!) { session { listUsersWithStatus(domain: $d, status: $s) { user priority text } countUsersWithStatus(domain: $d, status: $s) } }";
    let b = e.g.admin(q, json!({"s": "away"})).await;
    assert_eq!(
        b["data"]["session"]["listUsersWithStatus"],
        json!([{"user": "alice@localhost/r1", "priority": 5, "text": "busy"}])
    );
    assert_eq!(b["data"]["session"]["countUsersWithStatus"], 1);
    let b = e.g.admin(q, json!({"s": "unavailable"})).await;
    assert_eq!(
        b["data"]["session"]["countUsersWithStatus"], 2,
        "r2 and carol sent no presence"
    );
    let b =
        e.g.admin(q, json!({"s": "unavailable", "d": "other.test"}))
            .await;
    assert_eq!(
        b["data"]["session"]["listUsersWithStatus"],
        json!([{"user": "carol@other.test/home", "priority": null, "text": ""}])
    );
    let b =
        e.g.admin(q, json!({"s": "away", "d": "nowhere.test"}))
            .await;
    assert_eq!(codes(&b), ["domain_not_found", "domain_not_found"]);
    let (s, _) =
        e.g.post(ADMIN, Some(("admin", "secret")), q, json!({"s": ""}))
            .await;
    assert_eq!(s, 400, "NonEmptyString refuses an empty status");

    // The user endpoint sees the user's own sessions.
    let b = e
        .user(
            "alice@localhost",
            "{ session { listResources countResources listSessions { user connection } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["session"]["listResources"],
        json!(["r1", "r2"]),
        "{b}"
    );
    assert_eq!(b["data"]["session"]["countResources"], 2);
    assert_eq!(
        b["data"]["session"]["listSessions"],
        json!([{"user": "alice@localhost/r1", "connection": "websocket"}, {"user": "alice@localhost/r2", "connection": "websocket"}])
    );
    let b = e
        .user(
            "bob@localhost",
            "{ session { listResources countResources listSessions { user } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["session"],
        json!({"listResources": [], "countResources": 0, "listSessions": []})
    );
    let (s, b) =
        e.g.post(USER, None, "{ session { countResources } }", json!({}))
            .await;
    assert_eq!((s, codes(&b)), (401, vec!["no_permissions".to_owned()]));
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn kicked_clients_get_a_stream_error_and_are_disconnected() {
    let e = env("").await;
    let mut r1 = e.login("alice@localhost", "r1").await;
    let mut r2 = e.login("alice@localhost", "r2").await;
    let mut r3 = e.login("alice@localhost", "r3").await;
    let one = "mutation($u: FullJID!, $r: String) { session { kickUserSession(user: $u, reason: $r) { jid kicked code message } } }";
    let b =
        e.g.admin(one, json!({"u": "alice@localhost/r1", "r": "bye now"}))
            .await;
    assert_eq!(
        b["data"]["session"]["kickUserSession"],
        json!({"jid": "alice@localhost/r1", "kicked": true, "code": null, "message": "Session kicked"}),
        "{b}"
    );
    let err = r1.recv_until(|el| el.is("error", ns::STREAM)).await;
    assert!(
        err.has_child("policy-violation", "urn:ietf:params:xml:ns:xmpp-streams"),
        "{err}"
    );
    assert!(err.to_xml().contains("bye now"), "{err}");
    closes(&mut r1).await;
    e.admin_until(
        "{ session { countUserResources(user: \"alice@localhost\") } }",
        |b| b["data"]["session"]["countUserResources"] == 2,
    )
    .await;
    // Gone now.
    let b = e.g.admin(one, json!({"u": "alice@localhost/r1"})).await;
    assert_eq!(codes(&b), ["no_session"]);
    assert_eq!(b["errors"][0]["message"], "No active session");
    assert_eq!(
        b["errors"][0]["extensions"]["reason"],
        "Kicked by administrator"
    );
    let b = e.g.admin(one, json!({"u": "nobody@localhost/x"})).await;
    assert_eq!(codes(&b), ["user_not_found"]);
    let (s, _) =
        e.g.post(
            ADMIN,
            Some(("admin", "secret")),
            one,
            json!({"u": "alice@localhost"}),
        )
        .await;
    assert_eq!(s, 400, "kickUserSession needs a full JID");

    // All remaining sessions; the default reason.
    let all =
        "mutation($u: BareJID!) { session { kickUser(user: $u) { jid kicked code message } } }";
    let b = e.g.admin(all, json!({"u": "alice@localhost"})).await;
    assert_eq!(
        b["data"]["session"]["kickUser"],
        json!([
            {"jid": "alice@localhost/r2", "kicked": true, "code": null, "message": "Session kicked"},
            {"jid": "alice@localhost/r3", "kicked": true, "code": null, "message": "Session kicked"}
        ]),
        "{b}"
    );
    for c in [&mut r2, &mut r3] {
        let err = c.recv_until(|el| el.is("error", ns::STREAM)).await;
        assert!(err.to_xml().contains("Kicked by administrator"), "{err}");
        closes(c).await;
    }
    e.admin_until("{ session { countSessions } }", |b| {
        b["data"]["session"]["countSessions"] == 0
    })
    .await;
    let b = e.g.admin(all, json!({"u": "alice@localhost"})).await;
    assert_eq!(b["data"]["session"]["kickUser"], json!([]));
    let b = e.g.admin(all, json!({"u": "nobody@localhost"})).await;
    assert_eq!(codes(&b), ["user_not_found"]);
    let (s, _) =
        e.g.post(
            ADMIN,
            Some(("admin", "secret")),
            all,
            json!({"u": "alice@localhost/r2"}),
        )
        .await;
    assert_eq!(s, 400, "kickUser needs a bare JID");
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn set_presence_is_broadcast_as_the_session_would() {
    let e = env("").await;
    let mut r1 = e.login("alice@localhost", "r1").await;
    r1.available().await;
    let mut r2 = e.login("alice@localhost", "r2").await;
    r2.available().await;
    let q = "mutation($u: JID!, $t: PresenceType!, $sh: PresenceShow, $st: String, $p: Int) { session { setPresence(user: $u, type: $t, show: $sh, status: $st, priority: $p) { jid message } } }";
    let b = e.g.admin(q, json!({"u": "alice@localhost/r1", "t": "AVAILABLE", "sh": "DND", "st": "meeting", "p": 3})).await;
    assert_eq!(
        b["data"]["session"]["setPresence"],
        json!({"jid": "alice@localhost/r1", "message": "Presence set successfully"}),
        "{b}"
    );
    // The other resource sees it, with show, status and priority.
    let p = r2
        .recv_until(|el| {
            el.name() == "presence"
                && el.attr("from") == Some("alice@localhost/r1")
                && el.has_child("show", ns::CLIENT)
        })
        .await;
    assert_eq!(p.get_child("show", ns::CLIENT).unwrap().text(), "dnd");
    assert_eq!(p.get_child("status", ns::CLIENT).unwrap().text(), "meeting");
    assert_eq!(p.get_child("priority", ns::CLIENT).unwrap().text(), "3");
    // The session itself gets the echo, as for its own presence.
    r1.recv_until(|el| {
        el.name() == "presence"
            && el.attr("from") == Some("alice@localhost/r1")
            && el.has_child("show", ns::CLIENT)
    })
    .await;
    let status = "{ session { listUsersWithStatus(status: \"dnd\") { user priority text } } }";
    let b = e.g.admin(status, json!({})).await;
    assert_eq!(
        b["data"]["session"]["listUsersWithStatus"],
        json!([{"user": "alice@localhost/r1", "priority": 3, "text": "meeting"}])
    );
    // ONLINE means no <show/>.
    e.g.admin(
        q,
        json!({"u": "alice@localhost/r1", "t": "AVAILABLE", "sh": "ONLINE"}),
    )
    .await;
    let p = r2
        .recv_until(|el| el.name() == "presence" && el.attr("from") == Some("alice@localhost/r1"))
        .await;
    assert!(p.get_child("show", ns::CLIENT).is_none(), "{p}");
    // Unavailable.
    e.g.admin(
        q,
        json!({"u": "alice@localhost/r1", "t": "UNAVAILABLE", "st": "gone"}),
    )
    .await;
    let p = r2
        .recv_until(|el| {
            el.name() == "presence"
                && el.attr("from") == Some("alice@localhost/r1")
                && el.attr("type") == Some("unavailable")
        })
        .await;
    assert_eq!(p.get_child("status", ns::CLIENT).unwrap().text(), "gone");
    let b =
        e.g.admin(
            "{ session { listUsersWithStatus(status: \"unavailable\") { user priority } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["session"]["listUsersWithStatus"],
        json!([{"user": "alice@localhost/r1", "priority": null}])
    );
    // Errors.
    let b =
        e.g.admin(q, json!({"u": "alice@localhost", "t": "AVAILABLE"}))
            .await;
    assert_eq!(codes(&b), ["empty_resource"]);
    assert_eq!(
        b["errors"][0]["message"],
        "The resource is empty. You need to provide a full JID"
    );
    let b =
        e.g.admin(q, json!({"u": "nobody@localhost/x", "t": "AVAILABLE"}))
            .await;
    assert_eq!(codes(&b), ["user_not_found"]);
    let b =
        e.g.admin(q, json!({"u": "bob@localhost/offline", "t": "AVAILABLE"}))
            .await;
    assert_eq!(codes(&b), ["no_session"]);
    let (s, _) =
        e.g.post(
            ADMIN,
            Some(("admin", "secret")),
            q,
            json!({"u": "alice@localhost/r1", "t": "BUSY"}),
        )
        .await;
    assert_eq!(s, 400, "not a PresenceType");
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn domain_admin_is_scoped_to_its_domain() {
    let e = env("").await;
    let _a = e.login("alice@localhost", "r1").await;
    let mut carol = e.login("carol@other.test", "home").await;
    carol.available().await;
    let allowed = [
        (
            "{ session { listSessions(domain: \"localhost\") { user } } }",
            json!({"listSessions": [{"user": "alice@localhost/r1"}]}),
        ),
        (
            "{ session { countSessions(domain: \"localhost\") } }",
            json!({"countSessions": 1}),
        ),
        (
            "{ session { listUserSessions(user: \"alice@localhost\") { user } } }",
            json!({"listUserSessions": [{"user": "alice@localhost/r1"}]}),
        ),
        (
            "{ session { countUserResources(user: \"alice@localhost\") } }",
            json!({"countUserResources": 1}),
        ),
        (
            "{ session { getUserResource(user: \"alice@localhost\", number: 1) } }",
            json!({"getUserResource": "r1"}),
        ),
        (
            "{ session { listUsersWithStatus(domain: \"localhost\", status: \"unavailable\") { user } } }",
            json!({"listUsersWithStatus": [{"user": "alice@localhost/r1"}]}),
        ),
        (
            "{ session { countUsersWithStatus(domain: \"localhost\", status: \"unavailable\") } }",
            json!({"countUsersWithStatus": 1}),
        ),
        (
            "mutation { session { setPresence(user: \"alice@localhost/r1\", type: AVAILABLE) { message } } }",
            json!({"setPresence": {"message": "Presence set successfully"}}),
        ),
    ];
    for (q, expected) in allowed {
        let (s, b) = e.post_domain_admin(q, json!({})).await;
        assert_eq!((s, &b["data"]["session"]), (200, &expected), "{q}: {b}");
    }
    let refused = [
        "{ session { listSessions { user } } }",
        "{ session { listSessions(domain: \"other.test\") { user } } }",
        "{ session { countSessions } }",
        "{ session { countSessions(domain: \"other.test\") } }",
        "{ session { listUserSessions(user: \"carol@other.test\") { user } } }",
        "{ session { countUserResources(user: \"carol@other.test\") } }",
        "{ session { getUserResource(user: \"carol@other.test\", number: 1) } }",
        "{ session { listUsersWithStatus(status: \"available\") { user } } }",
        "{ session { listUsersWithStatus(domain: \"other.test\", status: \"available\") { user } } }",
        "{ session { countUsersWithStatus(status: \"available\") } }",
        "{ session { countUsersWithStatus(domain: \"other.test\", status: \"available\") } }",
        "mutation { session { kickUserSession(user: \"carol@other.test/home\") { kicked } } }",
        "mutation { session { kickUser(user: \"carol@other.test\") { kicked } } }",
        "mutation { session { setPresence(user: \"carol@other.test/home\", type: UNAVAILABLE) { message } } }",
    ];
    for q in refused {
        let (s, b) = e.post_domain_admin(q, json!({})).await;
        assert_eq!(
            (s, codes(&b)),
            (401, vec!["no_permissions".to_owned()]),
            "{q}: {b}"
        );
    }
    // Carol was not kicked and her presence is untouched.
    assert!(carol.silent_for(Duration::from_millis(300)).await.is_none());
    let (_, b) = e
        .post_domain_admin(
            "mutation { session { kickUser(user: \"alice@localhost\") { jid kicked } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["session"]["kickUser"],
        json!([{"jid": "alice@localhost/r1", "kicked": true}]),
        "{b}"
    );
    e.g.server.stop().await;
}
