//! Conformance of [`OfflineStore`].

use std::sync::Arc;

use meerkat_core::store::OfflineStore;

use super::{ALICE, BOB, msg};

/// 100 messages come back in insertion order (not timestamp order), fields intact.
pub async fn offline_order(store: Arc<dyn OfflineStore>) {
    let mut pushed = Vec::new();
    let mut last_id = i64::MIN;
    for i in 0..100_i64 {
        // Timestamps run backwards so only the id can explain the order.
        let expire = (i % 3 != 0).then_some(1_000_000 + i);
        let mut m = msg(
            &format!("sender{}@example.net/res", i % 7),
            ALICE,
            &format!(
                "<message xmlns='jabber:client' id='m{i}'><body>héllo &amp; {i}</body></message>"
            ),
            1_000_000 - i,
            expire,
        );
        let id = store.offline_push(ALICE, &m).await.unwrap();
        assert!(id > last_id, "ids must increase: {id} after {last_id}");
        last_id = id;
        m.id = id;
        pushed.push(m);
    }
    assert_eq!(store.offline_peek(ALICE).await.unwrap(), pushed);
    assert_eq!(store.offline_count(ALICE).await.unwrap(), 100);
    // Peeking does not remove.
    assert_eq!(store.offline_peek(ALICE).await.unwrap(), pushed);

    assert!(store.offline_peek(BOB).await.unwrap().is_empty());
    assert_eq!(store.offline_count(BOB).await.unwrap(), 0);

    // An owner that is not user@domain cannot be filed under a domain.
    let bad = msg("a@b", "nodomain", "<message/>", 1, None);
    assert!(store.offline_push("nodomain", &bad).await.is_err());
}

/// offline_remove_ids removes exactly the owner's listed messages; offline_bytes sums the
/// UTF-8 length of the owner's packets.
pub async fn offline_remove_ids_and_bytes(store: Arc<dyn OfflineStore>) {
    assert_eq!(store.offline_bytes(ALICE).await.unwrap(), 0);
    let mut ids = Vec::new();
    let mut bytes = 0;
    for i in 0..5 {
        let packet = format!("<message>é{i}</message>");
        bytes += packet.len() as u64;
        let m = msg("x@example.net", ALICE, &packet, i, None);
        ids.push(store.offline_push(ALICE, &m).await.unwrap());
        let m = msg("x@example.net", BOB, "<message>b</message>", i, None);
        store.offline_push(BOB, &m).await.unwrap();
    }
    // 'é' is two bytes: bytes are counted, not characters.
    assert_eq!(store.offline_bytes(ALICE).await.unwrap(), bytes);
    let bob_ids: Vec<i64> = store
        .offline_peek(BOB)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    // Another owner's ids are not touched.
    assert_eq!(
        store
            .offline_remove_ids(ALICE, &bob_ids[..2])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .offline_remove_ids(ALICE, &[ids[0], ids[2], ids[4]])
            .await
            .unwrap(),
        3
    );
    let left: Vec<i64> = store
        .offline_peek(ALICE)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, vec![ids[1], ids[3]]);
    assert_eq!(store.offline_count(BOB).await.unwrap(), 5);
    assert_eq!(store.offline_remove_ids(ALICE, &[]).await.unwrap(), 0);
}

/// offline_remove removes exactly the owner's messages with id <= up_to_id.
pub async fn offline_remove_up_to(store: Arc<dyn OfflineStore>) {
    let mut alice_ids = Vec::new();
    for i in 0..10 {
        let m = msg(
            "x@example.net",
            ALICE,
            &format!("<message>a{i}</message>"),
            i,
            None,
        );
        alice_ids.push(store.offline_push(ALICE, &m).await.unwrap());
        // Interleave another owner's messages so ids are not contiguous per owner.
        let m = msg(
            "x@example.net",
            BOB,
            &format!("<message>b{i}</message>"),
            i,
            None,
        );
        store.offline_push(BOB, &m).await.unwrap();
    }

    assert_eq!(
        store.offline_remove(ALICE, alice_ids[0] - 1).await.unwrap(),
        0
    );
    assert_eq!(store.offline_remove(ALICE, alice_ids[4]).await.unwrap(), 5);
    let left: Vec<i64> = store
        .offline_peek(ALICE)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, alice_ids[5..]);
    assert_eq!(store.offline_count(ALICE).await.unwrap(), 5);
    assert_eq!(store.offline_count(BOB).await.unwrap(), 10);

    // Repeating is harmless; later messages stay until their turn.
    assert_eq!(store.offline_remove(ALICE, alice_ids[4]).await.unwrap(), 0);
    let new_id = store
        .offline_push(
            ALICE,
            &msg("x@example.net", ALICE, "<message>late</message>", 99, None),
        )
        .await
        .unwrap();
    assert!(new_id > alice_ids[9]);
    assert_eq!(store.offline_remove(ALICE, alice_ids[9]).await.unwrap(), 5);
    let left: Vec<i64> = store
        .offline_peek(ALICE)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, vec![new_id]);
    assert_eq!(store.offline_remove(ALICE, i64::MAX).await.unwrap(), 1);
    assert_eq!(store.offline_count(ALICE).await.unwrap(), 0);
    assert_eq!(store.offline_count(BOB).await.unwrap(), 10);
}

/// Expiry and age clean-up act on one domain only, with strict "before" bounds.
pub async fn offline_cleanup_per_domain(store: Arc<dyn OfflineStore>) {
    let a1 = "alice@a.example";
    let a2 = "bob@a.example";
    let b1 = "carol@b.example";
    let push = |owner: &'static str, ts: i64, exp: Option<i64>| {
        let store = store.clone();
        async move {
            let m = msg(
                "x@example.net",
                owner,
                &format!("<message>{ts}</message>"),
                ts,
                exp,
            );
            store.offline_push(owner, &m).await.unwrap()
        }
    };
    push(a1, 100, None).await;
    push(a1, 200, Some(500)).await;
    push(a1, 300, Some(1000)).await;
    push(a1, 400, Some(1001)).await;
    push(a2, 150, Some(999)).await;
    push(b1, 100, Some(10)).await;
    push(b1, 50, None).await;

    let stamps = |owner: &'static str| {
        let store = store.clone();
        async move {
            let msgs = store.offline_peek(owner).await.unwrap();
            msgs.iter().map(|m| m.timestamp_us).collect::<Vec<_>>()
        }
    };

    // Expiry strictly before now; messages without expiry never expire.
    assert_eq!(
        store
            .offline_remove_expired("a.example", 1000)
            .await
            .unwrap(),
        2
    );
    assert_eq!(stamps(a1).await, vec![100, 300, 400]);
    assert_eq!(stamps(a2).await, Vec::<i64>::new());
    assert_eq!(stamps(b1).await, vec![100, 50]);
    assert_eq!(
        store
            .offline_remove_expired("a.example", 1000)
            .await
            .unwrap(),
        0
    );

    // Age strictly before the bound.
    assert_eq!(
        store.offline_remove_older("a.example", 300).await.unwrap(),
        1
    );
    assert_eq!(stamps(a1).await, vec![300, 400]);
    assert_eq!(stamps(b1).await, vec![100, 50]);

    assert_eq!(
        store
            .offline_remove_older("nowhere.test", i64::MAX)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .offline_remove_expired("nowhere.test", i64::MAX)
            .await
            .unwrap(),
        0
    );

    assert_eq!(
        store.offline_remove_older("b.example", 100).await.unwrap(),
        1
    );
    assert_eq!(
        store.offline_remove_expired("b.example", 11).await.unwrap(),
        1
    );
    assert_eq!(store.offline_count(b1).await.unwrap(), 0);
    assert_eq!(stamps(a1).await, vec![300, 400]);
}

/// offline_remove_user forgets every message of the owner, and nothing else; ids keep
/// increasing.
pub async fn offline_removal(store: Arc<dyn OfflineStore>) {
    let mut last_id = 0;
    for i in 0..3 {
        let m = msg(
            "x@example.net",
            ALICE,
            &format!("<message>{i}</message>"),
            i,
            None,
        );
        last_id = store.offline_push(ALICE, &m).await.unwrap();
        let m = msg("x@example.net", BOB, "<message>b</message>", i, None);
        store.offline_push(BOB, &m).await.unwrap();
    }

    store.offline_remove_user(ALICE).await.unwrap();
    assert!(store.offline_peek(ALICE).await.unwrap().is_empty());
    assert_eq!(store.offline_count(ALICE).await.unwrap(), 0);
    assert_eq!(store.offline_bytes(ALICE).await.unwrap(), 0);
    assert_eq!(store.offline_count(BOB).await.unwrap(), 3);

    store.offline_remove_user(ALICE).await.unwrap();
    let m = msg("x@example.net", ALICE, "<message/>", 9, None);
    assert!(store.offline_push(ALICE, &m).await.unwrap() > last_id);
}
