//! `meerkat-loadgen`: benchmark scenarios against a meerkat server it starts itself.
//! See bench/README.md.

mod client;
mod progress;
mod report;
mod server;
mod ws_idle;

use clap::{Parser, Subcommand};

/// Load generator for meerkat benchmarks (loopback only, bounded in count and time).
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Memory per idle authenticated WebSocket session (RSS delta / N), and memory after
    /// connect/disconnect cycles.
    WsIdle(ws_idle::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Two workers: account creation (PBKDF2) uses both cores; scenarios pin the process
    // to one core afterwards.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.scenario {
            Scenario::WsIdle(args) => ws_idle::run(args).await,
        }
    })
}
