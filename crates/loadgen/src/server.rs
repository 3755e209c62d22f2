//! What the load generator knows about a server process, whatever the server: a
//! throw-away work directory, the process pinned to one CPU, and what procfs tells about
//! its memory and CPU time. Nothing here is specific to meerkat.

use anyhow::{Context, anyhow, bail};
use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A temporary directory (config, data, server log), removed on drop unless kept.
pub struct BenchDir {
    pub path: PathBuf,
    pub keep: bool,
}

impl BenchDir {
    pub fn create(prefix: &str) -> anyhow::Result<BenchDir> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.subsec_nanos();
        let path =
            std::env::temp_dir().join(format!("{prefix}-bench-{}-{nanos:08x}", std::process::id()));
        std::fs::create_dir_all(path.join("data"))
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(BenchDir { path, keep: false })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path.join("data")
    }

    pub fn log_file(&self) -> PathBuf {
        self.path.join("server.log")
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

/// A TCP port free on 127.0.0.1 right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server process started by the load generator.
pub struct ServerProcess {
    child: Child,
    pub pid: u32,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `program args` (pinned to `cpu` with taskset when given, which execs it, so
    /// the child's pid is the server's), output to `log`, and waits until every address
    /// in `wait_for` accepts connections.
    pub fn start(
        program: &Path,
        args: &[OsString],
        cpu: Option<usize>,
        log: &Path,
        wait_for: &[SocketAddr],
    ) -> anyhow::Result<ServerProcess> {
        let log_file = std::fs::File::create(log)?;
        let mut cmd = match cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(program);
                c
            }
            None => Command::new(program),
        };
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let mut server = ServerProcess {
            pid: child.id(),
            child,
            log: log.to_owned(),
        };
        let started = Instant::now();
        for addr in wait_for {
            while TcpStream::connect_timeout(addr, Duration::from_millis(200)).is_err() {
                if let Some(status) = server.child.try_wait()? {
                    bail!(
                        "{} exited during start-up ({status}); see {}",
                        program.display(),
                        log.display()
                    );
                }
                if started.elapsed() > Duration::from_secs(30) {
                    bail!("{} did not listen on {addr} within 30 s", program.display());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(server)
    }

    /// An error if the process has died.
    pub fn check(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("the server died ({status}); see {}", self.log.display());
        }
        Ok(())
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

/// User + system CPU time of a whole process (all its threads), from /proc/<pid>/stat.
/// The resolution is one clock tick (10 ms with the usual CLK_TCK of 100).
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name is in parentheses and may hold spaces: count from the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state is field 3 of the file; utime is field 14, stime 15.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let total = ticks(11) + ticks(12);
    Duration::from_secs_f64(total as f64 / clock_ticks() as f64)
}

/// CPU time of this process.
pub fn own_cpu_time() -> Duration {
    cpu_time(std::process::id())
}

fn clock_ticks() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .filter(|t| *t > 0)
            .unwrap_or(100)
    })
}

/// Open sockets of a process (the listeners and one per connection; SQLite files and
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

/// The 1, 5 and 15 minute load averages, as /proc/loadavg shows them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// Pins every thread of this process to `cpus` (a taskset list such as "1" or "0-1"), so
/// that the load generator and the server do not share a core. Threads created later
/// inherit it.
pub fn pin_self(cpus: &str) -> anyhow::Result<()> {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status()
        .context("cannot run taskset (util-linux); use --no-pin")?;
    if !status.success() {
        bail!("taskset failed ({status}); use --no-pin");
    }
    Ok(())
}

/// Every online CPU of the machine as a taskset list ("0-1" on two cores). Not from
/// `available_parallelism`, which shrinks once this process is pinned.
pub fn all_cpus() -> String {
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "0-1".into())
}
