//! Benchmark of the metrics registry (recorded in bench/results/, never asserted):
//!
//! 1. Scrape: rendering the registry with every family populated, in the Prometheus text
//!    format and in OpenMetrics (time per render, bytes).
//! 2. Message path: messages routed between two in-process sessions of the real core
//!    (`C2s::handle` → router → mailbox → `C2s::handle_routed`), against the metric
//!    recording those messages cause, timed alone in the same run; and that recording
//!    with two threads hammering the same domain's handles (contended atomics).
//!
//! `cargo bench -p integration-tests --bench prometheus` (or `-- --quick`).

use meerkat_core::Server;
use meerkat_core::c2s::{C2s, ConnInfo, Input, StreamOpen};
use meerkat_core::config::{Diagnostics, ServerConfig};
use meerkat_core::metrics::{CertValidity, HostMetrics};
use meerkat_core::sm::Mailbox;
use meerkat_storage::SqliteStore;
use meerkat_xmpp::{BareJid, Element, ParseLimits, ns};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const HOSTS: &[&str] = &[
    "localhost",
    "example.org",
    "chat.example.com",
    "im.example.net",
];

fn config() -> ServerConfig {
    let text = format!(
        "[general]\nhosts = [{}]\n[auth.password]\nscram_iterations = 64\n[modules.mod_roster]\n[modules.mod_presence]\n[instrumentation.prometheus]\n",
        HOSTS
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let root: toml::Table = text.parse().expect("TOML");
    let mut d = Diagnostics::default();
    let cfg = ServerConfig::read(&root, &mut d);
    assert!(d.is_ok(), "{d:?}");
    cfg
}

fn conn() -> ConnInfo {
    ConnInfo {
        connection: "websocket",
        ip: None,
        port: 0,
        state_timeout: None,
        backwards_compatible_session: false,
    }
}

fn xml(text: &str) -> Element {
    Element::parse_str(text, &ParseLimits::default()).expect("bench XML")
}

/// Logs `user` in with PLAIN and binds `resource`; returns the session and its mailbox.
async fn online(server: &Server, user: &str, resource: &str) -> (C2s, Mailbox) {
    use base64::Engine;
    let mut c = C2s::new(server.clone(), conn());
    let open = || {
        Input::Open(StreamOpen {
            to: Some("localhost".into()),
            version: Some("1.0".into()),
            lang: None,
        })
    };
    c.handle(open()).await;
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0pw"));
    c.handle(Input::Element(
        Element::new("auth", ns::SASL)
            .with_attr("mechanism", "PLAIN")
            .with_text(creds),
    ))
    .await;
    c.handle(open()).await;
    c.handle(Input::Element(xml(&format!(
        "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource></bind></iq>"
    ))))
    .await;
    let out = c.take_output();
    assert!(c.jid().is_some(), "login of {user} failed: {out:?}");
    let mailbox = c.take_mailbox().expect("mailbox");
    (c, mailbox)
}

struct Args {
    messages: u64,
    renders: u64,
}

const ROUNDS: usize = 9;

/// Best (shortest) of [`ROUNDS`] runs of `n` calls of `f`.
fn best_of(n: u64, mut f: impl FnMut()) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn per(d: Duration, n: u64) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let args = if quick {
        Args {
            messages: 20_000,
            renders: 200,
        }
    } else {
        Args {
            messages: 300_000,
            renders: 2_000,
        }
    };
    let data = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(data.path()).await.expect("store");
    let server = Server::new(config(), Arc::new(store.clone()));
    for u in ["alice", "bob"] {
        server
            .register_user(&BareJid::new(&format!("{u}@localhost")).unwrap(), "pw")
            .await
            .expect("register");
    }

    // ------------------------------------------------------------- message path
    let (mut alice, _alice_rx) = online(&server, "alice", "a").await;
    let (mut bob, mut bob_rx) = online(&server, "bob", "b").await;
    let msg = xml(
        "<message xmlns='jabber:client' to='bob@localhost/b' type='chat' id='m1'><body>Hello, how are you doing today?</body></message>",
    );
    let route_one = async |alice: &mut C2s, bob: &mut C2s, rx: &mut Mailbox| {
        alice.handle(Input::Element(msg.clone())).await;
        let item = rx.try_recv().expect("routed to bob");
        bob.handle_routed(item).await;
        let out = bob.take_output();
        debug_assert_eq!(out.len(), 1);
        black_box(out);
    };
    for _ in 0..args.messages / 10 {
        route_one(&mut alice, &mut bob, &mut bob_rx).await;
    }
    // What recording costs per routed message: the sender's element in (classify, size,
    // counters, histogram), the processing-time measurement (two clock reads and an
    // observation), the recipient's element out.
    let host = server.metrics().host("localhost").clone();
    let delivered = {
        let mut m = msg.clone();
        m.set_attr("from", "alice@localhost/a");
        m
    };
    let record_one = |host: &HostMetrics| {
        host.element_in.record(black_box(&msg));
        let t = Instant::now();
        host.message_processed_time
            .observe_duration(black_box(t).elapsed());
        host.element_out.record(black_box(&delivered));
    };
    // Routing and recording are measured in alternating rounds, and each keeps its best
    // round, so that other load on the machine affects both alike.
    let mut routed = Duration::MAX;
    let mut recording = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..args.messages {
            route_one(&mut alice, &mut bob, &mut bob_rx).await;
        }
        routed = routed.min(start.elapsed());
        let start = Instant::now();
        for _ in 0..args.messages {
            record_one(&host);
        }
        recording = recording.min(start.elapsed());
    }

    // The same, with what a WebSocket transport adds: parsing the frame, writing the reply.
    let frame = msg.to_xml();
    let mut routed_framed = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..args.messages {
            let el = Element::parse_str(&frame, &ParseLimits::default()).expect("frame");
            alice.handle(Input::Element(el)).await;
            let item = bob_rx.try_recv().expect("routed to bob");
            bob.handle_routed(item).await;
            for o in bob.take_output() {
                if let meerkat_core::c2s::Output::Element(el) = o {
                    black_box(el.to_xml());
                }
            }
        }
        routed_framed = routed_framed.min(start.elapsed());
    }
    let size_only = best_of(args.messages, || {
        black_box(meerkat_core::metrics::element_size(black_box(&msg)));
    });
    let clock_only = best_of(args.messages, || {
        let t = Instant::now();
        black_box(black_box(t).elapsed());
    });
    let record_in_only = best_of(args.messages, || host.element_in.record(black_box(&msg)));

    // Two threads recording into the same domain's handles at once.
    let threads = 2;
    let per_thread = args.messages;
    let mut contended = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..threads {
                let host = host.clone();
                let record_one = &record_one;
                s.spawn(move || {
                    for _ in 0..per_thread {
                        record_one(&host);
                    }
                });
            }
        });
        contended = contended.min(start.elapsed());
    }

    // ------------------------------------------------------------- scrape
    // Populate every family: traffic on every domain, sessions, auth, HTTP handlers with
    // a few statuses each, two TLS listeners, probes.
    let m = server.metrics();
    for h in HOSTS {
        let hm = m.host(h);
        for i in 0..1000u64 {
            hm.element_in.record(&msg);
            hm.element_out.record(&delivered);
            hm.message_processed_time.observe(i * 37);
            hm.auth.authorize.observe(Duration::from_micros(i));
            hm.auth.check_password.observe(Duration::from_micros(i * 3));
            hm.auth
                .does_user_exist
                .observe(Duration::from_micros(i / 2));
            hm.auth.try_register.observe(Duration::from_micros(i * 5));
        }
        hm.session_logins.add(10);
        hm.session_count.inc();
    }
    for (handler, statuses) in [
        ("mod_bosh", &[200u16, 400, 404][..]),
        ("mod_websockets", &[101, 400]),
        ("mongoose_graphql_handler", &[200, 400, 401]),
        ("mongoose_admin_api", &[200, 201, 204, 404]),
        ("mongoose_prometheus_handler", &[200]),
    ] {
        let h = m.http_handler(handler);
        for s in statuses {
            for i in 0..100 {
                h.record(*s, Duration::from_micros(i * 11));
            }
        }
    }
    let valid = CertValidity::Valid {
        not_before: 0,
        not_after: 4_000_000_000,
    };
    m.register_tls_listener("0.0.0.0@tcp/5285", valid);
    m.register_tls_listener("0.0.0.0@tcp/8089", valid);
    server.sample_probes();

    let families = m.snapshot();
    let series: usize = families.iter().map(|f| f.samples.len()).sum();
    let mut text = String::new();
    m.encode_prometheus(&mut text);
    let text_bytes = text.len();
    let text_lines = text.lines().count();
    let snapshot_time = best_of(args.renders, || {
        black_box(m.snapshot());
    });
    let text_time = best_of(args.renders, || {
        let mut out = String::with_capacity(text_bytes + 1024);
        m.encode_prometheus(&mut out);
        black_box(out);
    });
    let mut om = String::new();
    m.encode_openmetrics(&mut om).expect("OpenMetrics");
    let om_bytes = om.len();
    let om_time = best_of(args.renders, || {
        let mut out = String::with_capacity(om_bytes + 1024);
        m.encode_openmetrics(&mut out).expect("OpenMetrics");
        black_box(out);
    });

    // ------------------------------------------------------------- report
    let routed_ns = per(routed, args.messages);
    let framed_ns = per(routed_framed, args.messages);
    let recording_ns = per(recording, args.messages);
    let contended_ns = per(contended, per_thread);
    println!(
        "messages: {}, renders: {}, best of {ROUNDS} rounds{}",
        args.messages,
        args.renders,
        if quick { " (quick)" } else { "" }
    );
    println!();
    println!("| message path (per routed message) | ns |");
    println!("|---|---:|");
    println!(
        "| core routing, alice → bob (handle, route, mailbox, handle_routed) | {routed_ns:.0} |"
    );
    println!("| same plus parsing the frame and writing the reply | {framed_ns:.0} |");
    println!("| metric recording alone (in + processing time + out) | {recording_ns:.1} |");
    println!(
        "| — element_size of one message (done twice) | {:.1} |",
        per(size_only, args.messages)
    );
    println!(
        "| — one element recorded (size, classify, 1 counter, histogram) | {:.1} |",
        per(record_in_only, args.messages)
    );
    println!(
        "| — clock read pair for the processing time | {:.1} |",
        per(clock_only, args.messages)
    );
    println!(
        "| metric recording, {threads} threads on the same domain's handles | {contended_ns:.1} |"
    );
    println!(
        "| **recording / core routing** | **{:.2} %** |",
        100.0 * recording_ns / routed_ns
    );
    println!(
        "| recording / routing with framing | {:.2} % |",
        100.0 * recording_ns / framed_ns
    );
    println!();
    println!(
        "| scrape ({} families, {series} series, {text_lines} lines) | µs per render | bytes |",
        families.iter().filter(|f| !f.samples.is_empty()).count()
    );
    println!("|---|---:|---:|");
    println!(
        "| snapshot only (read API) | {:.1} | |",
        per(snapshot_time, args.renders) / 1e3
    );
    println!(
        "| Prometheus text 0.0.4 | {:.1} | {text_bytes} |",
        per(text_time, args.renders) / 1e3
    );
    println!(
        "| OpenMetrics (prometheus-client) | {:.1} | {om_bytes} |",
        per(om_time, args.renders) / 1e3
    );
    drop(alice);
    drop(bob);
    store.close().await;
}
