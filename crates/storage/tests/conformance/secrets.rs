//! Conformance of [`SecretStore`].

use std::sync::Arc;

use meerkat_core::store::SecretStore;

pub async fn server_secrets(store: Arc<dyn SecretStore>) {
    assert_eq!(
        store.secret_get_or_insert("k", "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        store.secret_get_or_insert("k", "second").await.unwrap(),
        "first"
    );
    assert_eq!(store.secret_get_or_insert("other", "x").await.unwrap(), "x");
    assert_eq!(
        store.secret_list().await.unwrap(),
        [("k", "first"), ("other", "x")].map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
}
