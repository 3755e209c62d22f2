//! Admin categories whose MongooseIM module (or internal database) meerkat does not have:
//! every operation is present with MongooseIM's exact signature and types, checks the
//! caller's domain-admin scope first (as MongooseIM's `@protected` directive is applied
//! before `@use` swaps the resolver), and then answers `deps_not_loaded` naming what is
//! missing. Each category is its own module so that it can be replaced by a real one.

pub mod blocklist;
pub mod broadcast;
pub mod cets;
pub mod external_services;
pub mod http_upload;
pub mod inbox;
pub mod mnesia;
pub mod muc;
pub mod muc_light;

use juniper::FieldResult;

/// `deps_not_loaded` for a missing module or internal database (see
/// [`crate::context::deps_not_loaded`]).
pub fn deps_not_loaded<T>(modules: &[&str], internal_databases: &[&str]) -> FieldResult<T> {
    Err(crate::context::deps_not_loaded(
        modules,
        &[],
        internal_databases,
    ))
}
