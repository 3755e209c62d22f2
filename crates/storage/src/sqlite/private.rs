//! `impl PrivateStore for SqliteStore`: private XML storage (`private_storage`).

use meerkat_core::store::{PrivateStore, StoreFuture};

use super::{OwnerRows, remove_owner};
use crate::SqliteStore;
use crate::error::db_err;

/// The owner's private XML elements.
pub(super) const OWNER_ROWS: OwnerRows = &["DELETE FROM private_storage WHERE owner = $1"];

impl PrivateStore for SqliteStore {
    fn private_get<'a>(
        &'a self,
        owner: &'a str,
        namespace: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar(
                "SELECT xml FROM private_storage WHERE owner = $1 AND namespace = $2",
            )
            .bind(owner)
            .bind(namespace)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)
        })
    }

    fn private_set<'a>(
        &'a self,
        owner: &'a str,
        namespace: &'a str,
        xml: &'a str,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO private_storage (owner, namespace, xml) VALUES ($1, $2, $3) \
                 ON CONFLICT (owner, namespace) DO UPDATE SET xml = excluded.xml",
            )
            .bind(owner)
            .bind(namespace)
            .bind(xml)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    fn private_list<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<(String, String)>> {
        Box::pin(async move {
            sqlx::query_as(
                "SELECT namespace, xml FROM private_storage WHERE owner = $1 ORDER BY namespace",
            )
            .bind(owner)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)
        })
    }

    fn private_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_owner(self, OWNER_ROWS, owner))
    }
}
