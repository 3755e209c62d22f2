//! `domain` category (admin): MongooseIM's `admin/domain.gql`, with the types of
//! `global/domain.gql` (`Domain`, `DomainWithType`, `DomainStatus`, `DomainType`).
//! MongooseIM needs `service_domain_db` for it; meerkat keeps dynamic domains in its own
//! store, so the category is always available.

use crate::context::{Ctx, IntoField};
use crate::scalars::{DomainName, NonEmptyString};
use juniper::{FieldResult, GraphQLEnum, GraphQLObject, graphql_object};
use meerkat_core::commands::domain::{self as core, DomainInfo};

/// `DomainStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "DomainStatus")]
pub enum DomainStatus {
    /// Domain is enabled and ready to route traffic
    #[graphql(name = "ENABLED")]
    Enabled,
    /// Domain is disabled and won't be loaded into MongooseIM
    #[graphql(name = "DISABLED")]
    Disabled,
    /// Domain has been marked for deletion and is disabled until all data is removed
    #[graphql(name = "DELETING")]
    Deleting,
    /// Domain is deleted and does not exist anymore
    #[graphql(name = "DELETED")]
    Deleted,
}

impl From<core::DomainStatus> for DomainStatus {
    fn from(s: core::DomainStatus) -> Self {
        match s {
            core::DomainStatus::Enabled => DomainStatus::Enabled,
            core::DomainStatus::Disabled => DomainStatus::Disabled,
            core::DomainStatus::Deleting => DomainStatus::Deleting,
            core::DomainStatus::Deleted => DomainStatus::Deleted,
        }
    }
}

/// `DomainType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "DomainType")]
pub enum DomainType {
    /// Domain is defined in the configuration file
    #[graphql(name = "STATIC")]
    Static,
    /// Domain is stored in the database
    #[graphql(name = "DYNAMIC")]
    Dynamic,
}

/// A dynamic domain representation.
/// Some operation could return incomplete object i.e. some fields can be null.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Domain")]
pub struct Domain {
    /// Domain name
    pub domain: Option<DomainName>,
    /// Domain hostType
    #[graphql(name = "hostType")]
    pub host_type: Option<String>,
    /// Is domain enabled?
    pub status: Option<DomainStatus>,
}

/// A domain representation with type.
/// Some operation could return incomplete object i.e. some fields can be null.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "DomainWithType")]
pub struct DomainWithType {
    /// Domain name
    pub domain: Option<DomainName>,
    /// Domain hostType
    #[graphql(name = "hostType")]
    pub host_type: Option<String>,
    /// Is domain enabled?
    pub status: Option<DomainStatus>,
    /// Domain source type
    #[graphql(name = "type")]
    pub kind: Option<DomainType>,
}

fn domain(d: DomainInfo) -> Domain {
    Domain {
        domain: Some(DomainName(d.domain)),
        host_type: d.host_type,
        status: d.status.map(Into::into),
    }
}

fn with_type(d: DomainInfo) -> DomainWithType {
    DomainWithType {
        domain: Some(DomainName(d.domain)),
        host_type: d.host_type,
        status: d.status.map(Into::into),
        kind: d.kind.map(|k| match k {
            core::DomainType::Static => DomainType::Static,
            core::DomainType::Dynamic => DomainType::Dynamic,
        }),
    }
}

/// `DomainAdminQuery`.
pub struct DomainAdminQuery;

#[graphql_object(context = Ctx, name = "DomainAdminQuery")]
impl DomainAdminQuery {
    /// Get all enabled domains by hostType. Only for global admin
    fn domains_by_host_type(ctx: &Ctx, host_type: String) -> FieldResult<Option<Vec<DomainName>>> {
        ctx.guard("DomainAdminQuery.domainsByHostType", &[])?;
        let list = core::domains_by_host_type(&ctx.server, &host_type).field()?;
        Ok(Some(list.into_iter().map(DomainName).collect()))
    }

    /// Get all domains with details. Returns a list of DomainWithType objects. Only for global admin
    async fn all_domains(ctx: &Ctx) -> FieldResult<Option<Vec<DomainWithType>>> {
        ctx.guard("DomainAdminQuery.allDomains", &[])?;
        let list = core::all_domains(&ctx.server).await.field()?;
        Ok(Some(list.into_iter().map(with_type).collect()))
    }

    /// Get information about the domain
    async fn domain_details(ctx: &Ctx, domain: DomainName) -> FieldResult<Option<DomainWithType>> {
        ctx.guard("DomainAdminQuery.domainDetails", &[("domain", &domain)])?;
        let d = core::domain_details(&ctx.server, domain.as_str())
            .await
            .field()?;
        Ok(Some(with_type(d)))
    }
}

/// `DomainAdminMutation`.
pub struct DomainAdminMutation;

#[graphql_object(context = Ctx, name = "DomainAdminMutation")]
impl DomainAdminMutation {
    /// Add new domain. Only for global admin
    async fn add_domain(
        ctx: &Ctx,
        domain: DomainName,
        host_type: String,
    ) -> FieldResult<Option<Domain>> {
        ctx.guard("DomainAdminMutation.addDomain", &[])?;
        let d = core::add_domain(&ctx.server, domain.as_str(), &host_type)
            .await
            .field()?;
        Ok(Some(self::domain(d)))
    }

    /// Remove domain. Only for global admin
    async fn remove_domain(
        ctx: &Ctx,
        domain: DomainName,
        host_type: String,
    ) -> FieldResult<Option<Domain>> {
        ctx.guard("DomainAdminMutation.removeDomain", &[])?;
        let d = core::remove_domain(&ctx.server, domain.as_str(), &host_type)
            .await
            .field()?;
        Ok(Some(self::domain(d)))
    }

    /// Remove domain asynchronously. Only for global admin
    async fn request_remove_domain(
        ctx: &Ctx,
        domain: DomainName,
        host_type: String,
    ) -> FieldResult<Option<Domain>> {
        ctx.guard("DomainAdminMutation.requestRemoveDomain", &[])?;
        let d = core::request_remove_domain(&ctx.server, domain.as_str(), &host_type)
            .await
            .field()?;
        Ok(Some(self::domain(d)))
    }

    /// Enable domain. Only for global admin
    async fn enable_domain(ctx: &Ctx, domain: DomainName) -> FieldResult<Option<Domain>> {
        ctx.guard("DomainAdminMutation.enableDomain", &[])?;
        let d = core::enable_domain(&ctx.server, domain.as_str())
            .await
            .field()?;
        Ok(Some(self::domain(d)))
    }

    /// Disable domain. Only for global admin
    async fn disable_domain(ctx: &Ctx, domain: DomainName) -> FieldResult<Option<Domain>> {
        ctx.guard("DomainAdminMutation.disableDomain", &[])?;
        let d = core::disable_domain(&ctx.server, domain.as_str())
            .await
            .field()?;
        Ok(Some(self::domain(d)))
    }

    /// Create or update domain admin password
    async fn set_domain_password(
        ctx: &Ctx,
        domain: DomainName,
        password: NonEmptyString,
    ) -> FieldResult<Option<String>> {
        ctx.guard(
            "DomainAdminMutation.setDomainPassword",
            &[("domain", &domain)],
        )?;
        core::set_domain_password(&ctx.server, domain.as_str(), password.as_str())
            .await
            .field()
            .map(Some)
    }

    /// Delete domain admin password. Only for global admin
    async fn delete_domain_password(ctx: &Ctx, domain: DomainName) -> FieldResult<Option<String>> {
        ctx.guard("DomainAdminMutation.deleteDomainPassword", &[])?;
        core::delete_domain_password(&ctx.server, domain.as_str())
            .await
            .field()
            .map(Some)
    }
}
