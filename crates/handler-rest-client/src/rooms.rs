//! `/rooms...`: MUC Light rooms of the user (MongooseIM's `mongoose_client_api_rooms`,
//! `_rooms_config`, `_rooms_users`, `_rooms_messages`; four `handlers` groups).
//!
//! meerkat has no `mod_muc_light` yet (issue 15). MongooseIM derives the user's MUC Light
//! domain first thing in every one of these requests (for `PUT /rooms` it first sees the
//! missing room id), and without the module answers 404 "MUC Light server not found";
//! so does meerkat, after authentication. The MUC Light issue replaces [`unavailable`]
//! with the commands; the routes and their documented bodies stay.

use crate::{State, authorize, resource};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, error};

/// The `rooms` group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list_rooms,
    create_room,
    put_room_without_id,
    room_info,
    create_room_with_id
))]
pub struct RoomsApi;

/// The `rooms_config` group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(change_config))]
pub struct ConfigApi;

/// The `rooms_users` group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(add_user, remove_user))]
pub struct UsersApi;

/// The `rooms_messages` group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(room_messages, send_room_message))]
pub struct MessagesApi;

/// The `rooms` group's routes.
pub fn rooms_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/rooms", |r| {
        r.route(web::get().to(list_rooms))
            .route(web::post().to(create_room))
            .route(web::put().to(put_room_without_id))
    }))
    .service(resource("/rooms/{id}", |r| {
        r.route(web::get().to(room_info))
            .route(web::put().to(create_room_with_id))
    }));
}

/// The `rooms_config` group's routes.
pub fn config_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/rooms/{id}/config", |r| {
        r.route(web::put().to(change_config))
    }));
}

/// The `rooms_users` group's routes.
pub fn users_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/rooms/{id}/users", |r| {
        r.route(web::post().to(add_user))
    }))
    .service(resource("/rooms/{id}/users/{user}", |r| {
        r.route(web::delete().to(remove_user))
    }));
}

/// The `rooms_messages` group's routes.
pub fn messages_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/rooms/{id}/messages", |r| {
        r.route(web::get().to(room_messages))
            .route(web::post().to(send_room_message))
    }));
}

/// Authenticates, then answers as MongooseIM without `mod_muc_light`.
async fn unavailable(req: &HttpRequest, state: &State) -> HttpResponse {
    if let Err(r) = authorize(req, state).await {
        return r.into();
    }
    error(StatusCode::NOT_FOUND, "MUC Light server not found")
}

/// A room as listed.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Room {
    id: String,
    name: String,
    subject: String,
}

/// A room's name and subject.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: bodies are read as JSON objects with known keys
pub struct RoomConfig {
    name: String,
    subject: String,
}

/// The id of a created room.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RoomId {
    id: String,
}

/// A participant.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Participant {
    /// Bare JID.
    user: String,
    /// `owner` or `member`.
    role: String,
}

/// A room's details.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RoomInfo {
    name: String,
    subject: String,
    participants: Vec<Participant>,
}

/// A user to add.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct NewParticipant {
    /// Bare JID.
    user: String,
}

/// A chat marker.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ChatMarker {
    /// `received`, `displayed` or `acknowledged`.
    r#type: String,
    /// The marked message's id.
    id: String,
}

/// A message to the room: a body and/or a chat marker.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct NewRoomMessage {
    body: Option<String>,
    chat_marker: Option<ChatMarker>,
    /// Only with a body.
    markable: Option<bool>,
}

/// An archived room event: a message or an affiliation change.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RoomEvent {
    id: String,
    /// The sender's bare JID (the room's for affiliation changes).
    from: String,
    /// Milliseconds since the Unix epoch.
    timestamp: i64,
    /// `message` or `affiliation`.
    r#type: String,
    body: Option<String>,
    markable: Option<bool>,
    chat_marker: Option<ChatMarker>,
    affiliation: Option<String>,
    user: Option<String>,
}

/// Lists the rooms the user belongs to.
#[utoipa::path(get, path = "/rooms", operation_id = "listRooms", tag = "rooms",
    responses(
        (status = 200, description = "The rooms", body = Vec<Room>),
        (status = 401, description = "Bad or missing credentials"),
        (status = 404, description = "MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn list_rooms(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}

/// Creates a room owned by the user.
#[utoipa::path(post, path = "/rooms", operation_id = "createRoom", tag = "rooms",
    request_body = RoomConfig,
    responses(
        (status = 201, description = "Created", body = RoomId),
        (status = 400, description = "Missing room name / Missing room subject / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 404, description = "MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn create_room(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}

/// A room id is required.
#[utoipa::path(put, path = "/rooms", operation_id = "putRoomWithoutId", tag = "rooms",
    responses(
        (status = 400, description = "Missing room ID", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
    ))]
pub async fn put_room_without_id(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Err(r) = authorize(&req, &state).await {
        return r.into();
    }
    error(StatusCode::BAD_REQUEST, "Missing room ID")
}

/// A room's name, subject and participants.
#[utoipa::path(get, path = "/rooms/{id}", operation_id = "getRoom", tag = "rooms",
    params(("id" = String, Path, description = "Room id or room JID")),
    responses(
        (status = 200, description = "The room", body = RoomInfo),
        (status = 400, description = "Invalid room ID / Invalid MUC Light domain", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 403, description = "Not a member of the room", body = ErrorMessage),
        (status = 404, description = "Room not found / MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn room_info(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}

/// Creates a room with the given id.
#[utoipa::path(put, path = "/rooms/{id}", operation_id = "createRoomWithId", tag = "rooms",
    params(("id" = String, Path, description = "Room id or room JID")),
    request_body = RoomConfig,
    responses(
        (status = 201, description = "Created", body = RoomId),
        (status = 400, description = "Invalid room ID / Missing room name / Missing room subject / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 403, description = "The room already exists", body = ErrorMessage),
        (status = 404, description = "MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn create_room_with_id(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}

/// Changes a room's name and subject.
#[utoipa::path(put, path = "/rooms/{id}/config", operation_id = "changeRoomConfig", tag = "rooms_config",
    params(("id" = String, Path, description = "Room id or room JID")),
    request_body = RoomConfig,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Invalid room ID / Missing room name / Missing room subject / Validation failed", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 403, description = "Not a member, or not allowed to configure", body = ErrorMessage),
        (status = 404, description = "Room not found / MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn change_config(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}

/// Adds a user to a room.
#[utoipa::path(post, path = "/rooms/{id}/users", operation_id = "addRoomUser", tag = "rooms_users",
    params(("id" = String, Path, description = "Room id or room JID")),
    request_body = NewParticipant,
    responses(
        (status = 204, description = "Added"),
        (status = 400, description = "Missing JID / Invalid user JID", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 403, description = "Not allowed", body = ErrorMessage),
        (status = 404, description = "Room not found / MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn add_user(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}

/// Removes a user from a room (an owner removes anyone, a member only themself).
#[utoipa::path(delete, path = "/rooms/{id}/users/{user}", operation_id = "removeRoomUser", tag = "rooms_users",
    params(("id" = String, Path, description = "Room id or room JID"), ("user" = String, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "Invalid user JID", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 403, description = "Given user does not have permission", body = ErrorMessage),
        (status = 404, description = "Room not found / MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn remove_user(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}

/// A room's archived events, oldest first.
#[utoipa::path(get, path = "/rooms/{id}/messages", operation_id = "getRoomMessages", tag = "rooms_messages",
    params(
        ("id" = String, Path, description = "Room id or room JID"),
        ("limit" = Option<u32>, Query, description = "0 to 500, default 50"),
        ("before" = Option<i64>, Query, description = "Unix milliseconds"),
    ),
    responses(
        (status = 200, description = "The events", body = Vec<RoomEvent>),
        (status = 400, description = "Invalid limit / Invalid value of 'before' / Invalid query string", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 403, description = "Not a member of the room", body = ErrorMessage),
        (status = 404, description = "Room not found / MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn room_messages(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}

/// Sends a message (a body and/or a chat marker) to a room.
#[utoipa::path(post, path = "/rooms/{id}/messages", operation_id = "sendRoomMessage", tag = "rooms_messages",
    params(("id" = String, Path, description = "Room id or room JID")),
    request_body = NewRoomMessage,
    responses(
        (status = 200, description = "Sent", body = RoomId),
        (status = 400, description = "Invalid message body / No valid message elements / Invalid chat marker / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or missing credentials"),
        (status = 403, description = "Not a member of the room", body = ErrorMessage),
        (status = 404, description = "Room not found / MUC Light server not found", body = ErrorMessage),
    ))]
pub async fn send_room_message(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    unavailable(&req, &state).await
}
