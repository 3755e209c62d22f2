//! The meerkat server as a library: config loading through the handler registry, and
//! start-up of the core and every listener. `main.rs` is the CLI over it; integration
//! tests start servers in-process through [`start`].

pub mod registry;

use listener_core::{Listener, ListenerConfig, Running, StartOptions};
use meerkat_core::config::{Diagnostics, ServerConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// Parses and validates config text. On any error, returns every problem found.
pub fn load_config_str(text: &str) -> Result<LoadedConfig, Diagnostics> {
    let mut diag = Diagnostics::default();
    let root: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let at = e
                .span()
                .map(|s| line_col(text, s.start))
                .map(|(l, c)| format!(" at line {l}, column {c}"));
            diag.error(
                "",
                format!(
                    "TOML syntax error{}: {}",
                    at.unwrap_or_default(),
                    e.message()
                ),
            );
            return Err(diag);
        }
    };
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
    match std::fs::read_to_string(path) {
        Ok(text) => load_config_str(&text),
        Err(e) => {
            let mut d = Diagnostics::default();
            d.error(
                "",
                format!("cannot read config file {}: {e}", path.display()),
            );
            Err(d)
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

/// A running meerkat: the core and its listeners.
pub struct Meerkat {
    /// The XMPP core.
    pub server: meerkat_core::Server,
    /// The HTTP listeners.
    pub listeners: Running,
}

/// Where the server keeps its data unless told otherwise.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

/// Opens storage under `data_dir`, starts the core and binds every listener. Must be
/// called inside an actix system.
pub async fn start(
    config: LoadedConfig,
    data_dir: &Path,
    opts: &StartOptions,
) -> anyhow::Result<Meerkat> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", data_dir.display()))?;
    let store = meerkat_storage::SqliteStore::open(data_dir).await?;
    let server = meerkat_core::Server::new(config.server, Arc::new(store));
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
    Ok(Meerkat { server, listeners })
}
