//! The SQLite backend: the pool, the migrations and the helpers the area files share.
//! Each `<area>.rs` holds one `impl <Area>Store for SqliteStore`.
//!
//! Statements use `$n` placeholders, `ON CONFLICT` upserts and `RETURNING`, all of which
//! PostgreSQL understands too. Multi-statement changes run in `BEGIN IMMEDIATE`
//! transactions: taking SQLite's write lock up front means the busy timeout applies to it,
//! whereas a deferred transaction that reads before writing can fail with `SQLITE_BUSY`
//! immediately when another connection wrote in between.

mod accounts;
mod domains;
mod last;
mod mam;
mod offline;
mod private;
mod roster;
mod secrets;
mod tokens;
mod vcard;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use meerkat_core::store::StoreError;
use sqlx::ConnectOptions;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::error::{StorageError, db_err};

/// The database file name inside the data directory.
pub const DB_FILE_NAME: &str = "meerkat.sqlite3";

/// Connections in the pool of a file database. WAL lets readers run in parallel with the
/// (single) writer; writers serialize on SQLite's write lock, waiting up to
/// [`BUSY_TIMEOUT`] for it.
const FILE_POOL_SIZE: u32 = 4;

/// How long a connection waits for a lock held by another connection before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The embedded schema migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Distinguishes the in-memory databases of one process.
static MEMORY_DB_SEQ: AtomicU64 = AtomicU64::new(0);

/// The SQLite-backed [`Store`](meerkat_core::store::Store). Cheap to clone (clones share
/// the pool).
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// For in-memory databases only: a connection outside the pool that keeps the shared
    /// in-memory database alive. SQLite frees an in-memory database when its last
    /// connection closes, and the pool may close and reopen its connection (after an error,
    /// for instance); without this the data would silently vanish.
    _keep_alive: Option<Arc<SqliteConnection>>,
}

impl SqliteStore {
    /// Opens (creating it and `data_dir` if needed) `<data_dir>/meerkat.sqlite3` in WAL mode
    /// with foreign keys on, applies the embedded migrations and returns the store.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StorageError> {
        // A one-off blocking call at start-up; not worth a blocking-pool hop.
        std::fs::create_dir_all(data_dir).map_err(|source| StorageError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = db_path(data_dir);

        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // In WAL mode, NORMAL syncs the WAL only at checkpoints, not at each commit.
            // A committed transaction is in the WAL file (in the OS page cache) when the
            // commit returns, so it survives a crash or kill of this process; only an OS
            // crash or power loss can roll back the last transactions (never corrupt the
            // file). That is the durability `offline_push` promises: it returns after the
            // commit. Use FULL here if power-loss durability is ever required.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // Keeps the query planner's statistics fresh (SQLite's recommendation for
            // long-lived databases); 400 rows per index is the limit SQLite suggests.
            .optimize_on_close(true, 400);

        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_SIZE)
            .connect_with(options)
            .await
            .map_err(|source| StorageError::Open {
                path: path.clone(),
                source,
            })?;

        migrate(&pool, &path).await?;
        tracing::info!(path = %path.display(), "opened SQLite store");
        Ok(SqliteStore {
            pool,
            _keep_alive: None,
        })
    }

    /// Opens a new, empty in-memory database with the migrations applied (for tools and
    /// tests). Each call gives an independent database, freed when the store (and every
    /// clone of it) is dropped.
    ///
    /// The pool has a single connection: connections to one in-memory database can only
    /// share it through SQLite's shared-cache mode, where a second connection would fail
    /// with `SQLITE_LOCKED` (which, unlike `SQLITE_BUSY`, is not retried by the busy
    /// timeout) instead of waiting. One connection serializes all work, which is fine for
    /// the intended uses.
    pub async fn open_in_memory() -> Result<SqliteStore, StorageError> {
        let seq = MEMORY_DB_SEQ.fetch_add(1, Ordering::Relaxed);
        // SQLite shares an in-memory database between connections only when it is opened
        // by URI (`file:` prefix) with the shared-cache flag; for a plain name it silently
        // clears the URI flag and every connection gets its own empty database.
        let name = format!("file:meerkat-memory-{}-{seq}", std::process::id());
        let path = PathBuf::from(":memory:");
        let options = SqliteConnectOptions::new()
            .filename(&name)
            .in_memory(true)
            .shared_cache(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);

        let open_err = |source| StorageError::Open {
            path: path.clone(),
            source,
        };
        let keep_alive = options.connect().await.map_err(open_err)?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            // Nothing to gain from recycling the only connection.
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(open_err)?;

        migrate(&pool, &path).await?;
        Ok(SqliteStore {
            pool,
            _keep_alive: Some(Arc::new(keep_alive)),
        })
    }

    /// The connection pool, for crates that keep extra tables in the same database.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool, waiting for connections in use to be returned. Optional (dropping
    /// the store also closes it, in the background) but lets a shutdown finish the WAL
    /// checkpoint before the process exits. Later store calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `<data_dir>/meerkat.sqlite3`. sqlx always opens with `SQLITE_OPEN_URI`, so a relative
/// path that happens to start with `file:` is prefixed with `./` to stay a plain path.
fn db_path(data_dir: &Path) -> PathBuf {
    let path = data_dir.join(DB_FILE_NAME);
    if path.to_str().is_some_and(|s| s.starts_with("file:")) {
        Path::new(".").join(path)
    } else {
        path
    }
}

async fn migrate(pool: &SqlitePool, path: &Path) -> Result<(), StorageError> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|source| StorageError::Migrate {
            path: path.to_path_buf(),
            source,
        })
}

/// The statements that forget everything one area keeps for an owner (`user@domain`),
/// each binding the owner as `$1`, children before parents. Account removal runs every
/// area's list in its one transaction; an area's `<area>_remove_user` runs its own.
type OwnerRows = &'static [&'static str];

/// Every area's [`OwnerRows`], as account removal deletes them: a new area with per-user
/// data adds its list here.
const AREAS_OWNER_ROWS: [OwnerRows; 7] = [
    roster::OWNER_ROWS,
    offline::OWNER_ROWS,
    vcard::OWNER_ROWS,
    private::OWNER_ROWS,
    last::OWNER_ROWS,
    tokens::OWNER_ROWS,
    mam::OWNER_ROWS,
];

/// Runs `statements` for `owner` inside `tx`.
async fn delete_owner_rows(
    tx: &mut Transaction<'static, Sqlite>,
    statements: OwnerRows,
    owner: &str,
) -> Result<(), StoreError> {
    for &sql in statements {
        sqlx::query(sql)
            .bind(owner)
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// Runs one area's `statements` for `owner` in a transaction of their own.
async fn remove_owner(
    store: &SqliteStore,
    statements: OwnerRows,
    owner: &str,
) -> Result<(), StoreError> {
    let mut tx = begin_write(store).await?;
    delete_owner_rows(&mut tx, statements, owner).await?;
    tx.commit().await.map_err(db_err)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_path_is_never_a_uri() {
        assert_eq!(
            db_path(Path::new("/var/lib/meerkat")),
            Path::new("/var/lib/meerkat/meerkat.sqlite3")
        );
        assert_eq!(
            db_path(Path::new("data")),
            Path::new("data/meerkat.sqlite3")
        );
        assert_eq!(
            db_path(Path::new("file:data")),
            Path::new("./file:data/meerkat.sqlite3")
        );
    }
}
