//! The client-to-server session machine, shared by every transport (WebSocket, BOSH).
//!
//! A transport turns its framing into [`Input`]s (stream open, elements, close), feeds them
//! to [`C2s::handle`], feeds routed items from the session's mailbox to
//! [`C2s::handle_routed`], and writes out the [`Output`]s it drains after each call. The
//! machine does stream negotiation (RFC 6120: SASL, resource binding, the legacy session
//! IQ), stanza handling for the user (RFC 6121: roster, presence, carbons), and cleanup.

use crate::config::{PasswordFormat, SaslMechanism};
use crate::metrics::HostMetrics;
use crate::sm::{Mailbox, Routed, SessionId, SessionInfo};

use crate::module::{Flow, Hook, SessionIq, StreamStage};
use crate::modules::auth_token::AuthToken;
use crate::roster::RosterRequested;
use crate::{BoxFuture, Server, presence};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use meerkat_xmpp::scram::{ScramCredentials, ScramServer};
use meerkat_xmpp::stanza::{ErrorType, cond, error_reply, iq_result, stream_error};
use meerkat_xmpp::{BareJid, Element, FullJid, Jid, ns};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// How a transport's connection looks to the core.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    /// `websocket` or `bosh`.
    pub connection: &'static str,
    /// Peer address.
    pub ip: Option<IpAddr>,
    /// Peer port.
    pub port: u16,
    /// Time allowed from the first byte to a bound resource (`None` = unlimited).
    pub state_timeout: Option<Duration>,
    /// Offer and accept the RFC 3921 session IQ.
    pub backwards_compatible_session: bool,
}

/// The attributes of a stream header (`<open/>` in RFC 7395, `<body/>` in BOSH).
#[derive(Clone, Debug, Default)]
pub struct StreamOpen {
    /// `to`: the domain the client wants.
    pub to: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// `xml:lang`.
    pub lang: Option<String>,
}

/// What a transport feeds in.
#[derive(Debug)]
pub enum Input {
    /// Stream header (initial or restart).
    Open(StreamOpen),
    /// One top-level element.
    Element(Element),
    /// The client closed the stream.
    Close,
}

/// What a transport writes out.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Stream header reply.
    Open {
        /// The server's domain.
        from: String,
        /// Stream id.
        id: String,
        /// Language.
        lang: String,
    },
    /// One element (stanza, features, SASL, stream error...).
    Element(Element),
    /// End of stream; the transport closes after writing it.
    Close,
}

enum Sasl {
    Idle,
    Scram {
        server: Box<ScramServer>,
        user: Option<BareJid>,
        /// The throttle key of the name the client gave (for unknown users).
        account: Option<String>,
        /// Server-side time spent so far (for `auth_authorize_time`).
        spent: Duration,
    },
}

enum State {
    WaitOpen,
    WaitAuth(Sasl),
    WaitRestart(BareJid),
    WaitBind(BareJid),
    Active(Box<Active>),
    Closed,
}

struct Active {
    jid: FullJid,
    sid: SessionId,
    /// Values modules keep for the session (e.g. whether its client asked for the roster).
    ext: crate::module::SessionExt,
    available: bool,
    /// Priority of the last broadcast presence (meaningful when `available`).
    priority: i8,
    /// JIDs that got directed available presence; they get unavailable at logout.
    directed: Vec<Jid>,
}

/// One client session.
pub struct C2s {
    server: Server,
    info: ConnInfo,
    state: State,
    domain: String,
    lang: String,
    deadline: Option<Instant>,
    out: Vec<Output>,
    /// The session's mailbox (the owner's handle, drained when the session ends).
    mailbox: Option<Mailbox>,
    /// The transport's handle on it, until taken.
    mailbox_handle: Option<Mailbox>,
    /// Stanzas the transport could not write to the client, routed again at the end.
    unsent: Vec<Element>,
    /// Metric handles of the stream's domain (`host_type=""` until the stream names one).
    metrics: Arc<HostMetrics>,
    /// The `c2s_shaper` of the client's incoming bytes: its name and bucket.
    shaper: Option<(String, crate::shaper::Shaper)>,
}

fn sasl_failure(condition: &str) -> Element {
    Element::new("failure", ns::SASL).with_child(Element::new(condition, ns::SASL))
}

fn decode_sasl_data(el: &Element) -> Result<Vec<u8>, ()> {
    let text = el.text();
    let text = text.trim();
    if text.is_empty() || text == "=" {
        return Ok(Vec::new());
    }
    B64.decode(text).map_err(|_| ())
}

impl C2s {
    /// A new session on a fresh connection.
    pub fn new(server: Server, info: ConnInfo) -> C2s {
        let deadline = info.state_timeout.map(|t| Instant::now() + t);
        let domain = server.config().general.default_server_domain.clone();
        let lang = server.config().general.language.clone();
        let metrics = server.metrics().unknown_host().clone();
        C2s {
            metrics,
            server,
            info,
            state: State::WaitOpen,
            domain,
            lang,
            deadline,
            out: Vec::new(),
            mailbox: None,
            mailbox_handle: None,
            unsent: Vec::new(),
            shaper: None,
        }
    }

    /// Counts `bytes` just read from the client against its traffic shaper
    /// (`c2s_shaper`); returns how long the transport must stop reading from the client,
    /// or `None` to go on at once.
    pub fn shape(&mut self, bytes: usize) -> Option<Duration> {
        let (_, shaper) = self.shaper.as_mut()?;
        Some(shaper.update(bytes)).filter(|d| !d.is_zero())
    }

    /// Picks the shaper `c2s_shaper` gives `who`; a bucket of the same shaper is kept.
    fn choose_shaper(&mut self, who: crate::access::Subject<'_>) {
        let next = self.server.c2s_shaper(who);
        let same = matches!((&self.shaper, &next), (Some((a, _)), Some((b, _))) if a == b);
        if !same {
            self.shaper = next;
        }
    }

    /// Outputs produced since the last call.
    pub fn take_output(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// Whether output is waiting.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Whether the stream has ended (the transport should close after writing output).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The bound JID, once the session is established.
    pub fn jid(&self) -> Option<&FullJid> {
        match &self.state {
            State::Active(a) => Some(&a.jid),
            _ => None,
        }
    }

    /// The session's mailbox, handed out once after binding; the transport polls it and
    /// passes each item to [`C2s::handle_routed`]. While it waits on a slow client, it
    /// also waits on [`Mailbox::control`], so that a kick still ends the session.
    pub fn take_mailbox(&mut self) -> Option<Mailbox> {
        self.mailbox_handle.take()
    }

    /// Hands back outputs the transport could not write (the client stopped reading, or
    /// the connection died): the stanzas among them are routed again when the session
    /// ends (messages to the user's other resources or offline storage, IQs bounced), as
    /// if they had never left the mailbox. After the end, at once.
    pub fn unsent(&mut self, outputs: Vec<Output>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let stanzas = outputs.into_iter().filter_map(|o| match o {
                Output::Element(el)
                    if el.ns() == ns::CLIENT && matches!(el.name(), "message" | "iq") =>
                {
                    Some(el)
                }
                _ => None,
            });
            if matches!(self.state, State::Closed) {
                for el in stanzas {
                    self.server.reroute_undelivered(el).await;
                }
            } else {
                self.unsent.extend(stanzas);
            }
        })
    }

    /// When negotiation must be done by (`state_timeout`); `None` once bound.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The negotiation deadline passed.
    pub fn on_timeout(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(self.on_timeout_inner())
    }

    // The body of [`Self::on_timeout`], boxed there to keep transport tasks small.
    async fn on_timeout_inner(&mut self) {
        if self.deadline.is_some() && !matches!(self.state, State::Active(_) | State::Closed) {
            self.stream_error(cond_stream::CONNECTION_TIMEOUT, None)
                .await;
        }
    }

    fn emit(&mut self, el: Element) {
        self.metrics.element_out.record(&el);
        self.out.push(Output::Element(el));
    }

    fn open_reply(&mut self) {
        self.out.push(Output::Open {
            from: self.domain.clone(),
            id: crate::util::random_hex(16),
            lang: self.lang.clone(),
        });
    }

    /// Sends a stream error, closes the stream and cleans up.
    pub async fn stream_error(&mut self, condition: &str, text: Option<&str>) {
        if matches!(self.state, State::Closed) {
            return;
        }
        self.emit(stream_error(condition, text));
        self.out.push(Output::Close);
        self.terminate().await;
    }

    /// Feeds one input from the client.
    pub fn handle(&mut self, input: Input) -> BoxFuture<'_, ()> {
        Box::pin(self.handle_inner(input))
    }

    // The body of [`Self::handle`], boxed there to keep transport tasks small.
    async fn handle_inner(&mut self, input: Input) {
        if matches!(self.state, State::Closed) {
            return;
        }
        match input {
            Input::Open(open) => self.handle_open(open).await,
            Input::Close => {
                self.out.push(Output::Close);
                self.terminate().await;
            }
            Input::Element(el) => {
                self.metrics.element_in.record(&el);
                if el.name() == "message" && matches!(self.state, State::Active(_)) {
                    let start = std::time::Instant::now();
                    self.handle_element(el).await;
                    // The domain (and so `self.metrics`) is fixed once bound.
                    self.metrics
                        .message_processed_time
                        .observe_duration(start.elapsed());
                } else {
                    self.handle_element(el).await;
                }
            }
        }
    }

    async fn handle_open(&mut self, open: StreamOpen) {
        if let Some(lang) = open.lang.filter(|l| !l.is_empty()) {
            self.lang = lang;
        }
        let requested = open.to.as_deref().map(str::to_lowercase);
        // Looked up once: the domain's host type names its metric handles.
        let host_type = requested
            .as_deref()
            .and_then(|to| self.server.host_type_of(to));
        if let (Some(to), Some(host_type)) = (&requested, &host_type) {
            self.domain = to.clone();
            self.metrics = self.server.metrics().host(host_type).clone();
        }
        self.open_reply();
        if open.version.as_deref() != Some("1.0") {
            return self
                .stream_error(cond_stream::UNSUPPORTED_VERSION, None)
                .await;
        }
        if host_type.is_none() {
            return self.stream_error(cond_stream::HOST_UNKNOWN, None).await;
        }
        match std::mem::replace(&mut self.state, State::Closed) {
            State::WaitOpen | State::WaitAuth(_) => {
                self.state = State::WaitAuth(Sasl::Idle);
                let domain = self.domain.clone();
                self.choose_shaper(crate::access::Subject::domain(&domain));
                let mut mechs = Element::new("mechanisms", ns::SASL);
                for m in &self.server.config().auth.sasl_mechanisms {
                    if *m == SaslMechanism::Oauth && self.server.module::<AuthToken>().is_none() {
                        continue;
                    }
                    mechs
                        .append_child(Element::new("mechanism", ns::SASL).with_text(m.wire_name()));
                }
                self.emit(Element::new("features", ns::STREAM).with_child(mechs));
            }
            State::WaitRestart(user) | State::WaitBind(user) => {
                self.state = State::WaitBind(user);
                let mut features =
                    Element::new("features", ns::STREAM).with_child(Element::new("bind", ns::BIND));
                if self.info.backwards_compatible_session {
                    features.append_child(
                        Element::new("session", ns::SESSION)
                            .with_child(Element::new("optional", ns::SESSION)),
                    );
                }
                for f in self.server.modules().stream_features(StreamStage::Bind) {
                    features.append_child(f.clone());
                }
                self.emit(features);
            }
            State::Active(a) => {
                self.state = State::Active(a);
                self.stream_error(
                    cond_stream::POLICY_VIOLATION,
                    Some("stream restart after binding"),
                )
                .await;
            }
            State::Closed => {}
        }
    }

    async fn handle_element(&mut self, el: Element) {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::WaitOpen => {
                self.state = State::WaitOpen;
                self.open_reply();
                self.stream_error(cond_stream::INVALID_XML, Some("expected a stream header"))
                    .await;
            }
            State::WaitAuth(sasl) => {
                self.state = State::WaitAuth(Sasl::Idle);
                self.handle_sasl(sasl, el).await;
            }
            State::WaitRestart(user) => {
                self.state = State::WaitRestart(user);
                self.stream_error(
                    cond_stream::NOT_AUTHORIZED,
                    Some("expected a stream restart"),
                )
                .await;
            }
            State::WaitBind(user) => {
                self.state = State::WaitBind(user.clone());
                self.handle_bind(user, el).await;
            }
            State::Active(a) => {
                self.state = State::Active(a);
                self.handle_stanza(el).await;
            }
            State::Closed => {}
        }
    }

    // ---------------------------------------------------------------- SASL

    fn offered(&self, mechanism: &str) -> Option<SaslMechanism> {
        self.server
            .config()
            .auth
            .sasl_mechanisms
            .iter()
            .copied()
            .find(|m| m.wire_name() == mechanism)
    }

    async fn auth_failed(&mut self, user: Option<&str>, condition: &str) {
        self.metrics.auth_failed.inc();
        tracing::info!(user = user.unwrap_or(""), domain = %self.domain, ip = ?self.info.ip, "authentication failed");
        self.server.login_throttle().failed(self.info.ip, user);
        self.emit(sasl_failure(condition));
    }

    /// The key of an account for the login throttle: its bare JID, or what the client
    /// typed when that is no valid JID (unknown accounts are tracked alike).
    fn throttle_key(&self, username: &str) -> String {
        self.user_jid(username)
            .map_or_else(|| format!("{username}@{}", self.domain), |j| j.to_string())
    }

    /// Refuses the attempt when its address or account is locked by the login throttle.
    fn throttled(&mut self, account: Option<&str>) -> bool {
        let Err(why) = self.server.login_throttle().check(self.info.ip, account) else {
            return false;
        };
        self.metrics.auth_failed.inc();
        tracing::info!(user = account.unwrap_or(""), ip = ?self.info.ip, ?why, "authentication refused: too many failures");
        self.emit(
            Element::new("failure", ns::SASL)
                .with_child(Element::new("temporary-auth-failure", ns::SASL))
                .with_child(
                    Element::new("text", ns::SASL)
                        .with_attr("xml:lang", "en")
                        .with_text("Too many failed authentication attempts; try again later"),
                ),
        );
        true
    }

    async fn auth_succeeded(&mut self, user: BareJid, additional: Option<Vec<u8>>) {
        let mut success = Element::new("success", ns::SASL);
        if let Some(data) = additional {
            success.append_text(B64.encode(data));
        }
        self.emit(success);
        tracing::debug!(user = %user, "authenticated");
        self.server.login_throttle().succeeded(user.as_str());
        self.choose_shaper(crate::access::Subject::bare(&user));
        self.state = State::WaitRestart(user);
    }

    fn user_jid(&self, username: &str) -> Option<BareJid> {
        crate::accounts::account_jid(&self.server, username, &self.domain).ok()
    }

    async fn handle_sasl(&mut self, sasl: Sasl, el: Element) {
        if el.ns() != ns::SASL {
            return self.stream_error(cond_stream::NOT_AUTHORIZED, None).await;
        }
        match (el.name(), sasl) {
            ("auth", _) => {
                let Some(mech) = el.attr("mechanism").and_then(|m| self.offered(m)) else {
                    return self.emit(sasl_failure("invalid-mechanism"));
                };
                let Ok(data) = decode_sasl_data(&el) else {
                    return self.emit(sasl_failure("incorrect-encoding"));
                };
                match mech {
                    SaslMechanism::Plain => {
                        let start = std::time::Instant::now();
                        if self.sasl_plain(&data).await {
                            self.metrics.auth.authorize.since(start);
                        }
                    }
                    SaslMechanism::Scram(hash) => self.sasl_scram_start(hash, &data).await,
                    SaslMechanism::Anonymous => {
                        self.metrics.auth.authorize.observe(Duration::ZERO);
                        let user = self.user_jid(&crate::util::random_hex(12));
                        match user {
                            Some(u) => self.auth_succeeded(u, None).await,
                            None => self.auth_failed(None, "temporary-auth-failure").await,
                        }
                    }
                    SaslMechanism::Oauth => {
                        if self.throttled(None) {
                            return;
                        }
                        let start = std::time::Instant::now();
                        if self.sasl_oauth(&data).await {
                            self.metrics.auth.authorize.since(start);
                        }
                    }
                }
            }
            (
                "response",
                Sasl::Scram {
                    mut server,
                    user,
                    account,
                    spent,
                },
            ) => {
                let Ok(data) = decode_sasl_data(&el) else {
                    return self.emit(sasl_failure("incorrect-encoding"));
                };
                let start = std::time::Instant::now();
                let verdict = server.client_final(&data);
                self.metrics.auth.authorize.observe(spent + start.elapsed());
                match (verdict, user) {
                    (Ok(server_final), Some(user)) => {
                        self.auth_succeeded(user, Some(server_final)).await
                    }
                    (_, user) => {
                        let name = user.map(|u| u.to_string()).or(account);
                        self.auth_failed(name.as_deref(), "not-authorized").await;
                    }
                }
            }
            ("response", Sasl::Idle) => self.emit(sasl_failure("malformed-request")),
            ("abort", _) => self.emit(sasl_failure("aborted")),
            _ => self.emit(sasl_failure("malformed-request")),
        }
    }

    /// X-OAUTH (mod_auth_token): the SASL data is an access or refresh token; a refresh
    /// token earns a new access token in `<success/>`. True when a token was checked.
    async fn sasl_oauth(&mut self, data: &[u8]) -> bool {
        if self.server.module::<AuthToken>().is_none() {
            self.emit(sasl_failure("invalid-mechanism"));
            return false;
        }
        let domain = self.domain.clone();
        match self.server.authenticate_token(data, &domain).await {
            Ok(login) => {
                let extra = login.new_access.map(String::into_bytes);
                self.auth_succeeded(login.user, extra).await;
            }
            Err(crate::auth_token::TokenError::Store(e)) => {
                tracing::error!(error = %e, "token check failed");
                self.emit(sasl_failure("temporary-auth-failure"));
                return false;
            }
            Err(e) => {
                tracing::debug!(reason = %e, "token refused");
                self.auth_failed(None, "not-authorized").await;
            }
        }
        true
    }

    /// PLAIN; true when credentials were checked (for `auth_authorize_*`).
    async fn sasl_plain(&mut self, data: &[u8]) -> bool {
        let Ok(creds) = meerkat_xmpp::sasl::parse_plain(data) else {
            self.emit(sasl_failure("malformed-request"));
            return false;
        };
        if self.throttled(Some(&self.throttle_key(&creds.username))) {
            return false;
        }
        let Some(user) = self.user_jid(&creds.username) else {
            self.auth_failed(Some(&creds.username), "not-authorized")
                .await;
            return true;
        };
        if let Some(authzid) = &creds.authzid
            && BareJid::new(authzid).ok().as_ref() != Some(&user)
        {
            self.emit(sasl_failure("invalid-authzid"));
            return false;
        }
        match self.server.check_password(&user, &creds.password).await {
            Ok(true) => self.auth_succeeded(user, None).await,
            Ok(false) => {
                self.auth_failed(Some(user.as_str()), "not-authorized")
                    .await
            }
            Err(e) => {
                tracing::error!(error = %e, "password check failed");
                self.emit(sasl_failure("temporary-auth-failure"));
                return false;
            }
        }
        true
    }

    async fn sasl_scram_start(&mut self, hash: meerkat_xmpp::scram::ScramHash, data: &[u8]) {
        let start = std::time::Instant::now();
        let Ok((mut scram, first)) = ScramServer::start(hash, data) else {
            return self.emit(sasl_failure("malformed-request"));
        };
        let account = self.throttle_key(&first.username);
        if self.throttled(Some(&account)) {
            return;
        }
        let user = self.user_jid(&first.username);
        let authz_ok = first
            .authzid
            .as_deref()
            .is_none_or(|a| BareJid::new(a).ok() == user);
        if !authz_ok {
            return self.emit(sasl_failure("invalid-authzid"));
        }
        let iterations = self.server.config().auth.scram_iterations;
        let stored = match &user {
            Some(u) => self.server.stored_password(u).await.ok().flatten(),
            None => None,
        };
        let creds = match &stored {
            Some(p) => match p.scram_for(hash) {
                Some(c) => Some(c.clone()),
                // Plaintext storage: derive keys for this exchange (PBKDF2, off the async
                // workers).
                None => match p.plain.clone() {
                    Some(pw) => {
                        self.server
                            .hash_job(move || ScramCredentials::derive(hash, &pw, iterations).ok())
                            .await
                    }
                    None => None,
                },
            },
            None => None,
        };
        // Unknown users run the exchange against fake keys and fail at the proof (only a
        // known user can succeed), so that the server does not reveal which accounts
        // exist. With stored keys, the fake salt derives from the name and a stored key:
        // the same at every attempt and across restarts, like a real one. With plaintext
        // storage, known users get a fresh salt and a PBKDF2 run per attempt: so do
        // unknown ones.
        let known = creds.is_some();
        let creds = match creds {
            Some(c) => c,
            None if self.server.config().auth.password_format == PasswordFormat::Plain => {
                let name = account.clone();
                let derived = self
                    .server
                    .hash_job(move || ScramCredentials::derive(hash, &name, iterations))
                    .await;
                match derived {
                    Ok(c) => c,
                    Err(_) => {
                        let key = self.server.fake_salt_key().await;
                        ScramCredentials::for_unknown_user(hash, &first.username, iterations, key)
                    }
                }
            }
            None => {
                let key = self.server.fake_salt_key().await;
                ScramCredentials::for_unknown_user(hash, &first.username, iterations, key)
            }
        };
        let challenge = scram.server_first(&creds);
        self.emit(Element::new("challenge", ns::SASL).with_text(B64.encode(challenge)));
        self.state = State::WaitAuth(Sasl::Scram {
            server: Box::new(scram),
            user: user.filter(|_| known),
            account: Some(account),
            spent: start.elapsed(),
        });
    }

    // ---------------------------------------------------------------- bind

    async fn handle_bind(&mut self, user: BareJid, el: Element) {
        if !el.is("iq", ns::CLIENT) {
            return self
                .stream_error(cond_stream::NOT_AUTHORIZED, Some("bind a resource first"))
                .await;
        }
        let Some(bind) = el
            .get_child("bind", ns::BIND)
            .filter(|_| el.attr("type") == Some("set"))
        else {
            if el.attr("type") == Some("get") || el.attr("type") == Some("set") {
                self.emit(error_reply(
                    &el,
                    ErrorType::Auth,
                    cond::NOT_AUTHORIZED,
                    None,
                ));
            }
            return;
        };
        let requested = bind
            .get_child("resource", ns::BIND)
            .map(|r| r.text())
            .filter(|r| !r.trim().is_empty());
        let resource = requested.unwrap_or_else(|| crate::util::random_hex(8));
        let Ok(full) = user.with_resource_str(&resource) else {
            return self.emit(error_reply(&el, ErrorType::Modify, cond::BAD_REQUEST, None));
        };
        let info = SessionInfo {
            connection: self.info.connection,
            ip: self.info.ip,
            port: self.info.port,
            started: SystemTime::now(),
        };
        // MongooseIM's max_user_sessions: beyond it, the oldest session is replaced.
        let max_sessions = self.server.max_user_sessions(&user);
        let reg = self.server.sm().register(&full, info, max_sessions);
        self.metrics.session_logins.inc();
        self.metrics.session_count.inc();
        tracing::info!(jid = %full, connection = self.info.connection, "session opened");
        self.mailbox_handle = Some(reg.mailbox.handle());
        self.mailbox = Some(reg.mailbox);
        self.deadline = None;
        let result = iq_result(&el).with_child(
            Element::new("bind", ns::BIND)
                .with_child(Element::new("jid", ns::BIND).with_text(full.as_str())),
        );
        let mut result = result;
        result.remove_attr("from");
        result.remove_attr("to");
        self.emit(result);
        for m in self.server.modules().hooked(Hook::SessionOpened) {
            m.session_opened(&self.server, &full).await;
        }
        self.state = State::Active(Box::new(Active {
            jid: full,
            sid: reg.sid,
            ext: Default::default(),
            available: false,
            priority: 0,
            directed: Vec::new(),
        }));
    }

    fn active(&mut self) -> Option<&mut Active> {
        match &mut self.state {
            State::Active(a) => Some(a),
            _ => None,
        }
    }

    // ---------------------------------------------------------------- stanzas from the client

    async fn handle_stanza(&mut self, mut el: Element) {
        let Some(a) = self.active() else { return };
        let me = a.jid.clone();
        if el.ns() != ns::CLIENT || !matches!(el.name(), "message" | "presence" | "iq") {
            return self
                .stream_error(cond_stream::UNSUPPORTED_STANZA_TYPE, None)
                .await;
        }
        if let Some(from) = el.attr("from") {
            let ok = match Jid::new(from) {
                Ok(j) => j == me.clone() || j == me.to_bare(),
                Err(_) => false,
            };
            if !ok {
                return self.stream_error(cond_stream::INVALID_FROM, None).await;
            }
        }
        el.set_attr("from", me.as_str());
        let modules = self.server.modules();
        if modules.has_hook(Hook::UserSend)
            && modules
                .hooked(Hook::UserSend)
                .any(|m| m.user_send(&self.server, &me, &mut el) == Flow::Stop)
        {
            return;
        }
        if el.name() == "message" && modules.has_hook(Hook::MessageOut) {
            let from = Jid::from(me.clone());
            for m in modules.hooked(Hook::MessageOut) {
                m.message_out(&self.server, &from, &mut el).await;
            }
        }
        let to = match el.attr("to").map(Jid::new) {
            None => None,
            Some(Ok(j)) => Some(j),
            Some(Err(_)) => {
                if el.attr("type") != Some("error") {
                    let mut reply = error_reply(&el, ErrorType::Modify, cond::JID_MALFORMED, None);
                    reply.remove_attr("from");
                    reply.set_attr("to", me.as_str());
                    self.emit(reply);
                }
                return;
            }
        };
        match el.name() {
            "iq" => self.client_iq(me, to, el).await,
            "presence" => self.client_presence(me, to, el).await,
            _ => match to {
                Some(to) => self.server.route(Jid::from(me), to, el).await,
                None => {
                    let bare = Jid::from(me.to_bare());
                    self.server.route(Jid::from(me), bare, el).await;
                }
            },
        }
    }

    fn reply(&mut self, me: &FullJid, mut reply: Element) {
        reply.set_attr("to", me.as_str());
        if reply.attr("from") == Some(me.to_bare().as_str()) {
            reply.remove_attr("from");
        }
        self.emit(reply);
    }

    async fn client_iq(&mut self, me: FullJid, to: Option<Jid>, el: Element) {
        let own = to.as_ref().is_none_or(|t| *t == me.to_bare());
        let ty = el.attr("type").unwrap_or("").to_owned();
        if own && (ty == "get" || ty == "set") {
            let child = el
                .children()
                .next()
                .map(|c| (c.name().to_owned(), c.ns().to_owned()));
            match child.as_ref().map(|(n, s)| (n.as_str(), s.as_str())) {
                Some(("session", ns::SESSION)) if ty == "set" => {
                    let reply = if self.info.backwards_compatible_session {
                        iq_result(&el)
                    } else {
                        error_reply(&el, ErrorType::Cancel, cond::SERVICE_UNAVAILABLE, None)
                    };
                    return self.reply(&me, reply);
                }
                Some(("bind", ns::BIND)) => {
                    return self.reply(
                        &me,
                        error_reply(&el, ErrorType::Cancel, cond::NOT_ALLOWED, None),
                    );
                }
                _ => {}
            }
            // A module's handler of the session's own IQs (roster, carbons).
            let server = self.server.clone();
            if let Some(payload) = el.children().next()
                && let Some(module) = server.modules().session_iq_handler(payload)
                && let State::Active(a) = &mut self.state
            {
                let req = SessionIq {
                    server: &server,
                    jid: &me,
                    sid: a.sid,
                    ext: &mut a.ext,
                    iq: &el,
                    payload,
                    set: ty == "set",
                };
                if let Some(reply) = module.handle_session_iq(req).await {
                    self.reply(&me, reply);
                }
                return;
            }
        }
        let to = to.unwrap_or_else(|| Jid::from(me.to_bare()));
        self.server.route(Jid::from(me), to, el).await;
    }

    async fn client_presence(&mut self, me: FullJid, to: Option<Jid>, el: Element) {
        let ty = el.attr("type").map(str::to_owned);
        match (ty.as_deref(), to) {
            (Some(t @ ("subscribe" | "subscribed" | "unsubscribe" | "unsubscribed")), Some(to)) => {
                presence::outbound_subscription(&self.server, &me.to_bare(), &to.to_bare(), t, el)
                    .await;
            }
            (None | Some("unavailable"), None) => self.broadcast_presence(me, el).await,
            (None | Some("unavailable"), Some(to)) if to == me.to_bare() => {
                self.broadcast_presence(me, el).await;
            }
            (ty, Some(to)) => {
                if let Some(a) = self.active() {
                    if ty.is_none() {
                        if !a.directed.contains(&to) {
                            a.directed.push(to.clone());
                        }
                    } else if ty == Some("unavailable") {
                        a.directed.retain(|d| *d != to);
                    }
                }
                self.server.route(Jid::from(me), to, el).await;
            }
            _ => {}
        }
    }

    async fn broadcast_presence(&mut self, me: FullJid, mut el: Element) {
        el.remove_attr("to");
        let Some(a) = self.active() else { return };
        let (sid, was_available, old_priority) = (a.sid, a.available, a.priority);
        let available = el.attr("type").is_none();
        let priority = el
            .get_child("priority", ns::CLIENT)
            .and_then(|p| p.text().trim().parse::<i8>().ok())
            .unwrap_or(0);
        a.available = available;
        a.priority = priority;
        let directed = if available {
            Vec::new()
        } else {
            std::mem::take(&mut a.directed)
        };
        let initial = available && !was_available;
        // Offline messages go to the first session able to take them: available with a
        // non-negative priority, which may come after a negative initial presence (as
        // ejabberd and MongooseIM do it).
        let take_offline = available && priority >= 0 && (!was_available || old_priority < 0);
        let sm = self.server.sm();
        sm.set_presence(&me, sid, available.then(|| Arc::new(el.clone())), priority);
        let pending = presence::broadcast(&self.server, &me, &el, initial, Some(sid)).await;
        for d in directed {
            self.server
                .route(Jid::from(me.clone()), d, el.clone())
                .await;
        }
        if initial {
            for p in pending {
                self.emit(p);
            }
        }
        if take_offline {
            let server = self.server.clone();
            for module in server.modules().hooked(Hook::UserAvailable) {
                for mut m in module.user_available(&server, &me).await {
                    m.set_attr("to", me.as_str());
                    self.emit(m);
                }
            }
        }
        if !available && was_available {
            self.unset_presence(&me, &el).await;
        }
    }

    /// Runs the [`Hook::UnsetPresence`] hooks (mod_last records the time and status).
    async fn unset_presence(&self, me: &FullJid, el: &Element) {
        for m in self.server.modules().hooked(Hook::UnsetPresence) {
            m.unset_presence(&self.server, me, el).await;
        }
    }

    // ---------------------------------------------------------------- routed to the session

    /// Feeds one item from the session's mailbox.
    pub fn handle_routed(&mut self, item: Routed) -> BoxFuture<'_, ()> {
        Box::pin(self.handle_routed_inner(item))
    }

    // The body of [`Self::handle_routed`], boxed there to keep transport tasks small.
    async fn handle_routed_inner(&mut self, item: Routed) {
        let Some(a) = self.active() else { return };
        match item {
            Routed::Stanza(el) => {
                let el = *el;
                // A contact that is no longer subscribed must not see this user's presence;
                // that is enforced when sending. Here, everything addressed to us goes out.
                self.emit(el);
            }
            Routed::RosterPush(push) => {
                if a.ext.get::<RosterRequested>().is_none() {
                    return;
                }
                let jid = a.jid.clone();
                let crate::sm::RosterPush { item, version } = *push;
                let mut q = Element::new("query", ns::ROSTER).with_child(item);
                if let Some(v) = version {
                    q.set_attr("ver", v);
                }
                let push = Element::new("iq", ns::CLIENT)
                    .with_attr("type", "set")
                    .with_attr("id", format!("push{}", crate::util::random_hex(6)))
                    .with_attr("to", jid.as_str())
                    .with_child(q);
                self.emit(push);
            }
            Routed::Replaced => {
                // The new session owns the full JID now; leave the registry alone (`sid` 0
                // tells `terminate`).
                a.sid = 0;
                self.stream_error(cond_stream::CONFLICT, Some("Replaced by new connection"))
                    .await;
            }
            Routed::Kick(reason) => {
                self.stream_error(cond_stream::POLICY_VIOLATION, Some(&reason))
                    .await
            }
            Routed::SetPresence(el) => {
                let me = a.jid.clone();
                self.client_presence(me, None, *el).await;
            }
        }
    }

    /// The connection is gone (or the stream ended): unregister, broadcast unavailable
    /// presence if needed, and route again what the client never got (the stanzas handed
    /// back with [`C2s::unsent`], then those left in the mailbox) through
    /// [`Server::reroute_undelivered`]. Idempotent.
    pub fn terminate(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(self.terminate_inner())
    }

    // The body of [`Self::terminate`], boxed there to keep transport tasks small.
    async fn terminate_inner(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Closed);
        let mailbox = self.mailbox.take();
        self.mailbox_handle = None;
        let State::Active(a) = state else { return };
        let me = a.jid.clone();
        // A replaced session (sid 0) still tells its contacts it is gone, as MongooseIM
        // does: otherwise they would keep its presence until the new session sends one.
        // Unless the new session already did: its presence, from the same full JID, stands.
        let replaced = a.sid == 0;
        let superseded = replaced && self.server.sm().resource(&me).is_some_and(|r| r.available);
        // Unregister first: from now on nothing new is queued here, and what was queued
        // is drained below.
        if !replaced {
            self.server.sm().unregister(&me, a.sid);
        }
        if a.available && !superseded {
            let mut el = Element::new("presence", ns::CLIENT).with_attr("type", "unavailable");
            if replaced {
                el.append_child(
                    Element::new("status", ns::CLIENT).with_text("Replaced by new connection"),
                );
            }
            presence::broadcast(&self.server, &me, &el, false, None).await;
            for d in &a.directed {
                self.server
                    .route(Jid::from(me.clone()), d.clone(), el.clone())
                    .await;
            }
            self.unset_presence(&me, &el).await;
        }
        // Nothing acknowledged is lost: what the client never got is routed again (to
        // the user's other resources or offline storage; IQs bounce), oldest first.
        let unsent = std::mem::take(&mut self.unsent);
        let queued = mailbox.map(|m| m.close()).unwrap_or_default();
        let rerouted = unsent.len() + queued.len();
        for el in unsent {
            self.server.reroute_undelivered(el).await;
        }
        for item in queued {
            if let Routed::Stanza(el) = item {
                self.server.reroute_undelivered(*el).await;
            }
        }
        for m in self.server.modules().hooked(Hook::SessionClosed) {
            m.session_closed(&self.server, &me).await;
        }
        self.metrics.session_logouts.inc();
        self.metrics.session_count.dec();
        tracing::info!(jid = %me, rerouted, "session closed");
    }
}

/// Stream error conditions (RFC 6120 4.9.3).
pub mod cond_stream {
    /// `conflict`.
    pub const CONFLICT: &str = "conflict";
    /// `connection-timeout`.
    pub const CONNECTION_TIMEOUT: &str = "connection-timeout";
    /// `host-unknown`.
    pub const HOST_UNKNOWN: &str = "host-unknown";
    /// `invalid-from`.
    pub const INVALID_FROM: &str = "invalid-from";
    /// `invalid-namespace`.
    pub const INVALID_NAMESPACE: &str = "invalid-namespace";
    /// `invalid-xml`.
    pub const INVALID_XML: &str = "invalid-xml";
    /// `not-authorized`.
    pub const NOT_AUTHORIZED: &str = "not-authorized";
    /// `not-well-formed`.
    pub const NOT_WELL_FORMED: &str = "not-well-formed";
    /// `restricted-xml`.
    pub const RESTRICTED_XML: &str = "restricted-xml";
    /// `policy-violation`.
    pub const POLICY_VIOLATION: &str = "policy-violation";
    /// `unsupported-stanza-type`.
    pub const UNSUPPORTED_STANZA_TYPE: &str = "unsupported-stanza-type";
    /// `unsupported-version`.
    pub const UNSUPPORTED_VERSION: &str = "unsupported-version";
}
