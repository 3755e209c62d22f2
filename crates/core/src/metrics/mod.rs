//! Instrumentation: the one metrics registry that every part of meerkat records into, with
//! MongooseIM's metric names, types and labels (so that dashboards built for MongooseIM
//! keep working). The Prometheus handler renders it ([`expose`]); the GraphQL and REST
//! metric queries read it through [`Metrics::snapshot`].
//!
//! # Naming
//! A MongooseIM event `E` with metric `M` is exposed as `E_M`, with HELP text
//! `Event: E, Metric: M` and its label keys sorted. MongooseIM's `spiral` is a counter
//! (starting at 0), its `counter` a gauge, histograms have buckets 1, 2, 4, ..., 2^30
//! (+Inf) and time in microseconds. Families meerkat adds follow the same scheme:
//! `http_requests_count{handler,status}` and `http_requests_time{handler}` (the
//! listener's HTTP handlers), and the process probes `system_memory_total` (resident set
//! size in bytes, where MongooseIM reports the Erlang VM's allocated memory),
//! `system_info_open_fds` and `system_info_fd_limit` (open file descriptors and their
//! soft limit, where MongooseIM reports Erlang ports).
//!
//! # Cost
//! Recording never takes a lock and never looks a label set up: per-domain handles
//! ([`HostMetrics`]) are created at start-up for every configured domain, a session
//! resolves its domain's handles once when the stream opens, and each update is a relaxed
//! atomic add on memory the handle owns, in a per-thread stripe (see [`Counter`]). A stanza
//! costs one counter and one histogram observation per direction: the element totals
//! (`count`, `stanza_count`, `error_count`) are derived when read. The benchmark is
//! `integration-tests/benches/prometheus.rs`, its results are in `bench/results/`.
//!
//! # Exposition
//! The Prometheus text format 0.0.4 is written by meerkat (prometheus-client would rename
//! counters `<name>_total`); OpenMetrics by prometheus-client, from the same snapshots
//! (see [`expose`]).

mod cell;
pub mod expose;
mod probes;
mod registry;
pub mod x509;

pub use cell::{BUCKETS, Counter, Gauge, Histogram, HistogramValue, STRIPES, bucket_bound};
pub use registry::{FamilySnapshot, Kind, Sample, Value};

use meerkat_xmpp::{Element, ns};
use registry::{FamilyId, Registry, StatusCounters};
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `connection_type` of client sessions (BOSH and WebSocket included, as in MongooseIM).
pub const C2S: &str = "c2s";

/// Sent and received XML elements of one direction (`xmpp_element_in_*` or
/// `xmpp_element_out_*`) for one `{connection_type, host_type}`.
///
/// Only the six per-kind counters and the size histogram are recorded; `count`,
/// `stanza_count` and `error_count` are derived from them when read (`count` is the
/// number of size observations, the other two are sums), so that an element costs one
/// counter and one histogram observation.
#[derive(Clone, Debug)]
pub struct ElementMetrics {
    /// Messages other than errors.
    pub message_count: Counter,
    /// IQs other than errors.
    pub iq_count: Counter,
    /// Presences other than errors.
    pub presence_count: Counter,
    /// Messages of type `error`.
    pub message_error_count: Counter,
    /// IQs of type `error`.
    pub iq_error_count: Counter,
    /// Presences of type `error`.
    pub presence_error_count: Counter,
    /// Serialized size of each element.
    pub byte_size: Histogram,
}

impl ElementMetrics {
    /// Counts one element (as MongooseIM does: an error stanza counts towards
    /// `error_count` and `<name>_error_count`, not `<name>_count`).
    #[inline]
    pub fn record(&self, el: &Element) {
        self.byte_size.observe(element_size(el));
        if el.ns() != ns::CLIENT {
            return;
        }
        let (ok, err) = match el.name() {
            "message" => (&self.message_count, &self.message_error_count),
            "iq" => (&self.iq_count, &self.iq_error_count),
            "presence" => (&self.presence_count, &self.presence_error_count),
            _ => return,
        };
        if el.attr("type") == Some("error") {
            err.inc();
        } else {
            ok.inc();
        }
    }

    /// `count`: every element (stanzas, stream features, SASL...).
    pub fn count(&self) -> u64 {
        self.byte_size.snapshot().count()
    }

    /// `error_count`: stanzas of type `error`.
    pub fn error_count(&self) -> u64 {
        self.message_error_count.get() + self.iq_error_count.get() + self.presence_error_count.get()
    }

    /// `stanza_count`: messages, IQs and presences.
    pub fn stanza_count(&self) -> u64 {
        self.message_count.get()
            + self.iq_count.get()
            + self.presence_count.get()
            + self.error_count()
    }
}

/// A count and a time histogram of one operation (`auth_<op>_count`, `auth_<op>_time`).
#[derive(Clone, Debug)]
pub struct Timed {
    /// Calls.
    pub count: Counter,
    /// Duration of each call, in microseconds.
    pub time: Histogram,
}

impl Timed {
    /// Records one call that took `d`.
    pub fn observe(&self, d: Duration) {
        self.count.inc();
        self.time.observe_duration(d);
    }
    /// Records one call that started at `start`.
    pub fn since(&self, start: Instant) {
        self.observe(start.elapsed());
    }
}

/// Authentication backend events of one domain.
#[derive(Clone, Debug)]
pub struct AuthMetrics {
    /// `auth_authorize_*`: SASL authentication decisions.
    pub authorize: Timed,
    /// `auth_check_password_*`.
    pub check_password: Timed,
    /// `auth_does_user_exist_*`.
    pub does_user_exist: Timed,
    /// `auth_try_register_*`: registration attempts.
    pub try_register: Timed,
    /// `auth_register_user_count`: accounts created.
    pub register_user: Counter,
    /// `auth_unregister_user_count`: accounts removed.
    pub unregister_user: Counter,
}

/// Every per-domain (`host_type`) handle. Resolved once per session; recording through
/// it costs atomic adds only.
#[derive(Debug)]
pub struct HostMetrics {
    /// The `host_type` label value (the domain; `""` when not known yet).
    pub host_type: String,
    /// `xmpp_element_in_*{connection_type="c2s"}`.
    pub element_in: ElementMetrics,
    /// `xmpp_element_out_*{connection_type="c2s"}`.
    pub element_out: ElementMetrics,
    /// `c2s_message_processed_time`: handling of a message from a client, in µs.
    pub message_processed_time: Histogram,
    /// `c2s_auth_failed_count`.
    pub auth_failed: Counter,
    /// `sm_session_logins`.
    pub session_logins: Counter,
    /// `sm_session_logouts`.
    pub session_logouts: Counter,
    /// `sm_session_count`: sessions open now.
    pub session_count: Gauge,
    /// `sm_message_bounced_count`.
    pub message_bounced: Counter,
    /// `auth_*`.
    pub auth: AuthMetrics,
}

/// Gauges sampled every `probe_interval`.
#[derive(Clone, Debug)]
pub struct ProbeGauges {
    /// `sm_node_sessions_count`.
    pub node_sessions: Gauge,
    /// `sm_total_sessions_count` (the cluster is this node).
    pub total_sessions: Gauge,
    /// `sm_unique_sessions_count`: distinct users online.
    pub unique_sessions: Gauge,
    /// `system_up_time_seconds`.
    pub up_time: Gauge,
    /// `system_memory_total`: resident set size, bytes.
    pub memory_total: Gauge,
    /// `system_info_open_fds`.
    pub open_fds: Gauge,
    /// `system_info_fd_limit`.
    pub fd_limit: Gauge,
}

/// Requests served by one HTTP handler type.
#[derive(Debug)]
pub struct HttpMetrics {
    by_status: Arc<StatusCounters>,
    /// `http_requests_time{handler}`: time to the response head, µs.
    pub time: Histogram,
}

impl HttpMetrics {
    /// Records one request answered with `status` after `elapsed`.
    pub fn record(&self, status: u16, elapsed: Duration) {
        self.by_status.inc(status);
        self.time.observe_duration(elapsed);
    }
}

/// Validity of a TLS listener's certificate, for `tls_cert_remaining_days_count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertValidity {
    /// notBefore and notAfter, Unix seconds.
    Valid {
        /// Start of validity.
        not_before: i64,
        /// End of validity.
        not_after: i64,
    },
    /// The certificate could not be read or parsed.
    Invalid,
}

/// MongooseIM's value for a certificate that cannot be read.
pub const CERT_INVALID: i64 = -32768;
/// MongooseIM's value for a certificate that is not valid yet.
pub const CERT_NOT_YET_VALID: i64 = -32767;

impl CertValidity {
    /// Whole days of validity left at `now` (Unix seconds), negative once expired, or
    /// MongooseIM's markers for invalid and not-yet-valid certificates.
    pub fn remaining_days(self, now: i64) -> i64 {
        match self {
            CertValidity::Invalid => CERT_INVALID,
            CertValidity::Valid { not_before, .. } if now < not_before => CERT_NOT_YET_VALID,
            // Truncating division, as MongooseIM's `div`.
            CertValidity::Valid { not_after, .. } => (not_after - now) / 86_400,
        }
    }
}

struct Families {
    http_count: FamilyId,
    http_time: FamilyId,
    tls_days: FamilyId,
}

/// The registry: every family, the global handles, and the per-domain handles.
pub struct Metrics {
    registry: Arc<Registry>,
    openmetrics: prometheus_client::registry::Registry,
    families: Families,
    hosts: HashMap<String, Arc<HostMetrics>>,
    unknown_host: Arc<HostMetrics>,
    /// `websocket_data_received_byte_size`.
    pub websocket_received_bytes: Counter,
    /// `websocket_data_sent_byte_size`.
    pub websocket_sent_bytes: Counter,
    /// `bosh_data_received_byte_size`.
    pub bosh_received_bytes: Counter,
    /// `bosh_data_sent_byte_size`.
    pub bosh_sent_bytes: Counter,
    /// `router_no_route_found_count`: stanzas to domains not served here.
    pub no_route: Counter,
    /// Gauges set by the probe task.
    pub probes: ProbeGauges,
    http: Mutex<HashMap<String, Arc<HttpMetrics>>>,
    tls: Mutex<Vec<(Gauge, CertValidity)>>,
    pub(crate) probes_started: AtomicBool,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("hosts", &self.hosts.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(&[])
    }
}

const HOST: &[&str] = &["host_type"];
const CONN_HOST: &[&str] = &["connection_type", "host_type"];
const ELEMENT_COUNTERS: [&str; 9] = [
    "count",
    "stanza_count",
    "message_count",
    "iq_count",
    "presence_count",
    "error_count",
    "message_error_count",
    "iq_error_count",
    "presence_error_count",
];

/// Family ids of the per-domain handles.
struct HostFamilies {
    element_in: [FamilyId; 9],
    element_in_size: FamilyId,
    element_out: [FamilyId; 9],
    element_out_size: FamilyId,
    processed: FamilyId,
    auth_failed: FamilyId,
    logins: FamilyId,
    logouts: FamilyId,
    sessions: FamilyId,
    bounced: FamilyId,
    auth: [(FamilyId, FamilyId); 4],
    register_user: FamilyId,
    unregister_user: FamilyId,
}

impl Metrics {
    /// A registry with every family, and series for each of `hosts` (the served
    /// domains) initialised to zero.
    pub fn new(hosts: &[String]) -> Metrics {
        use Kind::{Counter as C, Gauge as G, Histogram as H};
        let mut r = Registry::default();
        let add_global = |r: &mut Registry, e, m, k| r.add(e, m, k, &[]);

        // HTTP transports.
        let ws_in = add_global(&mut r, "websocket_data_received", "byte_size", C);
        let ws_out = add_global(&mut r, "websocket_data_sent", "byte_size", C);
        let bosh_in = add_global(&mut r, "bosh_data_received", "byte_size", C);
        let bosh_out = add_global(&mut r, "bosh_data_sent", "byte_size", C);
        // XMPP traffic.
        let element_in = ELEMENT_COUNTERS.map(|m| r.add("xmpp_element_in", m, C, CONN_HOST));
        let element_in_size = r.add("xmpp_element_in", "byte_size", H, CONN_HOST);
        let element_out = ELEMENT_COUNTERS.map(|m| r.add("xmpp_element_out", m, C, CONN_HOST));
        let element_out_size = r.add("xmpp_element_out", "byte_size", H, CONN_HOST);
        // Sessions and routing.
        let hf_processed = r.add("c2s_message_processed", "time", H, HOST);
        let hf_auth_failed = r.add("c2s_auth_failed", "count", C, HOST);
        let hf_logins = r.add("sm_session", "logins", C, HOST);
        let hf_logouts = r.add("sm_session", "logouts", C, HOST);
        let hf_sessions = r.add("sm_session", "count", G, HOST);
        let hf_bounced = r.add("sm_message_bounced", "count", C, HOST);
        let no_route = add_global(&mut r, "router_no_route_found", "count", C);
        // Authentication.
        let auth = [
            "auth_authorize",
            "auth_check_password",
            "auth_does_user_exist",
            "auth_try_register",
        ]
        .map(|e| (r.add(e, "count", C, HOST), r.add(e, "time", H, HOST)));
        let register_user = r.add("auth_register_user", "count", C, HOST);
        let unregister_user = r.add("auth_unregister_user", "count", C, HOST);
        // Probes.
        let node_sessions = add_global(&mut r, "sm_node_sessions", "count", G);
        let total_sessions = add_global(&mut r, "sm_total_sessions", "count", G);
        let unique_sessions = add_global(&mut r, "sm_unique_sessions", "count", G);
        let up_time = add_global(&mut r, "system_up_time", "seconds", G);
        let memory_total = add_global(&mut r, "system_memory", "total", G);
        let open_fds = add_global(&mut r, "system_info", "open_fds", G);
        let fd_limit = add_global(&mut r, "system_info", "fd_limit", G);
        let tls_days = r.add("tls_cert_remaining_days", "count", G, &["listener_id"]);
        // HTTP handlers (meerkat's own).
        let http_count = r.add("http_requests", "count", C, &["handler", "status"]);
        let http_time = r.add("http_requests", "time", H, &["handler"]);

        let hf = HostFamilies {
            element_in,
            element_in_size,
            element_out,
            element_out_size,
            processed: hf_processed,
            auth_failed: hf_auth_failed,
            logins: hf_logins,
            logouts: hf_logouts,
            sessions: hf_sessions,
            bounced: hf_bounced,
            auth,
            register_user,
            unregister_user,
        };
        let hosts: HashMap<String, Arc<HostMetrics>> = hosts
            .iter()
            .map(|h| (h.clone(), Arc::new(host_metrics(&r, &hf, h, true))))
            .collect();
        let unknown_host = Arc::new(host_metrics(&r, &hf, "", false));

        let probes = ProbeGauges {
            node_sessions: r.gauge(node_sessions, &[]),
            total_sessions: r.gauge(total_sessions, &[]),
            unique_sessions: r.gauge(unique_sessions, &[]),
            up_time: r.gauge(up_time, &[]),
            memory_total: r.gauge(memory_total, &[]),
            open_fds: r.gauge(open_fds, &[]),
            fd_limit: r.gauge(fd_limit, &[]),
        };
        let registry = Arc::new(r);
        let mut openmetrics = prometheus_client::registry::Registry::default();
        openmetrics.register_collector(Box::new(expose::SnapshotCollector(registry.clone())));
        Metrics {
            websocket_received_bytes: registry.counter(ws_in, &[]),
            websocket_sent_bytes: registry.counter(ws_out, &[]),
            bosh_received_bytes: registry.counter(bosh_in, &[]),
            bosh_sent_bytes: registry.counter(bosh_out, &[]),
            no_route: registry.counter(no_route, &[]),
            probes,
            families: Families {
                http_count,
                http_time,
                tls_days,
            },
            registry,
            openmetrics,
            hosts,
            unknown_host,
            http: Mutex::default(),
            tls: Mutex::default(),
            probes_started: AtomicBool::new(false),
        }
    }

    /// The handles of a served domain; for any other name, those of `host_type=""`
    /// (whose element counters are exported; its other handles record nowhere visible).
    pub fn host(&self, domain: &str) -> &Arc<HostMetrics> {
        self.hosts.get(domain).unwrap_or(&self.unknown_host)
    }

    /// The handles of `host_type=""`: sessions whose stream has not named a domain yet.
    pub fn unknown_host(&self) -> &Arc<HostMetrics> {
        &self.unknown_host
    }

    /// The handles of HTTP handler type `handler` (shared by all its mounts). Called when
    /// a listener is built, not per request.
    pub fn http_handler(&self, handler: &str) -> Arc<HttpMetrics> {
        let mut map = self.http.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(handler.to_owned())
            .or_insert_with(|| {
                Arc::new(HttpMetrics {
                    by_status: self
                        .registry
                        .by_status(self.families.http_count, &[handler]),
                    time: self.registry.histogram(self.families.http_time, &[handler]),
                })
            })
            .clone()
    }

    /// Adds `tls_cert_remaining_days_count{listener_id}` for a TLS listener
    /// (`listener_id` is MongooseIM's `<ip>@tcp/<port>`). Probes keep it current.
    pub fn register_tls_listener(&self, listener_id: &str, validity: CertValidity) {
        let gauge = self.registry.gauge(self.families.tls_days, &[listener_id]);
        gauge.set(validity.remaining_days(crate::util::now_secs()));
        self.tls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((gauge, validity));
    }

    /// Every family with its current values (the read API of the GraphQL and REST
    /// metric queries; independent of any exposition format).
    pub fn snapshot(&self) -> Vec<FamilySnapshot> {
        self.registry.snapshot()
    }

    /// One family by exposed name (e.g. `sm_session_logins`).
    pub fn family(&self, name: &str) -> Option<FamilySnapshot> {
        self.registry.snapshot_of(name)
    }

    pub(crate) fn update_tls_days(&self, now: i64) {
        for (gauge, validity) in self.tls.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            gauge.set(validity.remaining_days(now));
        }
    }

    pub(crate) fn openmetrics_registry(&self) -> &prometheus_client::registry::Registry {
        &self.openmetrics
    }
}

fn host_metrics(r: &Registry, f: &HostFamilies, host: &str, exported: bool) -> HostMetrics {
    let conn = [C2S, host];
    let element = |ids: &[FamilyId; 9], size: FamilyId| {
        // In ELEMENT_COUNTERS order.
        let [
            count,
            stanza,
            message,
            iq,
            presence,
            error,
            message_error,
            iq_error,
            presence_error,
        ] = *ids;
        let e = ElementMetrics {
            message_count: r.counter(message, &conn),
            iq_count: r.counter(iq, &conn),
            presence_count: r.counter(presence, &conn),
            message_error_count: r.counter(message_error, &conn),
            iq_error_count: r.counter(iq_error, &conn),
            presence_error_count: r.counter(presence_error, &conn),
            byte_size: r.histogram(size, &conn),
        };
        let errors = vec![
            e.message_error_count.clone(),
            e.iq_error_count.clone(),
            e.presence_error_count.clone(),
        ];
        let mut stanzas = vec![
            e.message_count.clone(),
            e.iq_count.clone(),
            e.presence_count.clone(),
        ];
        stanzas.extend(errors.iter().cloned());
        r.observations_of(count, &conn, e.byte_size.clone());
        r.sum_of(stanza, &conn, stanzas);
        r.sum_of(error, &conn, errors);
        e
    };
    // Only the element counters of `host_type=""` are exported (as MongooseIM's
    // listener does before a stream names its host); the rest would stay at zero.
    let counter = |id| {
        if exported {
            r.counter(id, &[host])
        } else {
            Counter::default()
        }
    };
    let histogram = |id| {
        if exported {
            r.histogram(id, &[host])
        } else {
            Histogram::default()
        }
    };
    let timed = |(c, h): (FamilyId, FamilyId)| Timed {
        count: counter(c),
        time: histogram(h),
    };
    HostMetrics {
        host_type: host.to_owned(),
        element_in: element(&f.element_in, f.element_in_size),
        element_out: element(&f.element_out, f.element_out_size),
        message_processed_time: histogram(f.processed),
        auth_failed: counter(f.auth_failed),
        session_logins: counter(f.logins),
        session_logouts: counter(f.logouts),
        session_count: if exported {
            r.gauge(f.sessions, &[host])
        } else {
            Gauge::default()
        },
        message_bounced: counter(f.bounced),
        auth: AuthMetrics {
            authorize: timed(f.auth[0]),
            check_password: timed(f.auth[1]),
            does_user_exist: timed(f.auth[2]),
            try_register: timed(f.auth[3]),
            register_user: counter(f.register_user),
            unregister_user: counter(f.unregister_user),
        },
    }
}

/// Serialized size of an element as meerkat writes it, computed without writing it:
/// tags, namespace declarations where the namespace changes, attributes and text, not
/// counting escapes (`&amp;` counts as one byte). Used for `xmpp_element_*_byte_size`.
pub fn element_size(el: &Element) -> u64 {
    size_in(el, None) as u64
}

fn size_in(el: &Element, parent_ns: Option<&str>) -> usize {
    let name = el.name().len();
    let el_ns = el.ns();
    // `stream:` prefix on both tags; the prefix declaration on the outermost one.
    let (prefix, decl) = if el_ns == ns::STREAM {
        (
            "stream:".len(),
            if parent_ns == Some(ns::STREAM) {
                0
            } else {
                " xmlns:stream=''".len() + ns::STREAM.len()
            },
        )
    } else if parent_ns == Some(el_ns) {
        (0, 0)
    } else {
        (0, " xmlns=''".len() + el_ns.len())
    };
    let child_ns = if el_ns == ns::STREAM {
        parent_ns.or(Some(ns::STREAM))
    } else {
        Some(el_ns)
    };
    let mut n = 1 + prefix + name + decl;
    for a in el.all_attrs() {
        let a_ns = a.ns();
        let qualified = if a_ns.is_empty() {
            a.name().len()
        } else if a_ns == ns::XML {
            "xml:".len() + a.name().len()
        } else {
            // A generated prefix (`ns0:`) and its declaration; close enough.
            "ns0:".len() + a.name().len() + " xmlns:ns0=''".len() + a_ns.len()
        };
        n += " ='".len() + qualified + a.value().len() + 1;
    }
    let mut children = 0;
    let mut empty = true;
    for node in el.nodes() {
        empty = false;
        children += match node {
            meerkat_xmpp::Node::Element(c) => size_in(c, child_ns),
            meerkat_xmpp::Node::Text(t) => t.len(),
        };
    }
    if empty {
        n + "/>".len()
    } else {
        n + ">".len() + children + "</>".len() + prefix + name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Element {
        Element::parse_str(xml, &meerkat_xmpp::ParseLimits::default()).unwrap()
    }

    #[test]
    fn element_size_matches_serialization_without_escapes() {
        for xml in [
            "<message xmlns='jabber:client' to='bob@localhost' type='chat' id='1'><body>Hi!</body></message>",
            "<iq xmlns='jabber:client' type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
            "<presence xmlns='jabber:client' xml:lang='en'><show>away</show><priority>5</priority></presence>",
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHB3</auth>",
            "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
        ] {
            let el = parse(xml);
            assert_eq!(element_size(&el), el.to_xml().len() as u64, "{xml}");
        }
    }

    #[test]
    fn element_record_classifies_like_mongooseim() {
        let m = Metrics::new(&["localhost".to_owned()]);
        let h = m.host("localhost");
        h.element_in.record(&parse(
            "<message xmlns='jabber:client' type='chat'><body>x</body></message>",
        ));
        h.element_in
            .record(&parse("<message xmlns='jabber:client' type='error'/>"));
        h.element_in
            .record(&parse("<iq xmlns='jabber:client' type='get'/>"));
        h.element_in
            .record(&parse("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"));
        let e = &h.element_in;
        assert_eq!(e.count(), 4);
        assert_eq!(e.stanza_count(), 3);
        assert_eq!(e.message_count.get(), 1);
        assert_eq!(e.message_error_count.get(), 1);
        assert_eq!(e.error_count(), 1);
        assert_eq!(e.iq_count.get(), 1);
        assert_eq!(e.presence_count.get(), 0);
        assert_eq!(e.byte_size.snapshot().count(), 4);
        // The derived counters are exposed like the others.
        let value = |name: &str| {
            let f = m.family(name).unwrap();
            let s = f.samples.iter().find(|s| s.labels == ["c2s", "localhost"]);
            s.unwrap().value.clone()
        };
        assert_eq!(value("xmpp_element_in_count"), Value::Counter(4));
        assert_eq!(value("xmpp_element_in_stanza_count"), Value::Counter(3));
        assert_eq!(value("xmpp_element_in_error_count"), Value::Counter(1));
        assert_eq!(value("xmpp_element_out_count"), Value::Counter(0));
    }

    #[test]
    fn families_follow_mongooseim_naming() {
        let m = Metrics::new(&["localhost".to_owned(), "example.org".to_owned()]);
        let snap = m.snapshot();
        let names: Vec<&str> = snap.iter().map(|f| f.name.as_str()).collect();
        for n in [
            "bosh_data_received_byte_size",
            "websocket_data_sent_byte_size",
            "xmpp_element_in_count",
            "xmpp_element_out_presence_error_count",
            "xmpp_element_in_byte_size",
            "c2s_message_processed_time",
            "c2s_auth_failed_count",
            "sm_session_logins",
            "sm_session_logouts",
            "sm_session_count",
            "sm_message_bounced_count",
            "router_no_route_found_count",
            "auth_authorize_count",
            "auth_check_password_time",
            "auth_register_user_count",
            "auth_unregister_user_count",
            "sm_node_sessions_count",
            "sm_total_sessions_count",
            "sm_unique_sessions_count",
            "system_up_time_seconds",
            "system_memory_total",
            "tls_cert_remaining_days_count",
            "http_requests_count",
            "http_requests_time",
        ] {
            assert!(names.contains(&n), "{n} missing");
        }
        let logins = m.family("sm_session_logins").unwrap();
        assert_eq!(logins.kind, Kind::Counter);
        assert_eq!(logins.help, "Event: sm_session, Metric: logins");
        let hosts: Vec<_> = logins
            .samples
            .iter()
            .map(|s| s.label(&logins, "host_type").unwrap())
            .collect();
        assert_eq!(hosts.len(), 2);
        assert!(hosts.contains(&"localhost") && hosts.contains(&"example.org"));
        assert_eq!(m.family("sm_session_count").unwrap().kind, Kind::Gauge);
        // Element counters also exist for host_type="" (streams that named no domain yet).
        let ins = m.family("xmpp_element_in_count").unwrap();
        assert_eq!(ins.samples.len(), 3);
        assert!(ins.samples.iter().any(|s| s.labels == ["c2s", ""]));
    }

    #[test]
    fn cert_days() {
        let v = CertValidity::Valid {
            not_before: 1_000,
            not_after: 1_000 + 10 * 86_400 + 5,
        };
        assert_eq!(v.remaining_days(1_000), 10);
        assert_eq!(v.remaining_days(999), CERT_NOT_YET_VALID);
        assert_eq!(v.remaining_days(1_000 + 12 * 86_400), -1);
        assert_eq!(CertValidity::Invalid.remaining_days(0), CERT_INVALID);
    }
}
