//! The running server: config, store, sessions, metrics. Cheap to clone; handed to every
//! handler through its context.

use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::sm::SessionManager;
use crate::store::Store;
use std::sync::Arc;
use std::time::Instant;

/// A handle to the running XMPP server core.
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    store: Arc<dyn Store>,
    sm: SessionManager,
    metrics: Metrics,
    secret: [u8; 32],
    started: Instant,
}

impl Server {
    /// Starts the core over `store`.
    pub fn new(config: ServerConfig, store: Arc<dyn Store>) -> Server {
        let mut secret = [0u8; 32];
        rand::fill(&mut secret[..]);
        Server {
            inner: Arc::new(Inner {
                config,
                store,
                sm: SessionManager::default(),
                metrics: Metrics::default(),
                secret,
                started: Instant::now(),
            }),
        }
    }
    /// The config the server runs with.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }
    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.inner.store
    }
    /// Online sessions.
    pub fn sm(&self) -> &SessionManager {
        &self.inner.sm
    }
    /// Counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
    /// A per-process secret (salts fake SCRAM exchanges for unknown users).
    pub fn secret(&self) -> &[u8] {
        &self.inner.secret
    }
    /// Time since start.
    pub fn uptime(&self) -> std::time::Duration {
        self.inner.started.elapsed()
    }
}
