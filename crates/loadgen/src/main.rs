//! `meerkat-loadgen`: benchmark scenarios (issue 7) against a server it starts itself.
//! See bench/README.md.

mod all;
mod bosh;
mod bosh_idle;
mod client;
mod common;
mod hist;
mod hostile;
mod http1;
mod http_bench;
mod latency;
mod login;
mod logins;
mod meerkat;
mod messaging;
mod offline;
mod peer;
mod progress;
mod report;
mod route;
mod scram;
mod server;
mod storage;
mod target;
mod ws_idle;

use clap::{Parser, Subcommand};
use progress::Progress;
use report::{Machine, Outcome};

/// Load generator for meerkat benchmarks (loopback only, bounded in count and time).
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    common: common::Common,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Scenarios 1 and 7: memory per idle authenticated WebSocket session (RSS delta / N),
    /// and memory after connect/disconnect cycles.
    WsIdle(ws_idle::Args),
    /// Scenario 2: memory per idle BOSH session with one request held.
    BoshIdle(bosh_idle::Args),
    /// Scenario 3: the highest routed WS → WS message rate with p99 < 50 ms and no loss.
    Route(route::Args),
    /// Scenario 4: time to delivery at 1,000 users and 1,000 msg/s, WebSocket or BOSH.
    Latency(latency::Args),
    /// Scenario 5: full WebSocket logins per second (SCRAM-SHA-256 or PLAIN).
    Login(login::Args),
    /// Scenario 6: HTTP API requests per second beside a plain actix-web hello.
    Http(http_bench::Args),
    /// Issue 11: peak server memory under the hostile inputs of the security review,
    /// one fresh server per input.
    Hostile(hostile::Args),
    /// Issue 14: messages to offline users per second (storage written per message),
    /// on the store `--store` names.
    Offline(offline::Args),
    /// Issue 14: logins/s and offline messages/s on SQLite and on PostgreSQL in one run.
    Storage(storage::Args),
    /// Every scenario; writes bench/results/<date>.md and .json.
    All(all::Args),
    /// The plain actix-web hello server of the `http` scenario (started by it).
    #[command(hide = true)]
    HelloServer {
        #[arg(long)]
        port: u16,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Scenario::HelloServer { port } = cli.scenario {
        return http_bench::hello_server(port);
    }
    // Two workers: account creation (PBKDF2) uses both cores; scenarios then pin the
    // process to one core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let progress = Progress::start();
        let common = &cli.common;
        let launcher = common.launcher()?;
        let launcher = launcher.as_ref();
        let result = match &cli.scenario {
            Scenario::WsIdle(a) => ws_idle::run(a, common, launcher, &progress).await,
            Scenario::BoshIdle(a) => bosh_idle::run(a, common, launcher, &progress).await,
            Scenario::Route(a) => route::run(a, common, launcher, &progress).await,
            Scenario::Latency(a) => latency::run(a, common, launcher, &progress).await,
            Scenario::Login(a) => login::run(a, common, launcher, &progress).await,
            Scenario::Http(a) => http_bench::run(a, common, launcher, &progress).await,
            Scenario::Hostile(a) => hostile::run(a, common, launcher, &progress).await,
            Scenario::Offline(a) => offline::run(a, common, launcher, &progress).await,
            Scenario::Storage(a) => {
                let md = storage::run(a, common, &progress).await;
                progress.stop();
                println!("{}\n\n{}", md?.trim_end(), Machine::probe().markdown());
                return Ok(());
            }
            Scenario::All(a) => {
                let md = all::run(a, common, &progress).await;
                progress.stop();
                println!("{}", md?);
                return Ok(());
            }
            Scenario::HelloServer { .. } => unreachable!("handled above"),
        };
        progress.stop();
        print_outcome(&result?);
        Ok(())
    })
}

/// A single scenario's result on stdout: the machine, the Markdown section, the JSON.
fn print_outcome(o: &Outcome) {
    let m = Machine::probe();
    println!("{}", o.markdown.trim_end());
    println!("\n{}\n- server: {}", m.markdown(), o.server_info);
    let json = serde_json::json!({ "machine": m.json(), "result": o.json });
    println!(
        "\n```json\n{}\n```",
        serde_json::to_string_pretty(&json).unwrap_or_default()
    );
}
