//! `[[listen.http]]`: the listener shape first (port, address, transport, protocol, TLS),
//! then each handler table through the registry. Every problem is recorded with its path.

use crate::handler::{ConfiguredHandler, HandlerDescriptor, Mount};
use crate::tls::{self, TlsOptions};
use meerkat_core::config::{Diagnostics, Limit, Positive, Section, known, type_name};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use toml::{Table, Value};

/// One `[[listen.http]]` entry, validated.
pub struct ListenerConfig {
    /// TOML path (`listen.http[0]`).
    pub path: String,
    /// Address to bind.
    pub addr: SocketAddr,
    /// `transport.num_acceptors` (mapped onto actix workers, see `server`).
    pub num_acceptors: u32,
    /// `transport.max_connections`.
    pub max_connections: Limit,
    /// `protocol.compress`.
    pub compress: bool,
    /// TLS, when the `tls` table is present.
    pub tls: Option<TlsListenerConfig>,
    /// Handlers in file order.
    pub handlers: Vec<HandlerConfig>,
}

/// The TLS options as written and the rustls config built from them.
pub struct TlsListenerConfig {
    /// Options as read.
    pub options: TlsOptions,
    /// The server config, built (certificates loaded, key decrypted) at read time so that
    /// `check-config` reports unusable files.
    pub server_config: Arc<rustls::ServerConfig>,
}

/// One handler table.
pub struct HandlerConfig {
    /// TOML path (`listen.http[0].handlers.mod_bosh[0]`).
    pub path: String,
    /// Registry name (the canonical one, even when an alias was written).
    pub name: &'static str,
    /// Host and path.
    pub mount: Mount,
    /// The handler's own options.
    pub config: Box<dyn ConfiguredHandler>,
}

/// Reads `[listen]`: `http` listeners in full; MongooseIM's other listener kinds are
/// accepted with a warning. The listeners are usable only when `diag` has no errors.
pub fn read_listen(
    root: &Table,
    registry: &[HandlerDescriptor],
    diag: &mut Diagnostics,
) -> Vec<ListenerConfig> {
    let Some(listen) = root.get("listen") else {
        return Vec::new();
    };
    let Value::Table(listen) = listen else {
        diag.error(
            "listen",
            format!("expected a table, found {}", type_name(listen)),
        );
        return Vec::new();
    };
    let mut s = Section::new("listen", listen);
    let http = s.tables("http", diag);
    let mut out = Vec::new();
    for l in http {
        out.extend(read_listener(l, registry, diag));
    }
    for kind in ["c2s", "s2s", "component"] {
        if let Some(v) = s.raw(kind) {
            let n = v.as_array().map_or(1, Vec::len);
            diag.warn(
                format!("listen.{kind}"),
                format!("{n} MongooseIM {kind} listener(s) not implemented by meerkat (it serves only listen.http); ignored"),
            );
        }
    }
    for (k, _) in s.remaining() {
        diag.error(
            format!("listen.{k}"),
            format!(
                "unknown listener type; expected one of {}",
                known::LISTENER_KINDS.join(", ")
            ),
        );
    }
    check_duplicate_addresses(&out, diag);
    out
}

fn check_duplicate_addresses(listeners: &[ListenerConfig], diag: &mut Diagnostics) {
    let mut seen: HashMap<SocketAddr, &str> = HashMap::new();
    for l in listeners.iter().filter(|l| l.addr.port() != 0) {
        // Port 0 asks the OS for a free port, so it never clashes.
        // 0.0.0.0:p and 127.0.0.1:p also clash on bind; compare by port for wildcards.
        let clash = seen.iter().find(|(a, _)| {
            a.port() == l.addr.port()
                && (**a == l.addr || a.ip().is_unspecified() || l.addr.ip().is_unspecified())
                && a.is_ipv4() == l.addr.is_ipv4()
        });
        if let Some((a, other)) = clash {
            diag.error(
                &l.path,
                format!("listens on {} which {other} already uses ({a})", l.addr),
            );
        } else {
            seen.insert(l.addr, &l.path);
        }
    }
}

fn read_listener(
    mut s: Section<'_>,
    registry: &[HandlerDescriptor],
    diag: &mut Diagnostics,
) -> Option<ListenerConfig> {
    let path = s.path().to_owned();
    let port = s.req::<u16>("port", diag);
    let ip_version = s.opt::<u8>("ip_version", diag);
    if let Some(v) = ip_version
        && v != 4
        && v != 6
    {
        diag.error(
            s.key_path("ip_version"),
            format!("expected 4 or 6, found {v}"),
        );
    }
    let ip = match s.opt::<String>("ip_address", diag) {
        None => match ip_version {
            Some(6) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        },
        Some(text) => match parse_ip(&text) {
            Some(ip) => {
                let v = if ip.is_ipv4() { 4 } else { 6 };
                if ip_version.is_some_and(|iv| iv != v) {
                    diag.error(
                        s.key_path("ip_address"),
                        format!(
                            "\"{text}\" is not an IPv{} address",
                            ip_version.unwrap_or(4)
                        ),
                    );
                }
                ip
            }
            None => {
                diag.error(
                    s.key_path("ip_address"),
                    format!("\"{text}\" is not an IP address"),
                );
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            }
        },
    };
    if let Some(proto) = s.opt::<String>("proto", diag)
        && proto != "tcp"
    {
        diag.error(
            s.key_path("proto"),
            format!("only \"tcp\" is supported, found \"{proto}\""),
        );
    }
    if s.raw("hibernate_after").is_some() {
        diag.warn(
            s.key_path("hibernate_after"),
            "Erlang process hibernation has no meaning in meerkat; ignored",
        );
    }
    let mut num_acceptors = 100;
    let mut max_connections = Limit::Finite(1024);
    if let Some(mut t) = s.table_opt("transport", diag) {
        if let Some(Positive(n)) = t.opt::<Positive>("num_acceptors", diag) {
            num_acceptors = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(m) = t.opt::<Limit>("max_connections", diag) {
            if m == Limit::Finite(0) {
                diag.error(
                    t.key_path("max_connections"),
                    "expected a positive integer or \"infinity\", found 0",
                );
            } else {
                max_connections = m;
            }
        }
        t.finish(diag);
    }
    let mut compress = false;
    if let Some(mut p) = s.table_opt("protocol", diag) {
        compress = p.get_or("compress", false, diag);
        p.finish(diag);
    }
    let tls = s.table_opt("tls", diag).and_then(|t| {
        let options = tls::read_options(t, diag)?;
        let server_config = match tls::build_server_config(&options) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                diag.error(format!("{path}.tls"), e.to_string());
                return None;
            }
        };
        Some(TlsListenerConfig {
            options,
            server_config,
        })
    });
    let handlers = read_handlers(&mut s, registry, diag);
    for xmpp_only in [
        "backlog",
        "proxy_protocol",
        "max_stanza_size",
        "num_acceptors",
        "shaper",
        "max_connections",
        "reuse_port",
        "state_timeout",
        "access",
    ] {
        if s.raw(xmpp_only).is_some() {
            let hint = match xmpp_only {
                "num_acceptors" | "max_connections" => format!("; use transport.{xmpp_only}"),
                _ => String::new(),
            };
            diag.error(
                s.key_path(xmpp_only),
                format!("XMPP listener option not accepted on listen.http{hint}"),
            );
        }
    }
    s.finish(diag);
    Some(ListenerConfig {
        path,
        addr: SocketAddr::new(ip, port?),
        num_acceptors,
        max_connections,
        compress,
        tls,
        handlers,
    })
}

fn parse_ip(text: &str) -> Option<IpAddr> {
    if text == "0" {
        return Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
    text.parse().ok()
}

fn read_handlers(
    s: &mut Section<'_>,
    registry: &[HandlerDescriptor],
    diag: &mut Diagnostics,
) -> Vec<HandlerConfig> {
    let mut out = Vec::new();
    let Some(mut handlers) = s.table_opt("handlers", diag) else {
        return out;
    };
    let keys: Vec<String> = handlers.table().keys().cloned().collect();
    for key in keys {
        let entries = handlers.tables(&key, diag);
        let Some(desc) = registry.iter().find(|d| d.matches(&key)) else {
            let mut names: Vec<&str> = registry
                .iter()
                .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()))
                .collect();
            names.sort_unstable();
            diag.error(
                handlers.key_path(&key),
                format!("unknown handler type; known types: {}", names.join(", ")),
            );
            continue;
        };
        let Some(reader) = desc.reader else {
            diag.error(
                handlers.key_path(&key),
                format!(
                    "handler type {key} is not in this build; rebuild with feature {}",
                    desc.feature
                ),
            );
            continue;
        };
        for mut h in entries {
            let path = h.path().to_owned();
            let host = h.req::<String>("host", diag);
            let hpath = h.req::<String>("path", diag);
            if let Some(hp) = &hpath
                && !hp.starts_with('/')
            {
                diag.error(h.key_path("path"), format!("\"{hp}\" must start with '/'"));
            }
            let config = reader(&mut h, diag);
            h.finish(diag);
            let (Some(host), Some(hpath), Some(config)) = (host, hpath, config) else {
                continue;
            };
            let host = if host == "_" {
                None
            } else {
                Some(host.to_lowercase())
            };
            let mount = Mount {
                host,
                path: hpath.trim_end_matches('/').to_owned(),
            };
            if let Some(prev) = out.iter().find(|o: &&HandlerConfig| o.mount == mount) {
                diag.error(
                    &path,
                    format!("host and path {mount} are already served by {}", prev.path),
                );
                continue;
            }
            out.push(HandlerConfig {
                path,
                name: desc.name,
                mount,
                config,
            });
        }
    }
    handlers.finish(diag);
    out
}
