//! The meerkat XMPP server core. It knows nothing about HTTP: transports hand it parsed
//! XML elements and take elements back (see [`c2s`]).

pub mod access;
pub mod accounts;
pub mod auth_token;
pub mod c2s;
pub mod commands;
pub mod config;
pub mod domains;
mod iq;
pub mod login_throttle;
pub mod metrics;
pub mod module;
pub mod modules;
pub mod presence;
mod router;
mod server;
pub mod shaper;
pub mod sm;
pub mod store;
pub mod util;
pub mod verified_passwords;

pub use accounts::AccountError;
pub use meerkat_xmpp;
pub use modules::{offline, roster};
pub use router::BoxFuture;
pub use server::Server;
