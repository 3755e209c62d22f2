//! `impl RosterStore for PgStore`: MongooseIM's `rosterusers`, `rostergroups` and
//! `roster_version`.
//!
//! MongooseIM keeps a roster item's groups as a set (one row per group, no order), so they
//! come back sorted by name; RFC 6121 gives their order no meaning. A name is `nick`, with
//! `''` for none.

use std::collections::BTreeSet;

use meerkat_core::store::{Ask, RosterItem, RosterStore, StoreError, StoreFuture, Subscription};
use sqlx::{Postgres, Transaction};

use super::{PgStore, UserRows, remove_user_rows, split_owner};
use crate::error::{corrupt, db_err};

/// The user's roster: groups, items, version.
pub(super) const USER_ROWS: UserRows = &[
    "DELETE FROM rostergroups WHERE server = $1 AND username = $2",
    "DELETE FROM rosterusers WHERE server = $1 AND username = $2",
    "DELETE FROM roster_version WHERE server = $1 AND username = $2",
];

fn subscription_code(s: Subscription) -> &'static str {
    match s {
        Subscription::Both => "B",
        Subscription::To => "T",
        Subscription::From => "F",
        Subscription::None | Subscription::Remove => "N",
    }
}

fn parse_subscription(code: &str) -> Result<Subscription, StoreError> {
    Ok(match code {
        "B" => Subscription::Both,
        "T" => Subscription::To,
        "F" => Subscription::From,
        "N" => Subscription::None,
        other => return Err(corrupt("roster subscription", other)),
    })
}

fn ask_code(a: Ask) -> &'static str {
    match a {
        Ask::None => "N",
        Ask::Out => "O",
        Ask::In => "I",
        Ask::Both => "B",
    }
}

/// MongooseIM also writes `S` (subscribe: a request out) and `U` (unsubscribe, nothing
/// pending afterwards).
fn parse_ask(code: &str) -> Result<Ask, StoreError> {
    Ok(match code {
        "N" | "U" => Ask::None,
        "O" | "S" => Ask::Out,
        "I" => Ask::In,
        "B" => Ask::Both,
        other => return Err(corrupt("roster ask", other)),
    })
}

/// contact, nick, subscription, ask, group (NULL when the item has no groups).
type RosterRow = (String, String, String, String, Option<String>);

macro_rules! roster_select {
    () => {
        "SELECT r.jid, r.nick, r.subscription, r.ask, g.grp \
         FROM rosterusers r \
         LEFT JOIN rostergroups g \
           ON g.server = r.server AND g.username = r.username AND g.jid = r.jid \
         WHERE r.server = $1 AND r.username = $2 "
    };
}

fn items_from_rows(rows: Vec<RosterRow>) -> Result<Vec<RosterItem>, StoreError> {
    let mut items: Vec<RosterItem> = Vec::new();
    for (contact, nick, subscription, ask, group) in rows {
        if items.last().is_none_or(|last| last.contact != contact) {
            items.push(RosterItem {
                contact,
                name: (!nick.is_empty()).then_some(nick),
                groups: Vec::new(),
                subscription: parse_subscription(subscription.trim_end())?,
                ask: parse_ask(ask.trim_end())?,
            });
        }
        if let (Some(group), Some(item)) = (group, items.last_mut()) {
            item.groups.push(group);
        }
    }
    Ok(items)
}

/// Bumps the user's roster version inside `tx`. MongooseIM writes opaque version strings;
/// a decimal one counts up, anything else starts the count afresh.
async fn bump_version(
    tx: &mut Transaction<'static, Postgres>,
    server: &str,
    user: &str,
) -> Result<String, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO roster_version (server, username, version) VALUES ($1, $2, '1') \
         ON CONFLICT (server, username) DO UPDATE SET version = \
           CASE WHEN roster_version.version ~ '^[0-9]{1,18}$' \
                THEN (roster_version.version::bigint + 1)::text \
                ELSE '1' END \
         RETURNING version",
    )
    .bind(server)
    .bind(user)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)
}

impl RosterStore for PgStore {
    fn roster_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<RosterItem>> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let rows: Vec<RosterRow> = sqlx::query_as(concat!(
                roster_select!(),
                "ORDER BY r.jid COLLATE \"C\", g.grp COLLATE \"C\""
            ))
            .bind(server)
            .bind(user)
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            items_from_rows(rows)
        })
    }

    fn roster_get_item<'a>(
        &'a self,
        owner: &'a str,
        contact: &'a str,
    ) -> StoreFuture<'a, Option<RosterItem>> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let rows: Vec<RosterRow> = sqlx::query_as(concat!(
                roster_select!(),
                "AND r.jid = $3 ORDER BY g.grp COLLATE \"C\""
            ))
            .bind(server)
            .bind(user)
            .bind(contact)
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(items_from_rows(rows)?.into_iter().next())
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
            let (server, user) = split_owner(owner)?;
            let mut tx = self.db()?.begin().await.map_err(|e| self.fail(e))?;
            sqlx::query(
                "INSERT INTO rosterusers \
                 (server, username, jid, nick, subscription, ask, askmessage) \
                 VALUES ($1, $2, $3, $4, $5, $6, '') \
                 ON CONFLICT (server, username, jid) DO UPDATE SET \
                 nick = excluded.nick, subscription = excluded.subscription, \
                 ask = excluded.ask",
            )
            .bind(server)
            .bind(user)
            .bind(&item.contact)
            .bind(item.name.as_deref().unwrap_or(""))
            .bind(subscription_code(item.subscription))
            .bind(ask_code(item.ask))
            .execute(&mut *tx)
            .await
            .map_err(|e| self.fail(e))?;
            sqlx::query(
                "DELETE FROM rostergroups WHERE server = $1 AND username = $2 AND jid = $3",
            )
            .bind(server)
            .bind(user)
            .bind(&item.contact)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.fail(e))?;
            let groups: BTreeSet<&str> = item.groups.iter().map(String::as_str).collect();
            if !groups.is_empty() {
                let groups: Vec<&str> = groups.into_iter().collect();
                sqlx::query(
                    "INSERT INTO rostergroups (server, username, jid, grp) \
                     SELECT $1, $2, $3, g FROM UNNEST($4::text[]) AS g",
                )
                .bind(server)
                .bind(user)
                .bind(&item.contact)
                .bind(groups)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.fail(e))?;
            }
            let version = bump_version(&mut tx, server, user).await?;
            tx.commit().await.map_err(|e| self.fail(e))?;
            Ok(version)
        })
    }

    fn roster_delete_item<'a>(
        &'a self,
        owner: &'a str,
        contact: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let mut tx = self.db()?.begin().await.map_err(|e| self.fail(e))?;
            sqlx::query(
                "DELETE FROM rostergroups WHERE server = $1 AND username = $2 AND jid = $3",
            )
            .bind(server)
            .bind(user)
            .bind(contact)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.fail(e))?;
            let deleted = sqlx::query(
                "DELETE FROM rosterusers WHERE server = $1 AND username = $2 AND jid = $3",
            )
            .bind(server)
            .bind(user)
            .bind(contact)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.fail(e))?
            .rows_affected();
            if deleted == 0 {
                tx.rollback().await.map_err(|e| self.fail(e))?;
                return Ok(None);
            }
            let version = bump_version(&mut tx, server, user).await?;
            tx.commit().await.map_err(|e| self.fail(e))?;
            Ok(Some(version))
        })
    }

    fn roster_version<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, String> {
        Box::pin(async move {
            let (server, user) = split_owner(owner)?;
            let version: Option<String> = sqlx::query_scalar(
                "SELECT version FROM roster_version WHERE server = $1 AND username = $2",
            )
            .bind(server)
            .bind(user)
            .fetch_optional(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(version.unwrap_or_else(|| "0".to_owned()))
        })
    }

    fn roster_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_user_rows(self, USER_ROWS, owner))
    }
}
