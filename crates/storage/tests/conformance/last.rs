//! Conformance of [`LastStore`], including the per-domain listing
//! (`LastStore::last_list_domain`).

use std::sync::Arc;

use meerkat_core::store::{LastActivity, LastStore};

use super::{ALICE, BOB};

fn last(timestamp: i64, status: &str) -> LastActivity {
    LastActivity {
        timestamp,
        status: status.to_owned(),
    }
}

/// Last activity: absent, set, replace, per owner.
pub async fn last_activity(store: Arc<dyn LastStore>) {
    assert_eq!(store.last_get(ALICE).await.unwrap(), None);
    let l1 = LastActivity {
        timestamp: 1_700_000_000,
        status: "Gone fishing 🎣".to_owned(),
    };
    store.last_set(ALICE, &l1).await.unwrap();
    assert_eq!(store.last_get(ALICE).await.unwrap(), Some(l1));
    let l2 = LastActivity {
        timestamp: 1_700_000_100,
        status: String::new(),
    };
    store.last_set(ALICE, &l2).await.unwrap();
    assert_eq!(store.last_get(ALICE).await.unwrap(), Some(l2.clone()));
    assert_eq!(store.last_get(BOB).await.unwrap(), None);
    let l3 = LastActivity {
        timestamp: 0,
        status: "x".to_owned(),
    };
    store.last_set(BOB, &l3).await.unwrap();
    assert_eq!(store.last_get(BOB).await.unwrap(), Some(l3));
    assert_eq!(store.last_get(ALICE).await.unwrap(), Some(l2));
}

/// Only the records of the domain's users, ordered by local part; a domain that is a
/// suffix of another (or contains LIKE wildcards) matches nothing else.
pub async fn last_activity_per_domain(store: Arc<dyn LastStore>) {
    assert!(
        store
            .last_list_domain("example.com")
            .await
            .unwrap()
            .is_empty()
    );
    store
        .last_set("bob@example.com", &last(200, "later"))
        .await
        .unwrap();
    store
        .last_set("alice@example.com", &last(100, "gone"))
        .await
        .unwrap();
    // "alice2@..." sorts before "alice@..." as an owner, after "alice" as a local part.
    store
        .last_set("alice2@example.com", &last(50, "early"))
        .await
        .unwrap();
    store
        .last_set("carol@sub.example.com", &last(300, ""))
        .await
        .unwrap();
    store
        .last_set("dave@otherexample.com", &last(400, ""))
        .await
        .unwrap();
    store
        .last_set("erin@ex_mple.com", &last(500, ""))
        .await
        .unwrap();
    assert_eq!(
        store.last_list_domain("example.com").await.unwrap(),
        vec![
            ("alice".to_owned(), last(100, "gone")),
            ("alice2".to_owned(), last(50, "early")),
            ("bob".to_owned(), last(200, "later")),
        ]
    );
    assert_eq!(
        store.last_list_domain("sub.example.com").await.unwrap(),
        vec![("carol".to_owned(), last(300, ""))]
    );
    assert!(store.last_list_domain("ex_mple.com").await.unwrap().len() == 1);
    assert!(
        store
            .last_list_domain("xample.com")
            .await
            .unwrap()
            .is_empty()
    );
    // Updates replace the record; removing the user removes it, and only theirs (account
    // removal does it too: `remove_user_cascades`).
    store
        .last_set("alice@example.com", &last(150, "back"))
        .await
        .unwrap();
    assert_eq!(
        store.last_list_domain("example.com").await.unwrap()[0],
        ("alice".to_owned(), last(150, "back"))
    );
    store.last_remove_user("bob@example.com").await.unwrap();
    assert_eq!(
        store.last_list_domain("example.com").await.unwrap(),
        vec![
            ("alice".to_owned(), last(150, "back")),
            ("alice2".to_owned(), last(50, "early")),
        ]
    );
    assert_eq!(
        store.last_get("carol@sub.example.com").await.unwrap(),
        Some(last(300, ""))
    );
}
