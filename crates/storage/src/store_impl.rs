//! `impl Store for SqliteStore`: the SQL.
//!
//! Statements use `$n` placeholders, `ON CONFLICT` upserts and `RETURNING`, all of which
//! PostgreSQL understands too. Multi-statement changes run in `BEGIN IMMEDIATE`
//! transactions: taking SQLite's write lock up front means the busy timeout applies to it,
//! whereas a deferred transaction that reads before writing can fail with `SQLITE_BUSY`
//! immediately when another connection wrote in between.

use std::time::{SystemTime, UNIX_EPOCH};

use meerkat_core::store::{
    Ask, DomainStatus, DynamicDomain, LastActivity, OfflineMessage, RosterItem, Store, StoreError,
    StoreFuture, Subscription,
};
use sqlx::{Sqlite, Transaction};

use crate::SqliteStore;
use crate::error::{corrupt, count, db_err};

/// Starts a write transaction holding SQLite's write lock.
async fn begin_write(store: &SqliteStore) -> Result<Transaction<'static, Sqlite>, StoreError> {
    store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(db_err)
}

/// Unix time now, in seconds (0 if the clock is before 1970).
fn unix_now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The `user@domain` owner key of an account.
fn owner_of(domain: &str, user: &str) -> String {
    format!("{user}@{domain}")
}

/// The domain part of an owner key.
fn domain_of(owner: &str) -> Result<&str, StoreError> {
    match owner.rsplit_once('@') {
        Some((user, domain)) if !user.is_empty() && !domain.is_empty() => Ok(domain),
        _ => Err(StoreError::Backend(format!(
            "owner {owner:?} is not of the form user@domain"
        ))),
    }
}

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

/// A `domains` row as a [`DynamicDomain`].
fn domain_from_row(
    (domain, host_type, status): (String, String, String),
) -> Result<DynamicDomain, StoreError> {
    let status = DomainStatus::parse(&status).ok_or_else(|| corrupt("domain status", &status))?;
    Ok(DynamicDomain {
        domain,
        host_type,
        status,
    })
}

/// Columns of `offline_messages` as read back.
type OfflineRow = (i64, String, String, String, i64, Option<i64>);

impl Store for SqliteStore {
    // ---- accounts

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
            for sql in [
                "DELETE FROM roster_groups WHERE owner = $1",
                "DELETE FROM roster_items WHERE owner = $1",
                "DELETE FROM roster_versions WHERE owner = $1",
                "DELETE FROM offline_messages WHERE owner = $1",
                "DELETE FROM vcards WHERE owner = $1",
                "DELETE FROM private_storage WHERE owner = $1",
                "DELETE FROM last_activity WHERE owner = $1",
                "DELETE FROM auth_tokens WHERE owner = $1",
            ] {
                sqlx::query(sql)
                    .bind(&owner)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
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
            sqlx::query_scalar("SELECT username FROM users WHERE domain = $1 ORDER BY username")
                .bind(domain)
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

    // ---- roster

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

    // ---- offline messages

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

    // ---- vcard, private storage, last activity

    fn vcard_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT xml FROM vcards WHERE owner = $1")
                .bind(owner)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn vcard_set<'a>(&'a self, owner: &'a str, xml: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO vcards (owner, xml) VALUES ($1, $2) \
                 ON CONFLICT (owner) DO UPDATE SET xml = excluded.xml",
            )
            .bind(owner)
            .bind(xml)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    fn private_get<'a>(
        &'a self,
        owner: &'a str,
        namespace: &'a str,
    ) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar(
                "SELECT xml FROM private_storage WHERE owner = $1 AND namespace = $2",
            )
            .bind(owner)
            .bind(namespace)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)
        })
    }

    fn private_set<'a>(
        &'a self,
        owner: &'a str,
        namespace: &'a str,
        xml: &'a str,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO private_storage (owner, namespace, xml) VALUES ($1, $2, $3) \
                 ON CONFLICT (owner, namespace) DO UPDATE SET xml = excluded.xml",
            )
            .bind(owner)
            .bind(namespace)
            .bind(xml)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

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
    // ---- dynamic domains, domain admins, auth tokens, GDPR export

    fn domain_insert<'a>(&'a self, domain: &'a str, host_type: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query(
                "INSERT INTO domains (domain, host_type, status) VALUES ($1, $2, 'enabled') \
                 ON CONFLICT (domain) DO NOTHING",
            )
            .bind(domain)
            .bind(host_type)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(done.rows_affected() == 1)
        })
    }

    fn domain_get<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Option<DynamicDomain>> {
        Box::pin(async move {
            let row: Option<(String, String, String)> =
                sqlx::query_as("SELECT domain, host_type, status FROM domains WHERE domain = $1")
                    .bind(domain)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
            row.map(domain_from_row).transpose()
        })
    }

    fn domain_list(&self) -> StoreFuture<'_, Vec<DynamicDomain>> {
        Box::pin(async move {
            let rows: Vec<(String, String, String)> =
                sqlx::query_as("SELECT domain, host_type, status FROM domains ORDER BY domain")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
            rows.into_iter().map(domain_from_row).collect()
        })
    }

    fn domain_set_status<'a>(
        &'a self,
        domain: &'a str,
        status: DomainStatus,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("UPDATE domains SET status = $2 WHERE domain = $1")
                .bind(domain)
                .bind(status.as_str())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn domain_delete<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM domains WHERE domain = $1")
                .bind(domain)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    }

    fn domain_admin_get<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(async move {
            sqlx::query_scalar("SELECT password FROM domain_admins WHERE domain = $1")
                .bind(domain)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)
        })
    }

    fn domain_admin_set<'a>(&'a self, domain: &'a str, password: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO domain_admins (domain, password) VALUES ($1, $2) \
                 ON CONFLICT (domain) DO UPDATE SET password = excluded.password",
            )
            .bind(domain)
            .bind(password)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    fn domain_admin_delete<'a>(&'a self, domain: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let done = sqlx::query("DELETE FROM domain_admins WHERE domain = $1")
                .bind(domain)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected() > 0)
        })
    }

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

    fn secret_get_or_insert<'a>(
        &'a self,
        name: &'a str,
        value: &'a str,
    ) -> StoreFuture<'a, String> {
        Box::pin(async move {
            sqlx::query_scalar(
                "INSERT INTO server_secrets (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = server_secrets.value \
                 RETURNING value",
            )
            .bind(name)
            .bind(value)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
        })
    }

    fn private_list<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Vec<(String, String)>> {
        Box::pin(async move {
            sqlx::query_as(
                "SELECT namespace, xml FROM private_storage WHERE owner = $1 ORDER BY namespace",
            )
            .bind(owner)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)
        })
    }
    // ---- end of dynamic domains, domain admins, auth tokens, GDPR export

    // ---- last activity per domain (admin API `last` category)
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
    // ---- end of last activity per domain
}
