//! `impl OfflineStore for SqliteStore`: offline messages (`offline_messages`).

use meerkat_core::store::{OfflineMessage, OfflineStore, StoreFuture};

use super::{OwnerRows, begin_write, domain_of, remove_owner};
use crate::SqliteStore;
use crate::error::{count, db_err};

/// The messages held for the owner.
pub(super) const OWNER_ROWS: OwnerRows = &["DELETE FROM offline_messages WHERE owner = $1"];

/// Columns of `offline_messages` as read back.
type OfflineRow = (i64, String, String, String, i64, Option<i64>);

impl OfflineStore for SqliteStore {
    fn offline_push<'a>(&'a self, owner: &'a str, msg: &'a OfflineMessage) -> StoreFuture<'a, i64> {
        Box::pin(async move {
            let domain = domain_of(owner)?;
            // A single autocommit statement: when it returns, the row is committed (see
            // the `synchronous` note in `SqliteStore::open` for what that guarantees).
            sqlx::query_scalar(
                "INSERT INTO offline_messages \
                 (owner, domain, from_jid, to_jid, packet, timestamp_us, expire_us) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(owner)
            .bind(domain)
            .bind(&msg.from)
            .bind(&msg.to)
            .bind(&msg.packet)
            .bind(msg.timestamp_us)
            .bind(msg.expire_us)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
        })
    }

    fn offline_peek<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<OfflineMessage>> {
        Box::pin(async move {
            let rows: Vec<OfflineRow> = sqlx::query_as(
                "SELECT id, from_jid, to_jid, packet, timestamp_us, expire_us \
                 FROM offline_messages WHERE owner = $1 ORDER BY id",
            )
            .bind(owner)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(rows
                .into_iter()
                .map(
                    |(id, from, to, packet, timestamp_us, expire_us)| OfflineMessage {
                        id,
                        from,
                        to,
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
            let done = sqlx::query("DELETE FROM offline_messages WHERE owner = $1 AND id <= $2")
                .bind(owner)
                .bind(up_to_id)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected())
        })
    }

    fn offline_remove_ids<'a>(&'a self, owner: &'a str, ids: &'a [i64]) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let mut tx = begin_write(self).await?;
            let mut removed = 0;
            for id in ids {
                removed += sqlx::query("DELETE FROM offline_messages WHERE owner = $1 AND id = $2")
                    .bind(owner)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
            }
            tx.commit().await.map_err(db_err)?;
            Ok(removed)
        })
    }

    fn offline_bytes<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            // Bytes, not characters: the length of the UTF-8 text as a blob (PostgreSQL
            // would say `octet_length(packet)`).
            let n: i64 = sqlx::query_scalar(
                "SELECT COALESCE(SUM(LENGTH(CAST(packet AS BLOB))), 0) \
                 FROM offline_messages WHERE owner = $1",
            )
            .bind(owner)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
            count(n)
        })
    }

    fn offline_count<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let n: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM offline_messages WHERE owner = $1")
                    .bind(owner)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
            count(n)
        })
    }

    fn offline_remove_expired<'a>(&'a self, domain: &'a str, now_us: i64) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            // `expire_us < $2` is NULL (false) for messages without an expiry.
            let done =
                sqlx::query("DELETE FROM offline_messages WHERE domain = $1 AND expire_us < $2")
                    .bind(domain)
                    .bind(now_us)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
            Ok(done.rows_affected())
        })
    }

    fn offline_remove_older<'a>(&'a self, domain: &'a str, before_us: i64) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let done =
                sqlx::query("DELETE FROM offline_messages WHERE domain = $1 AND timestamp_us < $2")
                    .bind(domain)
                    .bind(before_us)
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
            Ok(done.rows_affected())
        })
    }

    fn offline_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_owner(self, OWNER_ROWS, owner))
    }
}
