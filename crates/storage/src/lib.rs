//! Embedded SQLite implementation of the core's persistence contract,
//! [`meerkat_core::store::Store`].
//!
//! * [`SqliteStore::open`] opens `<data_dir>/meerkat.sqlite3` (WAL, foreign keys on) and
//!   applies the embedded migrations from `migrations/`.
//! * [`SqliteStore::open_in_memory`] gives a throw-away database for tools and tests.
//! * [`SqliteStore::pool`] exposes the pool so later crates can keep their own tables in the
//!   same file.
//!
//! The code follows the core's areas: `sqlite/mod.rs` holds the pool, the migrations and
//! the shared helpers, and `sqlite/<area>.rs` implements one area trait
//! (`impl RosterStore for SqliteStore` in `sqlite/roster.rs`, and so on), so another
//! backend can be written, and checked against `tests/conformance/<area>.rs`, one area at
//! a time.
//!
//! All SQL is written with `$n` placeholders and portable `INSERT ... ON CONFLICT` upserts so
//! a PostgreSQL backend can reuse the statements; only transaction start (`BEGIN IMMEDIATE`)
//! is SQLite-specific.

#![deny(missing_docs)]

mod error;
mod postgres;
mod sqlite;

pub use error::StorageError;
pub use postgres::{PgStore, SchemaState, connect_options};
pub use sqlite::{DB_FILE_NAME, SqliteStore};
