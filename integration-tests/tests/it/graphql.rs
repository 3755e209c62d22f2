//! GraphQL over real HTTP: transport, authentication modes, the error table, category
//! gating, domain-admin scoping, and each category's operations.

use crate::common::{TestServer, http};
use crate::ws_client::WsClient;
use serde_json::{Value, json};

pub const DOMAIN: &str = "localhost";

/// Listener 0: admin (admin/secret), 1: domain_admin, 2: user, 3: admin without credentials,
/// 4: admin with allowed_categories = ["vcard", "checkAuth"].
pub fn config(extra: &str) -> String {
    let listener = |schema: &str, opts: &str| {
        format!(
            "[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\n[[listen.http.handlers.mongoose_graphql_handler]]\nhost = \"_\"\npath = \"/api/graphql\"\nschema_endpoint = \"{schema}\"\n{opts}\n"
        )
    };
    format!(
        "[general]\nhosts = [\"localhost\", \"other.test\"]\n[auth.password]\nscram_iterations = 64\n{}{}{}{}{}\n[modules.mod_roster]\n[modules.mod_presence]\n[modules.mod_offline]\n[modules.mod_vcard]\n[modules.mod_private]\n[modules.mod_last]\n{extra}",
        listener("admin", "username = \"admin\"\npassword = \"secret\""),
        listener("domain_admin", ""),
        listener("user", ""),
        listener("admin", ""),
        listener(
            "admin",
            "username = \"admin\"\npassword = \"secret\"\nallowed_categories = [\"vcard\", \"checkAuth\"]"
        ),
    )
}

/// `config` with `lines` added to its `[general]` table.
pub fn with_general(config: &str, lines: &str) -> String {
    config.replacen("[general]\n", &format!("[general]\n{lines}\n"), 1)
}

/// `import_dir = <dir>` and `export_dir = <dir>` for [`with_general`].
pub fn file_dirs(dir: &std::path::Path) -> String {
    format!(
        "import_dir = {0:?}\nexport_dir = {0:?}",
        dir.display().to_string()
    )
}

pub struct Gql {
    pub server: TestServer,
}

pub const ADMIN: usize = 0;
pub const DOMAIN_ADMIN: usize = 1;
pub const USER: usize = 2;
pub const OPEN_ADMIN: usize = 3;
pub const LIMITED_ADMIN: usize = 4;

impl Gql {
    pub async fn start(extra: &str) -> Gql {
        Gql {
            server: TestServer::start(&config(extra)).await,
        }
    }

    pub fn url(&self, listener: usize) -> String {
        self.server.url(listener, "/api/graphql")
    }

    pub async fn user(&self, name: &str, password: &str) -> String {
        let jid = format!("{name}@{DOMAIN}");
        self.server.register(&jid, password).await;
        jid
    }

    /// POSTs a query; returns (status, body).
    pub async fn post(
        &self,
        listener: usize,
        creds: Option<(&str, &str)>,
        query: &str,
        vars: Value,
    ) -> (u16, Value) {
        post(&self.url(listener), creds, query, vars).await
    }

    /// An admin query with admin/secret.
    pub async fn admin(&self, query: &str, vars: Value) -> Value {
        post_admin(&self.url(ADMIN), query, vars).await
    }
}

/// Basic authentication with `creds`, if any.
pub fn with_creds(
    r: reqwest::RequestBuilder,
    creds: Option<(&str, &str)>,
) -> reqwest::RequestBuilder {
    match creds {
        Some((u, p)) => r.basic_auth(u, Some(p)),
        None => r,
    }
}

/// POSTs a query to a GraphQL endpoint; returns (status, body).
pub async fn post(
    url: &str,
    creds: Option<(&str, &str)>,
    query: &str,
    vars: Value,
) -> (u16, Value) {
    let r = http()
        .post(url)
        .json(&json!({"query": query, "variables": vars}));
    let resp = with_creds(r, creds).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// An admin query with admin/secret to `url` (HTTP 200 expected).
pub async fn post_admin(url: &str, query: &str, vars: Value) -> Value {
    let (status, body) = post(url, Some(("admin", "secret")), query, vars).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A WebSocket listener (index `WS`) beside the GraphQL ones.
pub const WS_EXTRA: &str = "[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\n[[listen.http.handlers.mod_websockets]]\nhost = \"_\"\npath = \"/ws-xmpp\"\n";
pub const WS: usize = 5;

/// A GraphQL server with a WebSocket listener, accounts and a domain admin.
pub struct Env {
    pub g: Gql,
    pub ws: String,
}

impl Env {
    /// Starts `config` (a [`config`] with [`WS_EXTRA`]), registers `users` at localhost
    /// and carol@other.test, passwords `<name>-pw`, and sets the domain admin password
    /// for localhost (`dpw`).
    pub async fn start(config: &str, users: &[&str]) -> Env {
        let g = Gql {
            server: TestServer::start(config).await,
        };
        g.server.register_users(users).await;
        g.server.register("carol@other.test", "carol-pw").await;
        let b = g
            .admin(
                "mutation { domain { setDomainPassword(domain: \"localhost\", password: \"dpw\") } }",
                json!({}),
            )
            .await;
        assert!(b["errors"].is_null(), "{b}");
        let ws = g.server.ws_url(WS);
        Env { g, ws }
    }

    /// Logs `user` (a bare JID, password `<name>-pw`) in over WebSocket.
    pub async fn login(&self, user: &str, resource: &str) -> WsClient {
        let (name, domain) = user.split_once('@').unwrap();
        WsClient::login(
            &self.ws,
            name,
            domain,
            &format!("{name}-pw"),
            Some(resource),
        )
        .await
    }

    pub async fn admin(&self, query: &str, vars: Value) -> Value {
        self.g.admin(query, vars).await
    }

    /// A query on the user endpoint as `user` (password `<name>-pw`; HTTP 200 expected).
    pub async fn user(&self, user: &str, query: &str, vars: Value) -> Value {
        let name = user.split('@').next().unwrap();
        let (s, b) = self
            .g
            .post(USER, Some((user, &format!("{name}-pw"))), query, vars)
            .await;
        assert_eq!(s, 200, "{b}");
        b
    }

    /// A query as the domain admin of localhost; returns (status, body).
    pub async fn post_domain_admin(&self, query: &str, vars: Value) -> (u16, Value) {
        self.g
            .post(DOMAIN_ADMIN, Some(("admin@localhost", "dpw")), query, vars)
            .await
    }
}

/// The error codes of a response.
pub fn codes(body: &Value) -> Vec<String> {
    body["errors"].as_array().map_or(vec![], |e| {
        e.iter()
            .map(|x| x["extensions"]["code"].as_str().unwrap_or("").to_owned())
            .collect()
    })
}

#[actix_rt::test]
async fn check_auth_per_endpoint_and_credentials() {
    let g = Gql::start("").await;
    g.user("alice", "alice-pw").await;
    let q = "{ checkAuth { domain authStatus authType } }";
    let (s, b) = g.post(ADMIN, None, q, json!({})).await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]),
        (
            200,
            &json!({"domain": null, "authStatus": "UNAUTHORIZED", "authType": null})
        )
    );
    let b = g.admin(q, json!({})).await;
    assert_eq!(
        b["data"]["checkAuth"],
        json!({"domain": null, "authStatus": "AUTHORIZED", "authType": "ADMIN"})
    );
    let (s, b) = g.post(ADMIN, Some(("admin", "wrong")), q, json!({})).await;
    assert_eq!((s, codes(&b)), (401, vec!["wrong_credentials".to_owned()]));
    // No credentials configured: open, and any credentials are refused.
    let (s, b) = g.post(OPEN_ADMIN, None, q, json!({})).await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]["authType"]),
        (200, &json!("ADMIN"))
    );
    let (s, _) = g
        .post(OPEN_ADMIN, Some(("admin", "secret")), q, json!({}))
        .await;
    assert_eq!(s, 401);
    // User endpoint.
    let q = "{ checkAuth { username authStatus } }";
    let (s, b) = g.post(USER, None, q, json!({})).await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]),
        (
            200,
            &json!({"username": null, "authStatus": "UNAUTHORIZED"})
        )
    );
    let (s, b) = g
        .post(USER, Some(("alice@localhost", "alice-pw")), q, json!({}))
        .await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]),
        (
            200,
            &json!({"username": "alice@localhost", "authStatus": "AUTHORIZED"})
        )
    );
    let (s, b) = g
        .post(USER, Some(("alice@localhost", "nope")), q, json!({}))
        .await;
    assert_eq!((s, codes(&b)), (401, vec!["wrong_credentials".to_owned()]));
    g.server.stop().await;
}

#[actix_rt::test]
async fn transport_errors() {
    let g = Gql::start("").await;
    let url = g.url(ADMIN);
    // Empty POST.
    let r = http()
        .post(&url)
        .basic_auth("admin", Some("secret"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(codes(&r.json().await.unwrap()), ["no_query_supplied"]);
    // Not JSON.
    let r = http()
        .post(&url)
        .basic_auth("admin", Some("secret"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(codes(&r.json().await.unwrap()), ["invalid_json_body"]);
    // Parse error.
    let (s, b) = g
        .post(
            ADMIN,
            Some(("admin", "secret")),
            "{ checkAuth { ",
            json!({}),
        )
        .await;
    assert_eq!((s, codes(&b)), (400, vec!["parser_error".to_owned()]));
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Cannot parse line 1"),
        "{b}"
    );
    // Validation error (unknown field).
    let (s, b) = g
        .post(ADMIN, Some(("admin", "secret")), "{ nothing }", json!({}))
        .await;
    assert_eq!((s, codes(&b)), (400, vec!["validation_error".to_owned()]));
    // Bad scalar input.
    let (s, _) = g
        .post(
            ADMIN,
            Some(("admin", "secret")),
            "query($d: DomainName!) { account { countUsers(domain: $d) } }",
            json!({"d": "a b"}),
        )
        .await;
    assert_eq!(s, 400);
    // GET with query parameters works; unknown parameters are refused.
    let r = http()
        .get(format!("{url}?query=%7BcheckAuth%7BauthStatus%7D%7D"))
        .basic_auth("admin", Some("secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
    let r = http()
        .get(format!("{url}?query=x&bogus=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A protected category without credentials: 401 no_permissions.
    let (s, b) = g
        .post(
            ADMIN,
            None,
            "{ account { countUsers(domain: \"localhost\") } }",
            json!({}),
        )
        .await;
    assert_eq!((s, codes(&b)), (401, vec!["no_permissions".to_owned()]));
    // GraphiQL for browsers.
    let r = http()
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("GraphiQL"));
    // Subscriptions are refused on the plain endpoint.
    let (s, b) = g
        .post(
            ADMIN,
            Some(("admin", "secret")),
            "subscription { stanza }",
            json!({}),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    g.server.stop().await;
}

#[actix_rt::test]
async fn category_disabled_beside_allowed_data() {
    let g = Gql::start("").await;
    let (s, b) = g
        .post(
            LIMITED_ADMIN,
            Some(("admin", "secret")),
            "{ checkAuth { authStatus } account { countUsers(domain: \"localhost\") } }",
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
    assert_eq!(b["data"]["account"], Value::Null);
    assert_eq!(codes(&b), ["category_disabled"]);
    assert_eq!(b["errors"][0]["extensions"]["category"], "account");
    assert_eq!(b["errors"][0]["path"], json!(["account"]));
    g.server.stop().await;
}

#[actix_rt::test]
async fn account_category() {
    let g = Gql::start("").await;
    let reg = "mutation($d: DomainName!, $u: UserName, $p: String!) { account { registerUser(domain: $d, username: $u, password: $p) { jid message } } }";
    let b = g
        .admin(reg, json!({"d": "localhost", "u": "bob", "p": "bob-pw"}))
        .await;
    assert_eq!(
        b["data"]["account"]["registerUser"]["jid"], "bob@localhost",
        "{b}"
    );
    let b = g
        .admin(reg, json!({"d": "localhost", "u": "bob", "p": "x"}))
        .await;
    assert_eq!(codes(&b), ["user_exists"]);
    let b = g
        .admin(reg, json!({"d": "nowhere.test", "u": "bob", "p": "x"}))
        .await;
    assert_eq!(codes(&b), ["domain_not_found"]);
    let b = g.admin(reg, json!({"d": "localhost", "p": "gen-pw"})).await;
    let generated = b["data"]["account"]["registerUser"]["jid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        generated.ends_with("@localhost") && generated.len() > 12,
        "{generated}"
    );
    let b = g
        .admin(
            "{ account { listUsers(domain: \"localhost\") countUsers(domain: \"localhost\") } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["account"]["countUsers"], 2);
    let mut all = vec!["bob@localhost".to_owned(), generated.clone()];
    all.sort();
    assert_eq!(b["data"]["account"]["listUsers"], json!(all));
    let b = g
        .admin(
            "{ account { listUsers(domain: \"localhost\", limit: 1, index: 1) } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["account"]["listUsers"], json!([all[1]]));
    let b = g
        .admin("{ account { checkPassword(user: \"bob@localhost\", password: \"bob-pw\") { correct message } checkUser(user: \"bob@localhost\") { exist } } }", json!({}))
        .await;
    assert_eq!(b["data"]["account"]["checkPassword"]["correct"], true);
    assert!(
        !b["data"]["account"]["checkPassword"]["message"]
            .as_str()
            .unwrap()
            .contains("bob-pw"),
        "the password is not echoed"
    );
    assert_eq!(b["data"]["account"]["checkUser"]["exist"], true);
    let b = g
        .admin("mutation { account { changeUserPassword(user: \"bob@localhost\", newPassword: \"new\") { message } } }", json!({}))
        .await;
    assert_eq!(
        b["data"]["account"]["changeUserPassword"]["message"],
        "Password changed"
    );
    // The user endpoint accepts the new password; the user changes it back and unregisters.
    let q = "mutation { account { changePassword(newPassword: \"newer\") } }";
    let (s, b) = g
        .post(USER, Some(("bob@localhost", "new")), q, json!({}))
        .await;
    assert_eq!(
        (s, &b["data"]["account"]["changePassword"]),
        (200, &json!("Password changed"))
    );
    let (s, b) = g
        .post(
            USER,
            Some(("bob@localhost", "newer")),
            "mutation { account { unregister } }",
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let b = g
        .admin(
            "{ account { checkUser(user: \"bob@localhost\") { exist message } } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["account"]["checkUser"]["exist"], false);
    // Remove and ban.
    let b = g.admin(&format!("mutation {{ account {{ banUser(user: \"{generated}\", reason: \"spam\") {{ message }} }} }}"), json!({})).await;
    assert!(
        b["data"]["account"]["banUser"]["message"]
            .as_str()
            .unwrap()
            .contains("banned"),
        "{b}"
    );
    let b = g
        .admin(
            &format!("mutation {{ account {{ removeUser(user: \"{generated}\") {{ jid }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["account"]["removeUser"]["jid"],
        generated.as_str()
    );
    let b = g
        .admin(
            &format!("mutation {{ account {{ removeUser(user: \"{generated}\") {{ jid }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["not_allowed"]);
    g.server.stop().await;
}

#[actix_rt::test]
async fn import_users_from_csv() {
    let dir = tempfile::tempdir().unwrap();
    let g = Gql {
        server: TestServer::start(&with_general(&config(""), &file_dirs(dir.path()))).await,
    };
    let csv = dir.path().join("users.csv");
    std::fs::write(&csv, "carol,localhost,pw1\ndave,localhost,\nnot a record\neve,nowhere.test,pw\n\"frank\",localhost,\"p,w\"\n").unwrap();
    // The file name is relative to [general] import_dir.
    let b = g
        .admin("mutation($f: NonEmptyString!) { account { importUsers(filename: $f) { status created existing notAllowed invalidJID emptyPassword invalidRecord } } }", json!({"f": "users.csv"}))
        .await;
    let p = &b["data"]["account"]["importUsers"];
    assert_eq!(
        p["created"],
        json!(["carol@localhost", "frank@localhost"]),
        "{b}"
    );
    assert_eq!(p["emptyPassword"], json!(["dave@localhost"]));
    assert_eq!(p["invalidRecord"], json!(["not a record"]));
    assert_eq!(p["notAllowed"], json!(["eve@nowhere.test"]));
    g.server.stop().await;
}

/// The shared Basic-auth parser (listener-core) as the GraphQL face maps it: a header
/// that is not Basic credentials is 401 `request_error` on every endpoint; a query string
/// that does not decode is 400 `invalid_query_parameters`.
#[actix_rt::test]
async fn malformed_authorization_headers_and_query_strings() {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let g = Gql::start("").await;
    let q = json!({"query": "{ checkAuth { authStatus } }"});
    let long = format!("admin:{}", "x".repeat(5000));
    let malformed: Vec<Vec<u8>> = vec![
        b"Basic !!!not-base64".to_vec(),
        format!("Basic {}", b64(b"no-colon")).into_bytes(),
        format!("Basic {}", b64(b"\xff\xfe:secret")).into_bytes(),
        format!("Basic {}", b64(long.as_bytes())).into_bytes(),
        b"Bearer abc".to_vec(),
        b"Basic \xe9\xe9==".to_vec(),
    ];
    for listener in [ADMIN, DOMAIN_ADMIN, USER, OPEN_ADMIN] {
        for value in &malformed {
            let r = http()
                .post(g.url(listener))
                .header(
                    "authorization",
                    reqwest::header::HeaderValue::from_bytes(value).unwrap(),
                )
                .json(&q)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let b: Value = r.json().await.unwrap_or(Value::Null);
            assert_eq!(
                (status, codes(&b)),
                (401, vec!["request_error".to_owned()]),
                "{listener} {}",
                String::from_utf8_lossy(value)
            );
        }
    }
    // The scheme name in any case.
    let r = http()
        .post(g.url(ADMIN))
        .header("authorization", format!("bAsIc {}", b64(b"admin:secret")))
        .json(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["data"]["checkAuth"]["authStatus"], "AUTHORIZED");
    // Query strings: bad escapes and bytes that are not UTF-8 once decoded.
    for qs in [
        "query=%zz",
        "query=%7",
        "query=%C3%28",
        "query=x&operationName=%FF",
    ] {
        let r = http()
            .get(format!("{}?{qs}", g.url(ADMIN)))
            .basic_auth("admin", Some("secret"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{qs}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(codes(&b), ["invalid_query_parameters"], "{qs}");
    }
    g.server.stop().await;
}
