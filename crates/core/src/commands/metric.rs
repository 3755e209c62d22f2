//! Metric values the way MongooseIM's `metric` category returns them
//! (`mongoose_metrics_api` over exometer), read from the same registry the Prometheus
//! endpoint renders ([`crate::metrics::Metrics::snapshot`]).
//!
//! # Names
//! MongooseIM names an exometer metric `[HostType | global, Event, LabelValues..., Metric]`
//! (`mongoose_instrument_exometer:exometer_metric_name/3`). Each Prometheus family here is
//! one `(event, metric)` pair with sorted label keys, so a series maps back as:
//! - the first segment is the value of its `host_type` label, or `global` when it has
//!   none or it is empty (spaces become `_`);
//! - then the event (`sm_session`, `xmpp_element_in`, ...);
//! - then the values of the other labels, in the order of their sorted keys (which is
//!   MongooseIM's rule: `connection_type` for `xmpp_element_*`, `listener_id` for
//!   `tls_cert_remaining_days`; meerkat's own `http_requests` gives `handler`, `status`);
//! - then the metric (`logins`, `count`, `byte_size`, ...).
//!
//! So `sm_session_logins{host_type="localhost"}` is `[localhost, sm_session, logins]` and
//! `xmpp_element_in_count{connection_type="c2s",host_type="localhost"}` is
//! `[localhost, xmpp_element_in, c2s, count]`. A name argument is a prefix pattern (as
//! exometer's `get_values`): `_` matches any one segment, `[]` matches everything.
//!
//! # Types and values
//! - A Prometheus counter is a MongooseIM `spiral`: `count` is the total, `one` the
//!   increase over the last 60 s.
//! - A Prometheus gauge is a MongooseIM `counter` or `gauge`. Exometer reports both with
//!   `value` and `ms_since_reset`, and MongooseIM's API therefore returns both as
//!   `counter` (its tests expect `system_memory.total` to be a counter). meerkat never
//!   resets a metric, so `ms_since_reset` is the time since the server started.
//! - A histogram is summarised like exometer's, over the last 60 s: `n`, `mean` (exact),
//!   and `min`, `max`, `median` and percentiles estimated from the power-of-two buckets
//!   (`min`/`max` are the edges of the lowest/highest occupied bucket, percentiles are
//!   interpolated linearly inside their bucket, all clamped to `[min, max]` and
//!   consistent with the mean).
//!
//! The 60 s window is measured against samples of the registry taken every 5 s by a
//! background task ([`start_sampler`]): in the first minute after start every event is
//! in the window; later the window is 60 to 65 s long. When the sampler started late
//! (an embedded server whose first metric query started it), the window covers the time
//! since then.

use crate::Server;
use crate::metrics::{BUCKETS, FamilySnapshot, HistogramValue, Kind, Sample, Value, bucket_bound};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Length of the sliding window of spirals and histograms.
pub const WINDOW: Duration = Duration::from_secs(60);
/// How often the registry is sampled for the window.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(5);

/// A histogram summary over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HistogramStats {
    /// Observations.
    pub n: u64,
    /// Their mean (rounded).
    pub mean: u64,
    /// Smallest (bucket estimate).
    pub min: u64,
    /// Largest (bucket estimate).
    pub max: u64,
    /// 50th percentile.
    pub median: u64,
    /// 50th percentile.
    pub p50: u64,
    /// 75th percentile.
    pub p75: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
}

/// A metric value with MongooseIM's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetricValue {
    /// Event counts: the total and the last minute's.
    Spiral {
        /// Events in the last 60 s.
        one: u64,
        /// Events since start.
        count: u64,
    },
    /// A value (MongooseIM counters and gauges).
    Counter {
        /// Current value.
        value: i64,
        /// Milliseconds since the metric was (re)set: since start.
        ms_since_reset: u64,
    },
    /// A distribution over the window.
    Histogram(HistogramStats),
}

impl MetricValue {
    /// MongooseIM's type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            MetricValue::Spiral { .. } => "spiral",
            MetricValue::Counter { .. } => "counter",
            MetricValue::Histogram(_) => "histogram",
        }
    }

    /// The value as exometer's data points, in exometer's order.
    pub fn dict(&self) -> Vec<(&'static str, i64)> {
        let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        match *self {
            MetricValue::Spiral { one, count } => vec![("count", i(count)), ("one", i(one))],
            MetricValue::Counter {
                value,
                ms_since_reset,
            } => vec![("value", value), ("ms_since_reset", i(ms_since_reset))],
            MetricValue::Histogram(h) => vec![
                ("n", i(h.n)),
                ("mean", i(h.mean)),
                ("min", i(h.min)),
                ("max", i(h.max)),
                ("median", i(h.median)),
                ("50", i(h.p50)),
                ("75", i(h.p75)),
                ("90", i(h.p90)),
                ("95", i(h.p95)),
                ("99", i(h.p99)),
                ("999", i(h.p999)),
            ],
        }
    }
}

/// One metric: exometer-style name and value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metric {
    /// `[host_type | global, event, labels..., metric]`.
    pub name: Vec<String>,
    /// The value.
    pub value: MetricValue,
}

/// A metric as a list of `(key, value)` pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricDict {
    /// Name (see [`Metric::name`]).
    pub name: Vec<String>,
    /// Data points, possibly filtered by key.
    pub dict: Vec<DataPoint>,
}

/// One data point of a metric, e.g. `count` = 5.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataPoint {
    /// exometer's key: `count`, `one`, `value`, `mean`, `99`, ...
    pub key: String,
    /// The value.
    pub value: i64,
}

/// The metrics of one cluster node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeMetrics {
    /// Node name.
    pub node: String,
    /// Its metrics; for an unknown node, one entry named `[error, nodedown]`.
    pub result: Vec<MetricDict>,
}

/// A pattern segment: `None` (a null in the GraphQL list) and `_` match any segment.
fn matches(pattern: &[Option<String>], name: &[String]) -> bool {
    pattern.len() <= name.len()
        && pattern.iter().zip(name).all(|(p, n)| match p {
            None => true,
            Some(p) => p == "_" || p == n,
        })
}

/// The exometer name of a series (see the module doc).
pub fn exometer_name(family: &FamilySnapshot, sample: &Sample) -> Vec<String> {
    let prefix = sample
        .label(family, "host_type")
        .filter(|h| !h.is_empty())
        .map_or_else(|| "global".to_owned(), |h| h.replace(' ', "_"));
    let mut name = Vec::with_capacity(sample.labels.len() + 3);
    name.push(prefix);
    name.push(family.event.to_owned());
    name.extend(
        sample
            .label_pairs(family)
            .filter(|(k, _)| *k != "host_type")
            .map(|(_, v)| v.to_owned()),
    );
    name.push(family.metric.to_owned());
    name
}

type SeriesKey = (String, Vec<String>);

#[derive(Clone, Debug)]
enum Past {
    Counter(u64),
    Histogram(Box<HistogramValue>),
}

struct Snapshot {
    at: Instant,
    values: HashMap<SeriesKey, Past>,
}

/// Past samples of the counters and histograms, for the 60 s window.
#[derive(Default)]
pub(crate) struct Windows {
    samples: Mutex<VecDeque<Snapshot>>,
    started: AtomicBool,
}

impl Windows {
    fn record(&self, server: &Server) {
        let mut values = HashMap::new();
        for f in server.metrics().snapshot() {
            for s in f.samples {
                let past = match s.value {
                    Value::Counter(c) => Past::Counter(c),
                    Value::Histogram(h) => Past::Histogram(h),
                    Value::Gauge(_) => continue,
                };
                values.insert((f.name.clone(), s.labels), past);
            }
        }
        let now = Instant::now();
        let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        samples.push_back(Snapshot { at: now, values });
        let keep = WINDOW + 2 * SAMPLE_EVERY;
        while samples
            .front()
            .is_some_and(|s| now.duration_since(s.at) > keep)
        {
            samples.pop_front();
        }
    }

    /// The past value of a series at the start of the window (`None` = zero).
    fn baseline(&self, server: &Server, key: &SeriesKey) -> Option<Past> {
        if server.uptime() <= WINDOW {
            return None; // everything since start is in the window
        }
        let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let base = samples
            .iter()
            .rev()
            .find(|s| now.duration_since(s.at) >= WINDOW)
            .or_else(|| samples.front())?;
        base.values.get(key).cloned()
    }
}

/// Starts sampling the registry for the 60 s windows (once per server; later calls do
/// nothing). Needs a tokio runtime; without one it does nothing. The task ends when the
/// server is dropped.
pub fn start_sampler(server: &Server) {
    let windows = &server.command_state().metric;
    if tokio::runtime::Handle::try_current().is_err()
        || windows.started.swap(true, Ordering::AcqRel)
    {
        return;
    }
    windows.record(server);
    let weak = server.downgrade();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await; // immediate
        loop {
            tick.tick().await;
            let Some(server) = Server::upgrade(&weak) else {
                break;
            };
            server.command_state().metric.record(&server);
        }
    });
}

fn delta_histogram(now: &HistogramValue, base: Option<&HistogramValue>) -> HistogramValue {
    match base {
        None => now.clone(),
        Some(b) => HistogramValue {
            counts: std::array::from_fn(|i| now.counts[i].saturating_sub(b.counts[i])),
            sum: now.sum.saturating_sub(b.sum),
        },
    }
}

/// Summarises a histogram (see the module doc for the estimates).
pub fn histogram_stats(h: &HistogramValue) -> HistogramStats {
    let n = h.count();
    if n == 0 {
        return HistogramStats::default();
    }
    if n == 1 {
        let v = h.sum;
        return HistogramStats {
            n,
            mean: v,
            min: v,
            max: v,
            median: v,
            p50: v,
            p75: v,
            p90: v,
            p95: v,
            p99: v,
            p999: v,
        };
    }
    let mean = (h.sum + n / 2) / n;
    let lower = |i: usize| match i {
        0 => 0,
        _ => bucket_bound(i - 1).map_or(u64::MAX, |b| b + 1),
    };
    let first = h.counts.iter().position(|c| *c > 0).unwrap_or(0);
    let last = h.counts.iter().rposition(|c| *c > 0).unwrap_or(BUCKETS - 1);
    let min = lower(first).min(mean);
    let max = bucket_bound(last).unwrap_or(h.sum).min(h.sum).max(mean);
    let percentile = |permille: u64| -> u64 {
        let rank = (u128::from(n) * u128::from(permille)).div_ceil(1000).max(1);
        let mut cum: u128 = 0;
        for (i, &c) in h.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let c = u128::from(c);
            if cum + c >= rank {
                let lo = u128::from(lower(i).clamp(min, max));
                let hi = u128::from(bucket_bound(i).unwrap_or(max).clamp(min, max)).max(lo);
                let v = lo + (hi - lo) * (rank - cum) / c;
                return u64::try_from(v).unwrap_or(max).clamp(min, max);
            }
            cum += c;
        }
        max
    };
    let p50 = percentile(500);
    HistogramStats {
        n,
        mean,
        min,
        max,
        median: p50,
        p50,
        p75: percentile(750),
        p90: percentile(900),
        p95: percentile(950),
        p99: percentile(990),
        p999: percentile(999),
    }
}

/// Every metric whose name matches `pattern`, global ones first, then by name.
pub fn get_metrics(server: &Server, pattern: &[Option<String>]) -> Vec<Metric> {
    start_sampler(server);
    let windows = &server.command_state().metric;
    let ms_since_reset = u64::try_from(server.uptime().as_millis()).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    for family in server.metrics().snapshot() {
        for sample in &family.samples {
            let name = exometer_name(&family, sample);
            if !matches(pattern, &name) {
                continue;
            }
            let key = || (family.name.clone(), sample.labels.clone());
            let value = match (&sample.value, family.kind) {
                (Value::Counter(count), _) => {
                    let base = match windows.baseline(server, &key()) {
                        Some(Past::Counter(b)) => b,
                        _ => 0,
                    };
                    MetricValue::Spiral {
                        one: count.saturating_sub(base),
                        count: *count,
                    }
                }
                (Value::Gauge(value), _) => MetricValue::Counter {
                    value: *value,
                    ms_since_reset,
                },
                (Value::Histogram(h), _) => {
                    let base = match windows.baseline(server, &key()) {
                        Some(Past::Histogram(b)) => Some(b),
                        _ => None,
                    };
                    MetricValue::Histogram(histogram_stats(&delta_histogram(h, base.as_deref())))
                }
            };
            debug_assert!(matches!(
                (family.kind, &value),
                (Kind::Counter, MetricValue::Spiral { .. })
                    | (Kind::Gauge, MetricValue::Counter { .. })
                    | (Kind::Histogram, MetricValue::Histogram(_))
            ));
            out.push(Metric { name, value });
        }
    }
    out.sort_by(|a, b| {
        let global = |m: &Metric| m.name.first().is_none_or(|p| p != "global");
        global(a).cmp(&global(b)).then_with(|| a.name.cmp(&b.name))
    });
    out
}

fn as_dict(m: Metric, keys: &[String]) -> MetricDict {
    MetricDict {
        dict: m
            .value
            .dict()
            .into_iter()
            .filter(|(k, _)| keys.is_empty() || keys.iter().any(|x| x == k))
            .map(|(k, v)| DataPoint {
                key: k.to_owned(),
                value: v,
            })
            .collect(),
        name: m.name,
    }
}

/// Matching metrics as dictionaries, optionally only the data points named in `keys`.
/// (MongooseIM cannot select histogram percentiles such as `"99"` by key; meerkat can.)
pub fn get_metrics_as_dicts(
    server: &Server,
    pattern: &[Option<String>],
    keys: &[String],
) -> Vec<MetricDict> {
    get_metrics(server, pattern)
        .into_iter()
        .map(|m| as_dict(m, keys))
        .collect()
}

/// The same per node. `nodes` empty means every node, which is this one; any other name
/// answers MongooseIM's `[error, nodedown]` entry.
pub fn get_cluster_metrics_as_dicts(
    server: &Server,
    pattern: &[Option<String>],
    keys: &[String],
    nodes: &[String],
) -> Vec<NodeMetrics> {
    let this = super::server::node_name();
    let nodes: Vec<String> = if nodes.is_empty() {
        vec![this.to_owned()]
    } else {
        nodes.to_vec()
    };
    nodes
        .into_iter()
        .map(|node| {
            let result = if node == this {
                get_metrics_as_dicts(server, pattern, keys)
            } else {
                vec![MetricDict {
                    name: vec!["error".to_owned(), "nodedown".to_owned()],
                    dict: Vec::new(),
                }]
            };
            NodeMetrics { node, result }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(values: &[u64]) -> HistogramValue {
        let h = crate::metrics::Histogram::default();
        for v in values {
            h.observe(*v);
        }
        h.snapshot()
    }

    #[test]
    fn patterns_are_prefixes_with_wildcards() {
        let name: Vec<String> = ["localhost", "xmpp_element_in", "c2s", "count"]
            .map(String::from)
            .to_vec();
        let p = |s: &[&str]| s.iter().map(|x| Some((*x).to_owned())).collect::<Vec<_>>();
        assert!(matches(&[], &name));
        assert!(matches(&p(&["localhost"]), &name));
        assert!(matches(&p(&["_", "xmpp_element_in", "c2s"]), &name));
        assert!(matches(&[None, Some("xmpp_element_in".into())], &name));
        assert!(!matches(&p(&[""]), &name));
        assert!(!matches(&p(&["global"]), &name));
        assert!(!matches(
            &p(&["localhost", "xmpp_element_in", "c2s", "count", "x"]),
            &name
        ));
    }

    #[test]
    fn histogram_summary_is_consistent() {
        assert_eq!(histogram_stats(&hist(&[])), HistogramStats::default());
        let one = histogram_stats(&hist(&[3]));
        assert_eq!(
            (one.n, one.mean, one.min, one.max, one.median),
            (1, 3, 3, 3, 3)
        );
        let s = histogram_stats(&hist(
            &[100; 99].iter().copied().chain([5000]).collect::<Vec<_>>(),
        ));
        assert_eq!(s.n, 100);
        assert_eq!(s.mean, (99 * 100 + 5000 + 50) / 100);
        // 100 falls in (64, 128], 5000 in (4096, 8192].
        assert_eq!(s.min, 65);
        assert_eq!(s.max, 8192);
        assert!((65..=128).contains(&s.median), "{s:?}");
        assert!((65..=128).contains(&s.p99), "{s:?}");
        assert!((4097..=8192).contains(&s.p999), "{s:?}");
        assert!(s.min <= s.p50 && s.p50 <= s.p75 && s.p75 <= s.p90 && s.p90 <= s.p95);
        assert!(s.p95 <= s.p99 && s.p99 <= s.p999 && s.p999 <= s.max);
        // Zeros only.
        let z = histogram_stats(&hist(&[0, 0]));
        assert_eq!((z.n, z.mean, z.min, z.max, z.p99), (2, 0, 0, 0, 0));
        // Beyond the last finite bucket.
        let big = histogram_stats(&hist(&[1 << 40]));
        assert_eq!((big.min, big.max, big.p50), (1 << 40, 1 << 40, 1 << 40));
    }

    #[test]
    fn dicts_follow_exometer_order() {
        let v = MetricValue::Spiral { one: 1, count: 5 };
        assert_eq!(v.dict(), [("count", 5), ("one", 1)]);
        assert_eq!(v.type_name(), "spiral");
        let v = MetricValue::Counter {
            value: -2,
            ms_since_reset: 10,
        };
        assert_eq!(v.dict(), [("value", -2), ("ms_since_reset", 10)]);
        let v = MetricValue::Histogram(HistogramStats::default());
        let keys: Vec<_> = v.dict().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "n", "mean", "min", "max", "median", "50", "75", "90", "95", "99", "999"
            ]
        );
    }

    #[test]
    fn names_follow_mongooseim() {
        let m = crate::metrics::Metrics::new(&["localhost".to_owned()]);
        let snap = m.snapshot();
        let names: Vec<Vec<String>> = snap
            .iter()
            .flat_map(|f| f.samples.iter().map(move |s| exometer_name(f, s)))
            .collect();
        let has = |n: &[&str]| {
            names
                .iter()
                .any(|x| x.iter().map(String::as_str).eq(n.iter().copied()))
        };
        assert!(has(&["localhost", "sm_session", "logins"]));
        assert!(has(&["localhost", "xmpp_element_in", "c2s", "count"]));
        assert!(has(&["global", "xmpp_element_in", "c2s", "count"]));
        assert!(has(&["global", "sm_unique_sessions", "count"]));
        assert!(has(&["global", "system_up_time", "seconds"]));
    }
}
