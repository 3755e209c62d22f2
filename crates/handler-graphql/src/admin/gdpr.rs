//! `gdpr` category (admin): MongooseIM's `admin/gdpr.gql`.

use crate::context::{Ctx, IntoField};
use crate::scalars::{DomainName, UserName};
use juniper::{FieldResult, graphql_object};
use meerkat_core::commands::gdpr;

/// Retrieve user's presonal data
pub struct GdprAdminQuery;

#[graphql_object(context = Ctx, name = "GdprAdminQuery")]
impl GdprAdminQuery {
    /// Retrieves all personal data from MongooseIM for a given user
    async fn retrieve_personal_data(
        ctx: &Ctx,
        username: UserName,
        domain: DomainName,
        result_filepath: String,
    ) -> FieldResult<Option<String>> {
        ctx.guard(
            "GdprAdminQuery.retrievePersonalData",
            &[("domain", &domain)],
        )?;
        gdpr::retrieve_personal_data(
            &ctx.server,
            username.as_str(),
            domain.as_str(),
            &result_filepath,
        )
        .await
        .field()
        .map(Some)
    }
}
