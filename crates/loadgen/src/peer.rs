//! The [`Launcher`] for the peers of the comparison, ejabberd and Prosody, on top of their
//! scripts in `bench/peers/` (`<peer>.sh setup | users N | start | status | stop`, see
//! bench/peers/README.md). The scripts own everything peer-specific: packages, config,
//! account creation with the peer's own code; this file only runs them and reads the
//! `key=value` lines of `status` into a [`Target`].

use crate::progress::Progress;
use crate::target::{
    Endpoint, Expect, HttpProbe, Launcher, RunningServer, StartSpec, Target, Users,
};
use anyhow::{Context, anyhow, bail};
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// A peer started through `<dir>/<name>.sh`.
pub struct Peer {
    pub name: &'static str,
    /// `bench/peers`.
    pub dir: PathBuf,
    /// `setup` runs once per load-generator process (it installs the package when it is
    /// missing and rewrites the config).
    set_up: AtomicBool,
}

impl Peer {
    pub fn new(name: &'static str, dir: PathBuf) -> Peer {
        Peer {
            name,
            dir,
            set_up: AtomicBool::new(false),
        }
    }

    fn script(&self) -> PathBuf {
        self.dir.join(format!("{}.sh", self.name))
    }

    /// Runs `<peer>.sh args`; its stdout on success, its stderr in the error otherwise.
    fn run(&self, args: &[&str], env: &[(&str, String)]) -> anyhow::Result<String> {
        let script = self.script();
        let mut cmd = Command::new(&script);
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd
            .output()
            .with_context(|| format!("cannot run {}", script.display()))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
            bail!(
                "`{} {}` failed ({}):\n{}",
                script.display(),
                args.join(" "),
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `status` as a map (the script exits 3 when the peer is stopped).
    fn status(&self) -> anyhow::Result<HashMap<String, String>> {
        let text = self.run(&["status"], &[])?;
        Ok(parse_status(&text))
    }
}

/// `key=value` lines.
fn parse_status(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// `ws://127.0.0.1:15280/ws` or `http://…` → address and path (loopback, no TLS).
fn endpoint(url: &str) -> anyhow::Result<Endpoint> {
    let rest = url
        .strip_prefix("ws://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| anyhow!("{url}: only ws:// and http:// URLs are supported"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: SocketAddr = host
        .parse()
        .with_context(|| format!("{url}: the host must be an IP address with a port"))?;
    Ok(Endpoint {
        addr,
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
    })
}

/// ejabberd's `mod_http_api` `connected_users_number`: the nearest thing it has to
/// `session.countSessions`. Permitted by source address (127.0.0.0/8) in the bench
/// config, so it is **unauthenticated**: cheaper for ejabberd than an authenticated
/// request (Basic auth against SCRAM-stored accounts would cost it a PBKDF2 per request).
fn ejabberd_probes(addr: SocketAddr) -> Vec<HttpProbe> {
    vec![HttpProbe {
        key: "graphql-count-sessions",
        label: "ejabberd `mod_http_api` `POST /api/connected_users_number`, allowed by loopback address (no auth)".into(),
        endpoint: Endpoint {
            addr,
            path: "/api/connected_users_number".into(),
        },
        method: "POST",
        headers: vec![("content-type".into(), "application/json".into())],
        body: "{}".into(),
        expect: Expect::JsonSessionCount {
            pointer: "/num_sessions".into(),
        },
    }]
}

struct Running {
    peer_name: &'static str,
    script: PathBuf,
    target: Target,
    stopped: bool,
}

impl Running {
    fn stop_now(&mut self) -> anyhow::Result<()> {
        if self.stopped {
            return Ok(());
        }
        self.stopped = true;
        let out = Command::new(&self.script).arg("stop").output()?;
        if !out.status.success() {
            bail!(
                "stopping {} failed: {}",
                self.peer_name,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }
}

impl RunningServer for Running {
    fn target(&self) -> &Target {
        &self.target
    }

    fn check(&mut self) -> anyhow::Result<()> {
        if self.stopped {
            bail!("the server was stopped");
        }
        if !std::path::Path::new(&format!("/proc/{}", self.target.pid)).exists() {
            bail!(
                "{} (pid {}) died; see its log under bench/peers/run/{}",
                self.peer_name,
                self.target.pid,
                self.peer_name
            );
        }
        Ok(())
    }

    fn keep(&mut self) {
        // The peer's run directory (config, data, log) persists anyway.
    }

    fn stop(mut self: Box<Self>) -> anyhow::Result<()> {
        self.stop_now()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop_now();
    }
}

impl Launcher for Peer {
    fn name(&self) -> &'static str {
        self.name
    }

    fn has_http_api(&self) -> bool {
        // Prosody ships no HTTP admin API (mod_http_admin_api is a community module).
        self.name == "ejabberd"
    }

    fn start<'a>(
        &'a self,
        spec: &'a StartSpec,
        progress: &'a Progress,
    ) -> BoxFuture<'a, anyhow::Result<Box<dyn RunningServer>>> {
        Box::pin(async move {
            if !self.script().is_file() {
                bail!(
                    "{} not found: run the load generator from the workspace root or pass --peers-dir",
                    self.script().display()
                );
            }
            // Every scenario gets a freshly started peer, as meerkat does.
            self.run(&["stop"], &[])?;
            if !self.set_up.swap(true, Ordering::SeqCst) {
                progress.note(format!(
                    "{}: setup (installs the package if missing)",
                    self.name
                ));
                self.run(&["setup"], &[])?;
            }
            let started = Instant::now();
            progress.note(format!(
                "{}: ensuring user1..user{} exist (its own tools)",
                self.name, spec.users
            ));
            self.run(&["users", &spec.users.to_string()], &[])?;
            progress.note(format!(
                "{}: accounts ready in {:.1} s",
                self.name,
                started.elapsed().as_secs_f64()
            ));
            let env: Vec<(&str, String)> = spec
                .server_cpu
                .map(|c| ("PEER_CPUS", c.to_string()))
                .into_iter()
                .collect();
            self.run(&["start"], &env)?;
            let mut running = Running {
                peer_name: self.name,
                script: self.script(),
                target: Target {
                    name: self.name.into(),
                    version: String::new(),
                    domain: String::new(),
                    pid: 0,
                    ws: None,
                    bosh: None,
                    http: Vec::new(),
                    users: Users {
                        count: 0,
                        created_by: String::new(),
                    },
                    scram_iterations: 0,
                    config_summary: String::new(),
                },
                stopped: false,
            };
            let st = self.status()?;
            let get = |k: &str| {
                st.get(k)
                    .cloned()
                    .ok_or_else(|| anyhow!("`{} status` printed no {k}", self.name))
            };
            let ws = endpoint(&get("ws_url")?)?;
            let bosh = endpoint(&get("bosh_url")?)?;
            let t = &mut running.target;
            t.version = format!("{} {} (Debian package)", self.name, get("version")?);
            t.domain = get("domain")?;
            t.pid = get("pid")?.parse().context("status pid")?;
            t.users.count = get("users")?.parse().context("status users")?;
            t.users.created_by = match self.name {
                "ejabberd" => "by `bench/peers/ejabberd.sh users` (ejabberd_auth:try_register over the distribution: the server derives the keys)".into(),
                _ => "by `bench/peers/prosody.sh users` (Prosody's own util.sasl.scram and util.datamanager, as mod_auth_internal_hashed)".into(),
            };
            t.scram_iterations = get("scram_iterations")?
                .parse()
                .context("status scram_iterations")?;
            t.config_summary = format!(
                "config written by bench/peers/{}.sh (bench/peers/README.md lists every difference from Debian's); WS {}, BOSH {}; pinned to CPU {}",
                self.name,
                get("ws_url")?,
                get("bosh_url")?,
                st.get("cpus_allowed").map_or("?", String::as_str)
            );
            if self.name == "ejabberd" {
                t.http = ejabberd_probes(ws.addr);
            }
            t.ws = Some(ws);
            t.bosh = Some(bosh);
            Ok(Box::new(running) as Box<dyn RunningServer>)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_become_a_target_endpoint() {
        let st =
            parse_status("peer=prosody\nws_url=ws://127.0.0.1:25280/xmpp-websocket\nbroken line\n");
        assert_eq!(st["peer"], "prosody");
        let e = endpoint(&st["ws_url"]).unwrap();
        assert_eq!(e.addr, "127.0.0.1:25280".parse().unwrap());
        assert_eq!(e.path, "/xmpp-websocket");
        assert_eq!(endpoint("http://127.0.0.1:1").unwrap().path, "/");
        assert!(endpoint("https://127.0.0.1:1/x").is_err());
        assert!(endpoint("ws://localhost:1/x").is_err());
    }
}
