//! `[[listen.http]]` served for real: host/path routing, TLS (encrypted keys, client
//! certificates per verify_mode, versions), compression, the server header and the
//! connection limit.

use crate::common::{TestServer, http, init_crypto, tls_fixture};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GENERAL: &str = "[general]\nhosts = [\"localhost\"]\n";

async fn get_with_host(url: &str, host: &str) -> (u16, String) {
    let r = http()
        .get(url)
        .header("host", host)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

#[actix_rt::test]
async fn routes_by_host_and_path() {
    let s = TestServer::start(&format!(
        "{GENERAL}
[instrumentation.prometheus]
[[listen.http]]
  port = 0
  ip_address = \"127.0.0.1\"
  [[listen.http.handlers.mod_bosh]]
    host = \"_\"
    path = \"/shared\"
  [[listen.http.handlers.mongoose_prometheus_handler]]
    host = \"metrics.example\"
    path = \"/shared\"
  [[listen.http.handlers.mongoose_prometheus_handler]]
    host = \"metrics.example\"
    path = \"/metrics\"
  [[listen.http.handlers.mongoose_bosh_handler]]
    host = \"_\"
    path = \"/http-bind/\"
"
    ))
    .await;
    // "_" answers any host.
    let (st, body) = get_with_host(&s.url(0, "/http-bind"), "anything.test").await;
    assert_eq!((st, body.as_str()), (200, "meerkat BOSH endpoint"));
    // A named host wins over "_" on the same path, matched without port and case.
    let (st, body) = get_with_host(&s.url(0, "/shared"), "Metrics.Example:5280").await;
    assert_eq!(st, 200);
    assert!(body.contains("system_up_time_seconds"), "{body}");
    let (_, body) = get_with_host(&s.url(0, "/shared"), "other.example").await;
    assert_eq!(body, "meerkat BOSH endpoint");
    // A path served only for a named host is not found on other hosts.
    assert_eq!(
        get_with_host(&s.url(0, "/metrics"), "metrics.example")
            .await
            .0,
        200
    );
    assert_eq!(
        get_with_host(&s.url(0, "/metrics"), "other.example")
            .await
            .0,
        404
    );
    assert_eq!(
        get_with_host(&s.url(0, "/nothing-here"), "metrics.example")
            .await
            .0,
        404
    );
    s.stop().await;
}

#[actix_rt::test]
async fn server_header_is_configurable() {
    let s = TestServer::start(
        "[general]\nhosts = [\"localhost\"]\nhttp_server_name = \"Classified\"\n[[listen.http]]\nport = 0\n[[listen.http.handlers.mod_bosh]]\nhost = \"_\"\npath = \"/b\"\n",
    )
    .await;
    let r = http().get(s.url(0, "/b")).send().await.unwrap();
    assert_eq!(r.headers()["server"], "Classified");
    // Also on errors.
    let r = http().get(s.url(0, "/missing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["server"], "Classified");
    s.stop().await;

    let s = TestServer::start(&format!("{GENERAL}[[listen.http]]\nport = 0\n[[listen.http.handlers.mod_bosh]]\nhost = \"_\"\npath = \"/b\"\n")).await;
    let r = http().get(s.url(0, "/b")).send().await.unwrap();
    assert_eq!(r.headers()["server"], "meerkat");
    s.stop().await;
}

#[actix_rt::test]
async fn compression_follows_protocol_compress() {
    for compress in [true, false] {
        let s = TestServer::start(&format!(
            "{GENERAL}[[listen.http]]\nport = 0\nprotocol.compress = {compress}\n[[listen.http.handlers.mod_bosh]]\nhost = \"_\"\npath = \"/b\"\n"
        ))
        .await;
        let r = http()
            .get(s.url(0, "/b"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let enc = r
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_owned());
        if compress {
            assert_eq!(enc.as_deref(), Some("gzip"));
            let body = r.bytes().await.unwrap();
            assert_eq!(&body[..2], &[0x1f, 0x8b], "gzip magic");
        } else {
            assert_eq!(enc, None);
            assert_eq!(r.text().await.unwrap(), "meerkat BOSH endpoint");
        }
        // A client that does not accept gzip always gets plain text.
        let r = http()
            .get(s.url(0, "/b"))
            .header("accept-encoding", "identity")
            .send()
            .await
            .unwrap();
        assert_eq!(r.text().await.unwrap(), "meerkat BOSH endpoint");
        s.stop().await;
    }
}

async fn raw_get(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /b HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
}

async fn read_some(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(within, stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        _ => None,
    }
}

#[actix_rt::test]
async fn max_connections_holds_the_extra_connection() {
    let s = TestServer::start(&format!(
        "{GENERAL}[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\ntransport.max_connections = 2\n[[listen.http.handlers.mod_bosh]]\nhost = \"_\"\npath = \"/b\"\n"
    ))
    .await;
    let addr = s.addr(0);
    let mut first = TcpStream::connect(addr).await.unwrap();
    let mut second = TcpStream::connect(addr).await.unwrap();
    for c in [&mut first, &mut second] {
        raw_get(c).await;
        let reply = read_some(c, Duration::from_secs(5)).await.expect("served");
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    }
    // The third connection is not served while two are open...
    let mut third = TcpStream::connect(addr).await.unwrap();
    raw_get(&mut third).await;
    assert_eq!(
        read_some(&mut third, Duration::from_millis(800)).await,
        None,
        "served beyond max_connections"
    );
    // ...and is served as soon as one closes.
    drop(first);
    let reply = read_some(&mut third, Duration::from_secs(5))
        .await
        .expect("served after a slot freed");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    s.stop().await;
}

fn tls_listener(extra: &str) -> String {
    format!(
        "{GENERAL}[[listen.http]]\nport = 0\nip_address = \"127.0.0.1\"\ntls.certfile = \"{}\"\ntls.keyfile = \"{}\"\ntls.password = \"secret\"\n{extra}\n[[listen.http.handlers.mod_bosh]]\nhost = \"_\"\npath = \"/b\"\n",
        tls_fixture("server.pem"),
        tls_fixture("server-encrypted.key"),
    )
}

fn https_client(identity: Option<&str>, max_tls12: bool) -> reqwest::Client {
    init_crypto();
    let ca =
        reqwest::Certificate::from_pem(&std::fs::read(tls_fixture("ca.pem")).unwrap()).unwrap();
    let mut b = reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(10));
    if let Some(name) = identity {
        let mut pem = std::fs::read(tls_fixture(&format!("{name}.pem"))).unwrap();
        pem.extend(std::fs::read(tls_fixture(&format!("{name}.key"))).unwrap());
        b = b.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    if max_tls12 {
        b = b.tls_version_max(reqwest::tls::Version::TLS_1_2);
    }
    b.build().unwrap()
}

async fn https_ok(s: &TestServer, identity: Option<&str>) -> bool {
    let url = format!("https://127.0.0.1:{}/b", s.addr(0).port());
    match https_client(identity, false).get(url).send().await {
        Ok(r) => r.status() == 200 && r.text().await.is_ok_and(|t| t == "meerkat BOSH endpoint"),
        Err(_) => false,
    }
}

#[actix_rt::test]
async fn https_with_an_encrypted_key() {
    let s = TestServer::start(&tls_listener("tls.verify_mode = \"none\"")).await;
    assert!(https_ok(&s, None).await);
    // Plain HTTP on the TLS port is not served.
    assert!(
        http()
            .get(s.url(0, "/b"))
            .send()
            .await
            .map(|r| r.status() != 200)
            .unwrap_or(true)
    );
    s.stop().await;
}

#[actix_rt::test]
async fn client_certificates_per_verify_mode() {
    let ca = tls_fixture("ca.pem");
    // peer: a certificate signed by the configured CA is required.
    let s = TestServer::start(&tls_listener(&format!(
        "tls.verify_mode = \"peer\"\ntls.cacertfile = \"{ca}\""
    )))
    .await;
    assert!(!https_ok(&s, None).await, "peer: no certificate accepted");
    assert!(
        https_ok(&s, Some("client")).await,
        "peer: CA-signed refused"
    );
    assert!(
        !https_ok(&s, Some("client-unknown-ca")).await,
        "peer: unknown CA accepted"
    );
    assert!(
        !https_ok(&s, Some("client-selfsigned")).await,
        "peer: self-signed accepted"
    );
    s.stop().await;

    // selfsigned_peer: CA-signed or self-signed, but a certificate is required.
    let s = TestServer::start(&tls_listener(&format!(
        "tls.verify_mode = \"selfsigned_peer\"\ntls.cacertfile = \"{ca}\""
    )))
    .await;
    assert!(
        !https_ok(&s, None).await,
        "selfsigned_peer: no certificate accepted"
    );
    assert!(
        https_ok(&s, Some("client")).await,
        "selfsigned_peer: CA-signed refused"
    );
    assert!(
        https_ok(&s, Some("client-selfsigned")).await,
        "selfsigned_peer: self-signed refused"
    );
    assert!(
        !https_ok(&s, Some("client-unknown-ca")).await,
        "selfsigned_peer: unknown CA accepted"
    );
    s.stop().await;

    // disconnect_on_failure = false: the handshake succeeds whatever is presented.
    let s = TestServer::start(&tls_listener(&format!(
        "tls.verify_mode = \"peer\"\ntls.cacertfile = \"{ca}\"\ntls.disconnect_on_failure = false"
    )))
    .await;
    assert!(https_ok(&s, None).await);
    assert!(https_ok(&s, Some("client-unknown-ca")).await);
    assert!(https_ok(&s, Some("client")).await);
    s.stop().await;

    // none: no certificate asked for.
    let s = TestServer::start(&tls_listener("tls.verify_mode = \"none\"")).await;
    assert!(https_ok(&s, None).await);
    s.stop().await;
}

#[actix_rt::test]
async fn tls_versions_are_enforced() {
    let s = TestServer::start(&tls_listener(
        "tls.verify_mode = \"none\"\ntls.versions = [\"tlsv1.3\"]",
    ))
    .await;
    let url = format!("https://127.0.0.1:{}/b", s.addr(0).port());
    assert!(
        https_client(None, true).get(&url).send().await.is_err(),
        "TLS 1.2 client served by a TLS 1.3-only listener"
    );
    assert!(https_client(None, false).get(&url).send().await.is_ok());
    s.stop().await;
}
