//! Request metrics in the Prometheus text format (version 0.0.4): a
//! counter and a latency histogram per (method, route, status), and on
//! PostgreSQL a gauge for the change listener. The label sets stay small
//! whatever the clients send: routes are the matched templates
//! (`/features/connectors/api/connectors/{id}`), every path no route
//! matched is [`UNMATCHED`], and every method outside the standard ones is
//! [`OTHER_METHOD`].

use axum::http::Method;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::fmt::Write;
use std::sync::Arc;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The route label of a request that no route matched.
pub const UNMATCHED: &str = "(unmatched)";

/// The method label of a request whose method is not a standard one.
pub const OTHER_METHOD: &str = "OTHER";

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The method label: the standard methods by name, any other as
/// [`OTHER_METHOD`].
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => OTHER_METHOD,
    }
}

/// The route label: a matched route template, or [`UNMATCHED`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Route(Option<Arc<str>>);

impl Route {
    pub fn matched(template: &str) -> Route {
        Route(Some(Arc::from(template)))
    }

    pub fn unmatched() -> Route {
        Route(None)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or(UNMATCHED)
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Labels {
    method: &'static str,
    route: Route,
    status: u16,
}

type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS.iter().copied())
}

/// The process's request metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    durations: HistogramFamily,
    change_listener: Option<Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(false)
    }
}

impl Metrics {
    /// The request series, and the change listener's gauge when this
    /// process has a listener.
    pub fn new(change_listener: bool) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<Labels, Counter>::default();
        registry.register(
            "connectors_http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let durations: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "connectors_http_request_duration_seconds",
            "Time to answer HTTP requests",
            durations.clone(),
        );
        let change_listener = change_listener.then(|| {
            let gauge = Gauge::default();
            registry.register(
                "connectors_change_listener_up",
                "Whether this replica hears the database's change notifications (and so reuses token and catalog lookups between requests)",
                gauge.clone(),
            );
            gauge
        });
        Metrics {
            registry,
            requests,
            durations,
            change_listener,
        }
    }

    /// Adds the connection checks counter (by catalog key and code).
    pub fn register_checks(&mut self, counts: &crate::service::checks::counts::CheckCounts) {
        self.registry.register(
            "connectors_checks",
            "Connection checks run, by catalog key and outcome code",
            counts.family(),
        );
    }

    pub fn observe(&self, method: &Method, route: Route, status: u16, seconds: f64) {
        let labels = Labels {
            method: method_label(method),
            route,
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.durations.get_or_create(&labels).observe(seconds);
    }

    /// Records whether the change listener is connected (ignored when
    /// this process has none).
    pub fn set_change_listener_up(&self, up: bool) {
        if let Some(gauge) = &self.change_listener {
            gauge.set(i64::from(up));
        }
    }

    /// The Prometheus exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.observe(&Method::GET, Route::matched("/x/{id}"), 200, 0.002);
        m.observe(&Method::GET, Route::matched("/x/{id}"), 200, 0.2);
        m.observe(&Method::POST, Route::matched("/x"), 422, 0.0001);
        let text = m.render();
        assert!(text.contains("# TYPE connectors_http_requests_total counter"));
        assert!(text.contains(
            "connectors_http_requests_total{method=\"GET\",route=\"/x/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains("# TYPE connectors_http_request_duration_seconds histogram"));
        assert!(text.contains("connectors_http_request_duration_seconds_bucket{method=\"GET\",route=\"/x/{id}\",status=\"200\",le=\"0.0025\"} 1"));
        assert!(text.contains("connectors_http_request_duration_seconds_bucket{method=\"GET\",route=\"/x/{id}\",status=\"200\",le=\"0.25\"} 2"));
        assert!(text.contains("connectors_http_request_duration_seconds_bucket{method=\"GET\",route=\"/x/{id}\",status=\"200\",le=\"0.0005\"} 0"));
        assert!(text.contains("connectors_http_request_duration_seconds_bucket{method=\"GET\",route=\"/x/{id}\",status=\"200\",le=\"5\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains(
            "connectors_http_request_duration_seconds_count{method=\"GET\",route=\"/x/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains("status=\"422\""));
        assert!(!text.contains("connectors_change_listener_up"));
    }

    #[test]
    fn invented_methods_and_unmatched_paths_share_one_series() {
        let m = Metrics::default();
        for name in ["BREW", "PROPFIND", "X-1"] {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            m.observe(&method, Route::unmatched(), 404, 0.001);
        }
        let text = m.render();
        assert!(text.contains(
            "connectors_http_requests_total{method=\"OTHER\",route=\"(unmatched)\",status=\"404\"} 3"
        ));
        assert!(!text.contains("BREW") && !text.contains("PROPFIND"));
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
    }

    #[test]
    fn the_change_listener_gauge_follows_the_listener() {
        let m = Metrics::new(true);
        m.set_change_listener_up(true);
        assert!(m.render().contains("connectors_change_listener_up 1\n"));
        m.set_change_listener_up(false);
        assert!(m.render().contains("connectors_change_listener_up 0\n"));
        assert!(
            m.render()
                .contains("# TYPE connectors_change_listener_up gauge")
        );
    }
}
