//! Conformance of [`VcardStore`].

use std::sync::Arc;

use meerkat_core::store::VcardStore;

use super::{ALICE, BOB};

/// vCards: absent, set, replace, per owner.
pub async fn vcards(store: Arc<dyn VcardStore>) {
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

/// vcard_remove_user forgets the owner's vCard, and nothing else.
pub async fn vcard_removal(store: Arc<dyn VcardStore>) {
    let v = "<vCard xmlns='vcard-temp'/>";
    store.vcard_set(ALICE, v).await.unwrap();
    store.vcard_set(BOB, v).await.unwrap();
    store.vcard_remove_user(ALICE).await.unwrap();
    assert_eq!(store.vcard_get(ALICE).await.unwrap(), None);
    assert_eq!(store.vcard_get(BOB).await.unwrap().as_deref(), Some(v));
    // Nothing to remove is not an error.
    store.vcard_remove_user(ALICE).await.unwrap();
}
