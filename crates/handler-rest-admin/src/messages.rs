//! `/messages[/{owner}[/{with}]]`: send a chat message as any user; read a user's
//! archive (MongooseIM's `mongoose_admin_api_messages`).

use crate::{State, authorize, not_allowed, options};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, archive_page, body, command_error, error, query};
use meerkat_core::commands::{CommandError, ErrorKind, stanza};
use meerkat_core::meerkat_xmpp::Jid;
use serde_json::Value;

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(send, archive_missing_owner, archive, archive_with))]
pub struct Api;

/// The group's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/messages")
            .route(web::post().to(send))
            .route(web::get().to(archive_missing_owner))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/messages/{owner}")
            .route(web::get().to(archive))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/messages/{owner}/{with}")
            .route(web::get().to(archive_with))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    );
}

/// A message to send.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: bodies are read as JSON objects with known keys
pub struct NewMessage {
    /// The sender: a local user's JID.
    caller: String,
    /// The recipient's JID.
    to: String,
    /// The text.
    body: String,
}

/// A command error as this group answers it: everything but internal errors is a 400
/// (as MongooseIM answers every refusal of its stanza API here).
fn refused(e: &CommandError) -> HttpResponse {
    match e.kind {
        ErrorKind::Internal | ErrorKind::ModuleNotLoaded { .. } => command_error(e),
        _ => error(StatusCode::BAD_REQUEST, &e.message),
    }
}

/// Sends a chat message from `caller` to `to`.
#[utoipa::path(post, path = "/messages", operation_id = "sendMessage", tag = "messages",
    request_body = NewMessage,
    responses(
        (status = 204, description = "Sent"),
        (status = 400, description = "Missing sender JID / Missing recipient JID / Missing message body / Invalid sender JID / Invalid recipient JID / User does not exist / User's domain does not exist / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn send(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    let m = match body(payload, &["caller", "to", "body"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let caller = match m.get("caller") {
        None => return error(StatusCode::BAD_REQUEST, "Missing sender JID"),
        Some(Value::String(c)) if Jid::new(c).is_ok() => c,
        Some(_) => return error(StatusCode::BAD_REQUEST, "Invalid sender JID"),
    };
    let to = match m.get("to") {
        None => return error(StatusCode::BAD_REQUEST, "Missing recipient JID"),
        Some(Value::String(t)) if Jid::new(t).is_ok() => t,
        Some(_) => return error(StatusCode::BAD_REQUEST, "Invalid recipient JID"),
    };
    let text = match m.get("body") {
        None => return error(StatusCode::BAD_REQUEST, "Missing message body"),
        Some(Value::String(b)) => b,
        Some(_) => return error(StatusCode::BAD_REQUEST, "Invalid request body"),
    };
    match stanza::send_chat_message(&state.server, None, Some(caller), to, text).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) => refused(&e),
    }
}

/// An archived message.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ArchivedMessage {
    /// The sender's JID.
    sender: String,
    /// Seconds since the Unix epoch.
    timestamp: i64,
    message_id: String,
    body: String,
}

/// The owner is required.
#[utoipa::path(get, path = "/messages", operation_id = "getMessagesWithoutOwner", tag = "messages",
    responses(
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Missing owner JID", body = ErrorMessage),
    ))]
pub async fn archive_missing_owner(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state) {
        return r.into();
    }
    error(StatusCode::NOT_FOUND, "Missing owner JID")
}

/// A user's latest archived messages (mod_mam with its `pm` archive).
#[utoipa::path(get, path = "/messages/{owner}", operation_id = "getMessages", tag = "messages",
    params(
        ("owner" = String, Path, description = "The archive's owner"),
        ("limit" = Option<u32>, Query, description = "At most this many (default 100)"),
        ("before" = Option<i64>, Query, description = "Only older than this, in Unix seconds"),
    ),
    responses(
        (status = 200, description = "Oldest first", body = Vec<ArchivedMessage>),
        (status = 400, description = "Invalid owner JID / Invalid query string / Invalid limit / Invalid value of 'before' / User does not exist", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Some of the required modules are not loaded (mod_mam)", body = ErrorMessage),
    ))]
pub async fn archive(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
) -> HttpResponse {
    lookup(&req, &state, &path, None).await
}

/// A user's latest archived messages with one contact (mod_mam with its `pm` archive).
#[utoipa::path(get, path = "/messages/{owner}/{with}", operation_id = "getMessagesWith", tag = "messages",
    params(
        ("owner" = String, Path, description = "The archive's owner"),
        ("with" = String, Path, description = "The other party"),
        ("limit" = Option<u32>, Query, description = "At most this many (default 100)"),
        ("before" = Option<i64>, Query, description = "Only older than this, in Unix seconds"),
    ),
    responses(
        (status = 200, description = "Oldest first", body = Vec<ArchivedMessage>),
        (status = 400, description = "Invalid owner JID / Invalid interlocutor JID / Invalid query string / Invalid limit / Invalid value of 'before' / User does not exist", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Some of the required modules are not loaded (mod_mam)", body = ErrorMessage),
    ))]
pub async fn archive_with(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    lookup(&req, &state, &path.0, Some(&path.1)).await
}

/// Validates as MongooseIM does (owner, interlocutor, query keys, limit, before), then
/// looks the archive up.
async fn lookup(req: &HttpRequest, state: &State, owner: &str, with: Option<&str>) -> HttpResponse {
    if let Err(r) = authorize(req, state) {
        return r.into();
    }
    let Ok(owner) = Jid::new(owner) else {
        return error(StatusCode::BAD_REQUEST, "Invalid owner JID");
    };
    let with = match with.map(Jid::new).transpose() {
        Ok(w) => w,
        Err(_) => return error(StatusCode::BAD_REQUEST, "Invalid interlocutor JID"),
    };
    let q = match query(req, &["limit", "before"]) {
        Ok(q) => q,
        Err(r) => return r.into(),
    };
    let (limit, before) = match archive_page(&q) {
        Ok(page) => page,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let limit = limit.unwrap_or(100);
    let before_us = before.map(|s| s.saturating_mul(1_000_000));
    let rows = match stanza::last_messages(
        &state.server,
        &owner.to_bare(),
        with.as_ref(),
        limit,
        before_us,
        true,
    )
    .await
    {
        Ok((rows, _)) => rows,
        Err(e) => return command_error(&e),
    };
    let messages: Vec<ArchivedMessage> = rows
        .into_iter()
        .map(|m| ArchivedMessage {
            sender: m.sender.unwrap_or_default(),
            timestamp: m.timestamp_us.div_euclid(1_000_000),
            message_id: m.stanza.attr("id").unwrap_or("").to_owned(),
            body: m
                .stanza
                .get_child("body", meerkat_core::meerkat_xmpp::ns::CLIENT)
                .map(meerkat_core::meerkat_xmpp::Element::text)
                .unwrap_or_default(),
        })
        .collect();
    HttpResponse::Ok().json(messages)
}
