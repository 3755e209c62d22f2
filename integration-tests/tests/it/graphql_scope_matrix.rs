//! The domain-admin matrix over real HTTP: for every admin operation declared in
//! `handler_graphql::scope::ADMIN`, a domain admin (`admin@localhost`) sends a request
//! built from the introspected argument types, with every JID and domain argument in a
//! foreign domain, and gets `no_permissions`; GLOBAL operations are refused even with
//! arguments in its own domain; DOMAIN operations with arguments in its own domain (or a
//! subdomain of it) are not refused (they may fail otherwise). Subscriptions go through
//! `<path>/sse`.

use crate::common::http;
use crate::graphql::{DOMAIN, DOMAIN_ADMIN, Gql, codes};
use crate::graphql_coverage::{Schema, render_type};
use handler_graphql::scope::{ADMIN, Scope};
use serde_json::{Map, Value, json};

const PASSWORD: &str = "domain-admin-pw";
const FOREIGN: &str = "foreign.test";

/// A valid-looking value of a type for the given domain.
fn value_of(schema: &Schema, t: &Value, arg: &str, domain: &str) -> Value {
    match t["kind"].as_str() {
        Some("NON_NULL") => value_of(schema, &t["ofType"], arg, domain),
        Some("LIST") => json!([value_of(schema, &t["ofType"], arg, domain)]),
        Some("ENUM") => {
            let name = t["name"].as_str().unwrap_or_default();
            schema.types[name]["enumValues"][0]["name"].clone()
        }
        Some("INPUT_OBJECT") => {
            let name = t["name"].as_str().unwrap_or_default();
            let mut obj = Map::new();
            for f in schema.types[name]["inputFields"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                let fname = f["name"].as_str().unwrap_or_default();
                // Non-null fields with a default too: juniper 0.18 does not apply input
                // field defaults to variables (`BlockingInput.action`).
                let required = f["type"]["kind"] == "NON_NULL";
                if required || fname == "jid" {
                    obj.insert(
                        fname.to_owned(),
                        value_of(schema, &f["type"], fname, domain),
                    );
                }
            }
            Value::Object(obj)
        }
        _ => scalar(t["name"].as_str().unwrap_or_default(), arg, domain),
    }
}

fn scalar(name: &str, arg: &str, domain: &str) -> Value {
    match name {
        "JID" | "BareJID" => json!(format!("alice@{domain}")),
        "FullJID" => json!(format!("alice@{domain}/res")),
        "DomainName" => json!(domain),
        "UserName" => json!("alice"),
        "ResourceName" => json!("res"),
        "RoomName" => json!("room"),
        "NodeName" => json!("mongooseim@localhost"),
        "DateTime" => json!("2024-01-01T00:00:00Z"),
        "XmlElement" => json!("<matrix xmlns='urn:meerkat:test'/>"),
        "Int" | "PosInt" => json!(1),
        "NonNegInt" => json!(0),
        "Boolean" => json!(true),
        "ID" => json!("1"),
        // Never let an operation write a file, and keep the domain admin's password.
        _ if arg.to_lowercase().contains("path") || arg.to_lowercase().contains("file") => {
            json!("/nonexistent-meerkat-dir/matrix")
        }
        _ if arg == "password" => json!(PASSWORD),
        _ if arg == "hostType" => json!(domain),
        _ => json!("x"),
    }
}

/// The request for operation `Type.op` with arguments in `domain`: (root type, document,
/// variables).
fn request(schema: &Schema, op_name: &str, domain: &str) -> (String, String, Value) {
    let (ty, op) = op_name.split_once('.').expect("Type.op");
    let (root, cat, _, field) = schema
        .operations()
        .into_iter()
        .find(|(_, _, t, f)| t == ty && f["name"] == op)
        .unwrap_or_else(|| panic!("{op_name} is not in the schema"));
    let scope_args: Vec<String> = match handler_graphql::scope::of(op_name) {
        Some(Scope::Domain(args)) => args
            .iter()
            .map(|a| a.split('.').next().unwrap_or(a).to_owned())
            .collect(),
        _ => Vec::new(),
    };
    let mut decls = Vec::new();
    let mut uses = Vec::new();
    let mut vars = Map::new();
    for a in field["args"].as_array().cloned().unwrap_or_default() {
        let name = a["name"].as_str().unwrap_or_default().to_owned();
        let required = a["type"]["kind"] == "NON_NULL";
        if !required && !scope_args.contains(&name) {
            continue;
        }
        decls.push(format!("${name}: {}", render_type(&a["type"])));
        uses.push(format!("{name}: ${name}"));
        vars.insert(name.clone(), value_of(schema, &a["type"], &name, domain));
    }
    let kind = match root.as_str() {
        "AdminQuery" => "query",
        "AdminMutation" => "mutation",
        _ => "subscription",
    };
    let named = crate::graphql_coverage::named_type(&field["type"]);
    let selection = match schema.types[&named]["kind"].as_str() {
        Some("OBJECT" | "UNION" | "INTERFACE") => " { __typename }",
        _ => "",
    };
    let decls = if decls.is_empty() {
        String::new()
    } else {
        format!("({})", decls.join(", "))
    };
    let uses = if uses.is_empty() {
        String::new()
    } else {
        format!("({})", uses.join(", "))
    };
    (
        root,
        format!("{kind}{decls} {{ {cat} {{ {op}{uses}{selection} }} }}"),
        Value::Object(vars),
    )
}

/// Sends the request as the domain admin; returns the error codes.
async fn run(g: &Gql, root: &str, doc: &str, vars: &Value) -> Vec<String> {
    let login = format!("admin@{DOMAIN}");
    if root != "AdminSubscription" {
        let (status, body) = g
            .post(DOMAIN_ADMIN, Some((&login, PASSWORD)), doc, vars.clone())
            .await;
        assert!(status == 200 || status == 401, "{status} {body}\n{doc}");
        return codes(&body);
    }
    let url = reqwest::Url::parse_with_params(
        &format!("{}/sse", g.url(DOMAIN_ADMIN)),
        &[("query", doc), ("variables", &vars.to_string())],
    )
    .expect("url");
    let r = http()
        .get(url)
        .basic_auth(&login, Some(PASSWORD))
        .send()
        .await
        .expect("sse request");
    let streaming = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/event-stream"));
    if streaming {
        return Vec::new(); // the subscription started: allowed (dropped here)
    }
    codes(&r.json().await.unwrap_or(Value::Null))
}

#[actix_rt::test]
async fn domain_admin_matrix_over_every_admin_operation() {
    let g = Gql::start("").await;
    g.user("alice", "alice-pw").await;
    let b = g
        .admin(
            "mutation($d: DomainName!, $p: NonEmptyString!) { domain { setDomainPassword(domain: $d, password: $p) } }",
            json!({"d": DOMAIN, "p": PASSWORD}),
        )
        .await;
    assert!(b.get("errors").is_none(), "{b}");
    let login = format!("admin@{DOMAIN}");
    let (s, b) = g
        .post(
            DOMAIN_ADMIN,
            Some((&login, PASSWORD)),
            "{ checkAuth { domain authType } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]),
        (200, &json!({"domain": DOMAIN, "authType": "DOMAIN_ADMIN"}))
    );
    let schema = Schema::fetch(&g, DOMAIN_ADMIN, Some((&login, PASSWORD))).await;

    let mut failures = Vec::new();
    let (mut refused, mut allowed) = (0, 0);
    // Foreign arguments first: nothing runs.
    for (op, scope) in ADMIN {
        let domain = match scope {
            Scope::Domain(_) => FOREIGN,
            Scope::Global => DOMAIN,
            Scope::DomainRecords | Scope::Unguarded => continue,
        };
        let (root, doc, vars) = request(&schema, op, domain);
        let got = run(&g, &root, &doc, &vars).await;
        if got != ["no_permissions"] {
            failures.push(format!(
                "{op} ({domain}): expected no_permissions, got {got:?}\n    {doc} {vars}"
            ));
        } else {
            refused += 1;
        }
    }
    // Own domain (and a subdomain for the MUC room and domain arguments).
    for (op, scope) in ADMIN {
        if !matches!(scope, Scope::Domain(_)) {
            continue;
        }
        for domain in [DOMAIN.to_owned(), format!("muc.{DOMAIN}")] {
            let (root, doc, vars) = request(&schema, op, &domain);
            let got = run(&g, &root, &doc, &vars).await;
            if got.iter().any(|c| c == "no_permissions") {
                failures.push(format!("{op} ({domain}): refused\n    {doc} {vars}"));
            } else {
                allowed += 1;
            }
        }
    }
    // importUsers is checked record by record: the call itself is allowed.
    let (root, doc, vars) = request(&schema, "AccountAdminMutation.importUsers", DOMAIN);
    let got = run(&g, &root, &doc, &vars).await;
    assert!(!got.iter().any(|c| c == "no_permissions"), "{got:?}");
    println!("domain-admin matrix: {refused} refusals and {allowed} admissions as declared");
    for f in &failures {
        println!("  {f}");
    }
    g.server.stop().await;
    assert!(
        failures.is_empty(),
        "{} cases differ (see above)",
        failures.len()
    );
    assert_eq!(refused, 131);
}

/// MongooseIM checks permissions before executing anything: a domain admin's request that
/// mixes an allowed mutation with a refused one is refused as a whole, and the allowed
/// mutation does not run.
#[actix_rt::test]
async fn a_partly_refused_request_executes_nothing() {
    let g = Gql::start("").await;
    let b = g
        .admin(
            "mutation($d: DomainName!, $p: NonEmptyString!) { domain { setDomainPassword(domain: $d, password: $p) } }",
            json!({"d": DOMAIN, "p": PASSWORD}),
        )
        .await;
    assert!(b.get("errors").is_none(), "{b}");
    let login = format!("admin@{DOMAIN}");
    let mixed = "mutation { account { \
        own: registerUser(domain: \"localhost\", username: \"mine\", password: \"pw\") { jid } \
        other: registerUser(domain: \"other.test\", username: \"theirs\", password: \"pw\") { jid } } }";
    let (s, b) = g
        .post(DOMAIN_ADMIN, Some((&login, PASSWORD)), mixed, json!({}))
        .await;
    assert_eq!(
        (s, codes(&b)),
        (401, vec!["no_permissions".to_owned()]),
        "{b}"
    );
    let b = g
        .admin("{ account { mine: checkUser(user: \"mine@localhost\") { exist } theirs: checkUser(user: \"theirs@other.test\") { exist } } }", json!({}))
        .await;
    assert_eq!(
        b["data"]["account"]["mine"]["exist"], false,
        "the allowed half ran: {b}"
    );
    assert_eq!(b["data"]["account"]["theirs"]["exist"], false);
    // The allowed half alone runs.
    let own = "mutation { account { registerUser(domain: \"localhost\", username: \"mine\", password: \"pw\") { jid } } }";
    let (s, b) = g
        .post(DOMAIN_ADMIN, Some((&login, PASSWORD)), own, json!({}))
        .await;
    assert_eq!(
        (s, &b["data"]["account"]["registerUser"]["jid"]),
        (200, &json!("mine@localhost")),
        "{b}"
    );
    g.server.stop().await;
}
