//! The Prometheus endpoint against the real server: traffic over WebSocket and BOSH moves
//! MongooseIM's counters, read back by scraping `GET /metrics`; format negotiation, the
//! registry route, the endpoint without `[instrumentation.prometheus]`, HTTP request
//! metrics, probes and the TLS certificate gauge.

use crate::bosh_client::Bosh;
use crate::common::{BOSH_HANDLER, LOCALHOST_HTTP, TestServer, WS_HANDLER, http, tls_fixture};
use crate::ws_client::WsClient;
use base64::Engine;
use meerkat_xmpp::ns;
use std::collections::BTreeMap;
use std::time::Duration;

const DOMAIN: &str = "localhost";
const LOCAL: &[(&str, &str)] = &[("host_type", "localhost")];
const C2S_LOCAL: &[(&str, &str)] = &[("connection_type", "c2s"), ("host_type", "localhost")];

fn config(instrumentation: &str, extra_listener: &str) -> String {
    format!(
        "{LOCALHOST_HTTP}{BOSH_HANDLER}{WS_HANDLER}[[listen.http.handlers.mongoose_prometheus_handler]]
host = \"_\"
path = \"/metrics\"
{extra_listener}
[services.service_bosh]
[modules.mod_roster]
[modules.mod_presence]
[modules.mod_offline]
{instrumentation}
"
    )
}

const ENABLED: &str = "[instrumentation]\nprobe_interval = 1\n[instrumentation.prometheus]\n";

struct Env {
    server: TestServer,
    ws: String,
    bosh: String,
    metrics: String,
}

async fn env(instrumentation: &str, extra_listener: &str, users: &[&str]) -> Env {
    let server = TestServer::start(&config(instrumentation, extra_listener)).await;
    server.register_users(users).await;
    Env::new(server)
}

/// A parsed Prometheus text exposition: samples by name and label set.
struct Scrape {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let mut samples = Vec::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = line.rsplit_once(' ').expect("sample line has a value");
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                v => v
                    .parse()
                    .unwrap_or_else(|_| panic!("bad value in {line:?}")),
            };
            let (name, labels) = match series.split_once('{') {
                None => (series.to_owned(), BTreeMap::new()),
                Some((name, rest)) => (name.to_owned(), parse_labels(rest)),
            };
            samples.push((name, labels, value));
        }
        Scrape { text, samples }
    }

    /// The value of the series `name{labels}` (exactly that label set).
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|(n, l, _)| n == name && *l == want)
            .map(|s| s.2)
    }

    fn val(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no {name}{labels:?} in\n{}", self.text))
    }
}

/// `k="v",k2="v2"}` (with the closing brace) into a map; handles the three escapes.
fn parse_labels(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut chars = s.chars().peekable();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() || key == "}" {
            break;
        }
        assert_eq!(chars.next(), Some('"'));
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(c) => value.push(c),
                    None => panic!("dangling escape"),
                },
                c => value.push(c),
            }
        }
        out.insert(key.trim_start_matches(',').to_owned(), value);
        if chars.peek() == Some(&',') {
            chars.next();
        } else {
            break;
        }
    }
    out
}

impl Env {
    fn new(server: TestServer) -> Env {
        Env {
            ws: server.ws_url(0),
            bosh: server.url(0, "/http-bind"),
            metrics: server.url(0, "/metrics"),
            server,
        }
    }

    async fn scrape(&self) -> Scrape {
        let r = http().get(&self.metrics).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()["content-type"],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        Scrape::parse(r.text().await.unwrap())
    }

    /// Scrapes until `pred` holds (the server finishes some work after answering).
    async fn scrape_until(&self, what: &str, pred: impl Fn(&Scrape) -> bool) -> Scrape {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let s = self.scrape().await;
            if pred(&s) {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} never held:\n{}",
                s.text
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn login(&self, user: &str) -> WsClient {
        WsClient::login(&self.ws, user, DOMAIN, &format!("{user}-pw"), None).await
    }
}

#[actix_rt::test]
async fn websocket_traffic_moves_mongooseim_counters() {
    let e = env(ENABLED, "", &["alice", "bob"]).await;
    let s0 = e.scrape().await;
    assert!(s0.text.contains(
        "# HELP sm_session_logins Event: sm_session, Metric: logins\n# TYPE sm_session_logins counter\n"
    ));
    assert_eq!(s0.val("sm_session_logins", LOCAL), 0.0);
    assert_eq!(s0.val("auth_register_user_count", LOCAL), 2.0);
    assert_eq!(s0.val("auth_try_register_count", LOCAL), 2.0);

    let mut alice = e.login("alice").await;
    let mut bob = e.login("bob").await;
    let s1 = e.scrape().await;
    assert_eq!(s1.val("sm_session_logins", LOCAL), 2.0);
    assert_eq!(s1.val("sm_session_count", LOCAL), 2.0);
    // Two SCRAM logins: two authorization decisions, no failures.
    assert_eq!(s1.val("auth_authorize_count", LOCAL), 2.0);
    assert_eq!(s1.val("auth_authorize_time_count", LOCAL), 2.0);
    assert_eq!(s1.val("c2s_auth_failed_count", LOCAL), 0.0);
    // Per login: auth, response, bind IQ in; features, challenge, success, features,
    // bind result out. Of those only the bind IQs are stanzas.
    assert_eq!(
        s1.val("xmpp_element_in_count", C2S_LOCAL) - s0.val("xmpp_element_in_count", C2S_LOCAL),
        6.0
    );
    assert_eq!(s1.val("xmpp_element_in_iq_count", C2S_LOCAL), 2.0);
    assert_eq!(s1.val("xmpp_element_out_iq_count", C2S_LOCAL), 2.0);
    assert_eq!(s1.val("xmpp_element_out_count", C2S_LOCAL), 10.0);
    assert_eq!(
        s1.val("xmpp_element_in_byte_size_count", C2S_LOCAL),
        s1.val("xmpp_element_in_count", C2S_LOCAL)
    );
    assert!(
        s1.val("websocket_data_received_byte_size", &[])
            > s0.val("websocket_data_received_byte_size", &[])
    );
    assert!(s1.val("websocket_data_sent_byte_size", &[]) > 0.0);

    // One chat message from alice to bob.
    // To bob's full JID: he has sent no presence, so his bare JID would go offline.
    alice
        .send(&format!(
            "<message xmlns='jabber:client' to='{}' type='chat'><body>hi</body></message>",
            bob.jid
        ))
        .await;
    let got = bob.recv().await;
    assert_eq!(got.name(), "message");
    let s2 = e.scrape().await;
    let delta = |name: &str, labels: &[(&str, &str)]| s2.val(name, labels) - s1.val(name, labels);
    assert_eq!(delta("xmpp_element_in_message_count", C2S_LOCAL), 1.0);
    assert_eq!(delta("xmpp_element_in_stanza_count", C2S_LOCAL), 1.0);
    assert_eq!(delta("xmpp_element_in_count", C2S_LOCAL), 1.0);
    assert_eq!(delta("xmpp_element_out_message_count", C2S_LOCAL), 1.0);
    assert_eq!(delta("xmpp_element_out_error_count", C2S_LOCAL), 0.0);
    assert_eq!(delta("c2s_message_processed_time_count", LOCAL), 1.0);
    assert_eq!(
        s2.val(
            "c2s_message_processed_time_bucket",
            &[("host_type", "localhost"), ("le", "+Inf")]
        ),
        1.0
    );
    assert!(delta("websocket_data_received_byte_size", &[]) > 0.0);

    // A message to nobody bounces: an error stanza out, counted as a bounce.
    alice
        .send("<message xmlns='jabber:client' to='nobody@localhost' type='chat'><body>?</body></message>")
        .await;
    let err = alice.recv().await;
    assert_eq!(err.attr("type"), Some("error"));
    let s3 = e.scrape().await;
    let delta = |name: &str, labels: &[(&str, &str)]| s3.val(name, labels) - s2.val(name, labels);
    assert_eq!(
        delta("xmpp_element_out_message_error_count", C2S_LOCAL),
        1.0
    );
    assert_eq!(delta("xmpp_element_out_error_count", C2S_LOCAL), 1.0);
    assert_eq!(delta("xmpp_element_out_message_count", C2S_LOCAL), 0.0);
    assert_eq!(delta("sm_message_bounced_count", LOCAL), 1.0);
    // A remote domain: no route.
    alice
        .send("<message xmlns='jabber:client' to='someone@elsewhere.example' type='chat'/>")
        .await;
    alice.recv().await;
    let s4 = e.scrape().await;
    assert_eq!(s4.val("router_no_route_found_count", &[]), 1.0);

    // A failed authentication.
    let mut mallory = WsClient::connect(&e.ws).await;
    mallory.open(DOMAIN).await;
    let creds = base64::engine::general_purpose::STANDARD.encode(b"\0alice\0wrong");
    mallory
        .send(&format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{creds}</auth>"
        ))
        .await;
    let failure = mallory.recv().await;
    assert!(failure.is("failure", ns::SASL), "{failure}");
    let s5 = e.scrape().await;
    assert_eq!(s5.val("c2s_auth_failed_count", LOCAL), 1.0);
    assert_eq!(s5.val("auth_check_password_count", LOCAL), 1.0);
    assert_eq!(s5.val("auth_authorize_count", LOCAL), 3.0);

    // Logout.
    alice.close().await;
    let s6 = e
        .scrape_until("alice's logout", |s| {
            s.val("sm_session_logouts", LOCAL) == 1.0
        })
        .await;
    assert_eq!(s6.val("sm_session_count", LOCAL), 1.0);
    // Probes (probe_interval = 1): one session left on this node, one user.
    let s7 = e
        .scrape_until("the probe", |s| s.val("sm_node_sessions_count", &[]) == 1.0)
        .await;
    assert_eq!(s7.val("sm_unique_sessions_count", &[]), 1.0);
    assert_eq!(s7.val("sm_total_sessions_count", &[]), 1.0);
    assert!(s7.val("system_memory_total", &[]) > 0.0);
    assert!(s7.val("system_info_open_fds", &[]) > 0.0);
    assert!(s7.get("system_up_time_seconds", &[]).is_some());
    bob.close().await;
    e.server.stop().await;
}

#[actix_rt::test]
async fn bosh_traffic_moves_counters() {
    let e = env(ENABLED, "", &["alice", "bob"]).await;
    let s0 = e.scrape().await;
    let mut alice = Bosh::login(&e.bosh, "alice", DOMAIN, "alice-pw").await;
    let mut bob = WsClient::login(&e.ws, "bob", DOMAIN, "bob-pw", None).await;
    let s1 = e.scrape().await;
    assert_eq!(s1.val("sm_session_logins", LOCAL), 2.0);
    assert!(
        s1.val("bosh_data_received_byte_size", &[]) > s0.val("bosh_data_received_byte_size", &[])
    );
    assert!(s1.val("bosh_data_sent_byte_size", &[]) > s0.val("bosh_data_sent_byte_size", &[]));

    alice
        .send(&format!(
            "<message xmlns='jabber:client' to='{}' type='chat'><body>over bosh</body></message>",
            bob.jid
        ))
        .await;
    let got = bob.recv().await;
    assert_eq!(got.name(), "message");
    let s2 = e.scrape().await;
    assert_eq!(
        s2.val("xmpp_element_in_message_count", C2S_LOCAL)
            - s1.val("xmpp_element_in_message_count", C2S_LOCAL),
        1.0
    );
    // The BOSH body carrying it was counted in bytes, wrapper included.
    assert!(
        s2.val("bosh_data_received_byte_size", &[]) - s1.val("bosh_data_received_byte_size", &[])
            > "<message><body>over bosh</body></message>".len() as f64
    );
    bob.close().await;
    e.server.stop().await;
}

#[actix_rt::test]
async fn disabled_without_the_instrumentation_section() {
    let e = env("", "", &[]).await;
    let r = http().get(&e.metrics).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("[instrumentation.prometheus]"), "{body}");
    e.server.stop().await;
}

#[actix_rt::test]
async fn openmetrics_negotiation_and_registry_route() {
    let e = env(ENABLED, "", &[]).await;
    let r = http()
        .get(&e.metrics)
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let om = r.text().await.unwrap();
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(
        om.contains(
            "# TYPE sm_session_logins counter\nsm_session_logins_total{host_type=\"localhost\"} 0\n"
        ),
        "{om}"
    );

    // The default is the Prometheus text format, with MongooseIM's names.
    let text = e.scrape().await;
    assert!(!text.text.contains("# EOF"));
    assert_eq!(text.val("sm_session_logins", LOCAL), 0.0);
    assert!(text.get("sm_session_logins_total", LOCAL).is_none());

    // `<path>/<registry>`: "default" is the registry, anything else is unknown.
    let r = http()
        .get(format!("{}/default", e.metrics))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("# TYPE sm_session_logins counter\n")
    );
    let r = http()
        .get(format!("{}/nope", e.metrics))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    e.server.stop().await;
}

#[actix_rt::test]
async fn http_requests_are_counted_per_handler_and_status() {
    let e = env(ENABLED, "", &[]).await;
    let bosh_get = http().get(&e.bosh).send().await.unwrap();
    assert_eq!(bosh_get.status(), 200);
    let bosh_put = http().put(&e.bosh).send().await.unwrap();
    let put_status = bosh_put.status().as_u16().to_string();
    e.scrape().await;
    let s = e.scrape().await;
    let count = |handler: &str, status: &str| {
        s.val(
            "http_requests_count",
            &[("handler", handler), ("status", status)],
        )
    };
    assert_eq!(count("mod_bosh", "200"), 1.0);
    assert_eq!(count("mod_bosh", &put_status), 1.0);
    // A scrape is recorded once it has been answered: this one sees the one before.
    assert_eq!(count("mongoose_prometheus_handler", "200"), 1.0);
    assert_eq!(
        s.val("http_requests_time_count", &[("handler", "mod_bosh")]),
        2.0
    );
    // Every mounted handler has its latency histogram from the start; status series
    // appear with the first response of that status.
    assert_eq!(
        s.val("http_requests_time_count", &[("handler", "mod_websockets")]),
        0.0
    );
    assert!(s.samples.iter().all(|(n, l, _)| n != "http_requests_count"
        || l.get("handler").map(String::as_str) != Some("mod_websockets")));
    e.server.stop().await;
}

#[actix_rt::test]
async fn tls_listener_reports_certificate_days() {
    let tls_listener = format!(
        "[[listen.http]]
port = 0
ip_address = \"127.0.0.1\"
tls.certfile = \"{}\"
tls.keyfile = \"{}\"
tls.verify_mode = \"none\"
[[listen.http.handlers.mod_bosh]]
host = \"_\"
path = \"/b\"",
        tls_fixture("server.pem"),
        tls_fixture("server.key")
    );
    let e = env(ENABLED, &tls_listener, &[]).await;
    let s = e.scrape().await;
    let id = format!("127.0.0.1@tcp/{}", e.server.addr(1).port());
    let days = s.val("tls_cert_remaining_days_count", &[("listener_id", &id)]);
    // The fixture is valid for 100 years from its generation.
    let pem = std::fs::read_to_string(tls_fixture("server.pem")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let (_, not_after) = meerkat_core::metrics::x509::validity(&der).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expected = (not_after - now) / 86_400;
    assert!(
        (days - expected as f64).abs() <= 1.0,
        "{days} vs {expected}"
    );
    assert!(days > 30_000.0);
    // Only the TLS listener has one.
    assert_eq!(
        s.samples
            .iter()
            .filter(|x| x.0 == "tls_cert_remaining_days_count")
            .count(),
        1
    );
    e.server.stop().await;
}

/// Authentication on a dynamic domain is counted under its host type, like every other
/// metric of its sessions (not under the `host_type=""` handles, which are not exported).
#[actix_rt::test]
async fn dynamic_domain_auth_is_counted_under_its_host_type() {
    let config = config(ENABLED, "").replacen(
        "hosts = [\"localhost\"]",
        "hosts = [\"localhost\"]\nhost_types = [\"dyn type\"]",
        1,
    );
    let server = TestServer::start(&config).await;
    meerkat_core::commands::domain::add_domain(&server.meerkat.server, "dyn.test", "dyn type")
        .await
        .expect("dynamic domain added");
    server.register("bob@dyn.test", "bob-pw").await;
    let e = Env::new(server);
    let dyn_type: &[(&str, &str)] = &[("host_type", "dyn type")];
    assert_eq!(
        e.scrape().await.val("auth_check_password_count", dyn_type),
        0.0
    );

    let mut bob = WsClient::connect(&e.ws).await;
    bob.open("dyn.test").await;
    let creds = base64::engine::general_purpose::STANDARD.encode(b"\0bob\0wrong");
    bob.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{creds}</auth>"
    ))
    .await;
    let failure = bob.recv().await;
    assert!(failure.is("failure", ns::SASL), "{failure}");
    let s = e.scrape().await;
    assert_eq!(
        s.val("auth_check_password_count", dyn_type),
        1.0,
        "{}",
        s.text
    );
    assert_eq!(s.val("c2s_auth_failed_count", dyn_type), 1.0, "{}", s.text);
}
