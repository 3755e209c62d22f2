//! The admin REST API: the `mongoose_admin_api` handler (removed from MongooseIM in 6.6,
//! kept by meerkat), a thin face over `meerkat_core::commands` with MongooseIM 6.5's
//! routes, statuses and JSON-string error messages, and its OpenAPI document with
//! Swagger UI at `<path>/api-docs`.
//!
//! Each API group (`users`, `sessions`, ...) is a module with its routes and its part of
//! the OpenAPI document, listed once in [`GROUPS`].

mod absent;
mod contacts;
mod domain;
mod messages;
mod metrics;
mod sessions;
mod stanzas;
mod users;

use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::Refusal;
use listener_core::{
    BuildError, Credentials, Handler, HandlerContext, Mount, Service, read_subset,
};
use meerkat_core::config::{Diagnostics, Section};
use std::sync::Arc;
use utoipa::OpenApi;

/// The handler type.
pub struct AdminApiHandler;

/// API modules of `handlers`.
pub const MODULES: &[&str] = &[
    "contacts",
    "users",
    "sessions",
    "messages",
    "stanzas",
    "muc_light",
    "muc",
    "inbox",
    "domain",
    "metrics",
];

/// A group of routes: its name in `handlers`, its routes, its part of the OpenAPI document.
struct Group {
    name: &'static str,
    routes: fn(&mut web::ServiceConfig),
    api: fn() -> utoipa::openapi::OpenApi,
}

/// The groups, in `handlers` order.
const GROUPS: &[Group] = &[
    Group {
        name: "users",
        routes: users::routes,
        api: users::Api::openapi,
    },
    Group {
        name: "sessions",
        routes: sessions::routes,
        api: sessions::Api::openapi,
    },
    Group {
        name: "messages",
        routes: messages::routes,
        api: messages::Api::openapi,
    },
    Group {
        name: "stanzas",
        routes: stanzas::routes,
        api: stanzas::Api::openapi,
    },
    Group {
        name: "contacts",
        routes: contacts::routes,
        api: contacts::Api::openapi,
    },
    Group {
        name: "muc_light",
        routes: absent::muc_light_routes,
        api: absent::MucLightApi::openapi,
    },
    Group {
        name: "muc",
        routes: absent::muc_routes,
        api: absent::MucApi::openapi,
    },
    Group {
        name: "inbox",
        routes: absent::inbox_routes,
        api: absent::InboxApi::openapi,
    },
    Group {
        name: "domain",
        routes: domain::routes,
        api: domain::Api::openapi,
    },
    Group {
        name: "metrics",
        routes: metrics::routes,
        api: metrics::Api::openapi,
    },
];

/// The document's frame; the groups add their paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "meerkat admin REST API",
        description = "MongooseIM 6.5's admin REST API (mongoose_admin_api), served by meerkat. \
            Errors are a status with a JSON string. With `username`/`password` configured, \
            requests need HTTP Basic with exactly those; without, requests carrying any \
            credentials are refused."
    ),
    modifiers(&BasicAuth),
    security(("basic" = []), ())
)]
struct Frame;

struct BasicAuth;

impl utoipa::Modify for BasicAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "basic",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
            );
    }
}

/// The OpenAPI document of the enabled groups (`None` = all).
pub fn openapi(handlers: Option<&[String]>) -> utoipa::openapi::OpenApi {
    let mut doc = Frame::openapi();
    for g in GROUPS {
        if handlers.is_none_or(|h| h.iter().any(|m| m == g.name)) {
            doc.merge((g.api)());
        }
    }
    doc
}

/// Options of a `mongoose_admin_api` table.
#[derive(Clone, Debug)]
pub struct AdminApiConfig {
    /// Basic credentials (`None` = open, and any Authorization header is refused).
    pub credentials: Option<Credentials>,
    /// Enabled API modules (`None` = all).
    pub handlers: Option<Vec<String>>,
    /// Serve the OpenAPI document and Swagger UI at `<path>/api-docs` (a meerkat option,
    /// as the client API's; MongooseIM's admin API had no docs).
    pub docs: bool,
}

impl Handler for AdminApiHandler {
    const NAME: &'static str = "mongoose_admin_api";
    type Config = AdminApiConfig;

    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Option<AdminApiConfig> {
        let credentials = Credentials::read(s, diag);
        let handlers = read_subset(s, "handlers", MODULES, diag);
        let docs = s.get_or("docs", true, diag);
        Some(AdminApiConfig {
            credentials: credentials.ok()?,
            handlers: handlers.ok()?,
            docs,
        })
    }

    fn build(
        config: &AdminApiConfig,
        mount: &Mount,
        cx: &HandlerContext,
    ) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(AdminApiService {
            state: web::Data::new(State {
                config: config.clone(),
                server: cx.server.clone(),
            }),
            mount_path: mount.path.clone(),
        }))
    }
}

/// What every route reads.
pub(crate) struct State {
    config: AdminApiConfig,
    server: meerkat_core::Server,
}

impl State {
    fn enabled(&self, module: &str) -> bool {
        self.config
            .handlers
            .as_ref()
            .is_none_or(|h| h.iter().any(|m| m == module))
    }
}

/// Checks the request's credentials against the listener's (401 with MongooseIM's realm
/// otherwise).
pub(crate) fn authorize(req: &HttpRequest, state: &State) -> Result<(), Refusal> {
    let presented = listener_core::auth::from_request(req).map_err(|_| Refusal::Unauthorized)?;
    match listener_core::auth::admin(state.config.credentials.as_ref(), presented.as_ref()) {
        Ok(listener_core::auth::Outcome::Granted(())) => Ok(()),
        _ => Err(Refusal::Unauthorized),
    }
}

struct AdminApiService {
    state: web::Data<State>,
    mount_path: String,
}

impl Service for AdminApiService {
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.state.clone());
        for g in GROUPS {
            if self.state.enabled(g.name) {
                (g.routes)(cfg);
            }
        }
        if self.state.config.docs {
            listener_core::rest::configure_docs(
                cfg,
                &self.mount_path,
                openapi(self.state.config.handlers.as_deref()),
            );
        }
    }
}

/// `OPTIONS` on any route: 200, no credentials needed (as cowboy_rest answers it).
pub(crate) async fn options() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// A method the route does not serve.
pub(crate) async fn not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed().finish()
}
