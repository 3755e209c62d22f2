//! `broadcast` (admin): MongooseIM's `admin/broadcast.gql`. Needs `mod_broadcast`, which
//! meerkat does not have: every operation answers `deps_not_loaded` after the
//! domain-admin check.
#![allow(unused_variables)] // arguments are declared for the schema only

use super::deps_not_loaded;
use crate::context::Ctx;
use crate::global::broadcast::{Broadcast, BroadcastMutationResult, BroadcastRecipientGroup};
use crate::scalars::{BareJidScalar, DomainName, NonNegInt, PosInt};
use juniper::{FieldResult, graphql_object};

const MODULES: &[&str] = &["mod_broadcast"];

/// Queries for managing broadcast jobs.
pub struct BroadcastAdminQuery;

#[graphql_object(context = Ctx, name = "BroadcastAdminQuery")]
impl BroadcastAdminQuery {
    /// Get a paginated list of all broadcast jobs for a domain
    fn get_broadcasts(
        ctx: &Ctx,
        domain: DomainName,
        #[graphql(desc = "Maximum number of entries to return", default = PosInt(50))]
        limit: Option<PosInt>,
        #[graphql(
            desc = "Zero-based index of the first broadcast to return",
            default = NonNegInt(0)
        )]
        index: Option<NonNegInt>,
    ) -> FieldResult<Option<Vec<Broadcast>>> {
        ctx.guard("BroadcastAdminQuery.getBroadcasts", &[("domain", &domain)])?;
        deps_not_loaded(MODULES, &[])
    }

    /// Get information about a specific broadcast job
    fn get_broadcast(ctx: &Ctx, domain: DomainName, id: i32) -> FieldResult<Option<Broadcast>> {
        ctx.guard("BroadcastAdminQuery.getBroadcast", &[("domain", &domain)])?;
        deps_not_loaded(MODULES, &[])
    }
}

/// Mutations for managing broadcast jobs.
pub struct BroadcastAdminMutation;

#[graphql_object(context = Ctx, name = "BroadcastAdminMutation")]
impl BroadcastAdminMutation {
    /// Start a new broadcast job for a domain. Only one running job per domain is allowed
    #[allow(clippy::too_many_arguments)]
    fn start_broadcast(
        ctx: &Ctx,
        #[graphql(desc = "Human-readable label of the broadcast")] name: String,
        domain: DomainName,
        #[graphql(desc = "Message subject to be included in <subject> element")]
        message_subject: String,
        #[graphql(desc = "Message body to be included in <body> element")] message_body: String,
        #[graphql(
            desc = "Bare JID for the 'from' attribute. Unless executed by global admin, must belong to broadcast domain"
        )]
        sender_jid: BareJidScalar,
        #[graphql(desc = "Number of messages per second to route (1-1000)")] message_rate: PosInt,
        #[graphql(desc = "The group of recipients to target")]
        recipient_group: BroadcastRecipientGroup,
    ) -> FieldResult<Option<BroadcastMutationResult>> {
        ctx.guard(
            "BroadcastAdminMutation.startBroadcast",
            &[("domain", &domain)],
        )?;
        deps_not_loaded(MODULES, &[])
    }

    /// Abort an existing broadcast job
    fn abort_broadcast(
        ctx: &Ctx,
        domain: DomainName,
        id: i32,
    ) -> FieldResult<Option<BroadcastMutationResult>> {
        ctx.guard(
            "BroadcastAdminMutation.abortBroadcast",
            &[("domain", &domain)],
        )?;
        deps_not_loaded(MODULES, &[])
    }

    /// Delete finished or aborted broadcasts by their IDs. Returns broadcast IDs that were actually deleted
    fn delete_inactive_broadcasts_by_ids(
        ctx: &Ctx,
        domain: DomainName,
        ids: Vec<i32>,
    ) -> FieldResult<Option<BroadcastMutationResult>> {
        ctx.guard(
            "BroadcastAdminMutation.deleteInactiveBroadcastsByIds",
            &[("domain", &domain)],
        )?;
        deps_not_loaded(MODULES, &[])
    }

    /// Delete all finished or aborted broadcasts within a specific domain. Will skip broadcasts that are still running. Returns broadcast IDs that were actually deleted
    fn delete_inactive_broadcasts_by_domain(
        ctx: &Ctx,
        domain: DomainName,
    ) -> FieldResult<Option<BroadcastMutationResult>> {
        ctx.guard(
            "BroadcastAdminMutation.deleteInactiveBroadcastsByDomain",
            &[("domain", &domain)],
        )?;
        deps_not_loaded(MODULES, &[])
    }
}
