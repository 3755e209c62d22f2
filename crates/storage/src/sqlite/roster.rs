//! `impl RosterStore for SqliteStore`: rosters (`roster_items`, `roster_groups`,
//! `roster_versions`).

use meerkat_core::store::{Ask, RosterItem, RosterStore, StoreError, StoreFuture, Subscription};
use sqlx::{Sqlite, Transaction};

use super::{OwnerRows, begin_write, remove_owner};
use crate::SqliteStore;
use crate::error::{corrupt, db_err};

/// The owner's roster: groups, items, version.
pub(super) const OWNER_ROWS: OwnerRows = &[
    "DELETE FROM roster_groups WHERE owner = $1",
    "DELETE FROM roster_items WHERE owner = $1",
    "DELETE FROM roster_versions WHERE owner = $1",
];

/// One row of the roster join: contact, name, subscription, ask, group (NULL when the item
/// has no groups).
type RosterRow = (String, Option<String>, String, String, Option<String>);

/// The roster query (a macro so `concat!` keeps the full statements `&'static str`);
/// callers append a filter and the ordering.
macro_rules! roster_select {
    () => {
        "SELECT i.contact, i.name, i.subscription, i.ask, g.name \
         FROM roster_items i \
         LEFT JOIN roster_groups g ON g.owner = i.owner AND g.contact = i.contact "
    };
}

/// Folds join rows (ordered by contact, then group position) into items.
fn roster_items_from_rows(rows: Vec<RosterRow>) -> Result<Vec<RosterItem>, StoreError> {
    let mut items: Vec<RosterItem> = Vec::new();
    for (contact, name, subscription, ask, group) in rows {
        let same_item = items.last().is_some_and(|last| last.contact == contact);
        if !same_item {
            let subscription = match Subscription::parse(&subscription) {
                Some(Subscription::Remove) | None => {
                    return Err(corrupt("roster subscription", &subscription));
                }
                Some(s) => s,
            };
            let ask = Ask::parse(&ask).ok_or_else(|| corrupt("roster ask", &ask))?;
            items.push(RosterItem {
                contact,
                name,
                groups: Vec::new(),
                subscription,
                ask,
            });
        }
        if let (Some(group), Some(item)) = (group, items.last_mut()) {
            item.groups.push(group);
        }
    }
    Ok(items)
}

/// Bumps the owner's roster version inside `tx` and returns the new one.
async fn bump_roster_version(
    tx: &mut Transaction<'static, Sqlite>,
    owner: &str,
) -> Result<String, StoreError> {
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO roster_versions (owner, version) VALUES ($1, 1) \
         ON CONFLICT (owner) DO UPDATE SET version = roster_versions.version + 1 \
         RETURNING version",
    )
    .bind(owner)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(version.to_string())
}

impl RosterStore for SqliteStore {
    fn roster_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<RosterItem>> {
        Box::pin(async move {
            // One statement, so one consistent snapshot of items and groups.
            let rows: Vec<RosterRow> = sqlx::query_as(concat!(
                roster_select!(),
                "WHERE i.owner = $1 ORDER BY i.contact, g.position"
            ))
            .bind(owner)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            roster_items_from_rows(rows)
        })
    }

    fn roster_get_item<'a>(
        &'a self,
        owner: &'a str,
        contact: &'a str,
    ) -> StoreFuture<'a, Option<RosterItem>> {
        Box::pin(async move {
            let rows: Vec<RosterRow> = sqlx::query_as(concat!(
                roster_select!(),
                "WHERE i.owner = $1 AND i.contact = $2 ORDER BY g.position"
            ))
            .bind(owner)
            .bind(contact)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(roster_items_from_rows(rows)?.into_iter().next())
        })
    }

    fn roster_put_item<'a>(
        &'a self,
        owner: &'a str,
        item: &'a RosterItem,
    ) -> StoreFuture<'a, String> {
        Box::pin(async move {
            if item.subscription == Subscription::Remove {
                return Err(StoreError::Backend(format!(
                    "refusing to store roster item {:?} with subscription=\"remove\"",
                    item.contact
                )));
            }
            let mut tx = begin_write(self).await?;
            sqlx::query(
                "INSERT INTO roster_items (owner, contact, name, subscription, ask) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (owner, contact) DO UPDATE SET \
                 name = excluded.name, subscription = excluded.subscription, ask = excluded.ask",
            )
            .bind(owner)
            .bind(&item.contact)
            .bind(item.name.as_deref())
            .bind(item.subscription.as_str())
            .bind(item.ask.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            sqlx::query("DELETE FROM roster_groups WHERE owner = $1 AND contact = $2")
                .bind(owner)
                .bind(&item.contact)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            for (position, group) in (0_i64..).zip(&item.groups) {
                sqlx::query(
                    "INSERT INTO roster_groups (owner, contact, position, name) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(owner)
                .bind(&item.contact)
                .bind(position)
                .bind(group)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            let version = bump_roster_version(&mut tx, owner).await?;
            tx.commit().await.map_err(db_err)?;
            Ok(version)
        })
    }

    fn roster_delete_item<'a>(
        &'a self,
        owner: &'a str,
        contact: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let mut tx = begin_write(self).await?;
            // The foreign key would cascade, but say it explicitly rather than rely on the
            // foreign_keys pragma.
            sqlx::query("DELETE FROM roster_groups WHERE owner = $1 AND contact = $2")
                .bind(owner)
                .bind(contact)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            let deleted = sqlx::query("DELETE FROM roster_items WHERE owner = $1 AND contact = $2")
                .bind(owner)
                .bind(contact)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
            if deleted == 0 {
                // Nothing changed, so the version stays.
                tx.rollback().await.map_err(db_err)?;
                return Ok(None);
            }
            let version = bump_roster_version(&mut tx, owner).await?;
            tx.commit().await.map_err(db_err)?;
            Ok(Some(version))
        })
    }

    fn roster_version<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, String> {
        Box::pin(async move {
            let version: Option<i64> =
                sqlx::query_scalar("SELECT version FROM roster_versions WHERE owner = $1")
                    .bind(owner)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
            Ok(version.unwrap_or(0).to_string())
        })
    }

    fn roster_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_owner(self, OWNER_ROWS, owner))
    }
}
