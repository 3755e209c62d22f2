//! `meerkat ctl`: MongooseIM's `mongooseimctl <category> <command> --arg value ...` over
//! the admin GraphQL API of the running server.
//!
//! It finds the first `mongoose_graphql_handler` with `schema_endpoint = "admin"` in the
//! same config file the server runs with (`--config`), preferring one on a plain-HTTP
//! listener, and its credentials. The commands are built from the served schema, as MongooseIM's
//! `mongoose_graphql_commands` does: every field of a category of the query, mutation and
//! subscription types is a command, its arguments are the command's `--name value`
//! options, and the document selects every field of the result (object types that
//! repeat more than once on a path are cut to `__typename`). Scalars are passed as text
//! (Int, PosInt, NonNegInt, Float and Boolean are converted); lists and input objects as
//! JSON. The result is printed as indented JSON; the exit status is 1 when it has
//! errors. Subscriptions are read from `<path>/sse` and print one JSON document per event.
//!
//! The HTTP client is a minimal HTTP/1.1 one over `std::net::TcpStream` to the listener's
//! address (127.0.0.1 or ::1 for a wildcard address): one request per connection,
//! `Content-Length` or chunked bodies. It keeps an HTTP client library out of the
//! server binary. On a TLS listener (`[listen.http.tls]`) it speaks TLS with rustls,
//! which the server already links: the certificate must be valid for the name sent as
//! `Host` (the handler's `host`, or `localhost` for `_`) and chain to `--cacert FILE`
//! (PEM) if given, else to the system's trusted roots (`rustls-native-certs`, the same
//! store curl and openssl use). A listener that asks for a client certificate
//! (`tls.verify_mode`, "peer" by default) gets the one of `--cert` and `--key`.

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use meerkat::ConfigSource;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Exit status of a usage message without a command (as `mongooseimctl`).
const STATUS_USAGE: u8 = 2;
/// How deep the same object type may repeat on a path of the result selection.
const MAX_TYPE_RECURSION_DEPTH: usize = 2;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// The files of `--cacert`, `--cert` and `--key`, for a TLS listener.
#[derive(Debug, Default)]
pub struct TlsFiles {
    /// CA certificates (PEM) trusted instead of the system's.
    pub cacert: Option<PathBuf>,
    /// A client certificate chain and its key (PEM).
    pub client: Option<(PathBuf, PathBuf)>,
}

/// Runs `meerkat ctl ARGS...`.
pub fn main(args: Vec<String>, source: &ConfigSource, tls: &TlsFiles) -> ExitCode {
    match run(&args, source, tls) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("meerkat ctl: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String], source: &ConfigSource, files: &TlsFiles) -> anyhow::Result<u8> {
    let text = source
        .read()
        .map_err(|d| anyhow!("{}", d.to_string().trim_end()))?;
    let endpoint = find_endpoint(&text).with_context(|| format!("{source}"))?;
    let tls = if endpoint.tls {
        Some(tls_config(files)?)
    } else {
        None
    };
    let client = Client { endpoint, tls };
    let spec = Spec::fetch(&client)?;
    let Some(category_name) = args.first() else {
        print!("{}", spec.usage());
        return Ok(STATUS_USAGE);
    };
    let Some(category) = spec.categories.get(category_name.as_str()) else {
        eprintln!("Unknown category '{category_name}'\n");
        eprint!("{}", spec.usage());
        return Ok(1);
    };
    let Some(command_name) = args.get(1) else {
        print!("{}", category.usage(category_name));
        return Ok(0);
    };
    if command_name == "--help" {
        print!("{}", category.usage(category_name));
        return Ok(0);
    }
    let Some(command) = category.commands.get(command_name.as_str()) else {
        eprintln!("Unknown command '{command_name}'\n");
        eprint!("{}", category.usage(category_name));
        return Ok(1);
    };
    let rest = &args[2..];
    if rest.iter().any(|a| a == "--help") {
        print!("{}", command.usage(category_name, command_name));
        return Ok(0);
    }
    let vars = match command.parse_args(command_name, rest) {
        Ok(v) => v,
        Err(message) => {
            eprintln!("{message}\n");
            eprint!("{}", command.usage(category_name, command_name));
            return Ok(1);
        }
    };
    if command.op_type == "subscription" {
        return client.subscribe(&command.doc, &vars);
    }
    let (status, body) = client.post(&json!({"query": command.doc, "variables": vars}))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&body).unwrap_or_else(|_| body.to_string())
    );
    Ok(if status == 200 && body.get("errors").is_none() {
        0
    } else {
        1
    })
}

/// Where the admin GraphQL API listens.
#[derive(Debug, PartialEq, Eq)]
struct Endpoint {
    addr: SocketAddr,
    host: String,
    path: String,
    credentials: Option<(String, String)>,
    /// On a TLS listener.
    tls: bool,
}

/// The first admin GraphQL endpoint in the config text on a plain-HTTP listener, else
/// the first on a TLS listener.
fn find_endpoint(text: &str) -> anyhow::Result<Endpoint> {
    let root: toml::Table = toml::from_str(text).context("invalid TOML")?;
    let listeners = root
        .get("listen")
        .and_then(|l| l.get("http"))
        .and_then(|h| h.as_array())
        .cloned()
        .unwrap_or_default();
    let mut on_tls = None;
    for listener in &listeners {
        let handlers = listener
            .get("handlers")
            .and_then(|h| h.get("mongoose_graphql_handler"))
            .and_then(|h| h.as_array())
            .cloned()
            .unwrap_or_default();
        for h in handlers {
            if h.get("schema_endpoint").and_then(|v| v.as_str()) != Some("admin") {
                continue;
            }
            let tls = listener.get("tls").is_some();
            if tls && on_tls.is_some() {
                continue;
            }
            let port = listener
                .get("port")
                .and_then(|p| p.as_integer())
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p != 0)
                .ok_or_else(|| anyhow!("the admin GraphQL listener has no fixed port"))?;
            let ip: IpAddr = match listener.get("ip_address").and_then(|v| v.as_str()) {
                None => Ipv4Addr::LOCALHOST.into(),
                Some(s) => s
                    .parse()
                    .with_context(|| format!("invalid ip_address \"{s}\""))?,
            };
            let ip = match ip {
                IpAddr::V4(v4) if v4.is_unspecified() => Ipv4Addr::LOCALHOST.into(),
                IpAddr::V6(v6) if v6.is_unspecified() => Ipv6Addr::LOCALHOST.into(),
                other => other,
            };
            let host = match h.get("host").and_then(|v| v.as_str()) {
                None | Some("_") => "localhost".to_owned(),
                Some(host) => host.to_owned(),
            };
            let path = h
                .get("path")
                .and_then(|v| v.as_str())
                .unwrap_or("/")
                .to_owned();
            let credentials = match (
                h.get("username").and_then(|v| v.as_str()),
                h.get("password").and_then(|v| v.as_str()),
            ) {
                (Some(u), Some(p)) => Some((u.to_owned(), p.to_owned())),
                _ => None,
            };
            let endpoint = Endpoint {
                addr: SocketAddr::new(ip, port),
                host,
                path,
                credentials,
                tls,
            };
            if !tls {
                return Ok(endpoint);
            }
            on_tls = Some(endpoint);
        }
    }
    if let Some(endpoint) = on_tls {
        return Ok(endpoint);
    }
    bail!("no [[listen.http]] has a mongoose_graphql_handler with schema_endpoint = \"admin\"")
}

/// A connection to the server, plain or TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Conn {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.set_read_timeout(timeout),
            Conn::Tls(s) => s.sock.set_read_timeout(timeout),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            // A server that closes without close_notify ends the body as a plain one
            // would: bodies are delimited by Content-Length or chunks, and the rest (an
            // SSE stream, an error answer) ends with the connection anyway.
            Conn::Tls(s) => match s.read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            },
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// The certificates of a PEM file named by `option`.
fn read_certs(
    option: &str,
    path: &Path,
) -> anyhow::Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let pem =
        std::fs::read(path).with_context(|| format!("cannot read {option} {}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{option} {}", path.display()))?;
    if certs.is_empty() {
        bail!("{option} {}: no certificate in the file", path.display());
    }
    Ok(certs)
}

/// The TLS client configuration: roots from `--cacert` (PEM), else the system's; the
/// client certificate of `--cert` and `--key`, if given.
fn tls_config(files: &TlsFiles) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match &files.cacert {
        Some(path) => {
            for cert in read_certs("--cacert", path)? {
                roots
                    .add(cert)
                    .with_context(|| format!("--cacert {}", path.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                bail!(
                    "no trusted CA certificates found on this system ({} errors); pass --cacert FILE",
                    found.errors.len()
                );
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let mut config = match &files.client {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = read_certs("--cert", cert)?;
            let key = PrivateKeyDer::from_pem_file(key).with_context(|| {
                format!("--key {}: no readable unencrypted PEM key", key.display())
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .context("--cert and --key do not match")?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A response head and body.
struct Response {
    status: u16,
    chunked: bool,
    reader: BufReader<Conn>,
    content_length: Option<usize>,
    content_type: String,
}

struct Client {
    endpoint: Endpoint,
    /// Set for a TLS listener.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Client {
    fn send(&self, head: &str, body: &[u8]) -> anyhow::Result<Response> {
        let ep = &self.endpoint;
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let tcp = TcpStream::connect_timeout(&ep.addr, CONNECT_TIMEOUT).with_context(|| {
            format!(
                "cannot connect to the admin GraphQL endpoint at {scheme}://{}{} (is meerkat running with this config?)",
                ep.addr, ep.path
            )
        })?;
        tcp.set_read_timeout(Some(READ_TIMEOUT))?;
        tcp.set_write_timeout(Some(READ_TIMEOUT))?;
        let mut stream = match &self.tls {
            None => Conn::Plain(tcp),
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from(ep.host.clone())
                    .with_context(|| format!("\"{}\" is not a TLS server name", ep.host))?;
                let mut conn = rustls::ClientConnection::new(config.clone(), name)?;
                let mut tcp = tcp;
                while conn.is_handshaking() {
                    conn.complete_io(&mut tcp).with_context(|| {
                        format!(
                            "TLS handshake with the admin GraphQL endpoint at {scheme}://{}{} (as {}) failed",
                            ep.addr, ep.path, ep.host
                        )
                    })?;
                }
                Conn::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
            }
        };
        let mut request = head.to_owned();
        request.push_str(&format!("Host: {}\r\n", ep.host));
        if let Some((u, p)) = &ep.credentials {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            request.push_str(&format!("Authorization: Basic {token}\r\n"));
        }
        request.push_str("Accept-Encoding: identity\r\nConnection: close\r\n\r\n");
        // A TLS 1.3 server refuses a missing client certificate after the handshake: the
        // request or the answer fails.
        let failed = || {
            let hint = if self.tls.is_some() {
                " (if its listener asks for a client certificate, pass --cert and --key)"
            } else {
                ""
            };
            format!(
                "the request to {scheme}://{}{} failed{hint}",
                ep.addr, ep.path
            )
        };
        stream
            .write_all(request.as_bytes())
            .and_then(|()| stream.write_all(body))
            .and_then(|()| stream.flush())
            .with_context(failed)?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).with_context(failed)?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("not an HTTP response: {line:?}"))?;
        let (mut chunked, mut content_length, mut content_type) = (false, None, String::new());
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "content-length" => content_length = value.parse().ok(),
                "content-type" => content_type = value.to_owned(),
                _ => {}
            }
        }
        Ok(Response {
            status,
            chunked,
            reader,
            content_length,
            content_type,
        })
    }

    /// POSTs a JSON body; returns the status and the JSON answer.
    fn post(&self, body: &Value) -> anyhow::Result<(u16, Value)> {
        let body = body.to_string();
        let head = format!(
            "POST {} HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n",
            self.endpoint.path,
            body.len()
        );
        let mut r = self.send(&head, body.as_bytes())?;
        let bytes = r.body()?;
        let value = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "HTTP {}: not a JSON answer: {}",
                r.status,
                String::from_utf8_lossy(&bytes)
            )
        })?;
        Ok((r.status, value))
    }

    /// Runs a subscription over `<path>/sse`, printing each event until the stream ends.
    fn subscribe(&self, doc: &str, vars: &Value) -> anyhow::Result<u8> {
        let query = format!(
            "query={}&variables={}",
            percent_encode(doc),
            percent_encode(&vars.to_string())
        );
        let head = format!(
            "GET {}/sse?{query} HTTP/1.1\r\nAccept: text/event-stream\r\n",
            self.endpoint.path.trim_end_matches('/')
        );
        let mut r = self.send(&head, &[])?;
        r.reader.get_ref().set_read_timeout(None)?;
        if !r.content_type.starts_with("text/event-stream") {
            let bytes = r.body()?;
            let value: Value = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
            println!("{}", serde_json::to_string_pretty(&value)?);
            return Ok(1);
        }
        let mut data = String::new();
        let mut on_line = |line: &str| -> anyhow::Result<()> {
            if let Some(d) = line.strip_prefix("data:") {
                data.push_str(d.strip_prefix(' ').unwrap_or(d));
            } else if line.is_empty() && !data.is_empty() {
                let value: Value = serde_json::from_str(&data)?;
                println!("{}", serde_json::to_string_pretty(&value)?);
                std::io::stdout().flush()?;
                data.clear();
            }
            Ok(())
        };
        let mut pending = String::new();
        r.stream_body(|bytes| {
            pending.push_str(&String::from_utf8_lossy(bytes));
            while let Some(i) = pending.find('\n') {
                let line: String = pending.drain(..=i).collect();
                on_line(line.trim_end_matches(['\r', '\n']))?;
            }
            Ok(())
        })?;
        Ok(0)
    }
}

impl Response {
    /// The whole body.
    fn body(&mut self) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        if let (false, Some(n)) = (self.chunked, self.content_length) {
            out.resize(n, 0);
            self.reader.read_exact(&mut out)?;
            return Ok(out);
        }
        self.stream_body(|b| {
            out.extend_from_slice(b);
            Ok(())
        })?;
        Ok(out)
    }

    /// Feeds the body to `f` as it arrives.
    fn stream_body(
        &mut self,
        mut f: impl FnMut(&[u8]) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if !self.chunked {
            let mut buf = [0u8; 8192];
            loop {
                let n = self.reader.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                f(&buf[..n])?;
            }
        }
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| anyhow!("bad chunk size {line:?}"))?;
            if size == 0 {
                return Ok(());
            }
            let mut chunk = vec![0u8; size];
            self.reader.read_exact(&mut chunk)?;
            f(&chunk)?;
            line.clear();
            self.reader.read_line(&mut line)?; // CRLF after the chunk
        }
    }
}

/// Percent-encodes a query-string value: everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, ESCAPED).to_string()
}

/// graphql-js's introspection query, trimmed to what the commands need.
const INTROSPECTION: &str = "query { __schema { queryType { name } mutationType { name } subscriptionType { name } types { kind name description fields { name description args { name description type { ...T } } type { ...T } } possibleTypes { kind name } } } } fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";

/// How an argument's type wraps its named type, outermost first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wrap {
    Required,
    List,
}

#[derive(Debug)]
struct ArgSpec {
    name: String,
    type_name: String,
    kind: String,
    wrap: Vec<Wrap>,
}

impl ArgSpec {
    fn type_text(&self) -> String {
        fn render(wrap: &[Wrap], name: &str) -> String {
            match wrap.split_first() {
                None => name.to_owned(),
                Some((Wrap::Required, rest)) => format!("{}!", render(rest, name)),
                Some((Wrap::List, rest)) => format!("[{}]", render(rest, name)),
            }
        }
        render(&self.wrap, &self.type_name)
    }

    fn required(&self) -> bool {
        self.wrap.first() == Some(&Wrap::Required)
    }

    /// Lists and input objects are given as JSON; other values as text.
    fn is_json(&self) -> bool {
        self.kind == "INPUT_OBJECT" || self.wrap.contains(&Wrap::List)
    }

    fn parse(&self, value: &str) -> Option<Value> {
        if self.is_json() {
            return serde_json::from_str(value).ok();
        }
        match self.type_name.as_str() {
            "Int" | "PosInt" | "NonNegInt" => value.parse::<i64>().ok().map(Value::from),
            "Float" => value.parse::<f64>().ok().map(Value::from),
            "Boolean" => value.parse::<bool>().ok().map(Value::from),
            _ => Some(Value::String(value.to_owned())),
        }
    }
}

#[derive(Debug)]
struct Command {
    op_type: &'static str,
    desc: String,
    args: Vec<ArgSpec>,
    doc: String,
}

impl Command {
    fn parse_args(&self, name: &str, args: &[String]) -> Result<Value, String> {
        let mut vars = Map::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let Some(arg_name) = flag.strip_prefix("--") else {
                return Err("Could not parse the command arguments".to_owned());
            };
            let Some(spec) = self.args.iter().find(|a| a.name == arg_name) else {
                return Err(format!(
                    "Unknown argument '{arg_name}' for command '{name}'"
                ));
            };
            let Some(value) = it.next() else {
                return Err("Could not parse the command arguments".to_owned());
            };
            let parsed = spec.parse(value).ok_or_else(|| {
                format!("Invalid value '{value}' of argument '{arg_name}' for command '{name}'")
            })?;
            vars.insert(arg_name.to_owned(), parsed);
        }
        let missing: Vec<String> = self
            .args
            .iter()
            .filter(|a| a.required() && !vars.contains_key(&a.name))
            .map(|a| format!("'{}'", a.name))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "Missing mandatory arguments for command '{name}': {}",
                missing.join(", ")
            ));
        }
        Ok(Value::Object(vars))
    }

    fn synopsis(&self) -> String {
        self.args
            .iter()
            .map(|a| {
                if a.required() {
                    format!("--{} {}", a.name, a.type_text())
                } else {
                    format!("[--{} {}]", a.name, a.type_text())
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn usage(&self, category: &str, name: &str) -> String {
        let mut out = format!(
            "Usage: meerkat ctl {category} {name} arguments\n\n{}\n\nEach argument has the format: --name value\nAvailable arguments are listed below with the corresponding GraphQL types:\n",
            self.desc
        );
        let width = self.args.iter().map(|a| a.name.len()).max().unwrap_or(0);
        for a in &self.args {
            out.push_str(&format!("  {:width$}  {}\n", a.name, a.type_text()));
        }
        out.push_str("\nScalar values do not need quoting unless they contain special characters or spaces.\nComplex input types are passed as JSON maps or lists, depending on the type.\nWhen a type is followed by '!', the corresponding argument is required.\n");
        out
    }
}

#[derive(Debug, Default)]
struct Category {
    desc: String,
    commands: BTreeMap<String, Command>,
}

impl Category {
    fn usage(&self, name: &str) -> String {
        let mut out = format!(
            "Usage: meerkat ctl {name} command arguments\n\nThe following commands are available in the category '{name}':\n"
        );
        for (cmd, c) in &self.commands {
            out.push_str(&format!("\n  {cmd} {}\n", c.synopsis()));
            if !c.desc.is_empty() {
                out.push_str(&format!("      {}\n", one_line(&c.desc)));
            }
        }
        out.push_str(&format!(
            "\nTo list the arguments for a particular command:\n  meerkat ctl {name} command --help\n"
        ));
        out
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The commands of the admin schema, by category.
#[derive(Debug)]
struct Spec {
    categories: BTreeMap<String, Category>,
}

impl Spec {
    fn fetch(client: &Client) -> anyhow::Result<Spec> {
        let (status, body) = client.post(&json!({"query": INTROSPECTION}))?;
        if status != 200 || body.get("errors").is_some() {
            bail!("cannot read the admin schema (HTTP {status}): {body}");
        }
        Spec::from_introspection(&body["data"]["__schema"])
    }

    fn from_introspection(schema: &Value) -> anyhow::Result<Spec> {
        let types: BTreeMap<&str, &Value> = schema["types"]
            .as_array()
            .ok_or_else(|| anyhow!("no types in the schema"))?
            .iter()
            .filter_map(|t| Some((t["name"].as_str()?, t)))
            .collect();
        let mut categories: BTreeMap<String, Category> = BTreeMap::new();
        for (root_key, op_type) in [
            ("queryType", "query"),
            ("mutationType", "mutation"),
            ("subscriptionType", "subscription"),
        ] {
            let Some(root) = schema[root_key]["name"].as_str() else {
                continue;
            };
            for cat in fields(&types, root) {
                let name = cat["name"].as_str().unwrap_or_default();
                let cat_type = named(&cat["type"]);
                if name == "checkAuth"
                    || !types
                        .get(cat_type.as_str())
                        .is_some_and(|t| t["kind"] == "OBJECT")
                {
                    continue;
                }
                let entry = categories.entry(name.to_owned()).or_default();
                if entry.desc.is_empty() {
                    entry.desc = cat["description"].as_str().unwrap_or_default().to_owned();
                }
                for op in fields(&types, &cat_type) {
                    let op_name = op["name"].as_str().unwrap_or_default().to_owned();
                    let args: Vec<ArgSpec> = op["args"]
                        .as_array()
                        .map(|a| a.iter().map(arg_spec).collect())
                        .unwrap_or_default();
                    let selection = selection(&types, &op["type"], &mut Vec::new());
                    let doc = document(op_type, name, &op_name, &args, &selection);
                    entry.commands.insert(
                        op_name,
                        Command {
                            op_type,
                            desc: op["description"].as_str().unwrap_or_default().to_owned(),
                            args,
                            doc,
                        },
                    );
                }
            }
        }
        Ok(Spec { categories })
    }

    fn usage(&self) -> String {
        let mut out = String::from(
            "Usage: meerkat ctl [category] command [arguments]\n\nMost MongooseIM commands are grouped into the following categories:\n",
        );
        let width = self.categories.keys().map(String::len).max().unwrap_or(0);
        for (name, c) in &self.categories {
            out.push_str(&format!("  {name:width$}  {}\n", one_line(&c.desc)));
        }
        out.push_str("\nTo list the commands in a particular category:\n  meerkat ctl category\n");
        out
    }
}

fn fields(types: &BTreeMap<&str, &Value>, name: &str) -> Vec<Value> {
    types
        .get(name)
        .and_then(|t| t["fields"].as_array().cloned())
        .unwrap_or_default()
}

fn named(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL" | "LIST") => named(&t["ofType"]),
        _ => t["name"].as_str().unwrap_or_default().to_owned(),
    }
}

fn arg_spec(a: &Value) -> ArgSpec {
    let mut wrap = Vec::new();
    let mut t = &a["type"];
    loop {
        match t["kind"].as_str() {
            Some("NON_NULL") => wrap.push(Wrap::Required),
            Some("LIST") => wrap.push(Wrap::List),
            _ => break,
        }
        t = &t["ofType"];
    }
    ArgSpec {
        name: a["name"].as_str().unwrap_or_default().to_owned(),
        type_name: t["name"].as_str().unwrap_or_default().to_owned(),
        kind: t["kind"].as_str().unwrap_or_default().to_owned(),
        wrap,
    }
}

/// The selection set for a result type (empty for scalars and enums).
fn selection(types: &BTreeMap<&str, &Value>, t: &Value, path: &mut Vec<String>) -> String {
    let name = named(t);
    let Some(ty) = types.get(name.as_str()) else {
        return String::new();
    };
    match ty["kind"].as_str() {
        Some("OBJECT") => {
            if path.iter().filter(|p| **p == name).count() >= MAX_TYPE_RECURSION_DEPTH {
                return " { __typename }".to_owned();
            }
            path.push(name.clone());
            let parts: Vec<String> = fields(types, &name)
                .iter()
                .map(|f| {
                    format!(
                        "{}{}",
                        f["name"].as_str().unwrap_or_default(),
                        selection(types, &f["type"], path)
                    )
                })
                .collect();
            path.pop();
            format!(" {{ {} }}", parts.join(" "))
        }
        Some("UNION" | "INTERFACE") => {
            let parts: Vec<String> = ty["possibleTypes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    let pname = p["name"].as_str().unwrap_or_default();
                    format!("... on {pname}{}", selection(types, p, path))
                })
                .collect();
            format!(" {{ __typename {} }}", parts.join(" "))
        }
        _ => String::new(),
    }
}

fn document(op_type: &str, category: &str, command: &str, args: &[ArgSpec], sel: &str) -> String {
    if args.is_empty() {
        return format!("{op_type} {{ {category} {{ {command}{sel} }} }}");
    }
    let decls: Vec<String> = args
        .iter()
        .map(|a| format!("${}: {}", a.name, a.type_text()))
        .collect();
    let uses: Vec<String> = args.iter().map(|a| format!("{0}: ${0}", a.name)).collect();
    format!(
        "{op_type}({}) {{ {category} {{ {command}({}){sel} }} }}",
        decls.join(", "),
        uses.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_plain_admin_endpoint() {
        let text = r#"
[[listen.http]]
  port = 5541
  [[listen.http.handlers.mongoose_graphql_handler]]
    host = "_"
    path = "/api/graphql"
    schema_endpoint = "domain_admin"
[[listen.http]]
  port = 5542
  ip_address = "0.0.0.0"
  [listen.http.tls]
    certfile = "c.pem"
  [[listen.http.handlers.mongoose_graphql_handler]]
    host = "_"
    path = "/api/graphql"
    schema_endpoint = "admin"
[[listen.http]]
  port = 5551
  ip_address = "0.0.0.0"
  [[listen.http.handlers.mongoose_graphql_handler]]
    host = "admin.example"
    path = "/api/graphql"
    schema_endpoint = "admin"
    username = "admin"
    password = "secret"
"#;
        assert_eq!(
            find_endpoint(text).unwrap(),
            Endpoint {
                addr: "127.0.0.1:5551".parse().unwrap(),
                host: "admin.example".into(),
                path: "/api/graphql".into(),
                credentials: Some(("admin".into(), "secret".into())),
                tls: false,
            }
        );
        let err = find_endpoint("[general]\nhosts = [\"a\"]\n").unwrap_err();
        assert!(
            err.to_string().contains("schema_endpoint = \"admin\""),
            "{err}"
        );
        // Only on TLS: that one.
        let tls = "[[listen.http]]\nport = 1\n[listen.http.tls]\n[[listen.http.handlers.mongoose_graphql_handler]]\nschema_endpoint = \"admin\"\n";
        let ep = find_endpoint(tls).unwrap();
        assert!(ep.tls);
        assert_eq!((ep.addr.port(), ep.host.as_str()), (1, "localhost"));
    }

    #[test]
    fn arguments_are_typed_and_checked() {
        let schema = json!({
            "queryType": {"name": "Q"},
            "mutationType": {"name": "M"},
            "subscriptionType": null,
            "types": [
                {"kind": "OBJECT", "name": "Q", "fields": [
                    {"name": "checkAuth", "args": [], "type": {"kind": "OBJECT", "name": "Auth"}},
                    {"name": "account", "description": "Account management", "args": [], "type": {"kind": "OBJECT", "name": "AQ"}}]},
                {"kind": "OBJECT", "name": "M", "fields": [
                    {"name": "account", "description": "Account management", "args": [], "type": {"kind": "OBJECT", "name": "AM"}}]},
                {"kind": "OBJECT", "name": "Auth", "fields": [{"name": "x", "args": [], "type": {"kind": "SCALAR", "name": "String"}}]},
                {"kind": "OBJECT", "name": "AQ", "fields": [
                    {"name": "countUsers", "description": "Count", "args": [
                        {"name": "domain", "type": {"kind": "NON_NULL", "ofType": {"kind": "SCALAR", "name": "DomainName"}}}],
                     "type": {"kind": "SCALAR", "name": "Int"}}]},
                {"kind": "OBJECT", "name": "AM", "fields": [
                    {"name": "registerUser", "description": "Register", "args": [
                        {"name": "domain", "type": {"kind": "NON_NULL", "ofType": {"kind": "SCALAR", "name": "DomainName"}}},
                        {"name": "limit", "type": {"kind": "SCALAR", "name": "PosInt"}},
                        {"name": "tags", "type": {"kind": "LIST", "ofType": {"kind": "NON_NULL", "ofType": {"kind": "SCALAR", "name": "String"}}}}],
                     "type": {"kind": "OBJECT", "name": "Payload"}}]},
                {"kind": "OBJECT", "name": "Payload", "fields": [
                    {"name": "jid", "args": [], "type": {"kind": "SCALAR", "name": "JID"}},
                    {"name": "self", "args": [], "type": {"kind": "OBJECT", "name": "Payload"}}]}
            ]
        });
        let spec = Spec::from_introspection(&schema).unwrap();
        assert_eq!(spec.categories.keys().collect::<Vec<_>>(), ["account"]);
        let account = &spec.categories["account"];
        assert_eq!(account.desc, "Account management");
        let count = &account.commands["countUsers"];
        assert_eq!(
            count.doc,
            "query($domain: DomainName!) { account { countUsers(domain: $domain) } }"
        );
        let reg = &account.commands["registerUser"];
        assert_eq!(
            reg.doc,
            "mutation($domain: DomainName!, $limit: PosInt, $tags: [String!]) { account { registerUser(domain: $domain, limit: $limit, tags: $tags) { jid self { jid self { __typename } } } } }"
        );
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            reg.parse_args(
                "registerUser",
                &args(&["--domain", "localhost", "--limit", "3", "--tags", "[\"a\"]"])
            ),
            Ok(json!({"domain": "localhost", "limit": 3, "tags": ["a"]}))
        );
        assert_eq!(
            reg.parse_args("registerUser", &args(&["--limit", "3"])),
            Err("Missing mandatory arguments for command 'registerUser': 'domain'".to_owned())
        );
        assert_eq!(
            reg.parse_args("registerUser", &args(&["--domain", "d", "--limit", "many"])),
            Err("Invalid value 'many' of argument 'limit' for command 'registerUser'".to_owned())
        );
        assert_eq!(
            reg.parse_args("registerUser", &args(&["--nope", "1"])),
            Err("Unknown argument 'nope' for command 'registerUser'".to_owned())
        );
        assert!(
            account
                .usage("account")
                .contains("registerUser --domain DomainName! [--limit PosInt] [--tags [String!]]")
        );
        assert!(spec.usage().contains("  account  Account management\n"));
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode("a b{}/é"), "a%20b%7B%7D%2F%C3%A9");
    }
}
