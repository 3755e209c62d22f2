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

/// Hosts for the hostile-JID cases: the domain admin is `a.test`'s; `sub.a.test` and
/// `a.test.evil` are other tenants that only look related. Listener 0: admin
/// (admin/secret), 1: domain_admin.
fn hostile_config() -> String {
    let listener = |schema: &str, opts: &str| {
        format!(
            "[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\n[[listen.http.handlers.mongoose_graphql_handler]]\nhost = \"_\"\npath = \"/api/graphql\"\nschema_endpoint = \"{schema}\"\n{opts}\n"
        )
    };
    format!(
        "[general]\nhosts = [\"a.test\", \"b.test\", \"sub.a.test\", \"a.test.evil\"]\n[auth.password]\nscram_iterations = 64\n{}{}\n[modules.mod_roster]\n[modules.mod_presence]\n[modules.mod_offline]\n",
        listener("admin", "username = \"admin\"\npassword = \"secret\""),
        listener("domain_admin", ""),
    )
}

/// Scope and command read the same parsed JID: a resource holding `@` and `/`, unicode
/// that stringprep folds, look-alike and sub-tenant domains and upper case are refused
/// (401 `no_permissions`, nothing changed) when the JID's real domain is not the domain
/// admin's, and accepted when it is. On c8f6c82 the check took the text after the last
/// `@`, so `victim@b.test/x@a.test` changed victim@b.test's password.
#[actix_rt::test]
async fn hostile_jids_are_scoped_by_their_parsed_domain() {
    let server = crate::common::TestServer::start(&hostile_config()).await;
    let g = Gql { server };
    for jid in [
        "victim@b.test",
        "alice@a.test",
        "victim@sub.a.test",
        "victim@a.test.evil",
    ] {
        g.server.register(jid, "old-pw").await;
    }
    let b = g
        .admin(
            "mutation { domain { setDomainPassword(domain: \"a.test\", password: \"dpw\") } }",
            json!({}),
        )
        .await;
    assert!(b.get("errors").is_none(), "{b}");
    let login = ("admin@a.test", "dpw");
    let change = "mutation($u: JID!, $p: String!) { account { changeUserPassword(user: $u, newPassword: $p) { message } } }";
    let password_is = async |jid: &str, pw: &str| {
        let b = g
            .admin(
                "query($u: JID!, $p: String!) { account { checkPassword(user: $u, password: $p) { correct } } }",
                json!({"u": jid, "p": pw}),
            )
            .await;
        b["data"]["account"]["checkPassword"]["correct"] == json!(true)
    };

    // Outside a.test, however the text is dressed up.
    let outside = [
        ("victim@b.test/x@a.test", "victim@b.test"),
        ("victim@b.test/x/y@a.test", "victim@b.test"),
        ("victim@B.TEST", "victim@b.test"),
        ("VICTIM@\u{ff42}.test", "victim@b.test"), // fullwidth b, folded by nameprep
        ("victim@sub.a.test", "victim@sub.a.test"), // a served domain: another tenant
        ("victim@a.test.evil", "victim@a.test.evil"),
        ("victim@sub.a.test/r@a.test", "victim@sub.a.test"),
    ];
    for (hostile, real) in outside {
        let (s, b) = g
            .post(
                DOMAIN_ADMIN,
                Some(login),
                change,
                json!({"u": hostile, "p": "pwned"}),
            )
            .await;
        assert_eq!(
            (s, codes(&b)),
            (401, vec!["no_permissions".to_owned()]),
            "{hostile}: {b}"
        );
        assert!(
            password_is(real, "old-pw").await,
            "{hostile} changed {real}"
        );
    }
    // Inside a.test: upper case, fullwidth letters and a resource naming another domain.
    for (inside, pw) in [
        ("ALICE@A.TEST", "pw1"),
        ("\u{ff41}lice@\u{ff41}.test", "pw2"), // fullwidth a
        ("alice@a.test/x@b.test", "pw3"),
        ("alice@a.test/x/y@b.test/z", "pw4"),
    ] {
        let (s, b) = g
            .post(
                DOMAIN_ADMIN,
                Some(login),
                change,
                json!({"u": inside, "p": pw}),
            )
            .await;
        assert_eq!(s, 200, "{inside}: {b}");
        assert!(b.get("errors").is_none(), "{inside}: {b}");
        assert!(password_is("alice@a.test", pw).await, "{inside}: {b}");
    }

    // The other operations of the report: sendMessage, roster, domain arguments, SSE.
    let refused = [
        (
            "mutation($f: JID!) { stanza { sendMessage(from: $f, to: \"alice@a.test\", body: \"hi\") { id } } }",
            json!({"f": "victim@b.test/x@a.test"}),
        ),
        (
            "mutation($u: JID!) { roster { addContact(user: $u, contact: \"alice@a.test\") } }",
            json!({"u": "victim@b.test/x@a.test"}),
        ),
        (
            "query($d: DomainName!) { account { listUsers(domain: $d) } }",
            json!({"d": "a.test.evil"}),
        ),
        // subscribeToAll writes the contacts' rosters too: each contact is in scope.
        (
            "mutation($c: JID!) { roster { subscribeToAll(user: {jid: \"alice@a.test\", name: \"a\"}, contacts: [{jid: $c, name: \"v\"}]) } }",
            json!({"c": "victim@b.test"}),
        ),
        (
            "query($d: DomainName!) { account { listUsers(domain: $d) } }",
            json!({"d": "B.TEST"}),
        ),
        (
            "query($d: DomainName!) { account { listUsers(domain: $d) } }",
            json!({"d": "sub.a.test"}),
        ),
    ];
    for (doc, vars) in refused {
        let (s, b) = g.post(DOMAIN_ADMIN, Some(login), doc, vars.clone()).await;
        assert_eq!(
            (s, codes(&b)),
            (401, vec!["no_permissions".to_owned()]),
            "{doc} {vars}: {b}"
        );
    }
    let b = g
        .admin(
            "{ roster { listContacts(user: \"victim@b.test\") { jid } } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["roster"]["listContacts"], json!([]), "{b}");
    let (s, b) = g
        .post(
            DOMAIN_ADMIN,
            Some(login),
            "query($d: DomainName!) { account { listUsers(domain: $d) } }",
            json!({"d": "A.TEST"}),
        )
        .await;
    assert_eq!(
        (s, &b["data"]["account"]["listUsers"]),
        (200, &json!(["alice@a.test"])),
        "{b}"
    );
    let (s, b) = g
        .post(
            DOMAIN_ADMIN,
            Some(login),
            "mutation($u: JID!) { roster { addContact(user: $u, contact: \"victim@b.test\") } }",
            json!({"u": "Alice@a.test/x@b.test"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b.get("errors").is_none(), "{b}");

    // SSE: the subscription opens no session for a foreign caller.
    for (caller, allowed) in [
        ("victim@b.test/x@a.test", false),
        ("victim@\u{ff42}.test", false),
        ("alice@a.test/x@b.test", true),
    ] {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/sse", g.url(DOMAIN_ADMIN)),
            &[
                (
                    "query",
                    "subscription($c: JID!) { stanza { subscribeForMessages(caller: $c) { sender } } }",
                ),
                ("variables", &json!({"c": caller}).to_string()),
            ],
        )
        .expect("url");
        let r = http()
            .get(url)
            .basic_auth(login.0, Some(login.1))
            .send()
            .await
            .expect("sse request");
        let status = r.status().as_u16();
        if allowed {
            assert_eq!(status, 200, "{caller}");
            let ct = r.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .to_owned();
            assert!(ct.starts_with("text/event-stream"), "{caller}: {ct}");
        } else {
            let b: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!(
                (status, codes(&b)),
                (401, vec!["no_permissions".to_owned()]),
                "{caller}: {b}"
            );
        }
    }
    g.server.stop().await;
}
