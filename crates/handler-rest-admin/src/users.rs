//! `/users/{domain}[/{username}]`: list, register, change password, remove.

use crate::State;
use crate::rest::{authorize, body, command_error, error, field};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use meerkat_core::commands::account;

/// `GET`: the domain's users as bare JIDs (a user name in the path is ignored, as in
/// MongooseIM).
pub async fn list(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<Vec<String>>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    match account::list_users(&state.server, &path[0], None, None).await {
        Ok(users) => HttpResponse::Ok().json(users),
        Err(e) => command_error(&e),
    }
}

/// `POST {username, password}`: 201 with `location` and the result message.
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

/// `PUT {newpass}`: 204.
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

/// `DELETE`: 204.
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
