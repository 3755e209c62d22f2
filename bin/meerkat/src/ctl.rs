//! `meerkat ctl`: MongooseIM's `mongooseimctl <category> <command> --arg value ...` over
//! the admin GraphQL API of the running server.
//!
//! It finds the first plain-HTTP `mongoose_graphql_handler` with `schema_endpoint =
//! "admin"` in the same config file the server runs with (`--config`), and its
//! credentials. The commands are built from the served schema, as MongooseIM's
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
//! server binary; for the same reason TLS listeners are not used.

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use meerkat::ConfigSource;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

/// Exit status of a usage message without a command (as `mongooseimctl`).
const STATUS_USAGE: u8 = 2;
/// How deep the same object type may repeat on a path of the result selection.
const MAX_TYPE_RECURSION_DEPTH: usize = 2;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `meerkat ctl ARGS...`.
pub fn main(args: Vec<String>, source: &ConfigSource) -> ExitCode {
    match run(&args, source) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("meerkat ctl: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String], source: &ConfigSource) -> anyhow::Result<u8> {
    let text = source
        .read()
        .map_err(|d| anyhow!("{}", d.to_string().trim_end()))?;
    let endpoint = find_endpoint(&text).with_context(|| format!("{source}"))?;
    let client = Client { endpoint };
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
}

/// The first plain-HTTP admin GraphQL endpoint in the config text.
fn find_endpoint(text: &str) -> anyhow::Result<Endpoint> {
    let root: toml::Table = toml::from_str(text).context("invalid TOML")?;
    let listeners = root
        .get("listen")
        .and_then(|l| l.get("http"))
        .and_then(|h| h.as_array())
        .cloned()
        .unwrap_or_default();
    let mut tls_only = false;
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
            if listener.get("tls").is_some() {
                tls_only = true;
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
            return Ok(Endpoint {
                addr: SocketAddr::new(ip, port),
                host,
                path,
                credentials,
            });
        }
    }
    if tls_only {
        bail!(
            "the admin GraphQL endpoints are all on TLS listeners; meerkat ctl needs a plain-HTTP one (e.g. on 127.0.0.1)"
        );
    }
    bail!("no [[listen.http]] has a mongoose_graphql_handler with schema_endpoint = \"admin\"")
}

/// A response head and body.
struct Response {
    status: u16,
    chunked: bool,
    reader: BufReader<TcpStream>,
    content_length: Option<usize>,
    content_type: String,
}

struct Client {
    endpoint: Endpoint,
}

impl Client {
    fn send(&self, head: &str, body: &[u8]) -> anyhow::Result<Response> {
        let ep = &self.endpoint;
        let mut stream = TcpStream::connect_timeout(&ep.addr, CONNECT_TIMEOUT).with_context(
            || {
                format!(
                    "cannot connect to the admin GraphQL endpoint at http://{}{} (is meerkat running with this config?)",
                    ep.addr, ep.path
                )
            },
        )?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        let mut request = head.to_owned();
        request.push_str(&format!("Host: {}\r\n", ep.host));
        if let Some((u, p)) = &ep.credentials {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            request.push_str(&format!("Authorization: Basic {token}\r\n"));
        }
        request.push_str("Accept-Encoding: identity\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes())?;
        stream.write_all(body)?;
        stream.flush()?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line)?;
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

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
            }
        );
        let err = find_endpoint("[general]\nhosts = [\"a\"]\n").unwrap_err();
        assert!(
            err.to_string().contains("schema_endpoint = \"admin\""),
            "{err}"
        );
        let tls = "[[listen.http]]\nport = 1\n[listen.http.tls]\n[[listen.http.handlers.mongoose_graphql_handler]]\nschema_endpoint = \"admin\"\n";
        assert!(find_endpoint(tls).unwrap_err().to_string().contains("TLS"));
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
