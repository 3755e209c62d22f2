//! `impl TokenStore for PgStore`: MongooseIM's `auth_token` (keyed by the bare JID).

use meerkat_core::store::{StoreFuture, TokenStore};

use super::{PgStore, UserRows, remove_user_rows};

/// The user's token sequence number.
pub(super) const USER_ROWS: UserRows = &["DELETE FROM auth_token WHERE owner = $2 || '@' || $1"];

impl TokenStore for PgStore {
    fn auth_token_seq<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<i64>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT seq_no FROM auth_token WHERE owner = $1")
                .bind(owner)
                .fetch_optional(self.db()?)
                .await
                .map_err(|e| self.fail(e))
        })
    }

    fn auth_token_seq_init<'a>(&'a self, owner: &'a str, initial: i64) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO auth_token (owner, seq_no) VALUES ($1, $2) \
                 ON CONFLICT (owner) DO UPDATE SET seq_no = auth_token.seq_no \
                 RETURNING seq_no",
            )
            .bind(owner)
            .bind(initial)
            .fetch_one(self.db()?)
            .await
            .map_err(|e| self.fail(e))
        })
    }

    fn auth_token_revoke<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("UPDATE auth_token SET seq_no = seq_no + 1 WHERE owner = $1")
                .bind(owner)
                .execute(self.db()?)
                .await
                .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn auth_token_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_user_rows(self, USER_ROWS, owner))
    }
}
