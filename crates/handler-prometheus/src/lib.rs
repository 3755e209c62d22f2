//! Prometheus metrics: the `mongoose_prometheus_handler` handler.

use listener_core::{BuildError, Handler, HandlerContext, Mount, Service};
use meerkat_core::config::{Diagnostics, Section};
use std::sync::Arc;

/// The handler type.
pub struct PrometheusHandler;

impl Handler for PrometheusHandler {
    const NAME: &'static str = "mongoose_prometheus_handler";
    type Config = ();

    fn read_config(_: &mut Section<'_>, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }

    fn build(_: &(), _: &Mount, cx: &HandlerContext) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(PrometheusService {
            server: cx.server.clone(),
        }))
    }
}

struct PrometheusService {
    server: meerkat_core::Server,
}

impl Service for PrometheusService {
    fn configure(&self, cfg: &mut actix_web::web::ServiceConfig) {
        let server = self.server.clone();
        cfg.route(
            "",
            actix_web::web::get().to(move || {
                let uptime = server.uptime().as_secs();
                async move {
                    actix_web::HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(format!(
                        "# HELP system_up_time_seconds Event: system_up_time, Metric: seconds\n# TYPE system_up_time_seconds gauge\nsystem_up_time_seconds {uptime}\n"
                    ))
                }
            }),
        );
    }
}
