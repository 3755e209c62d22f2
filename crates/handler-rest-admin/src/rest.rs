//! What every admin REST route shares: Basic auth by MongooseIM's admin rule, JSON bodies
//! with known keys only, and errors as a status with a JSON-encoded string.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use meerkat_core::commands::{CommandError, ErrorKind};
use serde_json::{Map, Value};

/// Checks the request's credentials against the listener's (`401` with MongooseIM's
/// realm otherwise).
pub fn authorize(req: &HttpRequest, state: &crate::State) -> Result<(), Refusal> {
    let presented = listener_core::auth::from_request(req).map_err(|_| Refusal::Unauthorized)?;
    match listener_core::auth::admin(state.config.credentials.as_ref(), presented.as_ref()) {
        Ok(listener_core::auth::Outcome::Granted(())) => Ok(()),
        _ => Err(Refusal::Unauthorized),
    }
}

/// A request refused before any command runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 401 with MongooseIM's realm.
    Unauthorized,
    /// 400 "Invalid request body".
    InvalidBody,
    /// 413: the body is over [`MAX_BODY`].
    TooLarge,
}

impl From<Refusal> for HttpResponse {
    fn from(r: Refusal) -> HttpResponse {
        match r {
            Refusal::Unauthorized => HttpResponse::Unauthorized()
                .insert_header(("www-authenticate", r#"Basic realm="mongooseim""#))
                .finish(),
            Refusal::InvalidBody => error(StatusCode::BAD_REQUEST, "Invalid request body"),
            Refusal::TooLarge => error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
        }
    }
}

/// An error: `status` and the message as a JSON string.
pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(message)
}

/// A command's error, by its kind.
pub fn command_error(e: &CommandError) -> HttpResponse {
    let status = match &e.kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Denied => StatusCode::FORBIDDEN,
        ErrorKind::NotFound | ErrorKind::ModuleNotLoaded { .. } => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, &e.message)
}

/// The largest request body read (every admin body is a few short fields).
pub const MAX_BODY: usize = 64 * 1024;

/// Reads the body (call it after [`authorize`]: nothing is read for an unauthorized
/// request), at most [`MAX_BODY`] bytes, as a JSON object whose keys are all in `known`
/// ("Invalid request body" otherwise).
pub async fn body(payload: web::Payload, known: &[&str]) -> Result<Map<String, Value>, Refusal> {
    let bytes = payload
        .to_bytes_limited(MAX_BODY)
        .await
        .map_err(|_| Refusal::TooLarge)?
        .map_err(|_| Refusal::InvalidBody)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) if m.keys().all(|k| known.contains(&k.as_str())) => Ok(m),
        _ => Err(Refusal::InvalidBody),
    }
}

/// A string field of a body (`None` when missing, empty-string kept).
pub fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}
