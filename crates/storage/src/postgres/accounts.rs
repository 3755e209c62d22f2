//! `impl AccountStore for PgStore`: MongooseIM's `users` table. The core's stored-password
//! string is kept in MongooseIM's two columns (see `meerkat_xmpp::scram::mongooseim`), so
//! accounts move between the two servers with their passwords.

use meerkat_core::store::{AccountStore, StoreError, StoreFuture};
use meerkat_xmpp::scram::{StoredPassword, mongooseim};

use super::{AREAS_USER_ROWS, PgStore, delete_user_rows};
use crate::error::count;

/// The core's stored-password string as MongooseIM's `(password, pass_details)`.
pub(super) fn password_columns(stored: &str) -> Result<(String, Option<String>), StoreError> {
    let parsed = StoredPassword::from_storage_string(stored)
        .map_err(|e| StoreError::Backend(format!("not a stored-password string: {e}")))?;
    mongooseim::to_columns(&parsed)
        .map_err(|e| StoreError::Backend(format!("password cannot be stored: {e}")))
}

/// MongooseIM's columns as the core's stored-password string.
pub(super) fn password_from_columns(
    password: &str,
    details: Option<&str>,
) -> Result<String, StoreError> {
    mongooseim::from_columns(password, details)
        .map(|p| p.to_storage_string())
        .map_err(|e| StoreError::Corrupt(format!("stored password: {e}")))
}

impl AccountStore for PgStore {
    fn create_user<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
        password: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let (plain, details) = password_columns(password)?;
            let done = sqlx::query(
                "INSERT INTO users (server, username, password, pass_details) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (server, username) DO NOTHING",
            )
            .bind(domain)
            .bind(user)
            .bind(plain)
            .bind(details)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn remove_user<'a>(&'a self, domain: &'a str, user: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let owner = format!("{user}@{domain}");
            self.forget_mam_user(&owner);
            let mut tx = self.db()?.begin().await.map_err(|e| self.fail(e))?;
            let existed = sqlx::query("DELETE FROM users WHERE server = $1 AND username = $2")
                .bind(domain)
                .bind(user)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.fail(e))?
                .rows_affected()
                > 0;
            for rows in AREAS_USER_ROWS {
                delete_user_rows(&mut tx, rows, &owner).await?;
            }
            tx.commit().await.map_err(|e| self.fail(e))?;
            Ok(existed)
        })
    }

    fn get_password<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let row: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT password, pass_details FROM users WHERE server = $1 AND username = $2",
            )
            .bind(domain)
            .bind(user)
            .fetch_optional(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            row.map(|(p, d)| password_from_columns(&p, d.as_deref()))
                .transpose()
        })
    }

    fn set_password<'a>(
        &'a self,
        domain: &'a str,
        user: &'a str,
        password: &'a str,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let (plain, details) = password_columns(password)?;
            let done = sqlx::query(
                "UPDATE users SET password = $3, pass_details = $4 \
                 WHERE server = $1 AND username = $2",
            )
            .bind(domain)
            .bind(user)
            .bind(plain)
            .bind(details)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn list_users<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Vec<String>> {
        Box::pin(async move {
            sqlx::query_scalar(
                "SELECT username FROM users WHERE server = $1 ORDER BY username COLLATE \"C\"",
            )
            .bind(domain)
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))
        })
    }

    fn user_domains(&self) -> StoreFuture<'_, Vec<String>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT DISTINCT server COLLATE \"C\" AS s FROM users ORDER BY s")
                .fetch_all(self.db()?)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn count_users<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE server = $1")
                .bind(domain)
                .fetch_one(self.db()?)
                .await
                .map_err(|e| self.fail(e))?;
            count(n)
        })
    }
}
