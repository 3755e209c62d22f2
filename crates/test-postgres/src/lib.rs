//! A private PostgreSQL server for tests and benchmarks, from Debian's `postgresql`
//! package: `initdb` into a temporary directory, `pg_ctl start` on a free loopback port
//! with its Unix socket in that directory, databases created on demand with `psql`.
//!
//! * Missing binaries are installed with `apt-get install postgresql` when the process
//!   runs as root; otherwise [`PgServer::start`] fails saying what to install.
//! * PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
//!   user the package creates (`runuser`), owning the temporary directory.
//! * A watcher process stops the server and removes its directory when the process that
//!   started it exits, however it exits, so a shared server ([`PgServer::shared`]) does not
//!   outlive the test binary.
//! * [`PgServer::kill`] and [`PgServer::restart`] let a test take the database away and
//!   bring it back on the same port.

#![deny(missing_docs)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// The role the tests connect as (trust authentication on loopback and the socket).
pub const USER: &str = "meerkat";
/// Its password (PostgreSQL's trust authentication does not check it).
pub const PASSWORD: &str = "meerkat-test";

/// Why the server could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The PostgreSQL binaries are missing and cannot be installed from here.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, psql) not found: install Debian's \
         `postgresql` package (apt-get install postgresql), or run the tests as root so \
         they install it: {0}"
    )]
    Missing(String),
    /// A command failed.
    #[error("{what} failed: {detail}")]
    Command {
        /// The step.
        what: String,
        /// Its output.
        detail: String,
    },
    /// An I/O error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Where the binaries are, and whether they must run as the `postgres` user.
#[derive(Clone, Debug)]
struct Binaries {
    bin: PathBuf,
    as_postgres: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `pg_ctl`.
fn find_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin)
}

fn binaries() -> Result<Binaries, Error> {
    static FOUND: OnceLock<Result<Binaries, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let root = is_root();
            let bin = match find_bin_dir() {
                Some(bin) => bin,
                None if root => {
                    install()?;
                    find_bin_dir().ok_or("apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb appeared")?
                }
                None => return Err("not running as root, so not installing them".to_owned()),
            };
            Ok(Binaries {
                bin,
                as_postgres: root,
            })
        })
        .clone()
        .map_err(Error::Missing)
}

/// `apt-get install postgresql` (after `apt-get update` if the first try fails).
fn install() -> Result<(), String> {
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run apt-get: {e}"))
    };
    let install = ["install", "-y", "--no-install-recommends", "postgresql"];
    if apt(&install)?.status.success() {
        return Ok(());
    }
    apt(&["update"])?;
    let out = apt(&install)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "apt-get install postgresql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn check(what: &str, out: std::io::Result<Output>) -> Result<Output, Error> {
    let out = out.map_err(|e| Error::Command {
        what: what.to_owned(),
        detail: e.to_string(),
    })?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(Error::Command {
            what: what.to_owned(),
            detail: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        })
    }
}

/// A running private PostgreSQL server. Stopped (and its directory removed) when dropped,
/// or when the process exits.
#[derive(Debug)]
pub struct PgServer {
    bins: Binaries,
    dir: PathBuf,
    port: u16,
    /// Serializes start/stop/kill.
    lock: Mutex<()>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

impl PgServer {
    /// Starts a new server. `durable = false` turns off `fsync` and synchronous commit,
    /// for tests; benchmarks pass `true` to measure what production would do.
    pub fn start(durable: bool) -> Result<PgServer, Error> {
        PgServer::start_with(durable, None)
    }

    /// [`PgServer::start`] with TLS on (`ssl = on`) with this certificate chain and key
    /// (PEM files, copied into the server's directory).
    pub fn start_tls(durable: bool, cert: &Path, key: &Path) -> Result<PgServer, Error> {
        PgServer::start_with(durable, Some((cert, key)))
    }

    fn start_with(durable: bool, tls: Option<(&Path, &Path)>) -> Result<PgServer, Error> {
        let bins = binaries()?;
        let dir = std::env::temp_dir().join(format!(
            "meerkat-pg-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let server = PgServer {
            bins,
            port: free_port()?,
            dir,
            lock: Mutex::new(()),
        };
        server.watch_parent()?;
        if let Some((cert, key)) = tls {
            std::fs::copy(cert, server.dir.join("server.crt"))?;
            std::fs::copy(key, server.dir.join("server.key"))?;
            // PostgreSQL refuses a key others can read.
            check(
                "chmod of the TLS key",
                Command::new("chmod")
                    .arg("600")
                    .arg(server.dir.join("server.key"))
                    .output(),
            )?;
        }
        if server.bins.as_postgres {
            check(
                "chown of the data directory to postgres",
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&server.dir)
                    .output(),
            )?;
        }
        let pwfile = server.dir.join("pwfile");
        std::fs::write(&pwfile, PASSWORD)?;
        check(
            "initdb",
            server
                .command("initdb")
                .arg("-D")
                .arg(server.data_dir())
                .args([
                    "-U",
                    USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ])
                .arg(format!("--pwfile={}", pwfile.display()))
                .output(),
        )?;
        let mut conf = String::from(
            "listen_addresses = '127.0.0.1'\nmax_connections = 300\nshared_buffers = 64MB\n",
        );
        conf.push_str(&format!(
            "port = {}\nunix_socket_directories = '{}'\n",
            server.port,
            server.dir.display()
        ));
        if !durable {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        if tls.is_some() {
            conf.push_str(&format!(
                "ssl = on\nssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\n",
                dir = server.dir.display()
            ));
        }
        std::fs::write(server.data_dir().join("postgresql.auto.conf"), conf)?;
        server.pg_start()?;
        Ok(server)
    }

    /// One server per process, started on first use (not durable), for test binaries
    /// whose tests each take a [`PgServer::fresh_database`].
    pub fn shared() -> Result<&'static PgServer, Error> {
        static SHARED: OnceLock<Result<PgServer, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| PgServer::start(false).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::Command {
                what: "starting the shared PostgreSQL server".to_owned(),
                detail: e.clone(),
            })
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The directory of the server's Unix socket (a `host` for clients).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The loopback TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A binary of the package, run as `postgres` when we are root.
    fn command(&self, name: &str) -> Command {
        let path = self.bins.bin.join(name);
        if self.bins.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn pg_start(&self) -> Result<(), Error> {
        check(
            "pg_ctl start",
            self.command("pg_ctl")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.dir.join("server.log"))
                .args(["-w", "-t", "60", "start"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output(),
        )
        .map_err(
            |e| match std::fs::read_to_string(self.dir.join("server.log")) {
                Ok(log) => Error::Command {
                    what: "pg_ctl start".to_owned(),
                    detail: format!("{e}\nserver log:\n{log}"),
                },
                Err(_) => e,
            },
        )?;
        Ok(())
    }

    /// A stopper that outlives this process: when it exits, the server is stopped and
    /// its directory removed.
    fn watch_parent(&self) -> Result<(), Error> {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {stop} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            stop = if self.bins.as_postgres {
                format!(
                    "runuser -u postgres -- '{}'",
                    self.bins.bin.join("pg_ctl").display()
                )
            } else {
                format!("'{}'", self.bins.bin.join("pg_ctl").display())
            },
            data = self.data_dir().display(),
            dir = self.dir.display(),
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(())
    }

    /// Runs SQL as the superuser on `database`.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, Error> {
        let out = check(
            "psql",
            Command::new(self.bins.bin.join("psql"))
                .arg("-h")
                .arg(&self.dir)
                .args(["-p", &self.port.to_string(), "-U", USER, "-d", database])
                .args(["-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql])
                .output(),
        )?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Creates an empty database with a new name and returns the name.
    pub fn fresh_database(&self) -> Result<String, Error> {
        let name = format!("t{}", SEQ.fetch_add(1, Ordering::Relaxed));
        self.psql("postgres", &format!("CREATE DATABASE {name}"))?;
        Ok(name)
    }

    /// `[outgoing_pools.rdbms.default]` for `database`, connecting over TCP on loopback.
    pub fn pool_toml(&self, database: &str, workers: u32) -> String {
        format!(
            "[outgoing_pools.rdbms.default]\nworkers = {workers}\n\
             [outgoing_pools.rdbms.default.connection]\ndriver = \"pgsql\"\n\
             host = \"127.0.0.1\"\nport = {port}\ndatabase = \"{database}\"\n\
             username = \"{USER}\"\npassword = \"{PASSWORD}\"\n",
            port = self.port,
        )
    }

    /// Kills the server's processes (SIGKILL to the postmaster: what a crash does).
    pub fn kill(&self) -> Result<(), Error> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid"))?;
        let pid = pid_file.lines().next().unwrap_or("").trim().to_owned();
        check("kill -9", Command::new("kill").args(["-9", &pid]).output())?;
        // The postmaster's children notice and exit; wait until the port is free.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Ok(())
    }

    /// Starts the server again after [`PgServer::kill`] (it recovers from its WAL).
    pub fn restart(&self) -> Result<(), Error> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // A killed postmaster leaves its lock files; its PID may still exist as a zombie
        // (nobody reaps it), which would make the new one refuse to start.
        let _ = std::fs::remove_file(self.data_dir().join("postmaster.pid"));
        let socket = self.dir.join(format!(".s.PGSQL.{}", self.port));
        let _ = std::fs::remove_file(self.dir.join(format!(".s.PGSQL.{}.lock", self.port)));
        let _ = std::fs::remove_file(&socket);
        self.pg_start()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
