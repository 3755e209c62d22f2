//! Conformance of [`RosterStore`].

use std::sync::Arc;

use meerkat_core::store::{Ask, RosterStore, Subscription};

use super::{ALICE, BOB, item, ver};

/// Items round-trip: odd names and groups (a set), every subscription/ask pair.
pub async fn roster_round_trip(store: Arc<dyn RosterStore>) {
    assert!(store.roster_get(ALICE).await.unwrap().is_empty());
    assert_eq!(
        store
            .roster_get_item(ALICE, "bob@example.com")
            .await
            .unwrap(),
        None
    );

    let tricky = [
        "Zeta",
        "alpha",
        "Friends \"close\"",
        "Ünïcødé 🦦 日本",
        "a,b;c",
        "[\"json\", 1]",
        "back\\slash",
        "",
        "  spaced  ",
        "O'Brien",
        "alpha",
    ];
    let mut items = vec![
        item(
            "bob@example.com",
            Some("Bob \"the builder\" O'Neil <&amp;> \\ 🛠"),
            &tricky,
            Subscription::Both,
            Ask::None,
        ),
        item("carol@example.org", None, &[], Subscription::To, Ask::Out),
        item(
            "dave@example.net",
            Some(""),
            &["solo"],
            Subscription::From,
            Ask::In,
        ),
        item(
            "émile@example.fr",
            Some("Émile 😀"),
            &["Ω", "A"],
            Subscription::None,
            Ask::Both,
        ),
        item(
            "Zoe@example.com",
            Some("Zoe"),
            &["b", "a"],
            Subscription::None,
            Ask::None,
        ),
    ];
    for it in &items {
        store.roster_put_item(ALICE, it).await.unwrap();
        assert_eq!(
            store
                .roster_get_item(ALICE, &it.contact)
                .await
                .unwrap()
                .as_ref(),
            Some(it)
        );
    }
    items.sort_by(|a, b| a.contact.cmp(&b.contact));
    assert_eq!(store.roster_get(ALICE).await.unwrap(), items);

    // Replacing an item replaces everything, including the group list.
    let replaced = item(
        "bob@example.com",
        None,
        &["alpha", "Zeta"],
        Subscription::To,
        Ask::Both,
    );
    store.roster_put_item(ALICE, &replaced).await.unwrap();
    assert_eq!(
        store
            .roster_get_item(ALICE, "bob@example.com")
            .await
            .unwrap(),
        Some(replaced.clone())
    );
    for it in &mut items {
        if it.contact == replaced.contact {
            *it = replaced.clone();
        }
    }
    assert_eq!(store.roster_get(ALICE).await.unwrap(), items);

    // Rosters are per owner.
    assert!(store.roster_get(BOB).await.unwrap().is_empty());
    assert_eq!(
        store.roster_get_item(BOB, "bob@example.com").await.unwrap(),
        None
    );

    // Every stored subscription/ask combination round-trips.
    let subs = [
        Subscription::None,
        Subscription::To,
        Subscription::From,
        Subscription::Both,
    ];
    let asks = [Ask::None, Ask::Out, Ask::In, Ask::Both];
    let mut combos = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        for (j, a) in asks.iter().enumerate() {
            let it = item(&format!("c{i}{j}@example.net"), Some("n"), &["g"], *s, *a);
            store.roster_put_item(BOB, &it).await.unwrap();
            combos.push(it);
        }
    }
    assert_eq!(store.roster_get(BOB).await.unwrap(), combos);

    // Deleting removes the item and its groups; re-adding starts from the new item only.
    assert!(
        store
            .roster_delete_item(ALICE, "bob@example.com")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store
            .roster_get_item(ALICE, "bob@example.com")
            .await
            .unwrap(),
        None
    );
    let fresh = item(
        "bob@example.com",
        Some("B"),
        &[],
        Subscription::None,
        Ask::None,
    );
    store.roster_put_item(ALICE, &fresh).await.unwrap();
    assert_eq!(
        store
            .roster_get_item(ALICE, "bob@example.com")
            .await
            .unwrap(),
        Some(fresh)
    );
}

/// The version is an integer that grows on every put/delete, never on reads.
pub async fn roster_versions(store: Arc<dyn RosterStore>) {
    assert_eq!(store.roster_version(ALICE).await.unwrap(), "0");
    let bob = item(
        "bob@example.com",
        Some("Bob"),
        &["g"],
        Subscription::Both,
        Ask::None,
    );
    let carol = item("carol@example.com", None, &[], Subscription::None, Ask::Out);

    let v1 = store.roster_put_item(ALICE, &bob).await.unwrap();
    assert!(ver(&v1) > 0);
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v1);

    // Reads do not bump.
    store.roster_get(ALICE).await.unwrap();
    store
        .roster_get_item(ALICE, "bob@example.com")
        .await
        .unwrap();
    store
        .roster_get_item(ALICE, "nobody@example.com")
        .await
        .unwrap();
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v1);
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v1);

    // Every put bumps, even an identical one.
    let v2 = store.roster_put_item(ALICE, &bob).await.unwrap();
    assert!(ver(&v2) > ver(&v1));
    let v3 = store.roster_put_item(ALICE, &carol).await.unwrap();
    assert!(ver(&v3) > ver(&v2));
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v3);

    // Deleting a missing item changes nothing.
    assert_eq!(
        store
            .roster_delete_item(ALICE, "nobody@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v3);

    let v4 = store
        .roster_delete_item(ALICE, "bob@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(ver(&v4) > ver(&v3));
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v4);
    assert_eq!(
        store
            .roster_delete_item(ALICE, "bob@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v4);

    // Versions are per owner.
    assert_eq!(store.roster_version(BOB).await.unwrap(), "0");
    store.roster_put_item(BOB, &carol).await.unwrap();
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v4);

    // subscription="remove" is a request, not a state: storing it fails and changes nothing.
    let remove = item(
        "dave@example.com",
        None,
        &[],
        Subscription::Remove,
        Ask::None,
    );
    assert!(store.roster_put_item(ALICE, &remove).await.is_err());
    assert_eq!(
        store
            .roster_get_item(ALICE, "dave@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.roster_version(ALICE).await.unwrap(), v4);
}

/// roster_remove_user forgets the owner's items, groups and version, and nothing else.
pub async fn roster_removal(store: Arc<dyn RosterStore>) {
    let bob = item(
        "bob@example.com",
        Some("Bob"),
        &["g1", "g2"],
        Subscription::Both,
        Ask::None,
    );
    let carol = item("carol@example.com", None, &[], Subscription::To, Ask::Out);
    store.roster_put_item(ALICE, &bob).await.unwrap();
    store.roster_put_item(ALICE, &carol).await.unwrap();
    let bob_version = store.roster_put_item(BOB, &carol).await.unwrap();

    store.roster_remove_user(ALICE).await.unwrap();
    assert!(store.roster_get(ALICE).await.unwrap().is_empty());
    assert_eq!(
        store
            .roster_get_item(ALICE, "bob@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.roster_version(ALICE).await.unwrap(), "0");
    assert_eq!(store.roster_get(BOB).await.unwrap(), vec![carol]);
    assert_eq!(store.roster_version(BOB).await.unwrap(), bob_version);

    // Nothing to remove is not an error; an item stored again has only its new groups.
    store.roster_remove_user(ALICE).await.unwrap();
    let bare = item("bob@example.com", None, &[], Subscription::None, Ask::None);
    assert_eq!(ver(&store.roster_put_item(ALICE, &bare).await.unwrap()), 1);
    assert_eq!(store.roster_get(ALICE).await.unwrap(), vec![bare]);
}
