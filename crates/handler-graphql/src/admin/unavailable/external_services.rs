//! `externalServices` (admin): MongooseIM's `admin/external_services.gql`. Needs
//! `mod_extdisco`, which meerkat does not have: answers `deps_not_loaded` after the
//! domain-admin check.
#![allow(unused_variables)] // arguments are declared for the schema only

use super::deps_not_loaded;
use crate::context::Ctx;
use crate::scalars::{DomainName, NonEmptyString, NonNegInt, PosInt};
use juniper::{FieldResult, GraphQLObject, graphql_object};

/// An external service (XEP-0215).
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Service")]
pub struct Service {
    /// Fully qualified domain name of the service.
    pub host: DomainName,
    /// Service type.
    #[graphql(name = "type")]
    pub kind: NonEmptyString,
    /// Port used to access the service.
    pub port: Option<NonNegInt>,
    /// Transport protocol used by the service (tcp or udp).
    pub transport: Option<NonEmptyString>,
    /// Authentication username.
    pub username: Option<NonEmptyString>,
    /// Authentication password.
    pub password: Option<NonEmptyString>,
    /// Expiration timestamp of the provided credentials (Unix time).
    pub expires: Option<PosInt>,
}

/// Allow admins to retrieve external services configured for a domain.
pub struct ExternalServicesAdminMutation;

#[graphql_object(context = Ctx, name = "ExternalServicesAdminMutation")]
impl ExternalServicesAdminMutation {
    /// Retrieve external services configured for a domain and generate temporary credentials.
    fn get_services(
        ctx: &Ctx,
        domain: DomainName,
        #[graphql(name = "type")] kind: Option<NonEmptyString>,
    ) -> FieldResult<Option<Vec<Option<Service>>>> {
        ctx.guard(
            "ExternalServicesAdminMutation.getServices",
            &[("domain", &domain)],
        )?;
        deps_not_loaded(&["mod_extdisco"], &[])
    }
}
