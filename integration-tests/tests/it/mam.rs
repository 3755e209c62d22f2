//! mod_mam (XEP-0313) over WebSocket: both users' archives, `<stanza-id/>` equal to the
//! archive id, queries with the form and result set management (paging forward and
//! back, counts, `complete`, `flip-page`), offline messages archived, preferences,
//! disco, and the errors. Runs on SQLite, and on PostgreSQL with
//! `MEERKAT_TEST_STORE=postgres`.

use std::time::Duration;

use meerkat_xmpp::{Element, ns};

use crate::common::{LOCALHOST_HTTP, TestServer, WS_HANDLER};
use crate::ws_client::WsClient;

const NS_MAM: &str = "urn:xmpp:mam:2";
const NS_RSM: &str = "http://jabber.org/protocol/rsm";

fn config() -> String {
    format!(
        "{LOCALHOST_HTTP}{WS_HANDLER}[modules.mod_roster]\n[modules.mod_offline]\n[modules.mod_disco]\n[modules.mod_ping]\n\
         [modules.mod_mam]\nmax_result_limit = 100\n[modules.mod_mam.pm]\n"
    )
}

/// One page: the result messages (their archive ids and bodies) and the `<fin/>`.
struct Page {
    ids: Vec<String>,
    bodies: Vec<String>,
    fin: Element,
}

impl Page {
    fn count(&self) -> String {
        self.fin
            .get_child("set", NS_RSM)
            .and_then(|s| s.get_child("count", NS_RSM))
            .map(Element::text)
            .unwrap_or_default()
    }
    fn complete(&self) -> bool {
        self.fin.attr("complete") == Some("true")
    }
    fn first_index(&self) -> Option<String> {
        self.fin
            .get_child("set", NS_RSM)
            .and_then(|s| s.get_child("first", NS_RSM))
            .and_then(|f| f.attr("index"))
            .map(str::to_owned)
    }
}

/// Sends a MAM query (`form` fields and `rsm` children inside) and collects the page.
async fn query(c: &mut WsClient, qid: &str, form: &str, rsm: &str, extra: &str) -> Page {
    let x = if form.is_empty() {
        String::new()
    } else {
        format!(
            "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'>\
             <value>urn:xmpp:mam:2</value></field>{form}</x>"
        )
    };
    let set = if rsm.is_empty() {
        String::new()
    } else {
        format!("<set xmlns='{NS_RSM}'>{rsm}</set>")
    };
    c.send(&format!(
        "<iq xmlns='jabber:client' type='set' id='{qid}'><query xmlns='{NS_MAM}' queryid='{qid}'>{x}{set}{extra}</query></iq>"
    ))
    .await;
    let (mut ids, mut bodies) = (Vec::new(), Vec::new());
    loop {
        let el = c.recv().await;
        if el.name() == "iq" && el.attr("id") == Some(qid) {
            assert_eq!(el.attr("type"), Some("result"), "{el}");
            let fin = el.get_child("fin", NS_MAM).expect("fin").clone();
            return Page { ids, bodies, fin };
        }
        let result = el
            .get_child("result", NS_MAM)
            .unwrap_or_else(|| panic!("unexpected {el}"));
        assert_eq!(result.attr("queryid"), Some(qid), "{el}");
        let fwd = result
            .get_child("forwarded", ns::FORWARD)
            .expect("forwarded");
        assert!(fwd.get_child("delay", ns::DELAY).is_some(), "{el}");
        let msg = fwd.get_child("message", ns::CLIENT).expect("message");
        ids.push(result.attr("id").unwrap().to_owned());
        bodies.push(msg.get_child("body", ns::CLIENT).unwrap().text());
    }
}

fn with(jid: &str) -> String {
    format!("<field var='with'><value>{jid}</value></field>")
}

/// Sends a chat message, then a ping: the session handles its stanzas in order, so the
/// pong means the message was routed (and archived) already.
async fn chat(c: &mut WsClient, to: &str, body: &str) {
    c.send(&format!(
        "<message xmlns='jabber:client' to='{to}' type='chat' id='{body}'><body>{body}</body></message>"
    ))
    .await;
    c.send("<iq xmlns='jabber:client' type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    c.recv_until(|e| e.attr("id") == Some("sync")).await;
}

/// Waits for a message with `body` and returns it.
async fn recv_body(c: &mut WsClient, body: &str) -> Element {
    c.recv_until(|e| {
        e.name() == "message"
            && e.get_child("body", ns::CLIENT)
                .map(Element::text)
                .as_deref()
                == Some(body)
    })
    .await
}

#[actix_rt::test]
async fn archives_page_and_mark_one_to_one_messages() {
    let server = TestServer::start(&config()).await;
    server.register_users(&["alice", "bob", "carol"]).await;
    let url = server.ws_url(0);
    let mut alice = WsClient::login(&url, "alice", "localhost", "alice-pw", Some("a")).await;
    let mut bob = WsClient::login(&url, "bob", "localhost", "bob-pw", Some("b")).await;
    alice.available().await;
    bob.available().await;

    // alice → bob 1..5, bob → alice 6..7; each delivered copy carries its archive id.
    let mut bob_got = Vec::new();
    for n in 1..=5 {
        chat(&mut alice, "bob@localhost", &format!("m{n}")).await;
        let m = recv_body(&mut bob, &format!("m{n}")).await;
        let sid = m
            .get_child("stanza-id", "urn:xmpp:sid:0")
            .expect("stanza-id");
        assert_eq!(sid.attr("by"), Some("bob@localhost"), "{m}");
        bob_got.push(sid.attr("id").unwrap().to_owned());
    }
    for n in 6..=7 {
        chat(&mut bob, "alice@localhost/a", &format!("m{n}")).await;
        recv_body(&mut alice, &format!("m{n}")).await;
    }

    // Both archives hold the seven messages, once each, oldest first.
    let page = query(&mut alice, "all", "", "", "").await;
    assert_eq!(page.bodies, ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    assert!(page.complete());
    assert_eq!(page.count(), "7");
    let bob_all = query(&mut bob, "ball", "", "", "").await;
    assert_eq!(bob_all.bodies, page.bodies);
    // The stanza-id bob got is the id of the message in bob's archive.
    assert_eq!(&bob_all.ids[..5], &bob_got[..]);

    // Forward paging with RSM.
    let p1 = query(&mut alice, "p1", "", "<max>3</max>", "").await;
    assert_eq!(p1.bodies, ["m1", "m2", "m3"]);
    assert!(!p1.complete());
    assert_eq!(
        (p1.count(), p1.first_index()),
        ("7".to_owned(), Some("0".to_owned()))
    );
    let after = format!("<max>3</max><after>{}</after>", p1.ids[2]);
    let p2 = query(&mut alice, "p2", "", &after, "").await;
    assert_eq!(p2.bodies, ["m4", "m5", "m6"]);
    assert_eq!(p2.first_index(), Some("3".to_owned()));
    let after = format!("<max>3</max><after>{}</after>", p2.ids[2]);
    let p3 = query(&mut alice, "p3", "", &after, "").await;
    assert_eq!(p3.bodies, ["m7"]);
    assert!(p3.complete());

    // The last page, and paging back from it; flip-page reverses a page.
    let last = query(&mut alice, "l1", "", "<max>2</max><before/>", "").await;
    assert_eq!(last.bodies, ["m6", "m7"]);
    assert!(!last.complete());
    assert_eq!(last.first_index(), Some("5".to_owned()));
    let before = format!("<max>10</max><before>{}</before>", last.ids[0]);
    let back = query(&mut alice, "l2", "", &before, "").await;
    assert_eq!(back.bodies, ["m1", "m2", "m3", "m4", "m5"]);
    assert!(back.complete());
    let flipped = query(
        &mut alice,
        "l3",
        "",
        "<max>2</max><before/>",
        "<flip-page/>",
    )
    .await;
    assert_eq!(flipped.bodies, ["m7", "m6"]);
    let index = query(&mut alice, "i1", "", "<max>2</max><index>4</index>", "").await;
    assert_eq!(index.bodies, ["m5", "m6"]);

    // Form filters: with, ids, after-id/before-id, full text.
    assert_eq!(
        query(&mut alice, "w1", &with("bob@localhost"), "", "")
            .await
            .count(),
        "7"
    );
    assert_eq!(
        query(&mut alice, "w2", &with("bob@localhost/b"), "", "")
            .await
            .bodies,
        ["m6", "m7"]
    );
    assert_eq!(
        query(&mut alice, "w3", &with("carol@localhost"), "", "")
            .await
            .count(),
        "0"
    );
    let ids = format!(
        "<field var='ids'><value>{}</value><value>{}</value></field>",
        page.ids[1], page.ids[5]
    );
    assert_eq!(
        query(&mut alice, "ids", &ids, "", "").await.bodies,
        ["m2", "m6"]
    );
    let range = format!(
        "<field var='after-id'><value>{}</value></field><field var='before-id'><value>{}</value></field>",
        page.ids[1], page.ids[4]
    );
    assert_eq!(
        query(&mut alice, "rng", &range, "", "").await.bodies,
        ["m3", "m4"]
    );
    let text = "<field var='{urn:xmpp:fulltext:0}fulltext'><value>M7</value></field>";
    assert_eq!(query(&mut alice, "ft", text, "", "").await.bodies, ["m7"]);
    let future = "<field var='start'><value>2999-01-01T00:00:00Z</value></field>";
    assert_eq!(query(&mut alice, "fu", future, "", "").await.count(), "0");
    let past = "<field var='end'><value>2000-01-01T00:00:00Z</value></field>";
    assert_eq!(query(&mut alice, "pa", past, "", "").await.count(), "0");

    // A message to an offline user is archived for them too.
    chat(&mut alice, "carol@localhost", "for carol").await;
    let mut carol = WsClient::login(&url, "carol", "localhost", "carol-pw", Some("c")).await;
    let carols = query(&mut carol, "c1", "", "", "").await;
    assert_eq!(carols.bodies, ["for carol"]);

    // Preferences: alice archives nothing with bob any more; bob still does.
    alice
        .send("<iq xmlns='jabber:client' type='set' id='pr'><prefs xmlns='urn:xmpp:mam:2' default='always'><always/><never><jid>bob@localhost</jid></never></prefs></iq>")
        .await;
    let prefs = alice.recv_until(|e| e.attr("id") == Some("pr")).await;
    assert_eq!(prefs.attr("type"), Some("result"), "{prefs}");
    alice
        .send("<iq xmlns='jabber:client' type='get' id='pg'><prefs xmlns='urn:xmpp:mam:2'/></iq>")
        .await;
    let got = alice.recv_until(|e| e.attr("id") == Some("pg")).await;
    assert!(
        got.to_string().contains("<jid>bob@localhost</jid>"),
        "{got}"
    );
    chat(&mut alice, "bob@localhost", "unarchived").await;
    recv_body(&mut bob, "unarchived").await;
    assert_eq!(
        query(&mut alice, "n1", &with("bob@localhost"), "", "")
            .await
            .count(),
        "7"
    );
    assert_eq!(query(&mut bob, "n2", "", "", "").await.count(), "8");

    // Errors: an unknown RSM id, an unknown field, someone else's archive.
    alice
        .send("<iq xmlns='jabber:client' type='set' id='e1'><query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><after>ABCDEF</after></set></query></iq>")
        .await;
    let e1 = alice.recv_until(|e| e.attr("id") == Some("e1")).await;
    assert!(e1.to_string().contains("item-not-found"), "{e1}");
    let unknown = "<field var='colour'><value>red</value></field>";
    alice
        .send(&format!("<iq xmlns='jabber:client' type='set' id='e2'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>{unknown}</x></query></iq>"))
        .await;
    let e2 = alice.recv_until(|e| e.attr("id") == Some("e2")).await;
    assert!(e2.to_string().contains("bad-request"), "{e2}");
    alice
        .send("<iq xmlns='jabber:client' type='set' id='e3' to='bob@localhost'><query xmlns='urn:xmpp:mam:2'/></iq>")
        .await;
    let e3 = alice.recv_until(|e| e.attr("id") == Some("e3")).await;
    assert!(e3.to_string().contains("forbidden"), "{e3}");

    // Disco on the account advertises the archive.
    alice
        .send("<iq xmlns='jabber:client' type='get' id='d1' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    let disco = alice.recv_until(|e| e.attr("id") == Some("d1")).await;
    assert!(
        disco.to_string().contains("var='urn:xmpp:mam:2'"),
        "{disco}"
    );

    // The form.
    alice
        .send("<iq xmlns='jabber:client' type='get' id='f1'><query xmlns='urn:xmpp:mam:2'/></iq>")
        .await;
    let form = alice.recv_until(|e| e.attr("id") == Some("f1")).await;
    assert!(form.to_string().contains("var='with'"), "{form}");
    assert_eq!(alice.silent_for(Duration::from_millis(200)).await, None);
}

/// Removing an account forgets its archive; without a `pm` section nothing is archived.
#[actix_rt::test]
async fn archives_go_with_the_account_and_need_pm() {
    let server = TestServer::start(&config()).await;
    server.register_users(&["alice", "bob"]).await;
    let url = server.ws_url(0);
    let mut alice = WsClient::login(&url, "alice", "localhost", "alice-pw", Some("a")).await;
    let mut bob = WsClient::login(&url, "bob", "localhost", "bob-pw", Some("b")).await;
    bob.send("<iq xmlns='jabber:client' type='set' id='pr'><prefs xmlns='urn:xmpp:mam:2' default='never'/></iq>")
        .await;
    bob.recv_until(|e| e.attr("id") == Some("pr")).await;
    chat(&mut alice, "bob@localhost", "hello").await;
    assert_eq!(query(&mut alice, "q", "", "", "").await.count(), "1");
    assert_eq!(query(&mut bob, "q", "", "", "").await.count(), "0");
    alice.close().await;
    bob.close().await;
    let bob = meerkat_xmpp::BareJid::new("bob@localhost").unwrap();
    server.meerkat.server.remove_user(&bob).await.unwrap();
    server.register("bob@localhost", "bob-pw").await;
    let mut bob = WsClient::login(&url, "bob", "localhost", "bob-pw", Some("b")).await;
    assert_eq!(query(&mut bob, "q", "", "", "").await.count(), "0");
    // The new account starts with the default preferences: it archives again.
    let mut alice = WsClient::login(&url, "alice", "localhost", "alice-pw", Some("a2")).await;
    chat(&mut alice, "bob@localhost", "again").await;
    assert_eq!(query(&mut bob, "q2", "", "", "").await.bodies, ["again"]);

    let no_pm = format!(
        "{LOCALHOST_HTTP}{WS_HANDLER}[modules.mod_offline]\n[modules.mod_ping]\n[modules.mod_mam]\n"
    );
    let server = TestServer::start(&no_pm).await;
    server.register_users(&["alice", "bob"]).await;
    let mut alice =
        WsClient::login(&server.ws_url(0), "alice", "localhost", "alice-pw", None).await;
    chat(&mut alice, "bob@localhost", "hello").await;
    assert_eq!(query(&mut alice, "q", "", "", "").await.count(), "0");
}

/// `retention_days` (meerkat's option): messages older than that are removed, here by
/// the clean-up the hourly worker runs, called directly.
#[actix_rt::test]
async fn retention_removes_old_messages() {
    use meerkat_core::modules::mam::{id, remove_expired};
    use meerkat_core::store::{ArchivedMessage, Direction};
    let config = format!(
        "{LOCALHOST_HTTP}{WS_HANDLER}[modules.mod_mam]\nretention_days = 30\n[modules.mod_mam.pm]\n"
    );
    let server = TestServer::start(&config).await;
    server.register_users(&["alice"]).await;
    let day_us: i64 = 86_400_000_000;
    let now = meerkat_core::util::now_us();
    let store = server.meerkat.server.store();
    for (age_days, body) in [(45, "old"), (29, "recent"), (0, "new")] {
        let msg = ArchivedMessage {
            id: id::first_at(now - age_days * day_us),
            remote_bare: "bob@localhost".to_owned(),
            remote_resource: String::new(),
            direction: Direction::Incoming,
            from: "bob@localhost".to_owned(),
            origin_id: None,
            search_body: Some(body.to_owned()),
            xml: format!(
                "<message xmlns='jabber:client' from='bob@localhost' to='alice@localhost' type='chat'><body>{body}</body></message>"
            ),
        };
        store.mam_append("alice@localhost", &msg).await.unwrap();
    }
    assert_eq!(remove_expired(&server.meerkat.server, 30).await.unwrap(), 1);
    let mut alice =
        WsClient::login(&server.ws_url(0), "alice", "localhost", "alice-pw", None).await;
    assert_eq!(
        query(&mut alice, "r", "", "", "").await.bodies,
        ["recent", "new"]
    );
    assert_eq!(remove_expired(&server.meerkat.server, 30).await.unwrap(), 0);
}
