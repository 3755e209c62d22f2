//! Garbage in, nothing breaks: random and mutated input over real WebSocket and BOSH
//! connections never takes the server down, and it keeps serving afterwards.

use crate::bosh_client::{client, post_raw};
use crate::common::{BOSH_HANDLER, LOCALHOST_HTTP, TestServer, WS_HANDLER};
use crate::ws_client::WsClient;
use tokio_tungstenite::tungstenite::Message;

fn config() -> String {
    format!(
        "{LOCALHOST_HTTP}{BOSH_HANDLER}{WS_HANDLER}max_stanza_size = 10000
[services.service_bosh]
[modules.mod_roster]
[modules.mod_presence]
[modules.mod_offline]
[modules.mod_ping]
"
    )
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>",
    "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXB3</auth>",
    "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>",
    "<message xmlns='jabber:client' to='alice@localhost' type='chat'><body>hi &amp; bye</body></message>",
    "<presence xmlns='jabber:client'><priority>5</priority></presence>",
    "<iq xmlns='jabber:client' type='get' id='r'><query xmlns='jabber:iq:roster' ver=''/></iq>",
    "<body xmlns='http://jabber.org/protocol/httpbind' rid='1' to='localhost' hold='1' wait='1' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>",
    "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
];

fn mutate(rng: &mut Rng) -> Vec<u8> {
    let mut v = SEEDS[rng.below(SEEDS.len())].as_bytes().to_vec();
    for _ in 0..1 + rng.below(6) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.truncate(i);
            }
            2 => {
                let i = rng.below(v.len() + 1);
                let junk =
                    [b'<', b'>', b'&', b'"', b'\'', b'/', b'=', 0, 0xff, b':'][rng.below(10)];
                v.insert(i, junk);
            }
            3 => {
                let other = SEEDS[rng.below(SEEDS.len())].as_bytes();
                let i = rng.below(v.len() + 1);
                v.splice(i..i, other.iter().copied());
            }
            _ => v = (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
        }
    }
    v
}

#[actix_rt::test]
async fn random_and_mutated_input_never_breaks_the_server() {
    let s = TestServer::start(&config()).await;
    s.register_users(&["alice"]).await;
    let ws_url = s.ws_url(0);
    let bosh_url = s.url(0, "/http-bind");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let http = client();
    for round in 0..300 {
        // WebSocket: a valid opening, then a burst of mutated frames (text and binary).
        let mut c = WsClient::connect(&ws_url).await;
        c.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>")
            .await;
        for _ in 0..8 {
            let bytes = mutate(&mut rng);
            let msg = match String::from_utf8(bytes.clone()) {
                Ok(text) if round % 2 == 0 => Message::text(text),
                _ => Message::binary(bytes),
            };
            if !c.send_message(msg).await {
                break; // the server closed the connection, as it may
            }
        }
        drop(c);
        // BOSH: mutated bodies.
        for _ in 0..4 {
            let body = String::from_utf8_lossy(&mutate(&mut rng)).into_owned();
            let (status, _) = post_raw(&http, &bosh_url, &body).await;
            assert!(
                status == 200 || status == 400,
                "unexpected status {status} for {body:?}"
            );
        }
    }
    // Still serving: a normal login and a round trip work.
    let mut alice = WsClient::login(&ws_url, "alice", "localhost", "alice-pw", None).await;
    alice.send("<iq xmlns='jabber:client' type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>").await;
    let pong = alice.recv_until(|e| e.attr("id") == Some("p")).await;
    assert_eq!(pong.attr("type"), Some("result"));
    s.stop().await;
}
