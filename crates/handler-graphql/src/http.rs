//! The HTTP face of GraphQL, as MongooseIM serves it (spec 5.1-5.4): POST with a JSON
//! body or GET with query parameters; GraphiQL for browsers; subscriptions over SSE at
//! `<path>/sse`; decode and parse errors are 400 with `extensions.code`, authentication
//! errors 401, resolver errors 200 beside partial data.

use crate::admin::AdminSchema;
use crate::context::{Auth, Ctx};
use crate::user::UserSchema;
use crate::{GraphqlConfig, SchemaEndpoint, guard};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
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
    /// The address of its listener (a loopback listener checks `Host`).
    pub bound: std::net::IpAddr,
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
        self.response_with(|_| {})
    }

    fn response_with(
        &self,
        extra: impl FnOnce(&mut actix_web::HttpResponseBuilder),
    ) -> HttpResponse {
        let mut r = HttpResponse::build(self.status);
        extra(&mut r);
        r.content_type("application/json; charset=utf-8").body(
            json!({"errors": [{"message": self.message, "extensions": {"code": self.code}}]})
                .to_string(),
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
        Some(serde_json::Value::String(s)) => {
            over_budget(s.as_bytes())?;
            serde_json::from_str(&s).map_err(|e| {
                Failure::new(
                    StatusCode::BAD_REQUEST,
                    "variables_invalid_json",
                    format!("Invalid variables: {e}"),
                )
            })?
        }
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

/// Refuses a JSON text over the node or depth budget (walked, not built).
fn over_budget(json: &[u8]) -> Result<(), Failure> {
    match guard::within_budget(json) {
        Err(Some(over)) => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "request_too_complex",
            format!("The request has {over}"),
        )),
        _ => Ok(()),
    }
}

/// Decodes a POST body (after checking its budget).
pub fn decode_post(body: &[u8]) -> Result<Request, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "no_query_supplied",
            "The query was not supplied",
        ));
    }
    over_budget(body)?;
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

/// Decodes GET query parameters. Without credentials (`unauthenticated`), variables are
/// not decoded: sending any refuses the request (401).
pub fn decode_get(query_string: &str, unauthenticated: bool) -> Result<Request, Failure> {
    let pairs: Vec<(String, String)> = form_pairs(query_string).ok_or_else(|| {
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
    if unauthenticated {
        let carries = match &variables {
            Some(serde_json::Value::String(v)) => {
                let v = v.trim();
                !(v.is_empty() || v == "{}" || v == "null")
            }
            _ => false,
        };
        if carries {
            return Err(no_credentials(operation_name.as_deref()));
        }
        return Ok(Request {
            query,
            operation_name,
            variables: Variables::new(),
        });
    }
    Ok(Request {
        query,
        operation_name,
        variables: variables_from(variables)?,
    })
}

/// `application/x-www-form-urlencoded` pairs (`+` as space, percent-decoding). `None`
/// (a 400) for a `%` not followed by two hex digits or a name or value that is not
/// UTF-8 once decoded, as MongooseIM's HTTP server refuses them; the WHATWG decoders
/// (`form_urlencoded`, `serde_urlencoded`) would keep the first as is and replace the
/// second.
fn form_pairs(qs: &str) -> Option<Vec<(String, String)>> {
    fn decode(s: &str) -> Option<String> {
        let b = s.as_bytes();
        let escapes_ok = b.iter().enumerate().all(|(i, &c)| {
            c != b'%'
                || b.get(i + 1..i + 3)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        });
        if !escapes_ok {
            return None;
        }
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .ok()
            .map(std::borrow::Cow::into_owned)
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

/// Who is asking, per the endpoint's rules (spec 5.2), through the shared Basic auth of
/// listener-core (which applies the login throttle to the domain-admin and user
/// endpoints); its refusals map to MongooseIM's 401 codes, and the throttle's to 429.
pub async fn authenticate(ep: &Endpoint, req: &HttpRequest) -> Result<Auth, Failure> {
    use listener_core::auth::{self, Denied, Outcome};
    let result = match auth::from_request(req) {
        Err(e) => Err(Denied::Malformed(e)),
        Ok(creds) => {
            let peer = req.peer_addr().map(|a| a.ip());
            let creds = creds.as_ref();
            match ep.config.schema_endpoint {
                SchemaEndpoint::Admin => auth::admin(ep.config.credentials.as_ref(), creds)
                    .map(|o| matches!(o, Outcome::Granted(())).then_some(Auth::Admin)),
                SchemaEndpoint::DomainAdmin => auth::domain_admin(&ep.server, peer, creds)
                    .await
                    .map(|o| granted(o).map(Auth::DomainAdmin)),
                SchemaEndpoint::User => auth::user(&ep.server, peer, creds)
                    .await
                    .map(|o| granted(o).map(Auth::User)),
            }
        }
    };
    match result {
        Ok(auth) => Ok(auth.unwrap_or(Auth::Unauthorized)),
        Err(Denied::Malformed(_)) => Err(unauthorized(
            "request_error",
            "Malformed authorization header",
        )),
        Err(Denied::WrongCredentials) => Err(unauthorized(
            "wrong_credentials",
            "The provided credentials are wrong",
        )),
        Err(Denied::TooManyFailures) => Err(Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_failed_attempts",
            "Too many failed authentication attempts; try again later",
        )),
    }
}

fn granted<T>(o: listener_core::auth::Outcome<T>) -> Option<T> {
    match o {
        listener_core::auth::Outcome::Granted(t) => Some(t),
        listener_core::auth::Outcome::Anonymous => None,
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

/// Refuses a request to a loopback listener that names another host (421).
fn check_host(ep: &Endpoint, req: &HttpRequest) -> Result<(), Failure> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    guard::loopback_host(ep.bound, host).map_err(|host| {
        Failure::new(
            StatusCode::MISDIRECTED_REQUEST,
            "misdirected_request",
            format!(
                "Host '{host}' is not served here: this listener is bound to loopback and answers only localhost, 127.0.0.1 or [::1]"
            ),
        )
    })
}

/// A POST must carry `application/json` (a form or `text/plain` post, which a browser
/// sends cross-site without asking, is refused).
fn check_json_content_type(req: &HttpRequest) -> Result<(), Failure> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type must be application/json, found '{}'",
                if ct.is_empty() { "none" } else { ct }
            ),
        ))
    }
}

/// Reads the body, at most [`guard::MAX_BODY_BYTES`] (413 beyond).
async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> Result<web::Bytes, Failure> {
    let too_large = || {
        Failure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!(
                "The request body is larger than {} bytes",
                guard::MAX_BODY_BYTES
            ),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|h| h.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > guard::MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Failure::new(
                StatusCode::BAD_REQUEST,
                "invalid_json_body",
                format!("The request body could not be read: {e}"),
            )
        })?;
        if body.len().saturating_add(chunk.len()) > guard::MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The refusal of an unauthenticated request that sent variables: nothing it may run
/// without credentials (`checkAuth`) takes any, so they are not decoded.
fn no_credentials(operation_name: Option<&str>) -> Failure {
    let message = match operation_name {
        Some(o) => format!("Cannot execute query {o} without permissions"),
        None => crate::context::NO_CREDENTIALS.to_owned(),
    };
    unauthorized("no_permissions", &message)
}

/// An unauthenticated POST body: query and operation name only; variables, if any,
/// refuse the request unread.
fn decode_post_unauthenticated(body: &[u8]) -> Result<Request, Failure> {
    let no_query = || {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "no_query_supplied",
            "The query was not supplied",
        )
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(no_query());
    }
    // Nothing of an unauthenticated body is built beyond the budget either (`query` or
    // `operationName` could be huge arrays): refused as any request without credentials.
    if over_budget(body).is_err() {
        return Err(no_credentials(None));
    }
    let head: guard::Head = serde_json::from_slice(body).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid_json_body",
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    let operation_name = match head.operation_name {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    if head.variables.0 {
        return Err(no_credentials(operation_name.as_deref()));
    }
    let query = match head.query {
        Some(serde_json::Value::String(q)) if !q.trim().is_empty() => q,
        _ => return Err(no_query()),
    };
    Ok(Request {
        query,
        operation_name,
        variables: Variables::new(),
    })
}

/// `<path>`: GET (GraphiQL for browsers, else a query) and POST.
///
/// In order: the Host check of a loopback listener (421), the method (405), a POST's
/// content type (415), the credentials (401, before the body is read), the body size
/// (413), then decoding: without credentials the variables are not decoded at all (a
/// request that sends some is refused, 401); with them, the body's JSON is walked
/// against the node and depth budgets before it is built (400 `request_too_complex`).
/// A GET may not carry a mutation (405).
pub async fn endpoint(ep: Arc<Endpoint>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    if let Err(f) = check_host(&ep, &req) {
        return f.response();
    }
    let post = match *req.method() {
        actix_web::http::Method::POST => {
            if let Err(f) = check_json_content_type(&req) {
                return f.response();
            }
            true
        }
        actix_web::http::Method::GET => {
            let wants_html = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|a| a.to_str().ok())
                .is_some_and(|a| a.contains("text/html"));
            if wants_html {
                return crate::graphiql::page(&req);
            }
            false
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
    let decoded = if post {
        match read_body(&req, payload).await {
            Ok(body) if auth == Auth::Unauthorized => decode_post_unauthenticated(&body),
            Ok(body) => decode_post(&body),
            Err(f) => Err(f),
        }
    } else {
        decode_get(req.query_string(), auth == Auth::Unauthorized)
    };
    let request = match decoded {
        Ok(r) => r,
        Err(f) => return f.response(),
    };
    if !post && guard::defines_mutation(&request.query) {
        return Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Mutations are not allowed over GET; send them with POST",
        )
        .response_with(|r| {
            r.insert_header((header::ALLOW, "POST"));
        });
    }
    execute(&ep, request, auth).await
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
    if let Err(f) = check_host(&ep, &req) {
        return f.response();
    }
    if req.method() != actix_web::http::Method::GET {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET"))
            .finish();
    }
    let auth = match authenticate(&ep, &req).await {
        Ok(a) => a,
        Err(f) => return f.response(),
    };
    let request = match decode_get(req.query_string(), auth == Auth::Unauthorized) {
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
mod query_string_tests {
    use super::*;

    #[test]
    fn get_parameters_are_form_decoded() {
        let r = decode_get(
            "query=%7B+checkAuth%7BauthStatus%7D%7D&operationName=&variables=%7B%22a%22%3A%22%C3%A9%22%7D",
            false,
        )
        .unwrap();
        assert_eq!(r.query, "{ checkAuth{authStatus}}");
        assert_eq!(r.operation_name, None);
        assert_eq!(
            r.variables.get("a"),
            Some(&InputValue::scalar("é".to_owned()))
        );
        let r = decode_get("query=a%2Bb%25&&operationName=Op", false).unwrap();
        assert_eq!(
            (r.query.as_str(), r.operation_name.as_deref()),
            ("a+b%", Some("Op"))
        );
    }

    #[test]
    fn malformed_query_strings_are_a_400() {
        for qs in [
            "query=%zz",
            "query=%7",
            "query=abc%",
            "query=%C3",
            "query=%FF%FE",
            "qu%E9ry=x",
            "query=x&variables=%7B%",
        ] {
            let f = decode_get(qs, false).unwrap_err();
            assert_eq!(
                (f.status, f.code, f.message.as_str()),
                (
                    StatusCode::BAD_REQUEST,
                    "invalid_query_parameters",
                    "Invalid query string"
                ),
                "{qs}"
            );
        }
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
