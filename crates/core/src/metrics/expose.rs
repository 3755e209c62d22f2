//! Text expositions of the registry.
//!
//! - Prometheus text format 0.0.4 ([`prometheus_text`]): what MongooseIM serves and what
//!   dashboards built for it query. Written here, over [`FamilySnapshot`]s: prometheus-client
//!   0.26 has a 0.0.4 encoder too, but it renames every counter `<name>_total`
//!   (`sm_session_logins` would become `sm_session_logins_total`), which breaks those
//!   dashboards. Counters keep MongooseIM's names here, histogram `le` bounds are written
//!   as integers (`le="1024"`), and there is no `# EOF`.
//! - OpenMetrics 1.0.0 ([`Metrics::encode_openmetrics`]): encoded by prometheus-client
//!   from the same snapshots, through a [`Collector`] registered in the core's
//!   prometheus-client registry. OpenMetrics itself requires counter samples to end in
//!   `_total`, so there a counter family `sm_session_logins` has the sample
//!   `sm_session_logins_total`; the output ends with `# EOF`.

use super::registry::{FamilySnapshot, Kind, Registry, Value};
use super::{Metrics, bucket_bound};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use std::fmt::Write;
use std::sync::Arc;

impl Metrics {
    /// The registry in the Prometheus text format 0.0.4.
    pub fn encode_prometheus(&self, out: &mut String) {
        prometheus_text(&self.snapshot(), out);
    }

    /// The registry in the OpenMetrics 1.0.0 text format (ends with `# EOF`).
    pub fn encode_openmetrics(&self, out: &mut String) -> std::fmt::Result {
        prometheus_client::encoding::text::encode(out, self.openmetrics_registry())
    }
}

/// Writes `families` in the Prometheus text format 0.0.4. Families without samples are
/// left out.
pub fn prometheus_text(families: &[FamilySnapshot], out: &mut String) {
    // `k="v",...` of the current sample, escaped once and reused for each bucket line.
    let mut labels = String::new();
    let mut le = String::new();
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        out.push_str("# HELP ");
        out.push_str(&f.name);
        out.push(' ');
        escape_help(out, &f.help);
        out.push_str("\n# TYPE ");
        out.push_str(&f.name);
        out.push(' ');
        out.push_str(f.kind.as_str());
        out.push('\n');
        for s in &f.samples {
            labels.clear();
            for (k, v) in s.label_pairs(f) {
                if !labels.is_empty() {
                    labels.push(',');
                }
                labels.push_str(k);
                labels.push_str("=\"");
                escape_label(&mut labels, v);
                labels.push('"');
            }
            match &s.value {
                Value::Counter(v) => line(out, &f.name, "", &labels, None, *v),
                Value::Gauge(v) => line(out, &f.name, "", &labels, None, *v),
                Value::Histogram(h) => {
                    for (bound, cumulative) in h.cumulative() {
                        le.clear();
                        match bound {
                            Some(b) => {
                                let _ = write!(le, "{b}");
                            }
                            None => le.push_str("+Inf"),
                        }
                        line(out, &f.name, "_bucket", &labels, Some(&le), cumulative);
                    }
                    line(out, &f.name, "_sum", &labels, None, h.sum);
                    line(out, &f.name, "_count", &labels, None, h.count());
                }
            }
        }
    }
}

/// `name{labels,le="..."} value`.
fn line(
    out: &mut String,
    name: &str,
    suffix: &str,
    labels: &str,
    le: Option<&str>,
    value: impl std::fmt::Display,
) {
    out.push_str(name);
    out.push_str(suffix);
    if !labels.is_empty() || le.is_some() {
        out.push('{');
        out.push_str(labels);
        if let Some(le) = le {
            if !labels.is_empty() {
                out.push(',');
            }
            out.push_str("le=\"");
            out.push_str(le);
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

fn escape_label(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Feeds the registry's snapshots to prometheus-client's encoders.
#[derive(Debug)]
pub(crate) struct SnapshotCollector(pub(crate) Arc<Registry>);

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let mut buckets = Vec::with_capacity(super::BUCKETS);
        for f in self.0.snapshot() {
            if f.samples.is_empty() {
                continue;
            }
            let ty = match f.kind {
                Kind::Counter => MetricType::Counter,
                Kind::Gauge => MetricType::Gauge,
                Kind::Histogram => MetricType::Histogram,
            };
            let mut metric = encoder.encode_descriptor(&f.name, &f.help, None, ty)?;
            for s in &f.samples {
                let labels: Vec<(&str, &str)> = s.label_pairs(&f).collect();
                let mut e = metric.encode_family(&labels)?;
                match &s.value {
                    Value::Counter(v) => e.encode_counter::<NoLabelSet, u64, u64>(v, None)?,
                    Value::Gauge(v) => e.encode_gauge(v)?,
                    Value::Histogram(h) => {
                        buckets.clear();
                        buckets.extend(h.counts.iter().enumerate().map(|(i, c)| {
                            // Bounds are powers of two up to 2^30: exact as f64.
                            (bucket_bound(i).map_or(f64::INFINITY, |b| b as f64), *c)
                        }));
                        e.encode_histogram::<NoLabelSet>(h.sum as f64, h.count(), &buckets, None)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn metrics() -> Metrics {
        let m = Metrics::new(&["localhost".to_owned()]);
        m.host("localhost").session_logins.add(3);
        m.host("localhost").session_count.inc();
        m.host("localhost")
            .message_processed_time
            .observe_duration(Duration::from_micros(3));
        m.http_handler("mongoose_bosh_handler")
            .record(200, Duration::from_micros(10));
        m
    }

    #[test]
    fn prometheus_text_keeps_mongooseim_names() {
        let mut out = String::new();
        metrics().encode_prometheus(&mut out);
        for want in [
            "# HELP sm_session_logins Event: sm_session, Metric: logins\n# TYPE sm_session_logins counter\nsm_session_logins{host_type=\"localhost\"} 3\n",
            "# TYPE sm_session_count gauge\nsm_session_count{host_type=\"localhost\"} 1\n",
            "# TYPE c2s_message_processed_time histogram\nc2s_message_processed_time_bucket{host_type=\"localhost\",le=\"1\"} 0\nc2s_message_processed_time_bucket{host_type=\"localhost\",le=\"2\"} 0\nc2s_message_processed_time_bucket{host_type=\"localhost\",le=\"4\"} 1\n",
            "c2s_message_processed_time_bucket{host_type=\"localhost\",le=\"1073741824\"} 1\nc2s_message_processed_time_bucket{host_type=\"localhost\",le=\"+Inf\"} 1\nc2s_message_processed_time_sum{host_type=\"localhost\"} 3\nc2s_message_processed_time_count{host_type=\"localhost\"} 1\n",
            "xmpp_element_in_count{connection_type=\"c2s\",host_type=\"\"} 0\n",
            "http_requests_count{handler=\"mongoose_bosh_handler\",status=\"200\"} 1\n",
            "# TYPE router_no_route_found_count counter\nrouter_no_route_found_count 0\n",
        ] {
            assert!(out.contains(want), "missing {want:?} in\n{out}");
        }
        assert!(!out.contains("_count_total") && !out.contains("logins_total"));
        assert!(!out.contains("# EOF") && !out.contains("# UNIT"));
        // No TLS listener: the family is left out rather than shown without samples.
        assert!(!out.contains("tls_cert_remaining_days"));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new(&["a\"b\\c\nd".to_owned()]);
        let mut out = String::new();
        m.encode_prometheus(&mut out);
        assert!(
            out.contains("sm_session_logins{host_type=\"a\\\"b\\\\c\\nd\"} 0\n"),
            "{out}"
        );
    }

    #[test]
    fn openmetrics_from_prometheus_client() {
        let mut out = String::new();
        metrics().encode_openmetrics(&mut out).unwrap();
        for want in [
            "# HELP sm_session_logins Event: sm_session, Metric: logins\n# TYPE sm_session_logins counter\nsm_session_logins_total{host_type=\"localhost\"} 3\n",
            "sm_session_count{host_type=\"localhost\"} 1\n",
            // prometheus-client writes `le` first.
            "c2s_message_processed_time_bucket{le=\"4.0\",host_type=\"localhost\"} 1\n",
            "c2s_message_processed_time_bucket{le=\"+Inf\",host_type=\"localhost\"} 1\n",
            "c2s_auth_failed_count_total{host_type=\"localhost\"} 0\n",
        ] {
            assert!(out.contains(want), "missing {want:?} in\n{out}");
        }
        assert!(out.ends_with("# EOF\n"));
    }
}
