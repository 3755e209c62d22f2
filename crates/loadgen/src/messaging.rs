//! Open-loop one-to-one messaging between logged-in users, for the `route` and `latency`
//! scenarios (the shape of amoc's `mongoose_one_to_one`: each user sends to its 8
//! neighbours, 4 lower and 4 higher ids, in a ring).
//!
//! Message `k` of a step goes from user `k mod N` to that user's neighbour number
//! `(k / N) mod 8`, so every user sends and receives at the same rate. A scheduler sends
//! message `k` at `k / rate` seconds into the step, whatever happened before (open loop):
//! it hands the message to its sender's writer through an unbounded queue, and the
//! writer stamps the send time into the body just before the frame is written. Each
//! body carries `lg:<step>:<k>:<scheduled µs>:<sent µs>:`, so a receiver knows which
//! message arrived (a bitmap per step finds losses and duplicates, and the recipient is
//! checked) and how long it took:
//! - time to delivery = arrival − send stamp (the server and the network);
//! - from schedule = arrival − scheduled time (adds the load generator's own lag: timer
//!   granularity of about 1 ms and any backlog in its queues);
//! - writer lag = send stamp − scheduled time.
//!
//! Timestamps are microseconds on one monotonic clock: sender and receiver are the same
//! process.

use crate::bosh;
use crate::hist::{self, Hist};
use crate::http1::Conn;
use crate::report::round3;
use crate::server;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// Neighbour offsets: 4 lower and 4 higher ids.
pub const OFFSETS: [i64; 8] = [-4, -3, -2, -1, 1, 2, 3, 4];

/// Sender and recipient (0-based user indexes) of message `k` among `n` users.
pub fn route_of(k: u64, n: usize) -> (usize, usize) {
    let n64 = n as u64;
    let from = (k % n64) as usize;
    let off = OFFSETS[((k / n64) % 8) as usize];
    let to = (from as i64 + off).rem_euclid(n as i64) as usize;
    (from, to)
}

/// One message handed to a writer.
pub struct Out {
    step: u32,
    k: u64,
    sched_us: u64,
}

#[derive(Default)]
struct Hists {
    ttd: Option<Hist>,
    from_sched: Option<Hist>,
    lag: Option<Hist>,
}

/// One rate step: its messages and what became of them.
pub struct Step {
    pub rate: u64,
    /// Messages scheduled in the step (warm-up included).
    pub total: u64,
    /// Messages `k < warmup` are not recorded in the histograms.
    pub warmup: u64,
    bits: Vec<AtomicU64>,
    /// Distinct messages delivered.
    pub delivered: Arc<AtomicUsize>,
    pub written: AtomicU64,
    pub duplicates: AtomicU64,
    pub misrouted: AtomicU64,
    /// Error stanzas that came back for messages of this step.
    pub bounced: AtomicU64,
    hists: Mutex<Hists>,
}

impl Step {
    fn new(rate: u64, warmup_s: f64, measure_s: f64) -> Step {
        let total = (rate as f64 * (warmup_s + measure_s)).round() as u64;
        let warmup = (rate as f64 * warmup_s).round() as u64;
        Step {
            rate,
            total,
            warmup,
            bits: (0..total.div_ceil(64)).map(|_| AtomicU64::new(0)).collect(),
            delivered: Arc::default(),
            written: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            misrouted: AtomicU64::new(0),
            bounced: AtomicU64::new(0),
            hists: Mutex::new(Hists {
                ttd: Some(hist::new()),
                from_sched: Some(hist::new()),
                lag: Some(hist::new()),
            }),
        }
    }
}

/// Shared by the scheduler, every writer and every reader.
pub struct Engine {
    base: Instant,
    pub n: usize,
    domain: String,
    pub steps: Vec<Step>,
    /// Connections that ended with an error (or a terminate) while the run went on.
    pub conn_errors: AtomicU64,
    first_error: Mutex<Option<String>>,
    /// Error stanzas whose message could not be identified.
    pub unknown_errors: AtomicU64,
}

impl Engine {
    /// `rates` become the steps, each `warmup_s + measure_s` long.
    pub fn new(
        n: usize,
        domain: &str,
        rates: &[u64],
        warmup_s: f64,
        measure_s: f64,
    ) -> Arc<Engine> {
        Arc::new(Engine {
            base: Instant::now(),
            n,
            domain: domain.to_owned(),
            steps: rates
                .iter()
                .map(|r| Step::new(*r, warmup_s, measure_s))
                .collect(),
            conn_errors: AtomicU64::new(0),
            first_error: Mutex::new(None),
            unknown_errors: AtomicU64::new(0),
        })
    }

    fn now_us(&self) -> u64 {
        self.base.elapsed().as_micros() as u64
    }

    fn error(&self, e: String) {
        self.conn_errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(e);
        }
    }

    pub fn first_error(&self) -> Option<String> {
        self.first_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The stanza for `m`, stamped now; records the writer lag.
    fn stanza(&self, m: &Out, out: &mut String) {
        let sent = self.now_us();
        let (_, to) = route_of(m.k, self.n);
        let _ = write!(
            out,
            "<message xmlns='jabber:client' to='user{}@{}' type='chat' id='m{}'><body>lg:{}:{}:{}:{sent}:</body></message>",
            to + 1,
            self.domain,
            m.k,
            m.step,
            m.k,
            m.sched_us
        );
        let step = &self.steps[m.step as usize];
        step.written.fetch_add(1, Ordering::Relaxed);
        if m.k >= step.warmup {
            let mut h = step.hists.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(lag) = h.lag.as_mut() {
                hist::record(lag, sent.saturating_sub(m.sched_us));
            }
        }
    }

    /// Handles what user `me` received (a WebSocket frame or a BOSH response body).
    fn on_text(&self, me: usize, text: &str) {
        if !text.contains("<message") {
            return;
        }
        let now = self.now_us();
        for seg in text.split("<message").skip(1) {
            let tag = &seg[..seg.find('>').unwrap_or(seg.len())];
            let is_error = tag.contains("type='error'") || tag.contains("type=\"error\"");
            let Some((step_i, k, sched, sent)) =
                seg.find("lg:").and_then(|i| marker(&seg[i + 3..]))
            else {
                if is_error {
                    self.unknown_errors.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            };
            let Some(step) = self.steps.get(step_i as usize).filter(|s| k < s.total) else {
                self.unknown_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if is_error {
                step.bounced.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if route_of(k, self.n).1 != me {
                step.misrouted.fetch_add(1, Ordering::Relaxed);
            }
            let bit = 1u64 << (k % 64);
            let old = step.bits[(k / 64) as usize].fetch_or(bit, Ordering::Relaxed);
            if old & bit != 0 {
                step.duplicates.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            step.delivered.fetch_add(1, Ordering::Relaxed);
            if k >= step.warmup {
                let mut h = step.hists.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(ttd) = h.ttd.as_mut() {
                    hist::record(ttd, now.saturating_sub(sent));
                }
                if let Some(fs) = h.from_sched.as_mut() {
                    hist::record(fs, now.saturating_sub(sched));
                }
            }
        }
    }
}

/// Parses `<step>:<k>:<sched>:<sent>:`.
fn marker(s: &str) -> Option<(u32, u64, u64, u64)> {
    let mut it = s.splitn(5, ':');
    let step = it.next()?.parse().ok()?;
    let k = it.next()?.parse().ok()?;
    let sched = it.next()?.parse().ok()?;
    let sent = it.next()?.parse().ok()?;
    Some((step, k, sched, sent))
}

/// Drives one WebSocket user: a writer task for its queue, a reader task for its frames.
pub fn spawn_ws_user(
    engine: Arc<Engine>,
    me: usize,
    ws: WebSocketStream<TcpStream>,
    mut rx: mpsc::UnboundedReceiver<Out>,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    let (mut sink, mut stream) = ws.split();
    let e = engine.clone();
    tasks.spawn(async move {
        let mut text = String::with_capacity(256);
        while let Some(first) = rx.recv().await {
            let mut next = Some(first);
            let mut result = Ok(());
            while let Some(m) = next {
                text.clear();
                e.stanza(&m, &mut text);
                result = sink.feed(Message::text(text.as_str())).await;
                if result.is_err() {
                    break;
                }
                next = rx.try_recv().ok();
            }
            if let Err(err) = result.and(sink.flush().await) {
                e.error(format!("WebSocket write of user{}: {err}", me + 1));
                return;
            }
        }
    });
    tasks.spawn(async move {
        while let Some(msg) = stream.next().await {
            match msg {
                Ok(Message::Text(t)) => engine.on_text(me, t.as_str()),
                Ok(Message::Close(_)) => {
                    engine.error(format!("user{}: the server closed the WebSocket", me + 1));
                    return;
                }
                Ok(_) => {}
                Err(err) => {
                    engine.error(format!("WebSocket read of user{}: {err}", me + 1));
                    return;
                }
            }
        }
    });
}

/// Drives one BOSH user as real clients do, with at most two requests outstanding: a
/// poller keeps one request held on the login connection and sends the next empty one
/// as soon as a response arrives; a sender posts queued messages (all that are queued,
/// in one body) on a second connection, one request at a time. The server answers the
/// older request when the newer arrives, so a message can come back on either
/// connection: both hand every response to the engine.
pub fn spawn_bosh_user(
    engine: Arc<Engine>,
    me: usize,
    shared: Arc<bosh::Shared>,
    mut conn: Conn,
    source: IpAddr,
    mut rx: mpsc::UnboundedReceiver<Out>,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    let e = engine.clone();
    let s = shared.clone();
    tasks.spawn(async move {
        loop {
            let request = s.request("", "");
            match conn.request(&request).await {
                Ok(r) if r.status == 200 => {
                    let text = r.text();
                    e.on_text(me, text);
                    if text.contains("type='terminate'") || text.contains("type=\"terminate\"") {
                        e.error(format!("user{}: session terminated: {text}", me + 1));
                        return;
                    }
                }
                Ok(r) => {
                    e.error(format!(
                        "user{} poll: HTTP {} {}",
                        me + 1,
                        r.status,
                        r.text()
                    ));
                    return;
                }
                Err(err) => {
                    e.error(format!("user{} poll: {err:#}", me + 1));
                    return;
                }
            }
        }
    });
    tasks.spawn(async move {
        let mut conn: Option<Conn> = None;
        let mut last_used = Instant::now();
        let mut children = String::with_capacity(512);
        while let Some(first) = rx.recv().await {
            children.clear();
            let mut next = Some(first);
            while let Some(m) = next {
                engine.stanza(&m, &mut children);
                next = rx.try_recv().ok();
            }
            let request = shared.request("", &children);
            // The server closes a connection left idle for its keep-alive time (5 s in
            // actix-web): open a new one after 4 s, and if a reused connection fails
            // anyway, send the same request (same rid, a legal retransmission) once more
            // on a new one.
            if last_used.elapsed() > Duration::from_secs(4) {
                conn = None;
            }
            let mut result = None;
            for attempt in 0..2 {
                let fresh = conn.is_none();
                if fresh {
                    match Conn::connect(shared.addr, source).await {
                        Ok(c) => conn = Some(c),
                        Err(err) => {
                            result = Some(Err(err));
                            break;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { break };
                let r = c.request(&request).await;
                if r.is_err() {
                    conn = None;
                    if !fresh && attempt == 0 {
                        continue;
                    }
                }
                result = Some(r);
                break;
            }
            last_used = Instant::now();
            match result.unwrap_or_else(|| Err(anyhow::anyhow!("no connection"))) {
                Ok(r) if r.status == 200 => engine.on_text(me, r.text()),
                Ok(r) => {
                    engine.error(format!(
                        "user{} send: HTTP {} {}",
                        me + 1,
                        r.status,
                        r.text()
                    ));
                    return;
                }
                Err(err) => {
                    engine.error(format!("user{} send: {err:#}", me + 1));
                    return;
                }
            }
        }
    });
}

/// Logs in users `1..=n` over `transport` and starts their drivers; returns one queue per
/// user (index = user number − 1). Every user must log in.
pub async fn connect_users(
    engine: &Arc<Engine>,
    t: &crate::target::Target,
    transport: crate::logins::Transport,
    opts: &crate::logins::Opts<'_>,
    progress: &crate::progress::Progress,
    tasks: &mut tokio::task::JoinSet<()>,
) -> anyhow::Result<Vec<mpsc::UnboundedSender<Out>>> {
    use crate::logins::{self, Transport};
    let n = engine.n;
    let users: Vec<usize> = (1..=n).collect();
    let mut senders = Vec::with_capacity(n);
    match transport {
        Transport::Ws => {
            let batch = logins::ws(t, users, opts, progress).await?;
            if let Some(e) = batch.errors.first() {
                anyhow::bail!("{} of {n} logins failed; first: {e}", batch.errors.len());
            }
            for (i, s) in batch.ok {
                let (tx, rx) = mpsc::unbounded_channel();
                spawn_ws_user(engine.clone(), i - 1, s.into_ws(), rx, tasks);
                senders.push(tx);
            }
        }
        Transport::Bosh => {
            // Each user starts polling as soon as it has logged in.
            let spawned = Mutex::new(&mut *tasks);
            let batch = logins::bosh(t, users, opts, progress, |i, b| {
                let (tx, rx) = mpsc::unbounded_channel();
                let (shared, conn, _) = b.into_parts();
                let source = opts.common.source(i + n);
                let mut set = spawned.lock().unwrap_or_else(|p| p.into_inner());
                spawn_bosh_user(engine.clone(), i - 1, shared, conn, source, rx, &mut set);
                tx
            })
            .await?;
            if let Some(e) = batch.errors.first() {
                anyhow::bail!("{} of {n} logins failed; first: {e}", batch.errors.len());
            }
            senders.extend(batch.ok.into_iter().map(|(_, tx)| tx));
        }
    }
    Ok(senders)
}

/// What one step measured.
pub struct StepResult {
    pub rate: u64,
    pub scheduled: u64,
    pub written: u64,
    pub delivered: u64,
    pub not_delivered: u64,
    pub duplicates: u64,
    pub misrouted: u64,
    pub bounced: u64,
    pub ttd: Hist,
    pub from_sched: Hist,
    pub lag: Hist,
    pub wall_s: f64,
    pub server_cpu_s: f64,
    pub client_cpu_s: f64,
    /// Seconds from the last scheduled message until all were accounted for (or the
    /// drain limit).
    pub drain_s: f64,
}

impl StepResult {
    /// Server CPU time per delivered message, µs.
    pub fn server_us_per_msg(&self) -> f64 {
        self.server_cpu_s * 1e6 / self.delivered.max(1) as f64
    }

    /// Zero loss (nothing undelivered, bounced, duplicated or misrouted) and p99 from
    /// schedule below `p99_ms`.
    pub fn sustained(&self, p99_ms: f64) -> bool {
        self.not_delivered == 0
            && self.bounced == 0
            && self.duplicates == 0
            && self.misrouted == 0
            && hist::ms(&self.from_sched, 0.99) < p99_ms
    }

    pub fn json(&self) -> serde_json::Value {
        json!({
            "rate_msg_s": self.rate,
            "scheduled": self.scheduled,
            "written": self.written,
            "delivered": self.delivered,
            "not_delivered": self.not_delivered,
            "bounced": self.bounced,
            "duplicates": self.duplicates,
            "misrouted": self.misrouted,
            "time_to_delivery": hist::json(&self.ttd),
            "time_from_schedule": hist::json(&self.from_sched),
            "writer_lag": hist::json(&self.lag),
            "wall_s": round3(self.wall_s),
            "drain_s": round3(self.drain_s),
            "server_cpu_s": round3(self.server_cpu_s),
            "server_cpu_us_per_msg": round3(self.server_us_per_msg()),
            "server_cpu_pct": round3(self.server_cpu_s * 100.0 / self.wall_s.max(1e-9)),
            "client_cpu_pct": round3(self.client_cpu_s * 100.0 / self.wall_s.max(1e-9)),
        })
    }
}

/// Runs step `idx`: schedules its messages open-loop, then waits (at most `drain`) until
/// every one is delivered or bounced.
pub async fn run_step(
    engine: &Arc<Engine>,
    idx: usize,
    senders: &[mpsc::UnboundedSender<Out>],
    pid: u32,
    drain: Duration,
    progress: &crate::progress::Progress,
) -> StepResult {
    let step = &engine.steps[idx];
    progress.phase(
        format!("{} msg/s: delivered", step.rate),
        step.total as usize,
        step.delivered.clone(),
        Some(pid),
    );
    let cpu0 = server::cpu_time(pid);
    let own0 = server::own_cpu_time();
    let start = Instant::now();
    let start_us = engine.now_us();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut k = 0u64;
    while k < step.total {
        tick.tick().await;
        let elapsed = start.elapsed().as_micros() as u64;
        let due = ((u128::from(elapsed) * u128::from(step.rate)) / 1_000_000) as u64 + 1;
        while k < due.min(step.total) {
            let sched_us = start_us + (u128::from(k) * 1_000_000 / u128::from(step.rate)) as u64;
            let (from, _) = route_of(k, engine.n);
            let _ = senders[from].send(Out {
                step: idx as u32,
                k,
                sched_us,
            });
            k += 1;
        }
    }
    let scheduled_end = Instant::now();
    while (step.delivered.load(Ordering::Relaxed) as u64) + step.bounced.load(Ordering::Relaxed)
        < step.total
        && scheduled_end.elapsed() < drain
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let drain_s = scheduled_end.elapsed().as_secs_f64();
    let wall_s = start.elapsed().as_secs_f64();
    let server_cpu_s = (server::cpu_time(pid).saturating_sub(cpu0)).as_secs_f64();
    let client_cpu_s = (server::own_cpu_time().saturating_sub(own0)).as_secs_f64();
    let mut h = step.hists.lock().unwrap_or_else(|p| p.into_inner());
    let delivered = step.delivered.load(Ordering::Relaxed) as u64;
    StepResult {
        rate: step.rate,
        scheduled: step.total,
        written: step.written.load(Ordering::Relaxed),
        delivered,
        not_delivered: step.total.saturating_sub(delivered),
        duplicates: step.duplicates.load(Ordering::Relaxed),
        misrouted: step.misrouted.load(Ordering::Relaxed),
        bounced: step.bounced.load(Ordering::Relaxed),
        ttd: h.ttd.take().unwrap_or_else(hist::new),
        from_sched: h.from_sched.take().unwrap_or_else(hist::new),
        lag: h.lag.take().unwrap_or_else(hist::new),
        wall_s,
        server_cpu_s,
        client_cpu_s,
        drain_s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_user_sends_to_its_eight_neighbours() {
        let n = 20;
        for from in 0..n {
            let mut to: Vec<usize> = (0..8)
                .map(|round| route_of((round * n + from) as u64, n))
                .map(|(f, t)| {
                    assert_eq!(f, from);
                    t
                })
                .collect();
            to.sort_unstable();
            let mut expected: Vec<usize> = OFFSETS
                .iter()
                .map(|o| (from as i64 + o).rem_euclid(n as i64) as usize)
                .collect();
            expected.sort_unstable();
            assert_eq!(to, expected);
        }
    }

    #[test]
    fn marker_parses() {
        assert_eq!(marker("3:17:100:120:</body>"), Some((3, 17, 100, 120)));
        assert_eq!(marker("x"), None);
    }
}
