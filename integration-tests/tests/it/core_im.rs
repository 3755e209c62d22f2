//! Routing at the core level: full and bare JIDs, priorities, offline storage and
//! delivery, stanza errors for missing recipients, and escaping of what is routed.

use crate::core_client::{Harness, stanza_error, xml};
use meerkat_xmpp::{BareJid, Element, ParseLimits, ns};

fn body(el: &Element) -> String {
    el.get_child("body", ns::CLIENT)
        .unwrap_or_else(|| panic!("no body in {el}"))
        .text()
}

async fn users(h: &Harness, names: &[&str]) {
    for n in names {
        h.user(n, "pw").await;
    }
}

#[tokio::test]
async fn core_message_to_full_jid_reaches_that_resource_only() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut a1 = h.online("alice", "r1").await;
    let mut a2 = h.online("alice", "r2").await;
    a1.drain().await; // r2's presence echo to r1
    let mut bob = h.online("bob", "desk").await;

    bob.send("<message to='alice@localhost/r2' type='chat' id='m1'><body>hi r2</body></message>")
        .await;
    assert_eq!(
        a2.recv().await,
        xml(
            "<message from='bob@localhost/desk' to='alice@localhost/r2' type='chat' id='m1'>\
             <body>hi r2</body></message>"
        )
    );
    a1.expect_nothing().await;
    a2.expect_nothing().await;
    bob.expect_nothing().await;
}

#[tokio::test]
async fn core_message_to_bare_jid_goes_to_the_highest_priority_resource_only() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut low = h.login("alice", "low").await;
    low.send("<presence><priority>1</priority></presence>")
        .await;
    let mut high = h.login("alice", "high").await;
    high.send("<presence><priority>5</priority></presence>")
        .await;
    let mut neg = h.login("alice", "neg").await;
    neg.send("<presence><priority>-1</priority></presence>")
        .await;
    let mut none = h.login("alice", "none").await; // bound, never available
    for c in [&mut low, &mut high, &mut neg, &mut none] {
        c.drain().await;
    }
    let mut bob = h.online("bob", "desk").await;

    bob.send("<message to='alice@localhost' type='chat'><body>best</body></message>")
        .await;
    let m = high.recv().await;
    assert_eq!(m.attr("to"), Some("alice@localhost"));
    assert_eq!(m.attr("from"), Some("bob@localhost/desk"));
    assert_eq!(body(&m), "best");
    for c in [&mut low, &mut neg, &mut none, &mut high] {
        c.expect_nothing().await;
    }

    // A full JID that is not online counts as the bare JID for chat messages.
    bob.send("<message to='alice@localhost/gone' type='chat'><body>fallback</body></message>")
        .await;
    assert_eq!(body(&high.recv().await), "fallback");
    low.expect_nothing().await;

    // Without "high" and "low", the negative-priority resource is never chosen: the
    // message is stored offline instead.
    high.send("<presence type='unavailable'/>").await;
    low.send("<presence type='unavailable'/>").await;
    for c in [&mut low, &mut neg, &mut high] {
        c.drain().await;
    }
    bob.send("<message to='alice@localhost' type='chat'><body>stored</body></message>")
        .await;
    neg.expect_nothing().await;
    bob.expect_nothing().await;
    let owner = "alice@localhost";
    assert_eq!(h.server.store().offline_count(owner).await.unwrap(), 1);
}

#[tokio::test]
async fn core_offline_messages_are_stored_and_delivered_in_order_with_delay() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut bob = h.online("bob", "desk").await;
    for (i, text) in ["one", "two", "three"].iter().enumerate() {
        bob.send(&format!(
            "<message to='alice@localhost' type='chat' id='o{i}'><body>{text}</body></message>"
        ))
        .await;
    }
    // Stored (durably: the store answered) and nothing came back to the sender.
    bob.expect_nothing().await;
    assert_eq!(
        h.server
            .store()
            .offline_count("alice@localhost")
            .await
            .unwrap(),
        3
    );

    // Binding alone delivers nothing; the first available presence does.
    let mut alice = h.login("alice", "phone").await;
    alice.expect_nothing().await;
    alice.send("<presence/>").await;
    let got = alice.drain_elements().await;
    let messages: Vec<&Element> = got.iter().filter(|e| e.name() == "message").collect();
    assert_eq!(messages.len(), 3, "{got:#?}");
    for (i, (m, text)) in messages.iter().zip(["one", "two", "three"]).enumerate() {
        assert_eq!(m.attr("from"), Some("bob@localhost/desk"));
        assert_eq!(m.attr("to"), Some("alice@localhost/phone"));
        assert_eq!(m.attr("type"), Some("chat"));
        assert_eq!(m.attr("id"), Some(format!("o{i}").as_str()));
        assert_eq!(body(m), text);
        let delay = m
            .get_child("delay", ns::DELAY)
            .unwrap_or_else(|| panic!("no delay in {m}"));
        assert_eq!(delay.attr("from"), Some("localhost"));
        let stamp = delay.attr("stamp").unwrap();
        // XEP-0082 UTC date-time: 2026-01-02T03:04:05.678901Z
        assert_eq!(stamp.len(), 27, "{stamp}");
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
            "{stamp}"
        );
    }
    assert_eq!(
        h.server
            .store()
            .offline_count("alice@localhost")
            .await
            .unwrap(),
        0
    );

    // Delivered once only.
    alice.send("<presence type='unavailable'/>").await;
    alice.send("<presence/>").await;
    let again = alice.drain_elements().await;
    assert!(again.iter().all(|e| e.name() != "message"), "{again:#?}");
}

#[tokio::test]
async fn core_offline_messages_survive_a_server_restart() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut bob = h.online("bob", "desk").await;
    bob.send("<message to='alice@localhost'><body>kept</body></message>")
        .await;
    bob.disconnect().await;
    let h = h.restart().await;
    let mut alice = h.login("alice", "phone").await;
    alice.send("<presence/>").await;
    let (m, _) = alice.recv_until(|e| e.name() == "message").await;
    assert_eq!(body(&m), "kept");
    assert!(m.has_child("delay", ns::DELAY));
}

#[tokio::test]
async fn core_offline_messages_wait_for_a_non_negative_priority() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut bob = h.online("bob", "desk").await;
    bob.send("<message to='alice@localhost' type='chat'><body>later</body></message>")
        .await;

    let mut alice = h.login("alice", "phone").await;
    alice
        .send("<presence><priority>-5</priority></presence>")
        .await;
    let got = alice.drain_elements().await;
    assert!(got.iter().all(|e| e.name() != "message"), "{got:#?}");
    assert_eq!(
        h.server
            .store()
            .offline_count("alice@localhost")
            .await
            .unwrap(),
        1
    );

    // Raising the priority to a non-negative value is when the client can take messages
    // (as ejabberd and MongooseIM resend offline messages then).
    alice
        .send("<presence><priority>0</priority></presence>")
        .await;
    let (m, _) = alice.recv_until(|e| e.name() == "message").await;
    assert_eq!(body(&m), "later");
    assert!(m.has_child("delay", ns::DELAY));
    assert_eq!(
        h.server
            .store()
            .offline_count("alice@localhost")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn core_message_to_nonexistent_user_bounces_service_unavailable() {
    let h = Harness::new().await;
    users(&h, &["bob"]).await;
    let mut bob = h.online("bob", "desk").await;
    bob.send("<message to='nobody@localhost' type='chat' id='x1'><body>anyone?</body></message>")
        .await;
    assert_eq!(
        bob.recv().await,
        xml(
            "<message from='nobody@localhost' to='bob@localhost/desk' type='error' id='x1'>\
             <body>anyone?</body>\
             <error type='cancel'>\
             <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             </error></message>"
        )
    );
    assert_eq!(
        h.server.metrics().host("localhost").message_bounced.get(),
        1
    );
    assert_eq!(
        h.server
            .store()
            .offline_count("nobody@localhost")
            .await
            .unwrap(),
        0
    );
    bob.expect_nothing().await;
}

#[tokio::test]
async fn core_message_to_unknown_domain_bounces_remote_server_not_found() {
    let h = Harness::new().await;
    users(&h, &["bob"]).await;
    let mut bob = h.online("bob", "desk").await;
    bob.send("<message to='carol@elsewhere.example/x' id='x2'><body>far</body></message>")
        .await;
    assert_eq!(
        bob.recv().await,
        xml(
            "<message from='carol@elsewhere.example/x' to='bob@localhost/desk' type='error' id='x2'>\
             <body>far</body>\
             <error type='cancel'>\
             <remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             </error></message>"
        )
    );
    assert_eq!(h.server.metrics().no_route.get(), 1);
    // IQs too.
    let reply = bob
        .iq("<iq to='elsewhere.example' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(reply.attr("from"), Some("elsewhere.example"));
    assert_eq!(
        stanza_error(&reply),
        ("cancel".into(), "remote-server-not-found".into())
    );
}

#[tokio::test]
async fn core_iq_to_offline_full_jid_is_service_unavailable_and_online_one_round_trips() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut bob = h.online("bob", "desk").await;
    let reply = bob
        .iq("<iq to='alice@localhost/phone' type='get'><query xmlns='jabber:iq:version'/></iq>")
        .await;
    assert_eq!(reply.attr("from"), Some("alice@localhost/phone"));
    assert_eq!(reply.attr("to"), Some("bob@localhost/desk"));
    assert!(
        reply.has_child("query", "jabber:iq:version"),
        "the request's payload is returned: {reply}"
    );
    assert_eq!(
        stanza_error(&reply),
        ("cancel".into(), "service-unavailable".into())
    );
    // No offline storage for IQs, and an IQ is not a bounced message.
    assert_eq!(
        h.server.metrics().host("localhost").message_bounced.get(),
        0
    );
    assert_eq!(
        h.server
            .store()
            .offline_count("alice@localhost")
            .await
            .unwrap(),
        0
    );

    // Online: the IQ reaches the resource and its answer comes back.
    let mut alice = h.online("alice", "phone").await;
    bob.send(
        "<iq to='alice@localhost/phone' type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>",
    )
    .await;
    let req = alice.recv().await;
    assert_eq!(
        req,
        xml(
            "<iq from='bob@localhost/desk' to='alice@localhost/phone' type='get' id='v1'>\
             <query xmlns='jabber:iq:version'/></iq>"
        )
    );
    alice
        .send(
            "<iq to='bob@localhost/desk' type='result' id='v1'>\
               <query xmlns='jabber:iq:version'><name>test</name></query></iq>",
        )
        .await;
    assert_eq!(
        bob.recv().await,
        xml(
            "<iq from='alice@localhost/phone' to='bob@localhost/desk' type='result' id='v1'>\
             <query xmlns='jabber:iq:version'><name>test</name></query></iq>"
        )
    );
    alice.expect_nothing().await;
}

#[tokio::test]
async fn core_special_characters_survive_routing_and_storage() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let text = "<b>&amp; \"quoted\" 'single' & <&>\"' é 中文 🦀\u{a0}end";
    let mut msg = Element::new("message", ns::CLIENT)
        .with_attr("to", "alice@localhost")
        .with_attr("type", "chat")
        .with_attr("id", "<&>\"' ü")
        .with_child(Element::new("body", ns::CLIENT).with_text(text))
        .with_child(
            Element::new("x", "urn:example:custom")
                .with_attr("note", "a<b & c>d \"e\" 'f'")
                .with_text("]]> <![CDATA[ x"),
        );
    let mut bob = h.online("bob", "desk").await;

    // Offline: the stanza goes through serialization, the database and the parser.
    bob.send_el(msg.clone()).await;
    let mut alice = h.login("alice", "phone").await;
    alice.send("<presence/>").await;
    let (stored, _) = alice.recv_until(|e| e.name() == "message").await;
    assert_eq!(stored.attr("id"), Some("<&>\"' ü"));
    assert_eq!(body(&stored), text);
    let x = stored.get_child("x", "urn:example:custom").unwrap();
    assert_eq!(x.attr("note"), Some("a<b & c>d \"e\" 'f'"));
    assert_eq!(x.text(), "]]> <![CDATA[ x");
    alice.drain().await; // the presence echo

    // Online: delivered as sent (plus addressing).
    msg.set_attr("id", "second <&>");
    bob.send_el(msg.clone()).await;
    let live = alice.recv().await;
    let mut expected = msg.clone();
    expected.set_attr("from", "bob@localhost/desk");
    assert_eq!(live, expected);
    // And what a transport would write parses back to the same element.
    let reparsed = Element::parse_str(&live.to_xml(), &ParseLimits::default()).unwrap();
    assert_eq!(reparsed, live);

    // A unicode user name round-trips as well.
    let jid = BareJid::new("jürgen@localhost").unwrap();
    h.server.register_user(&jid, "pw").await.unwrap();
    let mut j = h.online("jürgen", "r").await;
    bob.send("<message to='jürgen@localhost' type='chat'><body>grüß</body></message>")
        .await;
    let m = j.recv().await;
    assert_eq!(m.attr("to"), Some("jürgen@localhost"));
    assert_eq!(body(&m), "grüß");
}

#[tokio::test]
async fn core_bare_chat_states_are_not_stored_offline() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut bob = h.online("bob", "desk").await;
    bob.send(
        "<message to='alice@localhost' type='chat'>\
         <composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
    )
    .await;
    bob.send(
        "<message to='alice@localhost' type='chat'><body>real</body>\
         <active xmlns='http://jabber.org/protocol/chatstates'/></message>",
    )
    .await;
    bob.send(
        "<message to='alice@localhost' type='chat'>\
         <gone xmlns='http://jabber.org/protocol/chatstates'/></message>",
    )
    .await;
    // Dropped quietly: no error for a notification nobody needs later.
    bob.expect_nothing().await;
    assert_eq!(
        h.server
            .store()
            .offline_count("alice@localhost")
            .await
            .unwrap(),
        1
    );
    let mut alice = h.login("alice", "phone").await;
    alice.send("<presence/>").await;
    let got = alice.drain_elements().await;
    let messages: Vec<&Element> = got.iter().filter(|e| e.name() == "message").collect();
    assert_eq!(messages.len(), 1, "{got:#?}");
    assert_eq!(body(messages[0]), "real");
}

#[tokio::test]
async fn core_full_offline_queue_bounces_resource_constraint() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut bob = h.online("bob", "desk").await;
    let max = meerkat_core::offline::DEFAULT_MAX_MESSAGES;
    for i in 0..max {
        bob.send(&format!(
            "<message to='alice@localhost' type='chat'><body>{i}</body></message>"
        ))
        .await;
    }
    bob.expect_nothing().await;
    bob.send(
        "<message to='alice@localhost' type='chat' id='over'><body>one too many</body></message>",
    )
    .await;
    let err = bob.recv().await;
    assert_eq!(err.attr("id"), Some("over"));
    assert_eq!(err.attr("from"), Some("alice@localhost"));
    assert_eq!(
        stanza_error(&err),
        ("wait".into(), "resource-constraint".into())
    );
    assert_eq!(
        h.server
            .store()
            .offline_count("alice@localhost")
            .await
            .unwrap(),
        max
    );
    // All the stored ones arrive, in order.
    let mut alice = h.login("alice", "phone").await;
    alice.send("<presence/>").await;
    let got = alice.drain_elements().await;
    let bodies: Vec<String> = got
        .iter()
        .filter(|e| e.name() == "message")
        .map(body)
        .collect();
    let expected: Vec<String> = (0..max).map(|i| i.to_string()).collect();
    assert_eq!(bodies, expected);
}

#[tokio::test]
async fn core_stanzas_queued_when_a_session_ends_go_offline_or_bounce() {
    let h = Harness::new().await;
    users(&h, &["alice", "bob"]).await;
    let mut alice = h.online("alice", "desk").await;
    let mut bob = h.online("bob", "phone").await;
    // Queued in bob's mailbox; his connection drops before his transport reads them.
    alice
        .send("<message to='bob@localhost/phone' type='chat' id='q1'><body>one</body></message>")
        .await;
    alice
        .send("<message to='bob@localhost' type='chat' id='q2'><body>two</body></message>")
        .await;
    alice
        .send("<iq to='bob@localhost/phone' type='get' id='q3'><query xmlns='jabber:iq:version'/></iq>")
        .await;
    let queued = h
        .server
        .sm()
        .resource(&meerkat_xmpp::FullJid::new("bob@localhost/phone").unwrap())
        .map(|r| r.queued().0);
    assert_eq!(queued, Some(3));
    bob.disconnect().await;
    // The messages went to offline storage, the IQ back to alice as an error.
    assert_eq!(
        h.server
            .store()
            .offline_count("bob@localhost")
            .await
            .unwrap(),
        2
    );
    let (err, _) = alice.recv_until(|e| e.attr("id") == Some("q3")).await;
    assert_eq!(stanza_error(&err).1, "service-unavailable", "{err}");
    let mut again = h.login("bob", "tablet").await;
    again.send("<presence/>").await;
    let got: Vec<(Option<String>, String)> = again
        .drain_elements()
        .await
        .into_iter()
        .filter(|e| e.name() == "message")
        .map(|e| (e.attr("id").map(str::to_owned), body(&e)))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("q1".to_owned()), "one".to_owned()),
            (Some("q2".to_owned()), "two".to_owned())
        ]
    );
}
