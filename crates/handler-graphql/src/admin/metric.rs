//! `metric` category (admin): MongooseIM's `admin/metric.gql`, over
//! [`meerkat_core::commands::metric`], which reads the registry the Prometheus endpoint
//! renders and explains how its families map onto MongooseIM's exometer names and
//! types. Every operation is for the global admin only. Values beyond GraphQL's 32-bit
//! `Int` are capped at its maximum.

use crate::context::Ctx;
use juniper::{FieldResult, GraphQLEnum, GraphQLObject, GraphQLUnion, graphql_object};
use meerkat_core::commands::metric::{self, MetricDict, MetricValue};

fn int(v: impl TryInto<i32>) -> Option<i32> {
    Some(v.try_into().unwrap_or(i32::MAX))
}

fn clamp(v: i64) -> Option<i32> {
    Some(i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX }))
}

/// Result of a metric
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "MetricType")]
pub enum MetricType {
    /// Collects values over a sliding window of 60s and returns appropriate statistical values
    #[graphql(name = "histogram")]
    Histogram,
    /// Returns a number
    #[graphql(name = "counter")]
    Counter,
    /// Provides 2 values: total event count and a value in 60s window.
    /// Dividing one value by 60 provides an average per-second value over last minute.
    #[graphql(name = "spiral")]
    Spiral,
    /// Consists of value and time in milliseconds elapsed from the last metric update
    #[graphql(name = "gauge")]
    Gauge,
}

/// Type of metric result
#[derive(Clone, Debug, GraphQLUnion)]
#[graphql(name = "MetricResult")]
pub enum MetricResult {
    /// A histogram.
    Histogram(HistogramMetric),
    /// A counter.
    Counter(CounterMetric),
    /// A spiral.
    Spiral(SpiralMetric),
    /// A gauge (MongooseIM reports gauges as counters, and so does meerkat).
    Gauge(GaugeMetric),
}

/// A histogram over the last 60 s.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "HistogramMetric")]
pub struct HistogramMetric {
    /// Metric name
    pub name: Option<Vec<Option<String>>>,
    /// Metric type
    #[graphql(name = "type")]
    pub kind: Option<MetricType>,
    /// The number of values used in the calculation
    pub n: Option<i32>,
    /// Mean value
    pub mean: Option<i32>,
    /// Min value
    pub min: Option<i32>,
    /// Max value
    pub max: Option<i32>,
    /// Median value
    pub median: Option<i32>,
    /// 50th percentile
    pub p50: Option<i32>,
    /// 75th percentile
    pub p75: Option<i32>,
    /// 90th percentile
    pub p90: Option<i32>,
    /// 95th percentile
    pub p95: Option<i32>,
    /// 99th percentile
    pub p99: Option<i32>,
    /// 99.9th percentile
    pub p999: Option<i32>,
}

/// A value and the time since it was reset.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "CounterMetric")]
pub struct CounterMetric {
    /// Metric name
    pub name: Option<Vec<Option<String>>>,
    /// Metric type
    #[graphql(name = "type")]
    pub kind: Option<MetricType>,
    /// The metric value
    pub value: Option<i32>,
    /// Time since last reset
    #[graphql(name = "ms_since_reset")]
    pub ms_since_reset: Option<i32>,
}

/// A value.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "GaugeMetric")]
pub struct GaugeMetric {
    /// Metric name
    pub name: Option<Vec<Option<String>>>,
    /// Metric type
    #[graphql(name = "type")]
    pub kind: Option<MetricType>,
    /// The metric value
    pub value: Option<i32>,
}

/// Event counts.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "SpiralMetric")]
pub struct SpiralMetric {
    /// Metric name
    pub name: Option<Vec<Option<String>>>,
    /// Metric type
    #[graphql(name = "type")]
    pub kind: Option<MetricType>,
    /// One minute value
    pub one: Option<i32>,
    /// Total value
    pub count: Option<i32>,
}

/// A data point.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MetricDictEntry")]
pub struct MetricDictEntry {
    /// The name of the metric key (i.e. one, count, value)
    pub key: Option<String>,
    /// Metric value
    pub value: Option<i32>,
}

/// A metric as data points.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MetricDictResult")]
pub struct MetricDictResult {
    /// Metric name
    pub name: Option<Vec<Option<String>>>,
    /// A list of keys and values
    pub dict: Option<Vec<Option<MetricDictEntry>>>,
}

/// The metrics of one node.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "MetricNodeResult")]
pub struct MetricNodeResult {
    /// Node name.
    pub node: Option<String>,
    /// Its metrics.
    pub result: Option<Vec<Option<MetricDictResult>>>,
}

fn name_of(name: Vec<String>) -> Option<Vec<Option<String>>> {
    Some(name.into_iter().map(Some).collect())
}

fn result_of(m: metric::Metric) -> MetricResult {
    let name = name_of(m.name);
    match m.value {
        MetricValue::Spiral { one, count } => MetricResult::Spiral(SpiralMetric {
            name,
            kind: Some(MetricType::Spiral),
            one: int(one),
            count: int(count),
        }),
        MetricValue::Counter {
            value,
            ms_since_reset,
        } => MetricResult::Counter(CounterMetric {
            name,
            kind: Some(MetricType::Counter),
            value: clamp(value),
            ms_since_reset: int(ms_since_reset),
        }),
        MetricValue::Histogram(h) => MetricResult::Histogram(HistogramMetric {
            name,
            kind: Some(MetricType::Histogram),
            n: int(h.n),
            mean: int(h.mean),
            min: int(h.min),
            max: int(h.max),
            median: int(h.median),
            p50: int(h.p50),
            p75: int(h.p75),
            p90: int(h.p90),
            p95: int(h.p95),
            p99: int(h.p99),
            p999: int(h.p999),
        }),
    }
}

fn dict_of(d: MetricDict) -> MetricDictResult {
    MetricDictResult {
        name: name_of(d.name),
        dict: Some(
            d.dict
                .into_iter()
                .map(|p| {
                    Some(MetricDictEntry {
                        key: Some(p.key),
                        value: clamp(p.value),
                    })
                })
                .collect(),
        ),
    }
}

fn strings(list: Option<Vec<Option<String>>>) -> Vec<String> {
    list.unwrap_or_default().into_iter().flatten().collect()
}

/// Allow admin to get the metric values. Only works with Exometer enabled.
pub struct MetricAdminQuery;

#[graphql_object(context = Ctx, name = "MetricAdminQuery")]
impl MetricAdminQuery {
    /// Match metrics using a name pattern and return the metric values.
    /// Return all metrics if the name is not provided.
    /// Name is a list of name segments or an underscore (i.e. path).
    fn get_metrics(
        ctx: &Ctx,
        name: Option<Vec<Option<String>>>,
    ) -> FieldResult<Option<Vec<Option<MetricResult>>>> {
        ctx.guard("MetricAdminQuery.getMetrics", &[])?;
        let pattern = name.unwrap_or_default();
        Ok(Some(
            metric::get_metrics(&ctx.server, &pattern)
                .into_iter()
                .map(|m| Some(result_of(m)))
                .collect(),
        ))
    }

    /// Get metrics without using graphql unions.
    /// Optionally returns only specified keys
    /// (i.e. keys: ["one"] only returns key "one", but not key "count")
    fn get_metrics_as_dicts(
        ctx: &Ctx,
        name: Option<Vec<Option<String>>>,
        keys: Option<Vec<Option<String>>>,
    ) -> FieldResult<Option<Vec<Option<MetricDictResult>>>> {
        ctx.guard("MetricAdminQuery.getMetricsAsDicts", &[])?;
        let pattern = name.unwrap_or_default();
        Ok(Some(
            metric::get_metrics_as_dicts(&ctx.server, &pattern, &strings(keys))
                .into_iter()
                .map(|d| Some(dict_of(d)))
                .collect(),
        ))
    }

    /// Gather metrics from multiple nodes.
    /// Optionally returns only from specified nodes.
    fn get_cluster_metrics_as_dicts(
        ctx: &Ctx,
        name: Option<Vec<Option<String>>>,
        keys: Option<Vec<Option<String>>>,
        nodes: Option<Vec<Option<String>>>,
    ) -> FieldResult<Option<Vec<Option<MetricNodeResult>>>> {
        ctx.guard("MetricAdminQuery.getClusterMetricsAsDicts", &[])?;
        let pattern = name.unwrap_or_default();
        Ok(Some(
            metric::get_cluster_metrics_as_dicts(
                &ctx.server,
                &pattern,
                &strings(keys),
                &strings(nodes),
            )
            .into_iter()
            .map(|n| {
                Some(MetricNodeResult {
                    node: Some(n.node),
                    result: Some(n.result.into_iter().map(|d| Some(dict_of(d))).collect()),
                })
            })
            .collect(),
        ))
    }
}
