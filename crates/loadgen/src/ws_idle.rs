//! Scenario `ws-idle` (issue 7 scenarios 1 and 7): memory per idle authenticated
//! WebSocket session, and whether memory comes back after connect/disconnect cycles.
//!
//! Server RSS is read from /proc/<pid>/status after start-up (baseline), then with N
//! sessions logged in and settled, then after they have all disconnected, once per cycle.
//! Kernel socket memory (socket buffers and structures, in the kernel's slab) is not part
//! of any process's RSS; the system-wide slab delta is shown beside it for reference.

use crate::client::{Login, Mechanism, Session};
use crate::progress::Progress;
use crate::report::{Machine, kib, mib};
use crate::server::{self, BenchDir, Rss, ServerProcess};
use futures_util::StreamExt;
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

/// Open files per process here are limited to about 20,000 (hard limit); the server
/// needs one per session plus a few, the load generator as well.
const MAX_SESSIONS: usize = 19_000;

#[derive(clap::Args)]
pub struct Args {
    /// Number of idle sessions (user1..userN), at most 19,000.
    #[arg(long)]
    sessions: usize,
    /// The meerkat binary to test.
    #[arg(long, default_value = "target/release/meerkat")]
    server_bin: PathBuf,
    /// Keep the temporary directory (config, database, server log).
    #[arg(long)]
    keep: bool,
    /// SASL mechanism.
    #[arg(long, value_enum, default_value_t = Mechanism::ScramSha256)]
    mechanism: Mechanism,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// Seconds to wait after the last login (and after the last disconnect) before reading RSS.
    #[arg(long, default_value_t = 10)]
    settle: u64,
    /// Connect/disconnect cycles; the first one gives the per-session figure.
    #[arg(long, default_value_t = 3)]
    cycles: usize,
    /// Connect from 127.0.0.1 .. 127.0.0.<K>, round robin, to spread ephemeral ports.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=250))]
    source_addrs: u8,
    /// CPU the server is pinned to (taskset -c).
    #[arg(long, default_value_t = 0)]
    server_cpu: usize,
    /// CPU this load generator pins itself to once the accounts exist.
    #[arg(long, default_value_t = 1)]
    client_cpu: usize,
    /// Pin nothing (no taskset).
    #[arg(long)]
    no_pin: bool,
}

/// One connect/disconnect cycle.
struct Cycle {
    logged_in: usize,
    failed: usize,
    login_secs: f64,
    with_sessions: Rss,
    slab_with_sessions: u64,
    after_disconnect: Rss,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let n = args.sessions;
    if n == 0 || n > MAX_SESSIONS {
        anyhow::bail!(
            "--sessions must be 1..={MAX_SESSIONS}: the open-file limit here is about 20,000 per \
             process and both the server and this client hold one socket per session"
        );
    }
    let progress = Progress::start();
    let mut dir = BenchDir::create()?;
    dir.keep = args.keep;
    let result = measure(&args, &progress, &dir).await;
    progress.stop();
    match result {
        Ok((baseline, baseline_slab, cycles)) => {
            print_report(&args, &Machine::probe(), baseline, baseline_slab, &cycles);
            Ok(())
        }
        Err(e) => {
            // Keep the config, database and server log for a look.
            dir.keep = true;
            Err(e)
        }
    }
}

/// Everything but the report: accounts, server, cycles. Returns the baseline RSS, the
/// baseline kernel slab and the cycles.
async fn measure(
    args: &Args,
    progress: &Progress,
    dir: &BenchDir,
) -> anyhow::Result<(Rss, u64, Vec<Cycle>)> {
    let n = args.sessions;
    let port = server::free_port()?;
    let config = server::config_text(port);
    std::fs::write(dir.config_file(), &config)?;

    // Accounts first, on every core (PBKDF2 per account), before anything is pinned.
    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    progress.phase("accounts", n, done.clone(), None);
    let workers = std::thread::available_parallelism().map_or(2, |p| p.get());
    server::create_accounts(&config, &dir.data_dir(), n, workers, done).await?;
    progress.note(format!(
        "created {n} accounts in {:.1} s",
        started.elapsed().as_secs_f64()
    ));

    if !args.no_pin {
        server::pin_self(args.client_cpu)?;
    }
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut srv = ServerProcess::start(
        &args.server_bin,
        dir,
        (!args.no_pin).then_some(args.server_cpu),
        addr,
    )?;
    // Let start-up allocations (the store, the listener) finish.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let baseline = srv.rss()?;
    let baseline_sockets = server::open_sockets(srv.pid);
    let baseline_slab = server::slab_kib();
    progress.note(format!(
        "server pid {} on 127.0.0.1:{port}, baseline RSS {}",
        srv.pid,
        mib(baseline.total)
    ));

    let mut cycles = Vec::new();
    for c in 1..=args.cycles.max(1) {
        let cycle = run_cycle(args, progress, &mut srv, addr, baseline_sockets, c).await?;
        cycles.push(cycle);
    }
    srv.stop()?;
    Ok((baseline, baseline_slab, cycles))
}

async fn run_cycle(
    args: &Args,
    progress: &Progress,
    srv: &mut ServerProcess,
    addr: SocketAddr,
    baseline_sockets: usize,
    cycle: usize,
) -> anyhow::Result<Cycle> {
    let n = args.sessions;
    let pid = srv.pid;
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    progress.phase("login", n, done.clone(), Some(pid));
    let started = Instant::now();
    let results: Vec<anyhow::Result<Session>> = futures_util::stream::iter(1..=n)
        .map(|i| {
            let done = done.clone();
            let failed = failed.clone();
            async move {
                let (user, password) = server::user(i);
                let source = IpAddr::V4(Ipv4Addr::new(
                    127,
                    0,
                    0,
                    1 + (i % usize::from(args.source_addrs)) as u8,
                ));
                let login = Login {
                    server: addr,
                    path: server::WS_PATH,
                    source,
                    domain: server::DOMAIN,
                    user: &user,
                    password: &password,
                    mechanism: args.mechanism,
                };
                let r = Session::login(&login).await;
                let counter = if r.is_ok() { &done } else { &failed };
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                r
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    let login_secs = started.elapsed().as_secs_f64();
    let mut sessions = Vec::with_capacity(n);
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(s) => sessions.push(s),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    for e in errors.iter().take(5) {
        progress.note(format!("login failed: {e}"));
    }
    progress.note(format!(
        "cycle {cycle}: {} sessions logged in ({} failed) in {login_secs:.1} s; settling {} s",
        sessions.len(),
        errors.len(),
        args.settle
    ));
    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    let with_sessions = srv.rss()?;
    let slab_with_sessions = server::slab_kib();
    progress.note(format!(
        "cycle {cycle}: server RSS {} with {} sessions",
        mib(with_sessions.total),
        sessions.len()
    ));

    let logged_in = sessions.len();
    let closed = Arc::new(AtomicUsize::new(0));
    progress.phase("disconnect", logged_in, closed.clone(), Some(pid));
    futures_util::stream::iter(sessions)
        .map(|s| {
            let closed = closed.clone();
            async move {
                s.close().await;
                closed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .buffer_unordered(args.concurrency.max(1) * 4)
        .collect::<()>()
        .await;
    // Wait until the server has let go of the sockets, then let it settle.
    let waited = Instant::now();
    while server::open_sockets(pid) > baseline_sockets && waited.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    let after_disconnect = srv.rss()?;
    progress.note(format!(
        "cycle {cycle}: server RSS {} after disconnecting",
        mib(after_disconnect.total)
    ));
    Ok(Cycle {
        logged_in,
        failed: errors.len(),
        login_secs,
        with_sessions,
        slab_with_sessions,
        after_disconnect,
    })
}

/// Per-session delta in KiB.
fn per_session(after: u64, before: u64, n: usize) -> f64 {
    (after as f64 - before as f64) / n.max(1) as f64
}

fn print_report(args: &Args, m: &Machine, baseline: Rss, baseline_slab: u64, cycles: &[Cycle]) {
    let first = &cycles[0];
    let n = first.logged_in;
    let rss_per = per_session(first.with_sessions.total, baseline.total, n);
    let anon_per = per_session(first.with_sessions.anon, baseline.anon, n);
    let slab_per = per_session(first.slab_with_sessions, baseline_slab, n);
    let mech = args.mechanism.sasl_name();
    let pinning = if args.no_pin {
        "none".to_owned()
    } else {
        format!(
            "server on CPU {}, load generator on CPU {}",
            args.server_cpu, args.client_cpu
        )
    };

    println!(
        "## ws-idle: {} idle authenticated WebSocket sessions\n",
        args.sessions
    );
    println!("{}\n", m.markdown());
    println!("- login: {mech}, bind, roster get (empty roster), initial presence");
    println!("- pinning: {pinning}; settle time {} s", args.settle);
    println!();
    println!("| metric | value |");
    println!("|---|---|");
    println!("| sessions logged in (failed) | {} ({}) |", n, first.failed);
    println!(
        "| login time, rate | {:.1} s, {:.0} logins/s |",
        first.login_secs,
        n as f64 / first.login_secs
    );
    println!(
        "| server VmRSS at start (baseline) | {} |",
        mib(baseline.total)
    );
    println!(
        "| server VmRSS with sessions | {} |",
        mib(first.with_sessions.total)
    );
    println!("| **VmRSS delta / session** | **{} KiB** |", kib(rss_per));
    println!("| RssAnon delta / session | {} KiB |", kib(anon_per));
    println!(
        "| kernel slab delta / session (system-wide, both socket ends; NOT in RSS) | {} KiB |",
        kib(slab_per)
    );
    println!();
    println!(
        "Memory after connect/disconnect cycles (baseline {}):\n",
        mib(baseline.total)
    );
    println!(
        "| cycle | sessions | VmRSS with sessions | per session | VmRSS after disconnect | vs baseline | vs cycle 1 |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (i, c) in cycles.iter().enumerate() {
        println!(
            "| {} | {} | {} | {} KiB | {} | {:+.1} % | {:+.1} % |",
            i + 1,
            c.logged_in,
            mib(c.with_sessions.total),
            kib(per_session(
                c.with_sessions.total,
                baseline.total,
                c.logged_in
            )),
            mib(c.after_disconnect.total),
            pct(c.after_disconnect.total, baseline.total),
            pct(c.after_disconnect.total, first.after_disconnect.total),
        );
    }
    let json = json!({
        "scenario": "ws-idle",
        "machine": m.json(),
        "sessions": args.sessions,
        "mechanism": mech,
        "pinning": pinning,
        "settle_s": args.settle,
        "baseline_rss_kib": baseline.total,
        "baseline_rss_anon_kib": baseline.anon,
        "rss_per_session_kib": round1(rss_per),
        "rss_anon_per_session_kib": round1(anon_per),
        "kernel_slab_per_session_kib": round1(slab_per),
        "cycles": cycles.iter().map(|c| json!({
            "logged_in": c.logged_in,
            "failed": c.failed,
            "login_s": round1(c.login_secs),
            "rss_with_sessions_kib": c.with_sessions.total,
            "rss_anon_with_sessions_kib": c.with_sessions.anon,
            "rss_after_disconnect_kib": c.after_disconnect.total,
            "rss_anon_after_disconnect_kib": c.after_disconnect.anon,
        })).collect::<Vec<_>>(),
    });
    println!(
        "\n```json\n{}\n```",
        serde_json::to_string_pretty(&json).unwrap_or_default()
    );
}

fn pct(value: u64, reference: u64) -> f64 {
    (value as f64 - reference as f64) * 100.0 / reference.max(1) as f64
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
