//! GraphQL `domain` category over real HTTP: dynamic domains with host types (add,
//! enable, disable, remove, request removal), their persistence across a restart, the
//! domains being really served (accounts, WebSocket logins), domain-admin passwords,
//! domain-admin login and scoping. Also the record-by-record guard of
//! `account.importUsers` for domain admins.

use crate::common::boot;
use crate::graphql::{ADMIN, DOMAIN_ADMIN, WS, WS_EXTRA, codes, post, post_admin};
use crate::ws_client::WsClient;
use meerkat::Meerkat;
use meerkat_xmpp::BareJid;
use serde_json::{Value, json};
use std::time::Duration;

pub const HOST_TYPE: &str = "dyn type";
pub const OTHER_TYPE: &str = "other type";
/// The GraphQL test config plus `general.host_types`, a WebSocket listener and `extra`.
pub fn config(extra: &str) -> String {
    crate::graphql::config(&format!("{WS_EXTRA}{extra}")).replacen(
        "[general]\n",
        &format!("[general]\nhost_types = [\"{HOST_TYPE}\", \"{OTHER_TYPE}\"]\n"),
        1,
    )
}

/// A server whose data directory outlives it, so that it can be restarted.
pub struct Node {
    pub meerkat: Meerkat,
    config: String,
    dir: tempfile::TempDir,
}

impl Node {
    pub async fn start(config: String) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let meerkat = boot(&config, dir.path()).await;
        Node {
            meerkat,
            config,
            dir,
        }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(&mut self) {
        self.meerkat.listeners.stop(false).await;
        self.meerkat.store.close().await;
        self.meerkat = boot(&self.config, self.dir.path()).await;
    }

    pub async fn stop(&self) {
        self.meerkat.listeners.stop(false).await;
    }

    pub fn url(&self, listener: usize) -> String {
        format!(
            "http://127.0.0.1:{}/api/graphql",
            self.meerkat.listeners.addrs[listener].port()
        )
    }

    pub fn ws_url(&self) -> String {
        format!(
            "ws://127.0.0.1:{}/ws-xmpp",
            self.meerkat.listeners.addrs[WS].port()
        )
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

    /// An admin query with admin/secret (HTTP 200 expected).
    pub async fn admin(&self, query: &str, vars: Value) -> Value {
        post_admin(&self.url(ADMIN), query, vars).await
    }

    /// A domain-admin query (HTTP status and body).
    pub async fn domain_admin(
        &self,
        domain: &str,
        password: &str,
        query: &str,
        vars: Value,
    ) -> (u16, Value) {
        let login = format!("admin@{domain}");
        self.post(DOMAIN_ADMIN, Some((&login, password)), query, vars)
            .await
    }

    pub async fn register(&self, user: &str, domain: &str, password: &str) {
        let jid = BareJid::new(&format!("{user}@{domain}")).unwrap();
        self.meerkat
            .server
            .register_user(&jid, password)
            .await
            .unwrap();
    }
}

const ADD: &str = "mutation($d: DomainName!, $t: String!) { domain { addDomain(domain: $d, hostType: $t) { domain hostType status } } }";
const REMOVE: &str = "mutation($d: DomainName!, $t: String!) { domain { removeDomain(domain: $d, hostType: $t) { domain hostType status } } }";
const REQUEST_REMOVE: &str = "mutation($d: DomainName!, $t: String!) { domain { requestRemoveDomain(domain: $d, hostType: $t) { domain hostType status } } }";
const ENABLE: &str =
    "mutation($d: DomainName!) { domain { enableDomain(domain: $d) { domain hostType status } } }";
const DISABLE: &str =
    "mutation($d: DomainName!) { domain { disableDomain(domain: $d) { domain hostType status } } }";
const DETAILS: &str = "query($d: DomainName!) { domain { domainDetails(domain: $d) { domain hostType status type } } }";
const ALL: &str = "{ domain { allDomains { domain hostType status type } } }";
const BY_TYPE: &str = "query($t: String!) { domain { domainsByHostType(hostType: $t) } }";
const SET_PW: &str = "mutation($d: DomainName!, $p: NonEmptyString!) { domain { setDomainPassword(domain: $d, password: $p) } }";
const DELETE_PW: &str = "mutation($d: DomainName!) { domain { deleteDomainPassword(domain: $d) } }";
const REGISTER: &str = "mutation($d: DomainName!, $u: UserName, $p: String!) { account { registerUser(domain: $d, username: $u, password: $p) { jid } } }";

fn err_message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or("")
}

fn static_entry(domain: &str) -> Value {
    json!({"domain": domain, "hostType": domain, "status": "ENABLED", "type": "STATIC"})
}

fn dynamic_entry(domain: &str, host_type: &str, status: &str) -> Value {
    json!({"domain": domain, "hostType": host_type, "status": status, "type": "DYNAMIC"})
}

/// Logs `user@domain` in over WebSocket (panics if refused) and out again.
async fn log_in_and_out(node: &Node, user: &str, domain: &str, password: &str) {
    let c = WsClient::login(&node.ws_url(), user, domain, password, None).await;
    c.close().await;
}

#[actix_rt::test]
async fn dynamic_domain_lifecycle() {
    let node = Node::start(config("")).await;
    // Add, with MongooseIM's checks.
    let b = node
        .admin(ADD, json!({"d": "Dyn.Test", "t": HOST_TYPE}))
        .await;
    assert_eq!(
        b["data"]["domain"]["addDomain"],
        json!({"domain": "dyn.test", "hostType": HOST_TYPE, "status": null}),
        "{b}"
    );
    let b = node
        .admin(ADD, json!({"d": "dyn.test", "t": OTHER_TYPE}))
        .await;
    assert_eq!(codes(&b), ["duplicate"]);
    assert_eq!(err_message(&b), "Domain already exists");
    let b = node
        .admin(ADD, json!({"d": "localhost", "t": HOST_TYPE}))
        .await;
    assert_eq!(codes(&b), ["static"]);
    assert_eq!(err_message(&b), "Domain is static");
    for t in ["NonExistingHostType", "localhost"] {
        let b = node.admin(ADD, json!({"d": "new.test", "t": t})).await;
        assert_eq!(codes(&b), ["unknown_host_type"], "{t}: {b}");
        assert_eq!(err_message(&b), "Unknown host type");
    }
    node.admin(ADD, json!({"d": "second.test", "t": HOST_TYPE}))
        .await;
    node.admin(ADD, json!({"d": "third.test", "t": OTHER_TYPE}))
        .await;

    // Queries.
    let b = node.admin(BY_TYPE, json!({"t": HOST_TYPE})).await;
    assert_eq!(
        b["data"]["domain"]["domainsByHostType"],
        json!(["dyn.test", "second.test"])
    );
    let b = node.admin(BY_TYPE, json!({"t": "localhost"})).await;
    assert_eq!(codes(&b), ["unknown_host_type"]);
    assert_eq!(b["errors"][0]["extensions"]["hostType"], "localhost");
    let b = node.admin(ALL, json!({})).await;
    assert_eq!(
        b["data"]["domain"]["allDomains"],
        json!([
            dynamic_entry("dyn.test", HOST_TYPE, "ENABLED"),
            static_entry("localhost"),
            static_entry("other.test"),
            dynamic_entry("second.test", HOST_TYPE, "ENABLED"),
            dynamic_entry("third.test", OTHER_TYPE, "ENABLED"),
        ])
    );
    let b = node.admin(DETAILS, json!({"d": "dyn.test"})).await;
    assert_eq!(
        b["data"]["domain"]["domainDetails"],
        dynamic_entry("dyn.test", HOST_TYPE, "ENABLED")
    );
    let b = node.admin(DETAILS, json!({"d": "localhost"})).await;
    assert_eq!(
        b["data"]["domain"]["domainDetails"],
        static_entry("localhost")
    );
    let b = node.admin(DETAILS, json!({"d": "nowhere.test"})).await;
    assert_eq!(codes(&b), ["not_found"]);
    assert_eq!(err_message(&b), "Given domain does not exist");
    assert_eq!(b["errors"][0]["extensions"]["domain"], "nowhere.test");

    // A dynamic domain is served: accounts, WebSocket logins, routing.
    let b = node
        .admin(
            REGISTER,
            json!({"d": "dyn.test", "u": "alice", "p": "alice-pw"}),
        )
        .await;
    assert_eq!(
        b["data"]["account"]["registerUser"]["jid"], "alice@dyn.test",
        "{b}"
    );
    let mut alice = WsClient::login(&node.ws_url(), "alice", "dyn.test", "alice-pw", None).await;
    assert!(alice.jid.starts_with("alice@dyn.test/"), "{}", alice.jid);

    // Disable: the session ends, logins and registration are refused, data is kept.
    let b = node.admin(DISABLE, json!({"d": "dyn.test"})).await;
    assert_eq!(
        b["data"]["domain"]["disableDomain"],
        json!({"domain": "dyn.test", "hostType": null, "status": "DISABLED"}),
        "{b}"
    );
    alice.expect_stream_error("policy-violation").await;
    let mut c = WsClient::connect(&node.ws_url()).await;
    let refused = c.open("dyn.test").await;
    assert!(
        refused.has_child("host-unknown", "urn:ietf:params:xml:ns:xmpp-streams"),
        "{refused}"
    );
    let b = node
        .admin(
            REGISTER,
            json!({"d": "dyn.test", "u": "bob", "p": "bob-pw"}),
        )
        .await;
    assert_eq!(codes(&b), ["domain_not_found"]);
    let b = node.admin(BY_TYPE, json!({"t": HOST_TYPE})).await;
    assert_eq!(
        b["data"]["domain"]["domainsByHostType"],
        json!(["second.test"])
    );
    let b = node.admin(DETAILS, json!({"d": "dyn.test"})).await;
    assert_eq!(
        b["data"]["domain"]["domainDetails"],
        dynamic_entry("dyn.test", HOST_TYPE, "DISABLED")
    );
    // Disabling twice is fine.
    let b = node.admin(DISABLE, json!({"d": "dyn.test"})).await;
    assert_eq!(b["data"]["domain"]["disableDomain"]["status"], "DISABLED");

    // Enable: served again, the account is still there.
    let b = node.admin(ENABLE, json!({"d": "dyn.test"})).await;
    assert_eq!(
        b["data"]["domain"]["enableDomain"],
        json!({"domain": "dyn.test", "hostType": null, "status": "ENABLED"})
    );
    log_in_and_out(&node, "alice", "dyn.test", "alice-pw").await;

    // Static domains and unknown domains cannot be enabled or disabled.
    for q in [ENABLE, DISABLE] {
        let b = node.admin(q, json!({"d": "localhost"})).await;
        assert_eq!(codes(&b), ["static"]);
        let b = node.admin(q, json!({"d": "NonExistingDomain"})).await;
        assert_eq!(codes(&b), ["not_found"]);
        assert_eq!(err_message(&b), "Given domain does not exist");
    }

    // Remove: checks first, then the domain and its accounts are gone.
    let b = node
        .admin(REMOVE, json!({"d": "dyn.test", "t": OTHER_TYPE}))
        .await;
    assert_eq!(codes(&b), ["wrong_host_type"]);
    assert_eq!(err_message(&b), "Wrong host type was provided");
    let b = node
        .admin(REMOVE, json!({"d": "localhost", "t": HOST_TYPE}))
        .await;
    assert_eq!(codes(&b), ["static"]);
    let b = node
        .admin(REMOVE, json!({"d": "dyn.test", "t": "no such type"}))
        .await;
    assert_eq!(codes(&b), ["unknown_host_type"]);
    let mut alice = WsClient::login(&node.ws_url(), "alice", "dyn.test", "alice-pw", None).await;
    let b = node
        .admin(REMOVE, json!({"d": "dyn.test", "t": HOST_TYPE}))
        .await;
    assert_eq!(
        b["data"]["domain"]["removeDomain"],
        json!({"domain": "dyn.test", "hostType": HOST_TYPE, "status": "DELETED"}),
        "{b}"
    );
    alice.expect_stream_error("policy-violation").await;
    let store = node.meerkat.server.store();
    assert_eq!(store.count_users("dyn.test").await.unwrap(), 0);
    let b = node
        .admin(REMOVE, json!({"d": "dyn.test", "t": HOST_TYPE}))
        .await;
    assert_eq!(codes(&b), ["not_found"]);
    let b = node.admin(DETAILS, json!({"d": "dyn.test"})).await;
    assert_eq!(codes(&b), ["not_found"]);

    // Request removal: DELETING at once, gone (with its accounts) soon after.
    node.register("carol", "second.test", "carol-pw").await;
    let b = node
        .admin(REQUEST_REMOVE, json!({"d": "second.test", "t": HOST_TYPE}))
        .await;
    assert_eq!(
        b["data"]["domain"]["requestRemoveDomain"],
        json!({"domain": "second.test", "hostType": HOST_TYPE, "status": "DELETING"}),
        "{b}"
    );
    let mut gone = false;
    for _ in 0..50 {
        let b = node.admin(DETAILS, json!({"d": "second.test"})).await;
        if codes(&b) == ["not_found"] {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "second.test was not removed");
    assert_eq!(store.count_users("second.test").await.unwrap(), 0);
    let b = node
        .admin(REQUEST_REMOVE, json!({"d": "second.test", "t": HOST_TYPE}))
        .await;
    assert_eq!(codes(&b), ["not_found"]);
    let b = node.admin(BY_TYPE, json!({"t": HOST_TYPE})).await;
    assert_eq!(b["data"]["domain"]["domainsByHostType"], json!([]));

    // A domain being deleted cannot be enabled or disabled (its status set as a removal
    // in progress would leave it).
    node.admin(ADD, json!({"d": "going.test", "t": HOST_TYPE}))
        .await;
    store
        .domain_set_status("going.test", meerkat_core::store::DomainStatus::Deleting)
        .await
        .unwrap();
    for q in [ENABLE, DISABLE] {
        let b = node.admin(q, json!({"d": "going.test"})).await;
        assert_eq!(codes(&b), ["deleted"], "{b}");
        assert_eq!(err_message(&b), "Domain has been deleted");
    }

    // A domain of the same name can be added again, empty.
    node.admin(ADD, json!({"d": "dyn.test", "t": OTHER_TYPE}))
        .await;
    let b = node
        .admin(
            "{ account { countUsers(domain: \"dyn.test\") } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["account"]["countUsers"], 0, "{b}");
    node.stop().await;
}

#[actix_rt::test]
async fn dynamic_domains_and_passwords_survive_a_restart() {
    let mut node = Node::start(config("")).await;
    node.admin(ADD, json!({"d": "kept.test", "t": HOST_TYPE}))
        .await;
    node.admin(ADD, json!({"d": "off.test", "t": OTHER_TYPE}))
        .await;
    node.admin(DISABLE, json!({"d": "off.test"})).await;
    node.register("dave", "kept.test", "dave-pw").await;
    let b = node
        .admin(SET_PW, json!({"d": "kept.test", "p": "kept-admin"}))
        .await;
    assert_eq!(
        b["data"]["domain"]["setDomainPassword"],
        "Domain password set successfully"
    );
    node.admin(SET_PW, json!({"d": "localhost", "p": "local-admin"}))
        .await;
    // A removal interrupted by the stop (status `deleting`) is finished after the start.
    node.admin(ADD, json!({"d": "half.test", "t": HOST_TYPE}))
        .await;
    node.register("frank", "half.test", "frank-pw").await;
    node.meerkat
        .server
        .store()
        .domain_set_status("half.test", meerkat_core::store::DomainStatus::Deleting)
        .await
        .unwrap();

    node.restart().await;

    let mut gone = false;
    for _ in 0..50 {
        if codes(&node.admin(DETAILS, json!({"d": "half.test"})).await) == ["not_found"] {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the interrupted removal was not finished");
    let store = node.meerkat.server.store();
    assert_eq!(store.count_users("half.test").await.unwrap(), 0);

    let b = node.admin(ALL, json!({})).await;
    assert_eq!(
        b["data"]["domain"]["allDomains"],
        json!([
            dynamic_entry("kept.test", HOST_TYPE, "ENABLED"),
            static_entry("localhost"),
            dynamic_entry("off.test", OTHER_TYPE, "DISABLED"),
            static_entry("other.test"),
        ])
    );
    // Served (or not) as before the restart.
    log_in_and_out(&node, "dave", "kept.test", "dave-pw").await;
    let mut c = WsClient::connect(&node.ws_url()).await;
    let refused = c.open("off.test").await;
    assert!(
        refused.has_child("host-unknown", "urn:ietf:params:xml:ns:xmpp-streams"),
        "{refused}"
    );
    // Domain-admin passwords too.
    let q = "{ checkAuth { domain authStatus authType } }";
    let (s, b) = node
        .domain_admin("kept.test", "kept-admin", q, json!({}))
        .await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]),
        (
            200,
            &json!({"domain": "kept.test", "authStatus": "AUTHORIZED", "authType": "DOMAIN_ADMIN"})
        )
    );
    let (s, _) = node
        .domain_admin("localhost", "local-admin", q, json!({}))
        .await;
    assert_eq!(s, 200);
    node.stop().await;
}

#[actix_rt::test]
async fn domain_admin_passwords_login_and_scoping() {
    let node = Node::start(config("")).await;
    let q = "{ checkAuth { domain authStatus authType } }";
    // No password yet: nobody logs in as a domain admin.
    let (s, b) = node.domain_admin("localhost", "x", q, json!({})).await;
    assert_eq!((s, codes(&b)), (401, vec!["wrong_credentials".to_owned()]));

    let b = node
        .admin(SET_PW, json!({"d": "localhost", "p": "local-pw"}))
        .await;
    assert_eq!(
        b["data"]["domain"]["setDomainPassword"],
        "Domain password set successfully"
    );
    let (s, b) = node
        .domain_admin("localhost", "local-pw", q, json!({}))
        .await;
    assert_eq!(
        (s, &b["data"]["checkAuth"]),
        (
            200,
            &json!({"domain": "localhost", "authStatus": "AUTHORIZED", "authType": "DOMAIN_ADMIN"})
        )
    );
    for (login, pw) in [
        ("admin@localhost", "wrong"),
        ("admin@other.test", "local-pw"),
        ("root@localhost", "local-pw"),
    ] {
        let (s, b) = node
            .post(DOMAIN_ADMIN, Some((login, pw)), q, json!({}))
            .await;
        assert_eq!(
            (s, codes(&b)),
            (401, vec!["wrong_credentials".to_owned()]),
            "{login}"
        );
    }

    // Scoping: its own domain only, global operations never.
    let da = |query: &'static str, vars: Value| {
        let node = &node;
        async move {
            node.domain_admin("localhost", "local-pw", query, vars)
                .await
        }
    };
    let (_, b) = da(DETAILS, json!({"d": "localhost"})).await;
    assert_eq!(
        b["data"]["domain"]["domainDetails"],
        static_entry("localhost"),
        "{b}"
    );
    let (_, b) = da(DETAILS, json!({"d": "other.test"})).await;
    assert_eq!(codes(&b), ["no_permissions"]);
    for (query, vars) in [
        (ALL, json!({})),
        (BY_TYPE, json!({"t": HOST_TYPE})),
        (ADD, json!({"d": "mine.test", "t": HOST_TYPE})),
        (REMOVE, json!({"d": "localhost", "t": HOST_TYPE})),
        (REQUEST_REMOVE, json!({"d": "localhost", "t": HOST_TYPE})),
        (ENABLE, json!({"d": "localhost"})),
        (DISABLE, json!({"d": "localhost"})),
        (DELETE_PW, json!({"d": "localhost"})),
        (SET_PW, json!({"d": "other.test", "p": "stolen"})),
    ] {
        let (_, b) = da(query, vars).await;
        assert_eq!(codes(&b), ["no_permissions"], "{query}: {b}");
    }
    // Nothing happened meanwhile.
    let b = node.admin(ALL, json!({})).await;
    assert_eq!(
        b["data"]["domain"]["allDomains"],
        json!([static_entry("localhost"), static_entry("other.test")])
    );
    let (s, _) = node
        .domain_admin("other.test", "stolen", q, json!({}))
        .await;
    assert_eq!(s, 401);

    // The domain admin changes its own password.
    let (_, b) = da(SET_PW, json!({"d": "localhost", "p": "newer-pw"})).await;
    assert_eq!(
        b["data"]["domain"]["setDomainPassword"],
        "Domain password set successfully"
    );
    let (s, _) = node
        .domain_admin("localhost", "local-pw", q, json!({}))
        .await;
    assert_eq!(s, 401);
    let (s, _) = node
        .domain_admin("localhost", "newer-pw", q, json!({}))
        .await;
    assert_eq!(s, 200);

    // The global admin deletes it; deleting again is not_found.
    let b = node.admin(DELETE_PW, json!({"d": "localhost"})).await;
    assert_eq!(
        b["data"]["domain"]["deleteDomainPassword"],
        "Domain password deleted successfully"
    );
    let (s, _) = node
        .domain_admin("localhost", "newer-pw", q, json!({}))
        .await;
    assert_eq!(s, 401);
    let b = node.admin(DELETE_PW, json!({"d": "localhost"})).await;
    assert_eq!(codes(&b), ["not_found"]);
    assert_eq!(err_message(&b), "Domain password does not exist");
    let b = node
        .admin(DELETE_PW, json!({"d": "unknown-domain.com"}))
        .await;
    assert_eq!(codes(&b), ["not_found"]);

    // Only served domains get a password.
    let b = node
        .admin(SET_PW, json!({"d": "unknown-domain.com", "p": "x"}))
        .await;
    assert_eq!(codes(&b), ["not_found"]);
    assert_eq!(
        err_message(&b),
        "Given domain does not exist or is disabled"
    );
    node.admin(ADD, json!({"d": "dyn.test", "t": HOST_TYPE}))
        .await;
    node.admin(DISABLE, json!({"d": "dyn.test"})).await;
    let b = node.admin(SET_PW, json!({"d": "dyn.test", "p": "x"})).await;
    assert_eq!(codes(&b), ["not_found"]);
    node.admin(ENABLE, json!({"d": "dyn.test"})).await;

    // The admin of a dynamic domain manages its accounts, and only those.
    node.admin(SET_PW, json!({"d": "dyn.test", "p": "dyn-admin"}))
        .await;
    let (s, b) = node
        .domain_admin(
            "dyn.test",
            "dyn-admin",
            REGISTER,
            json!({"d": "dyn.test", "u": "erin", "p": "erin-pw"}),
        )
        .await;
    assert_eq!(
        (s, &b["data"]["account"]["registerUser"]["jid"]),
        (200, &json!("erin@dyn.test")),
        "{b}"
    );
    let (_, b) = node
        .domain_admin(
            "dyn.test",
            "dyn-admin",
            REGISTER,
            json!({"d": "localhost", "u": "erin", "p": "erin-pw"}),
        )
        .await;
    assert_eq!(codes(&b), ["no_permissions"]);
    // Removing the domain removes its admin password.
    node.admin(REMOVE, json!({"d": "dyn.test", "t": HOST_TYPE}))
        .await;
    let (s, _) = node
        .domain_admin("dyn.test", "dyn-admin", q, json!({}))
        .await;
    assert_eq!(s, 401);
    node.stop().await;
}

#[actix_rt::test]
async fn domain_admin_import_is_limited_to_its_domain() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(crate::graphql::with_general(
        &config(""),
        &crate::graphql::file_dirs(dir.path()),
    ))
    .await;
    node.admin(SET_PW, json!({"d": "localhost", "p": "local-pw"}))
        .await;
    let csv = dir.path().join("users.csv");
    std::fs::write(
        &csv,
        "frank,localhost,pw1\nmallory,other.test,pw2\ngrace,LOCALHOST,pw3\n",
    )
    .unwrap();
    let import = "mutation($f: NonEmptyString!) { account { importUsers(filename: $f) { status created existing notAllowed } } }";
    let (s, b) = node
        .domain_admin("localhost", "local-pw", import, json!({"f": "users.csv"}))
        .await;
    assert_eq!(s, 200, "{b}");
    let p = &b["data"]["account"]["importUsers"];
    assert_eq!(
        p["created"],
        json!(["frank@localhost", "grace@localhost"]),
        "{b}"
    );
    assert_eq!(p["notAllowed"], json!(["mallory@other.test"]));
    assert_eq!(p["existing"], json!([]));
    // The refused record was not created.
    let b = node
        .admin(
            "{ account { checkUser(user: \"mallory@other.test\") { exist } countUsers(domain: \"other.test\") } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["account"]["checkUser"]["exist"], false, "{b}");
    assert_eq!(b["data"]["account"]["countUsers"], 0);
    node.stop().await;
}
