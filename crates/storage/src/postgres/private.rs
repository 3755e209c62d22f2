//! `impl PrivateStore for PgStore`: MongooseIM's `private_storage`.

use meerkat_core::store::{PrivateStore, StoreFuture};

use super::{PgStore, UserRows, remove_user_rows, split_owner};

/// The user's private XML.
pub(super) const USER_ROWS: UserRows =
    &["DELETE FROM private_storage WHERE server = $1 AND username = $2"];

impl PrivateStore for PgStore {
    fn private_get<'a>(
        &'a self,
        owner: &'a str,
        namespace: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            sqlx::query_scalar(
                "SELECT data FROM private_storage \
                 WHERE server = $1 AND username = $2 AND namespace = $3",
            )
            .bind(server)
            .bind(user)
            .bind(namespace)
            .fetch_optional(self.db()?)
            .await
            .map_err(|e| self.fail(e))
        })
    }

    fn private_set<'a>(
        &'a self,
        owner: &'a str,
        namespace: &'a str,
        xml: &'a str,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            sqlx::query(
                "INSERT INTO private_storage (server, username, namespace, data) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (server, username, namespace) DO UPDATE SET data = excluded.data",
            )
            .bind(server)
            .bind(user)
            .bind(namespace)
            .bind(xml)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(())
        })
    }

    fn private_list<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<(String, String)>> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            sqlx::query_as(
                "SELECT namespace, data FROM private_storage \
                 WHERE server = $1 AND username = $2 ORDER BY namespace COLLATE \"C\"",
            )
            .bind(server)
            .bind(user)
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))
        })
    }

    fn private_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_user_rows(self, USER_ROWS, owner))
    }
}
