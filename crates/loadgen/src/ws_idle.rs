//! Scenario `ws-idle` (issue 7 scenarios 1 and 7): memory per idle authenticated
//! WebSocket session, and whether memory comes back after connect/disconnect cycles.
//!
//! Server RSS is read from /proc/<pid>/status after start-up (baseline), then with N
//! sessions logged in and settled, then after they have all disconnected, once per cycle.
//! Kernel socket memory (socket buffers and structures, in the kernel's slab) is not part
//! of any process's RSS; the system-wide slab delta is shown beside it for reference.

use crate::client::{Mechanism, Session};
use crate::common::{self, Common};
use crate::logins::{self, Opts};
use crate::progress::Progress;
use crate::report::{Better, Outcome, PerSession, Row, kib, mib, per_session, round1};
use crate::server::{self, Rss};
use crate::target::{Launcher, RunningServer, Target};
use futures_util::StreamExt;
use serde_json::json;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Open files per process here are limited to about 20,000 (hard limit); the server
/// needs one per session plus a few, the load generator as well.
pub const MAX_SESSIONS: usize = 19_000;

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Number of idle sessions (user1..userN), at most 19,000.
    #[arg(long, default_value_t = 10_000)]
    pub sessions: usize,
    /// SASL mechanism.
    #[arg(long, value_enum, default_value_t = Mechanism::ScramSha256)]
    pub mechanism: Mechanism,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 200)]
    pub concurrency: usize,
    /// Seconds to wait after the last login (and after the last disconnect) before reading RSS.
    #[arg(long, default_value_t = 10)]
    pub settle: u64,
    /// Connect/disconnect cycles; the first one gives the per-session figure.
    #[arg(long, default_value_t = 3)]
    pub cycles: usize,
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

pub async fn run(
    args: &Args,
    common: &Common,
    launcher: &dyn Launcher,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    let n = args.sessions;
    if n == 0 || n > MAX_SESSIONS {
        anyhow::bail!(
            "--sessions must be 1..={MAX_SESSIONS}: the open-file limit here is about 20,000 per \
             process and both the server and this client hold one socket per session"
        );
    }
    common::with_server(launcher, n, common, progress, async |srv| {
        let target = srv.target().clone();
        let baseline = server::rss(target.pid)?;
        let baseline_sockets = server::open_sockets(target.pid);
        let baseline_slab = server::slab_kib();
        let mut cycles = Vec::new();
        for c in 1..=args.cycles.max(1) {
            cycles.push(run_cycle(args, common, progress, srv, baseline_sockets, c).await?);
        }
        Ok(report(
            args,
            common,
            &target,
            baseline,
            baseline_slab,
            &cycles,
        ))
    })
    .await
}

async fn run_cycle(
    args: &Args,
    common: &Common,
    progress: &Progress,
    srv: &mut dyn RunningServer,
    baseline_sockets: usize,
    cycle: usize,
) -> anyhow::Result<Cycle> {
    let t = srv.target().clone();
    let opts = Opts {
        common,
        mechanism: args.mechanism,
        roster: true,
        concurrency: args.concurrency,
    };
    let batch = logins::ws(&t, (1..=args.sessions).collect(), &opts, progress).await?;
    let sessions: Vec<Session> = batch.ok.into_iter().map(|(_, s)| s).collect();
    progress.note(format!(
        "cycle {cycle}: {} sessions logged in; settling {} s",
        sessions.len(),
        args.settle
    ));
    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    srv.check()?;
    let with_sessions = server::rss(t.pid)?;
    let slab_with_sessions = server::slab_kib();
    progress.note(format!(
        "cycle {cycle}: server RSS {} with {} sessions",
        mib(with_sessions.total),
        sessions.len()
    ));

    let logged_in = sessions.len();
    let closed = Arc::new(AtomicUsize::new(0));
    progress.phase("disconnect", logged_in, closed.clone(), Some(t.pid));
    futures_util::stream::iter(sessions)
        .map(|s| {
            let closed = closed.clone();
            async move {
                s.close().await;
                closed.fetch_add(1, Ordering::Relaxed);
            }
        })
        .buffer_unordered(args.concurrency.max(1) * 4)
        .collect::<()>()
        .await;
    // Wait until the server has let go of the sockets, then let it settle.
    let waited = Instant::now();
    while server::open_sockets(t.pid) > baseline_sockets
        && waited.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    srv.check()?;
    let after_disconnect = server::rss(t.pid)?;
    progress.note(format!(
        "cycle {cycle}: server RSS {} after disconnecting",
        mib(after_disconnect.total)
    ));
    Ok(Cycle {
        logged_in,
        failed: batch.errors.len(),
        login_secs: batch.secs,
        with_sessions,
        slab_with_sessions,
        after_disconnect,
    })
}

/// Per-session delta in KiB.
fn pct(value: u64, reference: u64) -> f64 {
    (value as f64 - reference as f64) * 100.0 / reference.max(1) as f64
}

fn report(
    args: &Args,
    common: &Common,
    t: &Target,
    baseline: Rss,
    baseline_slab: u64,
    cycles: &[Cycle],
) -> Outcome {
    let first = &cycles[0];
    let n = first.logged_in;
    let mem = PerSession::new(
        &baseline,
        &first.with_sessions,
        baseline_slab,
        first.slab_with_sessions,
        n,
    );
    let rss_per = mem.rss;
    let mech = args.mechanism.sasl_name();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## ws-idle: {} idle authenticated WebSocket sessions ({})\n",
        args.sessions, t.name
    );
    let _ = writeln!(
        md,
        "- login: {mech}, bind, roster get (empty roster), initial presence; {} logins in flight",
        args.concurrency
    );
    let _ = writeln!(
        md,
        "- pinning: {}; settle time {} s\n",
        common.pinning(),
        args.settle
    );
    let _ = writeln!(md, "| metric | value |\n|---|---|");
    let _ = writeln!(
        md,
        "| sessions logged in (failed) | {} ({}) |",
        n, first.failed
    );
    let _ = writeln!(
        md,
        "| login time, rate | {:.1} s, {:.0} logins/s |",
        first.login_secs,
        n as f64 / first.login_secs
    );
    mem.table_rows(&mut md, &baseline, &first.with_sessions);
    let _ = writeln!(
        md,
        "\nMemory after connect/disconnect cycles (baseline {}):\n",
        mib(baseline.total)
    );
    let _ = writeln!(
        md,
        "| cycle | sessions | VmRSS with sessions | per session | VmRSS after disconnect | vs baseline | vs cycle 1 |\n|---|---|---|---|---|---|---|"
    );
    for (i, c) in cycles.iter().enumerate() {
        let _ = writeln!(
            md,
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
        "server": t.name,
        "sessions": args.sessions,
        "mechanism": mech,
        "pinning": common.pinning(),
        "settle_s": args.settle,
        "baseline_rss_kib": baseline.total,
        "baseline_rss_anon_kib": baseline.anon,
        "rss_per_session_kib": round1(rss_per),
        "rss_anon_per_session_kib": round1(mem.anon),
        "kernel_slab_per_session_kib": round1(mem.slab),
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
    let mut rows = vec![
        Row::new(
            "ws-idle-kib",
            format!(
                "1. idle WS session, VmRSS delta / N, KiB (N = {})",
                args.sessions
            ),
            rss_per,
            kib(rss_per),
            Better::Lower,
        )
        .target("< 16 KiB (issue 3)", rss_per < 16.0),
    ];
    if let Some(last) = cycles.last().filter(|_| cycles.len() > 1) {
        let growth = pct(last.after_disconnect.total, first.after_disconnect.total);
        rows.push(
            Row::new(
                "ws-idle-recovery",
                format!(
                    "7. RSS after {} connect/disconnect cycles vs after cycle 1, %",
                    cycles.len()
                ),
                growth,
                format!("{growth:+.1} %"),
                Better::Lower,
            )
            .target("within 10 %", growth.abs() <= 10.0),
        );
    }
    Outcome {
        scenario: "ws-idle".into(),
        server: t.name.clone(),
        server_info: t.describe(),
        markdown: md,
        json,
        rows,
    }
}
