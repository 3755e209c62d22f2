//! Errors of opening a store, and the mapping of SQL errors onto the core's [`StoreError`].

use std::path::PathBuf;

use meerkat_core::store::StoreError;

/// Failure to open or migrate a database. Every variant names the database so the
/// start-up error message is actionable on its own.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The data directory could not be created.
    #[error("cannot create data directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened (or the connection pool could not be set up).
    #[error("cannot open database {}: {source}", path.display())]
    Open {
        /// The database file (`:memory:` for an in-memory database).
        path: PathBuf,
        /// The SQLite failure.
        #[source]
        source: sqlx::Error,
    },
    /// The embedded schema migrations failed (e.g. the file was migrated by a newer meerkat,
    /// or an applied migration was edited).
    #[error("cannot migrate database {}: {source}", path.display())]
    Migrate {
        /// The database file (`:memory:` for an in-memory database).
        path: PathBuf,
        /// The migration failure.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// The PostgreSQL server could not be reached, or refused the connection.
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect {
        /// `host:port/database`.
        target: String,
        /// What failed.
        reason: String,
    },
    /// The PostgreSQL schema is missing, outdated, newer, or not MongooseIM's layout.
    #[error("PostgreSQL database {target} cannot be used as it is:\n  - {}", problems.join("\n  - "))]
    Schema {
        /// `host:port/database`.
        target: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// Applying the PostgreSQL migrations failed.
    #[error("cannot migrate PostgreSQL database {target}: {source}")]
    MigratePostgres {
        /// `host:port/database`.
        target: String,
        /// The migration failure.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

impl StorageError {
    /// A PostgreSQL database could not be reached or refused the login.
    pub fn is_connect(&self) -> bool {
        matches!(self, StorageError::Connect { .. })
    }
}

/// Maps an SQL error onto the core's error: undecodable rows are [`StoreError::Corrupt`],
/// everything else (I/O, locks, pool, constraint) is [`StoreError::Backend`].
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Backend(other.to_string()),
    }
}

/// A stored value that does not parse as what it should be.
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("invalid {what} {value:?}"))
}

/// A negative count from the database (cannot happen with a sane backend).
pub(crate) fn count(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n}")))
}
