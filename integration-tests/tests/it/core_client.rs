//! Core-level test harness: a real `meerkat_core::Server` over a real SQLite store, and a
//! test client that drives `meerkat_core::c2s::C2s` the way a transport does (stream
//! open, elements in, outputs out, the session mailbox pumped through `handle_routed`).
//! No HTTP anywhere.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use meerkat_core::Server;
use meerkat_core::c2s::{C2s, ConnInfo, Input, Output, StreamOpen};
use meerkat_core::config::{Diagnostics, ServerConfig};
use meerkat_core::sm::Mailbox;
use meerkat_xmpp::scram::{ScramClient, ScramHash};
use meerkat_xmpp::{BareJid, Element, ParseLimits, ns};
use std::collections::VecDeque;
use std::time::Duration;

/// The served domain of the default config.
pub const DOMAIN: &str = "localhost";

/// Upper bound for waiting on a mailbox item. Routing is synchronous inside the core, so a
/// wait only ever ends early; hitting this bound means the expected stanza never came.
const WAIT: Duration = Duration::from_secs(5);

/// Every module the core implements, with roster versioning, and cheap SCRAM keys.
pub const FULL_CONFIG: &str = r#"
[general]
  hosts = ["localhost", "example.org"]
  default_server_domain = "localhost"

[auth.password]
  scram_iterations = 64

[modules.mod_roster]
  versioning = true
[modules.mod_presence]
[modules.mod_offline]
[modules.mod_disco]
[modules.mod_ping]
[modules.mod_vcard]
[modules.mod_private]
[modules.mod_last]
[modules.mod_carboncopy]
"#;

/// Reads a server config from TOML text; any config error fails the test.
pub fn config(toml_text: &str) -> ServerConfig {
    let root: toml::Table = toml_text.parse().expect("test config is valid TOML");
    let mut diag = Diagnostics::default();
    let cfg = ServerConfig::read(&root, &mut diag);
    assert!(diag.is_ok(), "test config rejected: {diag:?}");
    cfg
}

/// Parses one element written in the client namespace (`jabber:client` is the default
/// namespace, as on a c2s stream; children may declare their own).
pub fn xml(text: &str) -> Element {
    let wrapped = format!("<wrapper xmlns='jabber:client'>{text}</wrapper>");
    let mut w = Element::parse_str(&wrapped, &ParseLimits::default())
        .unwrap_or_else(|e| panic!("bad test XML {text:?}: {e}"));
    let mut children = w.take_children();
    assert_eq!(children.len(), 1, "test XML must hold one element: {text}");
    children.remove(0)
}

/// `<stream:error><condition/></stream:error>`.
pub fn stream_error(condition: &str) -> Element {
    Element::new("error", ns::STREAM).with_child(Element::new(condition, ns::STREAMS_ERR))
}

/// The `<condition/>` of a stanza error, with the error's `type`.
pub fn stanza_error(el: &Element) -> (String, String) {
    assert_eq!(el.attr("type"), Some("error"), "not an error: {el}");
    let error = el
        .get_child("error", ns::CLIENT)
        .unwrap_or_else(|| panic!("no <error/> in {el}"));
    let condition = error
        .children()
        .find(|c| c.ns() == ns::STANZAS && c.name() != "text")
        .unwrap_or_else(|| panic!("no condition in {el}"));
    (
        error.attr("type").unwrap_or_default().to_owned(),
        condition.name().to_owned(),
    )
}

/// A SASL element.
pub fn sasl(name: &str, mechanism: Option<&str>, data: Option<&[u8]>) -> Element {
    let mut el = Element::new(name, ns::SASL);
    if let Some(m) = mechanism {
        el.set_attr("mechanism", m);
    }
    if let Some(d) = data {
        el.append_text(if d.is_empty() {
            "=".to_owned()
        } else {
            B64.encode(d)
        });
    }
    el
}

/// The decoded text of a SASL `<challenge/>` or `<success/>`.
pub fn sasl_data(el: &Element) -> Vec<u8> {
    B64.decode(el.text().trim()).expect("SASL data is base64")
}

/// A server over a fresh store (SQLite file in a temporary directory, or its PostgreSQL
/// database with `MEERKAT_TEST_STORE=postgres`).
pub struct Harness {
    pub server: Server,
    config: String,
    dir: tempfile::TempDir,
}

impl Harness {
    /// With [`FULL_CONFIG`].
    pub async fn new() -> Harness {
        Harness::with_config(FULL_CONFIG).await
    }

    /// With the given TOML config.
    pub async fn with_config(toml_text: &str) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::common::test_store(dir.path()).await;
        let server = Server::new(config(toml_text), store);
        Harness {
            server,
            config: toml_text.to_owned(),
            dir,
        }
    }

    /// With the given TOML config read with another module registry (a test module).
    pub async fn with_modules(
        toml_text: &str,
        registry: &[meerkat_core::module::ModuleDescriptor],
    ) -> Harness {
        let root: toml::Table = toml_text.parse().expect("test config is valid TOML");
        let mut diag = Diagnostics::default();
        let cfg = ServerConfig::read_with_modules(&root, registry, &mut diag);
        assert!(diag.is_ok(), "test config rejected: {diag:?}");
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::common::test_store(dir.path()).await;
        Harness {
            server: Server::new(cfg, store),
            config: toml_text.to_owned(),
            dir,
        }
    }

    /// A new server process over the same data directory (sessions are gone, stored data
    /// stays). The old server must have no sessions left.
    pub async fn restart(self) -> Harness {
        let Harness {
            server,
            config: text,
            dir,
        } = self;
        assert_eq!(server.sm().count(), 0, "sessions still open");
        drop(server);
        let store = crate::common::test_store(dir.path()).await;
        let server = Server::new(config(&text), store);
        Harness {
            server,
            config: text,
            dir,
        }
    }

    /// Registers `name@localhost` with `password`.
    pub async fn user(&self, name: &str, password: &str) -> BareJid {
        let jid = BareJid::new(&format!("{name}@{DOMAIN}")).expect("valid JID");
        self.server
            .register_user(&jid, password)
            .await
            .expect("user registered");
        jid
    }

    /// A connection with default transport settings.
    pub fn client(&self) -> Client {
        self.client_with(conn_info())
    }

    /// A connection with the given transport settings.
    pub fn client_with(&self, info: ConnInfo) -> Client {
        Client::new(C2s::new(self.server.clone(), info))
    }

    /// A session of `user` (password "pw") bound to `resource`, without presence sent.
    pub async fn login(&self, user: &str, resource: &str) -> Client {
        let mut c = self.client();
        c.login_plain(user, "pw", resource).await;
        c
    }

    /// [`Harness::login`], then initial presence; the presence echo and anything else
    /// that arrived at login is drained.
    pub async fn online(&self, user: &str, resource: &str) -> Client {
        let mut c = self.login(user, resource).await;
        c.send("<presence/>").await;
        c.drain().await;
        c
    }
}

/// Transport settings as the WebSocket handler's defaults would give.
pub fn conn_info() -> ConnInfo {
    ConnInfo {
        connection: "websocket",
        ip: None,
        port: 0,
        state_timeout: None,
        backwards_compatible_session: true,
    }
}

/// Drives one [`C2s`] as a transport would.
pub struct Client {
    pub c2s: C2s,
    mailbox: Option<Mailbox>,
    pending: VecDeque<Output>,
    next_id: u32,
}

impl Client {
    pub fn new(c2s: C2s) -> Client {
        Client {
            c2s,
            mailbox: None,
            pending: VecDeque::new(),
            next_id: 0,
        }
    }

    /// Feeds one input; its outputs are queued for `next_output`/`recv`.
    pub async fn input(&mut self, input: Input) {
        self.c2s.handle(input).await;
        self.collect();
    }

    fn collect(&mut self) {
        self.pending.extend(self.c2s.take_output());
        if self.mailbox.is_none() {
            self.mailbox = self.c2s.take_mailbox();
        }
    }

    /// Feeds one input and returns everything output so far (mailbox not pumped).
    pub async fn feed(&mut self, input: Input) -> Vec<Output> {
        self.input(input).await;
        self.pending.drain(..).collect()
    }

    /// Opens (or restarts) the stream to `to` with version 1.0.
    pub async fn open(&mut self, to: &str) -> Vec<Output> {
        self.feed(Input::Open(StreamOpen {
            to: Some(to.to_owned()),
            version: Some("1.0".to_owned()),
            lang: Some("en".to_owned()),
        }))
        .await
    }

    /// Sends an element given as XML in the client namespace.
    pub async fn send(&mut self, text: &str) {
        self.send_el(xml(text)).await;
    }

    /// Sends an element.
    pub async fn send_el(&mut self, el: Element) {
        self.input(Input::Element(el)).await;
    }

    /// A fresh stanza id.
    pub fn id(&mut self) -> String {
        self.next_id += 1;
        format!("t{}", self.next_id)
    }

    /// Moves every item already queued in the mailbox through `handle_routed`.
    pub async fn pump(&mut self) {
        self.collect();
        loop {
            let item = match self.mailbox.as_mut().map(|m| m.try_recv()) {
                Some(Some(item)) => item,
                _ => break,
            };
            self.c2s.handle_routed(item).await;
            self.collect();
        }
    }

    /// The next output, waiting (bounded) for a mailbox item if none is queued.
    pub async fn next_output(&mut self) -> Output {
        loop {
            if let Some(o) = self.pending.pop_front() {
                return o;
            }
            let mailbox = self
                .mailbox
                .as_mut()
                .expect("nothing output and no mailbox to wait on");
            let item = tokio::time::timeout(WAIT, mailbox.recv())
                .await
                .expect("timed out waiting for a routed item")
                .expect("mailbox closed");
            self.c2s.handle_routed(item).await;
            self.collect();
        }
    }

    /// The next element output.
    pub async fn recv(&mut self) -> Element {
        match self.next_output().await {
            Output::Element(el) => el,
            other => panic!("expected an element, got {other:?}"),
        }
    }

    /// Receives until an element matches `pred`; returns it and what came before it.
    pub async fn recv_until(
        &mut self,
        mut pred: impl FnMut(&Element) -> bool,
    ) -> (Element, Vec<Element>) {
        let mut skipped = Vec::new();
        loop {
            let el = self.recv().await;
            if pred(&el) {
                return (el, skipped);
            }
            skipped.push(el);
        }
    }

    /// Everything output or routed to the session so far, without waiting.
    pub async fn drain(&mut self) -> Vec<Output> {
        self.pump().await;
        self.pending.drain(..).collect()
    }

    /// Elements output or routed so far, without waiting; panics on Open/Close.
    pub async fn drain_elements(&mut self) -> Vec<Element> {
        self.drain()
            .await
            .into_iter()
            .map(|o| match o {
                Output::Element(el) => el,
                other => panic!("expected only elements, got {other:?}"),
            })
            .collect()
    }

    /// Asserts nothing was output or routed to the session.
    pub async fn expect_nothing(&mut self) {
        let got = self.drain().await;
        assert!(got.is_empty(), "expected nothing, got {got:#?}");
    }

    /// Sends an IQ (its `id` is set here) and returns the reply with that id; other
    /// elements that arrive first are returned too.
    pub async fn iq_with(&mut self, text: &str) -> (Element, Vec<Element>) {
        let mut el = xml(text);
        assert_eq!(el.name(), "iq");
        let id = self.id();
        el.set_attr("id", id.as_str());
        self.send_el(el).await;
        self.recv_until(|e| {
            e.name() == "iq"
                && e.attr("id") == Some(id.as_str())
                && matches!(e.attr("type"), Some("result" | "error"))
        })
        .await
    }

    /// [`Client::iq_with`], asserting nothing else came first.
    pub async fn iq(&mut self, text: &str) -> Element {
        let (reply, before) = self.iq_with(text).await;
        assert!(
            before.is_empty(),
            "unexpected before the reply: {before:#?}"
        );
        reply
    }

    /// Opens the stream and reads the features.
    pub async fn open_features(&mut self) -> Element {
        let out = self.open(DOMAIN).await;
        assert!(
            matches!(&out[0], Output::Open { from, .. } if from == DOMAIN),
            "{out:?}"
        );
        match &out[..] {
            [_, Output::Element(f)] => f.clone(),
            other => panic!("expected open and features, got {other:?}"),
        }
    }

    /// PLAIN authentication; returns the server's answer.
    pub async fn auth_plain(&mut self, user: &str, password: &str) -> Element {
        let data = meerkat_xmpp::sasl::encode_plain(user, password);
        self.send_el(sasl("auth", Some("PLAIN"), Some(&data))).await;
        self.recv().await
    }

    /// A SCRAM exchange; `Ok` when the server accepted and its signature verified,
    /// `Err(answer)` with the server's failure otherwise.
    pub async fn auth_scram(
        &mut self,
        hash: ScramHash,
        user: &str,
        password: &str,
    ) -> Result<(), Element> {
        let mut scram = ScramClient::new(hash, user, password);
        let first = scram.client_first();
        self.send_el(sasl("auth", Some(hash.mechanism()), Some(&first)))
            .await;
        let challenge = self.recv().await;
        if !challenge.is("challenge", ns::SASL) {
            return Err(challenge);
        }
        let fin = scram
            .client_final(&sasl_data(&challenge))
            .expect("server-first is valid");
        self.send_el(sasl("response", None, Some(&fin))).await;
        let answer = self.recv().await;
        if !answer.is("success", ns::SASL) {
            return Err(answer);
        }
        scram
            .verify_server_final(&sasl_data(&answer))
            .expect("server signature verifies");
        Ok(())
    }

    /// Restarts the stream after SASL success and binds `resource` ("" = server's choice);
    /// returns the bound JID.
    pub async fn restart_and_bind(&mut self, resource: &str) -> String {
        let features = self.open_features().await;
        assert!(features.has_child("bind", ns::BIND), "{features}");
        let bind = if resource.is_empty() {
            "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
                .to_owned()
        } else {
            format!(
                "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                 <resource>{resource}</resource></bind></iq>"
            )
        };
        self.send(&bind).await;
        let reply = self.recv().await;
        assert_eq!(reply.attr("type"), Some("result"), "{reply}");
        assert_eq!(reply.attr("id"), Some("bind1"));
        let jid = reply
            .get_child("bind", ns::BIND)
            .and_then(|b| b.get_child("jid", ns::BIND))
            .map(|j| j.text())
            .unwrap_or_else(|| panic!("no jid in {reply}"));
        assert!(
            self.mailbox.is_some(),
            "a bound session hands out its mailbox"
        );
        jid
    }

    /// Open, PLAIN, restart, bind.
    pub async fn login_plain(&mut self, user: &str, password: &str, resource: &str) -> String {
        self.open_features().await;
        let answer = self.auth_plain(user, password).await;
        assert!(answer.is("success", ns::SASL), "login failed: {answer}");
        self.restart_and_bind(resource).await
    }

    /// The session ended as a dropped socket would end it.
    pub async fn disconnect(&mut self) {
        self.c2s.terminate().await;
        self.collect();
    }
}
