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
    let op = request.operation_name.as_deref();
    // A domain admin's request is first run as a permission check that stops every
    // operation right after its scope check: nothing is executed unless every field
    // of the request is allowed.
    if matches!(auth, Auth::DomainAdmin(_)) {
        let check = Ctx::for_permission_check(
            ep.server.clone(),
            auth.clone(),
            ep.config.allowed_categories.clone(),
        );
        if let Err(e) = run(ep, &request, &check).await {
            return graphql_error_failure(&e, false).response();
        }
        if check.is_denied() {
            return denied_response(&check, op);
        }
    }
    let ctx = Ctx::new(
        ep.server.clone(),
        auth,
        ep.config.allowed_categories.clone(),
    );
    let result = run(ep, &request, &ctx).await;
    let (value, errors) = match result {
        Ok(x) => x,
        Err(e) => return graphql_error_failure(&e, false).response(),
    };
    if ctx.is_denied() {
        return denied_response(&ctx, op);
    }
    let body =
        serde_json::to_value(GraphQLResponse::from_result(Ok((value, errors)))).unwrap_or_default();
    json_response(StatusCode::OK, body)
}

type Executed = Result<(Value, Vec<ExecutionError<juniper::DefaultScalarValue>>), GraphQLError>;

async fn run(ep: &Endpoint, request: &Request, ctx: &Ctx) -> Executed {
    let op = request.operation_name.as_deref();
    match &ep.schema {
        Schemas::Admin(s) => juniper::execute(&request.query, op, s, &request.variables, ctx).await,
        Schemas::User(s) => juniper::execute(&request.query, op, s, &request.variables, ctx).await,
    }
}

/// The 401 of a refused request, naming the operation when the refusal is for lack of
/// credentials (as MongooseIM words it).
fn denied_response(ctx: &Ctx, op: Option<&str>) -> HttpResponse {
    let message = ctx
        .denied
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default();
    let message = match op {
        Some(o) if message == crate::context::NO_CREDENTIALS => {
            format!("Cannot execute query {o} without permissions")
        }
        _ => message,
    };
    unauthorized("no_permissions", &message).response()
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
///
/// As MongooseIM's SSE handler: credentials are checked first (wrong ones: 401), then the
/// request is decoded (400), parsed and validated (400; a query or mutation is
/// `unsupported_operation`), and run. A protected field without credentials answers 401.
/// A subscription resolver that fails answers 200 with the errors in a plain JSON body
/// (no stream); otherwise the stream stays open until its events end, the client leaves,
/// or nothing was sent for `sse_idle_timeout`.
pub async fn sse(ep: Arc<Endpoint>, req: HttpRequest) -> HttpResponse {
    if req.method() != actix_web::http::Method::GET {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET"))
            .finish();
    }
    let auth = match authenticate(&ep, &req).await {
        Ok(a) => a,
        Err(f) => return f.response(),
    };
    let request = match decode_get(req.query_string()) {
        Ok(r) => r,
        Err(f) => return f.response(),
    };
    // MongooseIM's SSE handler does not apply `allowed_categories`.
    let ctx = Arc::new(Ctx::new(ep.server.clone(), auth, None));
    let idle = ep.config.sse_idle_timeout;
    let schema = ep.schema.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(16);
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), HttpResponse>>();
    actix_rt::spawn(async move {
        let request = request;
        let op = request.operation_name.as_deref();
        macro_rules! run {
            ($s:expr) => {{
                let started = juniper::resolve_into_stream(
                    &request.query,
                    op,
                    &**$s,
                    &request.variables,
                    &*ctx,
                )
                .await;
                match started {
                    Err(e) => {
                        let _ = ready_tx.send(Err(graphql_error_failure(&e, true).response()));
                    }
                    Ok(_) if denial(&ctx).is_some() => {
                        let message = denial(&ctx).unwrap_or_default();
                        let message = match op {
                            Some(o) if message == crate::context::NO_CREDENTIALS => {
                                format!("Cannot execute query {o} without permissions")
                            }
                            _ => message,
                        };
                        let f = unauthorized("no_permissions", &message);
                        let _ = ready_tx.send(Err(f.response()));
                    }
                    Ok((value, errors)) if !errors.is_empty() => {
                        // The resolver gave data (its errors), not a stream.
                        let data = match &value {
                            Value::Object(fields) => serde_json::Value::Object(
                                fields
                                    .iter()
                                    .map(|(k, _)| (k.clone(), serde_json::Value::Null))
                                    .collect(),
                            ),
                            _ => serde_json::Value::Null,
                        };
                        let errors = serde_json::to_value(&errors).unwrap_or_default();
                        let body = json!({"data": data, "errors": errors});
                        let _ = ready_tx.send(Err(json_response(StatusCode::OK, body)));
                    }
                    Ok((value, _)) => {
                        if ready_tx.send(Ok(())).is_ok() {
                            pump(value, tx, idle).await;
                        }
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
        Ok(Err(response)) => response,
        Err(_) => Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "GraphQL Internal Server Error",
        )
        .response(),
    }
}

/// The message of a refused request (a protected field without credentials, or out of
/// a domain admin's scope).
fn denial(ctx: &Ctx) -> Option<String> {
    ctx.denied.lock().unwrap_or_else(|e| e.into_inner()).clone()
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

/// Whether a value holds anything but nulls (MongooseIM skips events whose data is all
/// null, e.g. a stanza that is not a message).
fn has_data(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Object(o) => o.iter().any(|(_, v)| has_data(v)),
        _ => true,
    }
}

/// How often an idle SSE stream gets a comment line. Clients ignore it; writing it is
/// how a client that went away is noticed (actix-web does not end a streaming response
/// when the client closes its side), so its subscription is closed.
const SSE_HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(15);

/// Forwards each event of the subscription's root fields as one SSE event, until the
/// streams end, the client is gone, or no event was sent for `idle`. Dropping the
/// streams ends the subscription (its sessions are closed).
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
    let deadline = |from: tokio::time::Instant| idle.map(|t| from + t);
    let mut until = deadline(tokio::time::Instant::now());
    let mut heartbeat =
        tokio::time::interval_at(tokio::time::Instant::now() + SSE_HEARTBEAT, SSE_HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let idle_over = async {
            match until {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        let next = tokio::select! {
            n = merged.next() => n,
            () = tx.closed() => break, // client gone
            () = idle_over => {
                tracing::debug!("SSE stream idle for sse_idle_timeout; closing");
                break;
            }
            _ = heartbeat.tick() => {
                if tx.send(Ok(web::Bytes::from_static(b":\n\n"))).await.is_err() {
                    break; // client gone
                }
                continue;
            }
        };
        let Some((name, item)) = next else { break };
        let data = match item {
            Ok(v) if !has_data(&v) => continue,
            Ok(v) => json!({"data": {name: v}}),
            Err(errs) => json!({"errors": errs}),
        };
        id += 1;
        let frame = format!("id: {id}\ndata: {data}\n\n");
        if tx.send(Ok(web::Bytes::from(frame))).await.is_err() {
            break; // client gone
        }
        until = deadline(tokio::time::Instant::now());
    }
}

#[cfg(test)]
mod sse_tests {
    use super::*;
    use juniper::{Object, ValuesStream};
    use std::time::Duration;

    type Item = Result<Value, Vec<ExecutionError<juniper::DefaultScalarValue>>>;

    fn root(
        stream: impl futures_util::Stream<Item = Item> + Send + 'static,
    ) -> Value<ValuesStream<'static>> {
        let mut o = Object::with_capacity(1);
        let s: ValuesStream<'static> = Box::pin(stream);
        o.add_field("stanza", Value::Scalar(s));
        Value::Object(o)
    }

    fn event(v: i32) -> Item {
        let mut o = Object::with_capacity(1);
        o.add_field("m", Value::scalar(v));
        Ok(Value::Object(o))
    }

    #[actix_rt::test]
    async fn events_are_numbered_and_all_null_ones_skipped() {
        let mut null = Object::with_capacity(1);
        null.add_field("m", Value::null());
        let items = vec![event(1), Ok(Value::Object(null)), event(2)];
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        pump(root(futures_util::stream::iter(items)), tx, None).await;
        let mut frames = Vec::new();
        while let Some(Ok(b)) = rx.recv().await {
            frames.push(String::from_utf8(b.to_vec()).unwrap());
        }
        assert_eq!(
            frames,
            [
                "id: 1\ndata: {\"data\":{\"stanza\":{\"m\":1}}}\n\n",
                "id: 2\ndata: {\"data\":{\"stanza\":{\"m\":2}}}\n\n"
            ]
        );
    }

    #[actix_rt::test]
    async fn an_idle_stream_ends_after_the_timeout() {
        let (tx, _rx) = tokio::sync::mpsc::channel(16);
        let start = std::time::Instant::now();
        let pending = futures_util::stream::pending::<Item>();
        tokio::time::timeout(
            Duration::from_secs(5),
            pump(root(pending), tx, Some(Duration::from_millis(100))),
        )
        .await
        .expect("pump ends");
        assert!(start.elapsed() >= Duration::from_millis(100));
    }

    #[actix_rt::test]
    async fn a_stream_ends_when_the_client_is_gone() {
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        drop(rx);
        let pending = futures_util::stream::pending::<Item>();
        tokio::time::timeout(Duration::from_secs(5), pump(root(pending), tx, None))
            .await
            .expect("pump ends");
    }
}
