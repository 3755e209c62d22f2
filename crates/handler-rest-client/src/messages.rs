//! `/messages[/{with}]`: send a chat message as the user; read the user's archive
//! (MongooseIM's `mongoose_client_api_messages`).

use crate::{State, authorize, resource};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, archive_page, body, command_error, error, query};
use meerkat_core::commands::stanza;
use meerkat_core::meerkat_xmpp::Jid;
use serde_json::Value;

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(send, archive, archive_with))]
pub struct Api;

/// The group's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/messages", |r| {
        r.route(web::get().to(archive)).route(web::post().to(send))
    }))
    .service(resource("/messages/{with}", |r| {
        r.route(web::get().to(archive_with))
    }));
}

/// A message to send.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: bodies are read as JSON objects with known keys
pub struct NewMessage {
    /// The recipient's JID.
    to: String,
    /// The text.
    body: String,
}

/// The id of a sent message.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Sent {
    /// The stanza's `id`.
    id: String,
}

/// Sends a chat message from the user's bare JID.
#[utoipa::path(post, path = "/messages", operation_id = "sendMessage", tag = "messages",
    request_body = NewMessage,
    responses(
        (status = 200, description = "Sent", body = Sent),
        (status = 400, description = "Missing recipient JID / Missing message body / Invalid recipient JID / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn send(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    let user = match authorize(&req, &state).await {
        Ok(u) => u,
        Err(r) => return r.into(),
    };
    let m = match body(payload, &["to", "body"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let to = match m.get("to") {
        None => return error(StatusCode::BAD_REQUEST, "Missing recipient JID"),
        Some(Value::String(to)) => to,
        Some(_) => return error(StatusCode::BAD_REQUEST, "Invalid recipient JID"),
    };
    let text = match m.get("body") {
        None => return error(StatusCode::BAD_REQUEST, "Missing message body"),
        Some(Value::String(b)) => b,
        Some(_) => return error(StatusCode::BAD_REQUEST, "Invalid request body"),
    };
    match stanza::send_chat_message(&state.server, Some(&user), None, to, text).await {
        Ok(id) => HttpResponse::Ok().json(Sent { id }),
        Err(e) => command_error(&e),
    }
}

/// An archived message (the shape the SSE `message` event also uses).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ArchivedMessage {
    from: String,
    to: String,
    id: String,
    body: String,
    /// Milliseconds since the Unix epoch.
    timestamp: i64,
}

/// The user's latest archived messages (mod_mam with its `pm` archive).
#[utoipa::path(get, path = "/messages", operation_id = "getMessages", tag = "messages",
    params(
        ("limit" = Option<u32>, Query, description = "At most this many (default 50)"),
        ("before" = Option<i64>, Query, description = "Only older than this, in Unix milliseconds"),
    ),
    responses(
        (status = 200, description = "Oldest first", body = Vec<ArchivedMessage>),
        (status = 400, description = "Invalid query string / Invalid limit / Invalid value of 'before'", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 404, description = "Some of the required modules are not loaded (mod_mam)", body = ErrorMessage),
    ))]
pub async fn archive(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    lookup(&req, &state, None).await
}

/// The user's latest archived messages with one contact (mod_mam with its `pm` archive).
#[utoipa::path(get, path = "/messages/{with}", operation_id = "getMessagesWith", tag = "messages",
    params(
        ("with" = String, Path, description = "The other party's JID"),
        ("limit" = Option<u32>, Query, description = "At most this many (default 50)"),
        ("before" = Option<i64>, Query, description = "Only older than this, in Unix milliseconds"),
    ),
    responses(
        (status = 200, description = "Oldest first", body = Vec<ArchivedMessage>),
        (status = 400, description = "Invalid interlocutor JID / Invalid query string / Invalid limit / Invalid value of 'before'", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 404, description = "Some of the required modules are not loaded (mod_mam)", body = ErrorMessage),
    ))]
pub async fn archive_with(
    req: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
) -> HttpResponse {
    lookup(&req, &state, Some(&path)).await
}

/// Validates as MongooseIM does (interlocutor, query keys, limit, before), then looks the
/// archive up.
async fn lookup(req: &HttpRequest, state: &State, with: Option<&str>) -> HttpResponse {
    let user = match authorize(req, state).await {
        Ok(u) => u,
        Err(r) => return r.into(),
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
    let limit = limit.unwrap_or(50);
    let before_us = before.map(|ms| ms.saturating_mul(1_000));
    let rows =
        match stanza::last_messages(&state.server, &user, with.as_ref(), limit, before_us, false)
            .await
        {
            Ok((rows, _)) => rows,
            Err(e) => return command_error(&e),
        };
    let attr =
        |m: &meerkat_core::meerkat_xmpp::Element, a: &str| m.attr(a).unwrap_or("").to_owned();
    let messages: Vec<ArchivedMessage> = rows
        .into_iter()
        .map(|m| ArchivedMessage {
            from: attr(&m.stanza, "from"),
            to: attr(&m.stanza, "to"),
            id: attr(&m.stanza, "id"),
            body: m
                .stanza
                .get_child("body", meerkat_core::meerkat_xmpp::ns::CLIENT)
                .map(meerkat_core::meerkat_xmpp::Element::text)
                .unwrap_or_default(),
            timestamp: m.timestamp_us.div_euclid(1_000),
        })
        .collect();
    HttpResponse::Ok().json(messages)
}
