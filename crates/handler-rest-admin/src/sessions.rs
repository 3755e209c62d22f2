//! `/sessions/{domain}[/{username}[/{resource}]]`: list a domain's sessions, kick one.

use crate::State;
use crate::rest::{authorize, command_error};
use actix_web::{HttpRequest, HttpResponse, web};
use meerkat_core::commands::session;

/// `GET`: the domain's sessions as full JIDs (further path segments ignored, as in
/// MongooseIM).
pub async fn list(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<Vec<String>>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    match session::list_sessions(&state.server, Some(&path[0])) {
        Ok(list) => HttpResponse::Ok().json(list.into_iter().map(|s| s.user).collect::<Vec<_>>()),
        Err(e) => command_error(&e),
    }
}

/// `DELETE`: kicks the session (reason "kicked"); 404 "No active session".
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
