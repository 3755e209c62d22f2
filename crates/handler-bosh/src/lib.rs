//! BOSH (XEP-0124/0206): the `mod_bosh` handler (MongooseIM 6.6+ name:
//! `mongoose_bosh_handler`). Session settings come from `[services.service_bosh]` (or the
//! older `[modules.mod_bosh]`); without either, session creation is refused with
//! `host-unknown`, as MongooseIM does.

mod session;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use listener_core::{BuildError, Handler, HandlerContext, Mount, Service};
use meerkat_core::Server;
use meerkat_core::c2s::{C2s, ConnInfo, StreamOpen};
use meerkat_core::config::{Diagnostics, Section};
use session::{Params, Registry, Request, Session, terminate_body};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use xmpp::{Element, ParseLimits, ns};

/// The handler type.
pub struct BoshHandler;

/// Largest request body accepted.
pub const MAX_BODY: usize = 1024 * 1024;

/// `wait` when the client gives none.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);

impl Handler for BoshHandler {
    const NAME: &'static str = "mod_bosh";
    const ALIASES: &'static [&'static str] = &["mongoose_bosh_handler"];
    type Config = ();

    fn read_config(_: &mut Section<'_>, _: &mut Diagnostics) -> Option<()> {
        Some(())
    }

    fn build(_: &(), _: &Mount, cx: &HandlerContext) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(BoshService {
            state: Arc::new(State {
                server: cx.server.clone(),
                registry: Registry::default(),
            }),
        }))
    }
}

struct State {
    server: Server,
    registry: Registry,
}

struct BoshService {
    state: Arc<State>,
}

impl Service for BoshService {
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        let state = self.state.clone();
        cfg.app_data(web::PayloadConfig::new(MAX_BODY)).route(
            "",
            web::route().to(move |req: HttpRequest, payload: web::Bytes| {
                let state = state.clone();
                async move { dispatch(&state, req, payload).await }
            }),
        );
    }
}

fn cors(mut b: HttpResponseBuilder, origin: &str) -> HttpResponseBuilder {
    b.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS, GET"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "1728000"));
    b
}

fn xml_reply(status: StatusCode) -> HttpResponseBuilder {
    let mut b = cors(HttpResponse::build(status), "*");
    b.content_type("text/xml; charset=utf-8");
    b
}

async fn dispatch(state: &State, req: HttpRequest, payload: web::Bytes) -> HttpResponse {
    match *req.method() {
        Method::OPTIONS => {
            let origin = req
                .headers()
                .get(header::ORIGIN)
                .and_then(|o| o.to_str().ok())
                .unwrap_or("*");
            cors(HttpResponse::Ok(), origin).finish()
        }
        Method::GET => xml_reply(StatusCode::OK).body("meerkat BOSH endpoint"),
        Method::POST if payload.is_empty() => {
            HttpResponse::BadRequest().body("Missing request body")
        }
        Method::POST => post(state, &req, payload).await,
        _ => HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST, OPTIONS, GET"))
            .body("Use POST request method"),
    }
}

fn terminal(condition: &str) -> HttpResponse {
    xml_reply(StatusCode::OK).body(terminate_body(Some(condition)).to_xml())
}

async fn post(state: &State, req: &HttpRequest, payload: web::Bytes) -> HttpResponse {
    state
        .server
        .metrics()
        .bosh_received_bytes
        .add(payload.len() as u64);
    let limits = ParseLimits {
        max_bytes: MAX_BODY,
        ..ParseLimits::default()
    };
    let parsed = Element::parse(&payload, &limits);
    let bytes = payload.len();
    // A held request can wait for minutes: do not keep its raw body alive meanwhile.
    drop(payload);
    let el = match parsed {
        Ok(el) if el.is("body", ns::HTTPBIND) => el,
        Ok(_) => {
            return HttpResponse::BadRequest()
                .body("Expected a <body/> in the http://jabber.org/protocol/httpbind namespace");
        }
        Err(e) => return HttpResponse::BadRequest().body(format!("Malformed request body: {e}")),
    };
    let Some(rid) = el.attr("rid").and_then(|r| r.parse::<u64>().ok()) else {
        return terminal("bad-request");
    };
    let (gzip, deflate) = accepts(req);
    let text = match el.attr("sid").map(str::to_owned) {
        Some(sid) => {
            let tx = state
                .registry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&sid)
                .cloned();
            let Some(tx) = tx else {
                return terminal("item-not-found");
            };
            let (reply, rx) = oneshot::channel();
            if tx
                .send(Box::new(Request {
                    rid,
                    body: el,
                    bytes,
                    reply,
                }))
                .await
                .is_err()
            {
                return terminal("item-not-found");
            }
            match rx.await {
                Ok(text) => text,
                Err(_) => return terminal("item-not-found"),
            }
        }
        None => match create(state, req, el, rid).await {
            Ok(text) => text,
            Err(condition) => return terminal(condition),
        },
    };
    encoded(text, gzip, deflate)
}

/// The encodings the client accepts, from `Accept-Encoding` (XEP-0124 section 9: the
/// server advertises `accept` and may compress when the client allows it).
fn accepts(req: &HttpRequest) -> (bool, bool) {
    let ae = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let has = |name: &str| {
        ae.split(',').any(|p| {
            p.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(name))
        })
    };
    (has("gzip"), has("deflate"))
}

fn encoded(text: String, gzip: bool, deflate: bool) -> HttpResponse {
    // Small bodies are not worth compressing.
    if text.len() >= 256 && (gzip || deflate) {
        let (name, bytes) = if gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = enc.write_all(text.as_bytes());
            ("gzip", enc.finish())
        } else {
            let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = enc.write_all(text.as_bytes());
            ("deflate", enc.finish())
        };
        if let Ok(bytes) = bytes {
            return xml_reply(StatusCode::OK)
                .insert_header((header::CONTENT_ENCODING, name))
                .body(bytes);
        }
    }
    xml_reply(StatusCode::OK).body(text)
}

/// Session creation: validates the request, starts the session task, and returns the
/// creation response.
async fn create(
    state: &State,
    req: &HttpRequest,
    el: Element,
    rid: u64,
) -> Result<String, &'static str> {
    let server = &state.server;
    let Some(settings) = server.config().bosh.clone() else {
        return Err("host-unknown");
    };
    let domain = el.attr("to").map(str::to_lowercase).ok_or("host-unknown")?;
    // `host_types` names host types; a static host is its own host type.
    let host_type = server.host_type_of(&domain).ok_or("host-unknown")?;
    if settings
        .host_types
        .as_ref()
        .is_some_and(|h| !h.iter().any(|t| t.eq_ignore_ascii_case(&host_type)))
    {
        return Err("host-unknown");
    }
    // hold > 1 is lowered to 1; 0 or absent is refused, as MongooseIM does.
    el.attr("hold")
        .and_then(|h| h.parse::<u64>().ok())
        .filter(|h| *h >= 1)
        .ok_or("undefined-condition")?;
    let client_wait = el
        .attr("wait")
        .and_then(|w| w.parse::<u64>().ok())
        .map_or(DEFAULT_WAIT, Duration::from_secs);
    let wait = settings
        .max_wait
        .map_or(client_wait, |m| client_wait.min(m));
    let client_acks = el.attr("ack") == Some("1");
    let sid = meerkat_core::util::random_hex(20);
    let peer = req.peer_addr();
    let info = ConnInfo {
        connection: "bosh",
        ip: peer.map(|p| p.ip()),
        port: peer.map_or(0, |p| p.port()),
        state_timeout: Some(Duration::from_secs(5) + wait),
        backwards_compatible_session: true,
    };
    let params = Params {
        sid: sid.clone(),
        domain: domain.clone(),
        wait,
        hold: 1,
        inactivity: settings.inactivity,
        max_pause: settings.max_pause,
        server_acks: settings.server_acks,
        client_acks,
    };
    let c2s = C2s::new(server.clone(), info);
    let mut session = Session::new(server.clone(), state.registry.clone(), params, c2s, rid);
    let open = StreamOpen {
        to: Some(domain),
        version: el
            .attr_ns(ns::XBOSH, "version")
            .map(str::to_owned)
            .or(Some("1.0".into())),
        lang: el.attr("xml:lang").map(str::to_owned),
    };
    let resp = session.create(open, rid).await;
    let text = resp.to_xml();
    if resp.attr("type") != Some("terminate") {
        let (tx, rx) = mpsc::channel(4);
        state
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sid.clone(), tx);
        actix_rt::spawn(session.run(rx));
        tracing::debug!(%sid, "BOSH session created");
    }
    server.metrics().bosh_sent_bytes.add(text.len() as u64);
    Ok(text)
}
