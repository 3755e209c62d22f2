//! The base every HTTP handler stands on: the [`Handler`] plugin trait and its registry
//! descriptor, the `[[listen.http]]` config with validation, TLS, and the actix-web server
//! assembly (host/path routing, compression, connection limits).

pub mod auth;
pub mod config;
pub mod handler;
pub mod options;
#[cfg(feature = "rest")]
pub mod rest;
pub mod server;
pub mod tls;

pub use config::{HandlerConfig, ListenerConfig, read_listen};
pub use handler::{
    BuildError, ConfiguredHandler, Handler, HandlerContext, HandlerDescriptor, ListenerInfo, Mount,
    Service, compiled_out, descriptor,
};
pub use options::{Credentials, Reported, read_subset};
pub use server::{Listener, Running, StartOptions, start};
