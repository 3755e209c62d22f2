//! XMPP over WebSocket (RFC 7395): the `mod_websockets` handler (MongooseIM 6.6+ name:
//! `mongoose_websocket_handler`).

mod guard;
mod session;

pub use session::{FRAME_HARD_LIMIT, PREAUTH_FRAME_LIMIT, PREAUTH_MAX_NODES, render};

use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev, web};
use futures_util::Stream;
use listener_core::{BuildError, Handler, HandlerContext, Mount, Service};
use meerkat_core::config::{Diagnostics, Limit, Positive, PositiveLimit, Section};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The handler type.
pub struct WebSocketHandler;

/// Options of a `mod_websockets` handler table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsConfig {
    /// Disconnect a client idle this long (`timeout`, ms; default "infinity" as documented).
    pub timeout: Option<Duration>,
    /// Send a WebSocket ping this often (`ping_rate`, ms; default: never).
    pub ping_rate: Option<Duration>,
    /// Largest accepted stanza in bytes (`max_stanza_size`; default [`DEFAULT_MAX_STANZA_SIZE`],
    /// `None` for "infinity", which still caps messages at [`FRAME_HARD_LIMIT`]).
    pub max_stanza_size: Option<usize>,
    /// Time allowed for stream negotiation (`state_timeout`, alias `c2s_state_timeout`; ms, default 5000).
    pub state_timeout: Option<Duration>,
    /// Offer and accept the RFC 3921 session IQ.
    pub backwards_compatible_session: bool,
}

/// The default `max_stanza_size`: 65536 bytes, MongooseIM's default for its c2s listener
/// (its `mod_websockets` documents "infinity", which meerkat does not default to).
pub const DEFAULT_MAX_STANZA_SIZE: usize = 65_536;

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            timeout: None,
            ping_rate: None,
            max_stanza_size: Some(DEFAULT_MAX_STANZA_SIZE),
            state_timeout: Some(Duration::from_millis(5000)),
            backwards_compatible_session: true,
        }
    }
}

fn ms(l: Limit) -> Option<Duration> {
    l.finite().map(Duration::from_millis)
}

impl Handler for WebSocketHandler {
    const NAME: &'static str = "mod_websockets";
    const ALIASES: &'static [&'static str] = &["mongoose_websocket_handler"];
    type Config = WsConfig;

    fn read_config(s: &mut Section<'_>, diag: &mut Diagnostics) -> Option<WsConfig> {
        let d = WsConfig::default();
        let timeout = s.opt::<Limit>("timeout", diag).map_or(d.timeout, ms);
        let ping_rate = s
            .opt::<Positive>("ping_rate", diag)
            .map(|p| Duration::from_millis(p.0));
        let max_stanza_size =
            s.opt::<PositiveLimit>("max_stanza_size", diag)
                .map_or(d.max_stanza_size, |l| {
                    l.0.finite()
                        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                });
        if s.has("state_timeout") && s.has("c2s_state_timeout") {
            diag.error(
                s.key_path("c2s_state_timeout"),
                "set either state_timeout or its old name c2s_state_timeout, not both",
            );
        }
        let state_timeout = s
            .opt::<Limit>("state_timeout", diag)
            .or_else(|| s.opt::<Limit>("c2s_state_timeout", diag))
            .map_or(d.state_timeout, ms);
        let backwards_compatible_session = s.get_or("backwards_compatible_session", true, diag);
        Some(WsConfig {
            timeout,
            ping_rate,
            max_stanza_size,
            state_timeout,
            backwards_compatible_session,
        })
    }

    fn build(
        config: &WsConfig,
        _mount: &Mount,
        cx: &HandlerContext,
    ) -> Result<Arc<dyn Service>, BuildError> {
        Ok(Arc::new(WsService {
            state: Arc::new((cx.server.clone(), config.clone())),
        }))
    }
}

struct WsService {
    state: Arc<(meerkat_core::Server, WsConfig)>,
}

impl Service for WsService {
    fn configure(&self, cfg: &mut web::ServiceConfig) {
        let state = self.state.clone();
        cfg.route(
            "",
            web::get().to(move |req: HttpRequest, body: web::Payload| {
                let state = state.clone();
                async move { upgrade(&state.0, &state.1, req, body).await }
            }),
        );
    }
}

/// Upgrades to WebSocket, echoing the `xmpp` subprotocol when offered (RFC 7395 3.1),
/// and spawns the connection's task on this worker.
///
/// The connection's bytes pass through a [`guard::FrameGuard`], which refuses frames
/// over the session's current limit from their header on; actix-ws's own frame limit
/// (checked only once a frame is buffered) stays at the largest limit as a backstop.
async fn upgrade(
    server: &meerkat_core::Server,
    config: &WsConfig,
    req: HttpRequest,
    body: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let limit = guard::FrameLimit::new(session::preauth_limits(config).max_bytes);
    let guarded: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(guard::FrameGuard::new(body, limit.clone()));
    let body = web::Payload::from_request(&req, &mut dev::Payload::from(guarded)).await?;
    let (response, session, stream) = actix_ws::handle_with_protocols(&req, body, &["xmpp"])?;
    let stream = stream.max_frame_size(session::stanza_limits(config).max_bytes);
    actix_rt::spawn(session::run(
        server.clone(),
        config.clone(),
        req.peer_addr(),
        session,
        stream,
        limit,
    ));
    Ok(response)
}
