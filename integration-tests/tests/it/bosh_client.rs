//! A minimal XEP-0124/0206 client for tests: real HTTP long polling, real SASL.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use meerkat_xmpp::scram::{ScramClient, ScramHash};
use meerkat_xmpp::{Element, ParseLimits, ns};
use std::time::Duration;

pub struct Bosh {
    pub http: reqwest::Client,
    pub url: String,
    pub sid: String,
    pub rid: u64,
    pub jid: String,
}

pub fn client() -> reqwest::Client {
    crate::common::init_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(4)
        .build()
        .unwrap()
}

/// POSTs raw text; returns status and parsed body (if XML).
pub async fn post_raw(http: &reqwest::Client, url: &str, body: &str) -> (u16, Option<Element>) {
    let r = http
        .post(url)
        .header("content-type", "text/xml; charset=utf-8")
        .body(body.to_owned())
        .send()
        .await
        .expect("POST");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        // A response may carry up to about 1 MiB of queued stanzas plus one more.
        Element::parse_str(
            &text,
            &ParseLimits {
                max_bytes: 16 << 20,
                max_text: 16 << 20,
                ..ParseLimits::default()
            },
        )
        .ok(),
    )
}

pub fn is_terminate(b: &Element, condition: Option<&str>) -> bool {
    b.attr("type") == Some("terminate") && b.attr("condition") == condition
}

impl Bosh {
    /// Session creation with extra attributes (e.g. `wait='1'`).
    pub async fn create(url: &str, domain: &str, extra: &str) -> (Bosh, Element) {
        let http = client();
        let rid = 1000 + u64::from(rand_u16());
        // Defaults unless `extra` sets them.
        let hold = if extra.contains("hold=") {
            ""
        } else {
            "hold='1'"
        };
        let wait = if extra.contains("wait=") {
            ""
        } else {
            "wait='60'"
        };
        let (status, body) = post_raw(
            &http,
            url,
            &format!(
                "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' to='{domain}' rid='{rid}' {hold} {wait} xmpp:version='1.0' {extra}/>"
            ),
        )
        .await;
        assert_eq!(status, 200);
        let body = body.expect("XML body");
        let sid = body.attr("sid").unwrap_or_default().to_owned();
        (
            Bosh {
                http,
                url: url.to_owned(),
                sid,
                rid,
                jid: String::new(),
            },
            body,
        )
    }

    /// Sends `children` (and extra body attributes) with the next rid; waits for the answer.
    pub async fn send_attrs(&mut self, attrs: &str, children: &str) -> Element {
        self.rid += 1;
        self.post_rid(self.rid, attrs, children).await
    }

    pub async fn send(&mut self, children: &str) -> Element {
        self.send_attrs("", children).await
    }

    /// POSTs with an explicit rid (no bookkeeping).
    pub async fn post_rid(&self, rid: u64, attrs: &str, children: &str) -> Element {
        let (status, body) = post_raw(
            &self.http,
            &self.url,
            &format!("<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' sid='{}' rid='{rid}' {attrs}>{children}</body>", self.sid),
        )
        .await;
        assert_eq!(status, 200);
        body.expect("XML body")
    }

    /// SASL SCRAM-SHA-256, restart, bind. `wait` is 1 s so that a request with nothing
    /// to answer comes back quickly in these sequential tests.
    pub async fn login(url: &str, user: &str, domain: &str, password: &str) -> Bosh {
        Bosh::login_with(url, user, domain, password, "wait='1'").await
    }

    /// [`Bosh::login`] with the creation request's extra attributes (e.g. `ack='1'`).
    pub async fn login_with(
        url: &str,
        user: &str,
        domain: &str,
        password: &str,
        extra: &str,
    ) -> Bosh {
        let (mut b, created) = Bosh::create(url, domain, extra).await;
        let features = created
            .get_child("features", ns::STREAM)
            .expect("features in the creation response");
        assert!(features.has_child("mechanisms", ns::SASL));
        let mut scram = ScramClient::new(ScramHash::Sha256, user, password);
        let first = B64.encode(scram.client_first());
        let r = b.send(&format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>{first}</auth>")).await;
        let challenge = r
            .get_child("challenge", ns::SASL)
            .unwrap_or_else(|| panic!("no challenge: {r}"));
        let fin = B64.encode(
            scram
                .client_final(&B64.decode(challenge.text()).unwrap())
                .unwrap(),
        );
        let r = b
            .send(&format!(
                "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{fin}</response>"
            ))
            .await;
        let success = r
            .get_child("success", ns::SASL)
            .unwrap_or_else(|| panic!("login failed: {r}"));
        scram
            .verify_server_final(&B64.decode(success.text()).unwrap())
            .unwrap();
        let r = b.send_attrs("xmpp:restart='true'", "").await;
        assert!(
            r.get_child("features", ns::STREAM)
                .is_some_and(|f| f.has_child("bind", ns::BIND)),
            "{r}"
        );
        let r = b
            .send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
            .await;
        let iq = r
            .get_child("iq", ns::CLIENT)
            .unwrap_or_else(|| panic!("no bind result: {r}"));
        b.jid = iq
            .get_child("bind", ns::BIND)
            .unwrap()
            .get_child("jid", ns::BIND)
            .unwrap()
            .text();
        b
    }

    /// Polls (empty requests) until an element matching `pred` arrives.
    pub async fn poll_until(&mut self, pred: impl Fn(&Element) -> bool) -> Element {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "nothing matching arrived"
            );
            let r = self.send("").await;
            if let Some(el) = r.children().find(|c| pred(c)) {
                return el.clone();
            }
            assert!(
                r.attr("type") != Some("terminate"),
                "session terminated: {r}"
            );
        }
    }
}

fn rand_u16() -> u16 {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    (n % 60_000) as u16
}
