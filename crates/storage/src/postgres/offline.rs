//! `impl OfflineStore for PgStore`: MongooseIM's `offline_message`. MongooseIM does not
//! keep the recipient (it is the owner), so `to` reads back as the owner's bare JID;
//! `permanent_fields` (Erlang terms) is left NULL, which MongooseIM reads as none.

use meerkat_core::store::{OfflineMessage, OfflineStore, StoreFuture};

use super::{PgStore, UserRows, remove_user_rows, split_owner};
use crate::error::count;

/// The messages held for the user.
pub(super) const USER_ROWS: UserRows =
    &["DELETE FROM offline_message WHERE server = $1 AND username = $2"];

/// id, from, packet, timestamp, expire.
type OfflineRow = (i64, String, String, i64, Option<i64>);

impl OfflineStore for PgStore {
    fn offline_push<'a>(&'a self, owner: &'a str, msg: &'a OfflineMessage) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            // One autocommit statement: committed (and, with PostgreSQL's default
            // synchronous_commit, flushed to its WAL) when it returns.
            sqlx::query_scalar(
                "INSERT INTO offline_message \
                 (server, username, timestamp, expire, from_jid, packet) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::bigint",
            )
            .bind(server)
            .bind(user)
            .bind(msg.timestamp_us)
            .bind(msg.expire_us)
            .bind(&msg.from)
            .bind(&msg.packet)
            .fetch_one(self.db()?)
            .await
            .map_err(|e| self.fail(e))
        })
    }

    fn offline_peek<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<OfflineMessage>> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let rows: Vec<OfflineRow> = sqlx::query_as(
                "SELECT id::bigint, from_jid, packet, timestamp, expire FROM offline_message \
                 WHERE server = $1 AND username = $2 ORDER BY id",
            )
            .bind(server)
            .bind(user)
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(rows
                .into_iter()
                .map(
                    |(id, from, packet, timestamp_us, expire_us)| OfflineMessage {
                        id,
                        from,
                        to: owner.to_owned(),
                        packet,
                        timestamp_us,
                        expire_us,
                    },
                )
                .collect())
        })
    }

    fn offline_remove<'a>(&'a self, owner: &'a str, up_to_id: i64) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let done = sqlx::query(
                "DELETE FROM offline_message WHERE server = $1 AND username = $2 AND id <= $3",
            )
            .bind(server)
            .bind(user)
            .bind(up_to_id)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected())
        })
    }

    fn offline_remove_ids<'a>(&'a self, owner: &'a str, ids: &'a [i64]) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let done = sqlx::query(
                "DELETE FROM offline_message \
                 WHERE server = $1 AND username = $2 AND id = ANY($3::bigint[])",
            )
            .bind(server)
            .bind(user)
            .bind(ids)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected())
        })
    }

    fn offline_count<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM offline_message WHERE server = $1 AND username = $2",
            )
            .bind(server)
            .bind(user)
            .fetch_one(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            count(n)
        })
    }

    fn offline_bytes<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let n: i64 = sqlx::query_scalar(
                "SELECT COALESCE(SUM(octet_length(packet)), 0)::bigint FROM offline_message \
                 WHERE server = $1 AND username = $2",
            )
            .bind(server)
            .bind(user)
            .fetch_one(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            count(n)
        })
    }

    fn offline_remove_expired<'a>(&'a self, domain: &'a str, now_us: i64) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let done = sqlx::query(
                "DELETE FROM offline_message \
                 WHERE server = $1 AND expire IS NOT NULL AND expire < $2",
            )
            .bind(domain)
            .bind(now_us)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected())
        })
    }

    fn offline_remove_older<'a>(&'a self, domain: &'a str, before_us: i64) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let done =
                sqlx::query("DELETE FROM offline_message WHERE server = $1 AND timestamp < $2")
                    .bind(domain)
                    .bind(before_us)
                    .execute(self.db()?)
                    .await
                    .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected())
        })
    }

    fn offline_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_user_rows(self, USER_ROWS, owner))
    }
}
