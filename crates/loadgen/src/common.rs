//! Options every scenario takes, and starting the server under test with the pinning
//! rules of performance-anchors.md (server on CPU 0, load generator on CPU 1).

use crate::meerkat::Meerkat;
use crate::peer::Peer;
use crate::progress::Progress;
use crate::report::mib;
use crate::server;
use crate::target::{Launcher, RunningServer, StartSpec};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Clone, Debug)]
pub struct Common {
    /// The server under test for a single scenario: meerkat, ejabberd or prosody (the
    /// peers through their scripts in --peers-dir). `all` takes --peers instead.
    #[arg(long, default_value = "meerkat", global = true, value_parser = ["meerkat", "ejabberd", "prosody"])]
    pub target: String,
    /// Where the peers' scripts are (`<peer>.sh setup|users N|start|status|stop`).
    #[arg(long, default_value = "bench/peers", global = true)]
    pub peers_dir: PathBuf,
    /// The meerkat binary to test.
    #[arg(long, default_value = "target/release/meerkat", global = true)]
    pub server_bin: PathBuf,
    /// Keep the server's temporary directory (config, database, log).
    #[arg(long, global = true)]
    pub keep: bool,
    /// CPU the server is pinned to (taskset -c).
    #[arg(long, default_value_t = 0, global = true)]
    pub server_cpu: usize,
    /// CPU this load generator pins itself to once the accounts exist.
    #[arg(long, default_value_t = 1, global = true)]
    pub client_cpu: usize,
    /// Pin nothing (no taskset).
    #[arg(long, global = true)]
    pub no_pin: bool,
    /// Connect from 127.0.0.1 .. 127.0.0.<K>, round robin, to spread ephemeral ports.
    #[arg(long, default_value_t = 4, global = true, value_parser = clap::value_parser!(u8).range(1..=250))]
    pub source_addrs: u8,
    /// meerkat's store: its embedded SQLite file, or a private PostgreSQL server started
    /// for the run from Debian's binaries (durable settings: fsync and synchronous commit
    /// on, as in production; not pinned to a CPU).
    #[arg(long, default_value = "sqlite", global = true, value_parser = ["sqlite", "postgres"])]
    pub store: String,
    /// meerkat with mod_mam archiving one-to-one messages (`[modules.mod_mam.pm]`): every
    /// routed message is written to both users' archives.
    #[arg(long, global = true)]
    pub mam: bool,
}

impl Common {
    /// The launcher of `name`: meerkat, or a peer (ejabberd, prosody) through its script.
    pub fn launcher_for(&self, name: &str) -> anyhow::Result<Box<dyn Launcher>> {
        Ok(match name {
            "meerkat" => Box::new(Meerkat {
                bin: self.server_bin.clone(),
                postgres: self.store == "postgres",
                mam: self.mam,
            }),
            "ejabberd" => Box::new(Peer::new("ejabberd", self.peers_dir.clone())),
            "prosody" => Box::new(Peer::new("prosody", self.peers_dir.clone())),
            other => anyhow::bail!("unknown server {other:?}: meerkat, ejabberd or prosody"),
        })
    }

    /// The server under test of a single scenario (`--target`).
    pub fn launcher(&self) -> anyhow::Result<Box<dyn Launcher>> {
        self.launcher_for(&self.target)
    }

    pub fn pinning(&self) -> String {
        if self.no_pin {
            "none".to_owned()
        } else {
            format!(
                "server on CPU {}, load generator on CPU {}",
                self.server_cpu, self.client_cpu
            )
        }
    }

    /// The local address connection `i` comes from.
    pub fn source(&self, i: usize) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(
            127,
            0,
            0,
            1 + (i % usize::from(self.source_addrs)) as u8,
        ))
    }
}

/// Creates `users` accounts and starts the server (the load generator may use every CPU
/// meanwhile), then pins the load generator to its CPU and lets the server settle 2 s.
pub async fn start(
    launcher: &dyn Launcher,
    users: usize,
    common: &Common,
    progress: &Progress,
) -> anyhow::Result<Box<dyn RunningServer>> {
    if !common.no_pin {
        server::pin_self(&server::all_cpus())?;
    }
    let spec = StartSpec {
        users,
        server_cpu: (!common.no_pin).then_some(common.server_cpu),
        keep: common.keep,
    };
    let srv = launcher.start(&spec, progress).await?;
    if !common.no_pin {
        server::pin_self(&common.client_cpu.to_string())?;
    }
    // Let start-up allocations (the store, the listeners) finish.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t = srv.target();
    let rss = server::rss(t.pid).map_or_else(|_| "?".into(), |r| mib(r.total));
    progress.note(format!(
        "{} pid {} started ({}), RSS {rss}",
        t.name, t.pid, t.version
    ));
    Ok(srv)
}

/// Runs `body` against a server started with `users` accounts and stops the server
/// afterwards; keeps its directory (and log) when anything failed.
pub async fn with_server<T>(
    launcher: &dyn Launcher,
    users: usize,
    common: &Common,
    progress: &Progress,
    body: impl AsyncFnOnce(&mut dyn RunningServer) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut srv = start(launcher, users, common, progress).await?;
    let have = srv.target().users.count;
    let result = if have < users {
        Err(anyhow::anyhow!(
            "{} has {have} accounts, the scenario needs {users}",
            launcher.name()
        ))
    } else {
        body(srv.as_mut()).await
    };
    let alive = srv.check();
    if result.is_err() || alive.is_err() {
        srv.keep();
    }
    let stopped = srv.stop();
    let value = result?;
    alive?;
    stopped?;
    Ok(value)
}
