//! One actix-web server per listener: host/path routing to the mounted handlers, TLS,
//! compression, the `server` header, and the connection limit.
//!
//! Mapping of MongooseIM's Ranch transport options onto actix:
//! - `transport.num_acceptors` → actix worker threads, capped at the number of CPUs
//!   (actix accepts on one thread and serves on workers; Ranch's acceptor count has no
//!   closer equivalent).
//! - `transport.max_connections` → actix's per-worker connection limit, with the worker
//!   count chosen so that workers × per-worker limit equals the listener-wide limit
//!   exactly. A connection over the limit waits in the kernel backlog until one closes.

use crate::config::ListenerConfig;
use crate::handler::{BuildError, HandlerContext, ListenerInfo, Mount, Service};
use actix_web::dev::ServerHandle;
use actix_web::guard::{Guard, GuardContext};
use actix_web::http::header;
use actix_web::middleware::{Compress, Condition, DefaultHeaders};
use actix_web::{App, HttpResponse, HttpServer, web};
use meerkat_core::config::Limit;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A listener with its handlers built, ready to bind.
pub struct Listener {
    config: ListenerConfig,
    services: Vec<(Mount, &'static str, Arc<dyn Service>)>,
}

impl Listener {
    /// Builds every handler of `config` against the running core.
    pub fn build(
        config: ListenerConfig,
        server: &meerkat_core::Server,
    ) -> Result<Listener, BuildError> {
        let cx = HandlerContext {
            server: server.clone(),
            listener: ListenerInfo {
                config_path: config.path.clone(),
                tls: config.tls.is_some(),
            },
        };
        let mut services = Vec::with_capacity(config.handlers.len());
        for h in &config.handlers {
            let svc = h.config.build(&h.mount, &cx)?;
            tracing::info!(handler = h.name, mount = %h.mount, listener = %config.path, "handler mounted");
            services.push((h.mount.clone(), h.name, svc));
        }
        // Concrete hosts before "_" (as Cowboy does), longer paths before their prefixes.
        services.sort_by_key(|(m, _, _)| {
            (
                m.host.is_none(),
                std::cmp::Reverse(m.path.matches('/').count()),
                std::cmp::Reverse(m.path.len()),
            )
        });
        Ok(Listener { config, services })
    }
}

/// Options for starting listeners.
#[derive(Clone, Debug)]
pub struct StartOptions {
    /// Value of the `server` response header.
    pub server_name: String,
    /// Let actix stop on SIGINT/SIGTERM (off in tests, which stop servers themselves).
    pub handle_signals: bool,
    /// How long a graceful stop waits for open connections.
    pub shutdown_timeout: Duration,
    /// Worker threads per listener at most (default: number of CPUs).
    pub max_workers: usize,
}

impl Default for StartOptions {
    fn default() -> Self {
        StartOptions {
            server_name: "meerkat".into(),
            handle_signals: true,
            shutdown_timeout: Duration::from_secs(10),
            max_workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// Running listeners.
pub struct Running {
    /// Bound address of each listener, in config order.
    pub addrs: Vec<SocketAddr>,
    handles: Vec<ServerHandle>,
    servers: Vec<actix_rt::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Stops every listener; `graceful` lets open requests finish (up to the shutdown timeout).
    pub async fn stop(&self, graceful: bool) {
        futures_util::future::join_all(self.handles.iter().map(|h| h.stop(graceful))).await;
    }

    /// A cloneable handle that stops every listener.
    pub fn handles(&self) -> Vec<ServerHandle> {
        self.handles.clone()
    }

    /// Waits until every listener has stopped (after a signal or [`Running::stop`]).
    pub async fn wait(self) -> std::io::Result<()> {
        for r in futures_util::future::join_all(self.servers).await {
            r.map_err(std::io::Error::other)??;
        }
        Ok(())
    }
}

/// Worker count and per-worker limit whose product is exactly `max` (when finite).
pub fn plan_workers(
    num_acceptors: u32,
    max_connections: Limit,
    max_workers: usize,
) -> (usize, usize) {
    let wanted = (num_acceptors as usize).clamp(1, max_workers.max(1));
    match max_connections {
        Limit::Infinity => (wanted, 1 << 20),
        Limit::Finite(max) => {
            let max = usize::try_from(max).unwrap_or(usize::MAX).max(1);
            let workers = (1..=wanted.min(max))
                .rev()
                .find(|w| max % w == 0)
                .unwrap_or(1);
            (workers, max / workers)
        }
    }
}

/// Binds and starts every listener. Must run inside an actix system.
pub fn start(listeners: Vec<Listener>, opts: &StartOptions) -> std::io::Result<Running> {
    let mut running = Running {
        addrs: Vec::new(),
        handles: Vec::new(),
        servers: Vec::new(),
    };
    for l in listeners {
        let (workers, per_worker) = plan_workers(
            l.config.num_acceptors,
            l.config.max_connections,
            opts.max_workers,
        );
        let services = Arc::new(l.services);
        let compress = l.config.compress;
        let server_name = opts.server_name.clone();
        let factory = move || {
            let services = services.clone();
            let mut app = App::new()
                .wrap(Condition::new(compress, Compress::default()))
                .wrap(DefaultHeaders::new().add((header::SERVER, server_name.clone())));
            for (mount, _, svc) in services.iter() {
                let svc = svc.clone();
                let mut scope = web::scope(&mount.path);
                if let Some(host) = &mount.host {
                    scope = scope.guard(HostGuard(host.clone()));
                }
                app = app.service(scope.configure(move |cfg| svc.configure(cfg)));
            }
            app.default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
        };
        let mut server = HttpServer::new(factory)
            .workers(workers)
            .max_connections(per_worker)
            .backlog(1024)
            .shutdown_timeout(opts.shutdown_timeout.as_secs().max(1));
        if !opts.handle_signals {
            server = server.disable_signals();
        }
        let server = match &l.config.tls {
            Some(tls) => server.bind_rustls_0_23(l.config.addr, (*tls.server_config).clone()),
            None => server.bind(l.config.addr),
        }
        .map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("{}: cannot listen on {}: {e}", l.config.path, l.config.addr),
            )
        })?;
        let addr = server.addrs().first().copied().unwrap_or(l.config.addr);
        tracing::info!(listener = %l.config.path, %addr, tls = l.config.tls.is_some(), workers, per_worker, "listening");
        let server = server.run();
        running.handles.push(server.handle());
        running.addrs.push(addr);
        // An actix server starts accepting only once polled.
        running.servers.push(actix_rt::spawn(server));
    }
    Ok(running)
}

/// Matches the request's host (Host header or HTTP/2 authority, without port),
/// case-insensitively.
struct HostGuard(String);

impl Guard for HostGuard {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        let head = ctx.head();
        let raw = head
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| head.uri.authority().map(|a| a.as_str()));
        raw.is_some_and(|h| host_without_port(h).eq_ignore_ascii_case(&self.0))
    }
}

fn host_without_port(h: &str) -> &str {
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match h.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_times_limit_is_exact() {
        assert_eq!(plan_workers(100, Limit::Finite(1024), 2), (2, 512));
        assert_eq!(plan_workers(100, Limit::Finite(5), 2), (1, 5));
        assert_eq!(plan_workers(10, Limit::Finite(9), 4), (3, 3));
        assert_eq!(plan_workers(1, Limit::Finite(10), 8), (1, 10));
        assert_eq!(plan_workers(100, Limit::Finite(1), 8), (1, 1));
        assert_eq!(plan_workers(5, Limit::Infinity, 2).0, 2);
    }

    #[test]
    fn host_port_stripping() {
        assert_eq!(host_without_port("example.com:5280"), "example.com");
        assert_eq!(host_without_port("example.com"), "example.com");
        assert_eq!(host_without_port("[::1]:80"), "::1");
    }
}
