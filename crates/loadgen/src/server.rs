//! The server under test: a throw-away directory with a bench config and accounts, the
//! meerkat process pinned to one CPU, and what procfs tells about its memory.

use anyhow::{Context, anyhow, bail};
use meerkat_core::Server;
use meerkat_core::accounts::account_jid;
use meerkat_core::config::{Diagnostics, ServerConfig};
use meerkat_storage::SqliteStore;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The XMPP domain of the bench server.
pub const DOMAIN: &str = "localhost";
/// The HTTP path of its WebSocket handler.
pub const WS_PATH: &str = "/ws-xmpp";
/// SCRAM iterations, the same on every server compared (performance-anchors.md).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// User `i` (1-based): `user<i>` with password `pass<i>`, as for the peers.
pub fn user(i: usize) -> (String, String) {
    (format!("user{i}"), format!("pass{i}"))
}

/// A temporary directory (config, data, server log), removed on drop unless kept.
pub struct BenchDir {
    pub path: PathBuf,
    pub keep: bool,
}

impl BenchDir {
    pub fn create() -> anyhow::Result<BenchDir> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.subsec_nanos();
        let path =
            std::env::temp_dir().join(format!("meerkat-bench-{}-{nanos:08x}", std::process::id()));
        std::fs::create_dir_all(path.join("data"))
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(BenchDir { path, keep: false })
    }

    pub fn config_file(&self) -> PathBuf {
        self.path.join("meerkat.toml")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path.join("data")
    }

    pub fn log_file(&self) -> PathBuf {
        self.path.join("meerkat.log")
    }
}

impl Drop for BenchDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("kept {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The bench config: one WebSocket listener on 127.0.0.1, one worker (the server runs on
/// one core), no connection limit, SCRAM-SHA-256 keys only, the modules of
/// config/meerkat.toml that matter to a logged-in client.
pub fn config_text(port: u16) -> String {
    format!(
        r#"# Written by meerkat-loadgen for one benchmark run.
[general]
  loglevel = "warning"
  hosts = ["{DOMAIN}"]
  default_server_domain = "{DOMAIN}"

[[listen.http]]
  ip_address = "127.0.0.1"
  port = {port}
  transport.num_acceptors = 1
  transport.max_connections = "infinity"

  [[listen.http.handlers.mod_websockets]]
    host = "_"
    path = "{WS_PATH}"

[auth]
  password.format = "scram"
  password.hash = ["sha256"]
  password.scram_iterations = {SCRAM_ITERATIONS}
  [auth.internal]

[modules.mod_disco]
[modules.mod_roster]
[modules.mod_presence]
[modules.mod_offline]
[modules.mod_ping]
"#
    )
}

/// A TCP port free on 127.0.0.1 right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Creates `user1..userN` in `data_dir` the way `meerkat account add` does
/// ([`Server::register_user`]: SCRAM keys derived per `[auth.password]`), spread over
/// `workers` tasks so that the PBKDF2 work uses every core. `done` counts progress.
pub async fn create_accounts(
    config: &str,
    data_dir: &Path,
    n: usize,
    workers: usize,
    done: Arc<AtomicUsize>,
) -> anyhow::Result<()> {
    let root: toml::Table = toml::from_str(config)?;
    let mut diag = Diagnostics::default();
    let server_config = ServerConfig::read(&root, &mut diag);
    if !diag.is_ok() {
        bail!("bench config rejected:\n{diag}");
    }
    let store = SqliteStore::open(data_dir).await?;
    let server = Server::new(server_config, Arc::new(store.clone()));
    let mut tasks = Vec::new();
    for w in 0..workers {
        let server = server.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            for i in (1 + w..=n).step_by(workers) {
                let (name, password) = user(i);
                let jid = account_jid(&server, &name, DOMAIN)?;
                server.register_user(&jid, &password).await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    store.close().await;
    Ok(())
}

/// The meerkat process.
pub struct ServerProcess {
    child: Child,
    pub pid: u32,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `bin` on `dir`'s config and data (pinned to `cpu` with taskset when given)
    /// and waits until `addr` accepts connections.
    pub fn start(
        bin: &Path,
        dir: &BenchDir,
        cpu: Option<usize>,
        addr: SocketAddr,
    ) -> anyhow::Result<ServerProcess> {
        if !bin.is_file() {
            bail!(
                "server binary {} not found: build it with `cargo build --release -p meerkat` or pass --server-bin",
                bin.display()
            );
        }
        let log = std::fs::File::create(dir.log_file())?;
        // taskset execs the server, so the child's pid is the server's.
        let mut cmd = match cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.arg("--config")
            .arg(dir.config_file())
            .arg("--data-dir")
            .arg(dir.data_dir())
            .arg("run")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut server = ServerProcess {
            pid: child.id(),
            child,
            log: dir.log_file(),
        };
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited during start-up ({status}); see {}",
                    dir.log_file().display()
                );
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the server did not listen on {addr} within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// The server's memory now; an error if it has died.
    pub fn rss(&mut self) -> anyhow::Result<Rss> {
        if let Some(status) = self.child.try_wait()? {
            bail!("the server died ({status}); see {}", self.log.display());
        }
        rss(self.pid)
    }

    /// SIGTERM (graceful stop), then SIGKILL if it is still running after 30 s.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill()?;
        self.child.wait()?;
        Err(anyhow!("the server ignored SIGTERM for 30 s; killed"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Reached on errors only (stop() consumes a running server): never leave it behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Resident memory of a process, from /proc/<pid>/status (KiB).
#[derive(Clone, Copy, Debug, Default)]
pub struct Rss {
    /// VmRSS: all resident pages.
    pub total: u64,
    /// RssAnon: resident anonymous pages (the heap, stacks); 0 if the kernel lacks it.
    pub anon: u64,
}

pub fn rss(pid: u32) -> anyhow::Result<Rss> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Ok(Rss {
        total: field("VmRSS:").ok_or_else(|| anyhow!("no VmRSS in /proc/{pid}/status"))?,
        anon: field("RssAnon:").unwrap_or(0),
    })
}

/// Open sockets of a process (the listener and one per connection; SQLite files and
/// eventfds are not counted).
pub fn open_sockets(pid: u32) -> usize {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    fds.filter_map(Result::ok)
        .filter(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
        })
        .count()
}

/// The kernel's slab memory (system-wide, KiB): socket structures live there, outside
/// any process's RSS.
pub fn slab_kib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Slab:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Pins every thread of this process to `cpu` (taskset -a -p), so that the load
/// generator and the server do not share a core. Threads created later inherit it.
pub fn pin_self(cpu: usize) -> anyhow::Result<()> {
    let status = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &cpu.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .context("cannot run taskset (util-linux); use --no-pin")?;
    if !status.success() {
        bail!("taskset failed ({status}); use --no-pin");
    }
    Ok(())
}
