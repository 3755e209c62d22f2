//! `all`: every scenario against meerkat and the peers asked for, one after the
//! other, each on a freshly started server; writes `bench/results/<date>.md` (summary
//! table, targets, every scenario's section) and `bench/results/<date>.json`.

use crate::client::Mechanism;
use crate::common::Common;
use crate::logins::Transport;
use crate::progress::Progress;
use crate::report::{Better, Machine, Outcome, Row};
use crate::target::Launcher;
use crate::{bosh_idle, http_bench, latency, login, route, ws_idle};
use serde_json::json;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

/// The peers of the comparison, in table order.
pub const PEERS: [&str; 2] = ["ejabberd", "prosody"];

#[derive(clap::Args, Clone, Debug)]
pub struct Args {
    /// Result file (default: bench/results/<YYYY-MM-DD>.md; the JSON goes beside it).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Small sizes and short durations: a smoke test of the whole run (a few minutes).
    #[arg(long)]
    pub quick: bool,
    /// Scenarios to leave out: ws-idle, bosh-idle, route, latency-ws, latency-bosh,
    /// login-scram, login-plain, http.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Peers to run as well, after meerkat: ejabberd, prosody (through the scripts in
    /// --peers-dir, as root; the first run installs the Debian packages).
    #[arg(long, value_delimiter = ',')]
    pub peers: Vec<String>,
    /// Idle WebSocket sessions (scenario 1).
    #[arg(long, default_value_t = 10_000)]
    pub ws_sessions: usize,
    /// Idle BOSH sessions (scenario 2).
    #[arg(long, default_value_t = 5_000)]
    pub bosh_sessions: usize,
    /// Seconds measured per rate in `route` and in each `latency` run.
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
}

/// One scenario as `all` runs it.
enum Job {
    WsIdle(ws_idle::Args),
    BoshIdle(bosh_idle::Args),
    Route(route::Args),
    Latency(latency::Args),
    Login(login::Args),
    Http(http_bench::Args),
}

impl Job {
    fn key(&self) -> String {
        match self {
            Job::WsIdle(_) => "ws-idle".into(),
            Job::BoshIdle(_) => "bosh-idle".into(),
            Job::Route(_) => "route".into(),
            Job::Latency(a) => match a.transport {
                Transport::Ws => "latency-ws".into(),
                Transport::Bosh => "latency-bosh".into(),
            },
            Job::Login(a) => match a.mechanism {
                Mechanism::ScramSha256 => "login-scram".into(),
                Mechanism::Plain => "login-plain".into(),
            },
            Job::Http(_) => "http".into(),
        }
    }

    /// The command that runs the same scenario alone.
    fn command(&self) -> String {
        let base = "target/release/meerkat-loadgen";
        match self {
            Job::WsIdle(a) => format!(
                "{base} ws-idle --sessions {} --cycles {}",
                a.sessions, a.cycles
            ),
            Job::BoshIdle(a) => format!("{base} bosh-idle --sessions {}", a.sessions),
            Job::Route(a) => format!(
                "{base} route --users {} --rates {} --duration {}",
                a.users,
                a.rates
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                a.duration
            ),
            Job::Latency(a) => format!(
                "{base} latency --transport {} --users {} --rate {} --duration {}",
                match a.transport {
                    Transport::Ws => "ws",
                    Transport::Bosh => "bosh",
                },
                a.users,
                a.rate,
                a.duration
            ),
            Job::Login(a) => format!(
                "{base} login --mechanism {} --logins {} --concurrency {}",
                match a.mechanism {
                    Mechanism::ScramSha256 => "scram-sha256",
                    Mechanism::Plain => "plain",
                },
                a.logins,
                a.concurrency
            ),
            Job::Http(a) => format!(
                "{base} http --connections {} --duration {} --rounds {}",
                a.connections, a.duration, a.rounds
            ),
        }
    }

    async fn run(
        &self,
        common: &Common,
        launcher: &dyn Launcher,
        progress: &Progress,
    ) -> anyhow::Result<Outcome> {
        match self {
            Job::WsIdle(a) => ws_idle::run(a, common, launcher, progress).await,
            Job::BoshIdle(a) => bosh_idle::run(a, common, launcher, progress).await,
            Job::Route(a) => route::run(a, common, launcher, progress).await,
            Job::Latency(a) => latency::run(a, common, launcher, progress).await,
            Job::Login(a) => login::run(a, common, launcher, progress).await,
            Job::Http(a) => http_bench::run(a, common, launcher, progress).await,
        }
    }
}

fn jobs(args: &Args) -> Vec<Job> {
    let q = args.quick;
    let duration = if q { 3.0 } else { args.duration };
    let latency = |transport| latency::Args {
        transport,
        users: 1_000,
        rate: 1_000,
        duration,
        warmup: if q { 1.0 } else { 2.0 },
        drain: 10.0,
        mechanism: Mechanism::ScramSha256,
        concurrency: 100,
    };
    let login = |mechanism| login::Args {
        mechanism,
        logins: if q { 512 } else { 4_096 },
        users: if q { 200 } else { 1_000 },
        concurrency: 32,
        no_key_cache: false,
    };
    vec![
        Job::WsIdle(ws_idle::Args {
            sessions: if q { 1_000 } else { args.ws_sessions },
            mechanism: Mechanism::ScramSha256,
            concurrency: 200,
            settle: if q { 2 } else { 10 },
            cycles: 3,
        }),
        Job::BoshIdle(bosh_idle::Args {
            sessions: if q { 500 } else { args.bosh_sessions },
            mechanism: Mechanism::ScramSha256,
            concurrency: 200,
            settle: if q { 2 } else { 10 },
        }),
        Job::Route(route::Args {
            users: 1_000,
            // Rising rates, finer where the peers' ceilings lie (the run stops at the first
            // rate that is not sustained).
            rates: if q {
                vec![1_000, 5_000]
            } else {
                vec![
                    1_000, 2_000, 5_000, 10_000, 12_500, 15_000, 17_500, 20_000, 25_000, 30_000,
                    35_000, 40_000, 45_000, 50_000, 55_000, 60_000, 70_000,
                ]
            },
            duration,
            warmup: if q { 1.0 } else { 2.0 },
            drain: 10.0,
            p99_limit: 50.0,
            keep_going: false,
            mechanism: Mechanism::ScramSha256,
            concurrency: 100,
        }),
        Job::Latency(latency(Transport::Ws)),
        Job::Latency(latency(Transport::Bosh)),
        Job::Login(login(Mechanism::ScramSha256)),
        Job::Login(login(Mechanism::Plain)),
        Job::Http(http_bench::Args {
            connections: 64,
            duration: if q { 2.0 } else { 5.0 },
            warmup: 1.0,
            rounds: if q { 1 } else { 3 },
            sessions: 1_000,
        }),
    ]
}

/// A scenario that failed: its error instead of an outcome.
struct Failed {
    key: String,
    server: String,
    error: String,
}

pub async fn run(args: &Args, common: &Common, progress: &Progress) -> anyhow::Result<String> {
    for p in &args.peers {
        if !PEERS.contains(&p.as_str()) {
            anyhow::bail!("unknown peer {p:?}: the peers are {}", PEERS.join(", "));
        }
    }
    let machine = Machine::probe();
    let started = Instant::now();
    let mut launchers: Vec<Box<dyn Launcher>> = vec![common.launcher_for("meerkat")?];
    for p in PEERS {
        if args.peers.iter().any(|a| a == p) {
            launchers.push(common.launcher_for(p)?);
        }
    }
    let jobs: Vec<Job> = jobs(args)
        .into_iter()
        .filter(|j| !args.skip.contains(&j.key()))
        .collect();
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut failures: Vec<Failed> = Vec::new();
    for launcher in &launchers {
        for job in &jobs {
            if matches!(job, Job::Http(_)) && !launcher.has_http_api() {
                progress.note(format!(
                    "=== {}: {} has no HTTP API, skipped",
                    job.key(),
                    launcher.name()
                ));
                continue;
            }
            progress.note(format!("=== {} on {}", job.key(), launcher.name()));
            let t0 = Instant::now();
            match job.run(common, launcher.as_ref(), progress).await {
                Ok(o) => {
                    progress.note(format!(
                        "=== {} on {} done in {:.0} s",
                        job.key(),
                        launcher.name(),
                        t0.elapsed().as_secs_f64()
                    ));
                    outcomes.push(o);
                }
                Err(e) => {
                    progress.note(format!(
                        "=== {} on {} FAILED: {e:#}",
                        job.key(),
                        launcher.name()
                    ));
                    failures.push(Failed {
                        key: job.key(),
                        server: launcher.name().into(),
                        error: format!("{e:#}"),
                    });
                }
            }
        }
    }
    let total_s = started.elapsed().as_secs_f64();
    let load_end = crate::server::load_average();
    let command = std::env::args().collect::<Vec<_>>().join(" ");

    let date = machine
        .date
        .split(' ')
        .next()
        .unwrap_or("unknown")
        .to_owned();
    let md_path = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("bench/results/{date}.md")));
    let json_path = md_path.with_extension("json");

    let mut md = String::new();
    let _ = writeln!(
        md,
        "# {date}: benchmark suite (issue 7){}\n",
        if args.quick {
            ", quick smoke run (not a result)"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "{}", machine.markdown());
    let _ = writeln!(md, "- load average at the end: {load_end}");
    let _ = writeln!(
        md,
        "- command: `{command}` ({:.1} min in all)",
        total_s / 60.0
    );
    let _ = writeln!(md, "- pinning: {}", common.pinning());
    let mut infos: Vec<&str> = Vec::new();
    for o in &outcomes {
        if !infos.contains(&o.server_info.as_str()) {
            infos.push(&o.server_info);
        }
    }
    for info in infos {
        let _ = writeln!(md, "- server: {info}");
    }
    let _ = writeln!(
        md,
        "- open files: about 20,000 per process here (hard limit); every scenario stays below it (one socket per idle session in each process; BOSH latency users hold two connections each)"
    );
    let _ = writeln!(
        md,
        "- JSON: [{}]({})\n",
        json_path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
        json_path
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    );

    md.push_str(&summary(&outcomes, &failures, &args.peers));
    md.push_str(&targets(&outcomes));

    let _ = writeln!(
        md,
        "\n## Reproduce one scenario\n\nAgainst a peer: add `--target ejabberd` or `--target prosody`.\n"
    );
    for job in &jobs {
        let _ = writeln!(md, "- {}: `{}`", job.key(), job.command());
    }
    for o in &outcomes {
        let _ = writeln!(md, "\n{}", o.markdown.trim_end());
    }
    for f in &failures {
        let _ = writeln!(
            md,
            "\n## {} ({}): failed\n\n```\n{}\n```",
            f.key, f.server, f.error
        );
    }

    let json = json!({
        "machine": machine.json(),
        "load_average_at_end": load_end,
        "command": command,
        "total_s": (total_s * 10.0).round() / 10.0,
        "pinning": common.pinning(),
        "quick": args.quick,
        "results": outcomes.iter().map(|o| json!({
            "scenario": o.scenario,
            "server": o.server,
            "server_info": o.server_info,
            "result": o.json,
        })).collect::<Vec<_>>(),
        "failures": failures.iter().map(|f| json!({"scenario": f.key, "server": f.server, "error": f.error})).collect::<Vec<_>>(),
    });
    if let Some(dir) = md_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&md_path, &md)?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&json)? + "\n")?;
    progress.note(format!(
        "wrote {} and {}",
        md_path.display(),
        json_path.display()
    ));
    Ok(md)
}

/// Whether a ratio meerkat ÷ best peer meets a target.
type RatioTest = fn(f64) -> bool;

/// Issue 7's targets relative to the best peer: row key, text, and the test on the
/// ratio meerkat ÷ best peer.
const RELATIVE_TARGETS: [(&str, &str, RatioTest); 3] = [
    ("route-max-rate", "≥ 3× the best peer (issue 7)", |r| {
        r >= 3.0
    }),
    ("ws-idle-kib", "≤ ⅓ of the best peer (issue 7)", |r| {
        r <= 1.0 / 3.0
    }),
    ("bosh-idle-kib", "≤ ⅓ of the best peer (issue 7)", |r| {
        r <= 1.0 / 3.0
    }),
];

/// Rows without a meaningful ratio: a change in percent (it can be negative), and the
/// plain actix-web baseline, which is the same program in every server's run (its
/// figures there show how busy the machine was).
const NO_RATIO: [&str; 3] = ["ws-idle-recovery", "http-hello-rate", "http-hello-p99"];

/// `server`'s row `key`, if it ran.
fn row<'a>(outcomes: &'a [Outcome], server: &str, key: &str) -> Option<&'a Row> {
    outcomes
        .iter()
        .filter(|o| o.server == server)
        .flat_map(|o| o.rows.iter())
        .find(|r| r.key == key)
}

/// The best peer figure on `r`'s row, that peer and its row.
fn best_peer<'a>(outcomes: &'a [Outcome], r: &Row) -> Option<(f64, &'static str, &'a Row)> {
    if NO_RATIO.contains(&r.key.as_str()) {
        return None;
    }
    PEERS
        .iter()
        .filter_map(|p| {
            let pr = row(outcomes, p, &r.key)?;
            Some((pr.value?, *p, pr))
        })
        .reduce(|a, b| {
            let b_better = match r.better {
                Better::Higher => b.0 > a.0,
                Better::Lower => b.0 < a.0,
            };
            if b_better { b } else { a }
        })
}

/// meerkat ÷ the best peer on `r`'s row.
fn ratio(outcomes: &[Outcome], r: &Row) -> Option<f64> {
    match (r.value, best_peer(outcomes, r)) {
        (Some(v), Some((b, _, _))) if b != 0.0 => Some(v / b),
        _ => None,
    }
}

/// `scenario | meerkat | ejabberd | prosody | ratio`.
fn summary(outcomes: &[Outcome], failures: &[Failed], peers_asked: &[String]) -> String {
    let mut md = String::from(
        "## Summary\n\nRatio = meerkat ÷ the best peer on that row (↑: higher is better, so above 1 is better; ↓: lower is better, so below 1 is better). \"not run\": the peer was not asked for (`--peers`); \"n/a\": the peer has nothing comparable (Prosody ships no HTTP admin API). Row 6 on ejabberd is `mod_http_api` `connected_users_number` without authentication, in the row of GraphQL `countSessions`. The actix-web hello is the same program in every server's run: a gauge of how busy the machine was.\n\n| scenario | meerkat | ejabberd | prosody | ratio |\n|---|---|---|---|---|\n",
    );
    let cell = |peer: &str, r: &Row| -> String {
        if let Some(pr) = row(outcomes, peer, &r.key) {
            return pr.shown.clone();
        }
        if !peers_asked.iter().any(|p| p == peer) {
            return "not run".into();
        }
        let scenario_failed = failures
            .iter()
            .any(|f| f.server == peer && r.key.starts_with(&f.key));
        if scenario_failed {
            "failed (see below)".into()
        } else {
            "n/a".into()
        }
    };
    for r in outcomes
        .iter()
        .filter(|o| o.server == "meerkat")
        .flat_map(|o| o.rows.iter())
    {
        let ratio = ratio(outcomes, r).map_or_else(|| "–".into(), |x| format!("{x:.2}"));
        let arrow = match r.better {
            Better::Higher => "↑",
            Better::Lower => "↓",
        };
        let _ = writeln!(
            md,
            "| {} {arrow} | {} | {} | {} | {ratio} |",
            r.label,
            r.shown,
            cell(PEERS[0], r),
            cell(PEERS[1], r)
        );
    }
    for f in failures.iter().filter(|f| f.server == "meerkat") {
        let _ = writeln!(md, "| {} | failed (see below) | | | |", f.key);
    }
    md
}

/// The targets the issues set, and whether meerkat meets them.
fn targets(outcomes: &[Outcome]) -> String {
    let mut md = String::from("\n## Targets\n\n| target | figure | met |\n|---|---|---|\n");
    let ours: Vec<&Row> = outcomes
        .iter()
        .filter(|o| o.server == "meerkat")
        .flat_map(|o| o.rows.iter())
        .collect();
    for r in &ours {
        if let Some((text, met)) = &r.target {
            let verdict = if *met { "yes" } else { "**no**" };
            let _ = writeln!(md, "| {}: {text} | {} | {verdict} |", r.label, r.shown);
        }
    }
    for (key, text, test) in RELATIVE_TARGETS {
        let Some(r) = ours.iter().find(|r| r.key == key) else {
            continue;
        };
        let (figure, verdict) = match (ratio(outcomes, r), best_peer(outcomes, r)) {
            (Some(x), Some((_, peer, pr))) => (
                format!("{} vs {peer} {}: {x:.2}×", r.shown, pr.shown),
                if test(x) { "yes" } else { "**no**" },
            ),
            _ => (r.shown.clone(), "needs the peers (`--peers`)"),
        };
        let _ = writeln!(md, "| {}: {text} | {figure} | {verdict} |", r.label);
    }
    md
}
