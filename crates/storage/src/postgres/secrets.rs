//! `impl SecretStore for PgStore`: meerkat's own `meerkat_server_secrets`.

use meerkat_core::store::{SecretStore, StoreFuture};

use super::PgStore;

impl SecretStore for PgStore {
    fn secret_list(&self) -> StoreFuture<'_, Vec<(String, String)>> {
        Box::pin(async move {
            sqlx::query_as(
                "SELECT name, value FROM meerkat_server_secrets ORDER BY name COLLATE \"C\"",
            )
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))
        })
    }

    fn secret_get_or_insert<'a>(
        &'a self,
        name: &'a str,
        value: &'a str,
    ) -> StoreFuture<'a, String> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO meerkat_server_secrets (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = meerkat_server_secrets.value \
                 RETURNING value",
            )
            .bind(name)
            .bind(value)
            .fetch_one(self.db()?)
            .await
            .map_err(|e| self.fail(e))
        })
    }
}
