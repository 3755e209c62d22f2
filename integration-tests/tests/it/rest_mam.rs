//! The REST APIs' archive routes with mod_mam: the client's `GET /messages[/with]` and the
//! admin's `GET /messages/<owner>[/<with>]`, in MongooseIM's shapes (client: from, to, id,
//! body, timestamp in ms; admin: sender, timestamp in s, message_id, body), newest page
//! oldest first, `limit` and `before`.

use crate::common::{TestServer, http};
use crate::ws_client::WsClient;
use serde_json::{Value, json};

const CONFIG: &str = r#"
[general]
  hosts = ["localhost"]
[auth.password]
  scram_iterations = 64
[[listen.http]]
  port = 0
  ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_client_api]]
    host = "_"
    path = "/rest"
  [[listen.http.handlers.mongoose_admin_api]]
    host = "_"
    path = "/api"
  [[listen.http.handlers.mod_websockets]]
    host = "_"
    path = "/ws-xmpp"
[modules.mod_roster]
[modules.mod_offline]
[modules.mod_ping]
[modules.mod_mam]
[modules.mod_mam.pm]
"#;

async fn get(s: &TestServer, path: &str, user: Option<&str>) -> (u16, Value) {
    let mut rb = http().get(s.url(0, path));
    if let Some(u) = user {
        rb = rb.basic_auth(format!("{u}@localhost"), Some(format!("{u}-pw")));
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

fn bodies(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect()
}

#[actix_rt::test]
async fn archive_routes_of_both_apis() {
    let s = TestServer::start(CONFIG).await;
    s.register_users(&["alice", "bob"]).await;
    let mut bob = WsClient::login(&s.ws_url(0), "bob", "localhost", "bob-pw", Some("b")).await;
    bob.available().await;
    for n in 1..=3 {
        let r = http()
            .post(s.url(0, "/rest/messages"))
            .basic_auth("alice@localhost", Some("alice-pw"))
            .json(&json!({"to": "bob@localhost", "body": format!("hi {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        bob.recv_until(|e| e.name() == "message").await;
        // Distinct milliseconds for the `before` checks below.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    bob.send("<message xmlns='jabber:client' to='alice@localhost' type='chat' id='r1'><body>reply</body></message>")
        .await;
    // The pong comes after the message is routed and archived (stanzas in order).
    bob.send("<iq xmlns='jabber:client' type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    bob.recv_until(|e| e.attr("id") == Some("sync")).await;

    // Client API: alice's archive.
    let (status, all) = get(&s, "/rest/messages", Some("alice")).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(bodies(&all), ["hi 1", "hi 2", "hi 3", "reply"]);
    let reply = &all[3];
    assert_eq!(reply["from"], "bob@localhost/b");
    assert_eq!(reply["to"], "alice@localhost");
    assert_eq!(reply["id"], "r1");
    let t2 = all[1]["timestamp"].as_i64().unwrap();
    assert!(t2 > 1_700_000_000_000, "milliseconds: {t2}");
    let (_, last2) = get(&s, "/rest/messages/bob@localhost?limit=2", Some("alice")).await;
    assert_eq!(bodies(&last2), ["hi 3", "reply"]);
    let (_, before) = get(&s, &format!("/rest/messages?before={t2}"), Some("alice")).await;
    assert_eq!(bodies(&before), ["hi 1"]);
    let (_, none) = get(&s, "/rest/messages/carol@localhost", Some("alice")).await;
    assert_eq!(none, json!([]));

    // Admin API: the same archive, MongooseIM's admin shape.
    let (status, all) = get(&s, "/api/messages/alice@localhost", None).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(bodies(&all), ["hi 1", "hi 2", "hi 3", "reply"]);
    assert!(
        all[0]["sender"]
            .as_str()
            .unwrap()
            .starts_with("alice@localhost"),
        "{all}"
    );
    assert_eq!(all[3]["message_id"], "r1");
    let secs = all[3]["timestamp"].as_i64().unwrap();
    assert!(
        (1_700_000_000..4_000_000_000).contains(&secs),
        "seconds: {secs}"
    );
    let (_, one) = get(
        &s,
        "/api/messages/bob@localhost/alice@localhost?limit=1",
        None,
    )
    .await;
    assert_eq!(bodies(&one), ["reply"]);
    assert_eq!(
        get(&s, "/api/messages/nobody@localhost", None).await,
        (400, json!("User does not exist"))
    );
}
