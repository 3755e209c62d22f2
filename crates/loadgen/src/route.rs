//! Scenario `route` (issue 7 scenario 3): routed WebSocket → WebSocket messages per
//! second at 1,000 users, each sending to its 8 neighbours, open loop at increasing
//! aggregate rates. A rate is sustained when every message arrived exactly once at the
//! right user, none bounced, and the p99 time from schedule to delivery is under 50 ms.
//! Also the server's CPU time per message, from /proc/<pid>/stat.

use crate::client::Mechanism;
use crate::common::{self, Common};
use crate::hist::{self, fmt_ms};
use crate::logins::{Opts, Transport};
use crate::messaging::{self, Engine, StepResult};
use crate::progress::Progress;
use crate::report::{Better, Outcome, Row};
use crate::target::{Launcher, Target};
use serde_json::json;
use std::fmt::Write as _;
use std::time::Duration;

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Users (user1..userN), each sending to its 8 neighbours.
    #[arg(long, default_value_t = 1_000)]
    pub users: usize,
    /// Aggregate rates to try, in messages per second, in this order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000,2000,5000,10000,20000"
    )]
    pub rates: Vec<u64>,
    /// Seconds measured at each rate (after the warm-up).
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Seconds at each rate before measuring (messages sent but not in the histograms;
    /// still checked for loss).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Seconds to wait for the last messages of a rate.
    #[arg(long, default_value_t = 10.0)]
    pub drain: f64,
    /// p99 time to delivery (from schedule) a sustained rate must stay under, ms.
    #[arg(long, default_value_t = 50.0)]
    pub p99_limit: f64,
    /// Try every rate even after one was not sustained.
    #[arg(long)]
    pub keep_going: bool,
    /// SASL mechanism for the logins.
    #[arg(long, value_enum, default_value_t = Mechanism::ScramSha256)]
    pub mechanism: Mechanism,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
}

pub async fn run(
    args: &Args,
    common: &Common,
    launcher: &dyn Launcher,
    progress: &Progress,
) -> anyhow::Result<Outcome> {
    if args.users < 9 {
        anyhow::bail!("--users must be at least 9 (8 distinct neighbours each)");
    }
    if args.rates.is_empty() || args.rates.contains(&0) {
        anyhow::bail!("--rates must list positive rates");
    }
    common::with_server(launcher, args.users, common, progress, async |srv| {
        let t = srv.target().clone();
        let engine = Engine::new(
            args.users,
            &t.domain,
            &args.rates,
            args.warmup,
            args.duration,
        );
        let mut tasks = tokio::task::JoinSet::new();
        let opts = Opts {
            common,
            mechanism: args.mechanism,
            roster: true,
            concurrency: args.concurrency,
        };
        let senders =
            messaging::connect_users(&engine, &t, Transport::Ws, &opts, progress, &mut tasks)
                .await?;
        let mut results = Vec::new();
        for (i, rate) in args.rates.iter().enumerate() {
            let r = messaging::run_step(
                &engine,
                i,
                &senders,
                t.pid,
                Duration::from_secs_f64(args.drain),
                progress,
            )
            .await;
            let ok = r.sustained(args.p99_limit);
            progress.note(format!(
                "{rate} msg/s: {} of {} delivered, {} bounced; ms p50/p99/p999/max {}; from schedule p99 {} ms; server {:.1} µs/msg; {}",
                r.delivered,
                r.scheduled,
                r.bounced,
                hist::line(&r.ttd),
                fmt_ms(hist::ms(&r.from_sched, 0.99)),
                r.server_us_per_msg(),
                if ok { "sustained" } else { "NOT sustained" }
            ));
            results.push(r);
            srv.check()?;
            if !ok && !args.keep_going {
                break;
            }
        }
        tasks.abort_all();
        let conn_errors = engine
            .conn_errors
            .load(std::sync::atomic::Ordering::Relaxed);
        Ok(report(
            args,
            common,
            &t,
            &results,
            conn_errors,
            engine.first_error(),
            engine
                .unknown_errors
                .load(std::sync::atomic::Ordering::Relaxed),
        ))
    })
    .await
}

/// The per-step table shared with `latency`.
pub fn step_table(results: &[StepResult], p99_limit: f64) -> String {
    let mut md = String::from(
        "| rate msg/s | sent | delivered | lost | bounced | dup / misrouted | time to delivery ms p50 / p99 / p99.9 / max | from schedule p99 ms | writer lag p99 ms | server CPU µs/msg | server CPU | client CPU | sustained |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in results {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {:.1} | {:.0} % | {:.0} % | {} |",
            r.rate,
            r.written,
            r.delivered,
            r.not_delivered,
            r.bounced,
            r.duplicates,
            r.misrouted,
            hist::line(&r.ttd),
            fmt_ms(hist::ms(&r.from_sched, 0.99)),
            fmt_ms(hist::ms(&r.lag, 0.99)),
            r.server_us_per_msg(),
            r.server_cpu_s * 100.0 / r.wall_s,
            r.client_cpu_s * 100.0 / r.wall_s,
            if r.sustained(p99_limit) {
                "yes"
            } else {
                "**no**"
            },
        );
    }
    md
}

fn report(
    args: &Args,
    common: &Common,
    t: &Target,
    results: &[StepResult],
    conn_errors: u64,
    first_error: Option<String>,
    unknown_errors: u64,
) -> Outcome {
    let best = results
        .iter()
        .filter(|r| r.sustained(args.p99_limit))
        .max_by_key(|r| r.rate);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## route: routed WebSocket → WebSocket messages at {} users ({})\n",
        args.users, t.name
    );
    let _ = writeln!(
        md,
        "- each user sends to its 8 neighbours (4 lower, 4 higher ids, ring) in turn; open loop at a fixed aggregate rate; {} s warm-up + {} s measured per rate; chat messages to the bare JID, about 120 bytes each as sent",
        args.warmup, args.duration
    );
    let _ = writeln!(
        md,
        "- sustained: every message delivered once to the right user, none bounced, and p99 from schedule < {} ms; time to delivery is from the send stamp (written just before the frame) to arrival; \"from schedule\" adds the load generator's own lag (1 ms timer)",
        args.p99_limit
    );
    let _ = writeln!(
        md,
        "- server CPU = utime + stime of the server process over the step (10 ms ticks) ÷ messages delivered; client CPU = the load generator's own share of its core"
    );
    let _ = writeln!(md, "- pinning: {}\n", common.pinning());
    md.push_str(&step_table(results, args.p99_limit));
    let _ = writeln!(
        md,
        "\n**Highest sustained rate: {}.**",
        best.map_or("none of the rates tried".to_owned(), |b| format!(
            "{} msg/s ({:.1} µs server CPU per message)",
            b.rate,
            b.server_us_per_msg()
        ))
    );
    if let Some(last) = results.last().filter(|r| !r.sustained(args.p99_limit))
        && !args.keep_going
        && results.len() < args.rates.len()
    {
        let _ = writeln!(
            md,
            "Rates above {} msg/s were not tried (it was not sustained).",
            last.rate
        );
    }
    if conn_errors > 0 || unknown_errors > 0 {
        let _ = writeln!(
            md,
            "\nConnections that failed during the run: {conn_errors} (first: {}); unidentified error stanzas: {unknown_errors}.",
            first_error.as_deref().unwrap_or("-")
        );
    }
    let json = json!({
        "scenario": "route",
        "server": t.name,
        "users": args.users,
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "p99_limit_ms": args.p99_limit,
        "pinning": common.pinning(),
        "steps": results.iter().map(StepResult::json).collect::<Vec<_>>(),
        "highest_sustained_msg_s": best.map(|b| b.rate),
        "connection_errors": conn_errors,
        "first_connection_error": first_error,
        "unidentified_error_stanzas": unknown_errors,
    });
    let best_rate = best.map_or(0, |b| b.rate);
    let mut rows = vec![Row::new(
        "route-max-rate",
        format!(
            "3. routed WS→WS msg/s sustained (p99 < {} ms, zero loss), {} users",
            args.p99_limit, args.users
        ),
        best_rate as f64,
        if best_rate == 0 {
            "none".into()
        } else if best_rate == *args.rates.iter().max().unwrap_or(&0) {
            format!("≥ {best_rate} (highest tried)")
        } else {
            best_rate.to_string()
        },
        Better::Higher,
    )];
    if let Some(r) = best.or(results.first()) {
        rows.push(Row::new(
            "route-cpu-us",
            "3. server CPU per routed message at the highest sustained rate, µs",
            r.server_us_per_msg(),
            format!("{:.1} (at {} msg/s)", r.server_us_per_msg(), r.rate),
            Better::Lower,
        ));
    }
    Outcome {
        scenario: "route".into(),
        server: t.name.clone(),
        server_info: t.describe(),
        markdown: md,
        json,
        rows,
    }
}
