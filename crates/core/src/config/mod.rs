//! Reading the MongooseIM-style TOML config: every section except `[listen]`, which
//! belongs to `listener-core`. Problems are collected in [`Diagnostics`] with their TOML
//! path; nothing stops at the first one.

mod diag;
pub mod known;
mod rdbms;
mod reader;
mod server;

pub use crate::module::ModuleSet;
pub use diag::{Diagnostics, Problem, index, join};
pub use rdbms::{RdbmsConfig, RdbmsTls, RdbmsVerify};
pub use reader::{FromToml, Limit, Positive, PositiveLimit, Section, type_name};
pub use server::{
    AnonymousProtocol, AuthConfig, BoshSettings, GeneralConfig, InstrumentationConfig, LogLevel,
    PasswordFormat, SaslMechanism, ServerConfig,
};
