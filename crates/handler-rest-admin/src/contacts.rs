//! `/contacts/{user}[/{contact}[/manage]]`: any user's roster (MongooseIM's
//! `mongoose_admin_api_contacts`).

use crate::{State, authorize, not_allowed, options};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{Contact, ErrorMessage, body, command_error, error};
use meerkat_core::commands::roster::{self, MutualAction, SubAction};
use meerkat_core::meerkat_xmpp::{BareJid, Jid};
use serde_json::Value;

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, add, subscription, manage, remove))]
pub struct Api;

/// The group's routes. `/contacts/` (no user) is not a route: 404, as in MongooseIM.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/contacts/{user}")
            .route(web::get().to(list))
            .route(web::post().to(add))
            .route(web::put().to(missing_contact))
            .route(web::delete().to(missing_contact))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/contacts/{user}/{contact}")
            .route(web::get().to(list))
            .route(web::put().to(subscription))
            .route(web::delete().to(remove))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/contacts/{user}/{contact}/manage")
            .route(web::put().to(manage))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    );
}

/// `s` as a bare JID, or a 400 with `invalid`.
fn jid(s: &str, invalid: &str) -> Result<BareJid, Box<HttpResponse>> {
    Jid::new(s)
        .map(|j| j.to_bare())
        .map_err(|_| Box::new(error(StatusCode::BAD_REQUEST, invalid)))
}

/// Lists the user's contacts (a contact in the path is ignored, as in MongooseIM).
#[utoipa::path(get, path = "/contacts/{user}", operation_id = "listContacts", tag = "contacts",
    params(("user" = String, Path, description = "The roster's owner")),
    responses(
        (status = 200, description = "The roster", body = Vec<Contact>),
        (status = 400, description = "Invalid user JID", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Domain not found / The user X does not exist", body = ErrorMessage),
    ))]
pub async fn list(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let user = match jid(
        req.match_info().get("user").unwrap_or_default(),
        "Invalid user JID",
    ) {
        Ok(u) => u,
        Err(r) => return *r,
    };
    match roster::list_contacts(&state.server, user.as_str()).await {
        Ok(items) => {
            HttpResponse::Ok().json(items.into_iter().map(Contact::from).collect::<Vec<_>>())
        }
        Err(e) => command_error(&e),
    }
}

/// A contact to add.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: bodies are read as JSON objects with known keys
pub struct NewContact {
    jid: String,
}

/// Adds a contact to the user's roster (no subscription; idempotent).
#[utoipa::path(post, path = "/contacts/{user}", operation_id = "addContact", tag = "contacts",
    params(("user" = String, Path, description = "The roster's owner")),
    request_body = NewContact,
    responses(
        (status = 204, description = "Added"),
        (status = 400, description = "Invalid user JID / Missing JID / Invalid JID / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Domain not found / The user X does not exist", body = ErrorMessage),
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
    let user = match jid(&path, "Invalid user JID") {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let m = match body(payload, &["jid"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let contact = match m.get("jid") {
        None => return error(StatusCode::BAD_REQUEST, "Missing JID"),
        Some(Value::String(c)) => match jid(c, "Invalid JID") {
            Ok(c) => c,
            Err(r) => return *r,
        },
        Some(_) => return error(StatusCode::BAD_REQUEST, "Invalid JID"),
    };
    match roster::add_contact(&state.server, user.as_str(), contact.as_str(), "", &[]).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}

/// `PUT` and `DELETE` without a contact.
async fn missing_contact(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    error(StatusCode::BAD_REQUEST, "Missing contact JID")
}

/// A subscription action.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct SubscriptionAction {
    /// `subscribe` (ask for the contact's presence) or `subscribed` (approve theirs).
    #[schema(pattern = "^(subscribe|subscribed)$")]
    action: String,
}

/// A mutual subscription action.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct ManageAction {
    /// `connect` (both in each other's roster, subscribed both ways) or `disconnect`
    /// (both removed).
    #[schema(pattern = "^(connect|disconnect)$")]
    action: String,
}

/// Reads the path's JIDs and the body's `action`.
async fn action_request(
    req: &HttpRequest,
    state: &State,
    path: &(String, String),
    payload: web::Payload,
) -> Result<(BareJid, BareJid, String), HttpResponse> {
    authorize(req, state).map_err(HttpResponse::from)?;
    let user = jid(&path.0, "Invalid user JID").map_err(|r| *r)?;
    let contact = jid(&path.1, "Invalid contact JID").map_err(|r| *r)?;
    let m = body(payload, &["action"])
        .await
        .map_err(HttpResponse::from)?;
    match m.get("action") {
        None => Err(error(StatusCode::BAD_REQUEST, "Missing action")),
        Some(Value::String(a)) => Ok((user, contact, a.clone())),
        Some(_) => Err(error(StatusCode::BAD_REQUEST, "Invalid action")),
    }
}

/// Sends a subscription presence from the user to the contact.
#[utoipa::path(put, path = "/contacts/{user}/{contact}", operation_id = "contactSubscription", tag = "contacts",
    params(("user" = String, Path), ("contact" = String, Path)),
    request_body = SubscriptionAction,
    responses(
        (status = 204, description = "Sent"),
        (status = 400, description = "Invalid user JID / Invalid contact JID / Missing action / Invalid action / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Domain not found / The user X does not exist", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn subscription(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> HttpResponse {
    let (user, contact, action) = match action_request(&req, &state, &path, payload).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let action = match action.as_str() {
        "subscribe" => SubAction::Invite,
        "subscribed" => SubAction::Accept,
        _ => return error(StatusCode::BAD_REQUEST, "Invalid action"),
    };
    match roster::subscription(&state.server, user.as_str(), contact.as_str(), action).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}

/// Connects two users (mutual contacts, subscribed both ways) or disconnects them.
#[utoipa::path(put, path = "/contacts/{user}/{contact}/manage", operation_id = "manageContact", tag = "contacts",
    params(("user" = String, Path), ("contact" = String, Path)),
    request_body = ManageAction,
    responses(
        (status = 204, description = "Done"),
        (status = 400, description = "Invalid user JID / Invalid contact JID / Missing action / Invalid action / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Domain not found / The user X does not exist / Cannot remove X contact that does not exist", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn manage(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> HttpResponse {
    let (user, contact, action) = match action_request(&req, &state, &path, payload).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let action = match action.as_str() {
        "connect" => MutualAction::Connect,
        "disconnect" => MutualAction::Disconnect,
        _ => return error(StatusCode::BAD_REQUEST, "Invalid action"),
    };
    let server = &state.server;
    match roster::set_mutual_subscription(server, user.as_str(), contact.as_str(), action).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}

/// Removes a contact from the user's roster.
#[utoipa::path(delete, path = "/contacts/{user}/{contact}", operation_id = "deleteContact", tag = "contacts",
    params(("user" = String, Path), ("contact" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Invalid user JID / Invalid contact JID", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Domain not found / Cannot remove X contact that does not exist", body = ErrorMessage),
    ))]
pub async fn remove(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let user = match jid(&path.0, "Invalid user JID") {
        Ok(u) => u,
        Err(r) => return *r,
    };
    let contact = match jid(&path.1, "Invalid contact JID") {
        Ok(c) => c,
        Err(r) => return *r,
    };
    match roster::delete_contact(&state.server, user.as_str(), contact.as_str()).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}
