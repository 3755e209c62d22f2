//! The meerkat server as a library: config loading through the handler registry, and
//! start-up of the core and every listener. `main.rs` is the CLI over it; integration
//! tests start servers in-process through [`start`].

pub mod registry;

#[cfg(test)]
mod invariants;

use listener_core::{Listener, ListenerConfig, Running, StartOptions};
use meerkat_core::config::{Diagnostics, ServerConfig};
use meerkat_storage::{Backend, Migrations};
use std::path::{Path, PathBuf};

/// The embedded default config (a copy of `config/meerkat.toml`).
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/meerkat.toml");

/// A config file read and validated.
pub struct LoadedConfig {
    /// Everything but the listeners.
    pub server: ServerConfig,
    /// `[[listen.http]]` entries.
    pub listeners: Vec<ListenerConfig>,
    /// Warnings (accepted but ignored options); errors make loading fail.
    pub diagnostics: Diagnostics,
}

/// Where the config comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file.
    File(PathBuf),
    /// [`DEFAULT_CONFIG`], compiled into the binary.
    Embedded,
}

impl ConfigSource {
    /// The file the server would use: `explicit` (from `--config`) if given, else
    /// `config/meerkat.toml` in the working directory if present, else the embedded default.
    pub fn resolve(explicit: Option<PathBuf>) -> ConfigSource {
        let default = Path::new(DEFAULT_CONFIG_PATH);
        match explicit {
            Some(path) => ConfigSource::File(path),
            None if default.exists() => ConfigSource::File(default.to_path_buf()),
            None => ConfigSource::Embedded,
        }
    }

    /// The config text. A file that cannot be read is a problem like any other.
    pub fn read(&self) -> Result<String, Diagnostics> {
        match self {
            ConfigSource::Embedded => Ok(DEFAULT_CONFIG.to_owned()),
            ConfigSource::File(path) => std::fs::read_to_string(path).map_err(|e| {
                let mut d = Diagnostics::default();
                d.error(
                    "",
                    format!("cannot read config file {}: {e}", path.display()),
                );
                d
            }),
        }
    }
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigSource::File(path) => write!(f, "{}", path.display()),
            ConfigSource::Embedded => f.write_str("the embedded default config"),
        }
    }
}

/// Where [`ConfigSource::resolve`] looks when no file is given.
pub const DEFAULT_CONFIG_PATH: &str = "config/meerkat.toml";

/// Parses TOML; a syntax error becomes a problem that names its line and column.
fn parse_toml(text: &str) -> Result<toml::Table, Diagnostics> {
    toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| line_col(text, s.start))
            .map(|(l, c)| format!(" at line {l}, column {c}"));
        let mut diag = Diagnostics::default();
        diag.error(
            "",
            format!(
                "TOML syntax error{}: {}",
                at.unwrap_or_default(),
                e.message()
            ),
        );
        diag
    })
}

/// Parses and validates config text. On any error, returns every problem found.
pub fn load_config_str(text: &str) -> Result<LoadedConfig, Diagnostics> {
    let root = parse_toml(text)?;
    let mut diag = Diagnostics::default();
    let server = ServerConfig::read(&root, &mut diag);
    let listeners = listener_core::read_listen(&root, registry::HANDLERS, &mut diag);
    if diag.is_ok() {
        Ok(LoadedConfig {
            server,
            listeners,
            diagnostics: diag,
        })
    } else {
        Err(diag)
    }
}

/// Reads and validates a config file.
pub fn load_config_file(path: &Path) -> Result<LoadedConfig, Diagnostics> {
    load_config_str(&ConfigSource::File(path.to_path_buf()).read()?)
}

/// Reads everything but `[listen]`: what tools that do not serve HTTP (the account
/// CLI) need. Listener problems (such as a certificate file that is only readable from
/// the server's working directory) are not looked at; every other problem is reported.
pub fn load_server_config_str(text: &str) -> Result<(ServerConfig, Diagnostics), Diagnostics> {
    let root = parse_toml(text)?;
    let mut diag = Diagnostics::default();
    let server = ServerConfig::read(&root, &mut diag);
    if diag.is_ok() {
        Ok((server, diag))
    } else {
        Err(diag)
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

/// A running meerkat: the core, its store and its listeners.
pub struct Meerkat {
    /// The XMPP core.
    pub server: meerkat_core::Server,
    /// The HTTP listeners.
    pub listeners: Running,
    /// The store the core runs on (close it after the listeners have stopped).
    pub store: Backend,
}

/// Where the server keeps its data unless told otherwise.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

/// Opens the store (PostgreSQL when `[outgoing_pools.rdbms.default]` is configured, its
/// schema migrated only with `Migrations::Apply`; else SQLite under `data_dir`), starts the
/// core and binds every listener. Must be called inside an actix system.
pub async fn start(
    config: LoadedConfig,
    data_dir: &Path,
    migrations: Migrations,
    opts: &StartOptions,
) -> anyhow::Result<Meerkat> {
    let store = Backend::open(config.server.rdbms.as_ref(), data_dir, migrations).await?;
    let server = meerkat_core::Server::new(config.server, store.store());
    server.load_dynamic_domains().await?;
    // The 60 s windows of the metric API start with the server.
    meerkat_core::commands::metric::start_sampler(&server);
    // The modules' background workers (none of the built-in modules has one yet).
    server.start_modules();
    let listeners = config
        .listeners
        .into_iter()
        .map(|l| Listener::build(l, &server))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = StartOptions {
        server_name: server.config().general.http_server_name.clone(),
        ..opts.clone()
    };
    let listeners = listener_core::start(listeners, &opts)?;
    Ok(Meerkat {
        server,
        listeners,
        store,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é = 1\nx", 2), (1, 2));
        // An offset inside a character or past the end does not panic.
        assert_eq!(line_col("é", 1), (1, 1));
        assert_eq!(line_col("ab", 99), (1, 3));
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let Err(d) = load_config_str("[general]\nhosts = [\"é\"] x\n") else {
            panic!("accepted");
        };
        assert_eq!(d.errors.len(), 1);
        assert!(
            d.errors[0]
                .message
                .starts_with("TOML syntax error at line 2, column 15: "),
            "{}",
            d.errors[0]
        );
    }
}
