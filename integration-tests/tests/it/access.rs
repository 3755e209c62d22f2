//! MongooseIM's abuse controls over real WebSocket clients: `max_user_sessions`,
//! `max_user_offline_messages` and `c2s_shaper` from `[acl]`/`[access]`/`[shaper]`, the
//! login failure throttle, and unknown users that look and cost like known ones.

use crate::bosh_client::Bosh;
use crate::common::{BOSH_HANDLER, LOCALHOST_HTTP, TestServer, WS_HANDLER, boot};
use crate::ws_client::WsClient;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use meerkat_xmpp::scram::{ScramClient, ScramHash};
use meerkat_xmpp::{BareJid, Element, ns};
use std::time::{Duration, Instant};

const DOMAIN: &str = "localhost";

fn config(extra: &str) -> String {
    format!(
        "{LOCALHOST_HTTP}{WS_HANDLER}
[modules.mod_presence]
[modules.mod_offline]
[modules.mod_ping]
{extra}"
    )
}

async fn start(extra: &str, users: &[&str]) -> (TestServer, String) {
    let server = TestServer::start(&config(extra)).await;
    server.register_users(users).await;
    let url = server.ws_url(0);
    (server, url)
}

async fn login(url: &str, user: &str, resource: &str) -> WsClient {
    WsClient::login(url, user, DOMAIN, &format!("{user}-pw"), Some(resource)).await
}

async fn ping(c: &mut WsClient, id: &str) -> Element {
    c.send(&format!(
        "<iq xmlns='jabber:client' type='get' id='{id}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
    ))
    .await;
    c.recv_until(|e| e.attr("id") == Some(id)).await
}

/// A connection with an open stream, ready for SASL.
async fn opened(url: &str) -> WsClient {
    let mut c = WsClient::connect(url).await;
    let features = c.open(DOMAIN).await;
    assert!(features.is("features", ns::STREAM), "{features}");
    c
}

/// One PLAIN attempt on an open stream; the server's answer.
async fn plain(c: &mut WsClient, user: &str, password: &str) -> Element {
    let data = B64.encode(format!("\0{user}\0{password}"));
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{data}</auth>"
    ))
    .await;
    c.recv().await
}

fn is_failure(el: &Element, condition: &str) -> bool {
    el.is("failure", ns::SASL) && el.has_child(condition, ns::SASL)
}

/// The `(salt, iterations)` of a SCRAM-SHA-256 server-first message for `user`.
async fn scram_first(url: &str, user: &str) -> (Vec<u8>, u32) {
    let mut c = opened(url).await;
    let mut scram = ScramClient::new(ScramHash::Sha256, user, "whatever");
    let first = B64.encode(scram.client_first());
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>{first}</auth>"
    ))
    .await;
    let challenge = c.recv().await;
    assert!(challenge.is("challenge", ns::SASL), "{challenge}");
    let text = String::from_utf8(B64.decode(challenge.text()).unwrap()).unwrap();
    let mut salt = None;
    let mut iterations = None;
    for attr in text.split(',') {
        if let Some(s) = attr.strip_prefix("s=") {
            salt = Some(B64.decode(s).unwrap());
        } else if let Some(i) = attr.strip_prefix("i=") {
            iterations = Some(i.parse().unwrap());
        }
    }
    c.drop_socket();
    (salt.expect("salt"), iterations.expect("iterations"))
}

#[actix_rt::test]
async fn max_user_sessions_replaces_the_oldest_session() {
    let (server, url) = start(
        r#"
[acl]
  vip = [{user = "bob"}]
[access]
  max_user_sessions = [{acl = "vip", value = 3}, {acl = "all", value = 2}]
"#,
        &["alice", "bob"],
    )
    .await;
    let mut a1 = login(&url, "alice", "r1").await;
    let mut a2 = login(&url, "alice", "r2").await;
    assert_eq!(ping(&mut a1, "p0").await.attr("type"), Some("result"));
    // The third session is over the limit of 2: the oldest one goes, as in MongooseIM.
    let mut a3 = login(&url, "alice", "r3").await;
    a1.expect_stream_error("conflict").await;
    assert_eq!(ping(&mut a2, "p1").await.attr("type"), Some("result"));
    assert_eq!(ping(&mut a3, "p2").await.attr("type"), Some("result"));
    let alice = BareJid::new("alice@localhost").unwrap();
    let mut left: Vec<String> = server
        .meerkat
        .server
        .sm()
        .resources(&alice)
        .iter()
        .map(|r| r.jid.resource().as_str().to_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["r2", "r3"]);
    // The rule is per user: bob's class allows three.
    let mut bobs = Vec::new();
    for r in ["b1", "b2", "b3"] {
        bobs.push(login(&url, "bob", r).await);
    }
    for (i, b) in bobs.iter_mut().enumerate() {
        let id = format!("b{i}");
        assert_eq!(ping(b, &id).await.attr("type"), Some("result"));
    }
    server.stop().await;
}

#[actix_rt::test]
async fn offline_limit_comes_from_the_access_rule() {
    let (server, url) = start(
        r#"
[acl]
  vip = [{user = "carol"}]
[access]
  max_user_offline_messages = [{acl = "vip", value = 3}, {acl = "all", value = 2}]
"#,
        &["alice", "bob", "carol"],
    )
    .await;
    let mut alice = login(&url, "alice", "r").await;
    for to in ["bob", "carol"] {
        for i in 1..=3 {
            alice
                .send(&format!(
                    "<message xmlns='jabber:client' to='{to}@localhost' id='{to}{i}' type='chat'><body>{i}</body></message>"
                ))
                .await;
        }
    }
    // bob's third message is over his limit of 2 and bounces; carol's limit is 3.
    let bounce = alice
        .recv_until(|e| e.name() == "message" && e.attr("type") == Some("error"))
        .await;
    assert_eq!(bounce.attr("id"), Some("bob3"), "{bounce}");
    let error = bounce.get_child("error", ns::CLIENT).expect("error");
    assert!(
        error.has_child("resource-constraint", ns::STANZAS),
        "{bounce}"
    );
    assert_eq!(ping(&mut alice, "p").await.attr("type"), Some("result"));
    assert_eq!(alice.silent_for(Duration::from_millis(200)).await, None);
    let count = |u: &'static str| {
        let store = server.meerkat.server.clone();
        async move { store.store().offline_count(u).await.unwrap() }
    };
    assert_eq!(count("bob@localhost").await, 2);
    assert_eq!(count("carol@localhost").await, 3);
    server.stop().await;
}

#[actix_rt::test]
async fn c2s_shaper_limits_a_clients_incoming_bytes() {
    let (server, url) = start(
        r#"
[shaper.slow]
  max_rate = 1000
[acl]
  admin = [{user = "bob"}]
[access]
  c2s_shaper = [{acl = "admin", value = "none"}, {acl = "all", value = "slow"}]
"#,
        &["alice", "bob"],
    )
    .await;
    // Three frames of about 1000 bytes and a ping: about 3 KB at 1000 bytes per second
    // with a bucket of 1000 bytes cannot be read in less than about 2 seconds.
    async fn burst(c: &mut WsClient) -> Duration {
        let body = "x".repeat(900);
        let jid = c.jid.clone();
        let start = Instant::now();
        for i in 0..3 {
            c.send(&format!(
                "<message xmlns='jabber:client' to='{jid}' id='m{i}' type='chat'><body>{body}</body></message>"
            ))
            .await;
        }
        let pong = ping(c, "after-burst").await;
        assert_eq!(pong.attr("type"), Some("result"));
        start.elapsed()
    }
    let mut alice = login(&url, "alice", "r").await;
    let shaped = burst(&mut alice).await;
    assert!(shaped >= Duration::from_millis(1900), "shaped: {shaped:?}");
    // bob's class gets no shaper once he has authenticated.
    let mut bob = login(&url, "bob", "r").await;
    let free = burst(&mut bob).await;
    assert!(free < Duration::from_millis(1500), "unshaped: {free:?}");
    server.stop().await;
}

#[actix_rt::test]
async fn c2s_shaper_limits_a_bosh_clients_incoming_bytes() {
    let server = TestServer::start(&format!(
        "{LOCALHOST_HTTP}{BOSH_HANDLER}
[services.service_bosh]
[modules.mod_ping]
[shaper.slow]
  max_rate = 1000
[access]
  c2s_shaper = [{{acl = \"all\", value = \"slow\"}}]
"
    ))
    .await;
    server.register_users(&["alice"]).await;
    let url = server.url(0, "/http-bind");
    let mut b = Bosh::login(&url, "alice", DOMAIN, "alice-pw").await;
    let body = "x".repeat(900);
    let jid = b.jid.clone();
    let start = Instant::now();
    for i in 0..3 {
        b.send(&format!(
            "<message xmlns='jabber:client' to='{jid}' id='m{i}' type='chat'><body>{body}</body></message>"
        ))
        .await;
    }
    let r = b
        .send("<iq xmlns='jabber:client' type='get' id='bp' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let pong = match r.children().find(|e| e.attr("id") == Some("bp")) {
        Some(p) => p.clone(),
        None => b.poll_until(|e| e.attr("id") == Some("bp")).await,
    };
    assert_eq!(pong.attr("type"), Some("result"));
    // About 3.3 KB at 1000 bytes per second, with at most a 1000-byte bucket left.
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1900),
        "shaped: {elapsed:?}"
    );
    server.stop().await;
}

#[actix_rt::test]
async fn repeated_bad_passwords_lock_the_account_for_a_while() {
    let (server, url) = start(
        r#"
[auth.login_throttle]
  max_failures_per_account = 3
  lockout = 2
"#,
        &["alice", "bob"],
    )
    .await;
    let mut c = opened(&url).await;
    for _ in 0..3 {
        let r = plain(&mut c, "alice", "wrong").await;
        assert!(is_failure(&r, "not-authorized"), "{r}");
    }
    // Locked: even the right password is refused, with PLAIN and with SCRAM.
    let r = plain(&mut c, "alice", "alice-pw").await;
    assert!(is_failure(&r, "temporary-auth-failure"), "{r}");
    let mut scram = ScramClient::new(ScramHash::Sha256, "alice", "alice-pw");
    let first = B64.encode(scram.client_first());
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>{first}</auth>"
    ))
    .await;
    let r = c.recv().await;
    assert!(is_failure(&r, "temporary-auth-failure"), "{r}");
    // Another account from the same address is not affected.
    let mut other = opened(&url).await;
    let r = plain(&mut other, "bob", "bob-pw").await;
    assert!(r.is("success", ns::SASL), "{r}");
    // After the lockout the right password works again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = plain(&mut c, "alice", "alice-pw").await;
    assert!(r.is("success", ns::SASL), "{r}");
    server.stop().await;
}

#[actix_rt::test]
async fn failures_from_one_address_lock_the_address() {
    let (server, url) = start(
        r#"
[auth.login_throttle]
  max_failures_per_account = "infinity"
  max_failures_per_ip = 3
  lockout = 60
"#,
        &["alice", "bob"],
    )
    .await;
    let mut c = opened(&url).await;
    // Guessing different accounts, existing or not, counts against the address.
    for user in ["alice", "nobody", "somebody"] {
        let r = plain(&mut c, user, "guess").await;
        assert!(is_failure(&r, "not-authorized"), "{r}");
    }
    let mut other = opened(&url).await;
    let r = plain(&mut other, "bob", "bob-pw").await;
    assert!(is_failure(&r, "temporary-auth-failure"), "{r}");
    server.stop().await;
}

#[actix_rt::test]
async fn scram_for_an_unknown_user_looks_like_a_known_one() {
    let config = config("");
    let dir = tempfile::tempdir().unwrap();
    let first_salts = {
        let m = boot(&config, dir.path()).await;
        m.server
            .register_user(&BareJid::new("alice@localhost").unwrap(), "alice-pw")
            .await
            .unwrap();
        let url = format!("ws://127.0.0.1:{}/ws-xmpp", m.listeners.addrs[0].port());
        let (known_salt, known_i) = scram_first(&url, "alice").await;
        let (unknown_salt, unknown_i) = scram_first(&url, "nobody").await;
        assert_eq!(known_i, unknown_i);
        assert_eq!(known_salt.len(), unknown_salt.len());
        assert_ne!(known_salt, unknown_salt);
        // Deterministic per name: a second try shows the same salt, as for a real user.
        assert_eq!(scram_first(&url, "nobody").await.0, unknown_salt);
        assert_eq!(scram_first(&url, "alice").await.0, known_salt);
        m.listeners.stop(false).await;
        m.store.close().await;
        (known_salt, unknown_salt)
    };
    // And across a restart: a salt that changed would tell the account does not exist.
    let m = boot(&config, dir.path()).await;
    let url = format!("ws://127.0.0.1:{}/ws-xmpp", m.listeners.addrs[0].port());
    assert_eq!(scram_first(&url, "alice").await.0, first_salts.0);
    assert_eq!(scram_first(&url, "nobody").await.0, first_salts.1);
    m.listeners.stop(false).await;
    m.store.close().await;
}

#[actix_rt::test]
async fn plain_for_an_unknown_user_costs_what_a_known_one_does() {
    // Enough iterations that one PBKDF2 run dominates a login attempt.
    let config = format!(
        "[general]
hosts = [\"localhost\"]
[auth.password]
scram_iterations = 20000
[auth.login_throttle]
max_failures_per_account = \"infinity\"
max_failures_per_ip = \"infinity\"
[[listen.http]]
port = 0
ip_address = \"127.0.0.1\"
{WS_HANDLER}"
    );
    let server = TestServer::start(&config).await;
    server.register("alice@localhost", "alice-pw").await;
    let url = server.ws_url(0);
    let mut c = opened(&url).await;
    async fn median(c: &mut WsClient, user: &str) -> Duration {
        let mut times = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let r = plain(c, user, "wrong").await;
            times.push(start.elapsed());
            assert!(is_failure(&r, "not-authorized"), "{r}");
        }
        times.sort();
        times[2]
    }
    let known = median(&mut c, "alice").await;
    let unknown = median(&mut c, "nobody").await;
    assert!(
        known >= Duration::from_millis(5),
        "a known user's check is too cheap to compare: {known:?}"
    );
    assert!(
        unknown * 3 >= known,
        "unknown user {unknown:?} vs known user {known:?}"
    );
    server.stop().await;
}
