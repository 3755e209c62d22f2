//! Scenario `latency` (issue 7 scenario 4; issue 4's BOSH-to-BOSH latency): time to
//! delivery at 1,000 users and 1,000 messages per second, over WebSocket or BOSH, with
//! the same open-loop 8-neighbour traffic as `route`.
//!
//! BOSH users behave as real clients: one request always held, the next empty request
//! sent as soon as a response arrives, and outgoing messages posted on a second
//! connection (at most two requests outstanding; see `messaging::spawn_bosh_user`).

use crate::client::Mechanism;
use crate::common::{self, Common};
use crate::hist::{self, fmt_ms};
use crate::logins::{Opts, Transport};
use crate::messaging::{self, Engine, StepResult};
use crate::progress::Progress;
use crate::report::{Better, Outcome, Row};
use crate::route::step_table;
use crate::target::{Launcher, Target};
use serde_json::json;
use std::fmt::Write as _;
use std::time::Duration;

/// Issue 7's target for scenario 4, ms.
pub const P99_TARGET_MS: f64 = 5.0;

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Transport of every user.
    #[arg(long, value_enum, default_value_t = Transport::Ws)]
    pub transport: Transport,
    /// Users (user1..userN), each sending to its 8 neighbours.
    #[arg(long, default_value_t = 1_000)]
    pub users: usize,
    /// Aggregate rate, messages per second.
    #[arg(long, default_value_t = 1_000)]
    pub rate: u64,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Seconds before measuring (messages sent, checked for loss, not in the histograms).
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Seconds to wait for the last messages.
    #[arg(long, default_value_t = 10.0)]
    pub drain: f64,
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
    if args.users < 9 || args.rate == 0 {
        anyhow::bail!("--users must be at least 9 and --rate positive");
    }
    common::with_server(launcher, args.users, common, progress, async |srv| {
        let t = srv.target().clone();
        let engine = Engine::new(
            args.users,
            &t.domain,
            &[args.rate],
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
            messaging::connect_users(&engine, &t, args.transport, &opts, progress, &mut tasks)
                .await?;
        let r = messaging::run_step(
            &engine,
            0,
            &senders,
            t.pid,
            Duration::from_secs_f64(args.drain),
            progress,
        )
        .await;
        progress.note(format!(
            "{}: {} of {} delivered; ms p50/p99/p999/max {}",
            args.transport.name(),
            r.delivered,
            r.scheduled,
            hist::line(&r.ttd)
        ));
        srv.check()?;
        tasks.abort_all();
        let errors = engine
            .conn_errors
            .load(std::sync::atomic::Ordering::Relaxed);
        Ok(report(args, common, &t, &r, errors, engine.first_error()))
    })
    .await
}

fn report(
    args: &Args,
    common: &Common,
    t: &Target,
    r: &StepResult,
    conn_errors: u64,
    first_error: Option<String>,
) -> Outcome {
    let tr = args.transport.name();
    let key = match args.transport {
        Transport::Ws => "ws",
        Transport::Bosh => "bosh",
    };
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## latency ({tr}): time to delivery at {} users, {} msg/s ({})\n",
        args.users, args.rate, t.name
    );
    let _ = writeln!(
        md,
        "- {tr} → {tr}; each user sends to its 8 neighbours in turn; open loop; {} s warm-up + {} s measured",
        args.warmup, args.duration
    );
    if args.transport == Transport::Bosh {
        let _ = writeln!(
            md,
            "- BOSH clients: `hold=1`, `wait=60`; one request always held (the next empty request goes out as soon as a response arrives), messages posted on a second connection; at most two requests outstanding per session"
        );
    }
    let _ = writeln!(
        md,
        "- time to delivery: from the send stamp (taken just before the frame or request is written) to arrival at the recipient; \"from schedule\" adds the load generator's 1 ms timer and queueing"
    );
    let _ = writeln!(md, "- pinning: {}\n", common.pinning());
    md.push_str(&step_table(std::slice::from_ref(r), f64::INFINITY));
    let p50 = hist::ms(&r.ttd, 0.5);
    let p99 = hist::ms(&r.ttd, 0.99);
    let _ = writeln!(
        md,
        "\n**p50 {} ms, p99 {} ms, p99.9 {} ms, max {} ms** ({} of {} delivered, {} bounced).",
        fmt_ms(p50),
        fmt_ms(p99),
        fmt_ms(hist::ms(&r.ttd, 0.999)),
        fmt_ms(hist::max_ms(&r.ttd)),
        r.delivered,
        r.scheduled,
        r.bounced
    );
    if conn_errors > 0 {
        let _ = writeln!(
            md,
            "\nConnections that failed during the run: {conn_errors} (first: {}).",
            first_error.as_deref().unwrap_or("-")
        );
    }
    let json = json!({
        "scenario": format!("latency-{key}"),
        "server": t.name,
        "transport": tr,
        "users": args.users,
        "rate_msg_s": args.rate,
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "pinning": common.pinning(),
        "step": r.json(),
        "connection_errors": conn_errors,
        "first_connection_error": first_error,
    });
    let lossless = r.not_delivered == 0 && r.bounced == 0;
    let rows = vec![
        Row::new(
            &format!("latency-{key}-p50"),
            format!(
                "4. {tr} → {tr} time to delivery p50, ms ({} users, {} msg/s)",
                args.users, args.rate
            ),
            p50,
            fmt_ms(p50),
            Better::Lower,
        ),
        Row::new(
            &format!("latency-{key}-p99"),
            format!(
                "4. {tr} → {tr} time to delivery p99, ms ({} users, {} msg/s)",
                args.users, args.rate
            ),
            p99,
            if lossless {
                fmt_ms(p99)
            } else {
                format!("{} ({} lost)", fmt_ms(p99), r.not_delivered)
            },
            Better::Lower,
        )
        .target(
            format!("< {P99_TARGET_MS} ms, no loss (issue 7)"),
            p99 < P99_TARGET_MS && lossless,
        ),
    ];
    Outcome {
        scenario: format!("latency-{key}"),
        server: t.name.clone(),
        server_info: t.describe(),
        markdown: md,
        json,
        rows,
    }
}
