//! `/sessions/{domain}[/{username}[/{resource}]]`: list a domain's sessions, kick one.

use crate::{State, authorize, not_allowed, options};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, command_error};
use meerkat_core::commands::session;

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, kick))]
pub struct Api;

/// The group's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(["/sessions/{domain}", "/sessions/{domain}/{username}"])
            .route(web::get().to(list))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/sessions/{domain}/{username}/{resource}")
            .route(web::get().to(list))
            .route(web::delete().to(kick))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    );
}

/// Lists the domain's sessions (further path segments are ignored, as in MongooseIM).
#[utoipa::path(get, path = "/sessions/{domain}", operation_id = "listSessions", tag = "sessions",
    params(("domain" = String, Path)),
    responses(
        (status = 200, description = "The sessions as full JIDs", body = Vec<String>),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Unknown domain", body = ErrorMessage),
    ))]
pub async fn list(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let domain = req.match_info().get("domain").unwrap_or_default();
    match session::list_sessions(&state.server, Some(domain)) {
        Ok(list) => HttpResponse::Ok().json(list.into_iter().map(|s| s.user).collect::<Vec<_>>()),
        Err(e) => command_error(&e),
    }
}

/// Kicks a session (reason "kicked").
#[utoipa::path(delete, path = "/sessions/{domain}/{username}/{resource}", operation_id = "kickSession", tag = "sessions",
    params(("domain" = String, Path), ("username" = String, Path), ("resource" = String, Path)),
    responses(
        (status = 204, description = "Kicked"),
        (status = 400, description = "Invalid JID", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "No active session", body = ErrorMessage),
    ))]
pub async fn kick(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String, String)>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let (domain, user, resource) = path.into_inner();
    let jid = format!("{user}@{domain}/{resource}");
    match session::kick_session(&state.server, &jid, Some("kicked")).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}
