//! The test harness: a real meerkat on 127.0.0.1 with a temporary data directory.

use listener_core::StartOptions;
use meerkat::{Meerkat, load_config_str};
use meerkat_xmpp::BareJid;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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

/// Starts meerkat with `config` on the data directory `dir`.
pub async fn boot(config: &str, dir: &Path) -> Meerkat {
    init_crypto();
    let loaded = load_config_str(config).unwrap_or_else(|d| panic!("test config rejected:\n{d}"));
    let opts = StartOptions {
        handle_signals: false,
        shutdown_timeout: Duration::from_secs(1),
        max_workers: 2,
        ..StartOptions::default()
    };
    meerkat::start(loaded, dir, &opts)
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
