//! Backend-independent conformance suite for [`meerkat_core::store::Store`], one file per
//! area of the contract.
//!
//! Every function takes a fresh, empty store and panics on a violation, so the same bodies
//! can run against any backend: a test file only has to open stores and call them (see
//! `tests/sqlite.rs`). An area's functions (`roster.rs`, `offline.rs`, ...) take just
//! that area's trait (`Arc<dyn RosterStore>`...), so a backend can be checked one area at
//! a time; passing an `Arc<dyn Store>` upcasts. What crosses areas takes the whole
//! `Arc<dyn Store>`: account removal (`accounts::remove_user_cascades`), and, below,
//! concurrent writers and durability. [`reopen_durability`] gets an opener instead,
//! because it has to drop the store and open the same database again.
//!
//! Text ordering is byte order (Rust `str` ordering): a backend whose collation sorts
//! differently fails [`list_and_count_users`] and [`roster_round_trip`].

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

use meerkat_core::store::{Ask, LastActivity, OfflineMessage, RosterItem, Store, Subscription};
use meerkat_xmpp::scram::{ScramHash, StoredPassword};
use tokio::task::JoinSet;

/// Calls `$m!(...)` with the name of every conformance function that takes a fresh store,
/// so each backend's test file runs the same list (a function added here reaches both).
macro_rules! every_conformance_test {
    ($m:ident) => {
        $m!(
            accounts,
            list_and_count_users,
            remove_user_cascades,
            roster_round_trip,
            roster_versions,
            roster_removal,
            offline_order,
            offline_remove_up_to,
            offline_remove_ids_and_bytes,
            offline_cleanup_per_domain,
            offline_removal,
            vcards,
            vcard_removal,
            private_storage,
            private_removal,
            last_activity,
            concurrent_writers,
            dynamic_domains,
            domain_admin_passwords,
            auth_token_sequences,
            server_secrets,
            private_listing,
            last_activity_per_domain,
            mam_queries,
            mam_prefs_and_removal,
        );
    };
}

mod accounts;
mod domains;
mod last;
mod mam;
mod offline;
mod private;
mod roster;
mod secrets;
mod tokens;
mod vcard;

pub use accounts::*;
pub use domains::*;
pub use last::*;
pub use mam::*;
pub use offline::*;
pub use private::*;
pub use roster::*;
pub use secrets::*;
pub use tokens::*;
pub use vcard::*;

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
    // Items as every backend keeps them: MongooseIM's tables hold a roster item's groups
    // as a set (returned sorted, in byte order) and an empty name as no name, so the
    // items stored here are in that form already.
    let groups: BTreeSet<&str> = groups.iter().copied().collect();
    RosterItem {
        contact: contact.to_owned(),
        name: name.filter(|n| !n.is_empty()).map(str::to_owned),
        groups: groups.into_iter().map(str::to_owned).collect(),
        subscription,
        ask,
    }
}

/// A stored-password string as the core writes it (here a plaintext password).
fn pw(password: &str) -> String {
    StoredPassword::plain(password).to_storage_string()
}

/// A domain-admin password as the core stores it (SCRAM-SHA-512 keys only).
fn admin_pw(password: &str) -> String {
    StoredPassword::derive(password, &[ScramHash::Sha512], 1)
        .unwrap()
        .to_storage_string()
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

/// Stores one of everything for `user@domain` (in every area that keeps data per user).
async fn populate(store: &dyn Store, domain: &str, user: &str) {
    let owner = format!("{user}@{domain}");
    assert!(
        store
            .create_user(domain, user, &pw("secret"))
            .await
            .unwrap()
    );
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
    assert_eq!(store.auth_token_seq_init(&owner, 10).await.unwrap(), 10);
    for n in 1..=2 {
        store
            .mam_append(&owner, &mam::archived(n, "x@example.net", "r", "archived"))
            .await
            .unwrap();
    }
}

/// Checks that everything [`populate`] stored for `user@domain` is still there, along
/// with `offline` messages.
async fn assert_populated(store: &dyn Store, domain: &str, user: &str, offline: u64) {
    let owner = format!("{user}@{domain}");
    assert_eq!(
        store.get_password(domain, user).await.unwrap(),
        Some(pw("secret"))
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
    assert_eq!(
        store.auth_token_seq(&owner).await.unwrap(),
        Some(10),
        "{owner} token"
    );
    let archive = store
        .mam_query(
            &owner,
            &Default::default(),
            meerkat_core::store::PageStart::Offset(0),
            10,
        )
        .await
        .unwrap();
    assert_eq!(archive.total, 2, "{owner} archive");
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
                .create_user(DOMAIN, "racer", &pw(&format!("pw{t}")))
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

// ---------------------------------------------------------------------------------- copy

/// `copy_store` moves every area of `from` into the empty `to`, and refuses a target that
/// holds accounts already.
pub async fn copy_everything(from: Arc<dyn Store>, to: Arc<dyn Store>) {
    populate(&*from, DOMAIN, "alice").await;
    populate(&*from, "other.org", "bob").await;
    from.domain_insert("dyn.test", "type1").await.unwrap();
    from.domain_set_status("dyn.test", meerkat_core::store::DomainStatus::Disabled)
        .await
        .unwrap();
    from.domain_admin_set("dyn.test", &admin_pw("adm"))
        .await
        .unwrap();
    from.secret_get_or_insert("token_key", "s3cret")
        .await
        .unwrap();

    let report = meerkat_storage::copy_store(&*from, &*to).await.unwrap();
    assert_eq!(report.accounts, 2);
    assert_eq!(report.roster_items, 4);
    assert_eq!(report.offline_messages, 6);
    assert_populated(&*to, DOMAIN, "alice", 3).await;
    assert_populated(&*to, "other.org", "bob", 3).await;
    assert_eq!(
        to.offline_peek(ALICE)
            .await
            .unwrap()
            .iter()
            .map(|m| (m.packet.clone(), m.timestamp_us))
            .collect::<Vec<_>>(),
        from.offline_peek(ALICE)
            .await
            .unwrap()
            .iter()
            .map(|m| (m.packet.clone(), m.timestamp_us))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        to.domain_list().await.unwrap(),
        from.domain_list().await.unwrap()
    );
    assert_eq!(
        to.domain_admin_list().await.unwrap(),
        from.domain_admin_list().await.unwrap()
    );
    assert_eq!(
        to.secret_get_or_insert("token_key", "other").await.unwrap(),
        "s3cret"
    );

    let err = meerkat_storage::copy_store(&*from, &*to).await.unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}
