//! Prometheus metrics: the `mongoose_prometheus_handler` handler.
//!
//! Renders the core's metrics registry (see `meerkat_core::metrics`) at `GET <path>` and
//! `GET <path>/default` (MongooseIM's route `<path>/<registry>`; meerkat has one registry,
//! `default`, so any other name is a 404). The body is the Prometheus text format 0.0.4,
//! as MongooseIM serves it, unless the `Accept` header prefers OpenMetrics
//! (`application/openmetrics-text`), which Prometheus asks for first.
//!
//! Without `[instrumentation.prometheus]` in the config the endpoint answers 404 with a
//! text saying so, not an empty page.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::{BuildError, Handler, HandlerContext, Mount, Service};
use meerkat_core::config::{Diagnostics, Section};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `Content-Type` of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// `Content-Type` of the OpenMetrics text format.
pub const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The one registry name (as in MongooseIM's Prometheus library).
pub const REGISTRY: &str = "default";
/// Body of the answer when `[instrumentation.prometheus]` is missing.
pub const DISABLED: &str = "Prometheus metrics are disabled: add an [instrumentation.prometheus] section to the config file to enable them.\n";

/// The handler type.
pub struct PrometheusHandler;

impl Handler for PrometheusHandler {
    const NAME: &'static str = "mongoose_prometheus_handler";
    type Config = ();

    fn read_config(_: &mut Section<'_>, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }

    fn build(_: &(), mount: &Mount, cx: &HandlerContext) -> Result<Arc<dyn Service>, BuildError> {
        let enabled = cx.server.config().instrumentation.prometheus;
        if !enabled {
            tracing::warn!(
                mount = %mount,
                listener = %cx.listener.config_path,
                "mongoose_prometheus_handler is mounted but [instrumentation.prometheus] is missing; the endpoint will answer 404"
            );
        }
        Ok(Arc::new(PrometheusService(Arc::new(State {
            server: cx.server.clone(),
            enabled,
            last_len: AtomicUsize::new(16 * 1024),
        }))))
    }
}

struct State {
    server: meerkat_core::Server,
    enabled: bool,
    /// Size of the last scrape, to allocate the next one at once.
    last_len: AtomicUsize,
}

struct PrometheusService(Arc<State>);

impl Service for PrometheusService {
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(web::Data::from(self.0.clone()))
            .route("", web::get().to(scrape))
            .route("/{registry}", web::get().to(scrape_registry));
    }
}

async fn scrape(state: web::Data<State>, req: HttpRequest) -> HttpResponse {
    render(&state, &req)
}

async fn scrape_registry(
    state: web::Data<State>,
    req: HttpRequest,
    registry: web::Path<String>,
) -> HttpResponse {
    if registry.as_str() != REGISTRY {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "Unknown metrics registry \"{}\"; the only one is \"{REGISTRY}\".\n",
                registry.as_str()
            ));
    }
    render(&state, &req)
}

fn render(state: &State, req: &HttpRequest) -> HttpResponse {
    if !state.enabled {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(DISABLED);
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let metrics = state.server.metrics();
    let mut body = String::with_capacity(state.last_len.load(Ordering::Relaxed) + 1024);
    let content_type = if prefers_openmetrics(accept) {
        if let Err(e) = metrics.encode_openmetrics(&mut body) {
            tracing::error!(error = %e, "OpenMetrics encoding failed");
            return HttpResponse::InternalServerError().finish();
        }
        OPENMETRICS_TEXT
    } else {
        metrics.encode_prometheus(&mut body);
        PROMETHEUS_TEXT
    };
    state.last_len.store(body.len(), Ordering::Relaxed);
    HttpResponse::Ok().content_type(content_type).body(body)
}

/// Whether an `Accept` header ranks `application/openmetrics-text` at least as high as
/// the Prometheus text format (`text/plain`, or a wildcard). No header, `*/*` or
/// `text/plain` get the Prometheus text format.
pub fn prefers_openmetrics(accept: &str) -> bool {
    let mut openmetrics = 0.0f32;
    let mut text = 0.0f32;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for p in parts {
            if let Some((k, v)) = p.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        match media.as_str() {
            "application/openmetrics-text" => openmetrics = openmetrics.max(q),
            "text/plain" | "text/*" | "*/*" => text = text.max(q),
            _ => {}
        }
    }
    openmetrics > 0.0 && openmetrics >= text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        // What Prometheus sends.
        assert!(prefers_openmetrics(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(prefers_openmetrics("application/openmetrics-text"));
        assert!(prefers_openmetrics(
            "text/plain;q=0.5, application/openmetrics-text; version=1.0.0"
        ));
        assert!(!prefers_openmetrics(""));
        assert!(!prefers_openmetrics("*/*"));
        assert!(!prefers_openmetrics("text/plain; version=0.0.4"));
        assert!(!prefers_openmetrics(
            "application/openmetrics-text;q=0.2, text/plain"
        ));
        assert!(!prefers_openmetrics("application/openmetrics-text;q=0"));
    }
}
