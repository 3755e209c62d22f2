//! The parts of the config the XMPP core acts on: `[general]`, `[auth]`, `[modules]`,
//! `[services]`, `[instrumentation]`, and `[shaper]`, `[acl]`, `[access]` (read by
//! [`crate::access`]). MongooseIM sections meerkat does not implement are accepted with
//! one warning each.

use super::diag::Diagnostics;
use super::known;
use super::reader::{FromToml, Limit, Positive, PositiveLimit, Section, type_name};
use crate::module::{ModuleDescriptor, ModuleSet};
use std::time::Duration;
use toml::{Table, Value};

/// MongooseIM log levels, mapped onto tracing's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// Nothing.
    None,
    /// emergency, alert, critical, error.
    Error,
    /// warning.
    Warning,
    /// notice, info.
    Info,
    /// debug.
    Debug,
    /// all.
    All,
}

impl LogLevel {
    /// Parses MongooseIM's level names.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => LogLevel::None,
            "emergency" | "alert" | "critical" | "error" => LogLevel::Error,
            "warning" => LogLevel::Warning,
            "notice" | "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            "all" => LogLevel::All,
            _ => return None,
        })
    }
    /// The tracing filter directive for this level.
    pub fn as_filter(self) -> &'static str {
        match self {
            LogLevel::None => "off",
            LogLevel::Error => "error",
            LogLevel::Warning => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::All => "trace",
        }
    }
    /// The MongooseIM name (the first of the synonyms).
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::None => "none",
            LogLevel::Error => "error",
            LogLevel::Warning => "warning",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::All => "all",
        }
    }
}

impl FromToml for LogLevel {
    fn from_toml(v: &Value) -> Result<Self, String> {
        let s = String::from_toml(v)?;
        LogLevel::parse(&s).ok_or_else(|| {
            format!(
                "unknown log level \"{s}\"; expected one of none, emergency, alert, critical, error, warning, notice, info, debug, all"
            )
        })
    }
}

/// `[general]`.
#[derive(Clone, Debug)]
pub struct GeneralConfig {
    /// Served XMPP domains, normalised to lower case.
    pub hosts: Vec<String>,
    /// Host types of dynamic domains (`general.host_types`): a dynamic domain may only
    /// be added with one of these. Each static host is its own host type besides.
    pub host_types: Vec<String>,
    /// Domain used when a request names none.
    pub default_server_domain: String,
    /// Log level.
    pub loglevel: LogLevel,
    /// Value of the `server` header on every HTTP response.
    pub http_server_name: String,
    /// Default language of server-generated text.
    pub language: String,
    /// `import_dir` (meerkat extension): the only directory `importUsers` reads from;
    /// `None` refuses imports.
    pub import_dir: Option<std::path::PathBuf>,
    /// `export_dir` (meerkat extension): the only directory `retrievePersonalData`
    /// writes to; `None` refuses exports.
    pub export_dir: Option<std::path::PathBuf>,
}

/// How passwords are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordFormat {
    /// Only SCRAM keys (default): the plaintext is never stored.
    Scram,
    /// Plaintext (MongooseIM's `format = "plain"`).
    Plain,
}

/// A SASL mechanism meerkat can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslMechanism {
    /// SCRAM with the given hash.
    Scram(meerkat_xmpp::scram::ScramHash),
    /// PLAIN (RFC 4616).
    Plain,
    /// ANONYMOUS (RFC 4505), only with `[auth.anonymous]`.
    Anonymous,
    /// X-OAUTH (mod_auth_token).
    Oauth,
}

impl SaslMechanism {
    /// The mechanism name on the wire.
    pub fn wire_name(self) -> &'static str {
        match self {
            SaslMechanism::Scram(h) => h.mechanism(),
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::Anonymous => "ANONYMOUS",
            SaslMechanism::Oauth => "X-OAUTH",
        }
    }
}

/// `[auth.anonymous] protocol`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnonymousProtocol {
    /// SASL ANONYMOUS only.
    SaslAnon,
    /// Login with any password (not supported over HTTP transports; accepted).
    LoginAnon,
    /// Both.
    Both,
}

/// `[auth]`.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// Storage format of new passwords.
    pub password_format: PasswordFormat,
    /// SCRAM hashes stored for each account (MongooseIM's `password.hash`).
    pub scram_hashes: Vec<meerkat_xmpp::scram::ScramHash>,
    /// PBKDF2 iterations for new SCRAM credentials.
    pub scram_iterations: u32,
    /// Offered SASL mechanisms, in order of preference.
    pub sasl_mechanisms: Vec<SaslMechanism>,
    /// `[auth.anonymous]`, when configured.
    pub anonymous: Option<AnonymousProtocol>,
    /// Whether one anonymous user may open several sessions.
    pub anonymous_allow_multiple_connections: bool,
    /// Upper bound of accounts per domain.
    pub max_users_per_domain: Limit,
    /// `[auth.login_throttle]` (a meerkat extension).
    pub login_throttle: crate::login_throttle::ThrottleSettings,
}

/// BOSH settings, from `[services.service_bosh]` or the older `[modules.mod_bosh]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoshSettings {
    /// Longest time without a held request before the session dies (`None` = never).
    pub inactivity: Option<Duration>,
    /// Upper bound of the client's `wait` (default 60 s; `None` = "infinity", which the
    /// BOSH handler still caps at one hour).
    pub max_wait: Option<Duration>,
    /// Add `ack` to responses.
    pub server_acks: bool,
    /// Longest allowed `pause`.
    pub max_pause: Duration,
    /// Domains allowed to open BOSH sessions (`None` = all).
    pub host_types: Option<Vec<String>>,
}

/// `[instrumentation]`.
#[derive(Clone, Debug)]
pub struct InstrumentationConfig {
    /// How often gauges are sampled.
    pub probe_interval: Duration,
    /// Whether `[instrumentation.prometheus]` is present.
    pub prometheus: bool,
}

/// Everything but the listeners.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// `[general]`.
    pub general: GeneralConfig,
    /// `[auth]`.
    pub auth: AuthConfig,
    /// `[modules]`.
    pub modules: ModuleSet,
    /// BOSH settings, when BOSH is configured.
    pub bosh: Option<BoshSettings>,
    /// `[instrumentation]`.
    pub instrumentation: InstrumentationConfig,
    /// `[acl]`, `[access]` and `[shaper]`.
    pub access: crate::access::AccessConfig,
    /// `[outgoing_pools.rdbms.default]` with `driver = "pgsql"`: the store is that
    /// PostgreSQL database. `None`: the embedded SQLite file in the data directory.
    pub rdbms: Option<super::RdbmsConfig>,
}

impl ServerConfig {
    /// Reads every section of `root` except `listen`, recording problems in `diag`.
    /// Returns a config even when there were errors (with defaults in their place), so
    /// that later passes can still report their own problems.
    pub fn read(root: &Table, diag: &mut Diagnostics) -> ServerConfig {
        ServerConfig::read_with_modules(root, crate::modules::BUILTIN, diag)
    }

    /// [`ServerConfig::read`] with another module registry (a test adds its own module).
    pub fn read_with_modules(
        root: &Table,
        registry: &[ModuleDescriptor],
        diag: &mut Diagnostics,
    ) -> ServerConfig {
        let mut top = Section::new("", root);
        let general = read_general(top.table_opt("general", diag), diag);
        let auth = read_auth(top.table_opt("auth", diag), diag);
        let (modules, mod_bosh) = read_modules(top.table_opt("modules", diag), registry, diag);
        let service_bosh = read_services(top.table_opt("services", diag), diag);
        let instrumentation = read_instrumentation(top.table_opt("instrumentation", diag), diag);
        let bosh = service_bosh.or(mod_bosh);
        let shaper = top.table_opt("shaper", diag);
        let acl = top.table_opt("acl", diag);
        let access_rules = top.table_opt("access", diag);
        let access = crate::access::read(acl, access_rules, shaper, diag);
        top.raw("listen"); // listener-core's
        let rdbms = super::rdbms::read(top.table_opt("outgoing_pools", diag), diag);
        for section in ["internal_databases", "s2s", "host_config"] {
            if top.raw(section).is_some() {
                diag.warn(
                    section,
                    "MongooseIM section not implemented by meerkat; ignored",
                );
            }
        }
        for (key, _) in top.remaining() {
            debug_assert!(!known::TOP_LEVEL_SECTIONS.contains(&key));
            diag.error(
                key,
                format!(
                    "unknown section; expected one of {}",
                    known::TOP_LEVEL_SECTIONS.join(", ")
                ),
            );
        }
        ServerConfig {
            general,
            auth,
            modules,
            bosh,
            instrumentation,
            access,
            rdbms,
        }
    }

    /// A minimal config serving `hosts` with default options (for tools and tests).
    pub fn for_hosts(hosts: &[&str]) -> ServerConfig {
        let mut d = Diagnostics::default();
        let mut root = Table::new();
        let mut general = Table::new();
        general.insert(
            "hosts".into(),
            Value::Array(hosts.iter().map(|h| Value::String((*h).into())).collect()),
        );
        root.insert("general".into(), Value::Table(general));
        ServerConfig::read(&root, &mut d)
    }

    /// Whether `domain` (already lower-cased) is one of the static hosts. Dynamic domains
    /// are only known to the running server: use `Server::is_served_domain`.
    pub fn is_local_domain(&self, domain: &str) -> bool {
        self.general.hosts.iter().any(|h| h == domain)
    }

    /// Every host type: each static host (its own host type), then `general.host_types`.
    pub fn all_host_types(&self) -> Vec<String> {
        let mut all = self.general.hosts.clone();
        all.extend(self.general.host_types.iter().cloned());
        all
    }
}

fn read_general(section: Option<Section<'_>>, diag: &mut Diagnostics) -> GeneralConfig {
    let empty = Table::new();
    let missing = section.is_none();
    let mut s = section.unwrap_or_else(|| Section::new("general", &empty));
    let hosts: Vec<String> = s.opt::<Vec<String>>("hosts", diag).unwrap_or_default();
    let mut normalised = Vec::with_capacity(hosts.len());
    for (i, h) in hosts.iter().enumerate() {
        let lower = h.trim().to_lowercase();
        if lower.is_empty() || lower.contains(['@', '/', ' ']) {
            diag.error(
                format!("general.hosts[{i}]"),
                format!("\"{h}\" is not a valid domain name"),
            );
        } else if normalised.contains(&lower) {
            diag.error(
                format!("general.hosts[{i}]"),
                format!("duplicate host \"{h}\""),
            );
        } else {
            normalised.push(lower);
        }
    }
    let host_types = read_host_types(&mut s, &normalised, diag);
    if normalised.is_empty() && !missing && !s.has("hosts") && host_types.is_empty() {
        diag.error("general.hosts", "mandatory option is missing");
    } else if missing {
        diag.error(
            "general",
            "mandatory section is missing (it must list at least `hosts`)",
        );
    } else if normalised.is_empty() && hosts.is_empty() && host_types.is_empty() {
        diag.error("general.hosts", "at least one host is required");
    }
    let default_server_domain = match s.opt::<String>("default_server_domain", diag) {
        Some(d) => {
            let d = d.to_lowercase();
            if !normalised.contains(&d) && !normalised.is_empty() {
                diag.error(
                    "general.default_server_domain",
                    format!("\"{d}\" is not one of general.hosts"),
                );
            }
            d
        }
        None => normalised
            .first()
            .cloned()
            .unwrap_or_else(|| "localhost".into()),
    };
    let loglevel = s.get_or("loglevel", LogLevel::Warning, diag);
    let http_server_name = s.get_or("http_server_name", "meerkat".to_owned(), diag);
    let language = s.get_or("language", "en".to_owned(), diag);
    let import_dir = read_dir_option(&mut s, "import_dir", diag);
    let export_dir = read_dir_option(&mut s, "export_dir", diag);
    for (key, _) in s.remaining().collect::<Vec<_>>() {
        if known::GENERAL_OPTIONS.contains(&key) {
            diag.warn(
                s.key_path(key),
                "MongooseIM option not implemented by meerkat; ignored",
            );
        } else {
            diag.error(s.key_path(key), "unknown option");
        }
    }
    GeneralConfig {
        hosts: normalised,
        host_types,
        default_server_domain,
        loglevel,
        http_server_name,
        language,
        import_dir,
        export_dir,
    }
}

/// `general.import_dir` / `general.export_dir`: an absolute path to an existing
/// directory, kept as given (the commands resolve it again at each use).
fn read_dir_option(
    s: &mut Section<'_>,
    key: &str,
    diag: &mut Diagnostics,
) -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(s.opt::<String>(key, diag)?);
    if !dir.is_absolute() {
        diag.error(
            s.key_path(key),
            format!("\"{}\" is not an absolute path", dir.display()),
        );
        return None;
    }
    if !dir.is_dir() {
        diag.error(
            s.key_path(key),
            format!("\"{}\" is not an existing directory", dir.display()),
        );
        return None;
    }
    Some(dir)
}

/// `general.host_types`: non-empty, unique, and distinct from the static hosts (each
/// static host is a host type of its own, as in MongooseIM).
fn read_host_types(s: &mut Section<'_>, hosts: &[String], diag: &mut Diagnostics) -> Vec<String> {
    let listed: Vec<String> = s.opt("host_types", diag).unwrap_or_default();
    let mut out: Vec<String> = Vec::with_capacity(listed.len());
    for (i, t) in listed.into_iter().enumerate() {
        let path = format!("general.host_types[{i}]");
        if t.trim().is_empty() {
            diag.error(path, "a host type must not be empty");
        } else if out.contains(&t) {
            diag.error(path, format!("duplicate host type \"{t}\""));
        } else if hosts.contains(&t) {
            diag.error(
                path,
                format!("\"{t}\" is also in general.hosts; hosts and host types must be unique"),
            );
        } else {
            out.push(t);
        }
    }
    out
}

fn read_auth(section: Option<Section<'_>>, diag: &mut Diagnostics) -> AuthConfig {
    use meerkat_xmpp::scram::ScramHash;
    let empty = Table::new();
    let mut s = section.unwrap_or_else(|| Section::new("auth", &empty));
    let mut password_format = PasswordFormat::Scram;
    let mut scram_hashes = vec![
        ScramHash::Sha1,
        ScramHash::Sha224,
        ScramHash::Sha256,
        ScramHash::Sha384,
        ScramHash::Sha512,
    ];
    let mut scram_iterations = 10_000u32;
    if let Some(mut p) = s.table_opt("password", diag) {
        if let Some(fmt) = p.opt::<String>("format", diag) {
            match fmt.as_str() {
                "scram" => password_format = PasswordFormat::Scram,
                "plain" => password_format = PasswordFormat::Plain,
                other => diag.error(
                    p.key_path("format"),
                    format!("expected \"scram\" or \"plain\", found \"{other}\""),
                ),
            }
        }
        if let Some(hashes) = p.opt::<Vec<String>>("hash", diag) {
            let mut parsed = Vec::new();
            for h in &hashes {
                match ScramHash::from_config_name(h) {
                    Some(x) if !parsed.contains(&x) => parsed.push(x),
                    Some(_) => diag.error(p.key_path("hash"), format!("duplicate hash \"{h}\"")),
                    None => diag.error(
                        p.key_path("hash"),
                        format!(
                            "unknown hash \"{h}\"; expected sha, sha224, sha256, sha384 or sha512"
                        ),
                    ),
                }
            }
            if parsed.is_empty() && !hashes.is_empty() {
                // errors already recorded
            } else if parsed.is_empty() {
                diag.error(p.key_path("hash"), "must list at least one hash");
            } else {
                scram_hashes = parsed;
            }
        }
        if let Some(Positive(n)) = p.opt::<Positive>("scram_iterations", diag) {
            match u32::try_from(n) {
                Ok(n) if n <= 1_000_000 => scram_iterations = n,
                _ => diag.error(
                    p.key_path("scram_iterations"),
                    format!("{n} is out of range (1..=1000000)"),
                ),
            }
        }
        p.finish(diag);
    }
    let mut anonymous = None;
    let mut anonymous_allow_multiple_connections = false;
    if let Some(mut a) = s.table_opt("anonymous", diag) {
        anonymous = Some(match a.opt::<String>("protocol", diag).as_deref() {
            None | Some("sasl_anon") => AnonymousProtocol::SaslAnon,
            Some("login_anon") => AnonymousProtocol::LoginAnon,
            Some("both") => AnonymousProtocol::Both,
            Some(other) => {
                diag.error(
                    a.key_path("protocol"),
                    format!("expected sasl_anon, login_anon or both, found \"{other}\""),
                );
                AnonymousProtocol::SaslAnon
            }
        });
        anonymous_allow_multiple_connections = a.get_or("allow_multiple_connections", false, diag);
        a.raw("backend");
        a.finish(diag);
    }
    if let Some(internal) = s.table_opt("internal", diag) {
        internal.finish(diag);
    }
    // MongooseIM's SQL auth backend: meerkat's store, SQLite or PostgreSQL, is it.
    if let Some(mut rdbms) = s.table_opt("rdbms", diag) {
        rdbms.opt::<bool>("users_number_estimate", diag);
        rdbms.finish(diag);
    }
    let login_throttle = s
        .table_opt("login_throttle", diag)
        .map(|t| crate::login_throttle::read_settings(t, diag))
        .unwrap_or_default();
    let mut sasl_mechanisms = Vec::new();
    let configured: Option<Vec<String>> = s.opt("sasl_mechanisms", diag);
    let names = configured.clone().unwrap_or_else(|| {
        [
            "scram_sha512",
            "scram_sha384",
            "scram_sha256",
            "scram_sha224",
            "scram_sha1",
            "plain",
            "anonymous",
            "oauth",
        ]
        .map(String::from)
        .to_vec()
    });
    for (i, name) in names.iter().enumerate() {
        let path = format!("auth.sasl_mechanisms[{i}]");
        let mech = match name.as_str() {
            "scram_sha1" => Some(SaslMechanism::Scram(ScramHash::Sha1)),
            "scram_sha224" => Some(SaslMechanism::Scram(ScramHash::Sha224)),
            "scram_sha256" => Some(SaslMechanism::Scram(ScramHash::Sha256)),
            "scram_sha384" => Some(SaslMechanism::Scram(ScramHash::Sha384)),
            "scram_sha512" => Some(SaslMechanism::Scram(ScramHash::Sha512)),
            "plain" => Some(SaslMechanism::Plain),
            "anonymous" => Some(SaslMechanism::Anonymous),
            "oauth" => Some(SaslMechanism::Oauth),
            n if n.starts_with("scram_sha") && n.ends_with("_plus") => {
                diag.warn(
                    path,
                    format!("{n}: channel binding is impossible over HTTP transports; ignored"),
                );
                None
            }
            "external" | "ht_sha1" | "ht_sha224" | "ht_sha256" | "ht_sha384" | "ht_sha512" => {
                diag.warn(
                    path,
                    format!("{name}: SASL mechanism not implemented by meerkat; ignored"),
                );
                None
            }
            other => {
                diag.error(path, format!("unknown SASL mechanism \"{other}\""));
                None
            }
        };
        if let Some(m) = mech {
            // With stored SCRAM keys, only the stored hashes can be offered.
            let usable = match m {
                SaslMechanism::Scram(h) => {
                    password_format == PasswordFormat::Plain || scram_hashes.contains(&h)
                }
                SaslMechanism::Anonymous => anonymous.is_some(),
                _ => true,
            };
            if usable && !sasl_mechanisms.contains(&m) {
                sasl_mechanisms.push(m);
            }
        }
    }
    let max_users_per_domain = s.get_or("max_users_per_domain", Limit::Infinity, diag);
    for (key, _) in s.remaining().collect::<Vec<_>>() {
        if known::AUTH_OPTIONS.contains(&key) {
            diag.warn(
                s.key_path(key),
                "MongooseIM auth option not implemented by meerkat; ignored",
            );
        } else {
            diag.error(s.key_path(key), "unknown option");
        }
    }
    AuthConfig {
        password_format,
        scram_hashes,
        scram_iterations,
        sasl_mechanisms,
        anonymous,
        anonymous_allow_multiple_connections,
        max_users_per_domain,
        login_throttle,
    }
}

fn read_bosh(mut s: Section<'_>, with_host_types: bool, diag: &mut Diagnostics) -> BoshSettings {
    let secs = |l: Limit| l.finite().map(Duration::from_secs);
    let inactivity = s
        .opt::<PositiveLimit>("inactivity", diag)
        .map_or(Some(Duration::from_secs(30)), |l| secs(l.0));
    // 60 s when absent (MongooseIM: "infinity"); "infinity" is capped by the handler.
    let max_wait = s
        .opt::<PositiveLimit>("max_wait", diag)
        .map_or(Some(Duration::from_secs(60)), |l| secs(l.0));
    let server_acks = s.get_or("server_acks", false, diag);
    let max_pause = Duration::from_secs(s.get_or("max_pause", Positive(120), diag).0);
    if let Some(b) = s.opt::<String>("backend", diag)
        && b != "mnesia"
        && b != "cets"
    {
        diag.error(
            s.key_path("backend"),
            format!("expected \"mnesia\" or \"cets\", found \"{b}\""),
        );
    }
    let host_types = if with_host_types {
        s.opt::<Vec<String>>("host_types", diag)
    } else {
        None
    };
    s.finish(diag);
    BoshSettings {
        inactivity,
        max_wait,
        server_acks,
        max_pause,
        host_types,
    }
}

fn read_modules(
    section: Option<Section<'_>>,
    registry: &[ModuleDescriptor],
    diag: &mut Diagnostics,
) -> (ModuleSet, Option<BoshSettings>) {
    let mut set = ModuleSet::default();
    let mut bosh = None;
    let Some(mut s) = section else {
        return (set, bosh);
    };
    let names: Vec<String> = s.table().keys().cloned().collect();
    for name in names {
        let path = s.key_path(&name);
        let table = match s.raw(&name) {
            Some(Value::Table(t)) => t,
            Some(other) => {
                diag.error(
                    path,
                    format!("expected a table, found {}", type_name(other)),
                );
                continue;
            }
            None => continue,
        };
        if name == "mod_bosh" {
            bosh = Some(read_bosh(Section::new(path, table), false, diag));
        } else if set.read_one(
            registry,
            &name,
            Section::new(path.clone(), table),
            table,
            diag,
        ) {
        } else if known::MODULES.contains(&name.as_str()) {
            diag.warn(
                path,
                "MongooseIM module not implemented by meerkat yet; ignored",
            );
        } else {
            diag.error(path, "unknown module");
        }
    }
    (set, bosh)
}

fn read_services(section: Option<Section<'_>>, diag: &mut Diagnostics) -> Option<BoshSettings> {
    let mut s = section?;
    let mut bosh = None;
    let names: Vec<String> = s.table().keys().cloned().collect();
    for name in names {
        let path = s.key_path(&name);
        match s.raw(&name) {
            Some(Value::Table(t)) if name == "service_bosh" => {
                bosh = Some(read_bosh(Section::new(path, t), true, diag));
            }
            Some(Value::Table(_)) if known::SERVICES.contains(&name.as_str()) => {
                diag.warn(
                    path,
                    "MongooseIM service not implemented by meerkat yet; ignored",
                );
            }
            Some(Value::Table(_)) => diag.error(path, "unknown service"),
            Some(other) => diag.error(
                path,
                format!("expected a table, found {}", type_name(other)),
            ),
            None => {}
        }
    }
    bosh
}

fn read_instrumentation(
    section: Option<Section<'_>>,
    diag: &mut Diagnostics,
) -> InstrumentationConfig {
    let mut cfg = InstrumentationConfig {
        probe_interval: Duration::from_secs(15),
        prometheus: false,
    };
    let Some(mut s) = section else { return cfg };
    cfg.probe_interval = Duration::from_secs(s.get_or("probe_interval", Positive(15), diag).0);
    if let Some(p) = s.table_opt("prometheus", diag) {
        cfg.prometheus = true;
        p.finish(diag);
    }
    for other in ["exometer", "log"] {
        if s.raw(other).is_some() {
            diag.warn(
                s.key_path(other),
                "instrumentation handler not implemented by meerkat; ignored",
            );
        }
    }
    s.finish(diag);
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> (ServerConfig, Diagnostics) {
        let t: Table = toml::from_str(s).unwrap();
        let mut d = Diagnostics::default();
        (ServerConfig::read(&t, &mut d), d)
    }

    #[test]
    fn defaults() {
        let (c, d) = read("[general]\nhosts = [\"LocalHost\"]\n");
        assert!(d.errors.is_empty(), "{d}");
        assert_eq!(c.general.hosts, ["localhost"]);
        assert_eq!(c.general.default_server_domain, "localhost");
        assert_eq!(c.general.loglevel, LogLevel::Warning);
        assert_eq!(c.auth.password_format, PasswordFormat::Scram);
        assert_eq!(c.auth.scram_iterations, 10_000);
        assert_eq!(
            c.auth.sasl_mechanisms.first(),
            Some(&SaslMechanism::Scram(
                meerkat_xmpp::scram::ScramHash::Sha512
            ))
        );
        assert!(!c.auth.sasl_mechanisms.contains(&SaslMechanism::Anonymous));
        assert!(c.bosh.is_none());
    }

    #[test]
    fn every_problem_reported() {
        let (_, d) = read(
            "[general]\nhosts = [\"a\", \"a\"]\nloglevel = \"loud\"\ntypo = 1\n[modules.mod_rooster]\n[modules.mod_roster]\nversioning = \"yes\"\nbackend = \"mnesia\"\n[auth.password]\nhash = [\"md5\"]\n[servics]\n",
        );
        let got: Vec<String> = d.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "general.hosts[1]: duplicate host \"a\"",
                "general.loglevel: unknown log level \"loud\"; expected one of none, emergency, alert, critical, error, warning, notice, info, debug, all",
                "general.typo: unknown option",
                "auth.password.hash: unknown hash \"md5\"; expected sha, sha224, sha256, sha384 or sha512",
                "modules.mod_rooster: unknown module",
                "modules.mod_roster.versioning: expected a boolean, found a string",
                "servics: unknown section; expected one of general, listen, auth, outgoing_pools, internal_databases, services, modules, instrumentation, shaper, acl, access, s2s, host_config",
            ]
        );
        assert!(
            d.warnings
                .iter()
                .any(|w| w.path == "modules.mod_roster.backend")
        );
    }

    #[test]
    fn bosh_from_service_or_module() {
        let (c, d) = read(
            "[general]\nhosts=[\"h\"]\n[services.service_bosh]\ninactivity = 2\nmax_wait = 5\n",
        );
        assert!(d.is_ok(), "{d}");
        let b = c.bosh.unwrap();
        assert_eq!(b.inactivity, Some(Duration::from_secs(2)));
        assert_eq!(b.max_wait, Some(Duration::from_secs(5)));
        assert_eq!(b.max_pause, Duration::from_secs(120));
        let (c, d) =
            read("[general]\nhosts=[\"h\"]\n[modules.mod_bosh]\ninactivity = \"infinity\"\n");
        assert!(d.is_ok(), "{d}");
        let b = c.bosh.unwrap();
        assert_eq!(b.inactivity, None);
        assert_eq!(
            b.max_wait,
            Some(Duration::from_secs(60)),
            "finite by default"
        );
    }

    #[test]
    fn host_types_are_read_and_checked() {
        let (c, d) = read("[general]\nhosts = [\"h\"]\nhost_types = [\"dyn type\"]\n");
        assert!(d.is_ok(), "{d}");
        assert!(d.warnings.is_empty(), "{d}");
        assert_eq!(c.general.host_types, ["dyn type"]);
        assert_eq!(c.all_host_types(), ["h", "dyn type"]);
        let (_, d) = read("[general]\nhosts = [\"h\"]\nhost_types = [\"t\", \"t\", \"h\", \"\"]\n");
        let got: Vec<String> = d.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "general.host_types[1]: duplicate host type \"t\"",
                "general.host_types[2]: \"h\" is also in general.hosts; hosts and host types must be unique",
                "general.host_types[3]: a host type must not be empty",
            ]
        );
        // Host types alone are enough.
        let (c, d) = read("[general]\nhosts = []\nhost_types = [\"t\"]\n");
        assert!(d.is_ok(), "{d}");
        assert!(c.general.hosts.is_empty());
    }

    #[test]
    fn auth_token_validity_periods() {
        let (c, d) = read(
            "[general]\nhosts=[\"h\"]\n[modules.mod_auth_token]\nvalidity_period.access = {value = 13, unit = \"minutes\"}\n",
        );
        assert!(d.is_ok(), "{d}");
        let settings = c
            .modules
            .config::<crate::modules::auth_token::AuthToken>()
            .expect("mod_auth_token configured");
        assert_eq!(settings.access_validity, Duration::from_secs(13 * 60));
        assert_eq!(
            settings.refresh_validity,
            Duration::from_secs(25 * 24 * 3600)
        );
        let (_, d) = read(
            "[general]\nhosts=[\"h\"]\n[modules.mod_auth_token]\nvalidity_period.refresh = {value = 1, unit = \"weeks\"}\nvalidity_period.access = {unit = \"days\"}\n",
        );
        let got: Vec<String> = d.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "modules.mod_auth_token.validity_period.access.value: mandatory option is missing",
                "modules.mod_auth_token.validity_period.refresh.unit: expected days, hours, minutes or seconds, found \"weeks\"",
            ]
        );
    }

    #[test]
    fn missing_general_is_an_error() {
        let (_, d) = read("");
        assert_eq!(d.errors[0].path, "general");
    }
}
