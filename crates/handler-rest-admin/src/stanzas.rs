//! `/stanzas`: route any stanza (MongooseIM's `mongoose_admin_api_stanzas`).

use crate::{State, authorize, not_allowed, options};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use listener_core::rest::{ErrorMessage, body, command_error, error};
use meerkat_core::commands::{ErrorKind, stanza};
use meerkat_core::meerkat_xmpp::{Element, ParseLimits};
use serde_json::Value;

/// The group's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(send))]
pub struct Api;

/// The group's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/stanzas")
            .route(web::post().to(send))
            .route(web::method(Method::OPTIONS).to(options))
            .default_service(web::to(not_allowed)),
    );
}

/// A stanza to route.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documentation only: bodies are read as JSON objects with known keys
pub struct NewStanza {
    /// The stanza's XML, with `from` (a local user) and `to`.
    stanza: String,
}

/// Routes a stanza from its `from` to its `to`, as it is (an `id` is added when missing).
#[utoipa::path(post, path = "/stanzas", operation_id = "sendStanza", tag = "stanzas",
    request_body = NewStanza,
    responses(
        (status = 204, description = "Routed"),
        (status = 400, description = "Missing stanza / Malformed stanza / Missing sender JID / Missing recipient JID / Invalid sender JID / Invalid recipient JID / User does not exist / User's domain does not exist / Invalid request body", body = ErrorMessage),
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
    let m = match body(payload, &["stanza"]).await {
        Ok(m) => m,
        Err(r) => return r.into(),
    };
    let xml = match m.get("stanza") {
        None => return error(StatusCode::BAD_REQUEST, "Missing stanza"),
        Some(Value::String(x)) => x,
        Some(_) => return error(StatusCode::BAD_REQUEST, "Malformed stanza"),
    };
    // The body bound (64 KiB) bounds the XML; the parser bounds its nodes and depth.
    let el = match Element::parse_str(xml, &ParseLimits::default()) {
        Ok(el) if matches!(el.name(), "message" | "presence" | "iq") => el,
        _ => return error(StatusCode::BAD_REQUEST, "Malformed stanza"),
    };
    match stanza::send_stanza(&state.server, None, el).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(e) if matches!(e.kind, ErrorKind::Internal) => command_error(&e),
        Err(e) => error(StatusCode::BAD_REQUEST, &e.message),
    }
}
