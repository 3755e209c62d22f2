//! One WebSocket connection: RFC 7395 framing around the core's c2s session machine.
//!
//! Each text frame carries exactly one element. `<open/>` and `<close/>` in the framing
//! namespace stand for the stream header and its end; everything else is handed to the
//! core as an element. Output elements are serialized with their own `xmlns` (one element
//! per frame), the stream header as `<open/>`, the stream end as `<close/>`.

use crate::WsConfig;
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, ProtocolError, Session};
use meerkat_core::Server;
use meerkat_core::c2s::{C2s, ConnInfo, Input, Output, StreamOpen, cond_stream};
use meerkat_core::sm::Routed;
use std::net::SocketAddr;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use xmpp::{Element, ParseError, ParseLimits, ns};

/// Frames larger than this are refused even with `max_stanza_size = "infinity"`, so that
/// one client cannot make the server buffer an unbounded frame.
pub const FRAME_HARD_LIMIT: usize = 16 * 1024 * 1024;

/// Where a connection stands in RFC 7395 framing terms.
#[derive(PartialEq, Eq)]
enum Framing {
    /// No `<open/>` yet: anything else closes the connection.
    BeforeOpen,
    /// Stream open.
    Open,
}

/// Drives one connection until either side closes it.
pub async fn run(
    server: Server,
    config: WsConfig,
    peer: Option<SocketAddr>,
    mut session: Session,
    mut stream: MessageStream,
) {
    let info = ConnInfo {
        connection: "websocket",
        ip: peer.map(|p| p.ip()),
        port: peer.map_or(0, |p| p.port()),
        state_timeout: config.state_timeout,
        backwards_compatible_session: config.backwards_compatible_session,
    };
    let mut c2s = C2s::new(server.clone(), info);
    let mut mailbox: Option<mpsc::Receiver<Routed>> = None;
    let mut framing = Framing::BeforeOpen;
    let limits = ParseLimits {
        max_bytes: config.max_stanza_size.unwrap_or(FRAME_HARD_LIMIT),
        ..ParseLimits::default()
    };
    let mut last_rx = Instant::now();
    let mut next_ping = config.ping_rate.map(|p| Instant::now() + p);
    let mut close_reason: Option<CloseReason> = None;
    // While the client's traffic shaper (`c2s_shaper`) pauses reading: until when.
    let mut read_resume: Option<Instant> = None;
    loop {
        let idle_deadline = config.timeout.map(|t| last_rx + t);
        let negotiation_deadline = c2s.deadline();
        tokio::select! {
            msg = stream.recv(), if read_resume.is_none() => {
                last_rx = Instant::now();
                match msg {
                    None => break,
                    Some(Ok(Message::Text(text))) => {
                        server.metrics().websocket_received_bytes.add(text.len() as u64);
                        if !handle_frame(&mut c2s, &mut framing, text.as_bytes(), &limits).await {
                            break;
                        }
                        read_resume = c2s.shape(text.len()).map(|p| Instant::now() + p);
                    }
                    Some(Ok(Message::Ping(data))) => {
                        if session.pong(&data).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) => {
                        c2s.terminate().await;
                        break;
                    }
                    // Binary, pong and continuation frames carry no XMPP (RFC 7395 3.2).
                    Some(Ok(_)) => {}
                    Some(Err(ProtocolError::Overflow)) => {
                        if framing == Framing::Open {
                            c2s.stream_error(cond_stream::POLICY_VIOLATION, Some("stanza too big")).await;
                        }
                        close_reason = Some(CloseReason { code: CloseCode::Size, description: None });
                    }
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "websocket protocol error");
                        close_reason = Some(CloseReason { code: CloseCode::Protocol, description: None });
                    }
                }
            }
            Some(item) = recv(&mut mailbox) => c2s.handle_routed(item).await,
            _ = sleep_until(read_resume.unwrap_or_else(far_future)), if read_resume.is_some() => {
                read_resume = None;
                last_rx = Instant::now();
            }
            _ = sleep_until(negotiation_deadline.unwrap_or_else(far_future)), if negotiation_deadline.is_some() => {
                c2s.on_timeout().await;
            }
            _ = sleep_until(idle_deadline.unwrap_or_else(far_future)), if idle_deadline.is_some() => {
                tracing::debug!("websocket idle timeout");
                c2s.terminate().await;
                break;
            }
            _ = sleep_until(next_ping.unwrap_or_else(far_future)), if next_ping.is_some() => {
                next_ping = config.ping_rate.map(|p| Instant::now() + p);
                if session.ping(b"").await.is_err() {
                    break;
                }
            }
        }
        if mailbox.is_none() {
            mailbox = c2s.take_mailbox();
        }
        if !flush(&server, &mut c2s, &mut session).await {
            break;
        }
        if c2s.is_closed() || close_reason.is_some() {
            break;
        }
    }
    // A dropped socket: the core broadcasts unavailable presence and unregisters.
    c2s.terminate().await;
    let _ = session
        .close(close_reason.or(Some(CloseReason {
            code: CloseCode::Normal,
            description: None,
        })))
        .await;
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}

async fn recv(mailbox: &mut Option<mpsc::Receiver<Routed>>) -> Option<Routed> {
    match mailbox {
        Some(m) => m.recv().await,
        None => std::future::pending().await,
    }
}

/// Turns one text frame into c2s input. Returns false when the connection must close
/// without a stream error (nothing was opened yet).
async fn handle_frame(
    c2s: &mut C2s,
    framing: &mut Framing,
    frame: &[u8],
    limits: &ParseLimits,
) -> bool {
    let el = match Element::parse(frame, limits) {
        Ok(el) => el,
        Err(e) if *framing == Framing::Open => {
            tracing::debug!(error = %e, "refused XML from client");
            let (condition, text) = match e {
                ParseError::TooLarge { .. } => {
                    (cond_stream::POLICY_VIOLATION, Some("stanza too big"))
                }
                ParseError::TooDeep { .. } | ParseError::TooManyAttributes => {
                    (cond_stream::POLICY_VIOLATION, None)
                }
                ParseError::Forbidden(_) => (cond_stream::RESTRICTED_XML, None),
                _ => (cond_stream::NOT_WELL_FORMED, None),
            };
            c2s.stream_error(condition, text).await;
            return true;
        }
        Err(_) => return false,
    };
    if el.ns() == ns::FRAMING {
        match el.name() {
            "open" => {
                *framing = Framing::Open;
                let open = StreamOpen {
                    to: el.attr("to").map(str::to_owned),
                    version: el.attr("version").map(str::to_owned),
                    lang: el.attr("xml:lang").map(str::to_owned),
                };
                c2s.handle(Input::Open(open)).await;
            }
            "close" => c2s.handle(Input::Close).await,
            _ if *framing == Framing::BeforeOpen => return false,
            _ => {
                c2s.stream_error(cond_stream::UNSUPPORTED_STANZA_TYPE, None)
                    .await
            }
        }
        return true;
    }
    if *framing == Framing::BeforeOpen {
        // RFC 7395 3.3.1: the first element must be <open/>.
        return false;
    }
    c2s.handle(Input::Element(el)).await;
    true
}

/// Serializes one output as the text of one frame.
pub fn render(out: &Output) -> String {
    match out {
        Output::Open { from, id, lang } => Element::new("open", ns::FRAMING)
            .with_attr("from", from.as_str())
            .with_attr("id", id.as_str())
            .with_attr("version", "1.0")
            .with_attr("xml:lang", lang.as_str())
            .to_xml(),
        Output::Element(el) => el.to_xml(),
        Output::Close => Element::new("close", ns::FRAMING).to_xml(),
    }
}

/// Writes every pending output, one frame each. False when the socket is gone.
async fn flush(server: &Server, c2s: &mut C2s, session: &mut Session) -> bool {
    for out in c2s.take_output() {
        let text = render(&out);
        server.metrics().websocket_sent_bytes.add(text.len() as u64);
        if session.text(text).await.is_err() {
            c2s.terminate().await;
            return false;
        }
    }
    true
}
