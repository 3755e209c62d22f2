//! `impl VcardStore for SqliteStore`: vCards (`vcards`).

use meerkat_core::store::{StoreFuture, VcardStore};

use super::{OwnerRows, remove_owner};
use crate::SqliteStore;
use crate::error::db_err;

/// The owner's vCard.
pub(super) const OWNER_ROWS: OwnerRows = &["DELETE FROM vcards WHERE owner = $1"];

impl VcardStore for SqliteStore {
    fn vcard_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT xml FROM vcards WHERE owner = $1")
                .bind(owner)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn vcard_set<'a>(&'a self, owner: &'a str, xml: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO vcards (owner, xml) VALUES ($1, $2) \
                 ON CONFLICT (owner) DO UPDATE SET xml = excluded.xml",
            )
            .bind(owner)
            .bind(xml)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    fn vcard_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_owner(self, OWNER_ROWS, owner))
    }
}
