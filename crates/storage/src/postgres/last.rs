//! `impl LastStore for PgStore`: MongooseIM's `last` (`seconds` is a 32-bit column).

use meerkat_core::store::{LastActivity, LastStore, StoreError, StoreFuture};

use super::{PgStore, UserRows, remove_user_rows, split_owner};

/// The user's last activity.
pub(super) const USER_ROWS: UserRows = &["DELETE FROM last WHERE server = $1 AND username = $2"];

impl LastStore for PgStore {
    fn last_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<LastActivity>> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let row: Option<(i32, String)> = sqlx::query_as(
                "SELECT seconds, state FROM last WHERE server = $1 AND username = $2",
            )
            .bind(server)
            .bind(user)
            .fetch_optional(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(row.map(|(seconds, status)| LastActivity {
                timestamp: i64::from(seconds),
                status,
            }))
        })
    }

    fn last_set<'a>(&'a self, owner: &'a str, last: &'a LastActivity) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let seconds = i32::try_from(last.timestamp).map_err(|_| {
                StoreError::Backend(format!(
                    "last activity time {} does not fit MongooseIM's 32-bit column",
                    last.timestamp
                ))
            })?;
            sqlx::query(
                "INSERT INTO last (server, username, seconds, state) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (server, username) DO UPDATE SET \
                 seconds = excluded.seconds, state = excluded.state",
            )
            .bind(server)
            .bind(user)
            .bind(seconds)
            .bind(&last.status)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(())
        })
    }

    fn last_list_domain<'a>(
        &'a self,
        domain: &'a str,
    ) -> StoreFuture<'a, Vec<(String, LastActivity)>> {
        Box::pin(async move {
            let rows: Vec<(String, i32, String)> = sqlx::query_as(
                "SELECT username, seconds, state FROM last WHERE server = $1 \
                 ORDER BY username COLLATE \"C\"",
            )
            .bind(domain)
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(rows
                .into_iter()
                .map(|(user, seconds, status)| {
                    (
                        user,
                        LastActivity {
                            timestamp: i64::from(seconds),
                            status,
                        },
                    )
                })
                .collect())
        })
    }

    fn last_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_user_rows(self, USER_ROWS, owner))
    }
}
