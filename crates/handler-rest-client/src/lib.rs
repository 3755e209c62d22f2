//! The client REST API: the `mongoose_client_api` handler (removed from MongooseIM in 6.6,
//! kept by meerkat).

use listener_core::{BuildError, Handler, HandlerContext, Mount, Service, read_subset};
use meerkat_core::config::{Diagnostics, Section};
use std::sync::Arc;

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

/// Options of a `mongoose_client_api` table.
#[derive(Clone, Debug)]
pub struct ClientApiConfig {
    /// Enabled API modules (`None` = all).
    pub handlers: Option<Vec<String>>,
    /// Serve Swagger UI at `<path>/api-docs`.
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
        _: &Mount,
        _: &HandlerContext,
    ) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(ClientApiService {
            _config: config.clone(),
        }))
    }
}

struct ClientApiService {
    _config: ClientApiConfig,
}

impl Service for ClientApiService {
    fn configure(&self, cfg: &mut actix_web::web::ServiceConfig) {
        cfg.default_service(actix_web::web::to(|| async {
            actix_web::HttpResponse::NotImplemented()
                .json("The client REST API is not available in this build yet")
        }));
    }
}
