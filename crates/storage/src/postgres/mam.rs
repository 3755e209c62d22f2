//! `impl MamStore for PgStore`: MongooseIM's `mam_message`, `mam_config` and
//! `mam_server_user` (archive owners by number), with `db_message_format =
//! "mam_message_xml"` (the stanza's XML in `message`).

use meerkat_core::store::{
    ArchivedMessage, Direction, MamFilter, MamPage, MamPrefs, MamStore, PageStart, StoreError,
    StoreFuture,
};
use sqlx::{Postgres, QueryBuilder};

use super::{PgStore, UserRows, remove_user_rows, split_owner};
use crate::error::{corrupt, count};
use crate::mam_page::{PagePlan, known_first_index};

/// The user's archive, preferences and number.
pub(super) const USER_ROWS: UserRows = &[
    "DELETE FROM mam_message WHERE user_id IN \
     (SELECT id FROM mam_server_user WHERE server = $1 AND user_name = $2)",
    "DELETE FROM mam_config WHERE user_id IN \
     (SELECT id FROM mam_server_user WHERE server = $1 AND user_name = $2)",
    "DELETE FROM mam_server_user WHERE server = $1 AND user_name = $2",
];

const COLUMNS: &str = "SELECT id, remote_bare_jid, remote_resource, direction::text, \
                       from_jid, origin_id, search_body, message FROM mam_message WHERE ";

type Row = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Vec<u8>,
);

fn message(
    (id, remote_bare, remote_resource, dir, from, origin_id, search_body, xml): Row,
) -> Result<ArchivedMessage, StoreError> {
    let direction = match dir.as_str() {
        "I" => Direction::Incoming,
        "O" => Direction::Outgoing,
        other => return Err(corrupt("archive direction", other)),
    };
    let xml = String::from_utf8(xml)
        .map_err(|_| StoreError::Corrupt(format!("archived message {id} is not UTF-8 XML")))?;
    Ok(ArchivedMessage {
        id,
        remote_bare,
        remote_resource,
        direction,
        from,
        origin_id,
        search_body,
        xml,
    })
}

/// `user_id = ? AND` the filter's conditions.
fn push_filter(q: &mut QueryBuilder<Postgres>, user_id: i32, f: &MamFilter) {
    q.push("user_id = ").push_bind(user_id);
    if let Some(bare) = &f.with_bare {
        q.push(" AND remote_bare_jid = ").push_bind(bare.clone());
    }
    if let Some(res) = &f.with_resource {
        q.push(" AND remote_resource = ").push_bind(res.clone());
    }
    if let Some(min) = f.min_id {
        q.push(" AND id >= ").push_bind(min);
    }
    if let Some(max) = f.max_id {
        q.push(" AND id <= ").push_bind(max);
    }
    if let Some(ids) = &f.ids {
        q.push(" AND id = ANY(").push_bind(ids.clone()).push(")");
    }
    for w in &f.words {
        q.push(" AND strpos(search_body, ")
            .push_bind(w.clone())
            .push(") > 0");
    }
}

impl PgStore {
    /// The archive number of `owner`, made on first use when `create`.
    async fn mam_user_id(&self, owner: &str, create: bool) -> Result<Option<i32>, StoreError> {
        if let Some(id) = self.mam_ids_cache().get(owner) {
            return Ok(Some(*id));
        }
        let found = self.mam_user_id_uncached(owner, create).await?;
        if let Some(id) = found {
            let mut cache = self.mam_ids_cache();
            // Bounded: start over rather than grow without end.
            if cache.len() >= 100_000 {
                cache.clear();
            }
            cache.insert(owner.to_owned(), id);
        }
        Ok(found)
    }

    fn mam_ids_cache(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, i32>> {
        self.mam_ids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the cached number of `owner` (its archive is being removed).
    pub(super) fn forget_mam_user(&self, owner: &str) {
        self.mam_ids_cache().remove(owner);
    }

    async fn mam_user_id_uncached(
        &self,
        owner: &str,
        create: bool,
    ) -> Result<Option<i32>, StoreError> {
        let (server, user) = split_owner(owner)?;
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT id FROM mam_server_user WHERE server = $1 AND user_name = $2",
        )
        .bind(server)
        .bind(user)
        .fetch_optional(self.db()?)
        .await
        .map_err(|e| self.fail(e))?;
        if found.is_some() || !create {
            return Ok(found);
        }
        sqlx::query(
            "INSERT INTO mam_server_user (server, user_name) VALUES ($1, $2) \
             ON CONFLICT (server, user_name) DO NOTHING",
        )
        .bind(server)
        .bind(user)
        .execute(self.db()?)
        .await
        .map_err(|e| self.fail(e))?;
        sqlx::query_scalar("SELECT id FROM mam_server_user WHERE server = $1 AND user_name = $2")
            .bind(server)
            .bind(user)
            .fetch_one(self.db()?)
            .await
            .map(Some)
            .map_err(|e| self.fail(e))
    }

    async fn mam_count(
        &self,
        user_id: i32,
        f: &MamFilter,
        below: Option<i64>,
    ) -> Result<u64, StoreError> {
        let mut q = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM mam_message WHERE ");
        push_filter(&mut q, user_id, f);
        if let Some(b) = below {
            q.push(" AND id < ").push_bind(b);
        }
        let n: i64 = q
            .build_query_scalar()
            .fetch_one(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
        count(n)
    }
}

impl MamStore for PgStore {
    fn mam_append<'a>(&'a self, owner: &'a str, m: &'a ArchivedMessage) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let user_id = self
                .mam_user_id(owner, true)
                .await?
                .ok_or_else(|| StoreError::Backend("archive owner not created".to_owned()))?;
            sqlx::query(
                "INSERT INTO mam_message (id, user_id, from_jid, remote_bare_jid, \
                 remote_resource, direction, message, search_body, origin_id, is_groupchat) \
                 VALUES ($1, $2, $3, $4, $5, $6::mam_direction, $7, $8, $9, false)",
            )
            .bind(m.id)
            .bind(user_id)
            .bind(&m.from)
            .bind(&m.remote_bare)
            .bind(&m.remote_resource)
            .bind(match m.direction {
                Direction::Incoming => "I",
                Direction::Outgoing => "O",
            })
            .bind(m.xml.as_bytes())
            .bind(m.search_body.as_deref())
            .bind(m.origin_id.as_deref())
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(())
        })
    }

    fn mam_query<'a>(
        &'a self,
        owner: &'a str,
        f: &'a MamFilter,
        start: PageStart,
        limit: u32,
    ) -> StoreFuture<'a, MamPage> {
        Box::pin(async move {
            let Some(user_id) = self.mam_user_id(owner, false).await? else {
                return Ok(MamPage::default());
            };
            let total = self.mam_count(user_id, f, None).await?;
            let mut q = QueryBuilder::<Postgres>::new(COLUMNS);
            push_filter(&mut q, user_id, f);
            let plan = PagePlan::of(start);
            if let Some((op, id)) = plan.bound {
                q.push(op).push_bind(id);
            }
            q.push(plan.order_limit()).push_bind(i64::from(limit));
            if let Some(offset) = plan.offset {
                q.push(" OFFSET ").push_bind(offset);
            }
            let rows: Vec<Row> = q
                .build_query_as()
                .fetch_all(self.db()?)
                .await
                .map_err(|e| self.fail(e))?;
            let mut messages = rows
                .into_iter()
                .map(message)
                .collect::<Result<Vec<_>, _>>()?;
            plan.settle(&mut messages);
            let first_index = match (
                known_first_index(start, messages.first(), total),
                messages.first(),
            ) {
                (Some(i), _) => i,
                (None, Some(first)) => self.mam_count(user_id, f, Some(first.id)).await?,
                (None, None) => 0,
            };
            Ok(MamPage {
                messages,
                total,
                first_index,
            })
        })
    }

    fn mam_remove_older<'a>(&'a self, domain: &'a str, before_id: i64) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let done = sqlx::query(
                "DELETE FROM mam_message m USING mam_server_user u \
                 WHERE m.user_id = u.id AND u.server = $1 AND m.id < $2",
            )
            .bind(domain)
            .bind(before_id)
            .execute(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            Ok(done.rows_affected())
        })
    }

    fn mam_prefs_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<MamPrefs>> {
        Box::pin(async move {
            let Some(user_id) = self.mam_user_id(owner, false).await? else {
                return Ok(None);
            };
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT remote_jid, behaviour::text FROM mam_config WHERE user_id = $1 \
                 ORDER BY remote_jid COLLATE \"C\"",
            )
            .bind(user_id)
            .fetch_all(self.db()?)
            .await
            .map_err(|e| self.fail(e))?;
            if rows.is_empty() {
                return Ok(None);
            }
            let mut prefs = MamPrefs {
                default: "always".to_owned(),
                ..MamPrefs::default()
            };
            for (jid, behaviour) in rows {
                match (jid.is_empty(), behaviour.as_str()) {
                    (true, "A") => prefs.default = "always".to_owned(),
                    (true, "N") => prefs.default = "never".to_owned(),
                    (true, "R") => prefs.default = "roster".to_owned(),
                    (false, "A") => prefs.always.push(jid),
                    (false, "N") => prefs.never.push(jid),
                    (_, other) => return Err(corrupt("archiving preference", other)),
                }
            }
            Ok(Some(prefs))
        })
    }

    fn mam_prefs_set<'a>(&'a self, owner: &'a str, prefs: &'a MamPrefs) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let user_id = self
                .mam_user_id(owner, true)
                .await?
                .ok_or_else(|| StoreError::Backend("archive owner not created".to_owned()))?;
            let default = match prefs.default.as_str() {
                "always" => "A",
                "never" => "N",
                "roster" => "R",
                other => {
                    return Err(StoreError::Backend(format!(
                        "unknown archiving default {other:?}"
                    )));
                }
            };
            let mut tx = self.db()?.begin().await.map_err(|e| self.fail(e))?;
            sqlx::query("DELETE FROM mam_config WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.fail(e))?;
            let mut jids: Vec<&str> = vec![""];
            let mut behaviours: Vec<&str> = vec![default];
            for j in &prefs.always {
                jids.push(j);
                behaviours.push("A");
            }
            for j in &prefs.never {
                jids.push(j);
                behaviours.push("N");
            }
            sqlx::query(
                "INSERT INTO mam_config (user_id, remote_jid, behaviour) \
                 SELECT $1, j, b::mam_behaviour FROM UNNEST($2::text[], $3::text[]) AS t(j, b) \
                 ON CONFLICT (user_id, remote_jid) DO UPDATE SET behaviour = excluded.behaviour",
            )
            .bind(user_id)
            .bind(jids)
            .bind(behaviours)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.fail(e))?;
            tx.commit().await.map_err(|e| self.fail(e))
        })
    }

    fn mam_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.forget_mam_user(owner);
            remove_user_rows(self, USER_ROWS, owner).await
        })
    }
}
