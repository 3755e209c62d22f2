//! One BOSH session: a task that owns the core's c2s machine and the BOSH request
//! bookkeeping (XEP-0124): the RID window, held requests, the response cache for
//! retransmissions and acknowledgements, `wait`, `inactivity` and `pause` timers.
//!
//! HTTP requests reach the task through a channel (they may arrive on any worker) and get
//! their response body back through a oneshot.
//!
//! Bounds:
//! - the response cache keeps the newest response always and older unacknowledged ones
//!   (with `ack`) while they fit in [`CACHE_MAX_BYTES`] and [`CACHE_MAX_RESPONSES`]; a
//!   retransmission of a dropped one ends the session with `item-not-found`;
//! - a session whose client sends no request for `wait` + `inactivity` ends, even if a
//!   request is held; with `inactivity = "infinity"`, `wait` + `max_pause` (the longest
//!   the client may announce to be away), so no session outlives its client;
//! - stanzas waiting for the client's next request are budgeted ([`PENDING_MAX_BYTES`]):
//!   a client that reads too slowly gets a `policy-violation` stream error;
//! - all rid and time arithmetic is checked or saturating (rids are at most 2^53 - 1).
//!
//! Nothing queued for the client is lost when the session ends (inactivity, deadline, an
//! error, a client that went away): stanzas not yet sent are handed back with
//! [`C2s::unsent`], and `C2s::terminate` routes them again, then what is still in the
//! session's mailbox, in that order (to the user's other resources or offline storage;
//! IQs bounce). A response whose HTTP client is
//! already gone when it is ready keeps its stanzas queued for the next request.

use meerkat_core::Server;
use meerkat_core::c2s::{C2s, Input, Output, StreamOpen};
use meerkat_core::sm::{Mailbox, Routed};
use meerkat_xmpp::{Element, ns};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

/// Requests a client may have outstanding (the `requests` attribute).
pub const REQUESTS: u64 = 2;

/// Most bytes of cached responses kept for retransmission beyond the newest one.
pub const CACHE_MAX_BYTES: usize = 256 * 1024;

/// Most responses kept for retransmission.
pub const CACHE_MAX_RESPONSES: usize = 16;

/// Most bytes of stanzas (estimated) waiting for the client's next request; beyond, the
/// stream ends with a `policy-violation` stream error (the client reads too slowly).
pub const PENDING_MAX_BYTES: usize = 1024 * 1024;

/// Live sessions of one BOSH mount, by sid.
pub type Registry = Arc<Mutex<HashMap<String, Entry>>>;

/// One live session in the [`Registry`].
pub struct Entry {
    /// Requests travel boxed: a channel allocates room for 32 of its items up front.
    pub tx: mpsc::Sender<Box<Request>>,
    /// The session is bound (its client may send bodies up to `MAX_BODY`).
    pub bound: Arc<AtomicBool>,
}

/// One HTTP request for a session.
pub struct Request {
    /// Its `rid`, or the terminate condition refusing it (the session ends).
    pub rid: Result<u64, &'static str>,
    /// The parsed `<body/>`.
    pub body: Element,
    /// Size of the HTTP body in bytes (for the client's traffic shaper).
    pub bytes: usize,
    /// Where the response body goes.
    pub reply: oneshot::Sender<String>,
}

/// Session parameters agreed at creation.
pub struct Params {
    /// Session id.
    pub sid: String,
    /// Domain served.
    pub domain: String,
    /// Longest a request is held.
    pub wait: Duration,
    /// Requests held at most (always 1).
    pub hold: usize,
    /// Session dies after this long without a held request (`None` = never, but see the
    /// deadline without requests in the module doc).
    pub inactivity: Option<Duration>,
    /// Longest allowed pause.
    pub max_pause: Duration,
    /// Add `ack` to responses for older requests.
    pub server_acks: bool,
    /// The client acknowledges responses (`ack` on creation): keep every unacknowledged
    /// response for retransmission.
    pub client_acks: bool,
}

struct Held {
    rid: u64,
    reply: oneshot::Sender<String>,
    deadline: Instant,
}

/// The session task's state.
pub struct Session {
    server: Server,
    registry: Registry,
    p: Params,
    c2s: C2s,
    mailbox: Option<Mailbox>,
    /// The rid expected next.
    next_rid: u64,
    /// Requests that arrived ahead of a gap (rid = next_rid + 1).
    deferred: BTreeMap<u64, Parsed>,
    held: VecDeque<Held>,
    /// Elements waiting for a held request.
    pending: Vec<Element>,
    /// Their estimated size (see [`PENDING_MAX_BYTES`]).
    pending_bytes: usize,
    /// The stream ended: the next response is a terminate body.
    ending: bool,
    closed: bool,
    /// Sent responses by rid, for retransmission and `report`.
    cache: Cache,
    /// Highest rid answered so far.
    last_answered: u64,
    /// A lost response to report (`report`, `time`) in the next response.
    report: Option<u64>,
    last_activity: Instant,
    /// When the client last sent a request.
    last_request: Instant,
    /// Inactivity allowed during a client pause.
    paused_for: Option<Duration>,
    /// Shared with the registry: the session is bound.
    bound: Arc<AtomicBool>,
}

/// Responses already sent, by rid, bounded in count and bytes.
#[derive(Default)]
struct Cache {
    map: BTreeMap<u64, (Arc<str>, Instant)>,
    bytes: usize,
}

impl Cache {
    fn get(&self, rid: u64) -> Option<&(Arc<str>, Instant)> {
        self.map.get(&rid)
    }

    /// Adds the response to `rid`, then drops the oldest ones beyond `max_count` or
    /// beyond [`CACHE_MAX_BYTES`]; the newest response always stays.
    fn insert(&mut self, rid: u64, text: Arc<str>, max_count: usize) {
        self.bytes = self.bytes.saturating_add(text.len());
        if let Some((old, _)) = self.map.insert(rid, (text, Instant::now())) {
            self.bytes = self.bytes.saturating_sub(old.len());
        }
        while self.map.len() > 1 && (self.map.len() > max_count || self.bytes > CACHE_MAX_BYTES) {
            self.pop_first();
        }
    }

    fn pop_first(&mut self) {
        if let Some((_, (text, _))) = self.map.pop_first() {
            self.bytes = self.bytes.saturating_sub(text.len());
        }
    }

    /// Forgets the responses the client acknowledged (rid up to `ack`).
    fn acknowledge(&mut self, ack: u64) {
        while self.map.first_key_value().is_some_and(|(k, _)| *k <= ack) {
            self.pop_first();
        }
    }
}

/// Builds `<body xmlns='http://jabber.org/protocol/httpbind'/>`.
pub fn body() -> Element {
    Element::new("body", ns::HTTPBIND)
}

/// A terminate body with an optional condition.
pub fn terminate_body(condition: Option<&str>) -> Element {
    let mut b = body().with_attr("type", "terminate");
    if let Some(c) = condition {
        b.set_attr("condition", c);
    }
    b
}

impl Session {
    /// A session whose creation request (rid `rid`) was accepted.
    pub fn new(
        server: Server,
        registry: Registry,
        p: Params,
        c2s: C2s,
        rid: u64,
        bound: Arc<AtomicBool>,
    ) -> Session {
        Session {
            server,
            registry,
            p,
            c2s,
            mailbox: None,
            next_rid: rid.saturating_add(1),
            deferred: BTreeMap::new(),
            held: VecDeque::new(),
            pending: Vec::new(),
            pending_bytes: 0,
            ending: false,
            closed: false,
            cache: Cache::default(),
            last_answered: rid,
            report: None,
            last_activity: Instant::now(),
            last_request: Instant::now(),
            paused_for: None,
            bound,
        }
    }

    /// Opens the stream for the creation request and returns the session-creation
    /// response body (attributes plus stream features).
    pub async fn create(&mut self, open: StreamOpen, rid: u64) -> Element {
        self.c2s.handle(Input::Open(open)).await;
        let mut resp = body()
            .with_attr("sid", self.p.sid.as_str())
            .with_attr("wait", self.p.wait.as_secs().to_string())
            .with_attr("requests", REQUESTS.to_string())
            .with_attr("hold", self.p.hold.to_string())
            .with_attr("maxpause", self.p.max_pause.as_secs().to_string())
            .with_attr("from", self.p.domain.as_str())
            .with_attr("accept", "deflate, gzip")
            .with_attr("ver", "1.11");
        if let Some(i) = self.p.inactivity {
            resp.set_attr("inactivity", i.as_secs().to_string());
        }
        resp.set_attr_ns(ns::XBOSH, "version", "1.0");
        resp.set_attr_ns(ns::XBOSH, "restartlogic", "true");
        if self.p.client_acks || self.p.server_acks {
            resp.set_attr("ack", rid.to_string());
        }
        for out in self.c2s.take_output() {
            match out {
                Output::Open { id, .. } => resp.set_attr("authid", id),
                Output::Element(el) => {
                    resp.append_child(el);
                }
                Output::Close => {
                    // e.g. host-unknown after all: the creation response terminates.
                    resp.set_attr("type", "terminate");
                    let stream_error = resp.children().any(|c| c.is("error", ns::STREAM));
                    if stream_error {
                        resp.set_attr("condition", "remote-stream-error");
                    }
                    self.closed = true;
                }
            }
        }
        if !self.closed {
            let max = self.cache_max_count();
            self.cache.insert(rid, Arc::from(resp.to_xml()), max);
        }
        resp
    }

    /// Runs until the session ends.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Box<Request>>) {
        // While the client's traffic shaper (`c2s_shaper`) pauses reading: until when.
        let mut read_resume: Option<Instant> = None;
        while !self.closed {
            let hold_deadline = self.held.front().map(|h| h.deadline);
            let allowance = self.paused_for.or(self.p.inactivity);
            let idle_deadline = if self.held.is_empty() {
                allowance.map(|i| after(self.last_activity, i))
            } else {
                None
            };
            // However requests are held or answered, a client that sends nothing for
            // wait + inactivity (or max_pause) is gone.
            let request_deadline = after(
                after(self.last_request, self.p.wait),
                allowance.unwrap_or(self.p.max_pause),
            );
            let negotiation = self.c2s.deadline();
            tokio::select! {
                req = rx.recv(), if read_resume.is_none() => match req {
                    Some(r) => {
                        let bytes = r.bytes;
                        self.on_request(*r).await;
                        read_resume = self.c2s.shape(bytes).map(|p| Instant::now() + p);
                    }
                    None => break,
                },
                _ = sleep_until(read_resume.unwrap_or_else(far)), if read_resume.is_some() => read_resume = None,
                // Once the stream is closed, what is left in the mailbox is routed again
                // at the end.
                Some(item) = recv(&mut self.mailbox), if !self.c2s.is_closed() => self.c2s.handle_routed(item).await,
                _ = sleep_until(hold_deadline.unwrap_or_else(far)), if hold_deadline.is_some() => {
                    // Nothing to say within `wait`: answer the oldest held request empty.
                    self.answer_oldest(Vec::new());
                }
                _ = sleep_until(idle_deadline.unwrap_or_else(far)), if idle_deadline.is_some() => {
                    tracing::debug!(sid = %self.p.sid, "BOSH session inactive; closing");
                    break;
                }
                _ = sleep_until(request_deadline) => {
                    tracing::debug!(sid = %self.p.sid, "BOSH client sent no request in time; closing");
                    break;
                }
                _ = sleep_until(negotiation.unwrap_or_else(far)), if negotiation.is_some() => self.c2s.on_timeout().await,
            }
            if self.mailbox.is_none() {
                self.mailbox = self.c2s.take_mailbox();
            }
            self.collect();
            if self.pending_bytes > PENDING_MAX_BYTES && !self.c2s.is_closed() {
                tracing::info!(sid = %self.p.sid, bytes = self.pending_bytes, "BOSH client reads too slowly; closing");
                self.c2s
                    .stream_error("policy-violation", Some(SLOW_READER))
                    .await;
                self.collect();
            }
            self.flush();
            self.bound
                .store(self.c2s.jid().is_some() && !self.closed, Ordering::Relaxed);
        }
        self.bound.store(false, Ordering::Relaxed);
        if self.mailbox.is_none() {
            self.mailbox = self.c2s.take_mailbox();
        }
        // Stanzas that never reached the client go back to the core, older than anything
        // still in the mailbox: `terminate` routes them again in that order.
        self.collect();
        let pending = self.take_pending();
        self.c2s
            .unsent(pending.into_iter().map(Output::Element).collect())
            .await;
        // Whatever ended the session, the core cleans up (unavailable presence, unregister,
        // and the reroute of what was queued).
        self.c2s.terminate().await;
        for h in self.held.drain(..) {
            let _ = h.reply.send(terminate_body(None).to_xml());
        }
        for (_, d) in std::mem::take(&mut self.deferred) {
            let _ = d.reply.send(terminate_body(None).to_xml());
        }
        self.registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.p.sid);
        tracing::debug!(sid = %self.p.sid, "BOSH session ended");
    }

    async fn on_request(&mut self, r: Request) {
        self.last_activity = Instant::now();
        self.last_request = self.last_activity;
        self.paused_for = None;
        let rid = match r.rid {
            Ok(rid) => rid,
            Err(condition) => {
                tracing::debug!(sid = %self.p.sid, condition, "BOSH request refused; closing");
                self.fail(r.reply, condition);
                return;
            }
        };
        let r = Parsed {
            rid,
            body: r.body,
            reply: r.reply,
        };
        if r.rid < self.next_rid {
            // A retransmission: of a held request (the client's connection broke), or of an
            // answered one (its response was lost).
            if let Some(h) = self.held.iter_mut().find(|h| h.rid == r.rid) {
                h.reply = r.reply;
            } else if let Some((cached, _)) = self.cache.get(r.rid) {
                self.send(r.reply, cached.to_string());
            } else {
                self.fail(r.reply, "item-not-found");
            }
            return;
        }
        if r.rid == self.next_rid {
            self.next_rid = self.next_rid.saturating_add(1);
            self.process(r).await;
            while let Some(d) = self.deferred.remove(&self.next_rid) {
                if self.closed {
                    let _ = d.reply.send(terminate_body(None).to_xml());
                    continue;
                }
                self.next_rid = self.next_rid.saturating_add(1);
                self.process(d).await;
            }
        } else if r.rid < self.next_rid.saturating_add(REQUESTS) {
            // Ahead of a gap: processed once the missing request arrives.
            self.deferred.insert(r.rid, r);
        } else {
            self.fail(r.reply, "item-not-found");
        }
    }

    async fn process(&mut self, r: Parsed) {
        let Parsed {
            rid,
            body: mut req,
            reply,
            ..
        } = r;
        if let Some(ack) = req
            .attr("ack")
            .and_then(crate::parse_rid)
            .filter(|_| self.p.client_acks)
        {
            self.cache.acknowledge(ack);
            if ack < self.last_answered && self.report.is_none() {
                self.report = Some(ack.saturating_add(1));
            }
        }
        let children: Vec<Element> = req
            .take_children()
            .into_iter()
            .map(|mut c| {
                // Stanzas without their own xmlns inherit the body's; they belong to jabber:client.
                if c.ns() == ns::HTTPBIND {
                    c.set_ns_recursive(ns::HTTPBIND, ns::CLIENT);
                }
                c
            })
            .collect();
        if req.attr("type") == Some("terminate") {
            for c in children {
                self.c2s.handle(Input::Element(c)).await;
            }
            self.c2s.handle(Input::Close).await;
            self.collect();
            let mut resp = terminate_body(None);
            for el in self.take_pending() {
                if !el.is("error", ns::STREAM) {
                    resp.append_child(el);
                }
            }
            for h in self.held.drain(..) {
                let _ = h.reply.send(body().to_xml());
            }
            self.respond(rid, reply, resp);
            self.closed = true;
            return;
        }
        if let Some(pause) = req.attr("pause") {
            let pause = crate::parse_secs(pause).unwrap_or(Duration::MAX);
            if pause > self.p.max_pause {
                self.fail(reply, "policy-violation");
                return;
            }
            self.paused_for = Some(pause);
            while !self.held.is_empty() {
                self.answer_oldest(Vec::new());
            }
            let pending = self.take_pending();
            self.respond(rid, reply, body_with(pending));
            return;
        }
        if req.attr_ns(ns::XBOSH, "restart") == Some("true") {
            let open = StreamOpen {
                to: Some(self.p.domain.clone()),
                version: Some("1.0".into()),
                lang: req.attr("xml:lang").map(str::to_owned),
            };
            self.c2s.handle(Input::Open(open)).await;
        }
        for c in children {
            self.c2s.handle(Input::Element(c)).await;
            if self.c2s.is_closed() {
                break;
            }
        }
        self.held.push_back(Held {
            rid,
            reply,
            deadline: after(Instant::now(), self.p.wait),
        });
        // At most `hold` requests are kept; the older is answered first.
        while self.held.len() > self.p.hold {
            self.collect();
            let pending = self.take_pending();
            self.answer_oldest(pending);
        }
    }

    /// Empties `pending`.
    fn take_pending(&mut self) -> Vec<Element> {
        self.pending_bytes = 0;
        std::mem::take(&mut self.pending)
    }

    /// Moves the machine's output into `pending`.
    fn collect(&mut self) {
        for out in self.c2s.take_output() {
            match out {
                Output::Element(el) => {
                    self.pending_bytes = self.pending_bytes.saturating_add(size(&el));
                    self.pending.push(el);
                }
                Output::Close => self.ending = true,
                Output::Open { .. } => {} // a restart's header is implicit in BOSH
            }
        }
    }

    /// Sends pending output (or the end of the stream) if a request is held.
    fn flush(&mut self) {
        if self.held.is_empty() || (self.pending.is_empty() && !self.ending) {
            return;
        }
        let pending = self.take_pending();
        if self.ending {
            let stream_error = pending.iter().any(|e| e.is("error", ns::STREAM));
            let mut resp = terminate_body(stream_error.then_some("remote-stream-error"));
            for el in pending {
                resp.append_child(el);
            }
            let Some(h) = self.held.pop_front() else {
                return;
            };
            self.respond(h.rid, h.reply, resp);
            for h in self.held.drain(..) {
                let _ = h.reply.send(body().to_xml());
            }
            self.closed = true;
        } else {
            self.answer_oldest(pending);
        }
    }

    fn answer_oldest(&mut self, content: Vec<Element>) {
        if let Some(h) = self.held.pop_front() {
            self.respond(h.rid, h.reply, body_with(content));
            self.last_activity = Instant::now();
        }
    }

    fn respond(&mut self, rid: u64, reply: oneshot::Sender<String>, mut resp: Element) {
        if reply.is_closed() {
            // Its HTTP client is gone: keep the stanzas for the next request (or for
            // rerouting if the session ends); a retransmission gets the empty body.
            let mut stanzas: Vec<Element> = resp
                .take_children()
                .into_iter()
                .filter(|el| el.ns() == ns::CLIENT)
                .collect();
            stanzas.append(&mut self.pending);
            self.pending_bytes = stanzas.iter().map(size).fold(0, usize::saturating_add);
            self.pending = stanzas;
        }
        if self.p.server_acks && rid.saturating_add(1) < self.next_rid {
            resp.set_attr("ack", self.next_rid.saturating_sub(1).to_string());
        }
        if let Some(report) = self.report.take() {
            match self.cache.get(report) {
                Some((_, sent)) => {
                    resp.set_attr("report", report.to_string());
                    resp.set_attr("time", sent.elapsed().as_millis().to_string());
                }
                None => self.report = None,
            }
        }
        let text: Arc<str> = Arc::from(resp.to_xml());
        let max = self.cache_max_count();
        self.cache.insert(rid, text.clone(), max);
        self.last_answered = self.last_answered.max(rid);
        self.send(reply, text.to_string());
    }

    /// Responses kept for retransmission: the `requests` window, or with client acks
    /// every unacknowledged one within the cache bounds.
    fn cache_max_count(&self) -> usize {
        if self.p.client_acks {
            CACHE_MAX_RESPONSES
        } else {
            REQUESTS as usize
        }
    }

    fn send(&self, reply: oneshot::Sender<String>, text: String) {
        self.server.metrics().bosh_sent_bytes.add(text.len() as u64);
        // The client may have gone; the response stays cached for a retransmission.
        let _ = reply.send(text);
    }

    /// Ends the session with a terminal condition, answering every held request.
    fn fail(&mut self, reply: oneshot::Sender<String>, condition: &str) {
        let _ = reply.send(terminate_body(Some(condition)).to_xml());
        for h in self.held.drain(..) {
            let _ = h.reply.send(terminate_body(Some(condition)).to_xml());
        }
        for (_, d) in std::mem::take(&mut self.deferred) {
            let _ = d.reply.send(terminate_body(Some(condition)).to_xml());
        }
        self.closed = true;
    }
}

fn body_with(content: Vec<Element>) -> Element {
    let mut b = body();
    for el in content {
        b.append_child(el);
    }
    b
}

/// The text of the stream error that ends a session whose client reads too slowly.
pub const SLOW_READER: &str = "Too much data waiting for the client";

/// A cheap estimate of an element's serialized size (names, attributes, text), without
/// serializing it.
fn size(el: &Element) -> usize {
    let mut n = el.name().len().saturating_mul(2).saturating_add(8);
    for (name, value) in el.attrs() {
        n = n
            .saturating_add(name.len())
            .saturating_add(value.len())
            .saturating_add(4);
    }
    for node in el.nodes() {
        n = n.saturating_add(match node {
            meerkat_xmpp::Node::Element(c) => size(c),
            meerkat_xmpp::Node::Text(t) => t.len(),
        });
    }
    n
}

/// A year: no deadline is further away than this.
const YEAR: Duration = Duration::from_secs(86_400 * 365);

fn far() -> Instant {
    after(Instant::now(), YEAR)
}

/// `base + d`, never panicking: durations beyond a year count as a year.
fn after(base: Instant, d: Duration) -> Instant {
    base.checked_add(d.min(YEAR)).unwrap_or(base)
}

/// A request whose rid was accepted.
struct Parsed {
    rid: u64,
    body: Element,
    reply: oneshot::Sender<String>,
}

async fn recv(mailbox: &mut Option<Mailbox>) -> Option<Routed> {
    match mailbox {
        Some(m) => m.recv().await,
        None => std::future::pending().await,
    }
}
