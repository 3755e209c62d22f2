//! The groups whose MongooseIM module meerkat does not have yet: `muc_light` (issue 15),
//! `muc` (issue 16), `inbox` (issue 17). Their routes check what MongooseIM checks before
//! it reaches the module (credentials, the body's keys, its required fields in
//! MongooseIM's order, JIDs), then answer as MongooseIM does without the module: 404
//! "MUC Light server not found", 404 "MUC domain not found", and, for the inbox (whose
//! absence MongooseIM does not handle), the command layer's "module not loaded" 404.
//! The issues that add the modules replace [`checked`]'s final answer with the commands.

use crate::{State, authorize, not_allowed, options};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, body, command_error, error};
use meerkat_core::commands::CommandError;
use meerkat_core::meerkat_xmpp::Jid;
use serde_json::Value;

/// A required body field: its key, the message when it is missing, and the message when
/// it must be a JID and is not.
struct Field(&'static str, &'static str, Option<&'static str>);

const NO_MUC_LIGHT: &str = "MUC Light server not found";
const NO_MUC: &str = "MUC domain not found";

/// Authenticates, reads and checks the body's fields (if `fields` is not `None`), then
/// answers `absent`.
async fn checked(
    req: &HttpRequest,
    state: &State,
    payload: Option<web::Payload>,
    fields: &[Field],
    absent: HttpResponse,
) -> HttpResponse {
    if let Err(r) = authorize(req, state) {
        return r.into();
    }
    if let Some(payload) = payload {
        let known: Vec<&str> = fields.iter().map(|f| f.0).collect();
        let m = match body(payload, &known).await {
            Ok(m) => m,
            Err(r) => return r.into(),
        };
        for Field(key, missing, invalid) in fields {
            match (m.get(*key), invalid) {
                (None, _) => return error(StatusCode::BAD_REQUEST, missing),
                (Some(Value::String(s)), Some(invalid)) if Jid::new(s).is_err() => {
                    return error(StatusCode::BAD_REQUEST, invalid);
                }
                (Some(Value::String(_)), _) => {}
                (Some(_), _) => return error(StatusCode::BAD_REQUEST, "Invalid request body"),
            }
        }
    }
    absent
}

fn not_found(message: &str) -> HttpResponse {
    error(StatusCode::NOT_FOUND, message)
}

/// The three groups' parts of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    muc_light_create,
    muc_light_create_with_id,
    muc_light_invite,
    muc_light_message,
    muc_light_delete
))]
pub struct MucLightApi;

/// `muc` group.
#[derive(utoipa::OpenApi)]
#[openapi(paths(muc_create, muc_invite, muc_message, muc_kick))]
pub struct MucApi;

/// `inbox` group.
#[derive(utoipa::OpenApi)]
#[openapi(paths(inbox_flush_host_type, inbox_flush_user))]
pub struct InboxApi;

/// The `muc_light` group's routes.
pub fn muc_light_routes(cfg: &mut web::ServiceConfig) {
    let r = |path: &str| {
        web::resource(path.to_owned())
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed))
    };
    cfg.service(
        r("/muc-lights/{domain}")
            .route(web::post().to(muc_light_create))
            .route(web::put().to(muc_light_create_with_id)),
    )
    .service(r("/muc-lights/{domain}/{id}/participants").route(web::post().to(muc_light_invite)))
    .service(r("/muc-lights/{domain}/{id}/messages").route(web::post().to(muc_light_message)))
    .service(r("/muc-lights/{domain}/{id}/management").route(web::delete().to(muc_light_delete)));
}

/// The `muc` group's routes.
pub fn muc_routes(cfg: &mut web::ServiceConfig) {
    let r = |path: &str| {
        web::resource(path.to_owned())
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed))
    };
    cfg.service(r("/mucs/{domain}").route(web::post().to(muc_create)))
        .service(r("/mucs/{domain}/{name}/participants").route(web::post().to(muc_invite)))
        .service(r("/mucs/{domain}/{name}/messages").route(web::post().to(muc_message)))
        .service(r("/mucs/{domain}/{name}/{nick}").route(web::delete().to(muc_kick)));
}

/// The `inbox` group's routes.
pub fn inbox_routes(cfg: &mut web::ServiceConfig) {
    let r = |path: &str| {
        web::resource(path.to_owned())
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed))
    };
    cfg.service(r("/inbox/{host_type}/{days}/bin").route(web::delete().to(inbox_flush_host_type)))
        .service(r("/inbox/{domain}/{user}/{days}/bin").route(web::delete().to(inbox_flush_user)));
}

/// A MUC Light room to create.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: bodies are read as JSON objects with known keys
pub struct NewMucLight {
    owner: String,
    name: String,
    subject: String,
}

/// A MUC Light room to create with an id.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct NewMucLightWithId {
    id: String,
    owner: String,
    name: String,
    subject: String,
}

/// An invitation.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct Invitation {
    sender: String,
    recipient: String,
}

/// A MUC invitation (the reason is required).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct MucInvitation {
    sender: String,
    recipient: String,
    reason: String,
}

/// A message to a room.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct RoomMessage {
    from: String,
    body: String,
}

/// A MUC room to create.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only
pub struct NewMuc {
    /// The room's local part.
    name: String,
    /// The owner's bare JID.
    owner: String,
    nick: String,
}

const ROOM_FIELDS: &[Field] = &[
    Field("owner", "Missing owner JID", Some("Invalid owner JID")),
    Field("name", "Missing room name", None),
    Field("subject", "Missing room subject", None),
];

/// Creates a MUC Light room (needs mod_muc_light, not in meerkat yet).
#[utoipa::path(post, path = "/muc-lights/{domain}", operation_id = "createMucLightRoom", tag = "muc_light",
    params(("domain" = String, Path, description = "The MUC Light domain")),
    request_body = NewMucLight,
    responses(
        (status = 201, description = "Created; the body is the room's JID", body = String, content_type = "text/plain"),
        (status = 400, description = "Missing owner JID / Invalid owner JID / Missing room name / Missing room subject / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "MUC Light server not found", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn muc_light_create(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    checked(
        &req,
        &state,
        Some(payload),
        ROOM_FIELDS,
        not_found(NO_MUC_LIGHT),
    )
    .await
}

/// Creates a MUC Light room with the given id (needs mod_muc_light, not in meerkat yet).
#[utoipa::path(put, path = "/muc-lights/{domain}", operation_id = "createMucLightRoomWithId", tag = "muc_light",
    params(("domain" = String, Path, description = "The MUC Light domain")),
    request_body = NewMucLightWithId,
    responses(
        (status = 201, description = "Created; the body is the room's JID", body = String, content_type = "text/plain"),
        (status = 400, description = "Missing room ID / Missing owner JID / Invalid owner JID / Missing room name / Missing room subject / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "The room already exists", body = ErrorMessage),
        (status = 404, description = "MUC Light server not found", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn muc_light_create_with_id(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    const FIELDS: &[Field] = &[
        Field("id", "Missing room ID", None),
        Field("owner", "Missing owner JID", Some("Invalid owner JID")),
        Field("name", "Missing room name", None),
        Field("subject", "Missing room subject", None),
    ];
    checked(&req, &state, Some(payload), FIELDS, not_found(NO_MUC_LIGHT)).await
}

/// Invites a user to a MUC Light room (needs mod_muc_light, not in meerkat yet).
#[utoipa::path(post, path = "/muc-lights/{domain}/{id}/participants", operation_id = "inviteToMucLightRoom", tag = "muc_light",
    params(("domain" = String, Path), ("id" = String, Path)),
    request_body = Invitation,
    responses(
        (status = 204, description = "Invited"),
        (status = 400, description = "Missing sender JID / Invalid sender JID / Missing recipient JID / Invalid recipient JID / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "The sender is not a member", body = ErrorMessage),
        (status = 404, description = "MUC Light server not found / Room not found", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn muc_light_invite(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    const FIELDS: &[Field] = &[
        Field("sender", "Missing sender JID", Some("Invalid sender JID")),
        Field(
            "recipient",
            "Missing recipient JID",
            Some("Invalid recipient JID"),
        ),
    ];
    checked(&req, &state, Some(payload), FIELDS, not_found(NO_MUC_LIGHT)).await
}

const MESSAGE_FIELDS: &[Field] = &[
    Field("from", "Missing sender JID", Some("Invalid sender JID")),
    Field("body", "Missing message body", None),
];

/// Sends a message to a MUC Light room (needs mod_muc_light, not in meerkat yet).
#[utoipa::path(post, path = "/muc-lights/{domain}/{id}/messages", operation_id = "sendToMucLightRoom", tag = "muc_light",
    params(("domain" = String, Path), ("id" = String, Path)),
    request_body = RoomMessage,
    responses(
        (status = 204, description = "Sent"),
        (status = 400, description = "Missing sender JID / Invalid sender JID / Missing message body / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 403, description = "The sender is not a member", body = ErrorMessage),
        (status = 404, description = "MUC Light server not found / Room not found", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn muc_light_message(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    checked(
        &req,
        &state,
        Some(payload),
        MESSAGE_FIELDS,
        not_found(NO_MUC_LIGHT),
    )
    .await
}

/// Deletes a MUC Light room (needs mod_muc_light, not in meerkat yet).
#[utoipa::path(delete, path = "/muc-lights/{domain}/{id}/management", operation_id = "deleteMucLightRoom", tag = "muc_light",
    params(("domain" = String, Path), ("id" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "MUC Light server not found / Room not found", body = ErrorMessage),
    ))]
pub async fn muc_light_delete(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    checked(&req, &state, None, &[], not_found(NO_MUC_LIGHT)).await
}

/// Creates an instant MUC room (needs mod_muc, not in meerkat yet).
#[utoipa::path(post, path = "/mucs/{domain}", operation_id = "createMucRoom", tag = "muc",
    params(("domain" = String, Path, description = "The XMPP domain (the MUC domain is derived from it)")),
    request_body = NewMuc,
    responses(
        (status = 201, description = "Created; the body is the room's name", body = String, content_type = "text/plain"),
        (status = 400, description = "Missing room name / Missing owner JID / Invalid owner JID / Missing nickname / Invalid room name / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "MUC domain not found / User not found", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn muc_create(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    const FIELDS: &[Field] = &[
        Field("name", "Missing room name", None),
        Field("owner", "Missing owner JID", Some("Invalid owner JID")),
        Field("nick", "Missing nickname", None),
    ];
    checked(&req, &state, Some(payload), FIELDS, not_found(NO_MUC)).await
}

/// Invites a user to a MUC room (needs mod_muc, not in meerkat yet).
#[utoipa::path(post, path = "/mucs/{domain}/{name}/participants", operation_id = "inviteToMucRoom", tag = "muc",
    params(("domain" = String, Path), ("name" = String, Path)),
    request_body = MucInvitation,
    responses(
        (status = 204, description = "Invited"),
        (status = 400, description = "Missing sender JID / Invalid sender JID / Missing recipient JID / Invalid recipient JID / Missing invite reason / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "MUC domain not found / Room not found", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn muc_invite(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    const FIELDS: &[Field] = &[
        Field("sender", "Missing sender JID", Some("Invalid sender JID")),
        Field(
            "recipient",
            "Missing recipient JID",
            Some("Invalid recipient JID"),
        ),
        Field("reason", "Missing invite reason", None),
    ];
    checked(&req, &state, Some(payload), FIELDS, not_found(NO_MUC)).await
}

/// Sends a message to a MUC room (needs mod_muc, not in meerkat yet).
#[utoipa::path(post, path = "/mucs/{domain}/{name}/messages", operation_id = "sendToMucRoom", tag = "muc",
    params(("domain" = String, Path), ("name" = String, Path)),
    request_body = RoomMessage,
    responses(
        (status = 204, description = "Sent"),
        (status = 400, description = "Missing sender JID / Invalid sender JID / Missing message body / Invalid request body", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "MUC domain not found", body = ErrorMessage),
        (status = 413, description = "Request body too large", body = ErrorMessage),
    ))]
pub async fn muc_message(
    req: HttpRequest,
    state: web::Data<State>,
    payload: web::Payload,
) -> HttpResponse {
    checked(
        &req,
        &state,
        Some(payload),
        MESSAGE_FIELDS,
        not_found(NO_MUC),
    )
    .await
}

/// Kicks an occupant from a MUC room (needs mod_muc, not in meerkat yet).
#[utoipa::path(delete, path = "/mucs/{domain}/{name}/{nick}", operation_id = "kickFromMucRoom", tag = "muc",
    params(("domain" = String, Path), ("name" = String, Path), ("nick" = String, Path)),
    responses(
        (status = 204, description = "Kicked"),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "MUC domain not found / Room not found / Moderator not found", body = ErrorMessage),
    ))]
pub async fn muc_kick(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    checked(&req, &state, None, &[], not_found(NO_MUC)).await
}

/// Days in the path: an integer ("Invalid number of days" otherwise).
fn days_ok(req: &HttpRequest) -> bool {
    req.match_info()
        .get("days")
        .is_some_and(|d| d.parse::<i64>().is_ok())
}

fn no_inbox() -> HttpResponse {
    command_error(&CommandError::module_not_loaded(vec!["mod_inbox"]))
}

/// Empties the inbox bins of a host type (needs mod_inbox, not in meerkat yet).
#[utoipa::path(delete, path = "/inbox/{host_type}/{days}/bin", operation_id = "flushInboxBins", tag = "inbox",
    params(("host_type" = String, Path), ("days" = i64, Path, description = "Entries older than this many days")),
    responses(
        (status = 200, description = "The number of removed entries", body = i64),
        (status = 400, description = "Invalid number of days", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "Host type not found / module not loaded", body = ErrorMessage),
    ))]
pub async fn inbox_flush_host_type(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let answer = if days_ok(&req) {
        no_inbox()
    } else {
        error(StatusCode::BAD_REQUEST, "Invalid number of days")
    };
    checked(&req, &state, None, &[], answer).await
}

/// Empties a user's inbox bin (needs mod_inbox, not in meerkat yet).
#[utoipa::path(delete, path = "/inbox/{domain}/{user}/{days}/bin", operation_id = "flushUserInboxBin", tag = "inbox",
    params(("domain" = String, Path), ("user" = String, Path), ("days" = i64, Path, description = "Entries older than this many days")),
    responses(
        (status = 200, description = "The number of removed entries", body = i64),
        (status = 400, description = "Invalid JID / Invalid number of days", body = ErrorMessage),
        (status = 401, description = "Bad or unexpected credentials"),
        (status = 404, description = "User or domain not found / module not loaded", body = ErrorMessage),
    ))]
pub async fn inbox_flush_user(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let info = req.match_info();
    let jid = format!(
        "{}@{}",
        info.get("user").unwrap_or_default(),
        info.get("domain").unwrap_or_default()
    );
    let answer = if Jid::new(&jid).is_err() {
        error(StatusCode::BAD_REQUEST, "Invalid JID")
    } else if !days_ok(&req) {
        error(StatusCode::BAD_REQUEST, "Invalid number of days")
    } else {
        no_inbox()
    };
    checked(&req, &state, None, &[], answer).await
}
