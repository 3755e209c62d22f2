//! Backend-independent conformance suite for [`meerkat_core::store::Store`].
//!
//! Every function takes a fresh, empty store as `Arc<dyn Store>` and panics on a
//! violation, so the same bodies can run against any backend: a test file only has to
//! open stores and call them (see `tests/sqlite.rs`). [`reopen_durability`] gets an opener
//! instead, because it has to drop the store and open the same database again.
//!
//! Text ordering is byte order (Rust `str` ordering): a backend whose collation sorts
//! differently fails [`list_and_count_users`] and [`roster_round_trip`].

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

use meerkat_core::store::{Ask, LastActivity, OfflineMessage, RosterItem, Store, Subscription};
use tokio::task::JoinSet;

// Dynamic domains, domain admins, auth tokens, server secrets, private listing.
mod domains;
pub use domains::*;

// Last activity listed per domain.
mod last_domain;
pub use last_domain::*;

const DOMAIN: &str = "example.com";
const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

fn item(
    contact: &str,
    name: Option<&str>,
    groups: &[&str],
    subscription: Subscription,
    ask: Ask,
) -> RosterItem {
    RosterItem {
        contact: contact.to_owned(),
        name: name.map(str::to_owned),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        subscription,
        ask,
    }
}

fn msg(
    from: &str,
    to: &str,
    packet: &str,
    timestamp_us: i64,
    expire_us: Option<i64>,
) -> OfflineMessage {
    OfflineMessage {
        id: 0,
        from: from.to_owned(),
        to: to.to_owned(),
        packet: packet.to_owned(),
        timestamp_us,
        expire_us,
    }
}

/// A roster version as the integer it is documented to be.
fn ver(v: &str) -> u64 {
    v.parse()
        .unwrap_or_else(|_| panic!("roster version {v:?} is not an integer"))
}

/// Stores one of everything for `user@domain`.
async fn populate(store: &dyn Store, domain: &str, user: &str) {
    let owner = format!("{user}@{domain}");
    assert!(store.create_user(domain, user, "secret").await.unwrap());
    for contact in ["friend1@example.net", "friend2@example.net"] {
        let it = item(
            contact,
            Some("F"),
            &["G1", "G2"],
            Subscription::Both,
            Ask::None,
        );
        store.roster_put_item(&owner, &it).await.unwrap();
    }
    for i in 0..3 {
        let m = msg(
            "x@example.net",
            &owner,
            &format!("<message>{i}</message>"),
            i,
            None,
        );
        store.offline_push(&owner, &m).await.unwrap();
    }
    store
        .vcard_set(&owner, "<vCard xmlns='vcard-temp'/>")
        .await
        .unwrap();
    store
        .private_set(&owner, "ns:a", "<a xmlns='ns:a'/>")
        .await
        .unwrap();
    store
        .private_set(&owner, "ns:b", "<b xmlns='ns:b'/>")
        .await
        .unwrap();
    let last = LastActivity {
        timestamp: 42,
        status: "away".to_owned(),
    };
    store.last_set(&owner, &last).await.unwrap();
}

/// Checks that everything [`populate`] stored for `user@domain` is still there, along
/// with `offline` messages.
async fn assert_populated(store: &dyn Store, domain: &str, user: &str, offline: u64) {
    let owner = format!("{user}@{domain}");
    assert_eq!(
        store.get_password(domain, user).await.unwrap().as_deref(),
        Some("secret")
    );
    assert_eq!(
        store.roster_get(&owner).await.unwrap().len(),
        2,
        "{owner} roster"
    );
    assert_eq!(
        ver(&store.roster_version(&owner).await.unwrap()),
        2,
        "{owner} version"
    );
    assert_eq!(
        store.offline_count(&owner).await.unwrap(),
        offline,
        "{owner} offline"
    );
    assert!(
        store.vcard_get(&owner).await.unwrap().is_some(),
        "{owner} vcard"
    );
    assert!(store.private_get(&owner, "ns:a").await.unwrap().is_some());
    assert!(store.private_get(&owner, "ns:b").await.unwrap().is_some());
    assert!(
        store.last_get(&owner).await.unwrap().is_some(),
        "{owner} last"
    );
}

// ---------------------------------------------------------------------------- accounts

/// create/get/set password; creating twice returns false and keeps the first password.
pub async fn accounts(store: Arc<dyn Store>) {
    assert_eq!(store.get_password(DOMAIN, "alice").await.unwrap(), None);
    assert!(store.create_user(DOMAIN, "alice", "pw1").await.unwrap());
    assert!(!store.create_user(DOMAIN, "alice", "pw2").await.unwrap());
    assert_eq!(
        store
            .get_password(DOMAIN, "alice")
            .await
            .unwrap()
            .as_deref(),
        Some("pw1")
    );

    // The same local part in another domain is another account.
    assert!(
        store
            .create_user("other.org", "alice", "pw3")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_password("other.org", "alice")
            .await
            .unwrap()
            .as_deref(),
        Some("pw3")
    );

    assert!(store.set_password(DOMAIN, "alice", "pw4").await.unwrap());
    assert_eq!(
        store
            .get_password(DOMAIN, "alice")
            .await
            .unwrap()
            .as_deref(),
        Some("pw4")
    );
    assert_eq!(
        store
            .get_password("other.org", "alice")
            .await
            .unwrap()
            .as_deref(),
        Some("pw3")
    );

    // set_password does not create accounts.
    assert!(!store.set_password(DOMAIN, "nobody", "x").await.unwrap());
    assert_eq!(store.get_password(DOMAIN, "nobody").await.unwrap(), None);
    assert_eq!(store.count_users(DOMAIN).await.unwrap(), 1);

    // Stored password strings are opaque: anything round-trips.
    let odd = "==SCRAM==,sha-1,4096,c2FsdA==|'\"; DROP TABLE users; --|ü";
    assert!(store.set_password(DOMAIN, "alice", odd).await.unwrap());
    assert_eq!(
        store
            .get_password(DOMAIN, "alice")
            .await
            .unwrap()
            .as_deref(),
        Some(odd)
    );

    assert!(store.remove_user(DOMAIN, "alice").await.unwrap());
    assert!(!store.remove_user(DOMAIN, "alice").await.unwrap());
    assert_eq!(store.get_password(DOMAIN, "alice").await.unwrap(), None);
    assert!(store.create_user(DOMAIN, "alice", "again").await.unwrap());
}

/// list_users is per domain and sorted (byte order); count_users agrees.
pub async fn list_and_count_users(store: Arc<dyn Store>) {
    assert!(store.list_users(DOMAIN).await.unwrap().is_empty());
    assert_eq!(store.count_users(DOMAIN).await.unwrap(), 0);

    let names = ["zed", "bob", "émile", "alice2", "alice", "0day", "über"];
    for n in names {
        assert!(store.create_user(DOMAIN, n, "pw").await.unwrap());
    }
    assert!(store.create_user("other.org", "carol", "pw").await.unwrap());

    let mut expected: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    expected.sort();
    assert_eq!(store.list_users(DOMAIN).await.unwrap(), expected);
    assert_eq!(store.count_users(DOMAIN).await.unwrap(), 7);
    assert_eq!(
        store.list_users("other.org").await.unwrap(),
        vec!["carol".to_owned()]
    );
    assert_eq!(store.count_users("other.org").await.unwrap(), 1);
    assert_eq!(store.count_users("nowhere.test").await.unwrap(), 0);

    assert!(store.remove_user(DOMAIN, "bob").await.unwrap());
    expected.retain(|n| n != "bob");
    assert_eq!(store.list_users(DOMAIN).await.unwrap(), expected);
    assert_eq!(store.count_users(DOMAIN).await.unwrap(), 6);
}

/// remove_user deletes the account and all of that owner's data, and nothing else.
pub async fn remove_user_cascades(store: Arc<dyn Store>) {
    let store = &*store;
    populate(store, DOMAIN, "alice").await;
    populate(store, DOMAIN, "bob").await;
    populate(store, "other.org", "alice").await;

    assert!(store.remove_user(DOMAIN, "alice").await.unwrap());

    assert_eq!(store.get_password(DOMAIN, "alice").await.unwrap(), None);
    assert!(store.roster_get(ALICE).await.unwrap().is_empty());
    assert_eq!(
        store
            .roster_get_item(ALICE, "friend1@example.net")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.roster_version(ALICE).await.unwrap(), "0");
    assert!(store.offline_peek(ALICE).await.unwrap().is_empty());
    assert_eq!(store.offline_count(ALICE).await.unwrap(), 0);
    assert_eq!(store.vcard_get(ALICE).await.unwrap(), None);
    assert_eq!(store.private_get(ALICE, "ns:a").await.unwrap(), None);
    assert_eq!(store.private_get(ALICE, "ns:b").await.unwrap(), None);
    assert_eq!(store.last_get(ALICE).await.unwrap(), None);
    assert_eq!(
        store.list_users(DOMAIN).await.unwrap(),
        vec!["bob".to_owned()]
    );

    // Other users, and the same local part in another domain, are untouched.
    assert_populated(store, DOMAIN, "bob", 3).await;
    assert_populated(store, "other.org", "alice", 3).await;

    assert!(!store.remove_user(DOMAIN, "alice").await.unwrap());

    // A re-created account starts empty.
    assert!(store.create_user(DOMAIN, "alice", "new").await.unwrap());
    assert!(store.roster_get(ALICE).await.unwrap().is_empty());
    assert_eq!(store.offline_count(ALICE).await.unwrap(), 0);
}

// ---------------------------------------------------------------------------- roster

/// Items round-trip exactly: group order, odd names, every subscription/ask pair.
pub async fn roster_round_trip(store: Arc<dyn Store>) {
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
pub async fn roster_versions(store: Arc<dyn Store>) {
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

// ---------------------------------------------------------------------------- offline

/// 100 messages come back in insertion order (not timestamp order), fields intact.
pub async fn offline_order(store: Arc<dyn Store>) {
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
pub async fn offline_remove_ids_and_bytes(store: Arc<dyn Store>) {
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
pub async fn offline_remove_up_to(store: Arc<dyn Store>) {
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
pub async fn offline_cleanup_per_domain(store: Arc<dyn Store>) {
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

// ---------------------------------------------------------------------------- vcard etc.

/// vCards: absent, set, replace, per owner.
pub async fn vcards(store: Arc<dyn Store>) {
    assert_eq!(store.vcard_get(ALICE).await.unwrap(), None);
    let v1 = "<vCard xmlns='vcard-temp'><FN>Alice “Ally” Ångström</FN></vCard>";
    store.vcard_set(ALICE, v1).await.unwrap();
    assert_eq!(store.vcard_get(ALICE).await.unwrap().as_deref(), Some(v1));
    let v2 = "<vCard xmlns='vcard-temp'/>";
    store.vcard_set(ALICE, v2).await.unwrap();
    assert_eq!(store.vcard_get(ALICE).await.unwrap().as_deref(), Some(v2));
    assert_eq!(store.vcard_get(BOB).await.unwrap(), None);

    let big = format!(
        "<vCard xmlns='vcard-temp'><PHOTO><BINVAL>{}</BINVAL></PHOTO></vCard>",
        "A".repeat(256 * 1024)
    );
    store.vcard_set(BOB, &big).await.unwrap();
    assert_eq!(
        store.vcard_get(BOB).await.unwrap().as_deref(),
        Some(big.as_str())
    );
    assert_eq!(store.vcard_get(ALICE).await.unwrap().as_deref(), Some(v2));
}

/// Private XML storage is keyed by (owner, namespace).
pub async fn private_storage(store: Arc<dyn Store>) {
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

/// Last activity: absent, set, replace, per owner.
pub async fn last_activity(store: Arc<dyn Store>) {
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

// ---------------------------------------------------------------------------- concurrency

/// Parallel writers lose nothing: 8 tasks × 50 offline pushes to one owner, 8 × 10 roster
/// puts (each must bump the version exactly once), and 8 racing creations of one account.
pub async fn concurrent_writers(store: Arc<dyn Store>) {
    const TASKS: usize = 8;
    const PUSHES: usize = 50;
    const PUTS: usize = 10;

    let mut set = JoinSet::new();
    for t in 0..TASKS {
        let pusher = store.clone();
        set.spawn(async move {
            let mut ids = Vec::with_capacity(PUSHES);
            for i in 0..PUSHES {
                let m = msg("x@example.net", ALICE, &format!("t{t}-{i}"), 0, None);
                ids.push(pusher.offline_push(ALICE, &m).await.unwrap());
            }
            ids
        });
        let putter = store.clone();
        set.spawn(async move {
            for i in 0..PUTS {
                let it = item(
                    &format!("c{t}-{i}@example.net"),
                    None,
                    &["g"],
                    Subscription::None,
                    Ask::None,
                );
                putter.roster_put_item(BOB, &it).await.unwrap();
            }
            Vec::new()
        });
    }
    let mut returned = BTreeSet::new();
    while let Some(ids) = set.join_next().await {
        for id in ids.unwrap() {
            assert!(returned.insert(id), "id {id} returned twice");
        }
    }

    let msgs = store.offline_peek(ALICE).await.unwrap();
    assert_eq!(msgs.len(), TASKS * PUSHES);
    assert_eq!(
        store.offline_count(ALICE).await.unwrap(),
        (TASKS * PUSHES) as u64
    );
    let peeked: BTreeSet<i64> = msgs.iter().map(|m| m.id).collect();
    assert_eq!(peeked, returned);
    assert!(
        msgs.windows(2).all(|w| w[0].id < w[1].id),
        "peek not ordered by id"
    );
    // Each writer's messages come back in the order it wrote them.
    for t in 0..TASKS {
        let prefix = format!("t{t}-");
        let seq: Vec<usize> = msgs
            .iter()
            .filter_map(|m| m.packet.strip_prefix(&prefix))
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(seq, (0..PUSHES).collect::<Vec<_>>(), "writer {t}");
    }

    assert_eq!(store.roster_get(BOB).await.unwrap().len(), TASKS * PUTS);
    assert_eq!(
        ver(&store.roster_version(BOB).await.unwrap()),
        (TASKS * PUTS) as u64
    );

    let mut set = JoinSet::new();
    for t in 0..TASKS {
        let store = store.clone();
        set.spawn(async move {
            store
                .create_user(DOMAIN, "racer", &format!("pw{t}"))
                .await
                .unwrap()
        });
    }
    let mut created = 0;
    while let Some(ok) = set.join_next().await {
        if ok.unwrap() {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.count_users(DOMAIN).await.unwrap(), 1);
}

// ---------------------------------------------------------------------------- durability

/// Data survives dropping the store and opening the same database again; ids keep
/// increasing across reopening, even after every message was removed.
///
/// `open` must open the *same* database each time.
pub async fn reopen_durability<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn Store>>,
{
    let store = open().await;
    populate(&*store, DOMAIN, "alice").await;
    let mut pushed = store.offline_peek(ALICE).await.unwrap();
    for i in 0..100 {
        let mut m = msg(
            "x@example.net",
            ALICE,
            &format!("<message>{i}</message>"),
            1000 + i,
            Some(i),
        );
        m.id = store.offline_push(ALICE, &m).await.unwrap();
        pushed.push(m);
    }
    drop(store);

    let store = open().await;
    assert_populated(&*store, DOMAIN, "alice", 103).await;
    assert_eq!(store.offline_peek(ALICE).await.unwrap(), pushed);
    let max_id = pushed.iter().map(|m| m.id).max().unwrap();
    assert_eq!(store.offline_remove(ALICE, max_id).await.unwrap(), 103);
    drop(store);

    let store = open().await;
    assert_eq!(store.offline_count(ALICE).await.unwrap(), 0);
    let id = store
        .offline_push(ALICE, &msg("x@example.net", ALICE, "<message/>", 0, None))
        .await
        .unwrap();
    assert!(
        id > max_id,
        "id {id} reused after reopening (max was {max_id})"
    );
    let v = store
        .roster_put_item(
            ALICE,
            &item("new@example.net", None, &[], Subscription::None, Ask::None),
        )
        .await
        .unwrap();
    assert_eq!(ver(&v), 3);
}
