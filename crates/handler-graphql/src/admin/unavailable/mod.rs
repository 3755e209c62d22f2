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

use juniper::{FieldError, FieldResult, Value};

/// MongooseIM's `deps_not_loaded` resolver error (`mongoose_graphql_directive_use`):
/// message `Some of the required modules [and internal databases] are not loaded`,
/// extensions `not_loaded_modules` (sorted) and `not_loaded_internal_databases`.
pub fn deps_not_loaded<T>(modules: &[&str], internal_databases: &[&str]) -> FieldResult<T> {
    let mut modules: Vec<&str> = modules.to_vec();
    modules.sort_unstable();
    modules.dedup();
    let mut kinds = Vec::new();
    let mut ext = juniper::Object::with_capacity(3);
    ext.add_field("code", Value::scalar("deps_not_loaded".to_owned()));
    let list = |names: &[&str]| {
        Value::list(
            names
                .iter()
                .map(|n| Value::scalar((*n).to_owned()))
                .collect(),
        )
    };
    if !modules.is_empty() {
        kinds.push("modules");
        ext.add_field("not_loaded_modules", list(&modules));
    }
    if !internal_databases.is_empty() {
        kinds.push("internal databases");
        ext.add_field("not_loaded_internal_databases", list(internal_databases));
    }
    Err(FieldError::new(
        format!(
            "Some of the required {} are not loaded",
            kinds.join(" and ")
        ),
        Value::Object(ext),
    ))
}

/// Text of a bare JID argument.
pub(crate) fn bare(j: &crate::scalars::BareJidScalar) -> &str {
    j.0.as_str()
}

/// Text of a full JID argument.
pub(crate) fn full(j: &crate::scalars::FullJidScalar) -> &str {
    j.0.as_str()
}
