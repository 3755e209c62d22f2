//! `httpUpload` (user): MongooseIM's `user/http_upload.gql`. Needs `mod_http_upload`,
//! which meerkat does not have: answers `deps_not_loaded`.
#![allow(unused_variables)] // arguments are declared for the schema only

use crate::admin::unavailable::deps_not_loaded;
use crate::context::Ctx;
use crate::global::http_upload::FileUrls;
use crate::scalars::{NonEmptyString, PosInt};
use juniper::{FieldResult, graphql_object};

/// Allow user to generate upload/download URL for a file".
pub struct HttpUploadUserMutation;

#[graphql_object(context = Ctx, name = "HttpUploadUserMutation")]
impl HttpUploadUserMutation {
    /// Allow user to generate upload/download URLs for a file
    fn get_url(
        ctx: &Ctx,
        filename: NonEmptyString,
        size: PosInt,
        content_type: Option<String>,
        timeout: PosInt,
    ) -> FieldResult<Option<FileUrls>> {
        deps_not_loaded(&["mod_http_upload"], &[])
    }
}
