//! `offline` category (admin): MongooseIM's `admin/offline.gql`.

use super::roster::with_context;
use crate::context::{Ctx, IntoField};
use crate::scalars::{DomainName, PosInt};
use juniper::{FieldResult, graphql_object};
use meerkat_core::commands::offline;

/// Allow admin to delete offline messages from specified domain.
pub struct OfflineAdminMutation;

#[graphql_object(context = Ctx, name = "OfflineAdminMutation")]
impl OfflineAdminMutation {
    /// Delete offline messages whose date has expired
    async fn delete_expired_messages(ctx: &Ctx, domain: DomainName) -> FieldResult<Option<String>> {
        ctx.guard(
            "OfflineAdminMutation.deleteExpiredMessages",
            &[("domain", &domain)],
        )?;
        offline::delete_expired_messages(&ctx.server, domain.as_str())
            .await
            .map_err(|e| with_context(e, &[("domain", domain.as_str())]))
            .field()
            .map(Some)
    }

    /// Delete messages at least as old as the number of days specified in the parameter
    async fn delete_old_messages(
        ctx: &Ctx,
        domain: DomainName,
        days: PosInt,
    ) -> FieldResult<Option<String>> {
        ctx.guard(
            "OfflineAdminMutation.deleteOldMessages",
            &[("domain", &domain)],
        )?;
        let days_text = days.0.to_string();
        offline::delete_old_messages(&ctx.server, domain.as_str(), days.0.unsigned_abs())
            .await
            .map_err(|e| with_context(e, &[("domain", domain.as_str()), ("days", &days_text)]))
            .field()
            .map(Some)
    }
}
