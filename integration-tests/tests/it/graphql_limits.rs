//! GraphQL request limits and cross-site defences over real HTTP (issue 11, items 5 and
//! 10): the body cap (1 MiB, 413), the JSON node and depth budgets (400), credentials
//! checked before variables are decoded (401), no mutations over GET (405), JSON content
//! type required for POST (415), and the Host check of loopback listeners (421).

use crate::common::{TestServer, http};
use crate::graphql::{ADMIN, Gql, USER, codes, config};
use serde_json::{Value, json};

const COUNT: &str = "query($d: DomainName!) { account { countUsers(domain: $d) } }";

async fn send(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn admin_post(g: &Gql) -> reqwest::RequestBuilder {
    http()
        .post(g.url(ADMIN))
        .basic_auth("admin", Some("secret"))
        .header("content-type", "application/json")
}

/// `depth` nested arrays around a 0.
fn nested(depth: usize) -> String {
    format!("{}0{}", "[".repeat(depth), "]".repeat(depth))
}

#[actix_rt::test]
async fn oversized_and_too_complex_bodies_are_refused() {
    let g = Gql::start("").await;
    // 2 MiB of variables: refused by size, before anything is parsed.
    let big = format!(
        "{{\"query\": \"{{ checkAuth {{ authStatus }} }}\", \"variables\": {{\"a\": [{}0]}}}}",
        "0,".repeat(1024 * 1024)
    );
    let (s, b) = send(admin_post(&g).body(big)).await;
    assert_eq!(
        (s, codes(&b)),
        (413, vec!["request_too_large".to_owned()]),
        "{b}"
    );
    // Under the size cap but with too many values, or too deep.
    for vars in [
        format!(
            "{{\"d\": \"localhost\", \"x\": [{}0]}}",
            "0,".repeat(60_000)
        ),
        format!("{{\"d\": \"localhost\", \"x\": {}}}", nested(40)),
    ] {
        let body = format!("{{\"query\": {}, \"variables\": {vars}}}", json!(COUNT));
        let (s, b) = send(admin_post(&g).body(body.clone())).await;
        assert_eq!(
            (s, codes(&b)),
            (400, vec!["request_too_complex".to_owned()]),
            "{b}"
        );
        // The same as a JSON-encoded string.
        let body = format!(
            "{{\"query\": {}, \"variables\": {}}}",
            json!(COUNT),
            json!(vars)
        );
        let (s, b) = send(admin_post(&g).body(body)).await;
        assert_eq!(
            (s, codes(&b)),
            (400, vec!["request_too_complex".to_owned()]),
            "{b}"
        );
    }
    // Within budget: runs.
    let vars = json!({"d": "localhost", "x": (0..1000).collect::<Vec<_>>()});
    let (s, b) = send(admin_post(&g).json(&json!({"query": COUNT, "variables": vars}))).await;
    assert_eq!(
        (s, &b["data"]["account"]["countUsers"]),
        (200, &json!(0)),
        "{b}"
    );
    g.server.stop().await;
}

/// Without credentials nothing that takes variables may run, so variables are refused
/// (401) unread: a body that would be over budget, or not even valid input, answers 401,
/// not 400. Wrong credentials are refused before the body is looked at.
#[actix_rt::test]
async fn credentials_are_checked_before_variables_are_decoded() {
    let g = Gql::start("").await;
    let huge_vars = format!("{{\"x\": [{}0]}}", "0,".repeat(400_000)); // 800 KB, 400k values
    for vars in [huge_vars.clone(), format!("{{\"x\": {}}}", nested(100))] {
        let body = format!("{{\"query\": {}, \"variables\": {vars}}}", json!(COUNT));
        for listener in [ADMIN, USER] {
            let (s, b) = send(
                http()
                    .post(g.url(listener))
                    .header("content-type", "application/json")
                    .body(body.clone()),
            )
            .await;
            assert_eq!(
                (s, codes(&b)),
                (401, vec!["no_permissions".to_owned()]),
                "{b}"
            );
        }
        let (s, b) = send(
            http()
                .post(g.url(USER))
                .basic_auth("nobody@localhost", Some("x"))
                .header("content-type", "application/json")
                .body(body.clone()),
        )
        .await;
        assert_eq!(
            (s, codes(&b)),
            (401, vec!["wrong_credentials".to_owned()]),
            "{b}"
        );
    }
    // Over GET too.
    let url = reqwest::Url::parse_with_params(
        &g.url(USER),
        &[
            ("query", COUNT),
            ("variables", &format!("{{\"x\": {}}}", nested(100))),
        ],
    )
    .unwrap();
    let (s, b) = send(http().get(url)).await;
    assert_eq!(
        (s, codes(&b)),
        (401, vec!["no_permissions".to_owned()]),
        "{b}"
    );
    // checkAuth still answers without credentials (empty variables are fine).
    let (s, b) = send(
        http()
            .post(g.url(USER))
            .json(&json!({"query": "{ checkAuth { authStatus } }", "variables": {}})),
    )
    .await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]["authStatus"]),
        (200, &json!("UNAUTHORIZED")),
        "{b}"
    );
    g.server.stop().await;
}

#[actix_rt::test]
async fn no_mutations_over_get_and_json_only_posts() {
    let g = Gql::start("").await;
    let register = "mutation { account { registerUser(domain: \"localhost\", username: \"csrf\", password: \"pw\") { jid } } }";
    let exists = async || {
        let b = g
            .admin(
                "{ account { checkUser(user: \"csrf@localhost\") { exist } } }",
                json!({}),
            )
            .await;
        b["data"]["account"]["checkUser"]["exist"] == json!(true)
    };
    // GET: a mutation is refused, also beside a query; a query runs.
    for doc in [
        register.to_owned(),
        format!("query q {{ checkAuth {{ authStatus }} }} {register}"),
    ] {
        let url =
            reqwest::Url::parse_with_params(&g.url(ADMIN), &[("query", doc.as_str())]).unwrap();
        let r = http()
            .get(url)
            .basic_auth("admin", Some("secret"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["allow"], "POST");
        let b: Value = r.json().await.unwrap();
        assert_eq!(codes(&b), ["method_not_allowed"], "{b}");
    }
    assert!(!exists().await, "the GET mutation ran");
    // POST: only application/json (a cross-site form or text/plain post is refused).
    let body = json!({"query": register}).to_string();
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let mut r = http()
            .post(g.url(ADMIN))
            .basic_auth("admin", Some("secret"))
            .body(body.clone());
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        let (s, b) = send(r).await;
        assert_eq!(
            (s, codes(&b)),
            (415, vec!["unsupported_media_type".to_owned()]),
            "{ct:?}: {b}"
        );
    }
    assert!(!exists().await, "a non-JSON POST ran");
    let (s, b) = send(
        http()
            .post(g.url(ADMIN))
            .basic_auth("admin", Some("secret"))
            .header("content-type", "application/json; charset=utf-8")
            .body(body),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(exists().await);
    g.server.stop().await;
}

/// A listener bound to loopback answers only requests naming localhost, 127.0.0.1 or
/// [::1] (a DNS-rebound name is refused, 421); a listener bound to all addresses does not
/// check.
#[actix_rt::test]
async fn loopback_listeners_check_the_host_header() {
    let wide = "[[listen.http]]\nport = 0\nip_address = \"0.0.0.0\"\n[[listen.http.handlers.mongoose_graphql_handler]]\nhost = \"_\"\npath = \"/api/graphql\"\nschema_endpoint = \"admin\"\nusername = \"admin\"\npassword = \"secret\"\n";
    let g = Gql {
        server: TestServer::start(&config(wide)).await,
    };
    let q = json!({"query": "{ checkAuth { authStatus } }"});
    let port = g.server.addr(ADMIN).port();
    for (host, status) in [
        (format!("127.0.0.1:{port}"), 200),
        (format!("localhost:{port}"), 200),
        (format!("[::1]:{port}"), 200),
        ("LocalHost".to_owned(), 200),
        (format!("evil.test:{port}"), 421),
        ("evil.test".to_owned(), 421),
        (format!("localhost.evil.test:{port}"), 421),
    ] {
        let (s, b) = send(
            http()
                .post(g.url(ADMIN))
                .header("host", host.as_str())
                .basic_auth("admin", Some("secret"))
                .json(&q),
        )
        .await;
        assert_eq!(s, status, "{host}: {b}");
        if status == 421 {
            assert_eq!(codes(&b), ["misdirected_request"], "{b}");
            assert!(
                b["errors"][0]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("loopback"),
                "{b}"
            );
        }
    }
    // SSE too.
    let url = reqwest::Url::parse_with_params(
        &format!("{}/sse", g.url(ADMIN)),
        &[(
            "query",
            "subscription { stanza { subscribeForMessages(caller: \"a@localhost\") { sender } } }",
        )],
    )
    .unwrap();
    let (s, _) = send(
        http()
            .get(url)
            .header("host", "evil.test")
            .basic_auth("admin", Some("secret")),
    )
    .await;
    assert_eq!(s, 421);
    // The listener bound to 0.0.0.0 (index 5) does not check.
    let (s, b) = send(
        http()
            .post(g.server.url(5, "/api/graphql"))
            .header("host", "evil.test")
            .basic_auth("admin", Some("secret"))
            .json(&q),
    )
    .await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]["authStatus"]),
        (200, &json!("AUTHORIZED")),
        "{b}"
    );
    g.server.stop().await;
}

/// The default config (embedded in the binary) ships the admin APIs, whose password is
/// the well-known `secret`, on loopback listeners only, where the Host check applies.
#[test]
fn default_config_keeps_admin_apis_on_loopback() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/meerkat.toml");
    let text = std::fs::read_to_string(path).unwrap();
    meerkat::load_config_str(&text).expect("the default config loads");
    let root: toml::Table = text.parse().unwrap();
    let mut admin_listeners = 0;
    for l in root["listen"]["http"].as_array().unwrap() {
        let handlers = l["handlers"].as_table().unwrap();
        let admin = handlers.iter().any(|(name, hs)| {
            hs.as_array().unwrap().iter().any(|h| match name.as_str() {
                "mongoose_admin_api" => true,
                "mongoose_graphql_handler" => h["schema_endpoint"].as_str() != Some("user"),
                _ => false,
            })
        });
        if admin {
            admin_listeners += 1;
            let ip: std::net::IpAddr = l
                .get("ip_address")
                .and_then(|v| v.as_str())
                .unwrap_or("0.0.0.0")
                .parse()
                .unwrap();
            assert!(ip.is_loopback(), "admin listener on {ip}: {l:?}");
        }
    }
    assert_eq!(admin_listeners, 3);
}

#[actix_rt::test]
async fn unauthenticated_bodies_are_walked_against_the_budget_too() {
    // Without credentials nothing but `query` and `operationName` is looked at, and even
    // those are not built beyond the budget: a `query` that is a huge array is refused as
    // an unauthenticated request, after a walk that builds nothing.
    let g = Gql::start("").await;
    let body = format!("{{\"query\": [{}0]}}", "0,".repeat(60_000));
    let (s, b) = send(
        http()
            .post(g.url(USER))
            .header("content-type", "application/json")
            .body(body),
    )
    .await;
    assert_eq!(
        (s, codes(&b)),
        (401, vec!["no_permissions".to_owned()]),
        "{b}"
    );
}

#[actix_rt::test]
async fn basic_auth_is_throttled_like_sasl() {
    let g = Gql::start(
        "[auth.login_throttle]\nmax_failures_per_account = 3\nmax_failures_per_ip = \"infinity\"\nlockout = 2\n",
    )
    .await;
    g.user("alice", "alice-pw").await;
    g.user("bob", "bob-pw").await;
    let check = json!({"query": "{ checkAuth { authStatus } }"}).to_string();
    let as_user = |user: &str, pw: &str| {
        http()
            .post(g.url(USER))
            .basic_auth(user, Some(pw))
            .header("content-type", "application/json")
            .body(check.clone())
    };
    for _ in 0..3 {
        let (s, b) = send(as_user("alice@localhost", "wrong")).await;
        assert_eq!(
            (s, codes(&b)),
            (401, vec!["wrong_credentials".to_owned()]),
            "{b}"
        );
    }
    // Locked: the right password is refused too, before it is checked.
    let (s, b) = send(as_user("alice@localhost", "alice-pw")).await;
    assert_eq!(
        (s, codes(&b)),
        (429, vec!["too_many_failed_attempts".to_owned()]),
        "{b}"
    );
    // Another account is not affected.
    let (s, b) = send(as_user("bob@localhost", "bob-pw")).await;
    assert_eq!(s, 200, "{b}");
    // After the lockout the right password works again.
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    let (s, b) = send(as_user("alice@localhost", "alice-pw")).await;
    assert_eq!(s, 200, "{b}");
}
