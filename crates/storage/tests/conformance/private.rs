//! Conformance of [`PrivateStore`].

use std::sync::Arc;

use meerkat_core::store::PrivateStore;

use super::{ALICE, BOB};

/// Private XML storage is keyed by (owner, namespace).
pub async fn private_storage(store: Arc<dyn PrivateStore>) {
    let ns1 = "storage:bookmarks";
    let ns2 = "storage:rosternotes";
    assert_eq!(store.private_get(ALICE, ns1).await.unwrap(), None);

    let x1 =
        "<storage xmlns='storage:bookmarks'><conference jid='room@muc.example.com'/></storage>";
    let x2 = "<storage xmlns='storage:rosternotes'/>";
    store.private_set(ALICE, ns1, x1).await.unwrap();
    assert_eq!(
        store.private_get(ALICE, ns1).await.unwrap().as_deref(),
        Some(x1)
    );
    assert_eq!(store.private_get(ALICE, ns2).await.unwrap(), None);
    store.private_set(ALICE, ns2, x2).await.unwrap();
    assert_eq!(
        store.private_get(ALICE, ns1).await.unwrap().as_deref(),
        Some(x1)
    );
    assert_eq!(
        store.private_get(ALICE, ns2).await.unwrap().as_deref(),
        Some(x2)
    );

    // Replacing one namespace leaves the other alone.
    let x1b = "<storage xmlns='storage:bookmarks'/>";
    store.private_set(ALICE, ns1, x1b).await.unwrap();
    assert_eq!(
        store.private_get(ALICE, ns1).await.unwrap().as_deref(),
        Some(x1b)
    );
    assert_eq!(
        store.private_get(ALICE, ns2).await.unwrap().as_deref(),
        Some(x2)
    );

    // Per owner.
    assert_eq!(store.private_get(BOB, ns1).await.unwrap(), None);
    store.private_set(BOB, ns1, x1).await.unwrap();
    assert_eq!(
        store.private_get(BOB, ns1).await.unwrap().as_deref(),
        Some(x1)
    );
    assert_eq!(
        store.private_get(ALICE, ns1).await.unwrap().as_deref(),
        Some(x1b)
    );
}

pub async fn private_listing(store: Arc<dyn PrivateStore>) {
    let owner = "alice@example.com";
    assert_eq!(store.private_list(owner).await.unwrap(), []);
    store
        .private_set(owner, "urn:b", "<b xmlns='urn:b'/>")
        .await
        .unwrap();
    store
        .private_set(owner, "urn:a", "<a xmlns='urn:a'/>")
        .await
        .unwrap();
    store
        .private_set("bob@example.com", "urn:c", "<c xmlns='urn:c'/>")
        .await
        .unwrap();
    assert_eq!(
        store.private_list(owner).await.unwrap(),
        [
            ("urn:a".to_owned(), "<a xmlns='urn:a'/>".to_owned()),
            ("urn:b".to_owned(), "<b xmlns='urn:b'/>".to_owned()),
        ]
    );
}

/// private_remove_user forgets every namespace of the owner, and nothing else.
pub async fn private_removal(store: Arc<dyn PrivateStore>) {
    let x = "<a xmlns='urn:a'/>";
    store.private_set(ALICE, "urn:a", x).await.unwrap();
    store
        .private_set(ALICE, "urn:b", "<b xmlns='urn:b'/>")
        .await
        .unwrap();
    store.private_set(BOB, "urn:a", x).await.unwrap();
    store.private_remove_user(ALICE).await.unwrap();
    assert_eq!(store.private_list(ALICE).await.unwrap(), []);
    assert_eq!(store.private_get(ALICE, "urn:a").await.unwrap(), None);
    assert_eq!(
        store.private_get(BOB, "urn:a").await.unwrap().as_deref(),
        Some(x)
    );
    // Nothing to remove is not an error.
    store.private_remove_user(ALICE).await.unwrap();
}
