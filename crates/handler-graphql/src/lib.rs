//! The GraphQL API: the `mongoose_graphql_handler` handler (admin, domain_admin and user
//! endpoints).

pub mod admin;
pub mod context;
pub mod global;
pub mod graphiql;
pub mod guard;
pub mod http;
pub mod scalars;
pub mod scope;
pub mod user;

use actix_web::{HttpRequest, web};
use listener_core::{
    BuildError, Credentials, Handler, HandlerContext, Mount, Service, read_subset,
};
use meerkat_core::config::{Diagnostics, PositiveLimit, Section};
use std::sync::Arc;
use std::time::Duration;

/// The handler type.
pub struct GraphqlHandler;

/// Which schema an endpoint serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaEndpoint {
    /// Global admin.
    Admin,
    /// Admin of one domain.
    DomainAdmin,
    /// A user.
    User,
}

/// GraphQL categories MongooseIM accepts in `allowed_categories`.
pub const CATEGORIES: &[&str] = &[
    "checkAuth",
    "account",
    "domain",
    "last",
    "muc",
    "muc_light",
    "session",
    "stanza",
    "roster",
    "vcard",
    "private",
    "metric",
    "stat",
    "gdpr",
    "mnesia",
    "server",
    "inbox",
    "http_upload",
    "offline",
    "token",
    "cets",
    "broadcast",
    "blocklist",
];

/// Options of a `mongoose_graphql_handler` table.
#[derive(Clone, Debug)]
pub struct GraphqlConfig {
    /// `schema_endpoint`.
    pub schema_endpoint: SchemaEndpoint,
    /// Admin Basic credentials, if any.
    pub credentials: Option<Credentials>,
    /// Enabled categories (`None` = all).
    pub allowed_categories: Option<Vec<String>>,
    /// Idle SSE streams close after this long (`None` = never).
    pub sse_idle_timeout: Option<Duration>,
}

impl Handler for GraphqlHandler {
    const NAME: &'static str = "mongoose_graphql_handler";
    type Config = GraphqlConfig;

    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Option<GraphqlConfig> {
        let endpoint = match s.req::<String>("schema_endpoint", diag).as_deref() {
            Some("admin") => Some(SchemaEndpoint::Admin),
            Some("domain_admin") => Some(SchemaEndpoint::DomainAdmin),
            Some("user") => Some(SchemaEndpoint::User),
            Some(other) => {
                diag.error(
                    s.key_path("schema_endpoint"),
                    format!("expected \"admin\", \"domain_admin\" or \"user\", found \"{other}\""),
                );
                None
            }
            None => None,
        };
        let credentials = Credentials::read(s, diag);
        if endpoint.is_some_and(|e| e != SchemaEndpoint::Admin)
            && matches!(credentials, Ok(Some(_)))
        {
            diag.warn(
                s.key_path("username"),
                "username and password are used only by the admin endpoint; ignored",
            );
        }
        let allowed_categories = read_subset(s, "allowed_categories", CATEGORIES, diag);
        let sse_idle_timeout = s
            .opt::<PositiveLimit>("sse_idle_timeout", diag)
            .map_or(Some(Duration::from_millis(3_600_000)), |l| {
                l.0.finite().map(Duration::from_millis)
            });
        Some(GraphqlConfig {
            schema_endpoint: endpoint?,
            credentials: credentials.ok()?,
            allowed_categories: allowed_categories.ok()?,
            sse_idle_timeout,
        })
    }

    fn build(
        config: &GraphqlConfig,
        _: &Mount,
        cx: &HandlerContext,
    ) -> Result<Arc<dyn Service>, BuildError> {
        let schema = match config.schema_endpoint {
            SchemaEndpoint::Admin | SchemaEndpoint::DomainAdmin => {
                http::Schemas::Admin(Arc::new(admin::schema()))
            }
            SchemaEndpoint::User => http::Schemas::User(Arc::new(user::schema())),
        };
        Ok(Arc::new(GraphqlService {
            endpoint: Arc::new(http::Endpoint {
                server: cx.server.clone(),
                config: config.clone(),
                schema,
                bound: cx.listener.ip,
            }),
        }))
    }
}

struct GraphqlService {
    endpoint: Arc<http::Endpoint>,
}

impl Service for GraphqlService {
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        let ep = self.endpoint.clone();
        let ep_sse = self.endpoint.clone();
        cfg.route(
            "/graphiql/{file}",
            web::get().to(|req: HttpRequest, file: web::Path<String>| async move {
                graphiql::asset(&req, &file)
            }),
        )
        .route(
            "/sse",
            web::route().to(move |req: HttpRequest| {
                let ep = ep_sse.clone();
                async move { http::sse(ep, req).await }
            }),
        )
        .route(
            "",
            web::route().to(move |req: HttpRequest, body: web::Payload| {
                let ep = ep.clone();
                async move { http::endpoint(ep, req, body).await }
            }),
        );
    }
}
