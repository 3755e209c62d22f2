//! The meerkat [`Launcher`]: a throw-away directory with a bench config and accounts, and
//! `target/release/meerkat` started on it. The only place that knows meerkat's internals
//! (account creation through meerkat-core and meerkat-storage).

use crate::progress::Progress;
use crate::server::{self, BenchDir, ServerProcess};
use crate::target::{
    Endpoint, Expect, HttpProbe, Launcher, RunningServer, StartSpec, Target, Users,
};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::future::BoxFuture;
use meerkat_core::Server;
use meerkat_core::accounts::account_jid;
use meerkat_core::config::{Diagnostics, ServerConfig};
use meerkat_storage::{Backend, Migrations};
use meerkat_test_postgres::PgServer;
use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The XMPP domain of the bench server.
pub const DOMAIN: &str = "localhost";
/// The HTTP path of its WebSocket handler.
pub const WS_PATH: &str = "/ws-xmpp";
/// The HTTP path of its BOSH handler.
pub const BOSH_PATH: &str = "/http-bind";
/// The HTTP path of the admin GraphQL API.
pub const GRAPHQL_PATH: &str = "/api/graphql";
/// The HTTP path of the admin REST API (on the admin listener).
pub const REST_ADMIN_PATH: &str = "/api";
/// The HTTP path of the client REST API (on the admin listener).
pub const REST_CLIENT_PATH: &str = "/rest";
/// Roster contacts of `user1` (`user2..`), listed by the client REST probe.
pub const USER1_CONTACTS: usize = 20;
/// Admin GraphQL credentials.
pub const ADMIN: (&str, &str) = ("admin", "secret");
/// SCRAM iterations, the same on every server compared (performance-anchors.md).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// Starts meerkat from `bin`, on its SQLite file or (`postgres`) on a private PostgreSQL
/// server started for the run.
pub struct Meerkat {
    pub bin: PathBuf,
    pub postgres: bool,
    /// With mod_mam's one-to-one archive.
    pub mam: bool,
}

/// The bench config: a client listener on 127.0.0.1 with WebSocket and BOSH, one worker
/// (the server runs on one core), no connection limit; an admin GraphQL listener with
/// Basic auth; SCRAM-SHA-256 keys only; the modules of config/meerkat.toml that matter to
/// a logged-in client.
pub fn config_text(port: u16, admin_port: u16) -> String {
    let (admin_user, admin_password) = ADMIN;
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

  [[listen.http.handlers.mod_bosh]]
    host = "_"
    path = "{BOSH_PATH}"

[[listen.http]]
  ip_address = "127.0.0.1"
  port = {admin_port}
  transport.num_acceptors = 1
  transport.max_connections = "infinity"

  [[listen.http.handlers.mongoose_graphql_handler]]
    host = "_"
    path = "{GRAPHQL_PATH}"
    schema_endpoint = "admin"
    username = "{admin_user}"
    password = "{admin_password}"

  [[listen.http.handlers.mongoose_admin_api]]
    host = "_"
    path = "{REST_ADMIN_PATH}"
    username = "{admin_user}"
    password = "{admin_password}"

  [[listen.http.handlers.mongoose_client_api]]
    host = "_"
    path = "{REST_CLIENT_PATH}"

[auth]
  password.format = "scram"
  password.hash = ["sha256"]
  password.scram_iterations = {SCRAM_ITERATIONS}
  [auth.internal]

[services.service_bosh]

[modules.mod_disco]
[modules.mod_roster]
[modules.mod_presence]
[modules.mod_offline]
[modules.mod_ping]
"#
    )
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
    let store = Backend::open(server_config.rdbms.as_ref(), data_dir, Migrations::Apply).await?;
    let server = Server::new(server_config, store.store());
    let mut tasks = Vec::new();
    for w in 0..workers {
        let server = server.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            for i in (1 + w..=n).step_by(workers) {
                let (name, password) = Users::credentials(i);
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
    // user1's roster, for the client REST probe.
    if n > USER1_CONTACTS {
        let (user1, _) = Users::credentials(1);
        for i in 2..=USER1_CONTACTS + 1 {
            let (contact, _) = Users::credentials(i);
            meerkat_core::commands::roster::add_contact(
                &server,
                &format!("{user1}@{DOMAIN}"),
                &format!("{contact}@{DOMAIN}"),
                "",
                &[],
            )
            .await
            .map_err(|e| anyhow::anyhow!("roster of {user1}: {}", e.message))?;
        }
    }
    store.close().await;
    Ok(())
}

/// The REST requests of the `http` scenario (issue 13): the admin API's user list (all
/// `users` accounts) with admin Basic auth, and the client API's contact list of `user1`
/// with the user's Basic auth (its password is checked on every request; PBKDF2 runs
/// once, then the server remembers the verified password).
fn rest_probes(admin: SocketAddr, users: usize) -> Vec<HttpProbe> {
    let (u, p) = ADMIN;
    let basic = |u: &str, p: &str| {
        (
            "authorization".to_owned(),
            format!("Basic {}", B64.encode(format!("{u}:{p}"))),
        )
    };
    let (user1, password1) = Users::credentials(1);
    let mut probes = vec![HttpProbe {
        key: "rest-admin-users",
        label: format!(
            "admin REST `GET {REST_ADMIN_PATH}/users/{DOMAIN}` ({users} users), admin Basic auth"
        ),
        endpoint: Endpoint {
            addr: admin,
            path: format!("{REST_ADMIN_PATH}/users/{DOMAIN}"),
        },
        method: "GET",
        headers: vec![basic(u, p)],
        body: String::new(),
        expect: Expect::JsonArrayLen(users),
    }];
    if users > USER1_CONTACTS {
        probes.push(HttpProbe {
            key: "rest-client-contacts",
            label: format!(
                "client REST `GET {REST_CLIENT_PATH}/contacts` ({USER1_CONTACTS} contacts), user Basic auth"
            ),
            endpoint: Endpoint {
                addr: admin,
                path: format!("{REST_CLIENT_PATH}/contacts"),
            },
            method: "GET",
            headers: vec![basic(&format!("{user1}@{DOMAIN}"), &password1)],
            body: String::new(),
            expect: Expect::JsonArrayLen(USER1_CONTACTS),
        });
    }
    probes
}

/// The GraphQL requests of the `http` scenario (issue 5): admin Basic auth.
fn graphql_probes(admin: SocketAddr) -> Vec<HttpProbe> {
    let endpoint = Endpoint {
        addr: admin,
        path: GRAPHQL_PATH.into(),
    };
    let (u, p) = ADMIN;
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "authorization".to_owned(),
            format!("Basic {}", B64.encode(format!("{u}:{p}"))),
        ),
    ];
    vec![
        HttpProbe {
            key: "graphql-check-auth",
            label: "GraphQL `{ checkAuth { authStatus } }`, admin Basic auth".into(),
            endpoint: endpoint.clone(),
            method: "POST",
            headers: headers.clone(),
            body: r#"{"query":"{ checkAuth { authStatus } }"}"#.into(),
            expect: Expect::Json {
                pointer: "/data/checkAuth/authStatus".into(),
                equals: "AUTHORIZED".into(),
            },
        },
        HttpProbe {
            key: "graphql-count-sessions",
            label: "GraphQL `{ session { countSessions } }`, admin Basic auth".into(),
            endpoint,
            method: "POST",
            headers,
            body: r#"{"query":"{ session { countSessions } }"}"#.into(),
            expect: Expect::JsonSessionCount {
                pointer: "/data/session/countSessions".into(),
            },
        },
    ]
}

struct Running {
    target: Target,
    process: Option<ServerProcess>,
    dir: BenchDir,
    /// The PostgreSQL server of the run, stopped after meerkat (fields drop in order).
    _postgres: Option<PgServer>,
}

impl RunningServer for Running {
    fn target(&self) -> &Target {
        &self.target
    }

    fn check(&mut self) -> anyhow::Result<()> {
        match &mut self.process {
            Some(p) => p.check(),
            None => bail!("the server was stopped"),
        }
    }

    fn keep(&mut self) {
        self.dir.keep = true;
    }

    fn stop(mut self: Box<Self>) -> anyhow::Result<()> {
        match self.process.take() {
            Some(p) => p.stop(),
            None => Ok(()),
        }
    }
}

impl Launcher for Meerkat {
    fn name(&self) -> &'static str {
        "meerkat"
    }

    fn start<'a>(
        &'a self,
        spec: &'a StartSpec,
        progress: &'a Progress,
    ) -> BoxFuture<'a, anyhow::Result<Box<dyn RunningServer>>> {
        Box::pin(async move {
            if !self.bin.is_file() {
                bail!(
                    "server binary {} not found: build it with `cargo build --release -p meerkat` or pass --server-bin",
                    self.bin.display()
                );
            }
            let mut dir = BenchDir::create("meerkat")?;
            dir.keep = spec.keep;
            let port = server::free_port()?;
            let mut admin_port = server::free_port()?;
            while admin_port == port {
                admin_port = server::free_port()?;
            }
            let mut config = config_text(port, admin_port);
            if self.mam {
                config.push_str("[modules.mod_mam]\n[modules.mod_mam.pm]\n");
            }
            let postgres = if self.postgres {
                let pg = PgServer::start(true).context("starting PostgreSQL")?;
                let db = pg.fresh_database()?;
                config.push_str(&pg.pool_toml(&db, 10));
                progress.note(format!(
                    "PostgreSQL on 127.0.0.1:{}, database {db}",
                    pg.port()
                ));
                Some(pg)
            } else {
                None
            };
            let config_file = dir.path.join("meerkat.toml");
            std::fs::write(&config_file, &config)?;

            // Accounts first, on every core (PBKDF2 per account).
            let started = Instant::now();
            let done = Arc::new(AtomicUsize::new(0));
            progress.phase("accounts", spec.users, done.clone(), None);
            let workers = std::thread::available_parallelism().map_or(2, |p| p.get());
            create_accounts(&config, &dir.data_dir(), spec.users, workers, done).await?;
            progress.note(format!(
                "created {} accounts in {:.1} s",
                spec.users,
                started.elapsed().as_secs_f64()
            ));

            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let admin = SocketAddr::from((Ipv4Addr::LOCALHOST, admin_port));
            let args: Vec<OsString> = vec![
                "--config".into(),
                config_file.into(),
                "--data-dir".into(),
                dir.data_dir().into(),
                "run".into(),
            ];
            let process = ServerProcess::start(
                &self.bin,
                &args,
                spec.server_cpu,
                &dir.log_file(),
                &[addr, admin],
            )
            .context("starting meerkat")?;
            let target = Target {
                name: "meerkat".into(),
                version: format!(
                    "{} on {}",
                    version(&self.bin),
                    if self.postgres {
                        "PostgreSQL (Debian's, durable settings, 10 connections)"
                    } else {
                        "SQLite"
                    }
                ) + if self.mam { ", mod_mam archiving one-to-one messages" } else { "" },
                domain: DOMAIN.into(),
                pid: process.pid,
                ws: Some(Endpoint {
                    addr,
                    path: WS_PATH.into(),
                }),
                bosh: Some(Endpoint {
                    addr,
                    path: BOSH_PATH.into(),
                }),
                http: graphql_probes(admin)
                    .into_iter()
                    .chain(rest_probes(admin, spec.users))
                    .collect(),
                users: Users {
                    count: spec.users,
                    created_by: "in-process through meerkat-core `Server::register_user` (as `meerkat account add`), before start-up".into(),
                },
                scram_iterations: SCRAM_ITERATIONS,
                config_summary: format!(
                    "{}: one client listener (WebSocket {WS_PATH}, BOSH {BOSH_PATH}) and one admin GraphQL listener on 127.0.0.1, `num_acceptors = 1`, no connection limit, SCRAM-SHA-256 keys ({SCRAM_ITERATIONS} iterations), modules disco, roster, presence, offline, ping, `[services.service_bosh]` defaults, loglevel warning; allocator as built (the default features: jemalloc with background purging)",
                    self.bin.display()
                ),
            };
            Ok(Box::new(Running {
                target,
                process: Some(process),
                dir,
                _postgres: postgres,
            }) as Box<dyn RunningServer>)
        })
    }
}

/// `meerkat --version`.
fn version(bin: &Path) -> String {
    std::process::Command::new(bin)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "meerkat (version unknown)".into())
}
