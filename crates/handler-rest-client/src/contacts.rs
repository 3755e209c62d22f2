//! `/contacts[/{jid}]`: the user's roster (MongooseIM's `mongoose_client_api_contacts`).

use crate::{State, authorize, resource};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{Contact, ErrorMessage, body, command_error, error, field};
use meerkat_core::commands::roster::{self, SubAction};
use meerkat_core::meerkat_xmpp::{BareJid, Jid};
use serde_json::Value;

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, add, delete_many, get_one, act, delete_one))]
pub struct Api;

/// The group's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/contacts", |r| {
        r.route(web::get().to(list))
            .route(web::post().to(add))
            .route(web::delete().to(delete_many))
    }))
    .service(resource("/contacts/{jid}", |r| {
        r.route(web::get().to(get_one))
            .route(web::put().to(act))
            .route(web::delete().to(delete_one))
    }));
}

/// The most contacts one bulk removal names.
pub const MAX_BULK: usize = 1_000;

fn parse_jid(s: &str) -> Option<BareJid> {
    Jid::new(s).ok().map(|j| j.to_bare())
}

fn invalid_jid(s: &str) -> HttpResponse {
    error(StatusCode::BAD_REQUEST, &format!("Invalid JID: {s}"))
}

/// Lists the user's contacts.
#[utoipa::path(get, path = "/contacts", operation_id = "listContacts", tag = "contacts",
    responses(
        (status = 200, description = "The roster", body = Vec<Contact>),
        (status = 401, description = "Bad or missing credentials"),
    ))]
pub async fn list(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let user = match authorize(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r.into(),
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

/// Adds a contact (no subscription; idempotent).
#[utoipa::path(post, path = "/contacts", operation_id = "addContact", tag = "contacts",
    request_body = NewContact,
    responses(
        (status = 204, description = "Added"),
        (status = 400, description = "Missing JID / Invalid JID: X / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 404, description = "The user X does not exist", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn add(req: HttpRequest, state: web::Data<State>, payload: web::Payload) -> HttpResponse {
    let user = match authorize(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r.into(),
    };
    let m = match body(payload, &["jid"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let Some(jid) = field(&m, "jid") else {
        return error(StatusCode::BAD_REQUEST, "Missing JID");
    };
    let contact = match parse_jid(jid) {
        Some(c) => c,
        None => return invalid_jid(jid),
    };
    match roster::add_contact(&state.server, user.as_str(), contact.as_str(), "", &[]).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}

/// Contacts to remove.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct ToDelete {
    #[schema(max_items = 1000)]
    to_delete: Vec<String>,
}

/// What a bulk removal could not remove.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NotDeleted {
    /// The JIDs that were not in the roster.
    not_deleted: Vec<String>,
}

/// Removes several contacts.
#[utoipa::path(delete, path = "/contacts", operation_id = "deleteContacts", tag = "contacts",
    request_body = ToDelete,
    responses(
        (status = 200, description = "The JIDs that were not contacts", body = NotDeleted),
        (status = 400, description = "Invalid JID: X / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn delete_many(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    let user = match authorize(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r.into(),
    };
    let m = match body(payload, &["to_delete"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let Some(Value::Array(items)) = m.get("to_delete") else {
        return error(StatusCode::BAD_REQUEST, "Invalid request body");
    };
    if items.len() > MAX_BULK {
        return error(StatusCode::BAD_REQUEST, "Too many JIDs");
    }
    let mut jids = Vec::with_capacity(items.len());
    for v in items {
        let Some(s) = v.as_str() else {
            return error(StatusCode::BAD_REQUEST, "Invalid request body");
        };
        match parse_jid(s) {
            Some(j) => jids.push(j),
            None => return invalid_jid(s),
        }
    }
    let mut not_deleted = Vec::new();
    for j in jids {
        match roster::delete_contact(&state.server, user.as_str(), j.as_str()).await {
            Ok(_) => {}
            Err(e) if e.code == "contact_not_found" => not_deleted.push(j.to_string()),
            Err(e) => return command_error(&e),
        }
    }
    HttpResponse::Ok().json(NotDeleted { not_deleted })
}

/// Not supported: the whole roster is read with `GET /contacts`.
#[utoipa::path(get, path = "/contacts/{jid}", operation_id = "getContact", tag = "contacts",
    params(("jid" = String, Path)),
    responses(
        (status = 401, description = "Bad or missing credentials"),
        (status = 404, description = "JID provided but not supported", body = ErrorMessage),
    ))]
pub async fn get_one(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state).await {
        return r.into();
    }
    error(StatusCode::NOT_FOUND, "JID provided but not supported")
}

/// A subscription action.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct Action {
    /// `invite` (ask to subscribe) or `accept` (approve the contact's request).
    #[schema(pattern = "^(invite|accept)$")]
    action: String,
}

/// Sends a subscription request to a contact, or accepts theirs.
#[utoipa::path(put, path = "/contacts/{jid}", operation_id = "contactAction", tag = "contacts",
    params(("jid" = String, Path)),
    request_body = Action,
    responses(
        (status = 204, description = "Sent"),
        (status = 400, description = "Invalid JID: X / Missing action / Invalid action / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 404, description = "The contact is not in the roster", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn act(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let user = match authorize(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r.into(),
    };
    let contact = match parse_jid(&path) {
        Some(c) => c,
        None => return invalid_jid(&path),
    };
    let m = match body(payload, &["action"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let action = match m.get("action") {
        None => return error(StatusCode::BAD_REQUEST, "Missing action"),
        Some(Value::String(a)) if a == "invite" => SubAction::Invite,
        Some(Value::String(a)) if a == "accept" => SubAction::Accept,
        Some(_) => return error(StatusCode::BAD_REQUEST, "Invalid action"),
    };
    let server = &state.server;
    if let Err(e) = roster::get_contact(server, user.as_str(), contact.as_str()).await {
        return command_error(&e);
    }
    match roster::subscription(server, user.as_str(), contact.as_str(), action).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}

/// Removes a contact (subscriptions both ways are cancelled first).
#[utoipa::path(delete, path = "/contacts/{jid}", operation_id = "deleteContact", tag = "contacts",
    params(("jid" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Invalid JID: X", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 404, description = "Cannot remove X contact that does not exist", body = ErrorMessage),
    ))]
pub async fn delete_one(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
) -> HttpResponse {
    let user = match authorize(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r.into(),
    };
    let contact = match parse_jid(&path) {
        Some(c) => c,
        None => return invalid_jid(&path),
    };
    match roster::delete_contact(&state.server, user.as_str(), contact.as_str()).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => command_error(&e),
    }
}
