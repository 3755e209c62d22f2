//! A small XMPP-over-WebSocket client (RFC 7395): connect, SASL, bind, roster, presence.
//!
//! Built for many concurrent sessions: the tungstenite read buffer is 4 KiB (the default
//! is 128 KiB, allocated up front, see performance-anchors.md) and nothing is buffered on
//! the write side, so the client is not the memory hog of the benchmark machine.

use crate::scram::Scram;
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::{SinkExt, StreamExt};
use meerkat_xmpp::{Element, ParseLimits, ns};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// How long one step of a login may wait for the server's answer.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// SASL mechanism used to log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mechanism {
    /// SCRAM-SHA-256 (the client computes PBKDF2 with the server's iteration count).
    ScramSha256,
    /// PLAIN (the server computes PBKDF2 to check the password against its SCRAM keys).
    Plain,
}

impl Mechanism {
    /// The SASL name.
    pub fn sasl_name(self) -> &'static str {
        match self {
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::Plain => "PLAIN",
        }
    }
}

/// Where and as whom to log in.
pub struct Login<'a> {
    /// The server's WebSocket endpoint.
    pub server: SocketAddr,
    /// The HTTP path of the WebSocket handler.
    pub path: &'a str,
    /// Local address to connect from (spreads ephemeral ports over 127.0.0.x).
    pub source: IpAddr,
    /// XMPP domain.
    pub domain: &'a str,
    /// User name (node part).
    pub user: &'a str,
    /// Password.
    pub password: &'a str,
    /// SASL mechanism.
    pub mechanism: Mechanism,
    /// Get the roster before sending initial presence, as most clients do.
    pub roster: bool,
}

/// One logged-in session. Idle sessions are simply held: nobody polls the socket, and
/// the server sends nothing to an idle session with an empty roster and no ping_rate.
pub struct Session {
    ws: WebSocketStream<TcpStream>,
    /// The bound full JID.
    pub jid: String,
    /// What arrived while the login waited for the echo of its initial presence (offline
    /// messages, for instance).
    pub early: Vec<Element>,
}

impl Session {
    /// Logs in: `<open/>`, SASL, stream restart, bind, roster get (if asked), initial
    /// presence (and waits for its echo, so the session is fully available when this
    /// returns).
    pub async fn login(l: &Login<'_>) -> anyhow::Result<Session> {
        let socket = TcpSocket::new_v4()?;
        socket
            .bind(SocketAddr::new(l.source, 0))
            .with_context(|| format!("bind to {}", l.source))?;
        let tcp = socket.connect(l.server).await.context("TCP connect")?;
        // Small frames go out at once (no Nagle delay waiting for the peer's ACK).
        tcp.set_nodelay(true)?;
        let mut request = format!("ws://{}{}", l.server, l.path).into_client_request()?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "xmpp".parse()?);
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let (ws, response) =
            tokio_tungstenite::client_async_with_config(request, tcp, Some(config))
                .await
                .context("WebSocket handshake")?;
        if response.headers().get("sec-websocket-protocol").is_none() {
            bail!("the server did not accept the xmpp subprotocol");
        }
        let mut s = Session {
            ws,
            jid: String::new(),
            early: Vec::new(),
        };
        s.open(l.domain).await?;
        s.authenticate(l).await?;
        let features = s.open(l.domain).await?;
        if !features.has_child("bind", ns::BIND) {
            bail!("no resource binding offered: {features}");
        }
        s.send("<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
            .await?;
        let bound = s
            .recv_until(|e| e.name() == "iq" && e.attr("id") == Some("b"))
            .await?;
        let jid = bound
            .get_child("bind", ns::BIND)
            .and_then(|b| b.get_child("jid", ns::BIND))
            .map(Element::text)
            .ok_or_else(|| anyhow!("bind failed: {bound}"))?;
        if l.roster {
            s.send(
                "<iq xmlns='jabber:client' type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>",
            )
            .await?;
            let roster = s
                .recv_until(|e| e.name() == "iq" && e.attr("id") == Some("r"))
                .await?;
            if roster.attr("type") != Some("result") {
                bail!("roster get failed: {roster}");
            }
        }
        s.send("<presence xmlns='jabber:client'/>").await?;
        loop {
            let e = s.recv().await?;
            if e.name() == "presence"
                && e.attr("from") == Some(jid.as_str())
                && e.attr("type").is_none()
            {
                break;
            }
            s.early.push(e);
        }
        s.jid = jid;
        Ok(s)
    }

    /// The WebSocket, for a scenario that drives the session itself.
    pub fn into_ws(self) -> WebSocketStream<TcpStream> {
        self.ws
    }

    /// Ends the stream politely: `<close/>`, then the WebSocket close handshake. Once the
    /// server's close frame has arrived the socket is dropped, so the client closes TCP
    /// first instead of waiting for the server to do it.
    pub async fn close(mut self) {
        let _ = self
            .send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
            .await;
        let _ = tokio::time::timeout(Duration::from_secs(10), async {
            let _ = self.ws.close(None).await;
            while let Some(Ok(msg)) = self.ws.next().await {
                if msg.is_close() {
                    break;
                }
            }
        })
        .await;
    }

    async fn authenticate(&mut self, l: &Login<'_>) -> anyhow::Result<()> {
        match l.mechanism {
            Mechanism::Plain => {
                let data = B64.encode(meerkat_xmpp::sasl::encode_plain(l.user, l.password));
                self.send(&format!(
                    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{data}</auth>"
                ))
                .await?;
                let answer = self.recv().await?;
                if !answer.is("success", ns::SASL) {
                    bail!("PLAIN login of {} failed: {answer}", l.user);
                }
            }
            Mechanism::ScramSha256 => {
                let mut scram = Scram::new(l.user, l.password);
                let first = B64.encode(scram.client_first());
                self.send(&format!(
                    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>{first}</auth>"
                ))
                .await?;
                let challenge = self.recv().await?;
                if !challenge.is("challenge", ns::SASL) {
                    bail!("SCRAM login of {} failed: {challenge}", l.user);
                }
                let server_first = B64.decode(challenge.text().trim())?;
                let fin = B64.encode(scram.client_final(&server_first)?);
                self.send(&format!(
                    "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{fin}</response>"
                ))
                .await?;
                let success = self.recv().await?;
                if !success.is("success", ns::SASL) {
                    bail!("SCRAM login of {} failed: {success}", l.user);
                }
                scram.verify(&B64.decode(success.text().trim())?)?;
            }
        }
        Ok(())
    }

    /// Sends `<open/>`; returns the stream features that follow the server's `<open/>`.
    async fn open(&mut self, domain: &str) -> anyhow::Result<Element> {
        self.send(&format!(
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{domain}' version='1.0'/>"
        ))
        .await?;
        let open = self.recv().await?;
        if !open.is("open", ns::FRAMING) {
            bail!("expected <open/>, got {open}");
        }
        let features = self.recv().await?;
        if !features.is("features", ns::STREAM) {
            bail!("expected stream features, got {features}");
        }
        Ok(features)
    }

    pub(crate) async fn send(&mut self, xml: &str) -> anyhow::Result<()> {
        self.ws.send(Message::text(xml)).await?;
        Ok(())
    }

    /// The next element; a closed socket or a stream error is an error.
    async fn recv(&mut self) -> anyhow::Result<Element> {
        loop {
            let msg = tokio::time::timeout(STEP_TIMEOUT, self.ws.next())
                .await
                .map_err(|_| anyhow!("no answer within {STEP_TIMEOUT:?}"))?
                .ok_or_else(|| anyhow!("connection closed"))??;
            match msg {
                Message::Text(text) => {
                    let el = Element::parse_str(text.as_str(), &ParseLimits::default())?;
                    if el.is("error", ns::STREAM) || el.is("close", ns::FRAMING) {
                        bail!("the server ended the stream: {el}");
                    }
                    return Ok(el);
                }
                Message::Close(_) => bail!("connection closed"),
                _ => {}
            }
        }
    }

    pub(crate) async fn recv_until(
        &mut self,
        pred: impl Fn(&Element) -> bool,
    ) -> anyhow::Result<Element> {
        loop {
            let el = self.recv().await?;
            if pred(&el) {
                return Ok(el);
            }
        }
    }
}
