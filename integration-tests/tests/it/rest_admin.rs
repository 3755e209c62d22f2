//! The admin REST API (`mongoose_admin_api`) over real HTTP: MongooseIM 6.5's `users` and
//! `sessions` routes, its auth rule, statuses and JSON-string errors (the other groups:
//! rest_admin_groups.rs).

use crate::common::{TestServer, http};
use serde_json::{Value, json};

fn config(credentials: &str) -> String {
    format!(
        r#"
[general]
  hosts = ["localhost"]
  default_server_domain = "localhost"
[auth.password]
  scram_iterations = 64
[[listen.http]]
  port = 0
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
    host = "_"
    path = "/api"
    {credentials}
[[listen.http]]
  port = 0
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
    host = "_"
    path = "/open"
    handlers = ["sessions"]
[modules.mod_roster]
"#
    )
}

const AUTH: (&str, &str) = ("ops", "s3cret");

async fn start() -> TestServer {
    TestServer::start(&config(
        r#"username = "ops"
    password = "s3cret""#,
    ))
    .await
}

#[actix_rt::test]
async fn rest_admin_users_lifecycle() {
    let s = start().await;
    let c = http();
    let base = s.url(0, "/api/users/localhost");
    // Register: 201, location, the result message as text.
    let r = c
        .post(&base)
        .basic_auth(AUTH.0, Some(AUTH.1))
        .json(&json!({"username": "alice", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["location"], "/api/users/localhost/alice");
    assert_eq!(
        r.text().await.unwrap(),
        "User alice@localhost successfully registered"
    );
    // Again: 403, a JSON string.
    let r = c
        .post(&base)
        .basic_auth(AUTH.0, Some(AUTH.1))
        .json(&json!({"username": "alice", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.json::<Value>().await.unwrap().is_string());
    // List (a user name in the path is ignored).
    for url in [base.clone(), format!("{base}/whoever")] {
        let r = c
            .get(&url)
            .basic_auth(AUTH.0, Some(AUTH.1))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap(), json!(["alice@localhost"]));
    }
    // New password, then remove.
    let r = c
        .put(format!("{base}/alice"))
        .basic_auth(AUTH.0, Some(AUTH.1))
        .json(&json!({"newpass": "pw2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let jid = meerkat_xmpp::BareJid::new("alice@localhost").unwrap();
    let server = &s.meerkat.server;
    let check = meerkat_core::commands::account::check_password;
    assert!(check(server, "alice@localhost", "pw2").await.unwrap().ok);
    assert!(!check(server, "alice@localhost", "pw").await.unwrap().ok);
    let r = c
        .delete(format!("{base}/alice"))
        .basic_auth(AUTH.0, Some(AUTH.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(!s.meerkat.server.user_exists(&jid).await.unwrap());
    let r = c
        .delete(format!("{base}/alice"))
        .basic_auth(AUTH.0, Some(AUTH.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!("User does not exist or you are not authorized properly")
    );
}

#[actix_rt::test]
async fn rest_admin_users_bad_requests() {
    let s = start().await;
    let c = http();
    let base = s.url(0, "/api/users/localhost");
    for (body, message) in [
        (json!({"password": "pw"}), "Missing user name"),
        (json!({"username": "bob"}), "Missing password"),
        (
            json!({"username": "bob", "password": "pw", "x": 1}),
            "Invalid request body",
        ),
        (json!(["bob"]), "Invalid request body"),
    ] {
        let r = c
            .post(&base)
            .basic_auth(AUTH.0, Some(AUTH.1))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap(), json!(message), "{body}");
    }
    let r = c
        .post(&base)
        .basic_auth(AUTH.0, Some(AUTH.1))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    for (body, message) in [
        (json!({}), "Missing new password"),
        (json!({"newpass": ""}), "Empty password"),
    ] {
        let r = c
            .put(format!("{base}/bob"))
            .basic_auth(AUTH.0, Some(AUTH.1))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap(), json!(message));
    }
    // Bodies are bounded; without credentials nothing is read at all.
    let big = format!(
        "{{\"username\": \"{}\", \"password\": \"pw\"}}",
        "a".repeat(70_000)
    );
    let r = c
        .post(&base)
        .basic_auth(AUTH.0, Some(AUTH.1))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = c.post(&base).body(big).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // An unknown domain is the command's error.
    let r = c
        .get(s.url(0, "/api/users/nowhere.test"))
        .basic_auth(AUTH.0, Some(AUTH.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Other methods: 405; OPTIONS is allowed.
    let r = c
        .patch(&base)
        .basic_auth(AUTH.0, Some(AUTH.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = c
        .request(reqwest::Method::OPTIONS, &base)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[actix_rt::test]
async fn rest_admin_auth_rules() {
    let s = start().await;
    let c = http();
    let url = s.url(0, "/api/users/localhost");
    // Credentials configured: none or wrong ones are 401 with MongooseIM's realm.
    for req in [
        c.get(&url),
        c.get(&url).basic_auth(AUTH.0, Some("wrong")),
        c.get(&url).header("authorization", "Basic %%%"),
    ] {
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.headers()["www-authenticate"],
            r#"Basic realm="mongooseim""#
        );
    }
    // No credentials configured: anonymous requests pass, any credentials are refused;
    // only the `handlers` subset is served.
    let open = s.url(1, "/open/sessions/localhost");
    let r = c.get(&open).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
    let r = c
        .get(&open)
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(s.url(1, "/open/users/localhost"))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200);
}

#[actix_rt::test]
async fn rest_admin_sessions_list_and_kick() {
    let s = start().await;
    s.register("alice@localhost", "pw").await;
    let server = s.meerkat.server.clone();
    let mut a = crate::core_client::Client::new(meerkat_core::c2s::C2s::new(
        server,
        crate::core_client::conn_info(),
    ));
    a.login_plain("alice", "pw", "phone").await;
    let c = http();
    let r = c
        .get(s.url(0, "/api/sessions/localhost"))
        .basic_auth(AUTH.0, Some(AUTH.1))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!(["alice@localhost/phone"])
    );
    let kick = s.url(0, "/api/sessions/localhost/alice/phone");
    let r = c
        .delete(&kick)
        .basic_auth(AUTH.0, Some(AUTH.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .delete(s.url(0, "/api/sessions/localhost/alice/laptop"))
        .basic_auth(AUTH.0, Some(AUTH.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap(), json!("No active session"));
}
