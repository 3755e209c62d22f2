//! Slow readers and nothing lost, over real WebSocket sessions: a client that stops
//! reading is closed with `policy-violation` once its mailbox overflows, and everything
//! queued for it goes to offline storage or back to the sender; a kick ends such a session
//! at once; offline storage refuses what it could not give back (too big, per message or
//! per user) and never deletes a stored message it cannot read.

use crate::graphql::{Env, WS_EXTRA, config};
use crate::ws_client::{Frame, WsClient};
use meerkat_core::Server;
use meerkat_core::store::OfflineMessage;
use meerkat_xmpp::{Element, FullJid, ns};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

const STREAMS: &str = "urn:ietf:params:xml:ns:xmpp-streams";
const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";

async fn env(ws_options: &str) -> Env {
    Env::start(
        &config(&format!("{WS_EXTRA}{ws_options}")),
        &["alice", "bob"],
    )
    .await
}

fn server(e: &Env) -> &Server {
    &e.g.server.meerkat.server
}

fn message(i: usize, to: &str, body_len: usize) -> String {
    format!(
        "<message xmlns='jabber:client' to='{to}' type='chat' id='m{i}'><body>{}</body></message>",
        "x".repeat(body_len)
    )
}

fn id_number(el: &Element) -> Option<usize> {
    el.attr("id")?.strip_prefix('m')?.parse().ok()
}

/// The stanza error condition of an error reply.
fn condition(el: &Element) -> Option<String> {
    el.get_child("error", ns::CLIENT)?
        .children()
        .find(|c| c.ns() == STANZAS)
        .map(|c| c.name().to_owned())
}

/// Reads what arrives until nothing comes for `quiet`; bounced message ids go to
/// `bounced` (with their condition checked), delivered ones to `delivered`.
async fn collect(
    c: &mut WsClient,
    quiet: Duration,
    bounced: &mut BTreeSet<usize>,
    delivered: &mut BTreeSet<usize>,
) {
    while let Some(Frame::El(el)) = c.next_within(quiet).await {
        if el.name() != "message" {
            continue;
        }
        let Some(i) = id_number(&el) else { continue };
        if el.attr("type") == Some("error") {
            assert_eq!(
                condition(&el).as_deref(),
                Some("resource-constraint"),
                "{el}"
            );
            assert!(bounced.insert(i), "m{i} bounced twice");
        } else {
            assert!(delivered.insert(i), "m{i} delivered twice");
        }
    }
}

/// Logs bob in over a socket with a small receive buffer, available.
async fn slow_bob(e: &Env) -> (WsClient, FullJid) {
    let c = WsClient::connect_small_buffer(&e.ws).await;
    let mut bob = WsClient::login_on(c, "bob", "localhost", "bob-pw", Some("slow")).await;
    bob.available().await;
    (bob, FullJid::new("bob@localhost/slow").unwrap())
}

/// bob reads again: what was written before his session ended, then the stream error
/// (whose text is returned), `<close/>` and the end of the socket.
async fn read_to_stream_error(bob: &mut WsClient, delivered: &mut BTreeSet<usize>) -> String {
    loop {
        match bob.next_within(Duration::from_secs(10)).await {
            Some(Frame::El(el)) if el.is("error", ns::STREAM) => {
                assert!(el.has_child("policy-violation", STREAMS), "{el}");
                let closing = bob.recv().await;
                assert!(closing.is("close", ns::FRAMING), "{closing}");
                return el
                    .get_child("text", STREAMS)
                    .map(|t| t.text())
                    .unwrap_or_default();
            }
            Some(Frame::El(el)) => {
                if el.name() == "message"
                    && let Some(i) = id_number(&el)
                {
                    assert!(delivered.insert(i), "m{i} delivered twice");
                }
            }
            other => panic!("no stream error before the end: {other:?}"),
        }
    }
}

/// bob logs in again: his offline messages.
async fn offline_for_bob(e: &Env) -> BTreeSet<usize> {
    let mut bob = e.login("bob@localhost", "again").await;
    bob.send("<presence xmlns='jabber:client'/>").await;
    let (mut bounced, mut offline) = (BTreeSet::new(), BTreeSet::new());
    collect(
        &mut bob,
        Duration::from_millis(1500),
        &mut bounced,
        &mut offline,
    )
    .await;
    assert!(bounced.is_empty());
    offline
}

/// Every message sent is in exactly one place.
fn assert_none_lost(sent: usize, places: [(&str, &BTreeSet<usize>); 3]) {
    for i in 0..sent {
        let found: Vec<&str> = places
            .iter()
            .filter(|(_, set)| set.contains(&i))
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(found.len(), 1, "m{i} of {sent}: found in {found:?}");
    }
}

#[actix_rt::test]
async fn a_client_that_stops_reading_is_closed_and_nothing_queued_is_lost() {
    let e = env("").await;
    let mut alice = e.login("alice@localhost", "flood").await;
    let (mut bob, bob_jid) = slow_bob(&e).await;
    // bob stops reading; alice sends 32 KiB messages until bob's session is gone.
    let (mut bounced, mut delivered) = (BTreeSet::new(), BTreeSet::new());
    let mut sent = 0;
    while server(&e).sm().resource(&bob_jid).is_some() {
        assert!(
            sent < 1000,
            "the session of a client that does not read was never closed"
        );
        alice
            .send(&message(sent, bob_jid.as_str(), 32 * 1024))
            .await;
        sent += 1;
        collect(
            &mut alice,
            Duration::from_millis(2),
            &mut bounced,
            &mut delivered,
        )
        .await;
    }
    // Some more after the end: to offline storage while it has room, then bounced.
    for _ in 0..3 {
        alice
            .send(&message(sent, bob_jid.as_str(), 32 * 1024))
            .await;
        sent += 1;
    }
    let text = read_to_stream_error(&mut bob, &mut delivered).await;
    assert_eq!(text, "too many queued stanzas");
    collect(
        &mut alice,
        Duration::from_millis(1500),
        &mut bounced,
        &mut delivered,
    )
    .await;
    let offline = offline_for_bob(&e).await;
    assert!(!offline.is_empty(), "nothing queued went offline");
    assert_none_lost(
        sent,
        [
            ("read by bob", &delivered),
            ("offline", &offline),
            ("bounced", &bounced),
        ],
    );
}

#[actix_rt::test]
async fn a_kick_ends_a_session_whose_client_does_not_read() {
    let e = env("").await;
    let mut alice = e.login("alice@localhost", "flood").await;
    let (mut bob, bob_jid) = slow_bob(&e).await;
    // Fill bob's mailbox: his connection is blocked, items wait (not yet an overflow).
    let (mut bounced, mut delivered) = (BTreeSet::new(), BTreeSet::new());
    let mut sent = 0;
    loop {
        let queued = server(&e).sm().resource(&bob_jid).map(|r| r.queued());
        let (items, _) = queued.expect("bob's session ended before the kick");
        if items >= 8 {
            break;
        }
        assert!(sent < 1000, "bob's mailbox never filled");
        alice
            .send(&message(sent, bob_jid.as_str(), 32 * 1024))
            .await;
        sent += 1;
        collect(
            &mut alice,
            Duration::from_millis(2),
            &mut bounced,
            &mut delivered,
        )
        .await;
    }
    let b = e
        .admin(
            "mutation { session { kickUser(user: \"bob@localhost\") { jid kicked code message } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["session"]["kickUser"],
        json!([{"jid": "bob@localhost/slow", "kicked": true, "code": null, "message": "Session kicked"}]),
        "{b}"
    );
    // The session is gone at once, though bob still does not read.
    e.admin_until(
        "{ session { listUserSessions(user: \"bob@localhost\") { user } } }",
        |b| b["data"]["session"]["listUserSessions"] == json!([]),
    )
    .await;
    let text = read_to_stream_error(&mut bob, &mut delivered).await;
    assert_eq!(text, "Kicked by administrator");
    collect(
        &mut alice,
        Duration::from_millis(1000),
        &mut bounced,
        &mut delivered,
    )
    .await;
    let offline = offline_for_bob(&e).await;
    assert!(
        !offline.is_empty(),
        "the queued messages did not go offline"
    );
    assert_none_lost(
        sent,
        [
            ("read by bob", &delivered),
            ("offline", &offline),
            ("bounced", &bounced),
        ],
    );
}

#[actix_rt::test]
async fn offline_storage_bounces_what_is_too_big_per_message_and_per_user() {
    let e = env("max_stanza_size = 1048576\n").await;
    let mut alice = e.login("alice@localhost", "a").await;
    let count = |s: Server| async move { s.store().offline_count("bob@localhost").await.unwrap() };
    // One message over 256 KiB.
    alice.send(&message(0, "bob@localhost", 300 * 1024)).await;
    let err = alice.recv_until(|el| el.name() == "message").await;
    assert_eq!(err.attr("type"), Some("error"), "{err}");
    assert_eq!(err.attr("id"), Some("m0"));
    assert_eq!(
        condition(&err).as_deref(),
        Some("resource-constraint"),
        "{err}"
    );
    assert_eq!(count(server(&e).clone()).await, 0);
    // 200 KiB messages: twenty fit in bob's 4 MiB, the next ones bounce.
    for i in 1..=22 {
        alice.send(&message(i, "bob@localhost", 200 * 1024)).await;
    }
    let (mut bounced, mut delivered) = (BTreeSet::new(), BTreeSet::new());
    collect(
        &mut alice,
        Duration::from_millis(1500),
        &mut bounced,
        &mut delivered,
    )
    .await;
    assert_eq!(bounced, BTreeSet::from([21, 22]));
    assert!(delivered.is_empty());
    assert_eq!(count(server(&e).clone()).await, 20);
    let offline = offline_for_bob(&e).await;
    assert_eq!(offline, (1..=20).collect::<BTreeSet<_>>());
}

#[actix_rt::test]
async fn an_unreadable_offline_message_is_kept_not_deleted() {
    let e = env("").await;
    let store = server(&e).store();
    let broken = OfflineMessage {
        id: 0,
        from: "alice@localhost/a".to_owned(),
        to: "bob@localhost".to_owned(),
        packet: "<message xmlns='jabber:client' id='broken'><body>cut".to_owned(),
        timestamp_us: 1,
        expire_us: None,
    };
    store.offline_push("bob@localhost", &broken).await.unwrap();
    let mut alice = e.login("alice@localhost", "a").await;
    alice.send(&message(1, "bob@localhost", 10)).await;
    // Stored once the count shows it.
    for _ in 0..100 {
        if store.offline_count("bob@localhost").await.unwrap() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(offline_for_bob(&e).await, BTreeSet::from([1]));
    let left = store.offline_peek("bob@localhost").await.unwrap();
    assert_eq!(left.len(), 1, "the unreadable message was deleted");
    assert_eq!(left[0].packet, broken.packet);
}
