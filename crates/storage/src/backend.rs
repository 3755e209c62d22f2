//! The store a server runs on, as its config chooses: PostgreSQL when
//! `[outgoing_pools.rdbms.default]` is configured, otherwise the embedded SQLite file.

use std::path::Path;
use std::sync::Arc;

use meerkat_core::config::RdbmsConfig;
use meerkat_core::store::Store;

use crate::{PgStore, SqliteStore, StorageError};

/// One of the backends.
#[derive(Clone, Debug)]
pub enum Backend {
    /// `<data_dir>/meerkat.sqlite3`.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PgStore),
}

/// Whether opening may change the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Migrations {
    /// Apply missing migrations (always the case for the SQLite file meerkat owns).
    Apply,
    /// PostgreSQL only: refuse a database whose schema is not current, saying what to do.
    Require,
}

impl Backend {
    /// Opens the backend `rdbms` names (SQLite under `data_dir` when `None`). PostgreSQL
    /// is connected (an error within seconds if it cannot be), its schema migrated or
    /// checked per `migrations`, and watched by a health monitor (see
    /// [`PgStore::spawn_health_monitor`]).
    pub async fn open(
        rdbms: Option<&RdbmsConfig>,
        data_dir: &Path,
        migrations: Migrations,
    ) -> Result<Backend, StorageError> {
        match rdbms {
            None => Ok(Backend::Sqlite(SqliteStore::open(data_dir).await?)),
            Some(config) => {
                let store = PgStore::connect(config).await?;
                match migrations {
                    Migrations::Apply => {
                        store.migrate().await?;
                    }
                    Migrations::Require => store.require_current_schema().await?,
                }
                store.spawn_health_monitor();
                Ok(Backend::Postgres(store))
            }
        }
    }

    /// The store, for the core.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(s) => Arc::new(s.clone()),
            Backend::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Closes the pool (waiting for connections in use).
    pub async fn close(&self) {
        match self {
            Backend::Sqlite(s) => s.close().await,
            Backend::Postgres(s) => s.close().await,
        }
    }
}
