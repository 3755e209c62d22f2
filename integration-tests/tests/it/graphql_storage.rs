//! GraphQL `private`, `last` and `offline` categories over real HTTP: every admin and
//! user operation, cross-checked with what XMPP clients store and read (XEP-0049 private
//! storage, XEP-0012 last activity, offline delivery), MongooseIM's error codes, module
//! gating and domain-admin scoping.

use crate::graphql::{ADMIN, codes};
use crate::graphql_roster::{MUTUAL, env, env_without};
use crate::ws_client::{Frame, WsClient};
use meerkat_core::store::OfflineMessage;
use meerkat_core::util::{now_secs, now_us, timestamp_secs};
use meerkat_xmpp::{BareJid, Element, ns};
use serde_json::json;

const SET_PRIVATE: &str =
    "mutation($u: JID!, $x: XmlElement!) { private { setPrivate(user: $u, elementString: $x) } }";
const GET_PRIVATE: &str = "query($u: JID!, $e: String!, $n: NonEmptyString!) { private { getPrivate(user: $u, element: $e, nameSpace: $n) } }";
const ELEMENT: &str = "<my_element xmlns='alice:private:ns'>DATA</my_element>";

#[actix_rt::test]
async fn private_storage_admin_user_and_xmpp() {
    let e = env().await;
    let b = e
        .admin(SET_PRIVATE, json!({"u": "alice@localhost", "x": ELEMENT}))
        .await;
    assert_eq!(b["data"]["private"]["setPrivate"], ELEMENT, "{b}");
    let b = e
        .admin(
            GET_PRIVATE,
            json!({"u": "alice@localhost", "e": "my_element", "n": "alice:private:ns"}),
        )
        .await;
    assert_eq!(b["data"]["private"]["getPrivate"], ELEMENT);
    // Nothing stored: the empty element, as a XEP-0049 get answers.
    let b = e
        .admin(
            GET_PRIVATE,
            json!({"u": "alice@localhost", "e": "other", "n": "alice:other"}),
        )
        .await;
    assert_eq!(
        b["data"]["private"]["getPrivate"],
        "<other xmlns='alice:other'/>"
    );

    // Alice's client reads what the admin stored, and stores something the API reads.
    let mut alice = e.online("alice@localhost").await;
    alice.send("<iq xmlns='jabber:client' type='get' id='p1' to='alice@localhost'><query xmlns='jabber:iq:private'><my_element xmlns='alice:private:ns'/></query></iq>").await;
    let r = alice.recv_until(|e| e.attr("id") == Some("p1")).await;
    assert_eq!(r.attr("type"), Some("result"), "{r}");
    let stored = r
        .get_child("query", ns::PRIVATE)
        .unwrap()
        .get_child("my_element", "alice:private:ns")
        .unwrap();
    assert_eq!(stored.text(), "DATA");
    alice.send("<iq xmlns='jabber:client' type='set' id='p2' to='alice@localhost'><query xmlns='jabber:iq:private'><bookmarks xmlns='storage:bookmarks'><url name='x' url='https://example.org/'/></bookmarks></query></iq>").await;
    let r = alice.recv_until(|e| e.attr("id") == Some("p2")).await;
    assert_eq!(r.attr("type"), Some("result"), "{r}");
    let b = e
        .user(
            "alice@localhost",
            "{ private { getPrivate(element: \"bookmarks\", nameSpace: \"storage:bookmarks\") } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["private"]["getPrivate"],
        "<bookmarks xmlns='storage:bookmarks'><url name='x' url='https://example.org/'/></bookmarks>",
        "{b}"
    );
    // The user replaces it; the client reads the new value.
    let b = e
        .user(
            "alice@localhost",
            "mutation($x: XmlElement!) { private { setPrivate(elementString: $x) } }",
            json!({"x": "<bookmarks xmlns='storage:bookmarks'/>"}),
        )
        .await;
    assert_eq!(
        b["data"]["private"]["setPrivate"], "<bookmarks xmlns='storage:bookmarks'/>",
        "{b}"
    );
    alice.send("<iq xmlns='jabber:client' type='get' id='p3' to='alice@localhost'><query xmlns='jabber:iq:private'><bookmarks xmlns='storage:bookmarks'/></query></iq>").await;
    let r = alice.recv_until(|e| e.attr("id") == Some("p3")).await;
    let bm = r
        .get_child("query", ns::PRIVATE)
        .unwrap()
        .get_child("bookmarks", "storage:bookmarks")
        .unwrap();
    assert_eq!(bm.children().count(), 0, "{r}");
    // Storage is per user.
    let b = e
        .user(
            "bob@localhost",
            "{ private { getPrivate(element: \"my_element\", nameSpace: \"alice:private:ns\") } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["private"]["getPrivate"],
        "<my_element xmlns='alice:private:ns'/>"
    );

    // Errors.
    for u in ["nobody@localhost", "eddie@otherhost"] {
        let b = e.admin(SET_PRIVATE, json!({"u": u, "x": ELEMENT})).await;
        assert_eq!(
            (codes(&b), &b["errors"][0]["message"]),
            (
                vec!["not_found".to_owned()],
                &json!(format!("User {u} does not exist"))
            )
        );
        let b = e
            .admin(
                GET_PRIVATE,
                json!({"u": u, "e": "my_element", "n": "alice:private:ns"}),
            )
            .await;
        assert_eq!(codes(&b), ["not_found"]);
    }
    let b = e
        .admin(
            SET_PRIVATE,
            json!({"u": "alice@localhost", "x": "<query xmlns='jabber:iq:roster'/>"}),
        )
        .await;
    assert_eq!(codes(&b), ["invalid_namespace"]);
    let b = e
        .admin(
            SET_PRIVATE,
            json!({"u": "alice@localhost", "x": "<no_namespace/>"}),
        )
        .await;
    assert_eq!(codes(&b), ["invalid_namespace"]);
    let b = e
        .admin(
            GET_PRIVATE,
            json!({"u": "alice@localhost", "e": "a b", "n": "x:y"}),
        )
        .await;
    assert_eq!(codes(&b), ["invalid_element"]);
    let (s, _) =
        e.g.post(
            ADMIN,
            Some(("admin", "secret")),
            GET_PRIVATE,
            json!({"u": "alice@localhost", "e": "", "n": ""}),
        )
        .await;
    assert_eq!(s, 400, "NonEmptyString");
    let (s, _) =
        e.g.post(
            ADMIN,
            Some(("admin", "secret")),
            SET_PRIVATE,
            json!({"u": "alice@localhost", "x": "AAAABBBB"}),
        )
        .await;
    assert_eq!(s, 400, "XmlElement");

    // Domain admin.
    let b = e
        .domain_admin(
            GET_PRIVATE,
            json!({"u": "alice@localhost", "e": "my_element", "n": "alice:private:ns"}),
        )
        .await;
    assert_eq!(b["data"]["private"]["getPrivate"], ELEMENT);
    let b = e
        .domain_admin(SET_PRIVATE, json!({"u": "alice@localhost", "x": ELEMENT}))
        .await;
    assert!(b["errors"].is_null(), "{b}");
    let b = e
        .domain_admin(
            GET_PRIVATE,
            json!({"u": "carol@other.test", "e": "my_element", "n": "alice:private:ns"}),
        )
        .await;
    assert_eq!(codes(&b), ["no_permissions"]);
    let b = e
        .domain_admin(SET_PRIVATE, json!({"u": "carol@other.test", "x": ELEMENT}))
        .await;
    assert_eq!(codes(&b), ["no_permissions"]);
    e.g.server.stop().await;

    let e = env_without(Some("mod_private")).await;
    let b = e
        .admin(SET_PRIVATE, json!({"u": "alice@localhost", "x": ELEMENT}))
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    assert_eq!(
        b["errors"][0]["extensions"]["not_loaded_modules"],
        json!(["mod_private"])
    );
    let b = e
        .admin(
            GET_PRIVATE,
            json!({"u": "alice@localhost", "e": "my_element", "n": "alice:private:ns"}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    let b = e
        .user(
            "alice@localhost",
            "{ private { getPrivate(element: \"a\", nameSpace: \"b:c\") } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    let b = e
        .user(
            "alice@localhost",
            "mutation { private { setPrivate(elementString: \"<a xmlns='b:c'/>\") } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    e.g.server.stop().await;
}

const SET_LAST: &str = "mutation($u: JID!, $t: DateTime, $s: String!) { last { setLast(user: $u, timestamp: $t, status: $s) { user timestamp status } } }";
const GET_LAST: &str = "query($u: JID!) { last { getLast(user: $u) { user timestamp status } } }";
const COUNT: &str =
    "query($d: DomainName!, $t: DateTime) { last { countActiveUsers(domain: $d, timestamp: $t) } }";
const LIST_OLD: &str = "query($d: DomainName, $t: DateTime!) { last { listOldUsers(domain: $d, timestamp: $t) { jid timestamp } } }";
const REMOVE_OLD: &str = "mutation($d: DomainName, $t: DateTime!) { last { removeOldUsers(domain: $d, timestamp: $t) { jid timestamp } } }";

#[actix_rt::test]
async fn last_activity_operations() {
    let e = env().await;
    let t = "2024-01-01T12:00:00Z";
    let b = e
        .admin(
            SET_LAST,
            json!({"u": "alice@localhost", "t": t, "s": "Gone fishing"}),
        )
        .await;
    assert_eq!(
        b["data"]["last"]["setLast"],
        json!({"user": "alice@localhost", "timestamp": t, "status": "Gone fishing"}),
        "{b}"
    );
    let b = e.admin(GET_LAST, json!({"u": "alice@localhost"})).await;
    assert_eq!(
        b["data"]["last"]["getLast"],
        json!({"user": "alice@localhost", "timestamp": t, "status": "Gone fishing"})
    );
    // Without a timestamp: now.
    let b = e
        .admin(SET_LAST, json!({"u": "bob@localhost", "s": ""}))
        .await;
    let ts = meerkat_core::util::parse_timestamp_us(
        b["data"]["last"]["setLast"]["timestamp"].as_str().unwrap(),
    )
    .unwrap()
        / 1_000_000;
    assert!((now_secs() - ts).abs() <= 2, "{b}");
    // The user endpoint: own record; another user's only when subscribed to that user's
    // presence (XEP-0012's rule), the same refusal whether the user exists or not.
    let b = e
        .user(
            "alice@localhost",
            "{ last { getLast { status } } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["last"]["getLast"]["status"], "Gone fishing");
    let bob_asks = async |about: &str| {
        e.user(
            "bob@localhost",
            "query($u: JID) { last { getLast(user: $u) { user timestamp } } }",
            json!({"u": about}),
        )
        .await
    };
    let store = e.g.server.meerkat.server.store();
    let alice = "alice@localhost";
    let item = |sub| meerkat_core::store::RosterItem {
        contact: "bob@localhost".to_owned(),
        name: None,
        groups: Vec::new(),
        subscription: sub,
        ask: meerkat_core::store::Ask::None,
    };
    use meerkat_core::store::Subscription as Sub;
    for (sub, allowed) in [
        (None, false),
        (Some(Sub::None), false),
        (Some(Sub::To), false), // alice sees bob's presence, not the other way round
        (Some(Sub::From), true),
        (Some(Sub::Both), true),
    ] {
        if let Some(sub) = sub {
            store.roster_put_item(alice, &item(sub)).await.unwrap();
        }
        let b = bob_asks("Alice@localhost/phone").await;
        if allowed {
            assert_eq!(
                b["data"]["last"]["getLast"],
                json!({"user": "alice@localhost", "timestamp": t}),
                "{sub:?}: {b}"
            );
        } else {
            assert_eq!(codes(&b), ["not_allowed"], "{sub:?}: {b}");
            assert_eq!(b["data"]["last"]["getLast"], json!(null), "{b}");
            assert!(
                !b.to_string().contains("Gone fishing") && !b.to_string().contains(t),
                "{b}"
            );
        }
    }
    store
        .roster_delete_item(alice, "bob@localhost")
        .await
        .unwrap();
    let b = bob_asks("nobody@localhost").await;
    assert_eq!(codes(&b), ["not_allowed"], "{b}");
    let b = e.user("alice@localhost", "mutation { last { setLast(timestamp: \"2024-02-02T10:00:00Z\", status: \"Back soon\") { user timestamp status } } }", json!({})).await;
    assert_eq!(
        b["data"]["last"]["setLast"],
        json!({"user": "alice@localhost", "timestamp": "2024-02-02T10:00:00Z", "status": "Back soon"}),
        "{b}"
    );
    // Errors.
    let b = e.admin(GET_LAST, json!({"u": "kate@localhost"})).await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["last_not_found".to_owned()],
            &json!("Given user's last info not found")
        )
    );
    let b = e.admin(GET_LAST, json!({"u": "nobody@localhost"})).await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["user_does_not_exist".to_owned()],
            &json!("User nobody@localhost does not exist")
        )
    );
    let b = e
        .admin(SET_LAST, json!({"u": "nobody@nowhere.test", "s": "x"}))
        .await;
    assert_eq!(codes(&b), ["user_does_not_exist"]);
    let (s, _) =
        e.g.post(
            ADMIN,
            Some(("admin", "secret")),
            SET_LAST,
            json!({"u": "alice@localhost", "t": "yesterday", "s": "x"}),
        )
        .await;
    assert_eq!(s, 400, "DateTime");

    // What the admin set is what a subscribed contact's client gets over XMPP (XEP-0012).
    let b = e
        .admin(
            MUTUAL,
            json!({"a": "alice@localhost", "b": "bob@localhost", "act": "CONNECT"}),
        )
        .await;
    assert!(b["errors"].is_null(), "{b}");
    let b = e
        .admin(
            SET_LAST,
            json!({"u": "bob@localhost", "t": timestamp_secs(now_secs() - 600), "s": "Lunch"}),
        )
        .await;
    assert!(b["errors"].is_null(), "{b}");
    let mut alice = e.online("alice@localhost").await;
    alice.send("<iq xmlns='jabber:client' type='get' id='l1' to='bob@localhost'><query xmlns='jabber:iq:last'/></iq>").await;
    let r = alice.recv_until(|e| e.attr("id") == Some("l1")).await;
    let q = r
        .get_child("query", ns::LAST)
        .unwrap_or_else(|| panic!("{r}"));
    let secs: i64 = q.attr("seconds").unwrap().parse().unwrap();
    assert!((600..=603).contains(&secs), "{r}");
    assert_eq!(q.text(), "Lunch");
    alice.close().await;
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn active_and_old_users() {
    let e = env().await;
    let now = now_secs();
    for (u, offset) in [("alice", 100), ("bob", 200)] {
        let b = e
            .admin(
                SET_LAST,
                json!({"u": format!("{u}@localhost"), "t": timestamp_secs(now + offset), "s": ""}),
            )
            .await;
        assert!(b["errors"].is_null(), "{b}");
    }
    let b = e.admin(COUNT, json!({"d": "localhost"})).await;
    assert_eq!(b["data"]["last"]["countActiveUsers"], 2, "{b}");
    let b = e
        .admin(
            COUNT,
            json!({"d": "LocalHost", "t": timestamp_secs(now + 150)}),
        )
        .await;
    assert_eq!(b["data"]["last"]["countActiveUsers"], 1);
    let b = e
        .admin(
            COUNT,
            json!({"d": "localhost", "t": timestamp_secs(now + 300)}),
        )
        .await;
    assert_eq!(b["data"]["last"]["countActiveUsers"], 0);
    let b = e.admin(COUNT, json!({"d": "unknown-domain.com"})).await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["domain_not_found".to_owned()],
            &json!("Domain not found")
        )
    );

    // Old: alice (before the limit), kate and carol (never active); bob is recent, and an
    // online user is never old.
    let limit = timestamp_secs(now + 150);
    let b = e
        .admin(LIST_OLD, json!({"d": "localhost", "t": limit}))
        .await;
    assert_eq!(
        b["data"]["last"]["listOldUsers"],
        json!([{"jid": "alice@localhost", "timestamp": timestamp_secs(now + 100)}, {"jid": "kate@localhost", "timestamp": null}]),
        "{b}"
    );
    let b = e.admin(LIST_OLD, json!({"t": limit})).await;
    assert_eq!(
        b["data"]["last"]["listOldUsers"],
        json!([
        {"jid": "alice@localhost", "timestamp": timestamp_secs(now + 100)},
        {"jid": "kate@localhost", "timestamp": null},
        {"jid": "carol@other.test", "timestamp": null}])
    );
    let kate = e.online("kate@localhost").await;
    let b = e
        .admin(LIST_OLD, json!({"d": "localhost", "t": limit}))
        .await;
    assert_eq!(
        b["data"]["last"]["listOldUsers"],
        json!([{"jid": "alice@localhost", "timestamp": timestamp_secs(now + 100)}])
    );
    let b = e
        .admin(LIST_OLD, json!({"d": "unknown-domain.com", "t": limit}))
        .await;
    assert_eq!(codes(&b), ["domain_not_found"]);

    // Domain admin: its domain only; a global (null) domain is refused.
    let b = e.domain_admin(COUNT, json!({"d": "localhost"})).await;
    assert_eq!(b["data"]["last"]["countActiveUsers"], 2);
    let b = e
        .domain_admin(LIST_OLD, json!({"d": "localhost", "t": limit}))
        .await;
    assert_eq!(
        b["data"]["last"]["listOldUsers"].as_array().unwrap().len(),
        1
    );
    for (q, vars) in [
        (COUNT, json!({"d": "other.test"})),
        (LIST_OLD, json!({"t": limit})),
        (LIST_OLD, json!({"d": "other.test", "t": limit})),
        (REMOVE_OLD, json!({"t": limit})),
        (REMOVE_OLD, json!({"d": "other.test", "t": limit})),
        (GET_LAST, json!({"u": "carol@other.test"})),
        (SET_LAST, json!({"u": "carol@other.test", "s": "x"})),
    ] {
        let b = e.domain_admin(q, vars).await;
        assert_eq!(codes(&b), ["no_permissions"], "{q}: {b}");
    }
    let b = e
        .domain_admin(GET_LAST, json!({"u": "alice@localhost"}))
        .await;
    assert_eq!(b["data"]["last"]["getLast"]["user"], "alice@localhost");

    // removeOldUsers removes the accounts (and their data).
    let b = e
        .admin(REMOVE_OLD, json!({"d": "localhost", "t": limit}))
        .await;
    assert_eq!(
        b["data"]["last"]["removeOldUsers"],
        json!([{"jid": "alice@localhost", "timestamp": timestamp_secs(now + 100)}]),
        "{b}"
    );
    let server = &e.g.server.meerkat.server;
    for (u, exists) in [
        ("alice@localhost", false),
        ("bob@localhost", true),
        ("kate@localhost", true),
        ("carol@other.test", true),
    ] {
        assert_eq!(
            server.user_exists(&BareJid::new(u).unwrap()).await.unwrap(),
            exists,
            "{u}"
        );
    }
    assert!(
        server
            .store()
            .last_get("alice@localhost")
            .await
            .unwrap()
            .is_none()
    );
    kate.close().await;
    let b = e
        .admin(REMOVE_OLD, json!({"d": "unknown-domain.com", "t": limit}))
        .await;
    assert_eq!(codes(&b), ["domain_not_found"]);
    e.g.server.stop().await;

    let e = env_without(Some("mod_last")).await;
    for (q, vars) in [
        (GET_LAST, json!({"u": "alice@localhost"})),
        (SET_LAST, json!({"u": "alice@localhost", "s": "x"})),
        (COUNT, json!({"d": "localhost"})),
        (LIST_OLD, json!({"t": "2024-01-01T00:00:00Z"})),
        (REMOVE_OLD, json!({"t": "2024-01-01T00:00:00Z"})),
    ] {
        let b = e.admin(q, vars).await;
        assert_eq!(codes(&b), ["deps_not_loaded"], "{q}: {b}");
        assert_eq!(
            b["errors"][0]["extensions"]["not_loaded_modules"],
            json!(["mod_last"])
        );
    }
    let b = e
        .user(
            "alice@localhost",
            "{ last { getLast { status } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    let b = e
        .user(
            "alice@localhost",
            "mutation { last { setLast(status: \"x\") { status } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    e.g.server.stop().await;
}

fn stored(packet: &str, age_us: i64, expire_us: Option<i64>) -> OfflineMessage {
    OfflineMessage {
        id: 0,
        from: "alice@localhost".into(),
        to: "bob@localhost".into(),
        packet: packet.into(),
        timestamp_us: now_us() - age_us,
        expire_us,
    }
}

const EXPIRED: &str = "mutation($d: DomainName!) { offline { deleteExpiredMessages(domain: $d) } }";
const OLD: &str = "mutation($d: DomainName!, $n: PosInt!) { offline { deleteOldMessages(domain: $d, days: $n) } }";

#[actix_rt::test]
async fn offline_message_clean_up() {
    let e = env().await;
    let store = e.g.server.meerkat.server.store();
    let msg = |body: &str| {
        format!(
            "<message xmlns='jabber:client' from='alice@localhost/res' to='bob@localhost' type='chat'><body>{body}</body></message>"
        )
    };
    let day = 86_400 * 1_000_000;
    store
        .offline_push(
            "bob@localhost",
            &stored(&msg("expired"), 0, Some(now_us() - 1_000_000)),
        )
        .await
        .unwrap();
    store
        .offline_push(
            "bob@localhost",
            &stored(&msg("three days old"), 3 * day, None),
        )
        .await
        .unwrap();
    store
        .offline_push(
            "carol@other.test",
            &stored(&msg("other domain, old"), 3 * day, None),
        )
        .await
        .unwrap();
    // And one sent by a real client to offline bob.
    let mut alice = e.online("alice@localhost").await;
    alice.send(&msg("fresh")).await;
    let server = e.g.server.meerkat.server.clone();
    for _ in 0..100 {
        if server.store().offline_count("bob@localhost").await.unwrap() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(store.offline_count("bob@localhost").await.unwrap(), 3);

    let b = e.admin(EXPIRED, json!({"d": "localhost"})).await;
    assert_eq!(
        b["data"]["offline"]["deleteExpiredMessages"], "Removed 1 messages",
        "{b}"
    );
    let b = e.admin(EXPIRED, json!({"d": "localhost"})).await;
    assert_eq!(
        b["data"]["offline"]["deleteExpiredMessages"],
        "Removed 0 messages"
    );
    let b = e.admin(OLD, json!({"d": "localhost", "n": 5})).await;
    assert_eq!(
        b["data"]["offline"]["deleteOldMessages"],
        "Removed 0 messages"
    );
    let b = e.admin(OLD, json!({"d": "localhost", "n": 2})).await;
    assert_eq!(
        b["data"]["offline"]["deleteOldMessages"],
        "Removed 1 messages"
    );
    assert_eq!(
        store.offline_count("carol@other.test").await.unwrap(),
        1,
        "other domains untouched"
    );
    // Bob gets only the fresh message.
    let mut bob = WsClient::login(&e.ws, "bob", "localhost", "bob-pw", Some("res")).await;
    bob.send("<presence xmlns='jabber:client'/>").await;
    let mut bodies = Vec::new();
    while let Some(Frame::El(el)) = bob.next_within(std::time::Duration::from_millis(500)).await {
        if el.name() == "message" {
            bodies.push(
                el.get_child("body", ns::CLIENT)
                    .map(Element::text)
                    .unwrap_or_default(),
            );
        }
    }
    assert_eq!(bodies, ["fresh"]);

    let b = e.admin(EXPIRED, json!({"d": "unknown-domain.com"})).await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["domain_not_found".to_owned()],
            &json!("Unknown domain")
        )
    );
    let b = e
        .admin(OLD, json!({"d": "unknown-domain.com", "n": 1}))
        .await;
    assert_eq!(codes(&b), ["domain_not_found"]);
    let (s, b) =
        e.g.post(
            ADMIN,
            Some(("admin", "secret")),
            OLD,
            json!({"d": "localhost", "n": 0}),
        )
        .await;
    assert_eq!(s, 400, "PosInt: {b}");

    let b = e.domain_admin(OLD, json!({"d": "localhost", "n": 1})).await;
    assert_eq!(
        b["data"]["offline"]["deleteOldMessages"], "Removed 0 messages",
        "{b}"
    );
    let b = e.domain_admin(EXPIRED, json!({"d": "other.test"})).await;
    assert_eq!(codes(&b), ["no_permissions"]);
    let b = e
        .domain_admin(OLD, json!({"d": "other.test", "n": 1}))
        .await;
    assert_eq!(codes(&b), ["no_permissions"]);
    assert_eq!(store.offline_count("carol@other.test").await.unwrap(), 1);
    e.g.server.stop().await;

    let e = env_without(Some("mod_offline")).await;
    let b = e.admin(EXPIRED, json!({"d": "localhost"})).await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    assert_eq!(
        b["errors"][0]["extensions"]["not_loaded_modules"],
        json!(["mod_offline"])
    );
    let b = e.admin(OLD, json!({"d": "localhost", "n": 1})).await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    e.g.server.stop().await;
}
