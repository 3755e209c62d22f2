//! The HTTP face of GraphQL, as MongooseIM serves it (spec 5.1-5.4): POST with a JSON
//! body or GET with query parameters; GraphiQL for browsers; subscriptions over SSE at
//! `<path>/sse`; decode and parse errors are 400 with `extensions.code`, authentication
//! errors 401, resolver errors 200 beside partial data.

use crate::admin::AdminSchema;
use crate::context::{Auth, Ctx};
use crate::user::UserSchema;
use crate::{GraphqlConfig, SchemaEndpoint};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use futures_util::StreamExt;
use juniper::http::GraphQLResponse;
use juniper::{ExecutionError, GraphQLError, InputValue, Value, Variables};
use meerkat_core::Server;
use serde_json::json;
use std::sync::Arc;

/// One mounted GraphQL endpoint.
pub struct Endpoint {
    /// The core.
    pub server: Server,
    /// Handler options.
    pub config: GraphqlConfig,
    /// The schema it serves.
    pub schema: Schemas,
}

/// The schema of an endpoint.
#[derive(Clone)]
pub enum Schemas {
    /// admin and domain_admin.
    Admin(Arc<AdminSchema>),
    /// user.
    User(Arc<UserSchema>),
}

/// A decoded request.
#[derive(Debug)]
pub struct Request {
    /// The document.
    pub query: String,
    /// `operationName`.
    pub operation_name: Option<String>,
    /// Variables (null values dropped).
    pub variables: Variables,
}

/// A transport-level failure: HTTP status, `extensions.code`, message.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Failure {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Failure {
            status,
            code,
            message: message.into(),
        }
    }

    fn response(&self) -> HttpResponse {
        json_response(
            self.status,
            json!({"errors": [{"message": self.message, "extensions": {"code": self.code}}]}),
        )
    }
}

fn json_response(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

fn variables_from(v: Option<serde_json::Value>) -> Result<Variables, Failure> {
    let v = match v {
        None | Some(serde_json::Value::Null) => return Ok(Variables::new()),
        // Variables may also come JSON-encoded in a string.
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => return Ok(Variables::new()),
        Some(serde_json::Value::String(s)) => serde_json::from_str(&s).map_err(|e| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "variables_invalid_json",
                format!("Invalid variables: {e}"),
            )
        })?,
        Some(other) => other,
    };
    let serde_json::Value::Object(map) = v else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "variables_invalid_json",
            "Variables must be a JSON object",
        ));
    };
    let mut vars = Variables::new();
    for (k, v) in map {
        if v.is_null() {
            continue; // MongooseIM drops null-valued variables before coercion
        }
        let iv: InputValue = serde_json::from_value(v).map_err(|e| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "variables_invalid_json",
                format!("Invalid variable {k}: {e}"),
            )
        })?;
        vars.insert(k, iv);
    }
    Ok(vars)
}

/// Decodes a POST body.
pub fn decode_post(body: &[u8]) -> Result<Request, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "no_query_supplied",
            "The query was not supplied",
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_json_body",
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    let serde_json::Value::Object(mut map) = v else {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_json_body",
            "The request body must be a JSON object",
        ));
    };
    let query = match map.remove("query") {
        Some(serde_json::Value::String(q)) if !q.trim().is_empty() => q,
        _ => {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "no_query_supplied",
                "The query was not supplied",
            ));
        }
    };
    let operation_name = match map.remove("operationName") {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(Request {
        query,
        operation_name,
        variables: variables_from(map.remove("variables"))?,
    })
}

/// Decodes GET query parameters.
pub fn decode_get(query_string: &str) -> Result<Request, Failure> {
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(query_string).ok_or_else(|| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_query_parameters",
            "Invalid query string",
        )
    })?;
    let mut query = None;
    let mut operation_name = None;
    let mut variables = None;
    for (k, v) in pairs {
        match k.as_str() {
            "query" => query = Some(v),
            "operationName" => operation_name = Some(v).filter(|s| !s.is_empty()),
            "variables" => variables = Some(serde_json::Value::String(v)),
            _ => {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query_parameters",
                    format!("Unknown parameter {k}"),
                ));
            }
        }
    }
    let query = query.filter(|q| !q.trim().is_empty()).ok_or_else(|| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "no_query_supplied",
            "The query was not supplied",
        )
    })?;
    Ok(Request {
        query,
        operation_name,
        variables: variables_from(variables)?,
    })
}

/// `application/x-www-form-urlencoded` pairs (percent-decoding, `+` as space).
fn serde_urlencoded_pairs(qs: &str) -> Option<Vec<(String, String)>> {
    fn decode(s: &str) -> Option<String> {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = s.get(i + 1..i + 3)?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    qs.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

fn unauthorized(code: &'static str, message: &str) -> Failure {
    Failure::new(StatusCode::UNAUTHORIZED, code, message)
}

/// Who is asking, per the endpoint's rules (spec 5.2).
pub async fn authenticate(ep: &Endpoint, req: &HttpRequest) -> Result<Auth, Failure> {
    let header = req.headers().get(header::AUTHORIZATION);
    let creds = match header {
        None => None,
        Some(h) => {
            let parsed = h
                .to_str()
                .ok()
                .and_then(|s| {
                    s.strip_prefix("Basic ")
                        .or_else(|| s.strip_prefix("basic "))
                })
                .and_then(|b| {
                    base64::engine::general_purpose::STANDARD
                        .decode(b.trim())
                        .ok()
                })
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())));
            match parsed {
                Some(c) => Some(c),
                None => {
                    return Err(unauthorized(
                        "request_error",
                        "Malformed authorization header",
                    ));
                }
            }
        }
    };
    match ep.config.schema_endpoint {
        SchemaEndpoint::Admin => match (&ep.config.credentials, creds) {
            (Some(expected), Some((u, p))) if expected.matches(&u, &p) => Ok(Auth::Admin),
            (Some(_), Some(_)) => Err(unauthorized(
                "wrong_credentials",
                "The provided credentials are wrong",
            )),
            (Some(_), None) => Ok(Auth::Unauthorized),
            // Without configured credentials the endpoint is open, and any credentials are refused.
            (None, Some(_)) => Err(unauthorized(
                "wrong_credentials",
                "The provided credentials are wrong",
            )),
            (None, None) => Ok(Auth::Admin),
        },
        SchemaEndpoint::DomainAdmin => {
            let Some((u, p)) = creds else {
                return Ok(Auth::Unauthorized);
            };
            let domain = u.strip_prefix("admin@").filter(|d| !d.is_empty());
            match domain {
                Some(d)
                    if meerkat_core::commands::domain::check_admin_password(&ep.server, d, &p)
                        .await =>
                {
                    Ok(Auth::DomainAdmin(d.to_lowercase()))
                }
                _ => Err(unauthorized(
                    "wrong_credentials",
                    "The provided credentials are wrong",
                )),
            }
        }
        SchemaEndpoint::User => {
            let Some((u, p)) = creds else {
                return Ok(Auth::Unauthorized);
            };
            let jid = meerkat_core::commands::local_user(&ep.server, &u).ok();
            match jid {
                Some(jid) if ep.server.check_password(&jid, &p).await.unwrap_or(false) => {
                    Ok(Auth::User(jid))
                }
                _ => Err(unauthorized(
                    "wrong_credentials",
                    "The provided credentials are wrong",
                )),
            }
        }
    }
}

fn graphql_error_failure(e: &GraphQLError, sse: bool) -> Failure {
    let bad = |code, msg: String| Failure::new(StatusCode::BAD_REQUEST, code, msg);
    match e {
        GraphQLError::ParseError(p) => {
            let line = p.span.start.line() + 1;
            bad(
                "parser_error",
                format!("Cannot parse line {line} because of: {}", p.item),
            )
        }
        GraphQLError::ValidationError(errs) => {
            let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
            bad("validation_error", msgs.join("; "))
        }
        GraphQLError::IsSubscription => bad(
            "unsupported_operation",
            "The http execution method does not support subscription operations".into(),
        ),
        GraphQLError::NotSubscription if sse => bad(
            "unsupported_operation",
            "The sse execution method does not support query or mutation operations".into(),
        ),
        other => bad("validation_error", other.to_string()),
    }
}

/// Executes a query or mutation and renders MongooseIM's response.
pub async fn execute(ep: &Endpoint, request: Request, auth: Auth) -> HttpResponse {
    let ctx = Ctx::new(
        ep.server.clone(),
        auth,
        ep.config.allowed_categories.clone(),
    );
    let op = request.operation_name.as_deref();
    let result: Result<(Value, Vec<ExecutionError<juniper::DefaultScalarValue>>), GraphQLError> =
        match &ep.schema {
            Schemas::Admin(s) => {
                juniper::execute(&request.query, op, s, &request.variables, &ctx).await
            }
            Schemas::User(s) => {
                juniper::execute(&request.query, op, s, &request.variables, &ctx).await
            }
        };
    let (value, errors) = match result {
        Ok(x) => x,
        Err(e) => return graphql_error_failure(&e, false).response(),
    };
    if ctx
        .denied
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_some()
    {
        let name = op.map(|o| format!(" {o}")).unwrap_or_default();
        return unauthorized(
            "no_permissions",
            &format!("Cannot execute query{name} without permissions"),
        )
        .response();
    }
    let body =
        serde_json::to_value(GraphQLResponse::from_result(Ok((value, errors)))).unwrap_or_default();
    json_response(StatusCode::OK, body)
}

/// `<path>`: GET (GraphiQL for browsers, else a query) and POST.
pub async fn endpoint(ep: Arc<Endpoint>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let decoded = match *req.method() {
        actix_web::http::Method::POST => decode_post(&body),
        actix_web::http::Method::GET => {
            let wants_html = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|a| a.to_str().ok())
                .is_some_and(|a| a.contains("text/html"));
            if wants_html {
                return crate::graphiql::page(&req);
            }
            decode_get(req.query_string())
        }
        _ => {
            return HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, "GET, POST"))
                .finish();
        }
    };
    let auth = match authenticate(&ep, &req).await {
        Ok(a) => a,
        Err(f) => return f.response(),
    };
    match decoded {
        Ok(r) => execute(&ep, r, auth).await,
        Err(f) => f.response(),
    }
}

/// `<path>/sse`: subscriptions only, GET only; events `id: n` + `data: {"data":...}`.
pub async fn sse(ep: Arc<Endpoint>, req: HttpRequest) -> HttpResponse {
    if req.method() != actix_web::http::Method::GET {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET"))
            .finish();
    }
    let request = match decode_get(req.query_string()) {
        Ok(r) => r,
        Err(f) => return f.response(),
    };
    let auth = match authenticate(&ep, &req).await {
        Ok(Auth::Unauthorized) => {
            return unauthorized("no_permissions", "Cannot execute query without permissions")
                .response();
        }
        Ok(a) => a,
        Err(f) => return f.response(),
    };
    let ctx = Arc::new(Ctx::new(ep.server.clone(), auth, None));
    let idle = ep.config.sse_idle_timeout;
    let schema = ep.schema.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(16);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), Failure>>();
    actix_rt::spawn(async move {
        let request = request;
        let op = request.operation_name.as_deref();
        macro_rules! run {
            ($s:expr) => {{
                match juniper::resolve_into_stream(
                    &request.query,
                    op,
                    &**$s,
                    &request.variables,
                    &*ctx,
                )
                .await
                {
                    Err(e) => {
                        let _ = ready_tx.send(Err(graphql_error_failure(&e, true)));
                    }
                    Ok((value, errors))
                        if !errors.is_empty()
                            || ctx.denied.lock().map(|d| d.is_some()).unwrap_or(false) =>
                    {
                        let _ = value;
                        let f = match errors.first() {
                            _ if ctx.denied.lock().map(|d| d.is_some()).unwrap_or(false) => {
                                unauthorized(
                                    "no_permissions",
                                    "Cannot execute query without permissions",
                                )
                            }
                            Some(e) => Failure::new(
                                StatusCode::BAD_REQUEST,
                                "resolver_error",
                                e.error().message().to_owned(),
                            ),
                            None => Failure::new(
                                StatusCode::BAD_REQUEST,
                                "resolver_error",
                                "subscription failed",
                            ),
                        };
                        let _ = ready_tx.send(Err(f));
                    }
                    Ok((value, _)) => {
                        let _ = ready_tx.send(Ok(()));
                        pump(value, tx, idle).await;
                    }
                }
            }};
        }
        match &schema {
            Schemas::Admin(s) => run!(s),
            Schemas::User(s) => run!(s),
        }
    });
    match ready_rx.await {
        Ok(Ok(())) => HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::CONTENT_ENCODING, "identity"))
            .streaming(tokio_stream(rx)),
        Ok(Err(f)) => f.response(),
        Err(_) => Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "GraphQL Internal Server Error",
        )
        .response(),
    }
}

fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<web::Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> {
    async_stream::stream! {
        while let Some(item) = rx.recv().await {
            yield item;
        }
    }
}

/// Forwards each event of the subscription's root fields as one SSE event.
async fn pump(
    value: Value<juniper::ValuesStream<'_>>,
    tx: tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
    idle: Option<std::time::Duration>,
) {
    let Value::Object(fields) = value else { return };
    let mut streams = Vec::new();
    for (name, v) in fields {
        if let Value::Scalar(stream) = v {
            streams.push(stream.map(move |item| (name.clone(), item)));
        }
    }
    let mut merged = futures_util::stream::select_all(streams);
    let mut id: u64 = 0;
    loop {
        let next = match idle {
            Some(t) => match tokio::time::timeout(t, merged.next()).await {
                Ok(n) => n,
                Err(_) => break, // idle for sse_idle_timeout
            },
            None => merged.next().await,
        };
        let Some((name, item)) = next else { break };
        let data = match item {
            Ok(v) if v.is_null() => continue,
            Ok(v) => json!({"data": {name: v}}),
            Err(errs) => {
                json!({"errors": errs.iter().map(|e| json!({"message": e.error().message()})).collect::<Vec<_>>()})
            }
        };
        id += 1;
        let frame = format!("id: {id}\ndata: {data}\n\n");
        if tx.send(Ok(web::Bytes::from(frame))).await.is_err() {
            break; // client gone
        }
    }
}
