//! GraphQL `roster` category over real HTTP, against real WebSocket clients: every admin
//! and user operation, MongooseIM's error codes, the roster pushes online resources get,
//! the subscription state on both sides (the same state machine clients drive), module
//! gating and domain-admin scoping.

use crate::graphql::{Env, USER, WS_EXTRA, codes, config};
use crate::ws_client::WsClient;
use meerkat_xmpp::{Element, ns};
use serde_json::{Value, json};

/// A server with alice, bob, kate (localhost) and carol (other.test), passwords
/// `<name>-pw`, and a domain admin for localhost (password `dpw`). `drop_module` removes
/// one module from the config.
pub async fn env_without(drop_module: Option<&str>) -> Env {
    let mut cfg = config(WS_EXTRA);
    if let Some(m) = drop_module {
        cfg = cfg.replace(&format!("[modules.{m}]\n"), "");
    }
    Env::start(&cfg, &["alice", "bob", "kate"]).await
}

pub async fn env() -> Env {
    env_without(None).await
}

impl Env {
    /// Logs in over WebSocket (resource `res`), asks for the roster (so pushes are sent)
    /// and sends initial presence.
    pub async fn online(&self, user: &str) -> WsClient {
        let mut c = self.login(user, "res").await;
        c.send("<iq xmlns='jabber:client' type='get' id='roster1'><query xmlns='jabber:iq:roster'/></iq>").await;
        c.recv_until(|e| e.attr("id") == Some("roster1")).await;
        c.available().await;
        c
    }

    /// A domain admin's request: a refusal is the whole response, 401 `no_permissions`
    /// (permissions are checked before anything runs, as in MongooseIM); anything else
    /// is 200.
    pub async fn domain_admin(&self, query: &str, vars: Value) -> Value {
        let (s, b) = self.post_domain_admin(query, vars).await;
        if codes(&b) == ["no_permissions"] {
            assert_eq!(s, 401, "{b}");
            assert!(b["data"].is_null(), "nothing ran: {b}");
        } else {
            assert_eq!(s, 200, "{b}");
        }
        b
    }

    /// (subscription, ask) of `user`'s item for `contact`, as the admin API reports it,
    /// or `None` when there is no item.
    pub async fn state(&self, user: &str, contact: &str) -> Option<(String, String)> {
        let b = self.admin(GET, json!({"u": user, "c": contact})).await;
        let c = &b["data"]["roster"]["getContact"];
        if c.is_null() {
            assert_eq!(codes(&b), ["contact_not_found"], "{b}");
            return None;
        }
        Some((
            c["subscription"].as_str().unwrap().to_owned(),
            c["ask"].as_str().unwrap().to_owned(),
        ))
    }
}

pub const GET: &str = "query($u: JID!, $c: JID!) { roster { getContact(user: $u, contact: $c) { jid name groups subscription ask } } }";
const LIST: &str =
    "query($u: JID!) { roster { listContacts(user: $u) { jid name groups subscription ask } } }";
const ADD: &str = "mutation($u: JID!, $c: JID!, $n: String, $g: [String!]) { roster { addContact(user: $u, contact: $c, name: $n, groups: $g) } }";
const ADD_MANY: &str =
    "mutation($u: JID!, $cs: [ContactInput!]!) { roster { addContacts(user: $u, contacts: $cs) } }";
const DELETE: &str =
    "mutation($u: JID!, $c: JID!) { roster { deleteContact(user: $u, contact: $c) } }";
const DELETE_MANY: &str =
    "mutation($u: JID!, $cs: [JID!]!) { roster { deleteContacts(user: $u, contacts: $cs) } }";
pub const SUB: &str = "mutation($u: JID!, $c: JID!, $a: SubAction!) { roster { subscription(user: $u, contact: $c, action: $a) } }";
pub const MUTUAL: &str = "mutation($a: JID!, $b: JID!, $act: MutualSubAction!) { roster { setMutualSubscription(userA: $a, userB: $b, action: $act) } }";
const TO_ALL: &str = "mutation($u: ContactInput!, $cs: [ContactInput!]!) { roster { subscribeToAll(user: $u, contacts: $cs) } }";
const ALL_TO_ALL: &str =
    "mutation($cs: [ContactInput!]!) { roster { subscribeAllToAll(contacts: $cs) } }";

fn is_push(e: &Element) -> bool {
    e.name() == "iq" && e.attr("type") == Some("set") && e.has_child("query", ns::ROSTER)
}

/// The next roster push's item.
async fn push(c: &mut WsClient) -> Element {
    let p = c.recv_until(is_push).await;
    p.get_child("query", ns::ROSTER)
        .unwrap()
        .children()
        .next()
        .unwrap()
        .clone()
}

fn presence_of(ty: &'static str) -> impl Fn(&Element) -> bool {
    move |e: &Element| e.name() == "presence" && e.attr("type") == Some(ty)
}

fn state(sub: &str, ask: &str) -> Option<(String, String)> {
    Some((sub.to_owned(), ask.to_owned()))
}

#[actix_rt::test]
async fn admin_add_list_get_and_delete_contacts() {
    let e = env().await;
    let mut alice = e.online("alice@localhost").await;

    let b = e.admin(ADD, json!({"u": "alice@localhost", "c": "bob@localhost", "n": "Bobby", "g": ["Friends", "Work"]})).await;
    assert_eq!(
        b["data"]["roster"]["addContact"], "Contact added successfully",
        "{b}"
    );
    let item = push(&mut alice).await;
    assert_eq!(
        (
            item.attr("jid"),
            item.attr("name"),
            item.attr("subscription"),
            item.attr("ask")
        ),
        (Some("bob@localhost"), Some("Bobby"), Some("none"), None)
    );
    let groups: Vec<String> = item.children().map(Element::text).collect();
    assert_eq!(groups, ["Friends", "Work"]);

    let b = e.admin(LIST, json!({"u": "alice@localhost"})).await;
    assert_eq!(
        b["data"]["roster"]["listContacts"],
        json!([{"jid": "bob@localhost", "name": "Bobby", "groups": ["Friends", "Work"], "subscription": "NONE", "ask": "NONE"}])
    );
    let b = e
        .admin(GET, json!({"u": "alice@localhost", "c": "bob@localhost"}))
        .await;
    assert_eq!(b["data"]["roster"]["getContact"]["name"], "Bobby");
    // Renaming keeps the item (and its subscription); no name reads as "".
    let b = e
        .admin(ADD, json!({"u": "alice@localhost", "c": "bob@localhost"}))
        .await;
    assert!(b["errors"].is_null(), "{b}");
    assert_eq!(push(&mut alice).await.attr("name"), None);
    let b = e
        .admin(GET, json!({"u": "alice@localhost", "c": "bob@localhost"}))
        .await;
    assert_eq!(
        (
            &b["data"]["roster"]["getContact"]["name"],
            &b["data"]["roster"]["getContact"]["groups"]
        ),
        (&json!(""), &json!([]))
    );
    // The client sees the same roster.
    alice
        .send("<iq xmlns='jabber:client' type='get' id='r2'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    let r = alice.recv_until(|e| e.attr("id") == Some("r2")).await;
    let items: Vec<&str> = r
        .get_child("query", ns::ROSTER)
        .unwrap()
        .children()
        .filter_map(|i| i.attr("jid"))
        .collect();
    assert_eq!(items, ["bob@localhost"]);

    // Errors, as MongooseIM reports them.
    let b = e
        .admin(ADD, json!({"u": "alice@localhost", "c": "abc@abc"}))
        .await;
    assert_eq!(codes(&b), ["user_not_exist"]);
    assert_eq!(b["errors"][0]["message"], "The user abc@abc does not exist");
    assert_eq!(
        (
            &b["errors"][0]["extensions"]["user"],
            &b["errors"][0]["extensions"]["contact"]
        ),
        (&json!("alice@localhost"), &json!("abc@abc"))
    );
    let b = e
        .admin(ADD, json!({"u": "nobody@localhost", "c": "bob@localhost"}))
        .await;
    assert_eq!(codes(&b), ["user_not_exist"]);
    let b = e
        .admin(ADD, json!({"u": "abc@abc", "c": "bob@localhost"}))
        .await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["unknown_domain".to_owned()],
            &json!("Domain not found")
        )
    );
    let b = e
        .admin(
            ADD,
            json!({"u": "alice@localhost", "c": "bob@localhost", "g": [""]}),
        )
        .await;
    assert_eq!(codes(&b), ["bad_request"]);
    let b = e
        .admin(GET, json!({"u": "alice@localhost", "c": "kate@localhost"}))
        .await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["contact_not_found".to_owned()],
            &json!("Given contact does not exist")
        )
    );
    let b = e
        .admin(GET, json!({"u": "abc@abc", "c": "kate@localhost"}))
        .await;
    assert_eq!(codes(&b), ["unknown_domain"]);
    let b = e.admin(LIST, json!({"u": "nobody@localhost"})).await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["user_not_exist".to_owned()],
            &json!("The user nobody@localhost does not exist")
        )
    );
    let b = e.admin(LIST, json!({"u": "abc@abc"})).await;
    assert_eq!(codes(&b), ["unknown_domain"]);
    let (s, _) =
        e.g.post(
            crate::graphql::ADMIN,
            Some(("admin", "secret")),
            LIST,
            json!({"u": "not a jid@@"}),
        )
        .await;
    assert_eq!(s, 400, "JID coercion");

    // Delete: a push with subscription="remove", then contact_not_found.
    let b = e
        .admin(
            DELETE,
            json!({"u": "alice@localhost", "c": "bob@localhost"}),
        )
        .await;
    assert_eq!(
        b["data"]["roster"]["deleteContact"],
        "Contact bob@localhost deleted successfully"
    );
    let item = push(&mut alice).await;
    assert_eq!(
        (item.attr("jid"), item.attr("subscription")),
        (Some("bob@localhost"), Some("remove"))
    );
    let b = e
        .admin(
            DELETE,
            json!({"u": "alice@localhost", "c": "bob@localhost"}),
        )
        .await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["contact_not_found".to_owned()],
            &json!("Cannot remove bob@localhost contact that does not exist")
        )
    );
    assert_eq!(
        e.admin(LIST, json!({"u": "alice@localhost"})).await["data"]["roster"]["listContacts"],
        json!([])
    );

    // Batch operations: one result per element, a failed element is null with its error.
    let cs = json!([{"jid": "bob@localhost", "name": "B", "groups": ["G"]}, {"jid": "abc@abc", "name": "X"}, {"jid": "kate@localhost", "name": "K"}]);
    let b = e
        .admin(ADD_MANY, json!({"u": "alice@localhost", "cs": cs}))
        .await;
    assert_eq!(
        b["data"]["roster"]["addContacts"],
        json!([
            "Contact added successfully",
            null,
            "Contact added successfully"
        ]),
        "{b}"
    );
    assert_eq!(codes(&b), ["user_not_exist"]);
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("abc@abc")
    );
    let b = e.admin(LIST, json!({"u": "alice@localhost"})).await;
    assert_eq!(
        b["data"]["roster"]["listContacts"],
        json!([
        {"jid": "bob@localhost", "name": "B", "groups": ["G"], "subscription": "NONE", "ask": "NONE"},
        {"jid": "kate@localhost", "name": "K", "groups": [], "subscription": "NONE", "ask": "NONE"}])
    );
    let b = e
        .admin(
            DELETE_MANY,
            json!({"u": "alice@localhost", "cs": ["bob@localhost", "abc@abc", "kate@localhost"]}),
        )
        .await;
    assert_eq!(
        b["data"]["roster"]["deleteContacts"],
        json!([
            "Contact bob@localhost deleted successfully",
            null,
            "Contact kate@localhost deleted successfully"
        ])
    );
    assert_eq!(codes(&b), ["contact_not_found"]);
    assert_eq!(
        e.admin(LIST, json!({"u": "alice@localhost"})).await["data"]["roster"]["listContacts"],
        json!([])
    );
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn admin_subscription_actions_reach_both_sides() {
    let e = env().await;
    let mut alice = e.online("alice@localhost").await;
    let mut bob = e.online("bob@localhost").await;
    let (a, bj) = ("alice@localhost", "bob@localhost");

    // INVITE: alice's item shows ask="subscribe"; bob gets the request.
    let b = e.admin(SUB, json!({"u": a, "c": bj, "a": "INVITE"})).await;
    assert_eq!(
        b["data"]["roster"]["subscription"],
        "Subscription stanza with type subscribe sent successfully",
        "{b}"
    );
    let item = push(&mut alice).await;
    assert_eq!(
        (
            item.attr("jid"),
            item.attr("subscription"),
            item.attr("ask")
        ),
        (Some(bj), Some("none"), Some("subscribe"))
    );
    let req = bob.recv_until(presence_of("subscribe")).await;
    assert_eq!(req.attr("from"), Some(a));
    assert_eq!(e.state(a, bj).await, state("NONE", "OUT"));
    assert_eq!(e.state(bj, a).await, state("NONE", "IN"));

    // ACCEPT by bob: bob gets "from", alice "to" with the approval and bob's presence.
    let b = e.admin(SUB, json!({"u": bj, "c": a, "a": "ACCEPT"})).await;
    assert_eq!(
        b["data"]["roster"]["subscription"],
        "Subscription stanza with type subscribed sent successfully"
    );
    let item = push(&mut bob).await;
    assert_eq!(
        (item.attr("jid"), item.attr("subscription")),
        (Some(a), Some("from"))
    );
    let item = push(&mut alice).await;
    assert_eq!(
        (item.attr("subscription"), item.attr("ask")),
        (Some("to"), None)
    );
    alice.recv_until(presence_of("subscribed")).await;
    let p = alice
        .recv_until(|e| {
            e.name() == "presence"
                && e.attr("type").is_none()
                && e.attr("from") == Some("bob@localhost/res")
        })
        .await;
    assert_eq!(p.attr("to"), Some(alice.jid.as_str()));
    assert_eq!(e.state(a, bj).await, state("TO", "NONE"));
    assert_eq!(e.state(bj, a).await, state("FROM", "NONE"));

    // CANCEL by alice: both back to none; alice's push, and bob's.
    let b = e.admin(SUB, json!({"u": a, "c": bj, "a": "CANCEL"})).await;
    assert_eq!(
        b["data"]["roster"]["subscription"],
        "Subscription stanza with type unsubscribe sent successfully"
    );
    assert_eq!(push(&mut alice).await.attr("subscription"), Some("none"));
    assert_eq!(push(&mut bob).await.attr("subscription"), Some("none"));
    assert_eq!(e.state(a, bj).await, state("NONE", "NONE"));
    assert_eq!(e.state(bj, a).await, state("NONE", "NONE"));

    // DECLINE: kate asks alice, alice declines; kate's request is gone on both sides.
    e.admin(DELETE, json!({"u": a, "c": bj})).await;
    e.admin(DELETE, json!({"u": bj, "c": a})).await;
    let b = e
        .admin(SUB, json!({"u": "kate@localhost", "c": a, "a": "INVITE"}))
        .await;
    assert!(b["errors"].is_null(), "{b}");
    alice
        .recv_until(|e| presence_of("subscribe")(e) && e.attr("from") == Some("kate@localhost"))
        .await;
    assert_eq!(e.state(a, "kate@localhost").await, state("NONE", "IN"));
    let b = e
        .admin(SUB, json!({"u": a, "c": "kate@localhost", "a": "DECLINE"}))
        .await;
    assert_eq!(
        b["data"]["roster"]["subscription"],
        "Subscription stanza with type unsubscribed sent successfully"
    );
    assert_eq!(e.state(a, "kate@localhost").await, None);
    assert_eq!(e.state("kate@localhost", a).await, state("NONE", "NONE"));

    let b = e
        .admin(SUB, json!({"u": "nobody@localhost", "c": a, "a": "INVITE"}))
        .await;
    assert_eq!(codes(&b), ["user_not_exist"]);
    let b = e
        .admin(SUB, json!({"u": "abc@abc", "c": a, "a": "INVITE"}))
        .await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["unknown_domain".to_owned()],
            &json!("Domain not found")
        )
    );
    let (s, _) =
        e.g.post(
            crate::graphql::ADMIN,
            Some(("admin", "secret")),
            SUB,
            json!({"u": a, "c": bj, "a": "SUBSCRIBE"}),
        )
        .await;
    assert_eq!(s, 400, "SubAction is an enum");
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn admin_mutual_and_bulk_subscriptions() {
    let e = env().await;
    let mut alice = e.online("alice@localhost").await;
    let mut bob = e.online("bob@localhost").await;
    let (a, bj, k) = ("alice@localhost", "bob@localhost", "kate@localhost");

    let b = e
        .admin(MUTUAL, json!({"a": a, "b": bj, "act": "CONNECT"}))
        .await;
    assert_eq!(
        b["data"]["roster"]["setMutualSubscription"],
        "Subscription between users alice@localhost and bob@localhost created successfully",
        "{b}"
    );
    assert_eq!(e.state(a, bj).await, state("BOTH", "NONE"));
    assert_eq!(e.state(bj, a).await, state("BOTH", "NONE"));
    // Both clients ended with a "both" push and see each other online.
    alice
        .recv_until(|e| {
            is_push(e)
                && e.get_child("query", ns::ROSTER)
                    .unwrap()
                    .children()
                    .any(|i| i.attr("subscription") == Some("both"))
        })
        .await;
    bob.recv_until(|e| {
        is_push(e)
            && e.get_child("query", ns::ROSTER)
                .unwrap()
                .children()
                .any(|i| i.attr("subscription") == Some("both"))
    })
    .await;
    alice
        .recv_until(|e| {
            e.name() == "presence"
                && e.attr("type").is_none()
                && e.attr("from") == Some("bob@localhost/res")
        })
        .await;

    let b = e
        .admin(MUTUAL, json!({"a": a, "b": bj, "act": "DISCONNECT"}))
        .await;
    assert_eq!(
        b["data"]["roster"]["setMutualSubscription"], "Mutual subscription removed successfully",
        "{b}"
    );
    assert_eq!((e.state(a, bj).await, e.state(bj, a).await), (None, None));
    alice
        .recv_until(|e| {
            is_push(e)
                && e.get_child("query", ns::ROSTER)
                    .unwrap()
                    .children()
                    .any(|i| i.attr("subscription") == Some("remove"))
        })
        .await;
    let b = e
        .admin(MUTUAL, json!({"a": "abc@abc", "b": bj, "act": "CONNECT"}))
        .await;
    assert_eq!(
        (codes(&b), &b["errors"][0]["message"]),
        (
            vec!["unknown_domain".to_owned()],
            &json!("Domain not found")
        )
    );
    let b = e
        .admin(MUTUAL, json!({"a": a, "b": bj, "act": "DISCONNECT"}))
        .await;
    assert_eq!(codes(&b), ["contact_not_found"]);

    // subscribeToAll: names and groups as given, both directions.
    let me = json!({"jid": a, "name": "Alice", "groups": ["Team"]});
    let cs = json!([{"jid": bj, "name": "Bob", "groups": ["Friends"]}, {"jid": "abc@abc", "name": "X"}, {"jid": k, "name": "Kate"}]);
    let b = e.admin(TO_ALL, json!({"u": me, "cs": cs})).await;
    let r = &b["data"]["roster"]["subscribeToAll"];
    assert_eq!(
        r[0], "Subscription between users alice@localhost and bob@localhost created successfully",
        "{b}"
    );
    assert_eq!(
        (&r[1], &r[2]),
        (
            &Value::Null,
            &json!(
                "Subscription between users alice@localhost and kate@localhost created successfully"
            )
        )
    );
    assert_eq!(codes(&b), ["user_not_exist"]);
    assert_eq!(b["errors"][0]["message"], "The user abc@abc does not exist");
    let c = e.admin(GET, json!({"u": a, "c": bj})).await;
    assert_eq!(
        c["data"]["roster"]["getContact"],
        json!({"jid": bj, "name": "Bob", "groups": ["Friends"], "subscription": "BOTH", "ask": "NONE"})
    );
    let c = e.admin(GET, json!({"u": k, "c": a})).await;
    assert_eq!(
        c["data"]["roster"]["getContact"],
        json!({"jid": a, "name": "Alice", "groups": ["Team"], "subscription": "BOTH", "ask": "NONE"})
    );
    assert_eq!(e.state(k, bj).await, None);

    // subscribeAllToAll: every pair; an empty list does nothing.
    e.admin(MUTUAL, json!({"a": a, "b": bj, "act": "DISCONNECT"}))
        .await;
    e.admin(MUTUAL, json!({"a": a, "b": k, "act": "DISCONNECT"}))
        .await;
    let cs = json!([{"jid": a, "name": "A"}, {"jid": bj, "name": "B"}, {"jid": k, "name": "K", "groups": null}]);
    let b = e.admin(ALL_TO_ALL, json!({"cs": cs})).await;
    assert_eq!(
        b["data"]["roster"]["subscribeAllToAll"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "{b}"
    );
    assert!(b["errors"].is_null(), "{b}");
    for (x, y) in [(a, bj), (a, k), (bj, k)] {
        assert_eq!(e.state(x, y).await, state("BOTH", "NONE"), "{x} -> {y}");
        assert_eq!(e.state(y, x).await, state("BOTH", "NONE"), "{y} -> {x}");
    }
    let b = e.admin(ALL_TO_ALL, json!({"cs": []})).await;
    assert_eq!(b["data"]["roster"]["subscribeAllToAll"], json!([]));
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn user_roster_operations() {
    let e = env().await;
    let mut alice = e.online("alice@localhost").await;
    let mut bob = e.online("bob@localhost").await;
    let a = "alice@localhost";

    let b = e.user(a, "mutation { roster { addContact(contact: \"bob@localhost\", name: \"Bob\", groups: [\"G\"]) } }", json!({})).await;
    assert_eq!(
        b["data"]["roster"]["addContact"], "Contact added successfully",
        "{b}"
    );
    assert_eq!(push(&mut alice).await.attr("name"), Some("Bob"));
    let b = e.user(a, "{ roster { listContacts { jid name groups subscription ask } getContact(contact: \"bob@localhost\") { jid } } }", json!({})).await;
    assert_eq!(
        b["data"]["roster"]["listContacts"],
        json!([{"jid": "bob@localhost", "name": "Bob", "groups": ["G"], "subscription": "NONE", "ask": "NONE"}])
    );
    assert_eq!(b["data"]["roster"]["getContact"]["jid"], "bob@localhost");
    let b = e
        .user(
            a,
            "{ roster { getContact(contact: \"kate@localhost\") { jid } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["contact_not_found"]);
    assert_eq!(b["errors"][0]["extensions"]["contact"], "kate@localhost");

    let b = e
        .user(
            a,
            "mutation { roster { subscription(contact: \"bob@localhost\", action: INVITE) } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["roster"]["subscription"],
        "Subscription stanza with type subscribe sent successfully"
    );
    bob.recv_until(presence_of("subscribe")).await;
    let b = e
        .user(
            "bob@localhost",
            "mutation { roster { subscription(contact: \"alice@localhost\", action: ACCEPT) } }",
            json!({}),
        )
        .await;
    assert!(b["errors"].is_null(), "{b}");
    alice.recv_until(presence_of("subscribed")).await;
    assert_eq!(e.state(a, "bob@localhost").await, state("TO", "NONE"));

    let b = e.user(a, "mutation { roster { addContacts(contacts: [{jid: \"kate@localhost\", name: \"K\"}, {jid: \"nobody@localhost\", name: \"N\"}]) } }", json!({})).await;
    assert_eq!(
        b["data"]["roster"]["addContacts"],
        json!(["Contact added successfully", null])
    );
    assert_eq!(codes(&b), ["user_not_exist"]);
    let b = e
        .user(
            a,
            "mutation { roster { deleteContact(contact: \"bob@localhost\") } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["roster"]["deleteContact"],
        "Contact bob@localhost deleted successfully"
    );
    // Bob loses his subscriber (RFC 6121 2.5.2): his item for alice goes back to none.
    assert_eq!(e.state("bob@localhost", a).await, state("NONE", "NONE"));
    let b = e.user(a, "mutation { roster { deleteContacts(contacts: [\"kate@localhost\", \"bob@localhost\"]) } }", json!({})).await;
    assert_eq!(
        b["data"]["roster"]["deleteContacts"],
        json!(["Contact kate@localhost deleted successfully", null])
    );
    assert_eq!(codes(&b), ["contact_not_found"]);
    let b = e
        .user(a, "{ roster { listContacts { jid } } }", json!({}))
        .await;
    assert_eq!(b["data"]["roster"]["listContacts"], json!([]));

    // The user schema has no admin-only operations, and needs credentials.
    let (s, b) = e.g.post(USER, Some((a, "alice-pw")), "mutation { roster { setMutualSubscription(userA: \"a@localhost\", userB: \"b@localhost\", action: CONNECT) } }", json!({})).await;
    assert_eq!((s, codes(&b)), (400, vec!["validation_error".to_owned()]));
    let (s, b) =
        e.g.post(USER, None, "{ roster { listContacts { jid } } }", json!({}))
            .await;
    assert_eq!((s, codes(&b)), (401, vec!["no_permissions".to_owned()]));
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn roster_needs_mod_roster() {
    let e = env_without(Some("mod_roster")).await;
    let both = json!({"u": "alice@localhost", "c": "bob@localhost"});
    for (q, vars) in [
        (LIST, json!({"u": "alice@localhost"})),
        (GET, both.clone()),
        (ADD, both.clone()),
        (DELETE, both),
    ] {
        let b = e.admin(q, vars).await;
        assert_eq!(codes(&b), ["deps_not_loaded"], "{q}: {b}");
        assert_eq!(
            b["errors"][0]["extensions"]["not_loaded_modules"],
            json!(["mod_roster"])
        );
    }
    let b = e
        .admin(
            MUTUAL,
            json!({"a": "alice@localhost", "b": "bob@localhost", "act": "CONNECT"}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    let b = e
        .user(
            "alice@localhost",
            "{ roster { listContacts { jid } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    let b = e
        .user(
            "alice@localhost",
            "mutation { roster { addContact(contact: \"bob@localhost\") } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"]);
    e.g.server.stop().await;
}

/// The batch operations need mod_roster as a whole: without it the field is null with
/// one `deps_not_loaded` error (MongooseIM's), not a list with one error per element,
/// and nothing is written.
#[actix_rt::test]
async fn roster_batches_need_mod_roster() {
    let e = env_without(Some("mod_roster")).await;
    let two =
        json!([{"jid": "bob@localhost", "name": "B"}, {"jid": "kate@localhost", "name": "K"}]);
    for (q, field, vars) in [
        (
            ADD_MANY,
            "addContacts",
            json!({"u": "alice@localhost", "cs": two.clone()}),
        ),
        (
            DELETE_MANY,
            "deleteContacts",
            json!({"u": "alice@localhost", "cs": ["bob@localhost", "kate@localhost"]}),
        ),
        (
            TO_ALL,
            "subscribeToAll",
            json!({"u": {"jid": "alice@localhost", "name": "A"}, "cs": two.clone()}),
        ),
        (ALL_TO_ALL, "subscribeAllToAll", json!({"cs": two.clone()})),
    ] {
        let b = e.admin(q, vars).await;
        assert_eq!(codes(&b), ["deps_not_loaded"], "{q}: {b}");
        assert_eq!(
            b["errors"][0]["message"], "Some of the required modules are not loaded",
            "{b}"
        );
        assert_eq!(
            b["errors"][0]["extensions"],
            json!({"code": "deps_not_loaded", "not_loaded_modules": ["mod_roster"]}),
            "{b}"
        );
        assert_eq!(b["errors"][0]["path"], json!(["roster", field]), "{b}");
        assert!(b["data"]["roster"][field].is_null(), "{b}");
    }
    let b = e
        .user(
            "alice@localhost",
            "mutation { roster { addContacts(contacts: [{jid: \"bob@localhost\", name: \"B\"}, {jid: \"kate@localhost\", name: \"K\"}]) } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"], "{b}");
    assert!(b["data"]["roster"]["addContacts"].is_null(), "{b}");
    // Nothing was written: the stored rosters are empty.
    for u in ["alice@localhost", "bob@localhost", "kate@localhost"] {
        let items =
            e.g.server
                .meerkat
                .server
                .store()
                .roster_get(u)
                .await
                .unwrap();
        assert!(items.is_empty(), "{u}: {items:?}");
    }
    e.g.server.stop().await;
}

#[actix_rt::test]
async fn roster_domain_admin_scope() {
    let e = env().await;
    let (a, bj, carol) = ("alice@localhost", "bob@localhost", "carol@other.test");
    let b = e.domain_admin(ADD, json!({"u": a, "c": bj})).await;
    assert_eq!(
        b["data"]["roster"]["addContact"], "Contact added successfully",
        "{b}"
    );
    let b = e.domain_admin(LIST, json!({"u": a})).await;
    assert_eq!(b["data"]["roster"]["listContacts"][0]["jid"], bj);
    // The contact may be anywhere: only the user is scoped.
    let b = e.domain_admin(ADD, json!({"u": a, "c": carol})).await;
    assert!(b["errors"].is_null(), "{b}");
    for (q, vars) in [
        (LIST, json!({"u": carol})),
        (GET, json!({"u": carol, "c": a})),
        (ADD, json!({"u": carol, "c": a})),
        (DELETE, json!({"u": carol, "c": a})),
        (SUB, json!({"u": carol, "c": a, "a": "INVITE"})),
        (ADD_MANY, json!({"u": carol, "cs": []})),
        (DELETE_MANY, json!({"u": carol, "cs": []})),
        (MUTUAL, json!({"a": a, "b": carol, "act": "CONNECT"})),
        (MUTUAL, json!({"a": carol, "b": a, "act": "DISCONNECT"})),
        (
            TO_ALL,
            json!({"u": {"jid": carol, "name": "C"}, "cs": [{"jid": a, "name": "A"}]}),
        ),
        (
            ALL_TO_ALL,
            json!({"cs": [{"jid": a, "name": "A"}, {"jid": carol, "name": "C"}]}),
        ),
    ] {
        let b = e.domain_admin(q, vars).await;
        assert_eq!(codes(&b), ["no_permissions"], "{q}: {b}");
    }
    assert_eq!(e.state(carol, a).await, None, "nothing was done for carol");
    let b = e
        .domain_admin(MUTUAL, json!({"a": a, "b": bj, "act": "CONNECT"}))
        .await;
    assert!(b["errors"].is_null(), "{b}");
    let b = e
        .domain_admin(
            TO_ALL,
            json!({"u": {"jid": "kate@localhost", "name": "K"}, "cs": [{"jid": a, "name": "A"}]}),
        )
        .await;
    assert!(b["errors"].is_null(), "{b}");
    let b = e
        .domain_admin(
            ALL_TO_ALL,
            json!({"cs": [{"jid": bj, "name": "B"}, {"jid": "kate@localhost", "name": "K"}]}),
        )
        .await;
    assert!(b["errors"].is_null(), "{b}");
    assert_eq!(e.state(bj, "kate@localhost").await, state("BOTH", "NONE"));
    e.g.server.stop().await;
}
