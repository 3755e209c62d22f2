//! `/users/{domain}[/{username}]`: list, register, change password, remove.

use crate::{State, authorize, not_allowed, options};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, body, command_error, error, field};
use meerkat_core::commands::account;

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, list_with_user, register, change_password, remove))]
pub struct Api;

/// The group's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users/{domain}")
            .route(web::get().to(list))
            .route(web::post().to(register))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/users/{domain}/{username}")
            .route(web::get().to(list_with_user))
            .route(web::put().to(change_password))
            .route(web::delete().to(remove))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    );
}

/// Lists the domain's users.
#[utoipa::path(get, path = "/users/{domain}", operation_id = "listUsers", tag = "users",
    params(("domain" = String, Path, description = "An XMPP domain")),
    responses(
        (status = 200, description = "The users as bare JIDs", body = Vec<String>),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Unknown domain", body = ErrorMessage),
    ))]
pub async fn list(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
) -> HttpResponse {
    list_domain(&req, &state, &path).await
}

/// Lists the domain's users (the user name is ignored, as in MongooseIM).
#[utoipa::path(get, path = "/users/{domain}/{username}", operation_id = "listUsersWithName", tag = "users",
    params(("domain" = String, Path), ("username" = String, Path, description = "Ignored")),
    responses(
        (status = 200, description = "The users as bare JIDs", body = Vec<String>),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Unknown domain", body = ErrorMessage),
    ))]
pub async fn list_with_user(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    list_domain(&req, &state, &path.0).await
}

async fn list_domain(req: &HttpRequest, state: &State, domain: &str) -> HttpResponse {
    if let Err(r) = authorize(req, state) {
        return r.into();
    }
    match account::list_users(&state.server, domain, None, None).await {
        Ok(users) => HttpResponse::Ok().json(users),
        Err(e) => command_error(&e),
    }
}

/// A registration.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: bodies are read as JSON objects with known keys
pub struct NewUser {
    username: String,
    password: String,
}

/// Registers a user.
#[utoipa::path(post, path = "/users/{domain}", operation_id = "registerUser", tag = "users",
    params(("domain" = String, Path)),
    request_body = NewUser,
    responses(
        (status = 201, description = "Registered; `location` names the user",
            body = String, content_type = "text/plain"),
        (status = 400, description = "Missing user name / Missing password / Invalid JID / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "The user exists, or cannot be registered", body = ErrorMessage),
        (status = 409, description = "The user exists", body = ErrorMessage),
        (status = 404, description = "Unknown domain", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn register(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let m = match body(payload, &["username", "password"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let Some(username) = field(&m, "username") else {
        return error(StatusCode::BAD_REQUEST, "Missing user name");
    };
    let Some(password) = field(&m, "password") else {
        return error(StatusCode::BAD_REQUEST, "Missing password");
    };
    match account::register_user(&state.server, &path, Some(username), password).await {
        Ok(done) => {
            let location = format!("{}/{username}", req.uri().path().trim_end_matches('/'));
            HttpResponse::Created()
                .insert_header(("location", location))
                .content_type("text/plain; charset=utf-8")
                .body(done.message)
        }
        Err(e) => command_error(&e),
    }
}

/// A password change.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct NewPassword {
    newpass: String,
}

/// Changes a user's password.
#[utoipa::path(put, path = "/users/{domain}/{username}", operation_id = "changePassword", tag = "users",
    params(("domain" = String, Path), ("username" = String, Path)),
    request_body = NewPassword,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Missing new password / Empty password / Invalid JID / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "User does not exist or you are not authorized properly", body = ErrorMessage),
        (status = 404, description = "Unknown domain", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let m = match body(payload, &["newpass"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let Some(newpass) = field(&m, "newpass") else {
        return error(StatusCode::BAD_REQUEST, "Missing new password");
    };
    if newpass.is_empty() {
        return error(StatusCode::BAD_REQUEST, "Empty password");
    }
    let (domain, user) = path.into_inner();
    match account::change_password(&state.server, &format!("{user}@{domain}"), newpass).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}

/// Removes a user and everything stored for them.
#[utoipa::path(delete, path = "/users/{domain}/{username}", operation_id = "removeUser", tag = "users",
    params(("domain" = String, Path), ("username" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Invalid JID", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "The user does not exist or cannot be removed", body = ErrorMessage),
        (status = 404, description = "Unknown domain", body = ErrorMessage),
    ))]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let (domain, user) = path.into_inner();
    match account::remove_user(&state.server, &format!("{user}@{domain}")).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}
