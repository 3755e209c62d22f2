//! A small BOSH client (XEP-0124 / XEP-0206) over [`crate::http1`].
//!
//! Login runs on one connection, one request at a time: session creation (`hold=1`,
//! `wait=60`), SASL, restart, bind, roster get (if asked), initial presence. What a
//! session does afterwards is up to the scenario: [`Bosh::hold_forever`] keeps exactly
//! one request held on that same connection (an idle client); [`Bosh::into_parts`] gives
//! the pieces to a scenario that sends and receives.

use crate::client::{Login, Mechanism, STEP_TIMEOUT};
use crate::http1::{Conn, request_bytes};
use crate::scram::Scram;
use anyhow::{anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use meerkat_xmpp::{Element, ParseLimits, ns};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// `wait` asked for at session creation (seconds).
pub const WAIT: u64 = 60;

const HEADERS: &[(&str, &str)] = &[("content-type", "text/xml; charset=utf-8")];

/// The parts of a session shared by the tasks that post to it.
pub struct Shared {
    pub addr: SocketAddr,
    pub path: String,
    pub sid: String,
    /// The last rid used; every request takes the next one.
    pub rid: AtomicU64,
}

impl Shared {
    /// A request with the next rid, `attrs` on the `<body/>` and `children` inside.
    pub fn request(&self, attrs: &str, children: &str) -> Vec<u8> {
        let rid = self.rid.fetch_add(1, Ordering::Relaxed) + 1;
        let body = format!(
            "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' sid='{}' rid='{rid}' {attrs}>{children}</body>",
            self.sid
        );
        post(self.addr, &self.path, body.as_bytes())
    }
}

fn post(addr: SocketAddr, path: &str, body: &[u8]) -> Vec<u8> {
    let headers: Vec<(String, String)> = HEADERS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    request_bytes("POST", addr, path, &headers, body)
}

/// A logged-in BOSH session and the connection it logged in on.
pub struct Bosh {
    pub shared: Arc<Shared>,
    pub conn: Conn,
    pub jid: String,
}

/// Parses a response body; a `terminate` body is an error.
pub fn parse_body(text: &str) -> anyhow::Result<Element> {
    let el = Element::parse_str(text, &ParseLimits::default())
        .map_err(|e| anyhow!("bad BOSH response {text:?}: {e}"))?;
    if !el.is("body", ns::HTTPBIND) {
        bail!("not a BOSH body: {text}");
    }
    if el.attr("type") == Some("terminate") {
        bail!("the server terminated the session: {text}");
    }
    Ok(el)
}

impl Bosh {
    /// Logs in on a new connection from `l.source` to `l.server` + `l.path`.
    pub async fn login(l: &Login<'_>) -> anyhow::Result<Bosh> {
        let mut conn = Conn::connect(l.server, l.source).await?;
        let rid: u64 = 1_000 + u64::from(rand::random::<u32>() >> 1);
        let create = format!(
            "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' content='text/xml; charset=utf-8' to='{}' rid='{rid}' hold='1' wait='{WAIT}' xmpp:version='1.0' xml:lang='en'/>",
            l.domain
        );
        let resp = conn
            .request(&post(l.server, l.path, create.as_bytes()))
            .await?;
        if resp.status != 200 {
            bail!("session creation: HTTP {}", resp.status);
        }
        let created = parse_body(resp.text())?;
        let sid = created
            .attr("sid")
            .ok_or_else(|| anyhow!("no sid in {created}"))?
            .to_owned();
        let mut b = Bosh {
            shared: Arc::new(Shared {
                addr: l.server,
                path: l.path.to_owned(),
                sid,
                rid: AtomicU64::new(rid),
            }),
            conn,
            jid: String::new(),
        };
        // Some servers send the features with the creation response, others later.
        let features = match created.get_child("features", ns::STREAM) {
            Some(f) => f.clone(),
            None => b.exchange("", "", |e| e.is("features", ns::STREAM)).await?,
        };
        if !features.has_child("mechanisms", ns::SASL) {
            bail!("no SASL mechanisms offered: {features}");
        }
        b.authenticate(l).await?;
        let features = b
            .exchange("xmpp:restart='true'", "", |e| e.is("features", ns::STREAM))
            .await?;
        if !features.has_child("bind", ns::BIND) {
            bail!("no resource binding offered: {features}");
        }
        let bound = b
            .exchange(
                "",
                "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
                |e| e.name() == "iq" && e.attr("id") == Some("b"),
            )
            .await?;
        b.jid = bound
            .get_child("bind", ns::BIND)
            .and_then(|x| x.get_child("jid", ns::BIND))
            .map(Element::text)
            .ok_or_else(|| anyhow!("bind failed: {bound}"))?;
        if l.roster {
            let roster = b
                .exchange(
                    "",
                    "<iq xmlns='jabber:client' type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>",
                    |e| e.name() == "iq" && e.attr("id") == Some("r"),
                )
                .await?;
            if roster.attr("type") != Some("result") {
                bail!("roster get failed: {roster}");
            }
        }
        let jid = b.jid.clone();
        b.exchange("", "<presence xmlns='jabber:client'/>", |e| {
            e.name() == "presence"
                && e.attr("from") == Some(jid.as_str())
                && e.attr("type").is_none()
        })
        .await?;
        Ok(b)
    }

    async fn authenticate(&mut self, l: &Login<'_>) -> anyhow::Result<()> {
        let is_sasl = |name: &'static str| move |e: &Element| e.is(name, ns::SASL);
        let outcome = |e: &Element| e.is("success", ns::SASL) || e.is("failure", ns::SASL);
        match l.mechanism {
            Mechanism::Plain => {
                let data = B64.encode(meerkat_xmpp::sasl::encode_plain(l.user, l.password));
                let r = self
                    .exchange("", &format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{data}</auth>"), outcome)
                    .await?;
                if !r.is("success", ns::SASL) {
                    bail!("PLAIN login of {} failed: {r}", l.user);
                }
            }
            Mechanism::ScramSha256 => {
                let mut scram = Scram::new(l.user, l.password);
                let first = B64.encode(scram.client_first());
                let challenge = self
                    .exchange("", &format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>{first}</auth>"), |e| is_sasl("challenge")(e) || is_sasl("failure")(e))
                    .await?;
                if !challenge.is("challenge", ns::SASL) {
                    bail!("SCRAM login of {} failed: {challenge}", l.user);
                }
                let fin = B64.encode(scram.client_final(&B64.decode(challenge.text().trim())?)?);
                let r = self
                    .exchange(
                        "",
                        &format!(
                            "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{fin}</response>"
                        ),
                        outcome,
                    )
                    .await?;
                if !r.is("success", ns::SASL) {
                    bail!("SCRAM login of {} failed: {r}", l.user);
                }
                scram.verify(&B64.decode(r.text().trim())?)?;
            }
        }
        Ok(())
    }

    /// Posts `children` and, until an element matching `pred` arrives, empty requests
    /// (each answered when the server has something, or after `wait`).
    async fn exchange(
        &mut self,
        attrs: &str,
        children: &str,
        pred: impl Fn(&Element) -> bool,
    ) -> anyhow::Result<Element> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        let mut request = self.shared.request(attrs, children);
        loop {
            let resp = tokio::time::timeout_at(deadline, self.conn.request(&request))
                .await
                .map_err(|_| anyhow!("no answer within {STEP_TIMEOUT:?}"))??;
            if resp.status != 200 {
                bail!("HTTP {}: {}", resp.status, resp.text());
            }
            let body = parse_body(resp.text())?;
            if let Some(el) = body.children().find(|c| pred(c)) {
                return Ok(el.clone());
            }
            request = self.shared.request("", "");
        }
    }

    /// An idle client: keeps exactly one request held, on the login connection. When the
    /// server answers it (after `wait`, or with a stanza), the next empty request goes
    /// out at once. Returns when the session or the connection ends.
    pub async fn hold_forever(mut self) -> anyhow::Result<()> {
        loop {
            let request = self.shared.request("", "");
            let resp = self.conn.request(&request).await?;
            if resp.status != 200 {
                bail!("HTTP {}: {}", resp.status, resp.text());
            }
            parse_body(resp.text())?;
        }
    }

    /// The shared state, the login connection and the JID.
    pub fn into_parts(self) -> (Arc<Shared>, Conn, String) {
        (self.shared, self.conn, self.jid)
    }
}
