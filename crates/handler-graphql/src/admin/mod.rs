//! The admin schema (admin and domain_admin endpoints): `AdminQuery`, `AdminMutation`,
//! `AdminSubscription`, as in MongooseIM's `priv/graphql/schemas/admin`.
//!
//! Each category is a module with its query and mutation types; a root field checks the
//! category (enabled, authenticated) and returns the category object.

pub mod account;
// roster, vcard, private, last, offline categories
pub mod last;
pub mod offline;
pub mod private;
pub mod roster;
pub mod session;
pub mod stanza;
pub mod vcard;

// domain, token, gdpr categories
pub mod domain;
pub mod gdpr;
pub mod token;

// metric, stat, server, and the categories whose modules meerkat does not have
pub mod metric;
pub mod server;
pub mod stat;
pub mod unavailable;

use crate::context::{Auth, Ctx};
use juniper::{FieldResult, GraphQLEnum, GraphQLObject, graphql_object};

/// `AuthStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "AuthStatus")]
pub enum AuthStatus {
    /// Credentials accepted.
    #[graphql(name = "AUTHORIZED")]
    Authorized,
    /// No or wrong credentials.
    #[graphql(name = "UNAUTHORIZED")]
    Unauthorized,
}

/// `AuthType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "AuthType")]
pub enum AuthType {
    /// A domain admin.
    #[graphql(name = "DOMAIN_ADMIN")]
    DomainAdmin,
    /// The global admin.
    #[graphql(name = "ADMIN")]
    Admin,
    /// Nobody.
    #[graphql(name = "UNAUTHORIZED")]
    Unauthorized,
}

/// `AdminAuthInfo`.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "AdminAuthInfo")]
pub struct AdminAuthInfo {
    /// The domain admin's domain.
    pub domain: Option<String>,
    /// Authorization status.
    #[graphql(name = "authStatus")]
    pub auth_status: AuthStatus,
    /// Kind of admin.
    #[graphql(name = "authType")]
    pub auth_type: Option<AuthType>,
}

/// Root of admin queries.
pub struct AdminQuery;

#[graphql_object(context = Ctx, name = "AdminQuery")]
impl AdminQuery {
    /// Check authorization status.
    #[graphql(name = "checkAuth")]
    fn check_auth(ctx: &Ctx) -> Option<AdminAuthInfo> {
        Some(match &ctx.auth {
            Auth::Admin => AdminAuthInfo {
                domain: None,
                auth_status: AuthStatus::Authorized,
                auth_type: Some(AuthType::Admin),
            },
            Auth::DomainAdmin(d) => AdminAuthInfo {
                domain: Some(d.clone()),
                auth_status: AuthStatus::Authorized,
                auth_type: Some(AuthType::DomainAdmin),
            },
            _ => AdminAuthInfo {
                domain: None,
                auth_status: AuthStatus::Unauthorized,
                auth_type: None,
            },
        })
    }

    /// Account management.
    fn account(ctx: &Ctx) -> FieldResult<Option<account::AccountAdminQuery>> {
        ctx.category("account")?;
        Ok(Some(account::AccountAdminQuery))
    }

    // ---- domain, gdpr
    /// Dynamic domain management
    fn domain(ctx: &Ctx) -> FieldResult<Option<domain::DomainAdminQuery>> {
        ctx.category("domain")?;
        Ok(Some(domain::DomainAdminQuery))
    }

    /// Personal data management according to GDPR
    fn gdpr(ctx: &Ctx) -> FieldResult<Option<gdpr::GdprAdminQuery>> {
        ctx.category("gdpr")?;
        Ok(Some(gdpr::GdprAdminQuery))
    }

    /// User session management
    fn session(ctx: &Ctx) -> FieldResult<Option<session::SessionAdminQuery>> {
        ctx.category("session")?;
        Ok(Some(session::SessionAdminQuery))
    }

    /// Sending stanzas and querying MAM
    fn stanza(ctx: &Ctx) -> FieldResult<Option<stanza::StanzaAdminQuery>> {
        ctx.category("stanza")?;
        Ok(Some(stanza::StanzaAdminQuery))
    }

    // ---- roster, vcard, private, last, offline
    /// Roster/contacts management
    fn roster(ctx: &Ctx) -> FieldResult<Option<roster::RosterAdminQuery>> {
        ctx.category("roster")?;
        Ok(Some(roster::RosterAdminQuery))
    }

    /// vCard management
    fn vcard(ctx: &Ctx) -> FieldResult<Option<vcard::VcardAdminQuery>> {
        ctx.category("vcard")?;
        Ok(Some(vcard::VcardAdminQuery))
    }

    /// User private storage management
    fn private(ctx: &Ctx) -> FieldResult<Option<private::PrivateAdminQuery>> {
        ctx.category("private")?;
        Ok(Some(private::PrivateAdminQuery))
    }

    /// Last activity management
    fn last(ctx: &Ctx) -> FieldResult<Option<last::LastAdminQuery>> {
        ctx.category("last")?;
        Ok(Some(last::LastAdminQuery))
    }

    /// Browse metrics
    fn metric(ctx: &Ctx) -> FieldResult<Option<metric::MetricAdminQuery>> {
        ctx.category("metric")?;
        Ok(Some(metric::MetricAdminQuery))
    }

    /// Server statistics
    fn stat(ctx: &Ctx) -> FieldResult<Option<stat::StatsAdminQuery>> {
        ctx.category("stat")?;
        Ok(Some(stat::StatsAdminQuery))
    }

    /// Server info and management
    fn server(ctx: &Ctx) -> FieldResult<Option<server::ServerAdminQuery>> {
        ctx.category("server")?;
        Ok(Some(server::ServerAdminQuery))
    }

    /// MUC room management
    fn muc(ctx: &Ctx) -> FieldResult<Option<unavailable::muc::MucAdminQuery>> {
        ctx.category("muc")?;
        Ok(Some(unavailable::muc::MucAdminQuery))
    }

    /// MUC Light room management
    #[graphql(name = "muc_light")]
    fn muc_light(ctx: &Ctx) -> FieldResult<Option<unavailable::muc_light::MucLightAdminQuery>> {
        ctx.category("muc_light")?;
        Ok(Some(unavailable::muc_light::MucLightAdminQuery))
    }

    /// Mnesia internal database management
    fn mnesia(ctx: &Ctx) -> FieldResult<Option<unavailable::mnesia::MnesiaAdminQuery>> {
        ctx.category("mnesia")?;
        Ok(Some(unavailable::mnesia::MnesiaAdminQuery))
    }

    /// CETS internal database management
    fn cets(ctx: &Ctx) -> FieldResult<Option<unavailable::cets::CetsAdminQuery>> {
        ctx.category("cets")?;
        Ok(Some(unavailable::cets::CetsAdminQuery))
    }

    /// Message broadcast management
    fn broadcast(ctx: &Ctx) -> FieldResult<Option<unavailable::broadcast::BroadcastAdminQuery>> {
        ctx.category("broadcast")?;
        Ok(Some(unavailable::broadcast::BroadcastAdminQuery))
    }

    /// Blocklist management
    fn blocklist(ctx: &Ctx) -> FieldResult<Option<unavailable::blocklist::BlocklistAdminQuery>> {
        ctx.category("blocklist")?;
        Ok(Some(unavailable::blocklist::BlocklistAdminQuery))
    }
}

/// Root of admin mutations (all protected).
pub struct AdminMutation;

#[graphql_object(context = Ctx, name = "AdminMutation")]
impl AdminMutation {
    /// Account management.
    fn account(ctx: &Ctx) -> FieldResult<Option<account::AccountAdminMutation>> {
        ctx.category("account")?;
        Ok(Some(account::AccountAdminMutation))
    }

    // ---- domain, token
    /// Dynamic domain management
    fn domain(ctx: &Ctx) -> FieldResult<Option<domain::DomainAdminMutation>> {
        ctx.category("domain")?;
        Ok(Some(domain::DomainAdminMutation))
    }

    /// OAUTH user token management
    fn token(ctx: &Ctx) -> FieldResult<Option<token::TokenAdminMutation>> {
        ctx.category("token")?;
        Ok(Some(token::TokenAdminMutation))
    }

    /// User session management
    fn session(ctx: &Ctx) -> FieldResult<Option<session::SessionAdminMutation>> {
        ctx.category("session")?;
        Ok(Some(session::SessionAdminMutation))
    }

    /// Sending stanzas and querying MAM
    fn stanza(ctx: &Ctx) -> FieldResult<Option<stanza::StanzaAdminMutation>> {
        ctx.category("stanza")?;
        Ok(Some(stanza::StanzaAdminMutation))
    }

    // ---- roster, vcard, private, last, offline
    /// Roster/contacts management
    fn roster(ctx: &Ctx) -> FieldResult<Option<roster::RosterAdminMutation>> {
        ctx.category("roster")?;
        Ok(Some(roster::RosterAdminMutation))
    }

    /// vCard management
    fn vcard(ctx: &Ctx) -> FieldResult<Option<vcard::VcardAdminMutation>> {
        ctx.category("vcard")?;
        Ok(Some(vcard::VcardAdminMutation))
    }

    /// User private storage management
    fn private(ctx: &Ctx) -> FieldResult<Option<private::PrivateAdminMutation>> {
        ctx.category("private")?;
        Ok(Some(private::PrivateAdminMutation))
    }

    /// Last activity management
    fn last(ctx: &Ctx) -> FieldResult<Option<last::LastAdminMutation>> {
        ctx.category("last")?;
        Ok(Some(last::LastAdminMutation))
    }

    /// Offline deleting old messages
    fn offline(ctx: &Ctx) -> FieldResult<Option<offline::OfflineAdminMutation>> {
        ctx.category("offline")?;
        Ok(Some(offline::OfflineAdminMutation))
    }

    /// Server info and management
    fn server(ctx: &Ctx) -> FieldResult<Option<server::ServerAdminMutation>> {
        ctx.category("server")?;
        Ok(Some(server::ServerAdminMutation))
    }

    /// Inbox bin flushing
    fn inbox(ctx: &Ctx) -> FieldResult<Option<unavailable::inbox::InboxAdminMutation>> {
        ctx.category("inbox")?;
        Ok(Some(unavailable::inbox::InboxAdminMutation))
    }

    /// MUC room management
    fn muc(ctx: &Ctx) -> FieldResult<Option<unavailable::muc::MucAdminMutation>> {
        ctx.category("muc")?;
        Ok(Some(unavailable::muc::MucAdminMutation))
    }

    /// MUC Light room management
    #[graphql(name = "muc_light")]
    fn muc_light(ctx: &Ctx) -> FieldResult<Option<unavailable::muc_light::MucLightAdminMutation>> {
        ctx.category("muc_light")?;
        Ok(Some(unavailable::muc_light::MucLightAdminMutation))
    }

    /// Generating upload/download URLs for the files
    #[graphql(name = "httpUpload")]
    fn http_upload(
        ctx: &Ctx,
    ) -> FieldResult<Option<unavailable::http_upload::HttpUploadAdminMutation>> {
        // `allowed_categories` names it `http_upload` (MongooseIM compares the root
        // field name, so there it can never be enabled).
        ctx.category("http_upload")?;
        Ok(Some(unavailable::http_upload::HttpUploadAdminMutation))
    }

    /// External service management
    #[graphql(name = "externalServices")]
    fn external_services(
        ctx: &Ctx,
    ) -> FieldResult<Option<unavailable::external_services::ExternalServicesAdminMutation>> {
        ctx.category("externalServices")?;
        Ok(Some(
            unavailable::external_services::ExternalServicesAdminMutation,
        ))
    }

    /// Mnesia internal database management
    fn mnesia(ctx: &Ctx) -> FieldResult<Option<unavailable::mnesia::MnesiaAdminMutation>> {
        ctx.category("mnesia")?;
        Ok(Some(unavailable::mnesia::MnesiaAdminMutation))
    }

    /// Message broadcast management
    fn broadcast(ctx: &Ctx) -> FieldResult<Option<unavailable::broadcast::BroadcastAdminMutation>> {
        ctx.category("broadcast")?;
        Ok(Some(unavailable::broadcast::BroadcastAdminMutation))
    }

    /// Blocklist management
    fn blocklist(ctx: &Ctx) -> FieldResult<Option<unavailable::blocklist::BlocklistAdminMutation>> {
        ctx.category("blocklist")?;
        Ok(Some(unavailable::blocklist::BlocklistAdminMutation))
    }
}

/// Root of admin subscriptions (over SSE).
pub struct AdminSubscription;

#[juniper::graphql_subscription(
    context = Ctx,
    name = "AdminSubscription",
    scalar = juniper::DefaultScalarValue
)]
impl AdminSubscription {
    /// Subscriptions to stanzas (over SSE): each event resolves the nested
    /// `subscribeForMessages`, whose arguments are read when the subscription starts.
    async fn stanza(
        ctx: &Ctx,
        executor: &juniper::Executor<'_, '_, Ctx>,
    ) -> FieldResult<stanza::EventStream<stanza::StanzaAdminSubscription>> {
        ctx.category("stanza")?;
        stanza::subscribe(ctx, executor).await
    }
}

/// The admin schema.
pub type AdminSchema = juniper::RootNode<AdminQuery, AdminMutation, AdminSubscription>;

/// Builds the admin schema.
pub fn schema() -> AdminSchema {
    AdminSchema::new(AdminQuery, AdminMutation, AdminSubscription)
}
