//! `impl AccountStore for SqliteStore`: accounts (`users`). Removing one removes the
//! user's data of every area (`AREAS_OWNER_ROWS`) in the same transaction.

use meerkat_core::store::{AccountStore, StoreFuture};

use super::{AREAS_OWNER_ROWS, begin_write, delete_owner_rows, owner_of, unix_now_secs};
use crate::SqliteStore;
use crate::error::{count, db_err};

impl AccountStore for SqliteStore {
    fn create_user<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
        password: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query(
                "INSERT INTO users (domain, username, password, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (domain, username) DO NOTHING",
            )
            .bind(domain)
            .bind(user)
            .bind(password)
            .bind(unix_now_secs())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn remove_user<'a>(&'a self, domain: &'a str, user: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let owner = owner_of(domain, user);
            // One transaction: the account and the data of every area go together.
            let mut tx = begin_write(self).await?;
            let existed = sqlx::query("DELETE FROM users WHERE domain = $1 AND username = $2")
                .bind(domain)
                .bind(user)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected()
                > 0;
            // Also run when the account is gone already: leftovers of an owner without an
            // account are garbage either way.
            for rows in AREAS_OWNER_ROWS {
                delete_owner_rows(&mut tx, rows, &owner).await?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(existed)
        })
    }

    fn get_password<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT password FROM users WHERE domain = $1 AND username = $2")
                .bind(domain)
                .bind(user)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn set_password<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
        password: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done =
                sqlx::query("UPDATE users SET password = $3 WHERE domain = $1 AND username = $2")
                    .bind(domain)
                    .bind(user)
                    .bind(password)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn list_users<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Vec<String>> {
        Box::pin(async move {
            // One row with the names joined by newlines instead of one row per user:
            // sqlx's SQLite driver hands each row from its worker thread to the task
            // separately, which made a 100-user list cost ~150 µs of CPU (bench/results/
            // 2026-12-05-rest.md). A user name (nodeprep) never holds a control character.
            let joined: Option<String> = sqlx::query_scalar(
                "SELECT group_concat(username, char(10) ORDER BY username) \
                 FROM users WHERE domain = $1",
            )
            .bind(domain)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(joined
                .map(|j| j.split('\n').map(str::to_owned).collect())
                .unwrap_or_default())
        })
    }

    fn user_domains(&self) -> StoreFuture<'_, Vec<String>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT DISTINCT domain FROM users ORDER BY domain")
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn count_users<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE domain = $1")
                .bind(domain)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            count(n)
        })
    }
}
