//! GraphQL `token` category over real HTTP, and the tokens in use: X-OAUTH logins over
//! WebSocket with access and refresh tokens, revocation (persisted across a restart),
//! expiry, domain-admin scoping, and `deps_not_loaded` without mod_auth_token.

use crate::graphql::{USER, codes};
use crate::graphql_domain::{Node, config};
use crate::ws_client::WsClient;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use meerkat_xmpp::{Element, ns};
use serde_json::{Value, json};

const REQUEST: &str = "mutation($u: JID!) { token { requestToken(user: $u) { access refresh } } }";
const REVOKE: &str = "mutation($u: JID!) { token { revokeToken(user: $u) } }";

fn with_tokens() -> String {
    config("[modules.mod_auth_token]\n")
}

/// (access, refresh) from a requestToken answer.
fn tokens(body: &Value, path: &str) -> (String, String) {
    let t = &body["data"]["token"][path];
    let access = t["access"].as_str().unwrap_or_else(|| panic!("{body}"));
    let refresh = t["refresh"].as_str().unwrap_or_else(|| panic!("{body}"));
    (access.to_owned(), refresh.to_owned())
}

/// Opens a stream to `domain` and authenticates with X-OAUTH. On success, binds a
/// resource and returns the client and the data of `<success/>` (decoded); otherwise the
/// SASL failure.
async fn oauth(node: &Node, domain: &str, token: &str) -> Result<(WsClient, Vec<u8>), Element> {
    let mut c = WsClient::connect(&node.ws_url()).await;
    let features = c.open(domain).await;
    let offered: Vec<String> = features
        .get_child("mechanisms", ns::SASL)
        .map(|m| m.children().map(|c| c.text()).collect())
        .unwrap_or_default();
    assert!(offered.iter().any(|m| m == "X-OAUTH"), "{features}");
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-OAUTH'>{}</auth>",
        B64.encode(token)
    ))
    .await;
    let reply = c.recv().await;
    if !reply.is("success", ns::SASL) {
        return Err(reply);
    }
    let text = reply.text();
    let data = B64.decode(text.trim()).expect("base64 in success");
    let features = c.open(domain).await;
    assert!(features.has_child("bind", ns::BIND), "{features}");
    c.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>").await;
    let bound = c.recv().await;
    assert_eq!(bound.attr("type"), Some("result"), "{bound}");
    c.jid = bound
        .get_child("bind", ns::BIND)
        .and_then(|b| b.get_child("jid", ns::BIND))
        .map(|j| j.text())
        .unwrap_or_default();
    Ok((c, data))
}

async fn refused(node: &Node, domain: &str, token: &str) {
    match oauth(node, domain, token).await {
        Ok((c, _)) => panic!("token login of {} succeeded", c.jid),
        Err(failure) => {
            assert!(failure.is("failure", ns::SASL), "{failure}");
            assert!(failure.has_child("not-authorized", ns::SASL), "{failure}");
        }
    }
}

#[actix_rt::test]
async fn token_login_refresh_and_revocation() {
    let mut node = Node::start(with_tokens()).await;
    node.register("alice", "localhost", "alice-pw").await;
    node.register("bob", "localhost", "bob-pw").await;
    let b = node.admin(REQUEST, json!({"u": "alice@localhost"})).await;
    let (access, refresh) = tokens(&b, "requestToken");
    // MongooseIM's serialization: type, JID, expiry, [sequence number], MAC.
    let fields: Vec<&str> = access.split('\0').collect();
    assert_eq!(fields[..2], ["access", "alice@localhost"], "{access:?}");
    assert_eq!(fields.len(), 4);
    assert_eq!(fields[3].len(), 96, "hex HMAC-SHA-384");
    let fields: Vec<&str> = refresh.split('\0').collect();
    assert_eq!(fields[..2], ["refresh", "alice@localhost"]);
    assert_eq!(fields.len(), 5);

    // An access token logs in.
    let (c, extra) = oauth(&node, "localhost", &access).await.unwrap();
    assert!(c.jid.starts_with("alice@localhost/"), "{}", c.jid);
    assert!(extra.is_empty());
    c.close().await;
    // A refresh token logs in and earns a new access token, which logs in too.
    let (c, extra) = oauth(&node, "localhost", &refresh).await.unwrap();
    assert!(c.jid.starts_with("alice@localhost/"));
    let fresh = String::from_utf8(extra).unwrap();
    assert!(fresh.starts_with("access\0alice@localhost\0"), "{fresh:?}");
    c.close().await;
    let (c, _) = oauth(&node, "localhost", &fresh).await.unwrap();
    c.close().await;

    // Forged or misdirected tokens are refused.
    let mut forged = access.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    refused(&node, "localhost", &forged).await;
    let as_bob = access.replacen("alice@", "bob@", 1);
    refused(&node, "localhost", &as_bob).await;
    refused(&node, "other.test", &access).await;
    refused(&node, "localhost", "not a token").await;

    // Tokens survive a restart (the signing secret is persisted).
    node.restart().await;
    let (c, _) = oauth(&node, "localhost", &access).await.unwrap();
    c.close().await;

    // Revocation: every token issued before stops working, access tokens included.
    let b = node.admin(REVOKE, json!({"u": "alice@localhost"})).await;
    assert_eq!(b["data"]["token"]["revokeToken"], "Revoked", "{b}");
    for t in [&access, &refresh, &fresh] {
        refused(&node, "localhost", t).await;
    }
    // ... also after a restart.
    node.restart().await;
    refused(&node, "localhost", &refresh).await;
    // New tokens work again.
    let b = node.admin(REQUEST, json!({"u": "alice@localhost"})).await;
    let (access2, _) = tokens(&b, "requestToken");
    let (c, _) = oauth(&node, "localhost", &access2).await.unwrap();
    c.close().await;

    // Removing the account invalidates its tokens, even if the name is registered again.
    let b = node
        .admin(
            "mutation { account { removeUser(user: \"alice@localhost\") { jid } } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["account"]["removeUser"]["jid"], "alice@localhost");
    refused(&node, "localhost", &access2).await;
    node.register("alice", "localhost", "alice-pw2").await;
    refused(&node, "localhost", &access2).await;
    node.stop().await;
}

#[actix_rt::test]
async fn token_errors_user_endpoint_and_scoping() {
    let node = Node::start(with_tokens()).await;
    node.register("alice", "localhost", "alice-pw").await;
    node.register("bob", "other.test", "bob-pw").await;
    // Never issued: nothing to revoke.
    let b = node.admin(REVOKE, json!({"u": "alice@localhost"})).await;
    assert_eq!(codes(&b), ["not_found"]);
    assert_eq!(b["errors"][0]["message"], "User or token not found");
    assert_eq!(b["errors"][0]["extensions"]["user"], "alice@localhost");
    for q in [REQUEST, REVOKE] {
        let b = node.admin(q, json!({"u": "eddie@otherhost"})).await;
        assert_eq!(codes(&b), ["not_found"], "{b}");
        assert_eq!(b["errors"][0]["message"], "Unknown domain");
    }
    let b = node.admin(REQUEST, json!({"u": "nobody@localhost"})).await;
    assert_eq!(codes(&b), ["user_does_not_exist"]);
    // Unprepped JIDs are normalised.
    let b = node.admin(REQUEST, json!({"u": "ALICE@LocalHost"})).await;
    let (access, _) = tokens(&b, "requestToken");
    assert!(access.starts_with("access\0alice@localhost\0"));
    let b = node.admin(REVOKE, json!({"u": "Alice@localhost"})).await;
    assert_eq!(b["data"]["token"]["revokeToken"], "Revoked");

    // The user endpoint acts for the caller.
    let creds = Some(("alice@localhost", "alice-pw"));
    let (s, b) = node
        .post(
            USER,
            creds,
            "mutation { token { requestToken { access refresh } } }",
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (access, _) = tokens(&b, "requestToken");
    let (c, _) = oauth(&node, "localhost", &access).await.unwrap();
    c.close().await;
    let (_, b) = node
        .post(USER, creds, "mutation { token { revokeToken } }", json!({}))
        .await;
    assert_eq!(b["data"]["token"]["revokeToken"], "Revoked", "{b}");
    refused(&node, "localhost", &access).await;
    let (s, b) = node
        .post(USER, None, "mutation { token { revokeToken } }", json!({}))
        .await;
    assert_eq!((s, codes(&b)), (401, vec!["no_permissions".to_owned()]));

    // Domain admins: their own domain only.
    node.admin(
        "mutation { domain { setDomainPassword(domain: \"localhost\", password: \"dpw\") } }",
        json!({}),
    )
    .await;
    let (_, b) = node
        .domain_admin("localhost", "dpw", REQUEST, json!({"u": "alice@localhost"}))
        .await;
    tokens(&b, "requestToken");
    let (_, b) = node
        .domain_admin("localhost", "dpw", REVOKE, json!({"u": "alice@localhost"}))
        .await;
    assert_eq!(b["data"]["token"]["revokeToken"], "Revoked", "{b}");
    for (q, u) in [
        (REQUEST, "bob@other.test"),
        (REVOKE, "bob@other.test"),
        (REQUEST, "eddie@otherhost"),
    ] {
        let (_, b) = node
            .domain_admin("localhost", "dpw", q, json!({"u": u}))
            .await;
        assert_eq!(codes(&b), ["no_permissions"], "{q} {u}: {b}");
    }
    // Tokens work for dynamic domains too.
    node.admin(
        "mutation { domain { addDomain(domain: \"dyn.test\", hostType: \"dyn type\") { domain } } }",
        json!({}),
    )
    .await;
    node.register("carol", "dyn.test", "carol-pw").await;
    let b = node.admin(REQUEST, json!({"u": "carol@dyn.test"})).await;
    let (access, _) = tokens(&b, "requestToken");
    let (c, _) = oauth(&node, "dyn.test", &access).await.unwrap();
    assert!(c.jid.starts_with("carol@dyn.test/"));
    c.close().await;
    node.stop().await;
}

#[actix_rt::test]
async fn access_tokens_expire() {
    let node = Node::start(config(
        "[modules.mod_auth_token]\nvalidity_period.access = {value = 0, unit = \"seconds\"}\n",
    ))
    .await;
    node.register("alice", "localhost", "alice-pw").await;
    let b = node.admin(REQUEST, json!({"u": "alice@localhost"})).await;
    let (access, refresh) = tokens(&b, "requestToken");
    refused(&node, "localhost", &access).await;
    // The refresh token (25 days by default) still logs in; its new access token is
    // expired at once too.
    let (c, extra) = oauth(&node, "localhost", &refresh).await.unwrap();
    c.close().await;
    refused(&node, "localhost", &String::from_utf8(extra).unwrap()).await;
    node.stop().await;
}

#[actix_rt::test]
async fn tokens_need_mod_auth_token() {
    let node = Node::start(config("")).await;
    node.register("alice", "localhost", "alice-pw").await;
    for q in [REQUEST, REVOKE] {
        let b = node.admin(q, json!({"u": "alice@localhost"})).await;
        assert_eq!(codes(&b), ["deps_not_loaded"], "{b}");
        assert_eq!(
            b["errors"][0]["extensions"]["not_loaded_modules"],
            json!(["mod_auth_token"])
        );
        assert!(
            b["errors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("Some of the required")
        );
    }
    let (_, b) = node
        .post(
            USER,
            Some(("alice@localhost", "alice-pw")),
            "mutation { token { requestToken { access } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&b), ["deps_not_loaded"], "{b}");
    // X-OAUTH is neither offered nor accepted.
    let mut c = WsClient::connect(&node.ws_url()).await;
    let features = c.open("localhost").await;
    assert!(!features.to_string().contains("X-OAUTH"), "{features}");
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-OAUTH'>eA==</auth>")
        .await;
    let failure = c.recv().await;
    assert!(
        failure.has_child("invalid-mechanism", ns::SASL),
        "{failure}"
    );
    node.stop().await;
}
