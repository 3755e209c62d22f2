//! The running server: config, store, sessions, metrics. Cheap to clone; handed to every
//! handler through its context.

use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::sm::SessionManager;
use crate::store::Store;
use std::sync::{Arc, Weak};
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
    domains: crate::domains::DomainRegistry,
    token_key: crate::auth_token::TokenKey,
    commands: crate::commands::State,
    /// Bounds concurrent password hashing jobs (see [`Server::hash_job`]).
    hash_jobs: Arc<tokio::sync::Semaphore>,
    login_throttle: crate::login_throttle::LoginThrottle,
    fake_salt_key: tokio::sync::OnceCell<Vec<u8>>,
    verified_passwords: crate::verified_passwords::VerifiedPasswords,
    modules: crate::module::Modules,
    /// Turns true when the modules' workers must end.
    module_stop: tokio::sync::watch::Sender<bool>,
    module_workers: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Server {
    /// Starts the core over `store`.
    pub fn new(config: ServerConfig, store: Arc<dyn Store>) -> Server {
        let mut secret = [0u8; 32];
        rand::fill(&mut secret[..]);
        let metrics = Metrics::new(&config.all_host_types());
        let login_throttle = crate::login_throttle::LoginThrottle::new(config.auth.login_throttle);
        let modules = crate::module::Modules::build(
            &config.modules,
            &crate::module::ModuleContext {
                store: &store,
                config: &config,
            },
        );
        Server {
            inner: Arc::new(Inner {
                config,
                store,
                sm: SessionManager::default(),
                metrics,
                secret,
                started: Instant::now(),
                domains: Default::default(),
                token_key: Default::default(),
                commands: Default::default(),
                hash_jobs: Arc::new(tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                )),
                login_throttle,
                fake_salt_key: Default::default(),
                verified_passwords: Default::default(),
                modules,
                module_stop: tokio::sync::watch::Sender::new(false),
                module_workers: Default::default(),
            }),
        }
    }
    /// The config the server runs with.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }
    /// Whether the module named `name` (MongooseIM's name, e.g. `mod_roster`) is loaded.
    /// The one string lookup of modules: the command layer declares what it needs with it.
    pub fn has_module(&self, name: &str) -> bool {
        self.inner.modules.is_loaded(name)
    }
    /// The loaded module of type `M` (`server.module::<Offline>()`).
    pub fn module<M: crate::module::Module>(&self) -> Option<&M> {
        self.inner.modules.get::<M>()
    }
    /// The loaded modules and what they declared.
    pub fn modules(&self) -> &crate::module::Modules {
        &self.inner.modules
    }
    /// Starts the modules' background workers on the current tokio runtime (once).
    pub fn start_modules(&self) {
        let mut workers = self
            .inner
            .module_workers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !workers.is_empty() || *self.inner.module_stop.borrow() {
            return;
        }
        for m in self.inner.modules.all() {
            if let Some(task) = m
                .clone()
                .worker(self.clone(), self.inner.module_stop.subscribe())
            {
                workers.push(tokio::spawn(task));
            }
        }
    }
    /// Tells the modules' workers to end and waits for them (each gets `grace`, then it
    /// is aborted).
    pub async fn stop_modules(&self, grace: std::time::Duration) {
        self.inner.module_stop.send_replace(true);
        let workers = std::mem::take(
            &mut *self
                .inner
                .module_workers
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for mut w in workers {
            if tokio::time::timeout(grace, &mut w).await.is_err() {
                w.abort();
            }
        }
    }
    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.inner.store
    }
    /// Online sessions.
    pub fn sm(&self) -> &SessionManager {
        &self.inner.sm
    }
    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
    /// A per-process secret (salts fake SCRAM exchanges for unknown users).
    pub fn secret(&self) -> &[u8] {
        &self.inner.secret
    }
    /// A reference that does not keep the server alive (for background tasks).
    pub(crate) fn downgrade(&self) -> WeakServer {
        WeakServer(Arc::downgrade(&self.inner))
    }
    /// The server behind `weak`, unless it was dropped.
    pub(crate) fn upgrade(weak: &WeakServer) -> Option<Server> {
        weak.0.upgrade().map(|inner| Server { inner })
    }
    /// The dynamic domains (see [`crate::domains`]).
    pub(crate) fn domains(&self) -> &crate::domains::DomainRegistry {
        &self.inner.domains
    }
    /// The key that signs auth tokens (see [`crate::auth_token`]).
    pub(crate) fn token_key(&self) -> &crate::auth_token::TokenKey {
        &self.inner.token_key
    }
    /// State of the command layer (controls handed over by the binary, metric windows).
    pub(crate) fn command_state(&self) -> &crate::commands::State {
        &self.inner.commands
    }
    /// Runs CPU-heavy password work (PBKDF2) on the blocking thread pool, never on an
    /// async worker, at most one job per core at a time; others wait their turn.
    pub(crate) async fn hash_job<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        // The semaphore is never closed.
        // The permit moves into the job: a caller that goes away (an HTTP client that
        // disconnects) does not free the slot while its PBKDF2 still runs.
        let permit = self.inner.hash_jobs.clone().acquire_owned().await.ok();
        match tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        {
            Ok(v) => v,
            // A panic in the job stays a panic; cancellation only happens when the runtime
            // shuts down.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    /// Login failure throttling (see [`crate::login_throttle`]).
    pub fn login_throttle(&self) -> &crate::login_throttle::LoginThrottle {
        &self.inner.login_throttle
    }
    /// Passwords verified recently (see [`crate::verified_passwords`]).
    pub(crate) fn verified_passwords(&self) -> &crate::verified_passwords::VerifiedPasswords {
        &self.inner.verified_passwords
    }
    /// The key fake SCRAM salts of unknown users derive from: kept in the store, so that
    /// an unknown user's salt is as stable across restarts as a real one's.
    pub(crate) async fn fake_salt_key(&self) -> &[u8] {
        self.inner
            .fake_salt_key
            .get_or_init(|| async {
                let fresh = crate::util::random_hex(48);
                match self
                    .store()
                    .secret_get_or_insert("fake_scram_salt", &fresh)
                    .await
                {
                    Ok(k) => k.into_bytes(),
                    Err(e) => {
                        tracing::error!(error = %e, "fake SCRAM salt key not stored; using the process secret");
                        self.inner.secret.to_vec()
                    }
                }
            })
            .await
    }
    /// Time since start.
    pub fn uptime(&self) -> std::time::Duration {
        self.inner.started.elapsed()
    }
}

/// A [`Server`] reference that does not keep it alive.
pub(crate) struct WeakServer(Weak<Inner>);
