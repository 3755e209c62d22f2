//! What every admin REST route shares: Basic auth by MongooseIM's admin rule, JSON bodies
//! with known keys only, and errors as a status with a JSON-encoded string.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
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
}

impl From<Refusal> for HttpResponse {
    fn from(r: Refusal) -> HttpResponse {
        match r {
            Refusal::Unauthorized => HttpResponse::Unauthorized()
                .insert_header(("www-authenticate", r#"Basic realm="mongooseim""#))
                .finish(),
            Refusal::InvalidBody => error(StatusCode::BAD_REQUEST, "Invalid request body"),
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

/// A JSON object body whose keys are all in `known` ("Invalid request body" otherwise).
pub fn body(bytes: &[u8], known: &[&str]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) if m.keys().all(|k| known.contains(&k.as_str())) => Ok(m),
        _ => Err(Refusal::InvalidBody),
    }
}

/// A string field of a body (`None` when missing, empty-string kept).
pub fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}
