//! The admin REST API: the `mongoose_admin_api` handler (removed from MongooseIM in 6.6,
//! kept by meerkat), a thin face over `meerkat_core::commands` with MongooseIM 6.5's
//! routes, statuses and JSON-string error messages.
//!
//! Served so far: `users` and `sessions`; the other groups still answer 501 (issue 13).

mod rest;
mod sessions;
mod users;

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use listener_core::{
    BuildError, Credentials, Handler, HandlerContext, Mount, Service, read_subset,
};
use meerkat_core::config::{Diagnostics, Section};
use std::sync::Arc;

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

/// Options of a `mongoose_admin_api` table.
#[derive(Clone, Debug)]
pub struct AdminApiConfig {
    /// Basic credentials (`None` = open, and any Authorization header is refused).
    pub credentials: Option<Credentials>,
    /// Enabled API modules (`None` = all).
    pub handlers: Option<Vec<String>>,
}

impl Handler for AdminApiHandler {
    const NAME: &'static str = "mongoose_admin_api";
    type Config = AdminApiConfig;

    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Option<AdminApiConfig> {
        let credentials = Credentials::read(s, diag);
        let handlers = read_subset(s, "handlers", MODULES, diag);
        Some(AdminApiConfig {
            credentials: credentials.ok()?,
            handlers: handlers.ok()?,
        })
    }

    fn build(
        config: &AdminApiConfig,
        _: &Mount,
        cx: &HandlerContext,
    ) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(AdminApiService {
            state: web::Data::new(State {
                config: config.clone(),
                server: cx.server.clone(),
            }),
        }))
    }
}

struct State {
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

struct AdminApiService {
    state: web::Data<State>,
}

impl Service for AdminApiService {
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.state.clone());
        if self.state.enabled("users") {
            cfg.service(
                web::resource("/users/{domain}")
                    .route(web::get().to(users::list))
                    .route(web::post().to(users::register))
                    .route(web::method(Method::OPTIONS).to(options))
                    .default_service(web::to(not_allowed)),
            )
            .service(
                web::resource("/users/{domain}/{username}")
                    .route(web::get().to(users::list))
                    .route(web::put().to(users::change_password))
                    .route(web::delete().to(users::remove))
                    .route(web::method(Method::OPTIONS).to(options))
                    .default_service(web::to(not_allowed)),
            );
        }
        if self.state.enabled("sessions") {
            cfg.service(
                web::resource(["/sessions/{domain}", "/sessions/{domain}/{username}"])
                    .route(web::get().to(sessions::list))
                    .route(web::method(Method::OPTIONS).to(options))
                    .default_service(web::to(not_allowed)),
            )
            .service(
                web::resource("/sessions/{domain}/{username}/{resource}")
                    .route(web::get().to(sessions::list))
                    .route(web::delete().to(sessions::kick))
                    .route(web::method(Method::OPTIONS).to(options))
                    .default_service(web::to(not_allowed)),
            );
        }
        cfg.default_service(web::to(|| async {
            HttpResponse::NotImplemented()
                .json("This part of the admin REST API is not available in this build yet")
        }));
    }
}

async fn options() -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed().finish()
}
