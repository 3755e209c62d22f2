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
mod mam;
mod offline;
mod private;
mod roster;
mod schema;
mod secrets;
mod tokens;
mod vcard;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use meerkat_core::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool};
use sqlx::{Connection, Postgres, Transaction};
use tokio::sync::Notify;

pub use connect::connect_options;
pub use schema::SchemaState;

use crate::error::db_err;

/// The PostgreSQL-backed [`Store`](meerkat_core::store::Store). Cheap to clone (clones
/// share the pool and the health state).
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// `host:port/database`, for messages.
    target: String,
    health: Arc<Health>,
    /// Archive owners' numbers (`mam_server_user.id`), which never change while the row
    /// exists: one query saved per archive write and read. Forgotten when the user's
    /// archive is removed.
    mam_ids: Arc<std::sync::Mutex<std::collections::HashMap<String, i32>>>,
}

/// Whether the database is reachable, as the health monitor last found it.
#[derive(Debug)]
pub(super) struct Health {
    /// Options for the monitor's own connections (outside the pool, so a busy pool is
    /// not mistaken for a dead database).
    options: PgConnectOptions,
    /// Set while the database is unreachable: requests fail at once instead of waiting
    /// for a connection.
    down: AtomicBool,
    /// Wakes the monitor when a request saw what may be a lost database.
    wake: Notify,
    /// When the clock of [`Health::now_ms`] starts.
    start: Instant,
    /// The last time (see [`Health::now_ms`]) the connection to the database was seen
    /// lost. Pooled connections opened before it are closed instead of used (see
    /// [`Health::usable`]), so after the database comes back no request fails on a
    /// connection it broke, and no request pays a probe in the meantime.
    lost_at_ms: AtomicU64,
}

impl Health {
    pub(super) fn new(options: PgConnectOptions) -> Health {
        Health {
            options,
            down: AtomicBool::new(false),
            wake: Notify::new(),
            start: Instant::now(),
            lost_at_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The connection was seen lost: every connection opened until now is suspect.
    fn lost(&self) {
        self.lost_at_ms.fetch_max(self.now_ms(), Ordering::Relaxed);
    }

    /// Whether a pooled connection of this `age` was opened after the last loss (the
    /// pool's `before_acquire` check; one clock read, no round trip).
    pub(super) fn usable(&self, age: Duration) -> bool {
        let opened_ms = self
            .now_ms()
            .saturating_sub(u64::try_from(age.as_millis()).unwrap_or(u64::MAX));
        let lost_at_ms = self.lost_at_ms.load(Ordering::Relaxed);
        lost_at_ms == 0 || opened_ms > lost_at_ms
    }
}

/// How often the monitor checks a healthy database.
const HEALTHY_EVERY: Duration = Duration::from_secs(2);
/// The longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl PgStore {
    fn new(pool: PgPool, target: String, health: Arc<Health>) -> PgStore {
        PgStore {
            pool,
            target,
            health,
            mam_ids: Arc::default(),
        }
    }

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
        self.health.wake.notify_one();
    }

    /// The pool, or at once an error while the database is known to be unreachable.
    fn db(&self) -> Result<&PgPool, StoreError> {
        if self.health.down.load(Ordering::Relaxed) {
            Err(StoreError::Backend(format!(
                "PostgreSQL at {} is unreachable (reconnecting in the background)",
                self.target
            )))
        } else {
            Ok(&self.pool)
        }
    }

    /// Maps a failed query. One that says the connection is lost (I/O, TLS, or the
    /// server's own word: SQLSTATE class 08, connection exception, or 57P0x, the server
    /// shutting down or crashed) marks every pooled connection opened before as
    /// unusable; that or a pool timeout wakes the monitor.
    fn fail(&self, e: sqlx::Error) -> StoreError {
        let lost = match &e {
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        };
        if lost {
            self.health.lost();
        }
        if lost || matches!(e, sqlx::Error::PoolTimedOut) {
            self.health.wake.notify_one();
        }
        db_err(e)
    }

    /// One connection outside the pool, within 3 s.
    async fn probe(&self) -> Result<(), String> {
        let attempt = async {
            let mut conn = PgConnection::connect_with(&self.health.options)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query("SELECT 1")
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
            let _ = conn.close().await;
            Ok(())
        };
        match tokio::time::timeout(Duration::from_secs(3), attempt).await {
            Ok(result) => result,
            Err(_) => Err("no answer within 3 s".to_owned()),
        }
    }

    /// Watches the database in the background, with connections of its own: every
    /// [`HEALTHY_EVERY`], and at once when a request failed in a way that may mean the
    /// database is gone. When it is, that is logged once with the reason, requests that
    /// need it fail at once (the server keeps serving everything else), and reconnection
    /// is tried with a doubling back-off (0.5 s up to 30 s) until the database answers,
    /// which is logged too; the pool replaces its broken connections as they are used.
    /// Stops when the store is closed.
    pub fn spawn_health_monitor(&self) {
        let store = self.clone();
        tokio::spawn(async move {
            while !store.pool.is_closed() {
                let _ = tokio::time::timeout(HEALTHY_EVERY, store.health.wake.notified()).await;
                if store.pool.is_closed() {
                    break;
                }
                let Err(error) = store.probe().await else {
                    continue;
                };
                store.health.down.store(true, Ordering::Relaxed);
                store.health.lost();
                tracing::error!(database = %store.target, %error, "PostgreSQL unreachable; requests that need it fail until it is back");
                let mut backoff = Duration::from_millis(500);
                loop {
                    tokio::time::sleep(backoff).await;
                    if store.pool.is_closed() {
                        return;
                    }
                    match store.probe().await {
                        Ok(()) => break,
                        Err(error) => {
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                            tracing::warn!(database = %store.target, %error, retry_in_ms = backoff.as_millis() as u64, "PostgreSQL still unreachable");
                        }
                    }
                }
                // Connections opened while it was down are gone with it too.
                store.health.lost();
                store.health.down.store(false, Ordering::Relaxed);
                tracing::info!(database = %store.target, "PostgreSQL reachable again");
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
const AREAS_USER_ROWS: [UserRows; 7] = [
    roster::USER_ROWS,
    offline::USER_ROWS,
    vcard::USER_ROWS,
    private::USER_ROWS,
    last::USER_ROWS,
    tokens::USER_ROWS,
    mam::USER_ROWS,
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
    let mut tx = store.db()?.begin().await.map_err(|e| store.fail(e))?;
    delete_user_rows(&mut tx, statements, owner).await?;
    tx.commit().await.map_err(|e| store.fail(e))
}
