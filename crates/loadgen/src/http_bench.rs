//! Scenario `http` (issue 7 scenario 6, issue 5's and issue 13's benchmark): requests per
//! second and latency of the server's HTTP APIs (for meerkat: admin GraphQL `checkAuth`
//! and `session.countSessions`, admin REST `GET /api/users/<domain>` and client REST
//! `GET /rest/contacts`, all with Basic auth), beside a plain actix-web "hello" endpoint in
//! the same run, on the same core, measured the same way: the ceiling this machine and
//! this client allow.
//!
//! A fixed number of keep-alive HTTP/1.1 connections each send one request after the
//! other for a fixed time (closed loop). Every response is checked: a non-200 status,
//! a body with `errors`, or unexpected data counts as a failure, not as a request done.
//! Endpoints take turns, round after round, so that noise on this shared machine hits
//! them alike; the figure is the median round.

use crate::client::Mechanism;
use crate::common::{self, Common};
use crate::hist::{self, Hist, fmt_ms};
use crate::http1::{Conn, request_bytes};
use crate::logins::{self, Opts};
use crate::progress::Progress;
use crate::report::{Better, Outcome, Row, round3};
use crate::server::{self, BenchDir, ServerProcess};
use crate::target::{Endpoint, Expect, HttpProbe, Launcher, Target};
use serde_json::json;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Path of the hello endpoint.
const HELLO_PATH: &str = "/hello";

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// Seconds measured per endpoint and round.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Seconds of unmeasured load before each measurement.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Rounds (each endpoint once per round).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// WebSocket sessions logged in during the run (what `countSessions` must return).
    #[arg(long, default_value_t = 1_000)]
    pub sessions: usize,
}

/// The plain actix-web app of the baseline; `meerkat-loadgen hello-server` runs it.
pub fn hello_server(port: u16) -> anyhow::Result<()> {
    use actix_web::{App, HttpServer, web};
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().route(HELLO_PATH, web::get().to(|| async { "hello" })))
            // As meerkat's listener with num_acceptors = 1: one worker, no connection limit.
            .workers(1)
            .max_connections(1_000_000)
            .backlog(1024)
            .bind((Ipv4Addr::LOCALHOST, port))?
            .run()
            .await
    })?;
    Ok(())
}

/// One endpoint's measurements.
struct ProbeResult {
    probe: HttpProbe,
    /// The process serving it (for CPU time).
    pid: u32,
    rounds: Vec<Round>,
    hist: Hist,
    first_failure: Option<String>,
}

struct Round {
    ok: u64,
    failed: u64,
    secs: f64,
    server_cpu_s: f64,
}

impl ProbeResult {
    fn rates(&self) -> Vec<f64> {
        self.rounds
            .iter()
            .map(|r| r.ok as f64 / r.secs.max(1e-9))
            .collect()
    }

    fn median_rate(&self) -> f64 {
        let mut r = self.rates();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(0.0)
    }

    fn failed(&self) -> u64 {
        self.rounds.iter().map(|r| r.failed).sum()
    }

    fn ok(&self) -> u64 {
        self.rounds.iter().map(|r| r.ok).sum()
    }

    fn cpu_us_per_request(&self) -> f64 {
        let cpu: f64 = self.rounds.iter().map(|r| r.server_cpu_s).sum();
        cpu * 1e6 / self.ok().max(1) as f64
    }
}

pub async fn run(
    args: &Args,
    common: &Common,
    launcher: &dyn Launcher,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    if args.connections == 0 || args.rounds == 0 || args.duration <= 0.0 {
        anyhow::bail!("--connections, --rounds and --duration must be positive");
    }
    let users = args.sessions.max(1);
    common::with_server(launcher, users, common, progress, async |srv| {
        let t = srv.target().clone();
        if t.http.is_empty() {
            anyhow::bail!("{} has no HTTP API probes", t.name);
        }
        // Sessions for countSessions to count.
        let opts = Opts {
            common,
            mechanism: Mechanism::ScramSha256,
            roster: false,
            concurrency: 100,
        };
        let batch = logins::ws(&t, (1..=args.sessions).collect(), &opts, progress).await?;
        if let Some(e) = batch.errors.first() {
            anyhow::bail!("{} logins failed; first: {e}", batch.errors.len());
        }
        let sessions = batch.ok.len();

        // The baseline, pinned like the server.
        let hello_dir = BenchDir::create("hello")?;
        let port = server::free_port()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let exe = std::env::current_exe()?;
        let hello_args: Vec<OsString> = vec![
            "hello-server".into(),
            "--port".into(),
            port.to_string().into(),
        ];
        let hello = ServerProcess::start(
            &exe,
            &hello_args,
            (!common.no_pin).then_some(common.server_cpu),
            &hello_dir.log_file(),
            &[addr],
        )?;
        let hello_probe = HttpProbe {
            key: "hello",
            label: "plain actix-web `GET /hello` (same core, same client)".into(),
            endpoint: Endpoint {
                addr,
                path: HELLO_PATH.into(),
            },
            method: "GET",
            headers: Vec::new(),
            body: String::new(),
            expect: Expect::Text("hello".into()),
        };
        let mut results: Vec<ProbeResult> = std::iter::once((hello_probe, hello.pid))
            .chain(t.http.iter().map(|p| (p.clone(), t.pid)))
            .map(|(probe, pid)| ProbeResult {
                probe,
                pid,
                rounds: Vec::new(),
                hist: hist::new(),
                first_failure: None,
            })
            .collect();
        let outcome = async {
            for round in 1..=args.rounds {
                for r in results.iter_mut() {
                    measure(args, r, sessions, round, progress).await?;
                    srv.check()?;
                }
            }
            anyhow::Ok(())
        }
        .await;
        let stopped = hello.stop();
        outcome?;
        stopped?;
        drop(batch.ok);
        Ok(report(args, common, &t, &results, sessions))
    })
    .await
}

/// One round of one endpoint: warm-up, then `duration` of closed-loop load.
async fn measure(
    args: &Args,
    r: &mut ProbeResult,
    sessions: usize,
    round: usize,
    progress: &Progress,
) -> anyhow::Result<()> {
    let p = &r.probe;
    let request = Arc::new(request_bytes(
        p.method,
        p.endpoint.addr,
        &p.endpoint.path,
        &p.headers,
        p.body.as_bytes(),
    ));
    let done = Arc::new(AtomicUsize::new(0));
    progress.phase(
        format!("round {round}: {}, requests", p.key),
        0,
        done.clone(),
        Some(r.pid),
    );
    let warm_until = Instant::now() + Duration::from_secs_f64(args.warmup);
    let end = warm_until + Duration::from_secs_f64(args.duration);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.connections {
        let request = request.clone();
        let probe = p.clone();
        let done = done.clone();
        tasks.spawn(
            async move { connection(&probe, &request, sessions, warm_until, end, &done).await },
        );
    }
    let cpu0_at = tokio::time::Instant::from_std(warm_until);
    tokio::time::sleep_until(cpu0_at).await;
    let cpu0 = server::cpu_time(r.pid);
    let mut ok = 0;
    let mut failed = 0;
    while let Some(res) = tasks.join_next().await {
        let c = res?;
        ok += c.ok;
        failed += c.failed;
        r.hist.add(&c.hist).ok();
        if r.first_failure.is_none() {
            r.first_failure = c.first_failure;
        }
    }
    let server_cpu_s = server::cpu_time(r.pid).saturating_sub(cpu0).as_secs_f64();
    let secs = args.duration;
    progress.note(format!(
        "round {round}: {}: {:.0} req/s, {failed} failed, {:.1} µs server CPU/request",
        p.key,
        ok as f64 / secs,
        server_cpu_s * 1e6 / ok.max(1) as f64
    ));
    r.rounds.push(Round {
        ok,
        failed,
        secs,
        server_cpu_s,
    });
    Ok(())
}

struct ConnResult {
    ok: u64,
    failed: u64,
    hist: Hist,
    first_failure: Option<String>,
}

/// One connection's closed loop; requests that complete before `warm_until` are not
/// counted. A broken connection is replaced (and counted as a failure).
async fn connection(
    probe: &HttpProbe,
    request: &[u8],
    sessions: usize,
    warm_until: Instant,
    end: Instant,
    done: &AtomicUsize,
) -> ConnResult {
    let mut out = ConnResult {
        ok: 0,
        failed: 0,
        hist: hist::new(),
        first_failure: None,
    };
    let mut conn: Option<Conn> = None;
    let source = Ipv4Addr::LOCALHOST.into();
    while Instant::now() < end {
        if conn.as_ref().is_none_or(|c| c.closed) {
            match Conn::connect(probe.endpoint.addr, source).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    out.failed += 1;
                    out.first_failure
                        .get_or_insert_with(|| format!("connect: {e:#}"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let start = Instant::now();
        let res = c.request(request).await;
        let now = Instant::now();
        let measured = start >= warm_until && now <= end;
        done.fetch_add(1, Ordering::Relaxed);
        let verdict = match res {
            Ok(resp) => check(probe, resp.status, &resp.body, sessions),
            Err(e) => {
                conn = None;
                Err(format!("{e:#}"))
            }
        };
        if !measured {
            continue;
        }
        match verdict {
            Ok(()) => {
                out.ok += 1;
                hist::record(&mut out.hist, (now - start).as_micros() as u64);
            }
            Err(e) => {
                out.failed += 1;
                out.first_failure.get_or_insert(e);
            }
        }
    }
    out
}

/// Whether a response is what the probe expects.
fn check(probe: &HttpProbe, status: u16, body: &[u8], sessions: usize) -> Result<(), String> {
    let text = || {
        String::from_utf8_lossy(body)
            .chars()
            .take(300)
            .collect::<String>()
    };
    if status != 200 {
        return Err(format!("HTTP {status}: {}", text()));
    }
    let (pointer, equals) = match &probe.expect {
        Expect::Text(t) => {
            return if body == t.as_bytes() {
                Ok(())
            } else {
                Err(format!("unexpected body {}", text()))
            };
        }
        Expect::Json { pointer, equals } => (pointer, equals.clone()),
        Expect::JsonSessionCount { pointer } => (pointer, json!(sessions)),
        Expect::JsonArrayLen(n) => {
            let v: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| format!("not JSON ({e}): {}", text()))?;
            return match v.as_array() {
                Some(a) if a.len() == *n => Ok(()),
                _ => Err(format!("expected an array of {n}: {}", text())),
            };
        }
    };
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON ({e}): {}", text()))?;
    if v.get("errors").is_some() {
        return Err(format!("errors in body: {}", text()));
    }
    match v.pointer(pointer) {
        Some(x) if *x == equals => Ok(()),
        _ => Err(format!("expected {equals} at {pointer}: {}", text())),
    }
}

fn report(
    args: &Args,
    common: &Common,
    t: &Target,
    results: &[ProbeResult],
    sessions: usize,
) -> Outcome {
    let hello_rate = results.first().map_or(0.0, ProbeResult::median_rate);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## http: API requests per second beside a plain actix-web hello ({})\n",
        t.name
    );
    let _ = writeln!(
        md,
        "- {} keep-alive HTTP/1.1 connections from one client core, one request in flight each (closed loop); {} s warm-up + {} s measured per endpoint and round; {} rounds, endpoints in turn; the figure is the median round",
        args.connections, args.warmup, args.duration, args.rounds
    );
    let _ = writeln!(
        md,
        "- every response checked: status 200 and the expected body (GraphQL: no `errors`, the expected value); anything else is a failure and not counted as done"
    );
    let _ = writeln!(
        md,
        "- {sessions} WebSocket sessions logged in meanwhile (`countSessions` must return {sessions}); the hello server is a separate actix-web process with one worker, pinned to the server's CPU; pinning: {}\n",
        common.pinning()
    );
    let _ = writeln!(
        md,
        "| endpoint | req/s (median) | req/s per round | vs hello | latency ms p50 / p99 / p99.9 / max | server CPU µs/request | failed |\n|---|---|---|---|---|---|---|"
    );
    for r in results {
        let rates: Vec<String> = r.rates().iter().map(|x| format!("{x:.0}")).collect();
        let _ = writeln!(
            md,
            "| {} | **{:.0}** | {} | {:.0} % | {} | {:.1} | {} |",
            r.probe.label,
            r.median_rate(),
            rates.join(", "),
            r.median_rate() * 100.0 / hello_rate.max(1e-9),
            hist::line(&r.hist),
            r.cpu_us_per_request(),
            r.failed()
        );
    }
    for r in results {
        if let Some(f) = &r.first_failure {
            let _ = writeln!(md, "\nFirst failure of {}: {f}", r.probe.key);
        }
    }
    let json = json!({
        "scenario": "http",
        "server": t.name,
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "rounds": args.rounds,
        "sessions": sessions,
        "pinning": common.pinning(),
        "endpoints": results.iter().map(|r| json!({
            "key": r.probe.key,
            "label": r.probe.label,
            "request": format!("{} {}{}", r.probe.method, r.probe.endpoint.path, if r.probe.body.is_empty() { String::new() } else { format!(" {}", r.probe.body) }),
            "req_s_median": round3(r.median_rate()),
            "req_s_rounds": r.rates().iter().map(|x| round3(*x)).collect::<Vec<_>>(),
            "latency": hist::json(&r.hist),
            "server_cpu_us_per_request": round3(r.cpu_us_per_request()),
            "ok": r.ok(),
            "failed": r.failed(),
            "first_failure": r.first_failure,
        })).collect::<Vec<_>>(),
    });
    let mut rows = Vec::new();
    for r in results {
        let rate = r.median_rate();
        let p99 = hist::ms(&r.hist, 0.99);
        let failed = r.failed();
        let shown = |s: String| {
            if failed > 0 {
                format!("{s} ({failed} failed)")
            } else {
                s
            }
        };
        let mut rate_row = Row::new(
            &format!("http-{}-rate", r.probe.key),
            format!(
                "6. {}: req/s, {} connections",
                r.probe.label, args.connections
            ),
            rate,
            shown(format!(
                "{rate:.0} ({:.0} % of hello)",
                rate * 100.0 / hello_rate.max(1e-9)
            )),
            Better::Higher,
        );
        let mut p99_row = Row::new(
            &format!("http-{}-p99", r.probe.key),
            format!("6. {}: p99, ms", r.probe.label),
            p99,
            fmt_ms(p99),
            Better::Lower,
        );
        if r.probe.key == "hello" {
            rate_row.shown = shown(format!("{rate:.0}"));
        } else {
            rate_row = rate_row.target(
                "≥ 8,000 req/s, no failures (anchors M7)",
                rate >= 8000.0 && failed == 0,
            );
            p99_row = p99_row.target("< 20 ms (anchors M7)", p99 < 20.0);
        }
        rows.push(rate_row);
        rows.push(p99_row);
    }
    Outcome {
        scenario: "http".into(),
        server: t.name.clone(),
        server_info: t.describe(),
        markdown: md,
        json,
        rows,
    }
}
