//! Runs the conformance suite against `SqliteStore`, both on a real database file in a
//! temporary directory and in memory, plus SQLite-specific checks (pragmas, errors,
//! reopening).

#[macro_use]
mod conformance;

use std::sync::Arc;

use meerkat_core::store::{AccountStore, RosterStore, Store};
use meerkat_storage::{DB_FILE_NAME, SqliteStore, StorageError};

async fn file_store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    (dir, Arc::new(store))
}

async fn memory_store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open_in_memory().await.unwrap())
}

/// One `#[tokio::test]` per conformance function and backend flavour. Multi-threaded so
/// the concurrency test really runs writers in parallel. Each function gets the
/// `Arc<dyn Store>`, upcast to the area trait it takes.
macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {
        mod file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (_dir, store) = super::file_store().await;
                    crate::conformance::$name(store).await;
                }
            )*
        }
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::conformance::$name(super::memory_store().await).await;
                }
            )*
        }
    };
}

every_conformance_test!(conformance_tests);

/// Drop the store (without closing it) and open the file again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_reopen_durability() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    conformance::reopen_durability(|| {
        let path = path.clone();
        async move { Arc::new(SqliteStore::open(&path).await.unwrap()) as Arc<dyn Store> }
    })
    .await;
}

/// Same, but the first store is closed explicitly (WAL checkpointed into the main file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_close_then_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert!(
        store
            .create_user("example.com", "alice", "pw")
            .await
            .unwrap()
    );
    store.close().await;
    assert!(store.get_password("example.com", "alice").await.is_err());
    // With the last connection closed SQLite folds the WAL back and removes it.
    assert!(!dir.path().join(format!("{DB_FILE_NAME}-wal")).exists());

    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(
        store
            .get_password("example.com", "alice")
            .await
            .unwrap()
            .as_deref(),
        Some("pw")
    );
}

async fn pragma_text(store: &SqliteStore, name: &str) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn pragma_int(store: &SqliteStore, name: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn file_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(pragma_text(&store, "journal_mode").await, "wal");
    assert_eq!(pragma_int(&store, "foreign_keys").await, 1);
    // 1 = NORMAL
    assert_eq!(pragma_int(&store, "synchronous").await, 1);
    assert_eq!(pragma_int(&store, "busy_timeout").await, 5000);
    assert!(dir.path().join(DB_FILE_NAME).is_file());
}

#[tokio::test]
async fn memory_pragmas() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    assert_eq!(pragma_text(&store, "journal_mode").await, "memory");
    assert_eq!(pragma_int(&store, "foreign_keys").await, 1);
}

#[tokio::test]
async fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a").join("b c").join("data");
    let store = SqliteStore::open(&nested).await.unwrap();
    assert!(
        store
            .create_user("example.com", "alice", "pw")
            .await
            .unwrap()
    );
    assert!(nested.join(DB_FILE_NAME).is_file());
}

#[tokio::test]
async fn open_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();

    // The data directory is a file.
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = SqliteStore::open(&file).await.unwrap_err();
    assert!(matches!(err, StorageError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("not-a-dir"), "{err}");

    // The database file is not a database.
    let garbage = dir.path().join("garbage");
    std::fs::create_dir(&garbage).unwrap();
    std::fs::write(garbage.join(DB_FILE_NAME), vec![0x42; 8192]).unwrap();
    let err = SqliteStore::open(&garbage).await.unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Open { .. } | StorageError::Migrate { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(DB_FILE_NAME), "{err}");
    assert!(err.to_string().contains("garbage"), "{err}");
}

/// A database migrated by a newer meerkat (unknown migration applied) is refused.
#[tokio::test]
async fn open_refuses_unknown_migration() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations \
         (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', TRUE, x'00', 0)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;

    let err = SqliteStore::open(dir.path()).await.unwrap_err();
    assert!(matches!(err, StorageError::Migrate { .. }), "{err:?}");
    assert!(err.to_string().contains(DB_FILE_NAME), "{err}");
}

#[tokio::test]
async fn memory_stores_are_independent() {
    let a = SqliteStore::open_in_memory().await.unwrap();
    let b = SqliteStore::open_in_memory().await.unwrap();
    assert!(a.create_user("example.com", "alice", "pw").await.unwrap());
    assert_eq!(b.get_password("example.com", "alice").await.unwrap(), None);
    assert_eq!(a.count_users("example.com").await.unwrap(), 1);

    // Clones share the database; it lives as long as any clone.
    let a2 = a.clone();
    drop(a);
    assert_eq!(
        a2.get_password("example.com", "alice")
            .await
            .unwrap()
            .as_deref(),
        Some("pw")
    );
}

/// The in-memory database outlives the pool's connection: even when the pool has closed
/// its only connection, a new one sees the same data.
#[tokio::test]
async fn memory_survives_pool_reconnect() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    assert!(
        store
            .create_user("example.com", "alice", "pw")
            .await
            .unwrap()
    );
    // Detach the pooled connection and close it; the pool opens a fresh one next time.
    let conn = store.pool().acquire().await.unwrap().detach();
    sqlx::Connection::close(conn).await.unwrap();
    assert_eq!(
        store
            .get_password("example.com", "alice")
            .await
            .unwrap()
            .as_deref(),
        Some("pw")
    );
}

/// Later crates can keep their own tables in the same database through `pool()`.
#[tokio::test]
async fn pool_is_usable_for_extra_tables() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    sqlx::query("CREATE TABLE extra (k TEXT PRIMARY KEY, v TEXT NOT NULL) STRICT")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO extra (k, v) VALUES ($1, $2)")
        .bind("a")
        .bind("b")
        .execute(store.pool())
        .await
        .unwrap();
    let v: String = sqlx::query_scalar("SELECT v FROM extra WHERE k = $1")
        .bind("a")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(v, "b");
}

/// Rows that do not decode are reported as corrupt, not as a panic.
#[tokio::test]
async fn corrupt_rows_are_errors() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    // Bypass the CHECK constraints to simulate a damaged or foreign-written row.
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO roster_items (owner, contact, name, subscription, ask) \
         VALUES ('alice@example.com', 'bob@example.com', NULL, 'remove', 'none'), \
                ('carol@example.com', 'bob@example.com', NULL, 'both', 'sideways')",
    )
    .execute(store.pool())
    .await
    .unwrap();
    for owner in ["alice@example.com", "carol@example.com"] {
        let err = store.roster_get(owner).await.unwrap_err();
        assert!(
            matches!(err, meerkat_core::store::StoreError::Corrupt(_)),
            "{err:?}"
        );
        assert!(
            store
                .roster_get_item(owner, "bob@example.com")
                .await
                .is_err()
        );
    }
}

/// `copy_store` between two SQLite stores (PostgreSQL pairs are in tests/postgres.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_between_sqlite_stores() {
    let (_dir, to) = file_store().await;
    conformance::copy_everything(memory_store().await, to).await;
}
