//! The `meerkat` binary as a user runs it: help and version, `check-config`, starting on
//! MongooseIM's own default configs, graceful shutdown on signals, and the account CLI.
//!
//! Every child process runs in a temporary working directory (so no `config/meerkat.toml`
//! is picked up by accident), is bounded by a deadline, and is killed if a test fails.

use anyhow::{Context, bail, ensure};
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meerkat");

/// How long a short command (check-config, account ...) may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the server may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a graceful stop may take.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// `meerkat` in `dir`, with none of the environment that would change its behaviour.
fn meerkat(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("MEERKAT_CONFIG")
        .env_remove("MEERKAT_DATA_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

/// What a finished command printed.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn ok(&self) -> bool {
        self.status.success()
    }
}

impl std::fmt::Debug for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` to completion (killing it after [`COMMAND_TIMEOUT`]), feeding `stdin`.
fn run(mut cmd: Command, stdin: Option<&str>) -> anyhow::Result<Finished> {
    let out = tempfile::tempdir()?;
    let (stdout_path, stderr_path) = (out.path().join("stdout"), out.path().join("stderr"));
    cmd.stdout(File::create(&stdout_path)?)
        .stderr(File::create(&stderr_path)?);
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = Reaped(cmd.spawn().context("spawn meerkat")?);
    if let Some(text) = stdin {
        let mut pipe = child.0.stdin.take().context("stdin")?;
        pipe.write_all(text.as_bytes())?;
    }
    let status = child.wait_timeout(COMMAND_TIMEOUT)?;
    Ok(Finished {
        status,
        stdout: std::fs::read_to_string(stdout_path)?,
        stderr: std::fs::read_to_string(stderr_path)?,
    })
}

/// A child process that is killed and reaped when dropped, so a failing test leaves no
/// orphan behind.
struct Reaped(Child);

impl Reaped {
    fn wait_timeout(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.0.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                bail!("meerkat did not exit within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, name: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-s", name, &self.0.id().to_string()])
            .status()
            .context("run kill")?;
        ensure!(status.success(), "kill -s {name} failed: {status}");
        Ok(())
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A server started with `meerkat ... run`, its log in a file.
struct Server {
    child: Reaped,
    log: PathBuf,
}

impl Server {
    fn start(mut cmd: Command, log: PathBuf) -> anyhow::Result<Server> {
        let file = File::create(&log)?;
        cmd.stdout(file.try_clone()?).stderr(file);
        Ok(Server {
            child: Reaped(cmd.spawn().context("spawn meerkat")?),
            log,
        })
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until every port accepts TCP connections on 127.0.0.1.
    fn wait_listening(&mut self, ports: &[u16]) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        for &port in ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            loop {
                if let Some(status) = self.child.0.try_wait()? {
                    bail!(
                        "meerkat exited ({status}) before listening:\n{}",
                        self.log()
                    );
                }
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    break;
                }
                if Instant::now() >= deadline {
                    bail!(
                        "nothing listens on {addr} after {START_TIMEOUT:?}:\n{}",
                        self.log()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }

    /// Sends `signal` and expects a clean exit within [`STOP_TIMEOUT`].
    fn stop_with(mut self, signal: &str) -> anyhow::Result<()> {
        self.child.signal(signal)?;
        let status = self
            .child
            .wait_timeout(STOP_TIMEOUT)
            .with_context(|| format!("after {signal}:\n{}", self.log()))?;
        ensure!(
            status.success(),
            "meerkat exited with {status} after {signal}:\n{}",
            self.log()
        );
        Ok(())
    }
}

/// `GET path` over HTTP/1.1 on 127.0.0.1:port; returns the status code.
fn http_get(port: u16, path: &str) -> anyhow::Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    s.read_to_string(&mut response)?;
    let status = response
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("not an HTTP response: {response:?}"))?;
    Ok(status)
}

/// A port nothing listens on right now (the OS picks it; it is released at once).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

/// A one-listener config on 127.0.0.1:`port`.
fn small_config(port: u16) -> String {
    format!(
        r#"[general]
  hosts = ["localhost"]
  loglevel = "info"

[[listen.http]]
  ip_address = "127.0.0.1"
  port = {port}

  [[listen.http.handlers.mod_bosh]]
    host = "_"
    path = "/http-bind"
"#
    )
}

#[test]
fn help_and_version() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut cmd = meerkat(dir.path());
    cmd.arg("--help");
    let help = run(cmd, None)?;
    assert!(help.ok(), "{help:?}");
    for expected in [
        "Usage: meerkat [OPTIONS] [COMMAND]",
        "check-config",
        "account",
        "--config <CONFIG>",
        "--data-dir <DATA_DIR>",
    ] {
        assert!(help.stdout.contains(expected), "{expected}: {help:?}");
    }

    let mut cmd = meerkat(dir.path());
    cmd.arg("--version");
    let version = run(cmd, None)?;
    assert!(version.ok(), "{version:?}");
    assert_eq!(
        version.stdout.trim(),
        format!("meerkat {}", env!("CARGO_PKG_VERSION"))
    );
    Ok(())
}

#[test]
fn check_config_accepts_a_good_file_and_prints_its_warnings() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = write(
        dir.path(),
        "good.toml",
        r#"[general]
  hosts = ["localhost"]
  registration_timeout = "infinity"

[[listen.http]]
  ip_address = "127.0.0.1"
  port = 0
  [[listen.http.handlers.mod_bosh]]
    host = "_"
    path = "/http-bind"

[[listen.c2s]]
  port = 5222

[shaper.normal]
  max_rate = 1000
"#,
    );
    let mut cmd = meerkat(dir.path());
    cmd.arg("check-config").arg(&file);
    let out = run(cmd, None)?;
    assert!(out.ok(), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "warning: general.registration_timeout: MongooseIM option not implemented by meerkat; ignored",
            "warning: listen.c2s: 1 MongooseIM c2s listener(s) not implemented by meerkat (it serves only listen.http); ignored",
            &format!("{}: OK (1 listener(s), 2 warning(s))", file.display()),
        ],
        "{out:?}"
    );
    Ok(())
}

#[test]
fn check_config_without_a_file_checks_the_embedded_default() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut cmd = meerkat(dir.path());
    cmd.arg("check-config");
    let out = run(cmd, None)?;
    assert!(out.ok(), "{out:?}");
    assert_eq!(
        out.stdout.trim(),
        "the embedded default config: OK (7 listener(s), 0 warning(s))"
    );
    Ok(())
}

#[test]
fn check_config_reports_every_error_with_its_path() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = write(
        dir.path(),
        "bad.toml",
        r#"[general]
  hosts = ["localhost"]
  loglevel = "loud"

[[listen.http]]
  port = 5280
  colour = "blue"

  [[listen.http.handlers.mod_bosch]]
    host = "_"
    path = "/http-bind"

[[listen.http]]
  port = 5280

  [[listen.http.handlers.mongoose_graphql_handler]]
    host = "_"
    path = "api"
    schema_endpoint = "root"

[modulez]
"#,
    );
    let mut cmd = meerkat(dir.path());
    cmd.arg("check-config").arg(&file);
    let out = run(cmd, None)?;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    for line in [
        r#"error: general.loglevel: unknown log level "loud"; expected one of none, emergency, alert, critical, error, warning, notice, info, debug, all"#,
        "error: modulez: unknown section; expected one of general, listen, auth, outgoing_pools, internal_databases, services, modules, instrumentation, shaper, acl, access, s2s, host_config",
        "error: listen.http[0].handlers.mod_bosch: unknown handler type; known types: mod_bosh, mod_websockets, mongoose_admin_api, mongoose_bosh_handler, mongoose_client_api, mongoose_graphql_handler, mongoose_prometheus_handler, mongoose_websocket_handler",
        "error: listen.http[0].colour: unknown option",
        r#"error: listen.http[1].handlers.mongoose_graphql_handler[0].path: "api" must start with '/'"#,
        r#"error: listen.http[1].handlers.mongoose_graphql_handler[0].schema_endpoint: expected "admin", "domain_admin" or "user", found "root""#,
        "error: listen.http[1]: listens on 0.0.0.0:5280 which listen.http[0] already uses (0.0.0.0:5280)",
        &format!("{}: 7 error(s)", file.display()),
    ] {
        assert!(
            out.stderr.lines().any(|l| l == line),
            "missing {line:?}\n{out:?}"
        );
    }
    assert_eq!(out.stderr.lines().count(), 8, "{out:?}");
    Ok(())
}

#[test]
fn toml_syntax_errors_name_line_and_column() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = write(
        dir.path(),
        "syntax.toml",
        "[general]\n  hosts = [\"localhost\"]\n  loglevel = = \"info\"\n",
    );
    let mut cmd = meerkat(dir.path());
    cmd.arg("check-config").arg(&file);
    let out = run(cmd, None)?;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: TOML syntax error at line 3, column 14: "),
        "{out:?}"
    );
    Ok(())
}

#[test]
fn a_config_with_errors_does_not_start() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let port = free_port();
    let text = small_config(port) + "  colour = \"blue\"\n";
    let file = write(dir.path(), "bad.toml", &text);
    let mut cmd = meerkat(dir.path());
    cmd.arg("--config")
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    let out = run(cmd, None)?;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "error: listen.http[0].handlers.mod_bosh[0].colour: unknown option\n{}: 1 error(s); not starting\n",
            file.display()
        )
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something listens on {port}"
    );
    assert!(!dir.path().join("data").exists(), "data directory created");
    Ok(())
}

#[test]
fn sigint_stops_the_server_gracefully() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let port = free_port();
    let file = write(dir.path(), "meerkat.toml", &small_config(port));
    let mut cmd = meerkat(dir.path());
    cmd.arg("--config")
        .arg(&file)
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    let mut server = Server::start(cmd, dir.path().join("meerkat.log"))?;
    server.wait_listening(&[port])?;
    let bosh = http_get(port, "/http-bind")?;
    assert!(
        (200..500).contains(&bosh) && bosh != 404,
        "BOSH answered {bosh}"
    );
    let log = server.log.clone();
    server.stop_with("INT")?;
    let log = std::fs::read_to_string(log)?;
    assert!(
        log.contains("stopping gracefully signal=\"SIGINT\""),
        "{log}"
    );
    assert!(log.contains("stopped"), "{log}");
    Ok(())
}

/// MongooseIM's shipped default configs, unmodified, pass check-config and start. They
/// use fixed ports (5280, 5285, 5541, 5551, 5561, 8088, 8089, 9091), so the two runs are
/// sequential within this one test.
#[test]
fn mongooseim_default_configs_check_and_start() -> anyhow::Result<()> {
    for port in [5280, 5285, 5541, 5551, 5561, 8088, 8089, 9091] {
        ensure!(
            TcpStream::connect_timeout(
                &SocketAddr::from(([127, 0, 0, 1], port)),
                Duration::from_millis(200)
            )
            .is_err(),
            "port {port} is in use by another process; this test needs MongooseIM's fixed ports"
        );
    }
    for version in ["6.5", "6.8"] {
        let config = repo_file(&format!(
            "integration-tests/fixtures/mongooseim/mongooseim-{version}-default.toml"
        ));
        // The certificate files the configs name, relative to the working directory.
        let dir = tempfile::tempdir()?;
        let ssl = dir.path().join("priv/ssl");
        std::fs::create_dir_all(&ssl)?;
        std::fs::copy(
            repo_file("integration-tests/fixtures/tls/server.pem"),
            ssl.join("fake_cert.pem"),
        )?;
        std::fs::copy(
            repo_file("integration-tests/fixtures/tls/server.key"),
            ssl.join("fake_key.pem"),
        )?;

        let mut cmd = meerkat(dir.path());
        cmd.arg("check-config").arg(&config);
        let out = run(cmd, None)?;
        assert!(out.ok(), "MongooseIM {version}: {out:?}");
        let warning = "warning: listen.c2s: 1 MongooseIM c2s listener(s) not implemented by meerkat (it serves only listen.http); ignored";
        assert!(
            out.stdout.lines().any(|l| l == warning),
            "MongooseIM {version}: missing {warning:?}\n{out:?}"
        );
        // [shaper], [acl] and [access] are applied now, not ignored.
        for section in ["shaper", "acl", "access"] {
            assert!(
                !out.stdout
                    .lines()
                    .any(|l| l.starts_with(&format!("warning: {section}"))),
                "MongooseIM {version}: {section} warned about\n{out:?}"
            );
        }

        let mut cmd = meerkat(dir.path());
        cmd.arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"));
        let mut server = Server::start(cmd, dir.path().join("meerkat.log"))?;
        server
            .wait_listening(&[5280, 9091])
            .with_context(|| format!("MongooseIM {version}"))?;
        let bosh = http_get(5280, "/http-bind")?;
        assert!(
            (200..500).contains(&bosh) && bosh != 404,
            "MongooseIM {version}: BOSH answered {bosh}"
        );
        assert_eq!(http_get(9091, "/metrics")?, 200, "MongooseIM {version}");
        server
            .stop_with("TERM")
            .with_context(|| format!("MongooseIM {version}"))?;
        assert!(
            dir.path().join("data/meerkat.sqlite3").exists(),
            "MongooseIM {version}: no database in the data directory"
        );
    }
    Ok(())
}

#[test]
fn account_cli_manages_accounts_in_the_data_dir() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = write(
        dir.path(),
        "meerkat.toml",
        "[general]\n  hosts = [\"localhost\", \"example.com\"]\n",
    );
    let account = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = meerkat(dir.path());
        cmd.arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("account")
            .args(args);
        run(cmd, stdin)
    };

    let out = account(&["add", "alice@localhost", "--password", "secret"], None)?;
    assert!(out.ok(), "{out:?}");
    assert_eq!(out.stdout, "added alice@localhost\n");
    // Password from standard input; the JID is normalised.
    let out = account(&["add", "Bob@LocalHost"], Some("hunter2\n"))?;
    assert!(out.ok(), "{out:?}");
    assert_eq!(out.stdout, "added bob@localhost\n");
    let out = account(&["add", "carol@example.com", "--password", "x"], None)?;
    assert!(out.ok(), "{out:?}");

    let out = account(&["list", "localhost"], None)?;
    assert!(out.ok(), "{out:?}");
    assert_eq!(out.stdout, "alice@localhost\nbob@localhost\n");

    let refused = [
        (
            &["add", "alice@localhost", "--password", "again"][..],
            None,
            "meerkat account: user alice@localhost already exists\n",
        ),
        (
            &["add", "dave@elsewhere.org", "--password", "x"],
            None,
            "meerkat account: unknown domain: elsewhere.org (neither in general.hosts [localhost, example.com] nor an enabled dynamic domain)\n",
        ),
        (
            &["add", "dave@localhost"],
            Some("\n"),
            "meerkat account: empty password\n",
        ),
        (
            &["add", "localhost", "--password", "x"],
            None,
            "meerkat account: invalid JID: localhost (expected user@domain)\n",
        ),
        (
            &["passwd", "nobody@localhost", "--password", "x"],
            None,
            "meerkat account: user nobody@localhost does not exist\n",
        ),
        (
            &["remove", "nobody@localhost"],
            None,
            "meerkat account: user nobody@localhost does not exist\n",
        ),
        (
            &["list", "elsewhere.org"],
            None,
            "meerkat account: unknown domain: elsewhere.org (neither in general.hosts [localhost, example.com] nor an enabled dynamic domain)\n",
        ),
    ];
    for (args, stdin, message) in refused {
        let out = account(args, stdin)?;
        assert_eq!(out.status.code(), Some(1), "{args:?}: {out:?}");
        assert_eq!(out.stderr, message, "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
    }

    let out = account(&["passwd", "alice@localhost"], Some("new secret\n"))?;
    assert!(out.ok(), "{out:?}");
    assert_eq!(out.stdout, "password of alice@localhost changed\n");

    for user in ["alice@localhost", "bob@localhost"] {
        let out = account(&["remove", user], None)?;
        assert!(out.ok(), "{out:?}");
        assert_eq!(out.stdout, format!("removed {user}\n"));
    }
    let out = account(&["list", "localhost"], None)?;
    assert!(out.ok(), "{out:?}");
    assert_eq!(out.stdout, "");
    // The other domain is untouched.
    let out = account(&["list", "example.com"], None)?;
    assert_eq!(out.stdout, "carol@example.com\n", "{out:?}");
    Ok(())
}

/// `meerkat db`: the schema of a PostgreSQL database is created only when asked, and
/// `db copy` moves accounts from the SQLite file into it and back (on a private
/// PostgreSQL server from Debian's binaries).
#[test]
fn db_commands_migrate_and_copy_between_sqlite_and_postgres() -> anyhow::Result<()> {
    let pg = meerkat_test_postgres::PgServer::shared()?;
    let db = pg.fresh_database()?;
    let dir = tempfile::tempdir()?;
    let hosts = "[general]\n  hosts = [\"localhost\"]\n";
    let sqlite_config = write(dir.path(), "sqlite.toml", hosts);
    let pg_config = write(
        dir.path(),
        "pg.toml",
        &format!("{hosts}{}", pg.pool_toml(&db, 2)),
    );
    let cli = |config: &Path, data: &str, args: &[&str]| {
        let mut cmd = meerkat(dir.path());
        cmd.arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(dir.path().join(data))
            .args(args);
        run(cmd, None)
    };

    let out = cli(
        &sqlite_config,
        "data",
        &["account", "add", "alice@localhost", "--password", "secret"],
    )?;
    assert!(out.ok(), "{out:?}");

    let out = cli(&pg_config, "data", &["db", "status"])?;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("has no schema: run `meerkat db migrate`"),
        "{out:?}"
    );
    let out = cli(&pg_config, "data", &["account", "list", "localhost"])?;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("run `meerkat db migrate`"), "{out:?}");

    let out = cli(&pg_config, "data", &["db", "migrate"])?;
    assert!(out.ok(), "{out:?}");
    assert!(
        out.stdout.contains("applied migration(s) [1, 2, 3]"),
        "{out:?}"
    );
    let out = cli(&pg_config, "data", &["db", "status"])?;
    assert!(out.ok(), "{out:?}");
    assert!(out.stdout.contains("schema current"), "{out:?}");

    let data = format!("sqlite:{}", dir.path().join("data").display());
    let out = cli(
        &pg_config,
        "data",
        &["db", "copy", "--from", &data, "--to", "config"],
    )?;
    assert!(out.ok(), "{out:?}");
    assert!(out.stdout.starts_with("copied 1 account(s)"), "{out:?}");
    let out = cli(&pg_config, "data", &["account", "list", "localhost"])?;
    assert_eq!(out.stdout, "alice@localhost\n", "{out:?}");
    // The copied password still works: changing it needs the account.
    let out = cli(
        &pg_config,
        "data",
        &["account", "passwd", "alice@localhost", "--password", "new"],
    )?;
    assert!(out.ok(), "{out:?}");

    // Copying into a store that has accounts is refused.
    let out = cli(
        &pg_config,
        "data",
        &["db", "copy", "--from", &data, "--to", "config"],
    )?;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("not empty"), "{out:?}");

    // And back into a new SQLite directory.
    let back = format!("sqlite:{}", dir.path().join("back").display());
    let out = cli(
        &pg_config,
        "data",
        &["db", "copy", "--from", "config", "--to", &back],
    )?;
    assert!(out.ok(), "{out:?}");
    let out = cli(&sqlite_config, "back", &["account", "list", "localhost"])?;
    assert_eq!(out.stdout, "alice@localhost\n", "{out:?}");
    Ok(())
}
