//! Scenario `login` (issue 7 scenario 5): full logins per second over WebSocket, and the
//! time one login takes. A login is connect → `<open/>` → SASL → restart → bind →
//! initial presence (answered by its echo); then `<close/>` and the WebSocket close
//! handshake. A fixed number of logins runs at a bounded concurrency over a pool of
//! accounts.
//!
//! With SCRAM-SHA-256 the PBKDF2 (4,096 iterations) is the client's work, and the server
//! checks the proof with one HMAC chain against its stored keys; with PLAIN the server
//! runs PBKDF2 itself. So PLAIN measures the server's hashing and SCRAM its protocol
//! cost. This client keeps the SCRAM keys it derived per account (see `scram.rs`), as a
//! client may; a warm-up pass logs every pool account in once before the timed run, so
//! the timed logins measure the server, not the load generator's PBKDF2.

use crate::client::{Login, Mechanism, Session};
use crate::common::{self, Common};
use crate::hist::{self, fmt_ms};
use crate::progress::Progress;
use crate::report::{Better, Outcome, Row, round3};
use crate::scram;
use crate::server;
use crate::target::{Launcher, Target, Users};
use futures_util::StreamExt;
use serde_json::json;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// SASL mechanism.
    #[arg(long, value_enum, default_value_t = Mechanism::ScramSha256)]
    pub mechanism: Mechanism,
    /// Timed logins.
    #[arg(long, default_value_t = 4_096)]
    pub logins: usize,
    /// Accounts used in turn (user1..userN).
    #[arg(long, default_value_t = 1_000)]
    pub users: usize,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Derive the SCRAM keys on every login (no client-side key cache, no warm-up): the
    /// load generator's PBKDF2 then limits the rate.
    #[arg(long)]
    pub no_key_cache: bool,
}

/// One timed login.
struct Timed {
    login_us: u64,
    cycle_us: u64,
}

pub async fn run(
    args: &Args,
    common: &Common,
    launcher: &dyn Launcher,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    if args.users == 0 || args.logins == 0 {
        anyhow::bail!("--users and --logins must be positive");
    }
    scram::set_cache(!args.no_key_cache);
    let result = common::with_server(launcher, args.users, common, progress, async |srv| {
        let t = srv.target().clone();
        let mut warmup_s = None;
        if !args.no_key_cache {
            let started = Instant::now();
            let (ok, errors, _) = logins(&t, args, common, progress, "warm-up", args.users).await;
            if let Some(e) = errors.first() {
                anyhow::bail!(
                    "warm-up: {} of {} logins failed; first: {e}",
                    errors.len(),
                    args.users
                );
            }
            warmup_s = Some(started.elapsed().as_secs_f64());
            progress.note(format!(
                "warm-up: {} logins in {:.1} s",
                ok.len(),
                started.elapsed().as_secs_f64()
            ));
        }
        let cpu0 = server::cpu_time(t.pid);
        let own0 = server::own_cpu_time();
        let started = Instant::now();
        let (ok, errors, _) = logins(&t, args, common, progress, "login", args.logins).await;
        let wall = started.elapsed().as_secs_f64();
        let server_cpu = server::cpu_time(t.pid).saturating_sub(cpu0).as_secs_f64();
        let client_cpu = server::own_cpu_time().saturating_sub(own0).as_secs_f64();
        srv.check()?;
        Ok(report(
            args, common, &t, &ok, &errors, wall, server_cpu, client_cpu, warmup_s,
        ))
    })
    .await;
    scram::set_cache(true);
    result
}

/// `count` full login/close cycles over the account pool.
async fn logins(
    t: &Target,
    args: &Args,
    common: &Common,
    progress: &Progress,
    phase: &str,
    count: usize,
) -> (Vec<Timed>, Vec<String>, f64) {
    let Ok(ep) = t.ws() else {
        return (Vec::new(), vec!["no WebSocket endpoint".into()], 0.0);
    };
    let done = Arc::new(AtomicUsize::new(0));
    progress.phase(
        format!("{phase} {}", args.mechanism.sasl_name()),
        count,
        done.clone(),
        Some(t.pid),
    );
    let errors = Mutex::new(Vec::new());
    let started = Instant::now();
    let timed: Vec<Option<Timed>> = futures_util::stream::iter(0..count)
        .map(|j| {
            let done = done.clone();
            let errors = &errors;
            async move {
                let i = j % args.users + 1;
                let (user, password) = Users::credentials(i);
                let login = Login {
                    server: ep.addr,
                    path: &ep.path,
                    source: common.source(j),
                    domain: &t.domain,
                    user: &user,
                    password: &password,
                    mechanism: args.mechanism,
                    roster: false,
                };
                let start = Instant::now();
                let r = Session::login(&login).await;
                let login_us = start.elapsed().as_micros() as u64;
                let out = match r {
                    Ok(s) => {
                        s.close().await;
                        Some(Timed {
                            login_us,
                            cycle_us: start.elapsed().as_micros() as u64,
                        })
                    }
                    Err(e) => {
                        errors
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("user{i}: {e:#}"));
                        None
                    }
                };
                done.fetch_add(1, Ordering::Relaxed);
                out
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    let secs = started.elapsed().as_secs_f64();
    let errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    for e in errors.iter().take(3) {
        progress.note(format!("login failed: {e}"));
    }
    (timed.into_iter().flatten().collect(), errors, secs)
}

#[allow(clippy::too_many_arguments)]
fn report(
    args: &Args,
    common: &Common,
    t: &Target,
    ok: &[Timed],
    errors: &[String],
    wall: f64,
    server_cpu: f64,
    client_cpu: f64,
    warmup_s: Option<f64>,
) -> Outcome {
    let mech = args.mechanism.sasl_name();
    let key = match args.mechanism {
        Mechanism::ScramSha256 => "scram",
        Mechanism::Plain => "plain",
    };
    let mut login = hist::new();
    let mut cycle = hist::new();
    for x in ok {
        hist::record(&mut login, x.login_us);
        hist::record(&mut cycle, x.cycle_us);
    }
    let rate = ok.len() as f64 / wall.max(1e-9);
    let cpu_per_login_us = server_cpu * 1e6 / ok.len().max(1) as f64;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## login ({mech}): full WebSocket logins per second ({})\n",
        t.name
    );
    let _ = writeln!(
        md,
        "- one login: TCP connect, WebSocket upgrade, `<open/>`, SASL {mech} ({} iterations), restart, bind, initial presence (until its echo); then `<close/>` and the close handshake",
        t.scram_iterations
    );
    let _ = writeln!(
        md,
        "- {} timed logins over {} accounts, {} in flight; {}",
        args.logins,
        args.users,
        args.concurrency,
        match (args.mechanism, warmup_s) {
            (Mechanism::ScramSha256, Some(w)) => format!(
                "SCRAM keys derived once per account by the client and reused (warm-up pass of {} logins, {w:.1} s, not timed)",
                args.users
            ),
            (Mechanism::ScramSha256, None) =>
                "SCRAM keys derived by the client on every login (no cache): the client's PBKDF2 is part of the figure".into(),
            (Mechanism::Plain, Some(w)) =>
                format!("warm-up pass of {} logins ({w:.1} s) not timed; the server runs PBKDF2 on every PLAIN login", args.users),
            (Mechanism::Plain, None) => "the server runs PBKDF2 on every PLAIN login".into(),
        }
    );
    let _ = writeln!(md, "- pinning: {}\n", common.pinning());
    let _ = writeln!(md, "| metric | value |\n|---|---|");
    let _ = writeln!(
        md,
        "| logins completed (failed) | {} ({}) |",
        ok.len(),
        errors.len()
    );
    let _ = writeln!(md, "| **logins/s** | **{rate:.0}** |");
    let _ = writeln!(
        md,
        "| login time ms p50 / p99 / p99.9 / max (connect → presence echo) | {} |",
        hist::line(&login)
    );
    let _ = writeln!(
        md,
        "| full cycle ms p50 / p99 (with close) | {} / {} |",
        fmt_ms(hist::ms(&cycle, 0.5)),
        fmt_ms(hist::ms(&cycle, 0.99))
    );
    let _ = writeln!(
        md,
        "| server CPU per login | {cpu_per_login_us:.0} µs ({:.0} % of its core) |",
        server_cpu * 100.0 / wall
    );
    let _ = writeln!(
        md,
        "| load generator CPU | {:.0} % of its core |",
        client_cpu * 100.0 / wall
    );
    if let Some(e) = errors.first() {
        let _ = writeln!(md, "\nFirst failure: {e}");
    }
    let json = json!({
        "scenario": format!("login-{key}"),
        "server": t.name,
        "mechanism": mech,
        "scram_iterations": t.scram_iterations,
        "logins": args.logins,
        "users": args.users,
        "concurrency": args.concurrency,
        "client_key_cache": !args.no_key_cache,
        "warmup_s": warmup_s,
        "completed": ok.len(),
        "failed": errors.len(),
        "wall_s": round3(wall),
        "logins_per_s": round3(rate),
        "login_time": hist::json(&login),
        "cycle_time": hist::json(&cycle),
        "server_cpu_us_per_login": round3(cpu_per_login_us),
        "server_cpu_pct": round3(server_cpu * 100.0 / wall),
        "client_cpu_pct": round3(client_cpu * 100.0 / wall),
        "first_error": errors.first(),
    });
    let p99 = hist::ms(&login, 0.99);
    let rows = vec![
        Row::new(
            &format!("login-{key}-rate"),
            format!(
                "5. WS logins/s, {mech} ({} it.), {} in flight",
                t.scram_iterations, args.concurrency
            ),
            rate,
            format!("{rate:.0}"),
            Better::Higher,
        ),
        Row::new(
            &format!("login-{key}-p99"),
            format!("5. WS login time p99, ms, {mech}"),
            p99,
            fmt_ms(p99),
            Better::Lower,
        ),
    ];
    Outcome {
        scenario: format!("login-{key}"),
        server: t.name.clone(),
        server_info: t.describe(),
        markdown: md,
        json,
        rows,
    }
}
