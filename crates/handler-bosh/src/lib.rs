//! BOSH (XEP-0124/0206): the `mod_bosh` handler (MongooseIM 6.6+ name:
//! `mongoose_bosh_handler`). Session settings come from `[services.service_bosh]` (or the
//! older `[modules.mod_bosh]`); without either, session creation is refused with
//! `host-unknown`, as MongooseIM does.
//!
//! Limits:
//! - a request body is at most [`MAX_BODY`] bytes once the session is bound, and
//!   [`MAX_BODY_UNBOUND`] before (session creation, SASL, restart, bind); larger bodies get
//!   HTTP 413 before any parsing;
//! - a body carries at most [`MAX_BODY_CHILDREN`] elements (more: `policy-violation`);
//! - `rid` is at most [`MAX_RID`] (2^53 - 1, XEP-0124; above: `bad-request`);
//! - the client's `wait` is clamped to `max_wait` (default 60 s; `"infinity"` means
//!   [`WAIT_CEILING`]); the session module bounds the response cache and gives every
//!   session a deadline without client requests.

mod session;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use listener_core::{BuildError, Handler, HandlerContext, Mount, Service};
use meerkat_core::Server;
use meerkat_core::c2s::{C2s, ConnInfo, StreamOpen};
use meerkat_core::config::{Diagnostics, Section};
use meerkat_xmpp::{Element, ParseError, ParseLimits, ns};
use session::{Entry, Params, Registry, Request, Session, terminate_body};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The handler type.
pub struct BoshHandler;

/// Largest request body accepted from a bound session.
pub const MAX_BODY: usize = 1024 * 1024;

/// Largest request body accepted before the session is bound: session creation, SASL,
/// stream restart and resource binding all fit in a few hundred bytes.
pub const MAX_BODY_UNBOUND: usize = 8 * 1024;

/// Most elements one request body may carry.
pub const MAX_BODY_CHILDREN: usize = 100;

/// Highest `rid` accepted: XEP-0124 keeps rids below 2^53.
pub const MAX_RID: u64 = (1 << 53) - 1;

/// `wait` when the client gives none.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// Upper bound of `wait` when `max_wait` is `"infinity"`.
pub const WAIT_CEILING: Duration = Duration::from_secs(3600);

/// Why a request body is refused before it reaches a session (answered in HTTP terms:
/// nothing in it could be trusted to name a session).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Larger than the limit that applies.
    #[error("Request body larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Not well-formed XML (or beyond the parser's limits).
    #[error("Malformed request body: {0}")]
    Malformed(ParseError),
    /// Well-formed, but not a BOSH `<body/>`.
    #[error("Expected a <body/> in the http://jabber.org/protocol/httpbind namespace")]
    NotBody,
}

/// A request body that parsed.
#[derive(Debug)]
pub struct Body {
    /// The `<body/>` element.
    pub el: Element,
    /// Its `sid`, if any.
    pub sid: Option<String>,
    /// Its `rid`, or the terminate condition that refuses the request (a missing or
    /// out-of-range rid, too many elements).
    pub rid: Result<u64, &'static str>,
}

/// Parses and checks one request body of at most `max_bytes` bytes. Never panics.
pub fn parse_body(payload: &[u8], max_bytes: usize) -> Result<Body, BodyError> {
    if payload.len() > max_bytes {
        return Err(BodyError::TooLarge { limit: max_bytes });
    }
    let limits = ParseLimits {
        max_bytes,
        ..ParseLimits::default()
    };
    let el = match Element::parse(payload, &limits) {
        Ok(el) if el.is("body", ns::HTTPBIND) => el,
        Ok(_) => return Err(BodyError::NotBody),
        Err(ParseError::TooLarge { limit }) => return Err(BodyError::TooLarge { limit }),
        Err(e) => return Err(BodyError::Malformed(e)),
    };
    let sid = el.attr("sid").map(str::to_owned);
    let rid = match el.attr("rid").and_then(parse_rid) {
        None => Err("bad-request"),
        Some(_) if el.children().count() > MAX_BODY_CHILDREN => Err("policy-violation"),
        Some(rid) => Ok(rid),
    };
    Ok(Body { el, sid, rid })
}

/// A `rid`: a decimal integer from 0 to [`MAX_RID`].
pub fn parse_rid(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u64>().ok().filter(|r| *r <= MAX_RID)
}

/// A duration in whole seconds chosen by the client (`wait`, `pause`): digits only;
/// a value too large for `u64` saturates (it is clamped by the caller anyway).
pub fn parse_secs(s: &str) -> Option<Duration> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Duration::from_secs(s.parse::<u64>().unwrap_or(u64::MAX)))
}

/// The `sid` of a body's start tag, read without parsing the rest of the body (to pick
/// the size limit before parsing). `None` when the start tag is not readable.
fn start_tag_sid(payload: &[u8]) -> Option<String> {
    use rxml::{Event, Parse, Parser};
    let mut parser = Parser::new();
    let mut buf = payload;
    loop {
        match parser.parse(&mut buf, true) {
            Ok(Some(Event::XmlDeclaration(..))) => continue,
            Ok(Some(Event::StartElement(_, _, attrs))) => {
                return attrs.into_iter().find_map(|((a_ns, name), value)| {
                    (a_ns.is_empty() && name.as_str() == "sid").then_some(value)
                });
            }
            _ => return None,
        }
    }
}

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

/// Whether the body names a live session that is bound (and may send large bodies).
fn names_bound_session(state: &State, payload: &[u8]) -> bool {
    let Some(sid) = start_tag_sid(payload) else {
        return false;
    };
    state
        .registry
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&sid)
        .is_some_and(|e| e.bound.load(Ordering::Relaxed))
}

async fn post(state: &State, req: &HttpRequest, payload: web::Bytes) -> HttpResponse {
    state
        .server
        .metrics()
        .bosh_received_bytes
        .add(payload.len() as u64);
    let limit = if payload.len() > MAX_BODY_UNBOUND && names_bound_session(state, &payload) {
        MAX_BODY
    } else {
        MAX_BODY_UNBOUND
    };
    let parsed = parse_body(&payload, limit);
    let bytes = payload.len();
    // A held request can wait for minutes: do not keep its raw body alive meanwhile.
    drop(payload);
    let body = match parsed {
        Ok(b) => b,
        Err(e @ BodyError::TooLarge { .. }) => {
            return HttpResponse::PayloadTooLarge().body(e.to_string());
        }
        Err(e) => return HttpResponse::BadRequest().body(e.to_string()),
    };
    let (gzip, deflate) = accepts(req);
    let text = match body.sid {
        Some(sid) => {
            let tx = state
                .registry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&sid)
                .map(|e| e.tx.clone());
            let Some(tx) = tx else {
                return terminal("item-not-found");
            };
            let (reply, rx) = oneshot::channel();
            if tx
                .send(Box::new(Request {
                    rid: body.rid,
                    body: body.el,
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
        None => {
            let rid = match body.rid {
                Ok(rid) => rid,
                Err(condition) => return terminal(condition),
            };
            match create(state, req, body.el, rid).await {
                Ok(text) => text,
                Err(condition) => return terminal(condition),
            }
        }
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
    // The client's wait, clamped to max_wait as MongooseIM does.
    let max_wait = settings
        .max_wait
        .map_or(WAIT_CEILING, |m| m.min(WAIT_CEILING));
    let wait = el
        .attr("wait")
        .and_then(parse_secs)
        .unwrap_or(DEFAULT_WAIT)
        .min(max_wait);
    let client_acks = el.attr("ack") == Some("1");
    let sid = meerkat_core::util::random_hex(20);
    let peer = req.peer_addr();
    let info = ConnInfo {
        connection: "bosh",
        ip: peer.map(|p| p.ip()),
        port: peer.map_or(0, |p| p.port()),
        state_timeout: Some(Duration::from_secs(5).saturating_add(wait)),
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
    let bound = Arc::new(AtomicBool::new(false));
    let mut session = Session::new(
        server.clone(),
        state.registry.clone(),
        params,
        c2s,
        rid,
        bound.clone(),
    );
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
            .insert(sid.clone(), Entry { tx, bound });
        actix_rt::spawn(session.run(rx));
        tracing::debug!(%sid, "BOSH session created");
    }
    server.metrics().bosh_sent_bytes.add(text.len() as u64);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rids_stay_below_2_pow_53() {
        assert_eq!(parse_rid("0"), Some(0));
        assert_eq!(parse_rid("9007199254740991"), Some(MAX_RID));
        assert_eq!(parse_rid("9007199254740992"), None);
        assert_eq!(parse_rid("18446744073709551615"), None);
        assert_eq!(parse_rid("99999999999999999999999"), None);
        for bad in ["", "-1", "+1", " 1", "1e3", "0x10"] {
            assert_eq!(parse_rid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn client_seconds_saturate() {
        assert_eq!(parse_secs("60"), Some(Duration::from_secs(60)));
        assert_eq!(
            parse_secs("99999999999999999999999"),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_secs("-5"), None);
        assert_eq!(parse_secs(""), None);
    }

    #[test]
    fn body_checks() {
        let b = parse_body(
            b"<body xmlns='http://jabber.org/protocol/httpbind' sid='s1' rid='7'/>",
            MAX_BODY,
        )
        .unwrap();
        assert_eq!((b.sid.as_deref(), b.rid), (Some("s1"), Ok(7)));
        let b = parse_body(
            b"<body xmlns='http://jabber.org/protocol/httpbind' rid='9007199254740992'/>",
            MAX_BODY,
        )
        .unwrap();
        assert_eq!(b.rid, Err("bad-request"));
        let many = format!(
            "<body xmlns='http://jabber.org/protocol/httpbind' rid='1'>{}</body>",
            "<a/>".repeat(MAX_BODY_CHILDREN + 1)
        );
        assert_eq!(
            parse_body(many.as_bytes(), MAX_BODY).unwrap().rid,
            Err("policy-violation")
        );
        assert_eq!(
            parse_body(many.as_bytes(), 100).unwrap_err(),
            BodyError::TooLarge { limit: 100 }
        );
        assert_eq!(
            parse_body(b"<body xmlns='other'/>", MAX_BODY).unwrap_err(),
            BodyError::NotBody
        );
        assert!(matches!(
            parse_body(b"<body", MAX_BODY),
            Err(BodyError::Malformed(_))
        ));
    }

    #[test]
    fn start_tag_sid_reads_only_the_start_tag() {
        assert_eq!(
            start_tag_sid(b"<?xml version='1.0'?><body xmlns='http://jabber.org/protocol/httpbind' sid=\"abc\" rid='1'><unclosed>"),
            Some("abc".to_owned())
        );
        assert_eq!(
            start_tag_sid(b"<body xmlns='http://jabber.org/protocol/httpbind' rid='1'/>"),
            None
        );
        assert_eq!(start_tag_sid(b"garbage"), None);
        assert_eq!(start_tag_sid(b""), None);
    }

    /// xorshift64*: deterministic, so a failing round replays from its seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Random and mutated bodies never make the body parser (or the start-tag reader that
    /// picks the size limit) panic, and every accepted body keeps the documented limits.
    #[test]
    fn mutated_bodies_never_panic() {
        let seeds: [&[u8]; 6] = [
            b"<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' to='localhost' rid='1573741820' hold='1' wait='60' xmpp:version='1.0' ack='1'/>",
            b"<body xmlns='http://jabber.org/protocol/httpbind' sid='0123456789abcdef' rid='9007199254740991'><message xmlns='jabber:client' to='a@b' type='chat'><body>hi &amp; &#x263A;</body></message></body>",
            b"<body xmlns='http://jabber.org/protocol/httpbind' sid='s' rid='5' type='terminate'><presence xmlns='jabber:client' type='unavailable'/></body>",
            b"<body xmlns='http://jabber.org/protocol/httpbind' sid='s' rid='6' pause='18446744073709551616' ack='99999999999999999999'/>",
            b"<?xml version='1.0'?><body rid='7' xmlns='http://jabber.org/protocol/httpbind' sid='s' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth></body>",
            b"<body xmlns='http://jabber.org/protocol/httpbind' rid='8'><a/><b><c/></b><![CDATA[x]]></body>",
        ];
        let tokens: [&[u8]; 16] = [
            b"<",
            b">",
            b"/>",
            b"</body>",
            b"'",
            b"\"",
            b"&",
            b"&amp;",
            b"&#0;",
            b"<a>",
            b"rid='",
            b"sid='",
            b"9007199254740992",
            b"\xff",
            b"<!DOCTYPE x>",
            b"<a/>",
        ];
        let mut rng = Rng(0x5EED_B05B_0D1E_5EED);
        for round in 0..20_000 {
            let mut input = seeds[round % seeds.len()].to_vec();
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(input.len() + 1);
                match rng.below(5) {
                    0 => {
                        let t = tokens[rng.below(tokens.len())];
                        input.splice(at..at, t.iter().copied());
                    }
                    1 if at < input.len() => {
                        input.remove(at);
                    }
                    2 if at < input.len() => input[at] = rng.next() as u8,
                    3 => input.truncate(at),
                    _ => {
                        // Repeat a slice: amplification attempts.
                        let end = (at + rng.below(16)).min(input.len());
                        let chunk = input[at..end].repeat(1 + rng.below(200));
                        input.splice(at..at, chunk);
                    }
                }
            }
            let _ = start_tag_sid(&input);
            for limit in [MAX_BODY_UNBOUND, MAX_BODY] {
                match parse_body(&input, limit) {
                    Ok(b) => {
                        assert!(input.len() <= limit);
                        if let Ok(rid) = b.rid {
                            assert!(rid <= MAX_RID, "round {round}");
                            assert!(b.el.children().count() <= MAX_BODY_CHILDREN);
                        }
                    }
                    Err(BodyError::TooLarge { .. }) => assert!(input.len() > limit),
                    Err(_) => {}
                }
            }
        }
    }
}
