//! From `[outgoing_pools.rdbms.default]` to a connected [`PgStore`].

use std::path::Path;
use std::time::Duration;

use meerkat_core::config::{RdbmsConfig, RdbmsVerify};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};

use std::sync::Arc;

use super::{Health, PgStore};
use crate::error::StorageError;

/// How long start-up waits for the first connection before it gives up with an error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request waits for a pooled connection (all busy, or the database gone)
/// before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The driver's options for `config`: TCP or a Unix socket directory (a `host` that is
/// an absolute path), the credentials, `statement_timeout` from `query_timeout`, and TLS.
///
/// TLS follows MongooseIM's options: without a `tls` section, none; `verify_mode = "none"`
/// encrypts without checking (`required` decides whether a server without TLS is
/// refused); `selfsigned_peer` checks the chain against `cacertfile`; `peer` also checks
/// the name against `host` unless `server_name_indication.enabled = false`. A checked
/// certificate always means TLS is required.
pub fn connect_options(config: &RdbmsConfig) -> PgConnectOptions {
    let mut options = PgConnectOptions::new_without_pgpass()
        .port(config.port)
        .database(&config.database)
        .username(&config.username)
        .password(&config.password)
        .application_name("meerkat");
    options = if config.host.starts_with('/') {
        options.socket(Path::new(&config.host))
    } else {
        options.host(&config.host)
    };
    if !config.query_timeout.is_zero() {
        options = options.options([(
            "statement_timeout",
            config.query_timeout.as_millis().to_string(),
        )]);
    }
    let Some(tls) = &config.tls else {
        return options.ssl_mode(PgSslMode::Disable);
    };
    let mode = match tls.verify {
        RdbmsVerify::None if tls.required => PgSslMode::Require,
        RdbmsVerify::None => PgSslMode::Prefer,
        RdbmsVerify::SelfsignedPeer => PgSslMode::VerifyCa,
        RdbmsVerify::Peer if tls.check_host_name => PgSslMode::VerifyFull,
        RdbmsVerify::Peer => PgSslMode::VerifyCa,
    };
    options = options.ssl_mode(mode);
    if let Some(ca) = &tls.cacertfile {
        options = options.ssl_root_cert(ca);
    }
    if let Some((cert, key)) = &tls.client_cert {
        options = options.ssl_client_cert(cert).ssl_client_key(key);
    }
    options
}

impl PgStore {
    /// Connects a pool of `config.workers` connections (opened on demand) and checks that
    /// the database answers; an unreachable database or refused credentials are an error
    /// naming the target, within [`CONNECT_TIMEOUT`]. The schema is not looked at: call
    /// [`PgStore::check_schema`] or [`PgStore::migrate`].
    pub async fn connect(config: &RdbmsConfig) -> Result<PgStore, StorageError> {
        PgStore::connect_with(connect_options(config), config.target(), config.workers).await
    }

    /// [`PgStore::connect`] from a `postgres://user:password@host:port/database?...` URL
    /// (libpq's form, with `sslmode`, `sslrootcert`... as query parameters), for tools
    /// such as `meerkat db copy`.
    pub async fn connect_url(url: &str) -> Result<PgStore, StorageError> {
        let options: PgConnectOptions = url.parse().map_err(|e| StorageError::Connect {
            target: "the given URL".to_owned(),
            reason: format!("not a PostgreSQL URL: {e}"),
        })?;
        let target = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        PgStore::connect_with(options, target, 4).await
    }

    async fn connect_with(
        options: PgConnectOptions,
        target: String,
        workers: u32,
    ) -> Result<PgStore, StorageError> {
        let health = Arc::new(Health::new(options.clone()));
        let check = health.clone();
        let pool = PgPoolOptions::new()
            .max_connections(workers.max(1))
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // No probe per request (it would cost a round trip each time); instead a
            // connection opened before the database was last seen lost is closed when it
            // comes out of the pool, and a new one opened (see `Health`).
            .test_before_acquire(false)
            .before_acquire(move |_conn, meta| {
                let usable = check.usable(meta.age);
                Box::pin(async move { Ok(usable) })
            })
            .connect_lazy_with(options);
        let probe = sqlx::query("SELECT 1").execute(&pool);
        match tokio::time::timeout(CONNECT_TIMEOUT, probe).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return Err(StorageError::Connect {
                    target,
                    reason: e.to_string(),
                });
            }
            Err(_) => {
                return Err(StorageError::Connect {
                    target,
                    reason: format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                });
            }
        }
        tracing::info!(database = %target, workers, "connected to PostgreSQL");
        Ok(PgStore::new(pool, target, health))
    }
}
