//! What the binary hands the core so that the admin API can act on the process: the log
//! level (a tracing reload handle around the `EnvFilter`) and a graceful stop (a
//! notification that `serve` waits on beside the signals).

use meerkat_core::commands::server::{LogControl, LogLevel, StopControl};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// The filter for a MongooseIM level: `sqlx` is held at `warn` unless the level is
/// quieter (its query logging is noise at info and below).
fn directive(level: LogLevel) -> String {
    match level.tracing_level() {
        Some(l) if l > tracing::Level::WARN => format!("{},sqlx=warn", level.filter()),
        _ => level.filter().to_owned(),
    }
}

/// The installed subscriber's filter, changeable at run time.
pub struct LogHandle {
    handle: reload::Handle<EnvFilter, Registry>,
    level: Mutex<LogLevel>,
}

impl LogControl for LogHandle {
    fn level(&self) -> LogLevel {
        *self.level.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_level(&self, level: LogLevel) -> Result<(), String> {
        let filter = EnvFilter::try_new(directive(level)).map_err(|e| e.to_string())?;
        self.handle.reload(filter).map_err(|e| e.to_string())?;
        *self.level.lock().unwrap_or_else(|e| e.into_inner()) = level;
        Ok(())
    }
}

/// Installs the global subscriber: logs to stderr, coloured only on a terminal, at
/// `level` (a tracing filter directive) unless `RUST_LOG` says otherwise. The returned
/// handle reports the most verbose level enabled and can change it.
pub fn init_logging(level: &str) -> Arc<LogHandle> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(format!("{level},sqlx=warn")))
        .unwrap_or_else(|_| EnvFilter::new("warn,sqlx=warn"));
    // No hint means per-span filters: anything may be enabled.
    let current = filter
        .max_level_hint()
        .map_or(LogLevel::All, |l| LogLevel::from_tracing(l.into_level()));
    let (filter, handle) = reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second initialisation (tests calling twice) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .try_init();
    Arc::new(LogHandle {
        handle,
        level: Mutex::new(current),
    })
}

/// A stop requested through the admin API.
#[derive(Default)]
pub struct StopRequest(tokio::sync::Notify);

impl StopRequest {
    /// Resolves once a stop was requested (also when it was requested before).
    pub async fn requested(&self) {
        self.0.notified().await;
    }
}

impl StopControl for StopRequest {
    fn request_stop(&self) {
        self.0.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_keep_sqlx_quiet() {
        assert_eq!(directive(LogLevel::None), "off");
        assert_eq!(directive(LogLevel::Critical), "error");
        assert_eq!(directive(LogLevel::Warning), "warn");
        assert_eq!(directive(LogLevel::Notice), "info,sqlx=warn");
        assert_eq!(directive(LogLevel::All), "trace,sqlx=warn");
        for l in LogLevel::ALL_LEVELS {
            assert!(EnvFilter::try_new(directive(l)).is_ok(), "{l}");
        }
    }
}
