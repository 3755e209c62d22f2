//! The test harness: a real meerkat on 127.0.0.1 with a temporary data directory.

use listener_core::StartOptions;
use meerkat::{Meerkat, load_config_str};
use meerkat_storage::Migrations;
use meerkat_test_postgres::PgServer;
use meerkat_xmpp::BareJid;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::Once;
use std::time::Duration;

/// Path of a file under integration-tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// Path of a TLS fixture as a string for TOML.
pub fn tls_fixture(name: &str) -> String {
    fixture(&format!("tls/{name}")).display().to_string()
}

/// Installs the ring provider for test clients (reqwest is built without one).
pub fn init_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Which store the suite runs on: `MEERKAT_TEST_STORE=postgres` runs every test on a
/// private PostgreSQL server (one per test binary, one database per data directory, so a
/// test that restarts a server on the same directory finds its data again); anything else,
/// or nothing, the embedded SQLite.
pub fn on_postgres() -> bool {
    match std::env::var("MEERKAT_TEST_STORE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("MEERKAT_TEST_STORE={other}: expected sqlite or postgres"),
    }
}

/// The `[outgoing_pools.rdbms.default]` section for `dir`'s database on the shared test
/// PostgreSQL server (created on first use).
pub fn postgres_pool_for(dir: &Path) -> String {
    static DATABASES: Mutex<BTreeMap<PathBuf, String>> = Mutex::new(BTreeMap::new());
    let pg = PgServer::shared().unwrap_or_else(|e| panic!("{e}"));
    let mut dbs = DATABASES.lock().unwrap();
    let db = dbs
        .entry(dir.to_path_buf())
        .or_insert_with(|| pg.fresh_database().unwrap_or_else(|e| panic!("{e}")));
    pg.pool_toml(db, 8)
}

/// The store of the data directory `dir` for tests that build a core without listeners:
/// its SQLite file, or on PostgreSQL its database (migrated).
pub async fn test_store(dir: &Path) -> std::sync::Arc<dyn meerkat_core::store::Store> {
    let rdbms = on_postgres().then(|| {
        let text = format!(
            "[general]\nhosts = [\"localhost\"]\n{}",
            postgres_pool_for(dir)
        );
        let (config, _) = meerkat::load_server_config_str(&text).expect("pool config");
        config.rdbms.expect("the pool is PostgreSQL")
    });
    meerkat_storage::Backend::open(rdbms.as_ref(), dir, Migrations::Apply)
        .await
        .expect("store opens")
        .store()
}

/// Starts meerkat with `config` on the data directory `dir` (and, on PostgreSQL, on the
/// database that belongs to `dir`).
pub async fn boot(config: &str, dir: &Path) -> Meerkat {
    init_crypto();
    let config = if on_postgres() && !config.contains("[outgoing_pools") {
        format!("{config}\n{}", postgres_pool_for(dir))
    } else {
        config.to_owned()
    };
    let loaded = load_config_str(&config).unwrap_or_else(|d| panic!("test config rejected:\n{d}"));
    let opts = StartOptions {
        handle_signals: false,
        shutdown_timeout: Duration::from_secs(1),
        max_workers: 2,
        ..StartOptions::default()
    };
    meerkat::start(loaded, dir, Migrations::Apply, &opts)
        .await
        .expect("server starts")
}

/// A running server; stopped when dropped at the end of the test.
pub struct TestServer {
    pub meerkat: Meerkat,
    _data: tempfile::TempDir,
}

impl TestServer {
    /// Starts meerkat with `config` (listeners should use `port = 0`).
    pub async fn start(config: &str) -> TestServer {
        let data = tempfile::tempdir().expect("temp dir");
        let meerkat = boot(config, data.path()).await;
        TestServer {
            meerkat,
            _data: data,
        }
    }

    /// Bound address of listener `i`.
    pub fn addr(&self, i: usize) -> SocketAddr {
        self.meerkat.listeners.addrs[i]
    }

    /// `http://127.0.0.1:<port><path>` for listener `i`.
    pub fn url(&self, i: usize, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr(i).port())
    }

    /// `ws://127.0.0.1:<port>/ws-xmpp` for listener `i`.
    pub fn ws_url(&self, i: usize) -> String {
        format!("ws://127.0.0.1:{}/ws-xmpp", self.addr(i).port())
    }

    /// Registers the account `jid` (a bare JID).
    pub async fn register(&self, jid: &str, password: &str) {
        let jid = BareJid::new(jid).unwrap();
        self.meerkat
            .server
            .register_user(&jid, password)
            .await
            .unwrap();
    }

    /// Registers `<name>@localhost` with password `<name>-pw` for each name.
    pub async fn register_users(&self, names: &[&str]) {
        for name in names {
            self.register(&format!("{name}@localhost"), &format!("{name}-pw"))
                .await;
        }
    }

    /// Stops every listener.
    pub async fn stop(&self) {
        self.meerkat.listeners.stop(false).await;
    }
}

/// The start of a one-host config: `localhost`, cheap SCRAM, and an HTTP listener on
/// 127.0.0.1 (listener 0) whose handlers follow.
pub const LOCALHOST_HTTP: &str = "[general]
hosts = [\"localhost\"]
[auth.password]
scram_iterations = 64
[[listen.http]]
port = 0
ip_address = \"127.0.0.1\"
";

/// The BOSH handler at `/http-bind`.
pub const BOSH_HANDLER: &str = "[[listen.http.handlers.mod_bosh]]
host = \"_\"
path = \"/http-bind\"
";

/// The WebSocket handler at `/ws-xmpp` (its options may follow).
pub const WS_HANDLER: &str = "[[listen.http.handlers.mod_websockets]]
host = \"_\"
path = \"/ws-xmpp\"
";

/// A reqwest client without connection reuse surprises.
pub fn http() -> reqwest::Client {
    init_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}
