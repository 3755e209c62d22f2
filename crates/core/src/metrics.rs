//! Counters the core records into. Recording is one relaxed atomic add: no lock on the
//! stanza path. The Prometheus handler, GraphQL `metric` and REST metrics read them.

use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Everything the core counts.
#[derive(Debug, Default)]
pub struct Metrics {
    /// `sm_message_bounced_count`: messages answered with an error for lack of a recipient.
    pub message_bounced: Counter,
    /// `router_no_route_found_count`: stanzas to domains not served here.
    pub no_route: Counter,
    /// `c2s_auth_failed_count`.
    pub auth_failed: Counter,
    /// `sm_session_logins`.
    pub session_logins: Counter,
    /// `sm_session_logouts`.
    pub session_logouts: Counter,
    /// `websocket_data_received_byte_size`.
    pub websocket_received_bytes: Counter,
    /// `websocket_data_sent_byte_size`.
    pub websocket_sent_bytes: Counter,
    /// `bosh_data_received_byte_size`.
    pub bosh_received_bytes: Counter,
    /// `bosh_data_sent_byte_size`.
    pub bosh_sent_bytes: Counter,
    /// `xmpp_element_in_count` (c2s).
    pub element_in: Counter,
    /// `xmpp_element_out_count` (c2s).
    pub element_out: Counter,
}
