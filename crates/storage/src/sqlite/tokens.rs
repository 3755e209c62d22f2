//! `impl TokenStore for SqliteStore`: auth-token sequence numbers (`auth_tokens`).

use meerkat_core::store::{StoreFuture, TokenStore};

use super::{OwnerRows, remove_owner};
use crate::SqliteStore;
use crate::error::db_err;

/// The owner's sequence number.
pub(super) const OWNER_ROWS: OwnerRows = &["DELETE FROM auth_tokens WHERE owner = $1"];

impl TokenStore for SqliteStore {
    fn auth_token_seq<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<i64>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT seq_no FROM auth_tokens WHERE owner = $1")
                .bind(owner)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn auth_token_seq_init<'a>(&'a self, owner: &'a str, initial: i64) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            // The no-op update makes RETURNING yield the existing row on conflict.
            sqlx::query_scalar(
                "INSERT INTO auth_tokens (owner, seq_no) VALUES ($1, $2) \
                 ON CONFLICT (owner) DO UPDATE SET seq_no = auth_tokens.seq_no \
                 RETURNING seq_no",
            )
            .bind(owner)
            .bind(initial)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
        })
    }

    fn auth_token_revoke<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("UPDATE auth_tokens SET seq_no = seq_no + 1 WHERE owner = $1")
                .bind(owner)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn auth_token_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_owner(self, OWNER_ROWS, owner))
    }
}
