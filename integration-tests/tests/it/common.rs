//! The test harness: a real meerkat on 127.0.0.1 with a temporary data directory.

use listener_core::StartOptions;
use meerkat::{Meerkat, load_config_str};
use std::net::SocketAddr;
use std::path::PathBuf;
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

/// A running server; stopped when dropped at the end of the test.
pub struct TestServer {
    pub meerkat: Meerkat,
    _data: tempfile::TempDir,
}

impl TestServer {
    /// Starts meerkat with `config` (listeners should use `port = 0`).
    pub async fn start(config: &str) -> TestServer {
        init_crypto();
        let loaded = match load_config_str(config) {
            Ok(l) => l,
            Err(d) => panic!("test config rejected:\n{d}"),
        };
        let data = tempfile::tempdir().expect("temp dir");
        let opts = StartOptions {
            handle_signals: false,
            shutdown_timeout: Duration::from_secs(1),
            max_workers: 2,
            ..StartOptions::default()
        };
        let meerkat = meerkat::start(loaded, data.path(), &opts)
            .await
            .expect("server starts");
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

    /// Stops every listener.
    pub async fn stop(&self) {
        self.meerkat.listeners.stop(false).await;
    }
}

/// A reqwest client without connection reuse surprises.
pub fn http() -> reqwest::Client {
    init_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}
