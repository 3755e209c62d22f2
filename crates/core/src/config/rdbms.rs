//! `[outgoing_pools]`: MongooseIM's connection pools. meerkat uses one of them, the
//! `rdbms` pool tagged `default` with `driver = "pgsql"`: when it is configured, every area
//! of the store lives in that PostgreSQL database instead of the embedded SQLite file.
//! Other pool types are accepted with a warning.

use std::path::PathBuf;
use std::time::Duration;

use toml::Table;

use super::Diagnostics;
use super::reader::{Positive, Section};

/// How the database server's certificate is checked (`connection.tls.verify_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RdbmsVerify {
    /// Valid, and signed by a CA of `cacertfile` (or the system's roots), for `host`
    /// (unless `server_name_indication.enabled = false`).
    Peer,
    /// Signed by a CA of `cacertfile`, any host name.
    SelfsignedPeer,
    /// Not checked.
    None,
}

/// `connection.tls`: TLS to the database (rustls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbmsTls {
    /// `required`: refuse a server that does not speak TLS. With a checked certificate
    /// (`verify_mode` other than `none`) TLS is always required, since falling back to
    /// plain text would skip the check.
    pub required: bool,
    /// `verify_mode`.
    pub verify: RdbmsVerify,
    /// `cacertfile`.
    pub cacertfile: Option<PathBuf>,
    /// `certfile` and `keyfile`: a client certificate.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// `server_name_indication.enabled`: check the certificate's name against `host`.
    pub check_host_name: bool,
}

/// `[outgoing_pools.rdbms.default]` with a PostgreSQL connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbmsConfig {
    /// `workers`: connections in the pool (default 10).
    pub workers: u32,
    /// `connection.host`: a name, an address, or a directory holding the server's Unix
    /// socket (an absolute path).
    pub host: String,
    /// `connection.port` (default 5432).
    pub port: u16,
    /// `connection.database`.
    pub database: String,
    /// `connection.username`.
    pub username: String,
    /// `connection.password`.
    pub password: String,
    /// `connection.query_timeout` (default 5000 ms): PostgreSQL's `statement_timeout`.
    pub query_timeout: Duration,
    /// `connection.tls`, when present.
    pub tls: Option<RdbmsTls>,
}

impl RdbmsConfig {
    /// `host:port/database`, for messages.
    pub fn target(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }
}

/// Reads `[outgoing_pools]`; returns the PostgreSQL pool meerkat will use, if any.
pub(crate) fn read(section: Option<Section<'_>>, diag: &mut Diagnostics) -> Option<RdbmsConfig> {
    let mut pools = section?;
    let mut found = None;
    for (kind, _) in pools.remaining().collect::<Vec<_>>() {
        let Some(mut tags) = pools.table_opt(kind, diag) else {
            continue;
        };
        for (tag, _) in tags.remaining().collect::<Vec<_>>() {
            let Some(pool) = tags.table_opt(tag, diag) else {
                continue;
            };
            if kind == "rdbms" && tag == "default" {
                found = read_pool(pool, diag);
            } else if kind == "rdbms" {
                diag.warn(
                    pool.path(),
                    "meerkat uses only the rdbms pool tagged \"default\"; this one is ignored",
                );
            } else {
                diag.warn(
                    pool.path(),
                    format!("{kind} pools are not used by meerkat; ignored"),
                );
            }
        }
    }
    found
}

fn read_pool(mut pool: Section<'_>, diag: &mut Diagnostics) -> Option<RdbmsConfig> {
    let workers = pool.get_or("workers", Positive(10), diag).0;
    let workers = u32::try_from(workers).unwrap_or(u32::MAX).min(1000);
    match pool.opt::<String>("scope", diag).as_deref() {
        None | Some("global") => {}
        Some("host_type") | Some("single_host_type") => diag.warn(
            pool.key_path("scope"),
            "meerkat has one store for every host type; the pool is used as global",
        ),
        Some(other) => diag.error(
            pool.key_path("scope"),
            format!("expected \"global\" or \"host_type\", found \"{other}\""),
        ),
    }
    for ignored in [
        "strategy",
        "call_timeout",
        "max_worker_queue_len",
        "host_type",
    ] {
        if pool.raw(ignored).is_some() {
            diag.warn(
                pool.key_path(ignored),
                "MongooseIM pool option not used by meerkat's pool; ignored",
            );
        }
    }
    let empty = Table::new();
    let conn_missing = !pool.has("connection");
    let mut conn = pool
        .table_opt("connection", diag)
        .unwrap_or_else(|| Section::new(pool.key_path("connection"), &empty));
    pool.finish(diag);
    if conn_missing {
        diag.error(
            conn.path(),
            "missing; the pool needs its connection options",
        );
        return None;
    }
    let driver: Option<String> = conn.req("driver", diag);
    match driver.as_deref() {
        Some("pgsql") => {}
        Some(d @ ("mysql" | "cockroachdb" | "odbc")) => {
            diag.error(
                conn.key_path("driver"),
                format!("\"{d}\" is not supported by meerkat; use \"pgsql\" (or no pool, for the embedded SQLite store)"),
            );
        }
        Some(other) => diag.error(
            conn.key_path("driver"),
            format!("expected \"pgsql\", \"mysql\" or \"cockroachdb\", found \"{other}\""),
        ),
        None => {}
    }
    let host: Option<String> = conn.req("host", diag);
    let port = conn.get_or("port", 5432_i64, diag);
    let port = match u16::try_from(port) {
        Ok(p) if p > 0 => p,
        _ => {
            diag.error(
                conn.key_path("port"),
                format!("{port} is not a port number (1..=65535)"),
            );
            5432
        }
    };
    let database: Option<String> = conn.req("database", diag);
    let username: Option<String> = conn.req("username", diag);
    let password: Option<String> = conn.req("password", diag);
    let query_timeout = Duration::from_millis(conn.get_or("query_timeout", Positive(5000), diag).0);
    for ignored in ["keepalive_interval", "max_start_interval"] {
        if conn.raw(ignored).is_some() {
            diag.warn(
                conn.key_path(ignored),
                "not used by meerkat's pool (it probes connections before use and reconnects on demand); ignored",
            );
        }
    }
    let tls = conn.table_opt("tls", diag).map(|tls| read_tls(tls, diag));
    if let Some(h) = &host
        && h.is_empty()
    {
        diag.error(conn.key_path("host"), "must not be empty");
    }
    conn.finish(diag);
    Some(RdbmsConfig {
        workers,
        host: host?,
        port,
        database: database?,
        username: username?,
        password: password?,
        query_timeout,
        tls,
    })
    .filter(|_| driver.as_deref() == Some("pgsql"))
}

fn read_tls(mut tls: Section<'_>, diag: &mut Diagnostics) -> RdbmsTls {
    let required = tls.get_or("required", false, diag);
    let verify = match tls.opt::<String>("verify_mode", diag).as_deref() {
        None | Some("peer") => RdbmsVerify::Peer,
        Some("selfsigned_peer") => RdbmsVerify::SelfsignedPeer,
        Some("none") => RdbmsVerify::None,
        Some(other) => {
            diag.error(
                tls.key_path("verify_mode"),
                format!("expected \"peer\", \"selfsigned_peer\" or \"none\", found \"{other}\""),
            );
            RdbmsVerify::Peer
        }
    };
    let mut file = |key: &str, diag: &mut Diagnostics| -> Option<PathBuf> {
        let path: String = tls.opt(key, diag)?;
        let path = PathBuf::from(path);
        if let Err(e) = std::fs::metadata(&path) {
            diag.error(
                tls.key_path(key),
                format!("cannot read {}: {e}", path.display()),
            );
        }
        Some(path)
    };
    let cacertfile = file("cacertfile", diag);
    let certfile = file("certfile", diag);
    let keyfile = file("keyfile", diag);
    let client_cert = match (certfile, keyfile) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        (Some(_), None) => {
            diag.error(tls.key_path("keyfile"), "certfile needs a keyfile");
            None
        }
        (None, Some(_)) => {
            diag.error(tls.key_path("certfile"), "keyfile needs a certfile");
            None
        }
    };
    if tls.raw("password").is_some() {
        diag.error(
            tls.key_path("password"),
            "encrypted client keys are not supported for the database connection; give an unencrypted keyfile",
        );
    }
    for ignored in ["ciphers", "versions"] {
        if tls.raw(ignored).is_some() {
            diag.warn(
                tls.key_path(ignored),
                "rustls offers TLS 1.2 and 1.3 with its safe cipher suites; ignored",
            );
        }
    }
    let mut check_host_name = verify == RdbmsVerify::Peer;
    if let Some(mut sni) = tls.table_opt("server_name_indication", diag) {
        if !sni.get_or("enabled", true, diag) {
            check_host_name = false;
        }
        if sni.raw("host").is_some() {
            diag.error(
                sni.key_path("host"),
                "not supported: the certificate is checked against connection.host",
            );
        }
        if sni.raw("protocol").is_some() {
            diag.warn(sni.key_path("protocol"), "not used by rustls; ignored");
        }
        sni.finish(diag);
    }
    tls.finish(diag);
    RdbmsTls {
        required,
        verify,
        cacertfile,
        client_cert,
        check_host_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;

    fn read(text: &str) -> (Option<RdbmsConfig>, Diagnostics) {
        let root: Table = toml::from_str(&format!("[general]\nhosts = [\"h\"]\n{text}")).unwrap();
        let mut diag = Diagnostics::default();
        let config = ServerConfig::read(&root, &mut diag);
        (config.rdbms, diag)
    }

    #[test]
    fn mongooseim_pool_section_is_read() {
        let (pool, diag) = read(
            "[outgoing_pools.rdbms.default]\nscope = \"global\"\nworkers = 5\n\
             [outgoing_pools.rdbms.default.connection]\ndriver = \"pgsql\"\nhost = \"db.example\"\n\
             database = \"mongooseim\"\nusername = \"mim\"\npassword = \"pw\"\nquery_timeout = 2000\n\
             tls.required = true\ntls.verify_mode = \"selfsigned_peer\"\n\
             tls.server_name_indication.enabled = false\n\
             [auth.rdbms]\nusers_number_estimate = true\n",
        );
        assert!(diag.is_ok(), "{diag}");
        assert!(diag.warnings.is_empty(), "{diag}");
        let pool = pool.unwrap();
        assert_eq!(pool.workers, 5);
        assert_eq!(pool.target(), "db.example:5432/mongooseim");
        assert_eq!(pool.query_timeout, Duration::from_secs(2));
        let tls = pool.tls.unwrap();
        assert!(tls.required);
        assert_eq!(tls.verify, RdbmsVerify::SelfsignedPeer);
        assert!(!tls.check_host_name);
    }

    #[test]
    fn every_pool_problem_is_reported_with_its_path() {
        let (pool, diag) = read(
            "[outgoing_pools.rdbms.default]\nworkers = 0\n\
             [outgoing_pools.rdbms.default.connection]\ndriver = \"mysql\"\nport = 70000\n\
             username = \"u\"\ntypo = 1\ntls.password = \"x\"\ntls.verify_mode = \"maybe\"\n\
             tls.cacertfile = \"/no/such/ca.pem\"\n\
             [outgoing_pools.redis.global_distrib]\nworkers = 1\n",
        );
        assert!(pool.is_none());
        let got: Vec<String> = diag.errors.iter().map(ToString::to_string).collect();
        for expected in [
            "outgoing_pools.rdbms.default.workers: ",
            "outgoing_pools.rdbms.default.connection.driver: \"mysql\" is not supported by meerkat",
            "outgoing_pools.rdbms.default.connection.host: ",
            "outgoing_pools.rdbms.default.connection.port: 70000 is not a port number",
            "outgoing_pools.rdbms.default.connection.database: ",
            "outgoing_pools.rdbms.default.connection.password: ",
            "outgoing_pools.rdbms.default.connection.tls.verify_mode: expected",
            "outgoing_pools.rdbms.default.connection.tls.cacertfile: cannot read /no/such/ca.pem",
            "outgoing_pools.rdbms.default.connection.tls.password: encrypted client keys",
            "outgoing_pools.rdbms.default.connection.typo: unknown option",
        ] {
            assert!(
                got.iter().any(|g| g.starts_with(expected)),
                "missing {expected:?} in {got:#?}"
            );
        }
        assert!(
            diag.warnings
                .iter()
                .any(|w| w.path == "outgoing_pools.redis.global_distrib"),
            "{diag}"
        );
    }

    #[test]
    fn no_pool_means_sqlite() {
        let (pool, diag) = read("");
        assert!(pool.is_none());
        assert!(diag.is_ok());
    }
}
