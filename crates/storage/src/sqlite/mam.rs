//! `impl MamStore for SqliteStore`: message archives (`mam_messages`, `mam_prefs`).

use meerkat_core::store::{
    ArchivedMessage, Direction, MamFilter, MamPage, MamPrefs, MamStore, PageStart, StoreError,
    StoreFuture,
};
use sqlx::{QueryBuilder, Sqlite};

use super::{OwnerRows, domain_of, remove_owner};
use crate::SqliteStore;
use crate::error::{corrupt, count, db_err};
use crate::mam_page::{PagePlan, known_first_index};

/// The owner's archive and preferences.
pub(super) const OWNER_ROWS: OwnerRows = &[
    "DELETE FROM mam_messages WHERE owner = $1",
    "DELETE FROM mam_prefs WHERE owner = $1",
];

const COLUMNS: &str = "SELECT id, remote_bare, remote_resource, direction, from_jid, \
                       origin_id, search_body, xml FROM mam_messages WHERE ";

type Row = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

fn message(
    (id, remote_bare, remote_resource, dir, from, origin_id, search_body, xml): Row,
) -> Result<ArchivedMessage, StoreError> {
    let direction = match dir.as_str() {
        "I" => Direction::Incoming,
        "O" => Direction::Outgoing,
        other => return Err(corrupt("archive direction", other)),
    };
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

/// `owner = ? AND` the filter's conditions.
fn push_filter(q: &mut QueryBuilder<Sqlite>, owner: &str, f: &MamFilter) {
    q.push("owner = ").push_bind(owner.to_owned());
    if let Some(bare) = &f.with_bare {
        q.push(" AND remote_bare = ").push_bind(bare.clone());
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
        q.push(" AND id IN (");
        let mut sep = q.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        if ids.is_empty() {
            sep.push("NULL");
        }
        q.push(")");
    }
    for w in &f.words {
        // instr: a plain substring test, no LIKE wildcards to escape.
        q.push(" AND instr(search_body, ")
            .push_bind(w.clone())
            .push(") > 0");
    }
}

impl SqliteStore {
    async fn mam_count(
        &self,
        owner: &str,
        f: &MamFilter,
        below: Option<i64>,
    ) -> Result<u64, StoreError> {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM mam_messages WHERE ");
        push_filter(&mut q, owner, f);
        if let Some(b) = below {
            q.push(" AND id < ").push_bind(b);
        }
        let n: i64 = q
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        count(n)
    }
}

impl MamStore for SqliteStore {
    fn mam_append<'a>(&'a self, owner: &'a str, m: &'a ArchivedMessage) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let domain = domain_of(owner)?;
            sqlx::query(
                "INSERT INTO mam_messages (owner, id, domain, remote_bare, remote_resource, \
                 direction, from_jid, origin_id, search_body, xml) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(owner)
            .bind(m.id)
            .bind(domain)
            .bind(&m.remote_bare)
            .bind(&m.remote_resource)
            .bind(match m.direction {
                Direction::Incoming => "I",
                Direction::Outgoing => "O",
            })
            .bind(&m.from)
            .bind(m.origin_id.as_deref())
            .bind(m.search_body.as_deref())
            .bind(&m.xml)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
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
            let total = self.mam_count(owner, f, None).await?;
            let mut q = QueryBuilder::<Sqlite>::new(COLUMNS);
            push_filter(&mut q, owner, f);
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
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
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
                (None, Some(first)) => self.mam_count(owner, f, Some(first.id)).await?,
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
            let done = sqlx::query("DELETE FROM mam_messages WHERE domain = $1 AND id < $2")
                .bind(domain)
                .bind(before_id)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
            Ok(done.rows_affected())
        })
    }

    fn mam_prefs_get<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, Option<MamPrefs>> {
        Box::pin(async move {
            let row: Option<(String, String, String)> = sqlx::query_as(
                "SELECT default_mode, always, never FROM mam_prefs WHERE owner = $1",
            )
            .bind(owner)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
            let split = |s: String| -> Vec<String> {
                s.split('\n')
                    .filter(|j| !j.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            Ok(row.map(|(default, always, never)| MamPrefs {
                default,
                always: split(always),
                never: split(never),
            }))
        })
    }

    fn mam_prefs_set<'a>(&'a self, owner: &'a str, prefs: &'a MamPrefs) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            sqlx::query(
                "INSERT INTO mam_prefs (owner, default_mode, always, never) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (owner) DO UPDATE SET default_mode = excluded.default_mode, \
                 always = excluded.always, never = excluded.never",
            )
            .bind(owner)
            .bind(&prefs.default)
            .bind(prefs.always.join("\n"))
            .bind(prefs.never.join("\n"))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    fn mam_remove_user<'a>(&'a self, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(remove_owner(self, OWNER_ROWS, owner))
    }
}
