//! Metric families and their labelled series, and the read API over them.
//!
//! A family is MongooseIM's `(event, metric)` pair: exposed name `<event>_<metric>`, HELP
//! text `Event: <event>, Metric: <metric>`, label keys in sorted order. Series are added
//! at start-up (per configured domain, per listener, per mounted handler) and handed out
//! as handles; the per-family lock is taken only then and when reading, never when
//! recording.

use super::cell::{Counter, Gauge, Histogram, HistogramValue};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The Prometheus type of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Monotonic count (MongooseIM `spiral`).
    Counter,
    /// Value that goes up and down (MongooseIM `counter` and `gauge`).
    Gauge,
    /// Distribution over buckets 1, 2, 4, ..., 2^30, +Inf.
    Histogram,
}

impl Kind {
    /// The name used in `# TYPE` lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Identifies a family in its registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FamilyId(usize);

/// Counters of HTTP responses per status code, for one label set; a series is exposed
/// for each status seen.
#[derive(Debug)]
pub(crate) struct StatusCounters {
    counts: Box<[AtomicU64]>,
}

/// Status codes counted one by one; others are folded into 599 (they are not valid HTTP).
const STATUS_MIN: u16 = 100;
const STATUS_MAX: u16 = 599;

impl Default for StatusCounters {
    fn default() -> Self {
        StatusCounters {
            counts: (STATUS_MIN..=STATUS_MAX)
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }
}

impl StatusCounters {
    pub(crate) fn inc(&self, status: u16) {
        let i = status.clamp(STATUS_MIN, STATUS_MAX) - STATUS_MIN;
        self.counts[usize::from(i)].fetch_add(1, Ordering::Relaxed);
    }
    fn seen(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.counts.iter().enumerate().filter_map(|(i, c)| {
            let v = c.load(Ordering::Relaxed);
            // `i` < 500 by construction.
            (v > 0).then(|| (STATUS_MIN + i as u16, v))
        })
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Cell {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
    /// A counter per HTTP status: the last label (`status`) comes from the cell.
    ByStatus(Arc<StatusCounters>),
    /// A counter read as the sum of others (so recording touches fewer atomics).
    Sum(Arc<[Counter]>),
    /// A counter read as a histogram's number of observations.
    ObservationCount(Histogram),
}

#[derive(Debug)]
struct Series {
    labels: Box<[String]>,
    cell: Cell,
}

#[derive(Debug)]
struct Family {
    event: &'static str,
    metric: &'static str,
    name: String,
    help: String,
    kind: Kind,
    label_names: &'static [&'static str],
    series: RwLock<Vec<Series>>,
}

/// The set of families, in registration order (which is the exposition order).
#[derive(Debug, Default)]
pub(crate) struct Registry {
    families: Vec<Family>,
}

/// A family and its series at one moment: what the Prometheus endpoint renders and what
/// the GraphQL and REST metric queries read.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilySnapshot {
    /// Exposed name, `<event>_<metric>`.
    pub name: String,
    /// MongooseIM event name (e.g. `sm_session`).
    pub event: &'static str,
    /// MongooseIM metric name within the event (e.g. `logins`).
    pub metric: &'static str,
    /// HELP text: `Event: <event>, Metric: <metric>`.
    pub help: String,
    /// Prometheus type.
    pub kind: Kind,
    /// Label keys, sorted.
    pub label_names: &'static [&'static str],
    /// One entry per label set.
    pub samples: Vec<Sample>,
}

/// One series of a family.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Label values, in the order of [`FamilySnapshot::label_names`].
    pub labels: Vec<String>,
    /// The value.
    pub value: Value,
}

impl Sample {
    /// `(key, value)` pairs.
    pub fn label_pairs<'a>(
        &'a self,
        family: &'a FamilySnapshot,
    ) -> impl Iterator<Item = (&'static str, &'a str)> + 'a {
        family
            .label_names
            .iter()
            .copied()
            .zip(self.labels.iter().map(String::as_str))
    }

    /// The value of label `key`.
    pub fn label<'a>(&'a self, family: &FamilySnapshot, key: &str) -> Option<&'a str> {
        let i = family.label_names.iter().position(|k| *k == key)?;
        self.labels.get(i).map(String::as_str)
    }
}

/// A sampled value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Counter value.
    Counter(u64),
    /// Gauge value.
    Gauge(i64),
    /// Histogram state.
    Histogram(Box<HistogramValue>),
}

impl Registry {
    /// Adds a family. Label keys must be sorted (MongooseIM sorts them).
    pub(crate) fn add(
        &mut self,
        event: &'static str,
        metric: &'static str,
        kind: Kind,
        label_names: &'static [&'static str],
    ) -> FamilyId {
        debug_assert!(label_names.is_sorted(), "{event}_{metric}: labels unsorted");
        let name = format!("{event}_{metric}");
        debug_assert!(
            !self.families.iter().any(|f| f.name == name),
            "{name} registered twice"
        );
        self.families.push(Family {
            event,
            metric,
            help: format!("Event: {event}, Metric: {metric}"),
            name,
            kind,
            label_names,
            series: RwLock::new(Vec::new()),
        });
        FamilyId(self.families.len() - 1)
    }

    /// The cell of the series with `labels` in family `id`, created by `make` if new.
    fn cell(&self, id: FamilyId, labels: &[&str], make: impl FnOnce() -> Cell) -> Cell {
        let family = &self.families[id.0];
        let mut series = family.series.write().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = series.iter().find(|s| {
            s.labels
                .iter()
                .map(String::as_str)
                .eq(labels.iter().copied())
        }) {
            return s.cell.clone();
        }
        let cell = make();
        series.push(Series {
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            cell: cell.clone(),
        });
        cell
    }

    fn check(&self, id: FamilyId, kind: Kind, labels: &[&str], extra: usize) {
        let f = &self.families[id.0];
        debug_assert_eq!(f.kind, kind, "{}: wrong kind", f.name);
        debug_assert_eq!(
            f.label_names.len(),
            labels.len() + extra,
            "{}: wrong label count",
            f.name
        );
    }

    /// The counter with `labels` in family `id` (created at 0 if new).
    pub(crate) fn counter(&self, id: FamilyId, labels: &[&str]) -> Counter {
        self.check(id, Kind::Counter, labels, 0);
        match self.cell(id, labels, || Cell::Counter(Counter::default())) {
            Cell::Counter(c) => c,
            _ => Counter::default(),
        }
    }

    /// The gauge with `labels` in family `id`.
    pub(crate) fn gauge(&self, id: FamilyId, labels: &[&str]) -> Gauge {
        self.check(id, Kind::Gauge, labels, 0);
        match self.cell(id, labels, || Cell::Gauge(Gauge::default())) {
            Cell::Gauge(g) => g,
            _ => Gauge::default(),
        }
    }

    /// The histogram with `labels` in family `id`.
    pub(crate) fn histogram(&self, id: FamilyId, labels: &[&str]) -> Histogram {
        self.check(id, Kind::Histogram, labels, 0);
        match self.cell(id, labels, || Cell::Histogram(Histogram::default())) {
            Cell::Histogram(h) => h,
            _ => Histogram::default(),
        }
    }

    /// Per-status counters for `labels` (all label keys but the last, `status`).
    pub(crate) fn by_status(&self, id: FamilyId, labels: &[&str]) -> Arc<StatusCounters> {
        self.check(id, Kind::Counter, labels, 1);
        match self.cell(id, labels, || Cell::ByStatus(Arc::default())) {
            Cell::ByStatus(c) => c,
            _ => Arc::default(),
        }
    }

    /// Adds a counter series whose value is the sum of `parts` (recorded through them).
    pub(crate) fn sum_of(&self, id: FamilyId, labels: &[&str], parts: Vec<Counter>) {
        self.check(id, Kind::Counter, labels, 0);
        self.cell(id, labels, || Cell::Sum(parts.into()));
    }

    /// Adds a counter series whose value is the number of observations of `h`.
    pub(crate) fn observations_of(&self, id: FamilyId, labels: &[&str], h: Histogram) {
        self.check(id, Kind::Counter, labels, 0);
        self.cell(id, labels, || Cell::ObservationCount(h));
    }

    /// Every family with its current values. Families without series are included
    /// (with no samples); encoders leave them out.
    pub(crate) fn snapshot(&self) -> Vec<FamilySnapshot> {
        self.families.iter().map(Family::snapshot).collect()
    }

    /// One family by exposed name.
    pub(crate) fn snapshot_of(&self, name: &str) -> Option<FamilySnapshot> {
        self.families
            .iter()
            .find(|f| f.name == name)
            .map(Family::snapshot)
    }
}

impl Family {
    fn snapshot(&self) -> FamilySnapshot {
        let series = self.series.read().unwrap_or_else(|e| e.into_inner());
        let mut samples = Vec::with_capacity(series.len());
        for s in series.iter() {
            let labels = || s.labels.to_vec();
            match &s.cell {
                Cell::Counter(c) => samples.push(Sample {
                    labels: labels(),
                    value: Value::Counter(c.get()),
                }),
                Cell::Sum(parts) => samples.push(Sample {
                    labels: labels(),
                    value: Value::Counter(parts.iter().map(Counter::get).sum()),
                }),
                Cell::ObservationCount(h) => samples.push(Sample {
                    labels: labels(),
                    value: Value::Counter(h.snapshot().count()),
                }),
                Cell::Gauge(g) => samples.push(Sample {
                    labels: labels(),
                    value: Value::Gauge(g.get()),
                }),
                Cell::Histogram(h) => samples.push(Sample {
                    labels: labels(),
                    value: Value::Histogram(Box::new(h.snapshot())),
                }),
                Cell::ByStatus(by) => {
                    for (status, v) in by.seen() {
                        let mut l = labels();
                        l.push(status.to_string());
                        samples.push(Sample {
                            labels: l,
                            value: Value::Counter(v),
                        });
                    }
                }
            }
        }
        FamilySnapshot {
            name: self.name.clone(),
            event: self.event,
            metric: self.metric,
            help: self.help.clone(),
            kind: self.kind,
            label_names: self.label_names,
            samples,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_shared_per_label_set() {
        let mut r = Registry::default();
        let f = r.add("sm_session", "logins", Kind::Counter, &["host_type"]);
        let a = r.counter(f, &["a"]);
        r.counter(f, &["a"]).inc();
        r.counter(f, &["b"]);
        a.inc();
        let s = r.snapshot();
        assert_eq!(s[0].name, "sm_session_logins");
        assert_eq!(s[0].help, "Event: sm_session, Metric: logins");
        assert_eq!(s[0].samples.len(), 2);
        assert_eq!(s[0].samples[0].value, Value::Counter(2));
        assert_eq!(s[0].samples[0].label(&s[0], "host_type"), Some("a"));
        assert_eq!(s[0].samples[1].value, Value::Counter(0));
    }

    #[test]
    fn status_counters_expand_to_seen_statuses() {
        let mut r = Registry::default();
        let f = r.add(
            "http_requests",
            "count",
            Kind::Counter,
            &["handler", "status"],
        );
        let c = r.by_status(f, &["h"]);
        c.inc(200);
        c.inc(200);
        c.inc(404);
        c.inc(42); // folded into 100
        let s = r.snapshot_of("http_requests_count").unwrap();
        let got: Vec<_> = s
            .samples
            .iter()
            .map(|x| (x.labels.join("/"), x.value.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("h/100".to_owned(), Value::Counter(1)),
                ("h/200".to_owned(), Value::Counter(2)),
                ("h/404".to_owned(), Value::Counter(1)),
            ]
        );
    }
}
