//! Conformance of [`AccountStore`](meerkat_core::store::AccountStore), and of account
//! removal across every area (which needs the whole [`Store`]).

use std::sync::Arc;

use meerkat_core::store::{AccountStore, Store};

use super::{ALICE, DOMAIN, assert_populated, populate, pw};

/// create/get/set password; creating twice returns false and keeps the first password.
pub async fn accounts(store: Arc<dyn AccountStore>) {
    assert_eq!(store.get_password(DOMAIN, "alice").await.unwrap(), None);
    assert!(
        store
            .create_user(DOMAIN, "alice", &pw("pw1"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .create_user(DOMAIN, "alice", &pw("pw2"))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_password(DOMAIN, "alice")
            .await
            .unwrap()
            .as_deref(),
        Some(pw("pw1").as_str())
    );

    // The same local part in another domain is another account.
    assert!(
        store
            .create_user("other.org", "alice", &pw("pw3"))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_password("other.org", "alice")
            .await
            .unwrap()
            .as_deref(),
        Some(pw("pw3").as_str())
    );

    assert!(
        store
            .set_password(DOMAIN, "alice", &pw("pw4"))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_password(DOMAIN, "alice")
            .await
            .unwrap()
            .as_deref(),
        Some(pw("pw4").as_str())
    );
    assert_eq!(
        store
            .get_password("other.org", "alice")
            .await
            .unwrap()
            .as_deref(),
        Some(pw("pw3").as_str())
    );

    // set_password does not create accounts.
    assert!(
        !store
            .set_password(DOMAIN, "nobody", &pw("x"))
            .await
            .unwrap()
    );
    assert_eq!(store.get_password(DOMAIN, "nobody").await.unwrap(), None);
    assert_eq!(store.count_users(DOMAIN).await.unwrap(), 1);

    // Whatever a password holds round-trips (and reaches SQL only as a bound value).
    let odd = pw("==SCRAM==,sha-1,4096,c2FsdA==|'\"; DROP TABLE users; --|ü");
    assert!(store.set_password(DOMAIN, "alice", &odd).await.unwrap());
    assert_eq!(
        store
            .get_password(DOMAIN, "alice")
            .await
            .unwrap()
            .as_deref(),
        Some(odd.as_str())
    );

    assert!(store.remove_user(DOMAIN, "alice").await.unwrap());
    assert!(!store.remove_user(DOMAIN, "alice").await.unwrap());
    assert_eq!(store.get_password(DOMAIN, "alice").await.unwrap(), None);
    assert!(
        store
            .create_user(DOMAIN, "alice", &pw("again"))
            .await
            .unwrap()
    );
}

/// list_users is per domain and sorted (byte order); count_users agrees.
pub async fn list_and_count_users(store: Arc<dyn AccountStore>) {
    assert!(store.list_users(DOMAIN).await.unwrap().is_empty());
    assert!(store.user_domains().await.unwrap().is_empty());
    assert_eq!(store.count_users(DOMAIN).await.unwrap(), 0);

    let names = ["zed", "bob", "émile", "alice2", "alice", "0day", "über"];
    for n in names {
        assert!(store.create_user(DOMAIN, n, &pw("pw")).await.unwrap());
    }
    assert!(
        store
            .create_user("other.org", "carol", &pw("pw"))
            .await
            .unwrap()
    );

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
    assert_eq!(
        store.user_domains().await.unwrap(),
        vec![DOMAIN.to_owned(), "other.org".to_owned()]
    );

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
    assert_eq!(store.auth_token_seq(ALICE).await.unwrap(), None);
    assert_eq!(
        store
            .mam_query(
                ALICE,
                &Default::default(),
                meerkat_core::store::PageStart::Offset(0),
                10
            )
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .last_list_domain(DOMAIN)
            .await
            .unwrap()
            .into_iter()
            .map(|(user, _)| user)
            .collect::<Vec<_>>(),
        ["bob"]
    );
    assert_eq!(
        store.list_users(DOMAIN).await.unwrap(),
        vec!["bob".to_owned()]
    );

    // Other users, and the same local part in another domain, are untouched.
    assert_populated(store, DOMAIN, "bob", 3).await;
    assert_populated(store, "other.org", "alice", 3).await;

    assert!(!store.remove_user(DOMAIN, "alice").await.unwrap());

    // A re-created account starts empty.
    assert!(
        store
            .create_user(DOMAIN, "alice", &pw("new"))
            .await
            .unwrap()
    );
    assert!(store.roster_get(ALICE).await.unwrap().is_empty());
    assert_eq!(store.offline_count(ALICE).await.unwrap(), 0);
}
