//! A minimal RFC 7395 client for tests: real WebSocket, real SASL, no shortcuts.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::{SinkExt, StreamExt};
use meerkat_xmpp::scram::{ScramClient, ScramHash};
use meerkat_xmpp::{Element, ParseLimits, ns};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the server sent.
#[derive(Debug)]
pub enum Frame {
    /// One element.
    El(Element),
    /// The socket closed.
    Closed,
}

pub struct WsClient {
    ws: Ws,
    /// Protocol echoed by the server.
    pub protocol: Option<String>,
    /// Bound JID after login.
    pub jid: String,
}

pub const WAIT: Duration = Duration::from_secs(5);

impl WsClient {
    pub async fn connect(url: &str) -> WsClient {
        Self::connect_with(url, true).await
    }

    pub async fn connect_with(url: &str, offer_xmpp: bool) -> WsClient {
        let mut req = url.into_client_request().unwrap();
        if offer_xmpp {
            req.headers_mut()
                .insert("sec-websocket-protocol", "xmpp".parse().unwrap());
        }
        let cfg = WebSocketConfig::default().read_buffer_size(4096);
        let (ws, resp) = tokio_tungstenite::connect_async_with_config(req, Some(cfg), false)
            .await
            .expect("ws connect");
        let protocol = resp
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap().to_owned());
        WsClient {
            ws,
            protocol,
            jid: String::new(),
        }
    }

    pub async fn send(&mut self, xml: &str) {
        self.ws.send(Message::text(xml)).await.expect("ws send");
    }

    /// Sends any WebSocket message; false when the connection is gone.
    pub async fn send_message(&mut self, msg: Message) -> bool {
        self.ws.send(msg).await.is_ok()
    }

    /// The next frame (element or close), skipping pings.
    pub async fn next(&mut self) -> Frame {
        self.next_within(WAIT)
            .await
            .expect("no frame within the timeout")
    }

    pub async fn next_within(&mut self, wait: Duration) -> Option<Frame> {
        loop {
            let msg = match tokio::time::timeout(wait, self.ws.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) => return Some(Frame::Closed),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Text(t) => {
                    let el = Element::parse_str(t.as_str(), &ParseLimits::default())
                        .unwrap_or_else(|e| panic!("server sent bad XML {t}: {e}"));
                    return Some(Frame::El(el));
                }
                Message::Close(_) => return Some(Frame::Closed),
                _ => {}
            }
        }
    }

    /// The next element; panics on close.
    pub async fn recv(&mut self) -> Element {
        match self.next().await {
            Frame::El(el) => el,
            Frame::Closed => panic!("connection closed while waiting for an element"),
        }
    }

    /// Receives until an element matching `pred` arrives (others are dropped).
    pub async fn recv_until(&mut self, pred: impl Fn(&Element) -> bool) -> Element {
        loop {
            let el = self.recv().await;
            if pred(&el) {
                return el;
            }
        }
    }

    /// Whether nothing arrives within `wait`.
    pub async fn silent_for(&mut self, wait: Duration) -> Option<Element> {
        match self.next_within(wait).await {
            Some(Frame::El(el)) => Some(el),
            _ => None,
        }
    }

    /// Expects a stream error with `condition`, then `<close/>`, then the socket closing.
    pub async fn expect_stream_error(&mut self, condition: &str) {
        let err = self.recv_until(|e| e.is("error", ns::STREAM)).await;
        assert!(
            err.has_child(condition, "urn:ietf:params:xml:ns:xmpp-streams"),
            "expected {condition}, got {err}"
        );
        let close = self.recv().await;
        assert!(
            close.is("close", ns::FRAMING),
            "expected <close/>, got {close}"
        );
        self.expect_closed().await;
    }

    pub async fn expect_closed(&mut self) {
        if let Frame::El(el) = self.next().await {
            panic!("expected the socket to close, got {el}");
        }
    }

    pub async fn open(&mut self, domain: &str) -> Element {
        self.send(&format!(
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{domain}' version='1.0'/>"
        ))
        .await;
        let open = self.recv().await;
        assert!(open.is("open", ns::FRAMING), "{open}");
        self.recv().await // features or error
    }

    /// Connects over a socket with a small receive buffer: a client that stops reading
    /// soon makes the server's writes wait.
    pub async fn connect_small_buffer(url: &str) -> WsClient {
        let mut req = url.into_client_request().unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", "xmpp".parse().unwrap());
        let host = req.uri().host().unwrap().to_owned();
        let port = req.uri().port_u16().unwrap();
        let addr: std::net::SocketAddr = format!("{host}:{port}").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.expect("tcp connect");
        let cfg = WebSocketConfig::default().read_buffer_size(4096);
        let (ws, _) = tokio_tungstenite::client_async_with_config(
            req,
            tokio_tungstenite::MaybeTlsStream::Plain(stream),
            Some(cfg),
        )
        .await
        .expect("ws connect");
        WsClient {
            ws,
            protocol: Some("xmpp".to_owned()),
            jid: String::new(),
        }
    }

    /// SCRAM-SHA-256 login, bind (resource or generated), initial presence not sent.
    pub async fn login(
        url: &str,
        user: &str,
        domain: &str,
        password: &str,
        resource: Option<&str>,
    ) -> WsClient {
        let c = WsClient::connect(url).await;
        Self::login_on(c, user, domain, password, resource).await
    }

    /// [`WsClient::login`] on a connected client.
    pub async fn login_on(
        mut c: WsClient,
        user: &str,
        domain: &str,
        password: &str,
        resource: Option<&str>,
    ) -> WsClient {
        let features = c.open(domain).await;
        assert!(features.is("features", ns::STREAM), "{features}");
        let mut scram = ScramClient::new(ScramHash::Sha256, user, password);
        let first = B64.encode(scram.client_first());
        c.send(&format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>{first}</auth>")).await;
        let challenge = c.recv().await;
        assert!(challenge.is("challenge", ns::SASL), "{challenge}");
        let server_first = B64.decode(challenge.text()).unwrap();
        let fin = B64.encode(scram.client_final(&server_first).unwrap());
        c.send(&format!(
            "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{fin}</response>"
        ))
        .await;
        let success = c.recv().await;
        assert!(
            success.is("success", ns::SASL),
            "login of {user} failed: {success}"
        );
        scram
            .verify_server_final(&B64.decode(success.text()).unwrap())
            .expect("server signature");
        let features = c.open(domain).await;
        assert!(features.has_child("bind", ns::BIND), "{features}");
        let res = resource
            .map(|r| format!("<resource>{r}</resource>"))
            .unwrap_or_default();
        c.send(&format!("<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>{res}</bind></iq>")).await;
        let bound = c.recv().await;
        assert_eq!(bound.attr("type"), Some("result"), "{bound}");
        c.jid = bound
            .get_child("bind", ns::BIND)
            .unwrap()
            .get_child("jid", ns::BIND)
            .unwrap()
            .text();
        c
    }

    /// Sends initial presence and reads it back (the server echoes it to the sender).
    pub async fn available(&mut self) {
        self.send("<presence xmlns='jabber:client'/>").await;
        let jid = self.jid.clone();
        self.recv_until(|e| {
            e.name() == "presence"
                && e.attr("from") == Some(jid.as_str())
                && e.attr("type").is_none()
        })
        .await;
    }

    pub async fn close(mut self) {
        self.send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>")
            .await;
        let _ = tokio::time::timeout(WAIT, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }

    /// Drops the TCP connection without any closing handshake.
    pub fn drop_socket(self) {
        drop(self.ws);
    }
}
