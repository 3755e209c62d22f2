//! Types shared by the admin and user schemas (MongooseIM's `priv/graphql/schemas/global`)
//! that the categories meerkat does not implement yet still need, so that their
//! operations keep MongooseIM's exact signatures.

pub mod broadcast;
pub mod http_upload;
pub mod muc;
pub mod muc_light;
