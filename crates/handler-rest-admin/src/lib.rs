//! The admin REST API: the `mongoose_admin_api` handler (removed from MongooseIM in 6.6,
//! kept by meerkat).

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
        _: &HandlerContext,
    ) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(AdminApiService {
            _config: config.clone(),
        }))
    }
}

struct AdminApiService {
    _config: AdminApiConfig,
}

impl Service for AdminApiService {
    fn configure(&self, cfg: &mut actix_web::web::ServiceConfig) {
        cfg.default_service(actix_web::web::to(|| async {
            actix_web::HttpResponse::NotImplemented()
                .json("The admin REST API is not available in this build yet")
        }));
    }
}
