//! One actix-web server per listener: host/path routing to the mounted handlers, TLS,
//! compression, the `server` header, and the connection limit. Each mounted handler's
//! scope is wrapped by a middleware that records `http_requests_count{handler,status}`
//! and `http_requests_time{handler}` (time to the response head, so a long-poll counts
//! its wait and a stream or WebSocket only its opening). A TLS listener exposes its
//! certificate's `tls_cert_remaining_days_count{listener_id}`.
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
use actix_web::dev::Service as _;
use actix_web::guard::{Guard, GuardContext};
use actix_web::http::header;
use actix_web::middleware::{Compress, Condition, DefaultHeaders};
use actix_web::{App, HttpResponse, HttpServer, web};
use meerkat_core::config::Limit;
use meerkat_core::metrics::{CertValidity, HttpMetrics};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A mounted handler: where, which type, its routes, its request metrics.
struct Mounted {
    mount: Mount,
    service: Arc<dyn Service>,
    metrics: Arc<HttpMetrics>,
}

/// A listener with its handlers built, ready to bind.
pub struct Listener {
    config: ListenerConfig,
    services: Vec<Mounted>,
    server: meerkat_core::Server,
    cert: Option<CertValidity>,
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
                ip: config.addr.ip(),
            },
        };
        let mut services = Vec::with_capacity(config.handlers.len());
        for h in &config.handlers {
            let svc = h.config.build(&h.mount, &cx)?;
            tracing::info!(handler = h.name, mount = %h.mount, listener = %config.path, "handler mounted");
            services.push(Mounted {
                mount: h.mount.clone(),
                service: svc,
                metrics: server.metrics().http_handler(h.name),
            });
        }
        // Concrete hosts before "_" (as Cowboy does), longer paths before their prefixes.
        services.sort_by_key(|m| {
            (
                m.mount.host.is_none(),
                std::cmp::Reverse(m.mount.path.matches('/').count()),
                std::cmp::Reverse(m.mount.path.len()),
            )
        });
        let cert = config
            .tls
            .as_ref()
            .map(|tls| cert_validity(&tls.options.certfile));
        Ok(Listener {
            config,
            services,
            server: server.clone(),
            cert,
        })
    }
}

/// Validity of the first certificate in a PEM file (the served one).
fn cert_validity(path: &Path) -> CertValidity {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let first = CertificateDer::pem_file_iter(path)
        .ok()
        .and_then(|mut certs| certs.next())
        .and_then(Result::ok);
    match first.and_then(|der| meerkat_core::metrics::x509::validity(&der)) {
        Some((not_before, not_after)) => CertValidity::Valid {
            not_before,
            not_after,
        },
        None => {
            tracing::warn!(certfile = %path.display(), "cannot read the certificate's validity period");
            CertValidity::Invalid
        }
    }
}

/// MongooseIM's listener id: `<ip>@tcp/<port>`.
fn listener_id(addr: SocketAddr) -> String {
    format!("{}@tcp/{}", addr.ip(), addr.port())
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
        l.server.start_probes();
        let services = Arc::new(l.services);
        let compress = l.config.compress;
        let server_name = opts.server_name.clone();
        let factory = move || {
            let services = services.clone();
            let mut app = App::new()
                .wrap(Condition::new(compress, Compress::default()))
                .wrap(DefaultHeaders::new().add((header::SERVER, server_name.clone())));
            for m in services.iter() {
                let svc = m.service.clone();
                // One per worker: cloning it per request is then no atomic shared by workers.
                let metrics = std::rc::Rc::new(m.metrics.clone());
                let mut scope = web::scope(&m.mount.path);
                if let Some(host) = &m.mount.host {
                    scope = scope.guard(HostGuard(host.clone()));
                }
                let scope =
                    scope
                        .configure(move |cfg| svc.configure(cfg))
                        .wrap_fn(move |req, srv| {
                            let start = Instant::now();
                            let metrics = metrics.clone();
                            let response = srv.call(req);
                            async move {
                                let response = response.await;
                                let status = match &response {
                                    Ok(r) => r.status(),
                                    Err(e) => e.as_response_error().status_code(),
                                };
                                metrics.record(status.as_u16(), start.elapsed());
                                response
                            }
                        });
                app = app.service(scope);
            }
            app.default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
        };
        let mut server = HttpServer::new(factory)
            .workers(workers)
            .max_connections(per_worker)
            .backlog(1024)
            // XMPP writes are small and latency-bound: no Nagle delay (it met the
            // client's delayed ACK and stalled deliveries by 40 ms under load).
            .tcp_nodelay(true)
            // A client that closes its side is gone: notice it at once (held SSE streams,
            // long polls), as Cowboy does.
            .h1_allow_half_closed(false)
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
        if let Some(cert) = l.cert {
            l.server
                .metrics()
                .register_tls_listener(&listener_id(addr), cert);
        }
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
