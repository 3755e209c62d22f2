//! The PostgreSQL backend, on MongooseIM's own tables (see `migrations-postgres/`): the
//! pool, the schema checks and the helpers the area files share. Each `<area>.rs` holds one
//! `impl <Area>Store for PgStore`.
//!
//! MongooseIM keys per-user rows by `(server, username)` where the core says
//! `owner = user@domain`; [`split_owner`] makes the one from the other. Text is ordered
//! with `COLLATE "C"` (byte order, as on SQLite) whatever the database's collation.

mod accounts;
mod connect;
mod domains;
mod last;
mod offline;
mod private;
mod roster;
mod schema;
mod secrets;
mod tokens;
mod vcard;

use std::time::Duration;

use meerkat_core::store::StoreError;
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

pub use connect::connect_options;
pub use schema::SchemaState;

use crate::error::db_err;

/// The PostgreSQL-backed [`Store`](meerkat_core::store::Store). Cheap to clone (clones
/// share the pool).
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// `host:port/database`, for messages.
    target: String,
}

impl PgStore {
    /// The connection pool, for crates that keep extra tables in the same database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// `host:port/database` of the server this store talks to.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Watches the database in the background: a failed probe is logged once with what
    /// failed, then retried with a doubling back-off (1 s up to 30 s) until the database
    /// answers again, which is logged too. The pool itself replaces broken connections on
    /// demand, so requests that need the database succeed again as soon as it is back;
    /// everything else keeps being served meanwhile. Stops when the pool is closed.
    pub fn spawn_health_monitor(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            const HEALTHY_EVERY: Duration = Duration::from_secs(5);
            const MAX_BACKOFF: Duration = Duration::from_secs(30);
            let mut backoff: Option<Duration> = None;
            while !store.pool.is_closed() {
                tokio::time::sleep(backoff.unwrap_or(HEALTHY_EVERY)).await;
                if store.pool.is_closed() {
                    break;
                }
                let probe = sqlx::query("SELECT 1").execute(&store.pool);
                match tokio::time::timeout(Duration::from_secs(5), probe).await {
                    Ok(Ok(_)) => {
                        if backoff.take().is_some() {
                            tracing::info!(database = %store.target, "PostgreSQL reachable again");
                        }
                    }
                    failed => {
                        let error = match failed {
                            Ok(Err(e)) => e.to_string(),
                            _ => "no answer within 5 s".to_owned(),
                        };
                        let next = match backoff {
                            None => {
                                tracing::error!(database = %store.target, %error, "PostgreSQL unreachable; requests that need it fail until it is back");
                                Duration::from_secs(1)
                            }
                            Some(d) => {
                                tracing::warn!(database = %store.target, %error, retry_in_s = (d * 2).min(MAX_BACKOFF).as_secs(), "PostgreSQL still unreachable");
                                (d * 2).min(MAX_BACKOFF)
                            }
                        };
                        backoff = Some(next);
                    }
                }
            }
        });
    }
}

/// `user@domain` as MongooseIM's `(server, username)`.
fn split_owner(owner: &str) -> Result<(&str, &str), StoreError> {
    match owner.split_once('@') {
        Some((user, domain)) if !user.is_empty() && !domain.is_empty() => Ok((domain, user)),
        _ => Err(StoreError::Backend(format!(
            "owner {owner:?} is not of the form user@domain"
        ))),
    }
}

/// The statements that forget everything one area keeps for a user, each binding
/// `$1 = server, $2 = username`. Account removal runs every area's list in one
/// transaction; an area's `<area>_remove_user` runs its own.
type UserRows = &'static [&'static str];

/// Every area's [`UserRows`]: a new area with per-user data adds its list here.
const AREAS_USER_ROWS: [UserRows; 6] = [
    roster::USER_ROWS,
    offline::USER_ROWS,
    vcard::USER_ROWS,
    private::USER_ROWS,
    last::USER_ROWS,
    tokens::USER_ROWS,
];

/// Runs `statements` for the user inside `tx`.
async fn delete_user_rows(
    tx: &mut Transaction<'static, Postgres>,
    statements: UserRows,
    owner: &str,
) -> Result<(), StoreError> {
    let (server, user) = split_owner(owner)?;
    for &sql in statements {
        sqlx::query(sql)
            .bind(server)
            .bind(user)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Runs one area's `statements` for `owner` in a transaction of their own.
async fn remove_user_rows(
    store: &PgStore,
    statements: UserRows,
    owner: &str,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(db_err)?;
    delete_user_rows(&mut tx, statements, owner).await?;
    tx.commit().await.map_err(db_err)
}
