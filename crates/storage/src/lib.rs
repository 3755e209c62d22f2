//! The core's persistence contract, [`meerkat_core::store::Store`], on two backends:
//! embedded SQLite (the default, `sqlite/`) and PostgreSQL on MongooseIM's own tables
//! (`postgres/`, used when `[outgoing_pools.rdbms.default]` is configured). [`Backend`]
//! opens the one the config names.
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
//! The PostgreSQL backend (`postgres/`) has the same shape over MongooseIM's tables and
//! formats; both run the same conformance suite (`tests/sqlite.rs`, `tests/postgres.rs`).
//! [`copy_store`] copies every area from one store to another (`meerkat db copy`).

#![deny(missing_docs)]

mod backend;
mod copy;
mod error;
mod mam_page;
mod postgres;
mod sqlite;

pub use backend::{Backend, Migrations};
pub use copy::{CopyError, CopyReport, copy_store};
pub use error::StorageError;
pub use postgres::{PgStore, SchemaState, connect_options};
pub use sqlite::{DB_FILE_NAME, SqliteStore};
