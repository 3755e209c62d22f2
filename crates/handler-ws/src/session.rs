//! One WebSocket connection: RFC 7395 framing around the core's c2s session machine.
//!
//! Each text message carries exactly one element. `<open/>` and `<close/>` in the framing
//! namespace stand for the stream header and its end; everything else is handed to the
//! core as an element. Output elements are serialized with their own `xmlns` (one element
//! per frame), the stream header as `<open/>`, the stream end as `<close/>`.
//!
//! Limits: until the stream is bound (SASL done, resource bound), a message may carry
//! [`PREAUTH_FRAME_LIMIT`] bytes (or `max_stanza_size` if smaller) and
//! [`PREAUTH_MAX_NODES`] XML nodes; afterwards `max_stanza_size` bytes (16 MiB for
//! `"infinity"`, [`FRAME_HARD_LIMIT`]) and the parser's default node budget. A fragmented
//! message (continuation frames) is reassembled within the same limit. The byte limit is
//! enforced on frame headers, before any payload is buffered (see `guard`). A message
//! over a limit ends the stream with a `policy-violation` stream error (just a close
//! before `<open/>`).

use crate::WsConfig;
use crate::guard::FrameLimit;
use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, ProtocolError, Session};
use meerkat_core::Server;
use meerkat_core::c2s::{C2s, ConnInfo, Input, Output, StreamOpen, cond_stream};
use meerkat_core::sm::{Mailbox, Routed};
use meerkat_xmpp::{Element, ParseError, ParseLimits, ns};
use std::net::SocketAddr;
use tokio::time::{Instant, sleep_until};

/// Frames larger than this are refused even with `max_stanza_size = "infinity"`, so that
/// one client cannot make the server buffer an unbounded frame.
pub const FRAME_HARD_LIMIT: usize = 16 * 1024 * 1024;

/// The largest message accepted before the stream is bound: 16 KiB, room for any SASL
/// exchange (a PLAIN or SCRAM message is well under 1 KiB, a token a few KiB).
pub const PREAUTH_FRAME_LIMIT: usize = 16 * 1024;

/// The XML node budget of a message before the stream is bound (elements, attributes
/// and text nodes; `<open/>` needs 5, a SASL element 3, the bind request 6).
pub const PREAUTH_MAX_NODES: usize = 256;

/// Parse limits once the stream is bound: `max_stanza_size` bytes of input and of text,
/// the parser's default depth, attribute and node budgets.
pub(crate) fn stanza_limits(config: &WsConfig) -> ParseLimits {
    let max_bytes = config
        .max_stanza_size
        .map_or(FRAME_HARD_LIMIT, |n| n.min(FRAME_HARD_LIMIT));
    ParseLimits {
        max_bytes,
        max_text: max_bytes,
        ..ParseLimits::default()
    }
}

/// Parse limits before the stream is bound.
pub(crate) fn preauth_limits(config: &WsConfig) -> ParseLimits {
    let bound = stanza_limits(config);
    let max_bytes = bound.max_bytes.min(PREAUTH_FRAME_LIMIT);
    ParseLimits {
        max_bytes,
        max_text: max_bytes,
        max_nodes: bound.max_nodes.min(PREAUTH_MAX_NODES),
        ..bound
    }
}

/// A fragmented message being reassembled (RFC 6455 5.4).
enum Fragments {
    None,
    Text(Vec<u8>),
    /// Binary messages carry no XMPP (RFC 7395 3.2): their fragments are skipped.
    Binary,
}

/// What one continuation frame completes.
enum Reassembled {
    /// More fragments to come, or a binary message.
    Nothing,
    /// A complete text message.
    Text(Vec<u8>),
    /// The message is over the limit.
    TooBig,
}

impl Fragments {
    fn push(&mut self, item: Item, limit: usize) -> Reassembled {
        let (bytes, last) = match item {
            Item::FirstText(b) => {
                *self = Fragments::Text(Vec::new());
                (b, false)
            }
            Item::FirstBinary(_) => {
                *self = Fragments::Binary;
                return Reassembled::Nothing;
            }
            Item::Continue(b) => (b, false),
            Item::Last(b) => (b, true),
        };
        let Fragments::Text(buf) = self else {
            // Fragments of a binary message (the decoder refuses a continuation
            // without a first frame).
            if last {
                *self = Fragments::None;
            }
            return Reassembled::Nothing;
        };
        if buf.len().saturating_add(bytes.len()) > limit {
            *self = Fragments::None;
            return Reassembled::TooBig;
        }
        buf.extend_from_slice(&bytes);
        if !last {
            return Reassembled::Nothing;
        }
        match std::mem::replace(self, Fragments::None) {
            Fragments::Text(text) => Reassembled::Text(text),
            _ => Reassembled::Nothing,
        }
    }
}

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
    frame_limit: FrameLimit,
) {
    let info = ConnInfo {
        connection: "websocket",
        ip: peer.map(|p| p.ip()),
        port: peer.map_or(0, |p| p.port()),
        state_timeout: config.state_timeout,
        backwards_compatible_session: config.backwards_compatible_session,
    };
    let mut c2s = C2s::new(server.clone(), info);
    let mut mailbox: Option<Mailbox> = None;
    let mut framing = Framing::BeforeOpen;
    let mut limits = preauth_limits(&config);
    frame_limit.set(limits.max_bytes);
    let mut bound = false;
    let mut fragments = Fragments::None;
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
                    Some(Ok(Message::Continuation(item))) => match fragments.push(item, limits.max_bytes) {
                        Reassembled::Nothing => {}
                        Reassembled::Text(text) => {
                            server.metrics().websocket_received_bytes.add(text.len() as u64);
                            if !handle_frame(&mut c2s, &mut framing, &text, &limits).await {
                                break;
                            }
                            // Fragmented messages are shaped like whole ones.
                            read_resume = c2s.shape(text.len()).map(|p| Instant::now() + p);
                        }
                        Reassembled::TooBig => close_reason = Some(too_big(&mut c2s, &framing).await),
                    },
                    Some(Ok(Message::Ping(data))) => {
                        if session.pong(&data).await.is_err() {
                            break;
                        }
                    }
                    Some(Ok(Message::Close(_))) => {
                        c2s.terminate().await;
                        break;
                    }
                    // Binary and pong frames carry no XMPP (RFC 7395 3.2).
                    Some(Ok(_)) => {}
                    Some(Err(ProtocolError::Overflow)) => {
                        close_reason = Some(too_big(&mut c2s, &framing).await);
                    }
                    Some(Err(_)) if frame_limit.tripped() => {
                        close_reason = Some(too_big(&mut c2s, &framing).await);
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
        if !bound && c2s.jid().is_some() {
            // Bound: stanzas may now be as large as max_stanza_size.
            bound = true;
            limits = stanza_limits(&config);
            frame_limit.set(limits.max_bytes);
        }
        if !flush(&server, &mut c2s, &mut session, mailbox.as_ref()).await {
            break;
        }
        if c2s.is_closed() || close_reason.is_some() {
            break;
        }
    }
    // A dropped socket: the core broadcasts unavailable presence and unregisters.
    c2s.terminate().await;
    // A client that does not read would hold the close frame forever.
    let _ = tokio::time::timeout(
        CLOSING_WRITE_TIMEOUT,
        session.close(close_reason.or(Some(CloseReason {
            code: CloseCode::Normal,
            description: None,
        }))),
    )
    .await;
}

/// A message over the limit: a `policy-violation` stream error once the stream is open,
/// and the close code for the socket.
async fn too_big(c2s: &mut C2s, framing: &Framing) -> CloseReason {
    tracing::debug!("websocket message over the size limit");
    if *framing == Framing::Open {
        c2s.stream_error(cond_stream::POLICY_VIOLATION, Some("stanza too big"))
            .await;
    }
    CloseReason {
        code: CloseCode::Size,
        description: None,
    }
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}

async fn recv(mailbox: &mut Option<Mailbox>) -> Option<Routed> {
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
                ParseError::TooMuchText { .. } => {
                    (cond_stream::POLICY_VIOLATION, Some("stanza too big"))
                }
                ParseError::TooManyNodes { .. } => {
                    (cond_stream::POLICY_VIOLATION, Some("too many XML nodes"))
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

/// How long the last frames of an ended session (its stream error, the close frame) may
/// wait for a client that does not read.
const CLOSING_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a frame was not written.
enum Unsent {
    /// A kick, a replacement or an overflow is waiting in the mailbox: handle it first.
    Control,
    /// The socket is gone (or, once the stream has ended, the client did not read).
    Dead,
}

/// Writes every pending output, one frame each. False when the socket is gone.
///
/// A client that does not read makes the write wait. Meanwhile the session's mailbox fills
/// up until it overflows, or an administrator kicks the session: either puts a control item
/// in the mailbox, which interrupts the wait. What was not written goes back to the core
/// ([`C2s::unsent`]), which routes the stanzas again when the session ends.
async fn flush(
    server: &Server,
    c2s: &mut C2s,
    session: &mut Session,
    mailbox: Option<&Mailbox>,
) -> bool {
    let closing = c2s.is_closed();
    let mut outputs = c2s.take_output().into_iter();
    while let Some(out) = outputs.next() {
        let text = render(&out);
        let len = text.len() as u64;
        let result = if closing {
            match tokio::time::timeout(CLOSING_WRITE_TIMEOUT, session.text(text)).await {
                Ok(Ok(())) => Ok(()),
                _ => Err(Unsent::Dead),
            }
        } else {
            let control = async {
                match mailbox {
                    Some(m) => m.control().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = control => Err(Unsent::Control),
                sent = session.text(text) => sent.map_err(|_| Unsent::Dead),
            }
        };
        match result {
            Ok(()) => server.metrics().websocket_sent_bytes.add(len),
            Err(why) => {
                let rest: Vec<Output> = std::iter::once(out).chain(outputs).collect();
                c2s.unsent(rest).await;
                return match why {
                    Unsent::Control => true,
                    Unsent::Dead => {
                        c2s.terminate().await;
                        false
                    }
                };
            }
        }
    }
    true
}
