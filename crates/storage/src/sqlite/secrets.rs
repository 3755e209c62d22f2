//! `impl SecretStore for SqliteStore`: named server secrets (`server_secrets`).

use meerkat_core::store::{SecretStore, StoreFuture};

use crate::SqliteStore;
use crate::error::db_err;

impl SecretStore for SqliteStore {
    fn secret_list(&self) -> StoreFuture<'_, Vec<(String, String)>> {
        Box::pin(async move {
            sqlx::query_as("SELECT name, value FROM server_secrets ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn secret_get_or_insert<'a>(
        &'a self,
        name: &'a str,
        value: &'a str,
    ) -> StoreFuture<'a, String> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO server_secrets (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = server_secrets.value \
                 RETURNING value",
            )
            .bind(name)
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
        })
    }
}
