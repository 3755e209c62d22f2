//! `meerkat db`: the store's schema and moving data between stores.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::Subcommand;
use meerkat::ConfigSource;
use meerkat_storage::{Backend, Migrations, PgStore, SchemaState, SqliteStore};

#[derive(Subcommand)]
pub enum DbCommand {
    /// Create or upgrade the schema of the configured store (PostgreSQL from
    /// `[outgoing_pools.rdbms.default]`, else the SQLite file in the data directory). On a
    /// database MongooseIM created, adds meerkat's tables and changes none of MongooseIM's.
    Migrate,
    /// Say whether the configured store's schema is current, without changing anything.
    Status,
    /// Copy every account and all their data from one store into another, empty one.
    /// A store is `config` (the configured one), `sqlite:<data dir>`, or
    /// `postgres://user:password@host:port/database`. A PostgreSQL target is migrated
    /// first.
    Copy {
        /// The store to read.
        #[arg(long)]
        from: String,
        /// The store to write (must hold no accounts or dynamic domains).
        #[arg(long)]
        to: String,
    },
}

pub fn main(cmd: DbCommand, source: &ConfigSource, data_dir: &Path) -> ExitCode {
    crate::init_logging("warn");
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("meerkat db: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cmd, source, data_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meerkat db: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The configured store's PostgreSQL settings, if any.
fn configured_rdbms(
    source: &ConfigSource,
) -> anyhow::Result<Option<meerkat_core::config::RdbmsConfig>> {
    let text = source.read().map_err(|d| anyhow!("{d}"))?;
    let (config, _) = meerkat::load_server_config_str(&text)
        .map_err(|d| anyhow!("{source}: {} error(s):\n{d}", d.errors.len()))?;
    Ok(config.rdbms)
}

async fn run(cmd: DbCommand, source: &ConfigSource, data_dir: &Path) -> anyhow::Result<()> {
    match cmd {
        DbCommand::Migrate => {
            match configured_rdbms(source)? {
                Some(rdbms) => {
                    let store = PgStore::connect(&rdbms).await?;
                    let applied = store.migrate().await?;
                    if applied.is_empty() {
                        println!(
                            "{}: schema already current (version {})",
                            store.target(),
                            PgStore::schema_version()
                        );
                    } else {
                        println!(
                            "{}: applied migration(s) {applied:?}; schema at version {}",
                            store.target(),
                            PgStore::schema_version()
                        );
                    }
                    store.close().await;
                }
                None => {
                    let store = SqliteStore::open(data_dir).await?;
                    println!(
                        "{}: SQLite schema current",
                        data_dir.join(meerkat_storage::DB_FILE_NAME).display()
                    );
                    store.close().await;
                }
            }
            Ok(())
        }
        DbCommand::Status => match configured_rdbms(source)? {
            Some(rdbms) => {
                let store = PgStore::connect(&rdbms).await?;
                let state = store.check_schema().await?;
                store.close().await;
                match state {
                    SchemaState::Current => {
                        println!(
                            "{}: schema current (version {})",
                            rdbms.target(),
                            PgStore::schema_version()
                        );
                        Ok(())
                    }
                    SchemaState::Problems(p) => Err(anyhow!(
                        "{}: schema not usable:\n  - {}",
                        rdbms.target(),
                        p.join("\n  - ")
                    )),
                }
            }
            None => {
                println!(
                    "SQLite store in {} (migrated automatically at start)",
                    data_dir.display()
                );
                Ok(())
            }
        },
        DbCommand::Copy { from, to } => {
            let from_store = open_named(&from, source, data_dir, Migrations::Require)
                .await
                .with_context(|| format!("source {from}"))?;
            let to_store = open_named(&to, source, data_dir, Migrations::Apply)
                .await
                .with_context(|| format!("target {to}"))?;
            let report =
                meerkat_storage::copy_store(&*from_store.store(), &*to_store.store()).await;
            from_store.close().await;
            to_store.close().await;
            println!("copied {}", report?);
            Ok(())
        }
    }
}

/// `config`, `sqlite:<dir>` or a `postgres://` URL.
async fn open_named(
    name: &str,
    source: &ConfigSource,
    data_dir: &Path,
    migrations: Migrations,
) -> anyhow::Result<Backend> {
    if name == "config" {
        let rdbms = configured_rdbms(source)?;
        return Ok(Backend::open(rdbms.as_ref(), data_dir, migrations).await?);
    }
    if let Some(dir) = name.strip_prefix("sqlite:") {
        let dir = PathBuf::from(dir);
        if migrations == Migrations::Require && !dir.join(meerkat_storage::DB_FILE_NAME).exists() {
            return Err(anyhow!(
                "no {} in {}",
                meerkat_storage::DB_FILE_NAME,
                dir.display()
            ));
        }
        return Ok(Backend::Sqlite(SqliteStore::open(&dir).await?));
    }
    if name.starts_with("postgres://") || name.starts_with("postgresql://") {
        let store = PgStore::connect_url(name).await?;
        match migrations {
            Migrations::Apply => {
                store.migrate().await?;
            }
            Migrations::Require => store.require_current_schema().await?,
        }
        return Ok(Backend::Postgres(store));
    }
    Err(anyhow!(
        "expected `config`, `sqlite:<data dir>` or `postgres://user:password@host:port/database`"
    ))
}
