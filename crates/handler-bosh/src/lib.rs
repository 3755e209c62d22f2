//! BOSH (XEP-0124/0206): the `mod_bosh` handler (MongooseIM 6.6+ name:
//! `mongoose_bosh_handler`). Session settings come from `[services.service_bosh]` (or the
//! older `[modules.mod_bosh]`).

use listener_core::{BuildError, Handler, HandlerContext, Mount, Service};
use meerkat_core::config::{Diagnostics, Section};
use std::sync::Arc;

/// The handler type.
pub struct BoshHandler;

impl Handler for BoshHandler {
    const NAME: &'static str = "mod_bosh";
    const ALIASES: &'static [&'static str] = &["mongoose_bosh_handler"];
    type Config = ();

    fn read_config(_: &mut Section<'_>, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }

    fn build(_: &(), _: &Mount, _: &HandlerContext) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(BoshService))
    }
}

struct BoshService;

impl Service for BoshService {
    fn configure(&self, cfg: &mut actix_web::web::ServiceConfig) {
        cfg.route(
            "",
            actix_web::web::get().to(|| async {
                actix_web::HttpResponse::Ok()
                    .content_type("text/xml; charset=utf-8")
                    .body("meerkat BOSH endpoint")
            }),
        );
    }
}
