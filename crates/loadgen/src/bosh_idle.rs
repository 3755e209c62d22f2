//! Scenario `bosh-idle` (issue 7 scenario 2, issue 4's memory benchmark): memory per idle
//! BOSH session with one request held.
//!
//! Each session logs in on one HTTP/1.1 keep-alive connection (creation with `hold=1`,
//! `wait=60`, SASL, restart, bind, roster get, initial presence) and then keeps exactly
//! one empty request held on that same connection: when the server answers it (after
//! `wait`), the next one goes out at once. So every session costs exactly one connection
//! (one socket) in each process, and N is bounded by the open-file limit (about 20,000
//! per process here) like `ws-idle`.

use crate::client::Mechanism;
use crate::common::{self, Common};
use crate::logins::{self, Opts};
use crate::progress::Progress;
use crate::report::{Better, Outcome, PerSession, Row, kib, mib, round1};
use crate::server::{self, Rss};
use crate::target::{Launcher, Target};
use crate::ws_idle::MAX_SESSIONS;
use serde_json::json;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Number of idle BOSH sessions (user1..userN), at most 19,000: each holds one
    /// connection, so one socket in the server and one here.
    #[arg(long, default_value_t = 5_000)]
    pub sessions: usize,
    /// SASL mechanism.
    #[arg(long, value_enum, default_value_t = Mechanism::ScramSha256)]
    pub mechanism: Mechanism,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 200)]
    pub concurrency: usize,
    /// Seconds to wait after the last login before reading RSS.
    #[arg(long, default_value_t = 10)]
    pub settle: u64,
}

struct Measured {
    logged_in: usize,
    failed: usize,
    login_secs: f64,
    baseline: Rss,
    baseline_slab: u64,
    baseline_sockets: usize,
    with_sessions: Rss,
    slab_with_sessions: u64,
    sockets_with_sessions: usize,
    holders_ended: usize,
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
             process and each idle BOSH session holds one connection in both processes"
        );
    }
    common::with_server(launcher, n, common, progress, async |srv| {
        let t = srv.target().clone();
        let baseline = server::rss(t.pid)?;
        let baseline_sockets = server::open_sockets(t.pid);
        let baseline_slab = server::slab_kib();
        let opts = Opts {
            common,
            mechanism: args.mechanism,
            roster: true,
            concurrency: args.concurrency,
        };
        let ended = Arc::new(AtomicUsize::new(0));
        // Each session starts holding as soon as it has logged in.
        let batch = logins::bosh(&t, (1..=n).collect(), &opts, progress, |_, b| {
            let ended = ended.clone();
            tokio::spawn(async move {
                let r = b.hold_forever().await;
                ended.fetch_add(1, Ordering::Relaxed);
                r
            })
        })
        .await?;
        let logged_in = batch.ok.len();
        let mut holders = tokio::task::JoinSet::new();
        for (_, h) in batch.ok {
            holders.spawn(async move { h.await.unwrap_or_else(|e| Err(e.into())) });
        }
        // Every session's held request is one connection on the server.
        let waited = Instant::now();
        while server::open_sockets(t.pid) < baseline_sockets + logged_in
            && waited.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        progress.note(format!(
            "{logged_in} BOSH sessions holding a request; settling {} s",
            args.settle
        ));
        tokio::time::sleep(Duration::from_secs(args.settle)).await;
        srv.check()?;
        let with_sessions = server::rss(t.pid)?;
        let slab_with_sessions = server::slab_kib();
        let sockets_with_sessions = server::open_sockets(t.pid);
        let holders_ended = ended.load(Ordering::Relaxed);
        progress.note(format!(
            "server RSS {} with {logged_in} sessions, {} sockets",
            mib(with_sessions.total),
            sockets_with_sessions
        ));
        if holders_ended > 0
            && let Some(Ok(Err(e))) = holders.join_next().await
        {
            progress.note(format!(
                "{holders_ended} sessions stopped holding; first error: {e:#}"
            ));
        }
        holders.abort_all();
        Ok(report(
            args,
            common,
            &t,
            &Measured {
                logged_in,
                failed: batch.errors.len(),
                login_secs: batch.secs,
                baseline,
                baseline_slab,
                baseline_sockets,
                with_sessions,
                slab_with_sessions,
                sockets_with_sessions,
                holders_ended,
            },
        ))
    })
    .await
}

fn report(args: &Args, common: &Common, t: &Target, m: &Measured) -> Outcome {
    let n = m.logged_in;
    let mem = PerSession::new(
        &m.baseline,
        &m.with_sessions,
        m.baseline_slab,
        m.slab_with_sessions,
        n,
    );
    let rss_per = mem.rss;
    let held = m.sockets_with_sessions.saturating_sub(m.baseline_sockets);
    let mech = args.mechanism.sasl_name();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## bosh-idle: {} idle BOSH sessions, one request held each ({})\n",
        args.sessions, t.name
    );
    let _ = writeln!(
        md,
        "- login: session creation (`hold=1`, `wait=60`), {mech}, restart, bind, roster get, initial presence; {} logins in flight; then one empty request held per session on its login connection (one connection per session, re-sent as soon as it is answered)",
        args.concurrency
    );
    let _ = writeln!(
        md,
        "- pinning: {}; settle time {} s\n",
        common.pinning(),
        args.settle
    );
    let _ = writeln!(md, "| metric | value |\n|---|---|");
    let _ = writeln!(md, "| sessions logged in (failed) | {n} ({}) |", m.failed);
    let _ = writeln!(
        md,
        "| login time, rate | {:.1} s, {:.0} logins/s |",
        m.login_secs,
        n as f64 / m.login_secs
    );
    let _ = writeln!(
        md,
        "| connections held by the server (sockets over baseline) | {held} |"
    );
    let _ = writeln!(
        md,
        "| sessions that stopped holding before the reading | {} |",
        m.holders_ended
    );
    mem.table_rows(&mut md, &m.baseline, &m.with_sessions);
    let json = json!({
        "scenario": "bosh-idle",
        "server": t.name,
        "sessions": args.sessions,
        "logged_in": n,
        "failed": m.failed,
        "login_s": round1(m.login_secs),
        "mechanism": mech,
        "pinning": common.pinning(),
        "settle_s": args.settle,
        "held_connections": held,
        "holders_ended": m.holders_ended,
        "baseline_rss_kib": m.baseline.total,
        "rss_with_sessions_kib": m.with_sessions.total,
        "rss_per_session_kib": round1(rss_per),
        "rss_anon_per_session_kib": round1(mem.anon),
        "kernel_slab_per_session_kib": round1(mem.slab),
    });
    let rows = vec![
        Row::new(
            "bosh-idle-kib",
            format!(
                "2. idle BOSH session (1 held request), VmRSS delta / N, KiB (N = {})",
                args.sessions
            ),
            rss_per,
            kib(rss_per),
            Better::Lower,
        )
        .target("< 20 KiB (issue 4)", rss_per < 20.0),
    ];
    Outcome {
        scenario: "bosh-idle".into(),
        server: t.name.clone(),
        server_info: t.describe(),
        markdown: md,
        json,
        rows,
    }
}
