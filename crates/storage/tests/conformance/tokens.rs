//! Conformance of [`TokenStore`].

use std::sync::Arc;

use meerkat_core::store::TokenStore;

pub async fn auth_token_sequences(store: Arc<dyn TokenStore>) {
    let owner = "alice@example.com";
    assert_eq!(store.auth_token_seq(owner).await.unwrap(), None);
    assert!(!store.auth_token_revoke(owner).await.unwrap());
    assert_eq!(store.auth_token_seq_init(owner, 40).await.unwrap(), 40);
    // Set once: later calls return the stored number.
    assert_eq!(store.auth_token_seq_init(owner, 7).await.unwrap(), 40);
    assert!(store.auth_token_revoke(owner).await.unwrap());
    assert_eq!(store.auth_token_seq(owner).await.unwrap(), Some(41));
    assert_eq!(store.auth_token_seq_init(owner, 7).await.unwrap(), 41);
    // Removing the user forgets the sequence number, and only theirs (account removal
    // does it too: `remove_user_cascades`).
    assert_eq!(
        store
            .auth_token_seq_init("bob@example.com", 5)
            .await
            .unwrap(),
        5
    );
    store.auth_token_remove_user(owner).await.unwrap();
    assert_eq!(store.auth_token_seq(owner).await.unwrap(), None);
    assert_eq!(
        store.auth_token_seq("bob@example.com").await.unwrap(),
        Some(5)
    );
    store.auth_token_remove_user(owner).await.unwrap();
    assert_eq!(store.auth_token_seq_init(owner, 7).await.unwrap(), 7);
}
