//! `meerkat ctl` against a server started from the binary: listing categories and
//! commands, running queries and mutations with typed arguments, argument errors, the
//! log level changed at run time (checked in the server's log), and a graceful stop
//! requested through the API.
//!
//! Every child process runs in a temporary directory, is bounded by a deadline, and is
//! killed if the test fails.

use anyhow::{Context, bail};
use serde_json::Value;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_meerkat");
const TIMEOUT: Duration = Duration::from_secs(30);

/// A child that is killed and reaped when dropped.
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
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn meerkat(dir: &Path, config: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("MEERKAT_CONFIG")
        .env_remove("MEERKAT_DATA_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(dir.join("data"));
    cmd
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or(Value::Null)
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `meerkat --config ... ctl ARGS`.
fn ctl(dir: &Path, config: &Path, args: &[&str]) -> anyhow::Result<Out> {
    let (o, e) = (dir.join("ctl.out"), dir.join("ctl.err"));
    let mut cmd = meerkat(dir, config);
    cmd.arg("ctl")
        .args(args)
        .stdout(File::create(&o)?)
        .stderr(File::create(&e)?);
    let status = Reaped(cmd.spawn().context("spawn meerkat ctl")?).wait_timeout(TIMEOUT)?;
    Ok(Out {
        code: status.code(),
        stdout: std::fs::read_to_string(o)?,
        stderr: std::fs::read_to_string(e)?,
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_listening(server: &mut Reaped, port: u16, log: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Some(status) = server.0.try_wait()? {
            bail!(
                "meerkat exited ({status}):\n{}",
                std::fs::read_to_string(log)?
            );
        }
        if Instant::now() >= deadline {
            bail!("nothing listens on {addr}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Opens a BOSH session (the server logs `BOSH session created` at debug level).
fn bosh_session(port: u16) -> anyhow::Result<String> {
    let body = "<body rid='1' to='localhost' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' wait='1' hold='1' ver='1.6'/>";
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "POST /http-bind HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    s.read_to_string(&mut response)?;
    Ok(response)
}

fn config(graphql: u16, bosh: u16) -> String {
    format!(
        r#"[general]
  hosts = ["localhost"]
  loglevel = "info"

[[listen.http]]
  ip_address = "127.0.0.1"
  port = {graphql}
  [[listen.http.handlers.mongoose_graphql_handler]]
    host = "_"
    path = "/api/graphql"
    schema_endpoint = "admin"
    username = "admin"
    password = "secret"

[[listen.http]]
  ip_address = "127.0.0.1"
  port = {bosh}
  [[listen.http.handlers.mod_bosh]]
    host = "_"
    path = "/http-bind"

[services.service_bosh]

[modules.mod_roster]
"#
    )
}

fn log_of(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn ctl_runs_admin_operations_and_stops_the_server() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (gql, bosh) = (free_port(), free_port());
    let cfg: PathBuf = dir.path().join("meerkat.toml");
    std::fs::write(&cfg, config(gql, bosh))?;
    let log = dir.path().join("server.log");
    let file = File::create(&log)?;
    let mut cmd = meerkat(dir.path(), &cfg);
    cmd.arg("run").stdout(file.try_clone()?).stderr(file);
    let mut server = Reaped(cmd.spawn()?);
    wait_listening(&mut server, gql, &log)?;
    wait_listening(&mut server, bosh, &log)?;
    let d = dir.path();

    // Listings.
    let out = ctl(d, &cfg, &[])?;
    assert_eq!(out.code, Some(2), "{out:?}");
    for line in [
        "Usage: meerkat ctl [category] command [arguments]",
        "  account           Account management.",
        "  server            Server info and management",
    ] {
        assert!(out.stdout.lines().any(|l| l == line), "{line:?}\n{out:?}");
    }
    let out = ctl(d, &cfg, &["account"])?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains(
            "\n  registerUser --domain DomainName! [--username UserName] --password String!\n"
        ),
        "{out:?}"
    );
    let out = ctl(d, &cfg, &["account", "registerUser", "--help"])?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("\n  username  UserName\n"), "{out:?}");

    // A mutation, twice.
    let reg = [
        "account",
        "registerUser",
        "--domain",
        "localhost",
        "--username",
        "alice",
        "--password",
        "secret",
    ];
    let out = ctl(d, &cfg, &reg)?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.json()["data"]["account"]["registerUser"]["jid"],
        "alice@localhost",
        "{out:?}"
    );
    let out = ctl(d, &cfg, &reg)?;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.json()["errors"][0]["extensions"]["code"], "user_exists");
    // Typed arguments: an Int and a JSON list.
    let out = ctl(
        d,
        &cfg,
        &[
            "account",
            "listUsers",
            "--domain",
            "localhost",
            "--limit",
            "10",
        ],
    )?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.json()["data"]["account"]["listUsers"],
        serde_json::json!(["alice@localhost"])
    );
    let out = ctl(
        d,
        &cfg,
        &[
            "metric",
            "getMetricsAsDicts",
            "--name",
            "[\"localhost\", \"sm_session\", \"logins\"]",
            "--keys",
            "[\"count\"]",
        ],
    )?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.json()["data"]["metric"]["getMetricsAsDicts"],
        serde_json::json!([{"name": ["localhost", "sm_session", "logins"], "dict": [{"key": "count", "value": 0}]}])
    );

    // Argument errors, as mongooseimctl words them.
    for (args, message) in [
        (
            &["account", "registerUser", "--domain", "localhost"][..],
            "Missing mandatory arguments for command 'registerUser': 'password'",
        ),
        (&["nope"], "Unknown category 'nope'"),
        (&["account", "nope"], "Unknown command 'nope'"),
        (
            &[
                "account",
                "listUsers",
                "--domain",
                "localhost",
                "--limit",
                "ten",
            ],
            "Invalid value 'ten' of argument 'limit' for command 'listUsers'",
        ),
        (
            &["account", "countUsers", "--domian", "localhost"],
            "Unknown argument 'domian' for command 'countUsers'",
        ),
    ] {
        let out = ctl(d, &cfg, args)?;
        assert_eq!(out.code, Some(1), "{args:?}: {out:?}");
        assert_eq!(out.stderr.lines().next(), Some(message), "{out:?}");
    }

    // The log level changes at run time: BOSH session creation is logged at debug.
    let out = ctl(d, &cfg, &["server", "getLoglevel"])?;
    assert_eq!(
        out.json()["data"]["server"]["getLoglevel"],
        "INFO",
        "{out:?}"
    );
    assert!(bosh_session(bosh)?.contains("sid="));
    std::thread::sleep(Duration::from_millis(300));
    assert!(!log_of(&log).contains("BOSH session created"));
    let out = ctl(d, &cfg, &["server", "setLoglevel", "--level", "DEBUG"])?;
    assert_eq!(
        out.json()["data"]["server"]["setLoglevel"],
        "Log level successfully set.",
        "{out:?}"
    );
    let out = ctl(d, &cfg, &["server", "getLoglevel"])?;
    assert_eq!(out.json()["data"]["server"]["getLoglevel"], "DEBUG");
    assert!(bosh_session(bosh)?.contains("sid="));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !log_of(&log).contains("DEBUG BOSH session created") {
        assert!(
            Instant::now() < deadline,
            "no debug line:\n{}",
            log_of(&log)
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A graceful stop through the API: the server exits cleanly.
    let out = ctl(d, &cfg, &["server", "stop"])?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.json()["data"]["server"]["stop"], "Stop scheduled");
    let status = server.wait_timeout(Duration::from_secs(10))?;
    let text = log_of(&log);
    assert!(status.success(), "{status}\n{text}");
    assert!(
        text.contains("stopping gracefully signal=\"admin API\""),
        "{text}"
    );
    assert!(text.contains("stopped"), "{text}");
    // Nothing listens any more: ctl says so.
    let out = ctl(d, &cfg, &["account"])?;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("is meerkat running"), "{out:?}");
    Ok(())
}

#[test]
fn ctl_needs_a_plain_admin_endpoint() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let cfg = dir.path().join("meerkat.toml");
    std::fs::write(
        &cfg,
        "[general]\n  hosts = [\"localhost\"]\n[[listen.http]]\n  port = 5280\n  [[listen.http.handlers.mongoose_graphql_handler]]\n    host = \"_\"\n    path = \"/api/graphql\"\n    schema_endpoint = \"user\"\n",
    )?;
    let out = ctl(dir.path(), &cfg, &["account"])?;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("schema_endpoint = \"admin\""),
        "{out:?}"
    );
    assert_eq!(out.stdout, "");
    Ok(())
}

/// The TLS fixtures of the integration tests: `server.pem` (for `localhost` and
/// 127.0.0.1) and the client certificate `client.pem` issued by `ca.pem`; `other-ca.pem`
/// issued neither.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../integration-tests/fixtures/tls/{name}"))
}

#[test]
fn ctl_reaches_an_https_admin_endpoint() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let port = free_port();
    let cfg = dir.path().join("meerkat.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[general]
  hosts = ["localhost"]

[[listen.http]]
  ip_address = "127.0.0.1"
  port = {port}
  [listen.http.tls]
    certfile = "{cert}"
    keyfile = "{key}"
    cacertfile = "{ca}"
  [[listen.http.handlers.mongoose_graphql_handler]]
    host = "_"
    path = "/api/graphql"
    schema_endpoint = "admin"
    username = "admin"
    password = "secret"
"#,
            cert = fixture("server.pem").display(),
            key = fixture("server.key").display(),
            ca = fixture("ca.pem").display(),
        ),
    )?;
    let log = dir.path().join("server.log");
    let file = File::create(&log)?;
    let mut cmd = meerkat(dir.path(), &cfg);
    cmd.arg("run").stdout(file.try_clone()?).stderr(file);
    let mut server = Reaped(cmd.spawn()?);
    wait_listening(&mut server, port, &log)?;
    let d = dir.path();
    let path = |name: &str| fixture(name).to_string_lossy().into_owned();
    let (ca, other_ca) = (path("ca.pem"), path("other-ca.pem"));
    let (cert, key) = (path("client.pem"), path("client.key"));
    // The listener asks for a client certificate (`verify_mode` "peer", the default).
    let tls = |cacert: &str| -> Vec<String> {
        ["--cacert", cacert, "--cert", &cert, "--key", &key]
            .map(str::to_owned)
            .to_vec()
    };
    let run = |tls: Vec<String>, args: &[&str]| -> anyhow::Result<Out> {
        let all: Vec<&str> = tls
            .iter()
            .map(String::as_str)
            .chain(args.iter().copied())
            .collect();
        ctl(d, &cfg, &all)
    };

    // Trusting the issuing CA, with a client certificate: a mutation and a query.
    let reg = [
        "account",
        "registerUser",
        "--domain",
        "localhost",
        "--username",
        "alice",
        "--password",
        "secret",
    ];
    let out = run(tls(&ca), &reg)?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.json()["data"]["account"]["registerUser"]["jid"],
        "alice@localhost",
        "{out:?}"
    );
    let out = run(tls(&ca), &["account", "listUsers", "--domain", "localhost"])?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.json()["data"]["account"]["listUsers"],
        serde_json::json!(["alice@localhost"])
    );

    // The server's certificate is verified: another CA, or the system's roots (which do
    // not hold the test CA), refuse it.
    for args in [tls(&other_ca), vec![]] {
        let out = run(args.clone(), &["account"])?;
        assert_eq!(out.code, Some(1), "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("TLS handshake") || out.stderr.contains("CA certificates"),
            "{args:?}: {out:?}"
        );
        assert_eq!(out.stdout, "", "{out:?}");
    }
    // Without a client certificate the server refuses the connection.
    let out = run(vec!["--cacert".into(), ca.clone()], &["account"])?;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("pass --cert and --key"), "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
    let out = ctl(d, &cfg, &["--cacert", "/nonexistent.pem", "account"])?;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("cannot read --cacert"), "{out:?}");

    // A graceful stop over TLS.
    let out = run(tls(&ca), &["server", "stop"])?;
    assert_eq!(out.code, Some(0), "{out:?}");
    let status = server.wait_timeout(Duration::from_secs(10))?;
    assert!(status.success(), "{status}\n{}", log_of(&log));
    Ok(())
}
