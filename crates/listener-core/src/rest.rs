//! What both REST handlers (`mongoose_admin_api`, `mongoose_client_api`) share, as
//! MongooseIM 6.5 served them: errors as a status with a JSON-encoded string, JSON bodies
//! with known keys only and a size bound, query strings with known keys only, and the
//! API documentation (the OpenAPI document generated from the handlers, and Swagger UI
//! embedded in the binary).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};
use std::sync::Arc;

/// A request refused before any command runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 401 with MongooseIM's realm.
    Unauthorized,
    /// 400 "Invalid request body".
    InvalidBody,
    /// 400 "Invalid query string".
    InvalidQuery,
    /// 413: the body is over [`MAX_BODY`].
    TooLarge,
}

impl From<Refusal> for HttpResponse {
    fn from(r: Refusal) -> HttpResponse {
        match r {
            Refusal::Unauthorized => unauthorized(),
            Refusal::InvalidBody => error(StatusCode::BAD_REQUEST, "Invalid request body"),
            Refusal::InvalidQuery => error(StatusCode::BAD_REQUEST, "Invalid query string"),
            Refusal::TooLarge => error(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large"),
        }
    }
}

/// 401 with `www-authenticate: Basic realm="mongooseim"`.
pub fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header(("www-authenticate", r#"Basic realm="mongooseim""#))
        .finish()
}

/// What every error answer holds: MongooseIM's message as a JSON string (the schema
/// the handlers' OpenAPI documents name for error bodies).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, example = "Missing JID")]
pub struct ErrorMessage(pub String);

/// An error: `status` and the message as a JSON string.
pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(message)
}

/// The status MongooseIM's REST APIs give a command error of this kind.
pub fn status_of(kind: &meerkat_core::commands::ErrorKind) -> StatusCode {
    use meerkat_core::commands::ErrorKind;
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Denied => StatusCode::FORBIDDEN,
        ErrorKind::NotFound | ErrorKind::ModuleNotLoaded { .. } => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A command's error, by its kind, with its message.
pub fn command_error(e: &meerkat_core::commands::CommandError) -> HttpResponse {
    error(status_of(&e.kind), &e.message)
}

/// The largest request body read (every REST body is a few short fields).
pub const MAX_BODY: usize = 64 * 1024;

/// Reads the body (call it after authorizing: nothing is read for an unauthorized
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

/// A string field of a body (`None` when missing or not a string; an empty string is
/// kept).
pub fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

/// The query string's pairs, percent-decoded, when every key is in `known` ("Invalid
/// query string" otherwise, also for a repeated key or bad encoding). At most
/// `known.len()` pairs are kept, so the result is bounded whatever the caller sends.
pub fn query(req: &HttpRequest, known: &[&str]) -> Result<Vec<(String, String)>, Refusal> {
    let raw = req.query_string();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = decode(k).ok_or(Refusal::InvalidQuery)?;
        let v = decode(v).ok_or(Refusal::InvalidQuery)?;
        if !known.contains(&k.as_str()) || pairs.iter().any(|(seen, _)| *seen == k) {
            return Err(Refusal::InvalidQuery);
        }
        pairs.push((k, v));
    }
    Ok(pairs)
}

fn decode(s: &str) -> Option<String> {
    // percent_decode_str passes a malformed escape through; refuse it instead.
    let b = s.as_bytes();
    let well_formed = b.iter().enumerate().all(|(i, &c)| {
        c != b'%'
            || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// A roster item as both REST APIs show it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Contact {
    /// The contact's bare JID.
    pub jid: String,
    /// `none`, `to`, `from` or `both`.
    #[schema(pattern = "^(none|to|from|both)$")]
    pub subscription: &'static str,
    /// Pending requests: `none`, `in`, `out` or `both`.
    #[schema(pattern = "^(none|in|out|both)$")]
    pub ask: &'static str,
}

impl From<meerkat_core::store::RosterItem> for Contact {
    fn from(item: meerkat_core::store::RosterItem) -> Contact {
        use meerkat_core::store::Subscription;
        Contact {
            jid: item.contact,
            subscription: match item.subscription {
                Subscription::Remove => "none",
                s => s.as_str(),
            },
            ask: item.ask.as_str(),
        }
    }
}

/// Where a REST handler's API documentation is served.
pub const DOCS_PATH: &str = "/api-docs";

/// Registers, under the handler's scope, the OpenAPI document at
/// `/api-docs/swagger.json` and Swagger UI (embedded in the binary, no network needed) at
/// `/api-docs/`. `mount_path` is the handler's path (`Mount::path`): it becomes the
/// document's server URL, so the paths in `doc` are relative to it.
pub fn configure_docs(
    cfg: &mut web::ServiceConfig,
    mount_path: &str,
    mut doc: utoipa::openapi::OpenApi,
) {
    let base = if mount_path.is_empty() {
        "/".to_owned()
    } else {
        mount_path.to_owned()
    };
    doc.servers = Some(vec![utoipa::openapi::Server::new(base)]);
    let json = web::Bytes::from(doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned()));
    let ui_config = Arc::new(utoipa_swagger_ui::Config::new([format!(
        "{mount_path}{DOCS_PATH}/swagger.json"
    )]));
    let index = format!("{mount_path}{DOCS_PATH}/");
    cfg.route(
        &format!("{DOCS_PATH}/swagger.json"),
        web::get().to(move || {
            let json = json.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(json)
            }
        }),
    )
    .route(
        DOCS_PATH,
        web::get().to(move || {
            let index = index.clone();
            async move {
                HttpResponse::MovedPermanently()
                    .insert_header(("location", index))
                    .finish()
            }
        }),
    )
    .route(
        &format!("{DOCS_PATH}/{{file:.*}}"),
        web::get().to(move |file: web::Path<String>| {
            let ui_config = ui_config.clone();
            async move {
                match utoipa_swagger_ui::serve(&file, ui_config) {
                    Ok(Some(f)) => {
                        let mut r = HttpResponse::Ok();
                        r.content_type(f.content_type);
                        if f.gzpipped {
                            r.insert_header(("content-encoding", "gzip"));
                        }
                        r.body(f.bytes.into_owned())
                    }
                    Ok(None) => HttpResponse::NotFound().finish(),
                    Err(e) => {
                        tracing::warn!(error = %e, "Swagger UI file");
                        HttpResponse::InternalServerError().finish()
                    }
                }
            }
        }),
    );
}

/// `limit` and `before` of the archive routes of both REST APIs, read from `query`'s
/// pairs as MongooseIM checks them: a non-negative integer ("Invalid limit") and an
/// integer ("Invalid value of 'before'"; the unit is the API's). The error is the 400's
/// message.
pub fn archive_page(
    pairs: &[(String, String)],
) -> Result<(Option<u32>, Option<i64>), &'static str> {
    let (mut limit, mut before) = (None, None);
    for (k, v) in pairs {
        match k.as_str() {
            "limit" => {
                limit = Some(v.parse::<u32>().map_err(|_| "Invalid limit")?);
            }
            "before" => {
                before = Some(v.parse::<i64>().map_err(|_| "Invalid value of 'before'")?);
            }
            _ => {}
        }
    }
    Ok((limit, before))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn query_keeps_known_keys_and_refuses_others() {
        let req = TestRequest::get()
            .uri("/x?limit=5&before=1%2B2")
            .to_http_request();
        assert_eq!(
            query(&req, &["limit", "before"]).unwrap(),
            vec![
                ("limit".to_owned(), "5".to_owned()),
                ("before".to_owned(), "1+2".to_owned())
            ]
        );
        let req = TestRequest::get()
            .uri("/x?limit=5&evil=1")
            .to_http_request();
        assert_eq!(query(&req, &["limit"]), Err(Refusal::InvalidQuery));
        let req = TestRequest::get()
            .uri("/x?limit=5&limit=6")
            .to_http_request();
        assert_eq!(query(&req, &["limit"]), Err(Refusal::InvalidQuery));
        let req = TestRequest::get().uri("/x?limit=%ZZ").to_http_request();
        assert_eq!(query(&req, &["limit"]), Err(Refusal::InvalidQuery));
    }
}
