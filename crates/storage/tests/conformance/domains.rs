//! Conformance of the dynamic-domain, domain-admin, auth-token, server-secret and
//! private-listing methods.

use std::sync::Arc;

use meerkat_core::store::{DomainStatus, DynamicDomain, Store};

fn dd(domain: &str, host_type: &str, status: DomainStatus) -> DynamicDomain {
    DynamicDomain {
        domain: domain.to_owned(),
        host_type: host_type.to_owned(),
        status,
    }
}

pub async fn dynamic_domains(store: Arc<dyn Store>) {
    assert_eq!(store.domain_list().await.unwrap(), []);
    assert_eq!(store.domain_get("b.test").await.unwrap(), None);
    assert!(store.domain_insert("b.test", "type 1").await.unwrap());
    assert!(store.domain_insert("a.test", "type 2").await.unwrap());
    // A second insert changes nothing, whatever the host type.
    assert!(!store.domain_insert("b.test", "type 2").await.unwrap());
    assert_eq!(
        store.domain_get("b.test").await.unwrap(),
        Some(dd("b.test", "type 1", DomainStatus::Enabled))
    );
    assert!(
        store
            .domain_set_status("b.test", DomainStatus::Disabled)
            .await
            .unwrap()
    );
    assert!(
        !store
            .domain_set_status("c.test", DomainStatus::Disabled)
            .await
            .unwrap()
    );
    assert!(
        store
            .domain_set_status("a.test", DomainStatus::Deleting)
            .await
            .unwrap()
    );
    assert_eq!(
        store.domain_list().await.unwrap(),
        [
            dd("a.test", "type 2", DomainStatus::Deleting),
            dd("b.test", "type 1", DomainStatus::Disabled),
        ]
    );
    assert!(store.domain_delete("a.test").await.unwrap());
    assert!(!store.domain_delete("a.test").await.unwrap());
    assert_eq!(
        store.domain_list().await.unwrap(),
        [dd("b.test", "type 1", DomainStatus::Disabled)]
    );
}

pub async fn domain_admin_passwords(store: Arc<dyn Store>) {
    assert_eq!(store.domain_admin_get("a.test").await.unwrap(), None);
    store.domain_admin_set("a.test", "one").await.unwrap();
    store.domain_admin_set("a.test", "two").await.unwrap();
    store.domain_admin_set("b.test", "three").await.unwrap();
    assert_eq!(
        store.domain_admin_get("a.test").await.unwrap().as_deref(),
        Some("two")
    );
    assert!(store.domain_admin_delete("a.test").await.unwrap());
    assert!(!store.domain_admin_delete("a.test").await.unwrap());
    assert_eq!(store.domain_admin_get("a.test").await.unwrap(), None);
    assert_eq!(
        store.domain_admin_get("b.test").await.unwrap().as_deref(),
        Some("three")
    );
}

pub async fn auth_token_sequences(store: Arc<dyn Store>) {
    let owner = "alice@example.com";
    assert_eq!(store.auth_token_seq(owner).await.unwrap(), None);
    assert!(!store.auth_token_revoke(owner).await.unwrap());
    assert_eq!(store.auth_token_seq_init(owner, 40).await.unwrap(), 40);
    // Set once: later calls return the stored number.
    assert_eq!(store.auth_token_seq_init(owner, 7).await.unwrap(), 40);
    assert!(store.auth_token_revoke(owner).await.unwrap());
    assert_eq!(store.auth_token_seq(owner).await.unwrap(), Some(41));
    assert_eq!(store.auth_token_seq_init(owner, 7).await.unwrap(), 41);
    // Removing the account forgets the sequence number.
    assert!(
        store
            .create_user("example.com", "alice", "pw")
            .await
            .unwrap()
    );
    assert!(store.remove_user("example.com", "alice").await.unwrap());
    assert_eq!(store.auth_token_seq(owner).await.unwrap(), None);
}

pub async fn server_secrets(store: Arc<dyn Store>) {
    assert_eq!(
        store.secret_get_or_insert("k", "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.secret_get_or_insert("k", "second").await.unwrap(),
        "first"
    );
    assert_eq!(store.secret_get_or_insert("other", "x").await.unwrap(), "x");
}

pub async fn private_listing(store: Arc<dyn Store>) {
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
