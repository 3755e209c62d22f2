//! The client REST API: the `mongoose_client_api` handler (removed from MongooseIM in 6.6,
//! kept by meerkat), a thin face over `meerkat_core::commands` for one user, authenticated
//! with HTTP Basic `bare_jid:password`, with MongooseIM 6.5's routes, statuses, JSON
//! shapes and CORS, and its OpenAPI document with Swagger UI at `<path>/api-docs`.
//!
//! Each API group (`contacts`, `messages`, `sse`, ...) is a module with its routes and its
//! part of the OpenAPI document, listed once in [`GROUPS`].

mod contacts;
mod messages;
mod rooms;
mod sse;

use actix_web::dev::{Service as _, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::auth::Outcome;
use listener_core::rest::Refusal;
use listener_core::{BuildError, Handler, HandlerContext, Mount, Service, read_subset};
use meerkat_core::config::{Diagnostics, Section};
use meerkat_core::meerkat_xmpp::BareJid;
use std::sync::Arc;
use utoipa::OpenApi;

/// The handler type.
pub struct ClientApiHandler;

/// API modules of `handlers`.
pub const MODULES: &[&str] = &[
    "sse",
    "messages",
    "contacts",
    "rooms",
    "rooms_config",
    "rooms_users",
    "rooms_messages",
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
        name: "sse",
        routes: sse::routes,
        api: sse::Api::openapi,
    },
    Group {
        name: "messages",
        routes: messages::routes,
        api: messages::Api::openapi,
    },
    Group {
        name: "contacts",
        routes: contacts::routes,
        api: contacts::Api::openapi,
    },
    Group {
        name: "rooms",
        routes: rooms::rooms_routes,
        api: rooms::RoomsApi::openapi,
    },
    Group {
        name: "rooms_config",
        routes: rooms::config_routes,
        api: rooms::ConfigApi::openapi,
    },
    Group {
        name: "rooms_users",
        routes: rooms::users_routes,
        api: rooms::UsersApi::openapi,
    },
    Group {
        name: "rooms_messages",
        routes: rooms::messages_routes,
        api: rooms::MessagesApi::openapi,
    },
];

/// The document's frame; the groups add their paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "meerkat client REST API",
        description = "MongooseIM 6.5's client REST API (mongoose_client_api), served by \
            meerkat. Every request but OPTIONS needs HTTP Basic with the user's bare JID and \
            password. Errors are a status with a JSON string."
    ),
    modifiers(&BasicAuth),
    security(("basic" = []))
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

/// Options of a `mongoose_client_api` table.
#[derive(Clone, Debug)]
pub struct ClientApiConfig {
    /// Enabled API modules (`None` = all).
    pub handlers: Option<Vec<String>>,
    /// Serve the OpenAPI document and Swagger UI at `<path>/api-docs`.
    pub docs: bool,
}

impl Handler for ClientApiHandler {
    const NAME: &'static str = "mongoose_client_api";
    type Config = ClientApiConfig;

    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Option<ClientApiConfig> {
        let handlers = read_subset(s, "handlers", MODULES, diag);
        let docs = s.get_or("docs", true, diag);
        Some(ClientApiConfig {
            handlers: handlers.ok()?,
            docs,
        })
    }

    fn build(
        config: &ClientApiConfig,
        mount: &Mount,
        cx: &HandlerContext,
    ) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(ClientApiService {
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
    config: ClientApiConfig,
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

/// The user the request's Basic credentials (`bare_jid:password`) authenticate: 401 with
/// MongooseIM's realm for none, bad ones, or an address the login throttle locked.
pub(crate) async fn authorize(req: &HttpRequest, state: &State) -> Result<BareJid, Refusal> {
    let presented = listener_core::auth::from_request(req).map_err(|_| Refusal::Unauthorized)?;
    let peer = req.peer_addr().map(|a| a.ip());
    match listener_core::auth::user(&state.server, peer, presented.as_ref()).await {
        Ok(Outcome::Granted(jid)) => Ok(jid),
        _ => Err(Refusal::Unauthorized),
    }
}

struct ClientApiService {
    state: web::Data<State>,
    mount_path: String,
}

impl Service for ClientApiService {
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

/// MongooseIM's CORS answer, on every response to a request with an `Origin`: the origin
/// echoed, credentials allowed, the methods and headers browsers may use.
pub(crate) fn cors(mut res: ServiceResponse) -> ServiceResponse {
    let origin = res.request().headers().get(header::ORIGIN).cloned();
    if let Some(origin) = origin {
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
    }
    res
}

/// A resource of this API with the routes `routes` adds: CORS on every answer, `OPTIONS`
/// answered 200 without credentials, other methods than the route's 405. For example
/// `cfg.service(resource("/contacts", |r| r.route(web::get().to(list))))`.
pub(crate) fn resource(
    path: &str,
    routes: impl FnOnce(actix_web::Resource) -> actix_web::Resource,
) -> impl actix_web::dev::HttpServiceFactory {
    routes(web::resource(path).route(web::method(actix_web::http::Method::OPTIONS).to(options)))
        .default_service(web::to(not_allowed))
        .wrap_fn(|req, srv| {
            let fut = srv.call(req);
            async move { fut.await.map(cors) }
        })
}

/// `OPTIONS`: 200, no credentials needed.
pub(crate) async fn options() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// A method the route does not serve.
pub(crate) async fn not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed().finish()
}
