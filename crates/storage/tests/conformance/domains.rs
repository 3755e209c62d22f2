//! Conformance of [`DomainStore`]: dynamic domains and domain-admin passwords.

use std::sync::Arc;

use meerkat_core::store::{DomainStatus, DomainStore, DynamicDomain};

use super::admin_pw;

fn dd(domain: &str, host_type: &str, status: DomainStatus) -> DynamicDomain {
    DynamicDomain {
        domain: domain.to_owned(),
        host_type: host_type.to_owned(),
        status,
    }
}

pub async fn dynamic_domains(store: Arc<dyn DomainStore>) {
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

pub async fn domain_admin_passwords(store: Arc<dyn DomainStore>) {
    assert_eq!(store.domain_admin_get("a.test").await.unwrap(), None);
    let (one, two, three) = (admin_pw("one"), admin_pw("two"), admin_pw("three"));
    store.domain_admin_set("a.test", &one).await.unwrap();
    store.domain_admin_set("a.test", &two).await.unwrap();
    store.domain_admin_set("b.test", &three).await.unwrap();
    assert_eq!(
        store.domain_admin_get("a.test").await.unwrap().as_deref(),
        Some(two.as_str())
    );
    assert_eq!(
        store.domain_admin_list().await.unwrap(),
        vec![
            ("a.test".to_owned(), two.clone()),
            ("b.test".to_owned(), three.clone())
        ]
    );
    assert!(store.domain_admin_delete("a.test").await.unwrap());
    assert!(!store.domain_admin_delete("a.test").await.unwrap());
    assert_eq!(store.domain_admin_get("a.test").await.unwrap(), None);
    assert_eq!(
        store.domain_admin_get("b.test").await.unwrap().as_deref(),
        Some(three.as_str())
    );
}
