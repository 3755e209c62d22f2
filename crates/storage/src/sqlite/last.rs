//! `impl LastStore for SqliteStore`: last activity (`last_activity`).

use meerkat_core::store::{LastActivity, LastStore, StoreFuture};

use super::{OwnerRows, remove_owner};
use crate::SqliteStore;
use crate::error::db_err;

/// The owner's last activity.
pub(super) const OWNER_ROWS: OwnerRows = &["DELETE FROM last_activity WHERE owner = $1"];

impl LastStore for SqliteStore {
    fn last_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<LastActivity>> {
        Box::pin(async move {
            let row: Option<(i64, String)> =
                sqlx::query_as("SELECT timestamp, status FROM last_activity WHERE owner = $1")
                    .bind(owner)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
            Ok(row.map(|(timestamp, status)| LastActivity { timestamp, status }))
        })
    }

    fn last_set<'a>(&'a self, owner: &'a str, last: &'a LastActivity) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO last_activity (owner, timestamp, status) VALUES ($1, $2, $3) \
                 ON CONFLICT (owner) DO UPDATE SET \
                 timestamp = excluded.timestamp, status = excluded.status",
            )
            .bind(owner)
            .bind(last.timestamp)
            .bind(&last.status)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    fn last_list_domain<'a>(
        &'a self,
        domain: &'a str,
    ) -> StoreFuture<'a, Vec<(String, LastActivity)>> {
        Box::pin(async move {
            // Owners are "user@domain": match the "@domain" suffix exactly (no LIKE, whose
            // wildcards a domain name could contain).
            let rows: Vec<(String, i64, String)> = sqlx::query_as(
                "SELECT owner, timestamp, status FROM last_activity \
                 WHERE substr(owner, length(owner) - length($1)) = '@' || $1",
            )
            .bind(domain)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            let suffix_len = domain.len() + 1;
            let mut out: Vec<(String, LastActivity)> = rows
                .into_iter()
                .filter_map(|(owner, timestamp, status)| {
                    let user = owner.get(..owner.len().checked_sub(suffix_len)?)?;
                    Some((user.to_owned(), LastActivity { timestamp, status }))
                })
                .collect();
            // "a2@d" sorts before "a@d": order by the local part itself.
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(out)
        })
    }

    fn last_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_owner(self, OWNER_ROWS, owner))
    }
}
