//! `httpUpload` (admin): MongooseIM's `admin/http_upload.gql`. Needs `mod_http_upload`,
//! which meerkat does not have: answers `deps_not_loaded` after the domain-admin check.
#![allow(unused_variables)] // arguments are declared for the schema only

use super::deps_not_loaded;
use crate::context::Ctx;
use crate::global::http_upload::FileUrls;
use crate::scalars::{DomainName, NonEmptyString, PosInt};
use juniper::{FieldResult, graphql_object};

/// Allow admin to generate upload/download URL for a file on user's behalf".
pub struct HttpUploadAdminMutation;

#[graphql_object(context = Ctx, name = "HttpUploadAdminMutation")]
impl HttpUploadAdminMutation {
    /// Allow admin to generate upload/download URLs for a file on user's behalf
    fn get_url(
        ctx: &Ctx,
        domain: DomainName,
        filename: NonEmptyString,
        size: PosInt,
        content_type: Option<String>,
        timeout: PosInt,
    ) -> FieldResult<Option<FileUrls>> {
        ctx.guard("HttpUploadAdminMutation.getUrl", &[("domain", &domain)])?;
        deps_not_loaded(&["mod_http_upload"], &[])
    }
}
