//! `/domains/{domain}`: dynamic domains (MongooseIM's `mongoose_admin_api_domain`).
//!
//! meerkat's dynamic domains need no `service_domain_db` (as its GraphQL `domain`
//! category), so MongooseIM's 403 "Dynamic domains service is disabled" never happens.

use crate::{State, authorize, not_allowed, options};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, body, command_error, error};
use meerkat_core::commands::domain::{self, DomainStatus};
use meerkat_core::commands::{CommandError, ErrorKind};
use serde_json::Value;

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(details, add, set_enabled, remove))]
pub struct Api;

/// The group's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/domains/{domain}")
            .route(web::get().to(details))
            .route(web::put().to(add))
            .route(web::patch().to(set_enabled))
            .route(web::delete().to(remove))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    );
}

/// A domain's host type and status.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Details {
    host_type: Option<String>,
    /// `enabled`, `disabled` or `deleting`.
    #[schema(pattern = "^(enabled|disabled|deleting|deleted)$")]
    status: Option<&'static str>,
}

/// MongooseIM answers "denied" for every refusal but "not found" (and "duplicate" for
/// an insertion).
fn refused(e: &CommandError) -> HttpResponse {
    match e.kind {
        ErrorKind::NotFound
        | ErrorKind::BadRequest
        | ErrorKind::Conflict
        | ErrorKind::Internal
        | ErrorKind::ModuleNotLoaded { .. } => command_error(e),
        ErrorKind::Denied => error(StatusCode::FORBIDDEN, &e.message),
    }
}

/// A domain's host type and status.
#[utoipa::path(get, path = "/domains/{domain}", operation_id = "getDomain", tag = "domain",
    params(("domain" = String, Path)),
    responses(
        (status = 200, description = "The domain", body = Details),
        (status = 400, description = "Invalid domain name", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Given domain does not exist", body = ErrorMessage),
    ))]
pub async fn details(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    match domain::domain_details(&state.server, &path).await {
        Ok(d) => HttpResponse::Ok().json(Details {
            host_type: d.host_type,
            status: d.status.map(|s| match s {
                DomainStatus::Enabled => "enabled",
                DomainStatus::Disabled => "disabled",
                DomainStatus::Deleting => "deleting",
                DomainStatus::Deleted => "deleted",
            }),
        }),
        Err(e) => refused(&e),
    }
}

/// A domain to add.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: bodies are read as JSON objects with known keys
pub struct NewDomain {
    /// One of `general.host_types`.
    host_type: String,
}

/// Adds a dynamic domain.
#[utoipa::path(put, path = "/domains/{domain}", operation_id = "addDomain", tag = "domain",
    params(("domain" = String, Path)),
    request_body = NewDomain,
    responses(
        (status = 204, description = "Added"),
        (status = 400, description = "'host_type' field is missing / Invalid domain name / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "Unknown host type / Domain is static", body = ErrorMessage),
        (status = 409, description = "The domain exists with another host type", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn add(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let m = match body(payload, &["host_type"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let Some(Value::String(host_type)) = m.get("host_type") else {
        return error(StatusCode::BAD_REQUEST, "'host_type' field is missing");
    };
    match domain::add_domain(&state.server, &path, host_type).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => refused(&e),
    }
}

/// Enabling or disabling.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct Enabled {
    enabled: bool,
}

/// Enables or disables a dynamic domain.
#[utoipa::path(patch, path = "/domains/{domain}", operation_id = "enableDomain", tag = "domain",
    params(("domain" = String, Path)),
    request_body = Enabled,
    responses(
        (status = 204, description = "Done"),
        (status = 400, description = "'enabled' field is missing / Invalid domain name / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "Domain is static", body = ErrorMessage),
        (status = 404, description = "Given domain does not exist", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn set_enabled(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let m = match body(payload, &["enabled"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let result = match m.get("enabled") {
        Some(Value::Bool(true)) => domain::enable_domain(&state.server, &path).await,
        Some(Value::Bool(false)) => domain::disable_domain(&state.server, &path).await,
        Some(_) => return error(StatusCode::BAD_REQUEST, "Invalid request body"),
        None => return error(StatusCode::BAD_REQUEST, "'enabled' field is missing"),
    };
    match result {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => refused(&e),
    }
}

/// A removal.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct Removal {
    /// The domain's host type.
    host_type: String,
    /// `true`: disable the domain now and remove its data in the background (202).
    request: Option<bool>,
}

/// Removes a dynamic domain and everything stored for it.
#[utoipa::path(delete, path = "/domains/{domain}", operation_id = "removeDomain", tag = "domain",
    params(("domain" = String, Path)),
    request_body = Removal,
    responses(
        (status = 204, description = "Removed"),
        (status = 202, description = "Disabled; removal queued"),
        (status = 400, description = "'host_type' field is missing / Invalid domain name / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "Domain is static / Wrong host type / Unknown host type", body = ErrorMessage),
        (status = 404, description = "Given domain does not exist", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let m = match body(payload, &["host_type", "request"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let Some(Value::String(host_type)) = m.get("host_type") else {
        return error(StatusCode::BAD_REQUEST, "'host_type' field is missing");
    };
    let server = &state.server;
    if m.get("request") == Some(&Value::Bool(true)) {
        match domain::request_remove_domain(server, &path, host_type).await {
            Ok(_) => HttpResponse::Accepted().finish(),
            Err(e) => refused(&e),
        }
    } else {
        match domain::remove_domain(server, &path, host_type).await {
            Ok(_) => HttpResponse::NoContent().finish(),
            Err(e) => refused(&e),
        }
    }
}
