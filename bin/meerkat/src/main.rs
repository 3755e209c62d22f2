//! `meerkat`: run the server, check a config file.

use clap::{Parser, Subcommand};
use meerkat::{LoadedConfig, load_config_file, load_config_str};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// MongooseIM's HTTP services (BOSH, WebSocket, GraphQL, REST, Prometheus) in one binary.
#[derive(Parser)]
#[command(version, about)]
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
    Run,
    /// Validate a config file: print every problem with its TOML path; exit 1 on errors.
    CheckConfig {
        /// The file to check (default: the --config file).
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::CheckConfig { file }) => check_config(file.or(cli.config)),
        None | Some(Command::Run) => run(cli.config, &cli.data_dir),
    }
}

fn check_config(file: Option<PathBuf>) -> ExitCode {
    let path = file.unwrap_or_else(|| PathBuf::from("config/meerkat.toml"));
    match load_config_file(&path) {
        Ok(loaded) => {
            print!("{}", loaded.diagnostics);
            println!(
                "{}: OK ({} listener(s))",
                path.display(),
                loaded.listeners.len()
            );
            ExitCode::SUCCESS
        }
        Err(diag) => {
            eprint!("{diag}");
            eprintln!("{}: {} error(s)", path.display(), diag.errors.len());
            ExitCode::FAILURE
        }
    }
}

fn load(config: Option<PathBuf>) -> Result<(LoadedConfig, String), ExitCode> {
    let default = Path::new("config/meerkat.toml");
    let (result, source) = match config {
        Some(p) => (load_config_file(&p), p.display().to_string()),
        None if default.exists() => (load_config_file(default), default.display().to_string()),
        None => (
            load_config_str(meerkat::DEFAULT_CONFIG),
            "the embedded default config".to_owned(),
        ),
    };
    match result {
        Ok(l) => Ok((l, source)),
        Err(diag) => {
            eprint!("{diag}");
            eprintln!("{source}: {} error(s); not starting", diag.errors.len());
            Err(ExitCode::FAILURE)
        }
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{level},sqlx=warn")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .init();
}

fn run(config: Option<PathBuf>, data_dir: &Path) -> ExitCode {
    let (loaded, source) = match load(config) {
        Ok(x) => x,
        Err(code) => return code,
    };
    init_logging(loaded.server.general.loglevel.as_filter());
    for w in &loaded.diagnostics.warnings {
        tracing::warn!(path = %w.path, "{}", w.message);
    }
    tracing::info!(config = %source, data_dir = %data_dir.display(), hosts = ?loaded.server.general.hosts, "starting meerkat");
    let system = actix_rt::System::new();
    let result = system.block_on(async move {
        let running =
            meerkat::start(loaded, data_dir, &listener_core::StartOptions::default()).await?;
        // actix stops the listeners gracefully on SIGINT/SIGTERM; wait for that.
        running.listeners.wait().await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meerkat: {e:#}");
            ExitCode::FAILURE
        }
    }
}
