//! `/metrics/...`: the core's metrics under MongooseIM's exometer names, dotted
//! (MongooseIM's `mongoose_admin_api_metrics`): `sm_session.logins`, values as exometer
//! data points (`count`, `one`; `value`; `mean`, `99`, ...).

use crate::{State, authorize, not_allowed, options};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, error};
use meerkat_core::commands::metric::{self, Metric};
use std::collections::{BTreeMap, HashMap};

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(index, all, all_one, global, global_one, host_type, host_type_one))]
pub struct Api;

/// The group's routes (GET and HEAD).
pub fn routes(cfg: &mut web::ServiceConfig) {
    let r = |path: &str| {
        web::resource(path.to_owned())
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed))
    };
    cfg.service(
        r("/metrics/")
            .route(web::get().to(index))
            .route(web::head().to(index)),
    )
    .service(
        r("/metrics/all")
            .route(web::get().to(all))
            .route(web::head().to(all)),
    )
    .service(
        r("/metrics/all/{metric}")
            .route(web::get().to(all_one))
            .route(web::head().to(all_one)),
    )
    .service(
        r("/metrics/global")
            .route(web::get().to(global))
            .route(web::head().to(global)),
    )
    .service(
        r("/metrics/global/{metric}")
            .route(web::get().to(global_one))
            .route(web::head().to(global_one)),
    )
    .service(
        r("/metrics/host_type/{host_type}")
            .route(web::get().to(host_type))
            .route(web::head().to(host_type)),
    )
    .service(
        r("/metrics/host_type/{host_type}/{metric}")
            .route(web::get().to(host_type_one))
            .route(web::head().to(host_type_one)),
    );
}

/// A metric's data points.
type Values = BTreeMap<String, i64>;

/// What metrics exist.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Index {
    /// Every host type.
    host_types: Vec<String>,
    /// The metric names of the first host type (as MongooseIM lists them).
    metrics: Vec<String>,
    /// The global metric names.
    global: Vec<String>,
}

/// Several metrics.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Metrics {
    /// By dotted name.
    metrics: BTreeMap<String, Values>,
}

/// One metric.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OneMetric {
    metric: Values,
}

/// The exometer prefix of a host type (spaces become underscores).
fn prefix(host_type: &str) -> String {
    host_type.replace(' ', "_")
}

/// `(prefix, dotted name, values)` of every metric.
fn snapshot(state: &State) -> Vec<(String, String, Values)> {
    metric::get_metrics(&state.server, &[])
        .into_iter()
        .filter_map(|Metric { name, value }| {
            let (head, rest) = name.split_first()?;
            let values = value
                .dict()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            Some((head.clone(), rest.join("."), values))
        })
        .collect()
}

fn host_types(state: &State) -> Vec<String> {
    state.server.config().all_host_types()
}

/// What metrics exist: host types, the first host type's metric names, the global ones.
#[utoipa::path(get, path = "/metrics/", operation_id = "metricIndex", tag = "metrics",
    responses(
        (status = 200, description = "The names", body = Index),
        (status = 401, description = "Bad or unexpected credentials"),
    ))]
pub async fn index(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let types = host_types(&state);
    let first = types.first().map(|t| prefix(t));
    let all = snapshot(&state);
    let names = |p: Option<&str>| -> Vec<String> {
        all.iter()
            .filter(|(h, _, _)| Some(h.as_str()) == p)
            .map(|(_, n, _)| n.clone())
            .collect()
    };
    HttpResponse::Ok().json(Index {
        metrics: names(first.as_deref()),
        global: names(Some("global")),
        host_types: types,
    })
}

/// Sums of the host-type metrics over every host type.
fn sums(state: &State) -> BTreeMap<String, Values> {
    let types: Vec<String> = host_types(state).iter().map(|t| prefix(t)).collect();
    let mut out: BTreeMap<String, Values> = BTreeMap::new();
    for (head, name, values) in snapshot(state) {
        if types.contains(&head) {
            let sum = out.entry(name).or_default();
            for (k, v) in values {
                let e = sum.entry(k).or_insert(0);
                *e = e.saturating_add(v);
            }
        }
    }
    out
}

/// Every host-type metric, summed over the host types.
#[utoipa::path(get, path = "/metrics/all", operation_id = "metricsAll", tag = "metrics",
    responses(
        (status = 200, description = "The sums", body = Metrics),
        (status = 401, description = "Bad or unexpected credentials"),
    ))]
pub async fn all(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    HttpResponse::Ok().json(Metrics {
        metrics: sums(&state),
    })
}

/// One host-type metric, summed over the host types.
#[utoipa::path(get, path = "/metrics/all/{metric}", operation_id = "metricAll", tag = "metrics",
    params(("metric" = String, Path, description = "Dotted name, e.g. sm_session.logins")),
    responses(
        (status = 200, description = "The sum", body = OneMetric),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Metric not found", body = ErrorMessage),
    ))]
pub async fn all_one(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    match sums(&state).remove(path.as_str()) {
        Some(metric) => HttpResponse::Ok().json(OneMetric { metric }),
        None => error(StatusCode::NOT_FOUND, "Metric not found"),
    }
}

/// The metrics under one prefix (`global` or a host type's).
fn of_prefix(state: &State, p: &str) -> HashMap<String, Values> {
    snapshot(state)
        .into_iter()
        .filter(|(h, _, _)| h == p)
        .map(|(_, n, v)| (n, v))
        .collect()
}

fn values_of(state: &State, p: &str) -> HttpResponse {
    let m = of_prefix(state, p);
    if m.is_empty() {
        return error(StatusCode::NOT_FOUND, "No metrics found");
    }
    HttpResponse::Ok().json(Metrics {
        metrics: m.into_iter().collect(),
    })
}

fn value_of(state: &State, p: &str, metric: &str) -> HttpResponse {
    match of_prefix(state, p).remove(metric) {
        Some(metric) => HttpResponse::Ok().json(OneMetric { metric }),
        None => error(StatusCode::NOT_FOUND, "Metric not found"),
    }
}

/// The global metrics.
#[utoipa::path(get, path = "/metrics/global", operation_id = "metricsGlobal", tag = "metrics",
    responses(
        (status = 200, description = "The values", body = Metrics),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "No metrics found", body = ErrorMessage),
    ))]
pub async fn global(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    values_of(&state, "global")
}

/// One global metric.
#[utoipa::path(get, path = "/metrics/global/{metric}", operation_id = "metricGlobal", tag = "metrics",
    params(("metric" = String, Path, description = "Dotted name")),
    responses(
        (status = 200, description = "The value", body = OneMetric),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Metric not found", body = ErrorMessage),
    ))]
pub async fn global_one(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    value_of(&state, "global", &path)
}

/// A host type's metrics.
#[utoipa::path(get, path = "/metrics/host_type/{host_type}", operation_id = "metricsHostType", tag = "metrics",
    params(("host_type" = String, Path)),
    responses(
        (status = 200, description = "The values", body = Metrics),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "No metrics found", body = ErrorMessage),
    ))]
pub async fn host_type(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    values_of(&state, &prefix(&path))
}

/// One metric of a host type.
#[utoipa::path(get, path = "/metrics/host_type/{host_type}/{metric}", operation_id = "metricHostType", tag = "metrics",
    params(("host_type" = String, Path), ("metric" = String, Path, description = "Dotted name")),
    responses(
        (status = 200, description = "The value", body = OneMetric),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Metric not found", body = ErrorMessage),
    ))]
pub async fn host_type_one(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    value_of(&state, &prefix(&path.0), &path.1)
}
