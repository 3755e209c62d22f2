//! The handler plugin contract. A handler crate implements [`Handler`]; the binary lists
//! it in its static registry with [`descriptor`]; the listener reads the handler's options
//! with [`Handler::read_config`] and mounts it with [`Handler::build`].

use meerkat_core::config::{Diagnostics, Section};
use std::fmt;
use std::sync::Arc;

/// Where a handler is mounted on a listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Host name to match (lower case), or `None` for "_" (any host).
    pub host: Option<String>,
    /// Path prefix, normalised: starts with '/', no trailing '/' (the root is "").
    pub path: String,
}

impl fmt::Display for Mount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{}{}", self.host.as_deref().unwrap_or("_"), path)
    }
}

/// Facts about the listener a handler is mounted on.
#[derive(Clone, Debug)]
pub struct ListenerInfo {
    /// TOML path of the listener (`listen.http[2]`).
    pub config_path: String,
    /// Whether the listener serves HTTPS.
    pub tls: bool,
    /// The address it is bound to (`ip_address`).
    pub ip: std::net::IpAddr,
}

/// What every handler gets at start-up: the running core and its listener. No globals:
/// state reaches handlers only through this value.
#[derive(Clone)]
pub struct HandlerContext {
    /// The XMPP server core.
    pub server: meerkat_core::Server,
    /// The listener being assembled.
    pub listener: ListenerInfo,
}

/// A handler that failed to start (e.g. a dependency of its config is unusable).
#[derive(Debug, thiserror::Error)]
#[error("{handler} at {mount}: {message}")]
pub struct BuildError {
    /// Handler type name.
    pub handler: &'static str,
    /// Where it was being mounted.
    pub mount: String,
    /// What went wrong.
    pub message: String,
}

/// A mounted handler: registers its routes, relative to its mount path, once per worker.
pub trait Service: Send + Sync + 'static {
    /// Adds routes. `""` is the mount path itself, `"/sse"` a sub-path.
    fn configure(&self, cfg: &mut actix_web::web::ServiceConfig);
}

/// One kind of HTTP handler (`mod_bosh`, `mongoose_graphql_handler`, ...).
pub trait Handler: 'static {
    /// The key under `listen.http.handlers`, as in MongooseIM's documentation.
    const NAME: &'static str;
    /// Other keys accepted for the same handler (MongooseIM renamed some in 6.6).
    const ALIASES: &'static [&'static str] = &[];
    /// The handler's options besides `host` and `path`.
    type Config: Send + Sync + 'static;
    /// Reads the options from the handler's table (`host` and `path` already taken).
    /// Record every problem in `diag`; leftover keys are reported as unknown afterwards.
    fn read_config(section: &mut Section<'_>, diag: &mut Diagnostics) -> Option<Self::Config>;
    /// Builds the service mounted at `mount`.
    fn build(
        config: &Self::Config,
        mount: &Mount,
        cx: &HandlerContext,
    ) -> Result<Arc<dyn Service>, BuildError>;
}

/// A handler's config, read and type-erased, waiting for the server context.
pub trait ConfiguredHandler: Send + Sync {
    /// Builds the service (see [`Handler::build`]).
    fn build(&self, mount: &Mount, cx: &HandlerContext) -> Result<Arc<dyn Service>, BuildError>;
}

struct Configured<H: Handler>(H::Config);

impl<H: Handler> ConfiguredHandler for Configured<H> {
    fn build(&self, mount: &Mount, cx: &HandlerContext) -> Result<Arc<dyn Service>, BuildError> {
        H::build(&self.0, mount, cx)
    }
}

/// Reads a handler table into a type-erased config.
pub type ConfigReader =
    fn(&mut Section<'_>, &mut Diagnostics) -> Option<Box<dyn ConfiguredHandler>>;

fn read_erased<H: Handler>(
    s: &mut Section<'_>,
    d: &mut Diagnostics,
) -> Option<Box<dyn ConfiguredHandler>> {
    H::read_config(s, d).map(|c| Box::new(Configured::<H>(c)) as Box<dyn ConfiguredHandler>)
}

/// One registry entry: a TOML type name, its aliases, the cargo feature that builds it,
/// and its config reader (`None` when the feature was compiled out).
#[derive(Clone, Copy)]
pub struct HandlerDescriptor {
    /// Key under `listen.http.handlers`.
    pub name: &'static str,
    /// Other accepted keys.
    pub aliases: &'static [&'static str],
    /// Cargo feature of the `meerkat` binary that links this handler.
    pub feature: &'static str,
    /// Config reader, when linked.
    pub reader: Option<ConfigReader>,
}

impl HandlerDescriptor {
    /// Whether `key` names this handler.
    pub fn matches(&self, key: &str) -> bool {
        self.name == key || self.aliases.contains(&key)
    }
}

/// The registry entry of a linked handler.
pub const fn descriptor<H: Handler>(feature: &'static str) -> HandlerDescriptor {
    HandlerDescriptor {
        name: H::NAME,
        aliases: H::ALIASES,
        feature,
        reader: Some(read_erased::<H>),
    }
}

/// The registry entry of a handler whose feature was left out of this build.
pub const fn compiled_out(
    name: &'static str,
    aliases: &'static [&'static str],
    feature: &'static str,
) -> HandlerDescriptor {
    HandlerDescriptor {
        name,
        aliases,
        feature,
        reader: None,
    }
}
