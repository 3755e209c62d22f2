//! One BOSH session: a task that owns the core's c2s machine and the BOSH request
//! bookkeeping (XEP-0124): the RID window, held requests, the response cache for
//! retransmissions and acknowledgements, `wait`, `inactivity` and `pause` timers.
//!
//! HTTP requests reach the task through a channel (they may arrive on any worker) and get
//! their response body back through a oneshot.

use meerkat_core::Server;
use meerkat_core::c2s::{C2s, Input, Output, StreamOpen};
use meerkat_core::sm::Routed;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until};
use xmpp::{Element, ns};

/// Requests a client may have outstanding (the `requests` attribute).
pub const REQUESTS: u64 = 2;

/// Live sessions of one BOSH mount, by sid.
/// Requests travel boxed: a channel allocates room for 32 of its items up front.
pub type Registry = Arc<Mutex<HashMap<String, mpsc::Sender<Box<Request>>>>>;

/// One HTTP request for a session.
pub struct Request {
    /// Its `rid`.
    pub rid: u64,
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
    /// Session dies after this long without a held request (`None` = never).
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
    mailbox: Option<mpsc::Receiver<Routed>>,
    /// The rid expected next.
    next_rid: u64,
    /// Requests that arrived ahead of a gap (rid = next_rid + 1).
    deferred: BTreeMap<u64, Request>,
    held: VecDeque<Held>,
    /// Elements waiting for a held request.
    pending: Vec<Element>,
    /// The stream ended: the next response is a terminate body.
    ending: bool,
    closed: bool,
    /// Sent responses by rid, for retransmission and `report`.
    cache: BTreeMap<u64, (Arc<str>, Instant)>,
    /// Highest rid answered so far.
    last_answered: u64,
    /// A lost response to report (`report`, `time`) in the next response.
    report: Option<u64>,
    last_activity: Instant,
    /// Inactivity allowed during a client pause.
    paused_for: Option<Duration>,
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
    pub fn new(server: Server, registry: Registry, p: Params, c2s: C2s, rid: u64) -> Session {
        Session {
            server,
            registry,
            p,
            c2s,
            mailbox: None,
            next_rid: rid + 1,
            deferred: BTreeMap::new(),
            held: VecDeque::new(),
            pending: Vec::new(),
            ending: false,
            closed: false,
            cache: BTreeMap::new(),
            last_answered: rid,
            report: None,
            last_activity: Instant::now(),
            paused_for: None,
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
            self.cache
                .insert(rid, (Arc::from(resp.to_xml()), Instant::now()));
        }
        resp
    }

    /// Runs until the session ends.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Box<Request>>) {
        // While the client's traffic shaper (`c2s_shaper`) pauses reading: until when.
        let mut read_resume: Option<Instant> = None;
        while !self.closed {
            let hold_deadline = self.held.front().map(|h| h.deadline);
            let inactivity = if self.held.is_empty() {
                self.paused_for.or(self.p.inactivity)
            } else {
                None
            };
            let idle_deadline = inactivity.map(|i| self.last_activity + i);
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
                Some(item) = recv(&mut self.mailbox) => self.c2s.handle_routed(item).await,
                _ = sleep_until(hold_deadline.unwrap_or_else(far)), if hold_deadline.is_some() => {
                    // Nothing to say within `wait`: answer the oldest held request empty.
                    self.answer_oldest(Vec::new());
                }
                _ = sleep_until(idle_deadline.unwrap_or_else(far)), if idle_deadline.is_some() => {
                    tracing::debug!(sid = %self.p.sid, "BOSH session inactive; closing");
                    break;
                }
                _ = sleep_until(negotiation.unwrap_or_else(far)), if negotiation.is_some() => self.c2s.on_timeout().await,
            }
            if self.mailbox.is_none() {
                self.mailbox = self.c2s.take_mailbox();
            }
            self.collect();
            self.flush();
        }
        // Whatever ended the session, the core cleans up (unavailable presence, unregister).
        self.c2s.terminate().await;
        for h in self.held.drain(..) {
            let _ = h.reply.send(terminate_body(None).to_xml());
        }
        self.registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.p.sid);
        tracing::debug!(sid = %self.p.sid, "BOSH session ended");
    }

    async fn on_request(&mut self, r: Request) {
        self.last_activity = Instant::now();
        self.paused_for = None;
        if r.rid < self.next_rid {
            // A retransmission: of a held request (the client's connection broke), or of an
            // answered one (its response was lost).
            if let Some(h) = self.held.iter_mut().find(|h| h.rid == r.rid) {
                h.reply = r.reply;
            } else if let Some((cached, _)) = self.cache.get(&r.rid) {
                self.send(r.reply, cached.to_string());
            } else {
                self.fail(r.reply, "item-not-found");
            }
            return;
        }
        if r.rid == self.next_rid {
            self.next_rid += 1;
            self.process(r).await;
            while let Some(d) = self.deferred.remove(&self.next_rid) {
                if self.closed {
                    let _ = d.reply.send(terminate_body(None).to_xml());
                    continue;
                }
                self.next_rid += 1;
                self.process(d).await;
            }
        } else if r.rid < self.next_rid + REQUESTS {
            // Ahead of a gap: processed once the missing request arrives.
            self.deferred.insert(r.rid, r);
        } else {
            self.fail(r.reply, "item-not-found");
        }
    }

    async fn process(&mut self, r: Request) {
        let Request {
            rid,
            body: mut req,
            reply,
            ..
        } = r;
        if let Some(ack) = req
            .attr("ack")
            .and_then(|a| a.parse::<u64>().ok())
            .filter(|_| self.p.client_acks)
        {
            self.cache.retain(|k, _| *k > ack);
            if ack < self.last_answered && self.report.is_none() {
                self.report = Some(ack + 1);
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
            for el in self.pending.drain(..) {
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
            let secs = pause.parse::<u64>().unwrap_or(u64::MAX);
            if Duration::from_secs(secs) > self.p.max_pause {
                self.fail(reply, "policy-violation");
                return;
            }
            self.paused_for = Some(Duration::from_secs(secs));
            while !self.held.is_empty() {
                self.answer_oldest(Vec::new());
            }
            let pending = std::mem::take(&mut self.pending);
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
            deadline: Instant::now() + self.p.wait,
        });
        // At most `hold` requests are kept; the older is answered first.
        while self.held.len() > self.p.hold {
            self.collect();
            let pending = std::mem::take(&mut self.pending);
            self.answer_oldest(pending);
        }
    }

    /// Moves the machine's output into `pending`.
    fn collect(&mut self) {
        for out in self.c2s.take_output() {
            match out {
                Output::Element(el) => self.pending.push(el),
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
        let pending = std::mem::take(&mut self.pending);
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
        if self.p.server_acks && rid + 1 < self.next_rid {
            resp.set_attr("ack", (self.next_rid - 1).to_string());
        }
        if let Some(report) = self.report.take() {
            match self.cache.get(&report) {
                Some((_, sent)) => {
                    resp.set_attr("report", report.to_string());
                    resp.set_attr("time", sent.elapsed().as_millis().to_string());
                }
                None => self.report = None,
            }
        }
        let text: Arc<str> = Arc::from(resp.to_xml());
        self.cache.insert(rid, (text.clone(), Instant::now()));
        if !self.p.client_acks {
            while self.cache.len() > REQUESTS as usize {
                self.cache.pop_first();
            }
        }
        self.last_answered = self.last_answered.max(rid);
        self.send(reply, text.to_string());
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

fn far() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

async fn recv(mailbox: &mut Option<mpsc::Receiver<Routed>>) -> Option<Routed> {
    match mailbox {
        Some(m) => m.recv().await,
        None => std::future::pending().await,
    }
}
