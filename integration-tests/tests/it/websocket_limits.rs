//! WebSocket input limits against the real server: the small limit before the stream is
//! bound, `max_stanza_size` after, the XML node budget, frames refused from their header,
//! and fragmented (continuation) messages reassembled within the same limits.

use crate::common::{LOCALHOST_HTTP, TestServer, WS_HANDLER};
use crate::ws_client::{WAIT, WsClient};
use meerkat_xmpp::{Element, ParseLimits, ns};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WsFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

const OPEN: &str =
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";

struct Env {
    server: TestServer,
    url: String,
}

async fn env(ws_options: &str, users: &[&str]) -> Env {
    let server = TestServer::start(&format!(
        "{LOCALHOST_HTTP}{WS_HANDLER}{ws_options}\n[modules.mod_presence]\n"
    ))
    .await;
    server.register_users(users).await;
    Env {
        url: server.ws_url(0),
        server,
    }
}

impl Env {
    async fn login(&self, user: &str) -> WsClient {
        let mut c =
            WsClient::login(&self.url, user, "localhost", &format!("{user}-pw"), None).await;
        c.available().await;
        c
    }
}

/// A chat message to `to` whose body is `len` bytes of `x`.
fn message(to: &str, len: usize) -> String {
    format!(
        "<message xmlns='jabber:client' to='{to}' type='chat'><body>{}</body></message>",
        "x".repeat(len)
    )
}

/// Expects a `policy-violation` stream error (with `text`, if given), `<close/>` and
/// the socket closing.
async fn expect_policy_violation(c: &mut WsClient, text: Option<&str>) {
    let err = c.recv_until(|e| e.is("error", ns::STREAM)).await;
    assert!(
        err.has_child("policy-violation", "urn:ietf:params:xml:ns:xmpp-streams"),
        "{err}"
    );
    if let Some(text) = text {
        let got = err
            .get_child("text", "urn:ietf:params:xml:ns:xmpp-streams")
            .map(|t| t.text());
        assert_eq!(got.as_deref(), Some(text), "{err}");
    }
    let close = c.recv().await;
    assert!(close.is("close", ns::FRAMING), "{close}");
    c.expect_closed().await;
}

/// Sends `text` as one fragmented text message, in `parts` frames.
async fn send_fragmented(c: &mut WsClient, text: &str, parts: usize) {
    let bytes = text.as_bytes();
    let step = bytes.len().div_ceil(parts);
    let chunks: Vec<&[u8]> = bytes.chunks(step).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let last = i + 1 == chunks.len();
        assert!(
            c.send_message(Message::Frame(WsFrame::message(
                chunk.to_vec(),
                opcode,
                last
            )))
            .await,
            "connection gone while sending fragments"
        );
        if i == 0 {
            // A control frame between fragments is allowed (RFC 6455 5.4).
            assert!(c.send_message(Message::Ping(b"p".to_vec().into())).await);
        }
    }
}

#[actix_rt::test]
async fn a_large_frame_before_binding_is_refused() {
    let e = env("", &[]).await;
    // After <open/>: a 20 KiB SASL element is over the 16 KiB limit before binding.
    let mut c = WsClient::connect(&e.url).await;
    c.open("localhost").await;
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{}</auth>",
        "QUFB".repeat(5 * 1024)
    ))
    .await;
    expect_policy_violation(&mut c, Some("stanza too big")).await;
    // Just under the limit it is an ordinary (failed) SASL attempt.
    let mut c = WsClient::connect(&e.url).await;
    c.open("localhost").await;
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{}</auth>",
        "QUFB".repeat(3 * 1024)
    ))
    .await;
    let answer = c.recv().await;
    assert!(answer.is("failure", ns::SASL), "{answer}");
    // Before <open/> there is no stream to carry an error: the socket just closes.
    let mut c = WsClient::connect(&e.url).await;
    c.send(&format!(
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0' x='{}'/>",
        "y".repeat(20_000)
    ))
    .await;
    c.expect_closed().await;
    e.server.stop().await;
}

#[actix_rt::test]
async fn a_node_dense_frame_before_binding_is_refused() {
    let e = env("", &[]).await;
    // 3,000 elements in 12 KiB: under the byte limit, over the 256-node budget.
    let mut c = WsClient::connect(&e.url).await;
    c.open("localhost").await;
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{}</auth>",
        "<a/>".repeat(3_000)
    ))
    .await;
    expect_policy_violation(&mut c, Some("too many XML nodes")).await;
    e.server.stop().await;
}

#[actix_rt::test]
async fn bound_streams_take_stanzas_up_to_max_stanza_size() {
    // The default max_stanza_size is 65536.
    let e = env("", &["alice", "bob"]).await;
    let mut alice = e.login("alice").await;
    let mut bob = e.login("bob").await;
    // 40 KiB: over the limit before binding, within max_stanza_size after.
    alice.send(&message("bob@localhost", 40 * 1024)).await;
    let got = bob.recv_until(|e| e.name() == "message").await;
    assert_eq!(
        got.get_child("body", ns::CLIENT).unwrap().text().len(),
        40 * 1024
    );
    // 70 KiB: over the default max_stanza_size.
    alice.send(&message("bob@localhost", 70 * 1024)).await;
    expect_policy_violation(&mut alice, Some("stanza too big")).await;
    assert_eq!(bob.silent_for(Duration::from_millis(300)).await, None);
    e.server.stop().await;
}

#[actix_rt::test]
async fn the_node_budget_holds_after_binding() {
    let e = env("max_stanza_size = 1048576", &["alice", "bob"]).await;
    let mut alice = e.login("alice").await;
    let mut bob = e.login("bob").await;
    // 100,000 tiny elements: 400 KB, within max_stanza_size, over the node budget.
    alice
        .send(&format!(
            "<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>x</body>{}</message>",
            "<a/>".repeat(100_000)
        ))
        .await;
    expect_policy_violation(&mut alice, Some("too many XML nodes")).await;
    assert_eq!(bob.silent_for(Duration::from_millis(300)).await, None);
    e.server.stop().await;
}

#[actix_rt::test]
async fn fragmented_messages_are_reassembled() {
    let e = env("", &["alice", "bob"]).await;
    // Before binding: a fragmented <open/>.
    let mut c = WsClient::connect(&e.url).await;
    send_fragmented(&mut c, OPEN, 3).await;
    let open = c.recv().await;
    assert!(open.is("open", ns::FRAMING), "{open}");
    assert!(c.recv().await.is("features", ns::STREAM));
    // After binding: a 30 KiB message in 4 fragments, each under the pre-binding limit
    // but together over it, arrives whole.
    let mut alice = e.login("alice").await;
    let mut bob = e.login("bob").await;
    send_fragmented(&mut alice, &message("bob@localhost", 30 * 1024), 4).await;
    let got = bob.recv_until(|e| e.name() == "message").await;
    assert_eq!(
        got.get_child("body", ns::CLIENT).unwrap().text().len(),
        30 * 1024
    );
    // The session goes on: an ordinary message after it.
    alice.send(&message("bob@localhost", 5)).await;
    let got = bob.recv_until(|e| e.name() == "message").await;
    assert_eq!(got.get_child("body", ns::CLIENT).unwrap().text(), "xxxxx");
    e.server.stop().await;
}

#[actix_rt::test]
async fn a_fragmented_message_over_the_limit_is_refused() {
    let e = env("max_stanza_size = 1000", &["alice", "bob"]).await;
    let mut alice = e.login("alice").await;
    let mut bob = e.login("bob").await;
    // Three fragments of about 400 bytes: each fits, together they do not.
    send_fragmented(&mut alice, &message("bob@localhost", 1100), 3).await;
    expect_policy_violation(&mut alice, Some("stanza too big")).await;
    assert_eq!(bob.silent_for(Duration::from_millis(300)).await, None);
    e.server.stop().await;
    // Before binding, with the default limits: 3 fragments of 8 KiB.
    let e = env("", &[]).await;
    let mut c = WsClient::connect(&e.url).await;
    c.open("localhost").await;
    let auth = format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{}</auth>",
        "QUFB".repeat(6 * 1024)
    );
    send_fragmented(&mut c, &auth, 3).await;
    expect_policy_violation(&mut c, Some("stanza too big")).await;
    e.server.stop().await;
}

/// A WebSocket client on a bare TCP socket, to send frames no WebSocket library
/// sends: a header that declares more payload than follows.
struct RawWs(TcpStream);

impl RawWs {
    async fn connect(url: &str) -> RawWs {
        let addr = url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .unwrap();
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"GET /ws-xmpp HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
              Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
              Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n",
        )
        .await
        .unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(s.read_u8().await.unwrap());
        }
        assert!(head.starts_with(b"HTTP/1.1 101"), "{head:?}");
        RawWs(s)
    }

    /// A masked (zero mask) text frame header declaring `len` bytes.
    fn header(len: u64) -> Vec<u8> {
        let mut h = vec![0x81, 0x80 | 127];
        h.extend_from_slice(&len.to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 0]);
        h
    }

    async fn send_text(&mut self, text: &str) {
        let mut f = Self::header(text.len() as u64);
        f.extend_from_slice(text.as_bytes());
        self.0.write_all(&f).await.unwrap();
    }

    /// The next server frame: `Some(text)` for a text frame, `None` for close or EOF.
    async fn recv(&mut self) -> Option<String> {
        let mut h = [0u8; 2];
        self.0.read_exact(&mut h).await.ok()?;
        let len = match h[1] & 0x7f {
            126 => u64::from(self.0.read_u16().await.ok()?),
            127 => self.0.read_u64().await.ok()?,
            n => u64::from(n),
        };
        let mut payload = vec![0; usize::try_from(len).unwrap()];
        self.0.read_exact(&mut payload).await.ok()?;
        match h[0] & 0x0f {
            1 => Some(String::from_utf8(payload).unwrap()),
            8 => None,
            _ => Box::pin(self.recv()).await,
        }
    }

    async fn recv_element(&mut self) -> Option<Element> {
        let text = tokio::time::timeout(WAIT, self.recv())
            .await
            .expect("no frame within the timeout")?;
        Some(Element::parse_str(&text, &ParseLimits::default()).unwrap())
    }
}

#[actix_rt::test]
async fn an_oversized_frame_is_refused_from_its_header() {
    let e = env("", &["alice"]).await;
    let mut c = RawWs::connect(&e.url).await;
    c.send_text(OPEN).await;
    assert!(c.recv_element().await.unwrap().is("open", ns::FRAMING));
    assert!(c.recv_element().await.unwrap().is("features", ns::STREAM));
    // A header declaring 1 GiB, and only 64 KiB of it: the server answers at once,
    // without waiting for (and buffering) the rest.
    let mut f = RawWs::header(1 << 30);
    f.extend(std::iter::repeat_n(b'x', 64 * 1024));
    c.0.write_all(&f).await.unwrap();
    let err = c.recv_element().await.expect("a stream error");
    assert!(err.is("error", ns::STREAM), "{err}");
    assert!(err.has_child("policy-violation", "urn:ietf:params:xml:ns:xmpp-streams"));
    let close = c.recv_element().await.expect("<close/>");
    assert!(close.is("close", ns::FRAMING));
    assert_eq!(tokio::time::timeout(WAIT, c.recv()).await.unwrap(), None);
    // <open/> and an oversized header in one write: the server handles the <open/>
    // that precedes the frame, then refuses the frame.
    let mut c = RawWs::connect(&e.url).await;
    let mut f = RawWs::header(OPEN.len() as u64);
    f.extend_from_slice(OPEN.as_bytes());
    f.extend(RawWs::header(1 << 30));
    f.extend(std::iter::repeat_n(b'x', 1024));
    c.0.write_all(&f).await.unwrap();
    assert!(c.recv_element().await.unwrap().is("open", ns::FRAMING));
    assert!(c.recv_element().await.unwrap().is("features", ns::STREAM));
    let err = c.recv_element().await.expect("a stream error");
    assert!(
        err.has_child("policy-violation", "urn:ietf:params:xml:ns:xmpp-streams"),
        "{err}"
    );
    assert!(
        c.recv_element()
            .await
            .expect("<close/>")
            .is("close", ns::FRAMING)
    );
    // The server still serves.
    let alice = e.login("alice").await;
    assert_eq!(alice.jid.split('/').next(), Some("alice@localhost"));
    e.server.stop().await;
}
