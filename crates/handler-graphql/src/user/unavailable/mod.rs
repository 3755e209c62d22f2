//! User categories whose MongooseIM module meerkat does not have: every operation is
//! present with MongooseIM's exact signature and answers `deps_not_loaded` (see
//! [`crate::admin::unavailable`]). Each category is its own module so that it can be
//! replaced by a real one.

pub mod http_upload;
pub mod inbox;
pub mod muc;
pub mod muc_light;
