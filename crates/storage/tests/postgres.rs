//! Runs the conformance suite against `PgStore` on a private PostgreSQL server (started by
//! `meerkat-test-postgres` from Debian's binaries, one per test binary, one database per
//! test), plus PostgreSQL-specific checks: the schema's migrations and refusals, MongooseIM's
//! value formats, and durability across reopening.

#[macro_use]
mod conformance;

use std::sync::Arc;

use meerkat_core::config::RdbmsConfig;
use meerkat_core::store::{AccountStore, RosterStore, Store};
use meerkat_storage::{PgStore, SchemaState, StorageError};
use meerkat_test_postgres::{PASSWORD, PgServer, USER};

fn server() -> &'static PgServer {
    PgServer::shared().unwrap_or_else(|e| panic!("{e}"))
}

fn config(database: &str) -> RdbmsConfig {
    let pg = server();
    RdbmsConfig {
        workers: 4,
        host: pg.socket_dir().display().to_string(),
        port: pg.port(),
        database: database.to_owned(),
        username: USER.to_owned(),
        password: PASSWORD.to_owned(),
        query_timeout: std::time::Duration::from_secs(5),
        tls: None,
    }
}

/// A store on a new, migrated database.
async fn fresh() -> (String, PgStore) {
    let db = server().fresh_database().unwrap();
    let store = PgStore::connect(&config(&db)).await.unwrap();
    store.migrate().await.unwrap();
    (db, store)
}

macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {
        mod pg {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (_db, store) = super::fresh().await;
                    crate::conformance::$name(Arc::new(store) as Arc<dyn super::Store>).await;
                }
            )*
            use std::sync::Arc;
        }
    };
}

every_conformance_test!(conformance_tests);
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopen_durability() {
    let db = server().fresh_database().unwrap();
    PgStore::connect(&config(&db))
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    conformance::reopen_durability(|| {
        let db = db.clone();
        async move {
            let store = PgStore::connect(&config(&db)).await.unwrap();
            store.require_current_schema().await.unwrap();
            Arc::new(store) as Arc<dyn Store>
        }
    })
    .await;
}

/// An empty database is refused until migrated; migrating twice applies nothing the
/// second time; the migrated schema is current.
#[tokio::test]
async fn schema_is_created_only_when_asked() {
    let db = server().fresh_database().unwrap();
    let store = PgStore::connect(&config(&db)).await.unwrap();
    let SchemaState::Problems(p) = store.check_schema().await.unwrap() else {
        panic!("an empty database passed the schema check");
    };
    assert!(
        p[0].contains("has no schema: run `meerkat db migrate`"),
        "{p:?}"
    );
    let err = store.require_current_schema().await.unwrap_err();
    assert!(err.to_string().contains(&db), "{err}");
    // Nothing was created by looking.
    assert_eq!(
        server()
            .psql(&db, "SELECT to_regclass('users') IS NULL")
            .unwrap(),
        "t"
    );

    let applied = store.migrate().await.unwrap();
    assert_eq!(applied, vec![1, 2, 3]);
    assert_eq!(store.check_schema().await.unwrap(), SchemaState::Current);
    assert!(store.migrate().await.unwrap().is_empty());
    assert_eq!(PgStore::schema_version(), 3);
}

/// A database that MongooseIM created (its tables, no meerkat tables yet) is adopted by
/// `migrate` without touching its rows; one whose tables lack a column meerkat uses, or
/// one migrated by a newer meerkat, is refused with the reason.
#[tokio::test]
async fn mongooseim_database_adopted_and_bad_ones_refused() {
    let pg = server();
    let db = pg.fresh_database().unwrap();
    pg.psql(
        &db,
        "CREATE TABLE users (username varchar(250), server varchar(250), \
         \"password\" text NOT NULL, pass_details text, \
         created_at TIMESTAMP NOT NULL DEFAULT now(), PRIMARY KEY (server, username)); \
         INSERT INTO users (username, server, password) VALUES ('old', 'example.com', 'secret');",
    )
    .unwrap();
    let store = PgStore::connect(&config(&db)).await.unwrap();
    let SchemaState::Problems(p) = store.check_schema().await.unwrap() else {
        panic!("accepted before migration");
    };
    assert!(
        p[0].contains("MongooseIM's tables but not meerkat's"),
        "{p:?}"
    );
    store.migrate().await.unwrap();
    let stored = store
        .get_password("example.com", "old")
        .await
        .unwrap()
        .unwrap();
    let stored = meerkat_xmpp::scram::StoredPassword::from_storage_string(&stored).unwrap();
    assert!(stored.verify_plain("secret"));

    // A table without the columns meerkat needs: refused, nothing created.
    let db = pg.fresh_database().unwrap();
    pg.psql(
        &db,
        "CREATE TABLE rosterusers (server text, username text, jid text)",
    )
    .unwrap();
    let store = PgStore::connect(&config(&db)).await.unwrap();
    let err = store.migrate().await.unwrap_err();
    assert!(matches!(err, StorageError::Schema { .. }), "{err:?}");
    assert!(err.to_string().contains("table rosterusers"), "{err}");
    assert_eq!(
        pg.psql(&db, "SELECT to_regclass('users') IS NULL").unwrap(),
        "t"
    );

    // A version this meerkat does not know.
    let (db, store) = fresh().await;
    pg.psql(
        &db,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999, 'from the future', true, '\\x00', 0)",
    )
    .unwrap();
    let SchemaState::Problems(p) = store.check_schema().await.unwrap() else {
        panic!("a newer schema passed");
    };
    assert!(
        p[0].contains("version 999 was applied by a newer meerkat"),
        "{p:?}"
    );
    assert!(store.migrate().await.is_err());
}

/// What meerkat writes is in MongooseIM's formats, read straight from the tables.
#[tokio::test]
async fn rows_are_in_mongooseim_formats() {
    use meerkat_core::store::{Ask, RosterItem, Subscription};
    use meerkat_xmpp::scram::{ScramHash, StoredPassword};
    let (db, store) = fresh().await;
    let pg = server();
    let scram = StoredPassword::derive("pw", &[ScramHash::Sha1, ScramHash::Sha256], 64).unwrap();
    assert!(
        store
            .create_user("example.com", "alice", &scram.to_storage_string())
            .await
            .unwrap()
    );
    let row = pg
        .psql(&db, "SELECT password || '|' || pass_details FROM users")
        .unwrap();
    assert!(row.starts_with("|==MULTI_SCRAM==,64,===SHA1==="), "{row}");
    assert!(row.contains(",==SHA256=="), "{row}");
    let item = RosterItem {
        contact: "bob@example.com".to_owned(),
        name: None,
        groups: vec!["Friends".to_owned()],
        subscription: Subscription::To,
        ask: Ask::In,
    };
    store
        .roster_put_item("alice@example.com", &item)
        .await
        .unwrap();
    assert_eq!(
        pg.psql(
            &db,
            "SELECT server || ' ' || username || ' ' || jid || ' [' || nick || '] ' \
             || subscription || ask || ' ' || (SELECT grp FROM rostergroups) FROM rosterusers"
        )
        .unwrap(),
        "example.com alice bob@example.com [] TI Friends"
    );
    assert_eq!(
        pg.psql(&db, "SELECT version FROM roster_version").unwrap(),
        "1"
    );
}

/// SQLite to PostgreSQL (growing out of the embedded default), and back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_sqlite_to_postgres_and_back() {
    let sqlite: Arc<dyn Store> = Arc::new(
        meerkat_storage::SqliteStore::open_in_memory()
            .await
            .unwrap(),
    );
    let (_db, pg) = fresh().await;
    conformance::copy_everything(sqlite, Arc::new(pg)).await;

    let (_db, pg) = fresh().await;
    let sqlite: Arc<dyn Store> = Arc::new(
        meerkat_storage::SqliteStore::open_in_memory()
            .await
            .unwrap(),
    );
    conformance::copy_everything(Arc::new(pg), sqlite).await;
}

/// TLS to the database with rustls, as MongooseIM's `connection.tls` options say: a
/// checked certificate (`verify_mode = "peer"` with the CA in `cacertfile`) connects over
/// TLS; a certificate from another CA is refused with the reason; `verify_mode = "none"`
/// encrypts without checking; no `tls` section means no TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_to_the_database() {
    use meerkat_core::config::{RdbmsTls, RdbmsVerify};
    let tls_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../integration-tests/fixtures/tls");
    let pg = PgServer::start_tls(
        false,
        &tls_dir.join("server.pem"),
        &tls_dir.join("server.key"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let db = pg.fresh_database().unwrap();
    let config = |tls: Option<RdbmsTls>| RdbmsConfig {
        workers: 2,
        host: "127.0.0.1".to_owned(),
        port: pg.port(),
        database: db.clone(),
        username: USER.to_owned(),
        password: PASSWORD.to_owned(),
        query_timeout: std::time::Duration::from_secs(5),
        tls,
    };
    let tls = |verify, ca: &str| RdbmsTls {
        required: true,
        verify,
        cacertfile: Some(tls_dir.join(ca)),
        client_cert: None,
        check_host_name: verify == RdbmsVerify::Peer,
    };
    async fn encrypted(store: &PgStore) -> bool {
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(store.pool())
            .await
            .unwrap()
    }

    let checked = PgStore::connect(&config(Some(tls(RdbmsVerify::Peer, "ca.pem"))))
        .await
        .unwrap();
    assert!(encrypted(&checked).await);

    let err = PgStore::connect(&config(Some(tls(RdbmsVerify::Peer, "other-ca.pem"))))
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    let unchecked = PgStore::connect(&config(Some(tls(RdbmsVerify::None, "other-ca.pem"))))
        .await
        .unwrap();
    assert!(encrypted(&unchecked).await);

    let plain = PgStore::connect(&config(None)).await.unwrap();
    assert!(!encrypted(&plain).await);
}

/// After PostgreSQL is killed and started again, the pool's connections from before are
/// not tried one by one (each would fail a request): the first failure marks them all,
/// and they are replaced as they come out of the pool. At most one request fails, however
/// many connections the pool had.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_broken_by_a_restart_fail_one_request_at_most() {
    let pg = PgServer::start(false).unwrap_or_else(|e| panic!("{e}"));
    let db = pg.fresh_database().unwrap();
    let mut config = config(&db);
    config.host = "127.0.0.1".to_owned();
    config.port = pg.port();
    config.workers = 6;
    let store = PgStore::connect(&config).await.unwrap();
    store.migrate().await.unwrap();
    // Six connections open and idle in the pool.
    let busy: Vec<_> = (0..6)
        .map(|_| {
            let pool = store.pool().clone();
            tokio::spawn(async move {
                sqlx::query("SELECT pg_sleep(0.3)")
                    .execute(&pool)
                    .await
                    .unwrap();
            })
        })
        .collect();
    for b in busy {
        b.await.unwrap();
    }
    assert_eq!(store.pool().size(), 6);

    pg.kill().unwrap();
    pg.restart().unwrap();
    let mut failures = Vec::new();
    for _ in 0..12 {
        if let Err(e) = store.count_users("example.com").await {
            failures.push(e.to_string());
        }
    }
    assert!(
        failures.len() <= 1,
        "requests failed on broken connections: {failures:#?}"
    );
    assert!(store.count_users("example.com").await.is_ok());
}
