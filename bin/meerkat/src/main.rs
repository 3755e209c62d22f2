//! `meerkat`: run the server, check a config file, manage accounts.

mod account;
mod control;
mod ctl;
mod db;

use clap::{Parser, Subcommand};
use meerkat::{ConfigSource, LoadedConfig, load_config_str};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// MongooseIM's HTTP services (BOSH, WebSocket, GraphQL, REST, Prometheus) in one binary.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Config file (MongooseIM TOML). Default: config/meerkat.toml if present, else the
    /// embedded default.
    #[arg(long, short, global = true, env = "MEERKAT_CONFIG")]
    config: Option<PathBuf>,
    /// Directory for the database and other state.
    #[arg(long, global = true, env = "MEERKAT_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Run {
        /// Create or upgrade the PostgreSQL schema before starting (as `meerkat db
        /// migrate`); without it, a database whose schema is not current is refused.
        #[arg(long)]
        migrate: bool,
    },
    /// The store: schema migrations and copying data between SQLite and PostgreSQL.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Validate a config file: print every problem with its TOML path; exit 1 on errors.
    CheckConfig {
        /// The file to check (default: the config `run` would use).
        file: Option<PathBuf>,
    },
    /// Manage accounts in the data directory, without any API.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Run an admin GraphQL operation on the running server, as mongooseimctl does:
    /// `meerkat ctl <category> <operation> --arg value ...`. Alone it lists the categories;
    /// with a category, its operations and their arguments.
    Ctl {
        /// A TLS admin endpoint's certificate must chain to this CA certificate (PEM)
        /// instead of the system's trusted roots.
        #[arg(long, value_name = "FILE")]
        cacert: Option<PathBuf>,
        /// A client certificate chain (PEM) for a TLS listener that asks for one
        /// (`tls.verify_mode` "peer", the default, or "selfsigned_peer").
        #[arg(long, value_name = "FILE", requires = "key")]
        cert: Option<PathBuf>,
        /// The private key (PEM, unencrypted) of `--cert`.
        #[arg(long, value_name = "FILE", requires = "cert")]
        key: Option<PathBuf>,
        /// Category, operation, and `--name value` arguments (`--help` after an operation
        /// lists its arguments).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// jemalloc with a background purge thread (options in .cargo/config.toml): memory freed
/// when sessions end goes back to the OS within seconds; glibc malloc keeps it.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::CheckConfig { file }) => {
            check_config(&ConfigSource::resolve(file.or(cli.config)))
        }
        Some(Command::Account(cmd)) => {
            account::main(cmd, &ConfigSource::resolve(cli.config), &cli.data_dir)
        }
        Some(Command::Ctl {
            args,
            cacert,
            cert,
            key,
        }) => {
            let tls = ctl::TlsFiles {
                cacert,
                client: cert.zip(key),
            };
            ctl::main(args, &ConfigSource::resolve(cli.config), &tls)
        }
        Some(Command::Db(cmd)) => db::main(cmd, &ConfigSource::resolve(cli.config), &cli.data_dir),
        None => run(&ConfigSource::resolve(cli.config), &cli.data_dir, false),
        Some(Command::Run { migrate }) => {
            run(&ConfigSource::resolve(cli.config), &cli.data_dir, migrate)
        }
    }
}

fn check_config(source: &ConfigSource) -> ExitCode {
    match source.read().and_then(|text| load_config_str(&text)) {
        Ok(loaded) => {
            print!("{}", loaded.diagnostics);
            println!(
                "{source}: OK ({} listener(s), {} warning(s))",
                loaded.listeners.len(),
                loaded.diagnostics.warnings.len()
            );
            ExitCode::SUCCESS
        }
        Err(diag) => {
            eprint!("{diag}");
            eprintln!("{source}: {} error(s)", diag.errors.len());
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, coloured only on a terminal. `RUST_LOG` overrides the config's level.
/// The handle changes the level at run time (the admin API's `server.setLoglevel`).
pub(crate) fn init_logging(level: &str) -> std::sync::Arc<control::LogHandle> {
    control::init_logging(level)
}

fn run(source: &ConfigSource, data_dir: &Path, migrate: bool) -> ExitCode {
    let loaded: LoadedConfig = match source.read().and_then(|text| load_config_str(&text)) {
        Ok(l) => l,
        Err(diag) => {
            eprint!("{diag}");
            eprintln!("{source}: {} error(s); not starting", diag.errors.len());
            return ExitCode::FAILURE;
        }
    };
    let log = init_logging(loaded.server.general.loglevel.as_filter());
    for w in &loaded.diagnostics.warnings {
        tracing::warn!(path = %w.path, "{}", w.message);
    }
    tracing::info!(config = %source, data_dir = %data_dir.display(), hosts = ?loaded.server.general.hosts, "starting meerkat");
    let system = actix_rt::System::new();
    let migrations = if migrate {
        meerkat_storage::Migrations::Apply
    } else {
        meerkat_storage::Migrations::Require
    };
    let result = system.block_on(serve(loaded, data_dir, migrations, log));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meerkat: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Starts everything, waits for SIGTERM or SIGINT, then stops gracefully: listeners
/// first (open requests may finish), then the store. A second signal stops at once.
async fn serve(
    loaded: LoadedConfig,
    data_dir: &Path,
    migrations: meerkat_storage::Migrations,
    log: std::sync::Arc<control::LogHandle>,
) -> anyhow::Result<()> {
    // Install the handlers before binding, so a signal that arrives during start-up is
    // not fatal but a request to stop.
    let mut signals = Signals::new()?;
    let opts = listener_core::StartOptions {
        handle_signals: false,
        ..listener_core::StartOptions::default()
    };
    let meerkat::Meerkat {
        server,
        listeners,
        store,
    } = meerkat::start(loaded, data_dir, migrations, &opts).await?;
    // The admin API may change the log level and request a graceful stop.
    let stop = std::sync::Arc::new(control::StopRequest::default());
    server.set_log_control(log);
    server.set_stop_control(stop.clone());
    let signal = tokio::select! {
        signal = signals.recv() => signal,
        () = stop.requested() => "admin API",
    };
    tracing::info!(signal, "stopping gracefully");
    let handles = listeners.handles();
    // Each stop command is sent when `stop` is called; awaiting them one by one still stops
    // the listeners in parallel.
    let stops: Vec<_> = handles.iter().map(|h| h.stop(true)).collect();
    let graceful = async {
        for s in stops {
            s.await;
        }
    };
    tokio::select! {
        () = graceful => {}
        signal = signals.recv() => {
            tracing::warn!(signal, "second signal: stopping now");
            for h in &handles {
                h.stop(false).await;
            }
        }
    }
    let stopped = listeners.wait().await;
    server.stop_modules(std::time::Duration::from_secs(5)).await;
    store.close().await;
    stopped?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM and SIGINT (Ctrl-C).
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Waits for the next signal and names it.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}
