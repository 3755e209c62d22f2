//! Conformance of [`MamStore`]: appending, filters, paging both ways, counts, retention,
//! preferences.

use std::sync::Arc;

use meerkat_core::store::{ArchivedMessage, Direction, MamFilter, MamPrefs, MamStore, PageStart};

use super::{ALICE, BOB, DOMAIN};

/// An archived message `n` (id `n << 8`) with `remote`.
pub(super) fn archived(n: i64, remote: &str, resource: &str, body: &str) -> ArchivedMessage {
    ArchivedMessage {
        id: n << 8,
        remote_bare: remote.to_owned(),
        remote_resource: resource.to_owned(),
        direction: if n % 2 == 0 {
            Direction::Incoming
        } else {
            Direction::Outgoing
        },
        from: format!("{remote}/{resource}"),
        origin_id: (n % 3 == 0).then(|| format!("origin-{n}")),
        search_body: Some(body.to_lowercase()),
        xml: format!("<message xmlns='jabber:client'><body>{body} 🦦 &amp; '</body></message>"),
    }
}

fn ids(page: &meerkat_core::store::MamPage) -> Vec<i64> {
    page.messages.iter().map(|m| m.id >> 8).collect()
}

/// Messages 1..=20 alternate between bob (odd) and carol/phone (even): filters, paging
/// forward from an offset or an id, backward from an id or the end, counts and indexes.
pub async fn mam_queries(store: Arc<dyn MamStore>) {
    let all = MamFilter::default();
    let empty = store
        .mam_query(ALICE, &all, PageStart::Before(None), 10)
        .await
        .unwrap();
    assert_eq!((empty.total, empty.messages.len()), (0, 0));
    let mut stored = Vec::new();
    for n in 1..=20 {
        let (remote, res) = if n % 2 == 1 {
            ("bob@example.com", "")
        } else {
            ("carol@example.org", "phone")
        };
        let m = archived(n, remote, res, &format!("Hello number {n}"));
        store.mam_append(ALICE, &m).await.unwrap();
        stored.push(m);
    }
    // Another owner's archive is another archive.
    store
        .mam_append(BOB, &archived(1, "alice@example.com", "x", "hi"))
        .await
        .unwrap();

    // Everything round-trips, oldest first.
    let page = store
        .mam_query(ALICE, &all, PageStart::Offset(0), 100)
        .await
        .unwrap();
    assert_eq!(page.messages, stored);
    assert_eq!((page.total, page.first_index), (20, 0));

    // Forward from an offset, and after an id.
    let page = store
        .mam_query(ALICE, &all, PageStart::Offset(5), 3)
        .await
        .unwrap();
    assert_eq!(
        (ids(&page), page.total, page.first_index),
        (vec![6, 7, 8], 20, 5)
    );
    let page = store
        .mam_query(ALICE, &all, PageStart::After(18 << 8), 5)
        .await
        .unwrap();
    assert_eq!((ids(&page), page.first_index), (vec![19, 20], 18));
    let page = store
        .mam_query(ALICE, &all, PageStart::After(20 << 8), 5)
        .await
        .unwrap();
    assert_eq!((ids(&page), page.first_index), (vec![], 20));

    // Backward: the newest, and before an id.
    let page = store
        .mam_query(ALICE, &all, PageStart::Before(None), 4)
        .await
        .unwrap();
    assert_eq!((ids(&page), page.first_index), (vec![17, 18, 19, 20], 16));
    let page = store
        .mam_query(ALICE, &all, PageStart::Before(Some(3 << 8)), 4)
        .await
        .unwrap();
    assert_eq!((ids(&page), page.first_index), (vec![1, 2], 0));

    // With a bare JID, and with a full one.
    let bob = MamFilter {
        with_bare: Some("bob@example.com".to_owned()),
        ..MamFilter::default()
    };
    let page = store
        .mam_query(ALICE, &bob, PageStart::Before(None), 3)
        .await
        .unwrap();
    assert_eq!(
        (ids(&page), page.total, page.first_index),
        (vec![15, 17, 19], 10, 7)
    );
    let carol_phone = MamFilter {
        with_bare: Some("carol@example.org".to_owned()),
        with_resource: Some("phone".to_owned()),
        ..MamFilter::default()
    };
    assert_eq!(
        store
            .mam_query(ALICE, &carol_phone, PageStart::Offset(0), 100)
            .await
            .unwrap()
            .total,
        10
    );
    let carol_laptop = MamFilter {
        with_resource: Some("laptop".to_owned()),
        ..carol_phone.clone()
    };
    assert_eq!(
        store
            .mam_query(ALICE, &carol_laptop, PageStart::Offset(0), 100)
            .await
            .unwrap()
            .total,
        0
    );

    // Id ranges (times), id lists and words.
    let range = MamFilter {
        min_id: Some(5 << 8),
        max_id: Some(8 << 8),
        ..MamFilter::default()
    };
    let page = store
        .mam_query(ALICE, &range, PageStart::Offset(0), 100)
        .await
        .unwrap();
    assert_eq!((ids(&page), page.total), (vec![5, 6, 7, 8], 4));
    let list = MamFilter {
        ids: Some(vec![2 << 8, 11 << 8, 99 << 8]),
        ..MamFilter::default()
    };
    assert_eq!(
        ids(&store
            .mam_query(ALICE, &list, PageStart::Offset(0), 100)
            .await
            .unwrap()),
        vec![2, 11]
    );
    let none = MamFilter {
        ids: Some(vec![]),
        ..MamFilter::default()
    };
    assert_eq!(
        store
            .mam_query(ALICE, &none, PageStart::Offset(0), 100)
            .await
            .unwrap()
            .total,
        0
    );
    let words = MamFilter {
        words: vec!["number".to_owned(), "1".to_owned()],
        ..MamFilter::default()
    };
    // "number 1", "number 10".."number 19".
    assert_eq!(
        store
            .mam_query(ALICE, &words, PageStart::Offset(0), 100)
            .await
            .unwrap()
            .total,
        11
    );
    let quote = MamFilter {
        words: vec!["%".to_owned()],
        ..MamFilter::default()
    };
    assert_eq!(
        store
            .mam_query(ALICE, &quote, PageStart::Offset(0), 100)
            .await
            .unwrap()
            .total,
        0
    );

    // Retention: ids below a bound, per domain.
    assert_eq!(store.mam_remove_older(DOMAIN, 11 << 8).await.unwrap(), 11);
    let page = store
        .mam_query(ALICE, &all, PageStart::Offset(0), 100)
        .await
        .unwrap();
    assert_eq!(page.total, 10);
    assert_eq!(ids(&page)[0], 11);
    assert_eq!(
        store
            .mam_remove_older("other.test", i64::MAX)
            .await
            .unwrap(),
        0
    );
}

/// Preferences round-trip; removing the user forgets the archive and the preferences.
pub async fn mam_prefs_and_removal(store: Arc<dyn MamStore>) {
    assert_eq!(store.mam_prefs_get(ALICE).await.unwrap(), None);
    let prefs = MamPrefs {
        default: "roster".to_owned(),
        always: vec!["bob@example.com".to_owned(), "carol@example.org".to_owned()],
        never: vec!["spam@example.net".to_owned()],
    };
    store.mam_prefs_set(ALICE, &prefs).await.unwrap();
    assert_eq!(store.mam_prefs_get(ALICE).await.unwrap(), Some(prefs));
    let fewer = MamPrefs {
        default: "never".to_owned(),
        always: vec![],
        never: vec![],
    };
    store.mam_prefs_set(ALICE, &fewer).await.unwrap();
    assert_eq!(store.mam_prefs_get(ALICE).await.unwrap(), Some(fewer));

    store
        .mam_append(ALICE, &archived(1, "bob@example.com", "", "x"))
        .await
        .unwrap();
    store
        .mam_append(BOB, &archived(1, "alice@example.com", "", "y"))
        .await
        .unwrap();
    store.mam_remove_user(ALICE).await.unwrap();
    let all = MamFilter::default();
    assert_eq!(
        store
            .mam_query(ALICE, &all, PageStart::Offset(0), 10)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(store.mam_prefs_get(ALICE).await.unwrap(), None);
    assert_eq!(
        store
            .mam_query(BOB, &all, PageStart::Offset(0), 10)
            .await
            .unwrap()
            .total,
        1
    );
}
