//! What operators scrape at `/metrics`: requests by route and status, latency, database
//! statements and pool use, digest work and scheduler lag, in Prometheus' text format.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::db::PgPool;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route template (`/api/v1/recommendations/{id}`), so ids never become labels.
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TriggerLabels {
    /// `schedule`, `catch_up` or `manual`, as the run is recorded.
    pub trigger: String,
}

type Histograms = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to ~8 s: the API's answers and its slowest exports both land inside.
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 8.0,
    ])
}

/// Every metric of one running service. Cheap to clone: the values are shared.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Histograms,
    /// Statements sent to PostgreSQL, counted by diesel's instrumentation on every connection.
    pub db_statements: Counter,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pub digest_runs: Family<TriggerLabels, Counter>,
    pub digest_deliveries: Family<OutcomeLabels, Counter>,
    pub webhook_deliveries: Family<OutcomeLabels, Counter>,
    pub scheduler_lag: Gauge<f64, AtomicU64>,
    pub scheduler_ticks: Family<OutcomeLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("recotrack");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        let latency: Histograms = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response, by method and route",
            latency.clone(),
        );
        let db_statements = Counter::default();
        registry.register(
            "db_statements",
            "SQL statements sent to PostgreSQL",
            db_statements.clone(),
        );
        let pool_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Open connections in the pool",
            pool_connections.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Open connections not checked out",
            pool_idle.clone(),
        );
        let digest_runs = Family::<TriggerLabels, Counter>::default();
        registry.register(
            "digest_runs",
            "Digest periods planned by this instance, by trigger",
            digest_runs.clone(),
        );
        let digest_deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "digest_deliveries",
            "Digest emails handed to the transport, by outcome (sent, failed)",
            digest_deliveries.clone(),
        );
        let webhook_deliveries = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts by this instance, by outcome (delivered, failed)",
            webhook_deliveries.clone(),
        );
        let scheduler_lag = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "scheduler_lag_seconds",
            "How late the last scheduler tick started against its schedule",
            scheduler_lag.clone(),
        );
        let scheduler_ticks = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "scheduler_ticks",
            "Scheduler ticks by outcome (ok, error)",
            scheduler_ticks.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            latency,
            db_statements,
            pool_connections,
            pool_idle,
            digest_runs,
            digest_deliveries,
            webhook_deliveries,
            scheduler_lag,
            scheduler_ticks,
        }
    }

    /// Counts one answered request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        // Anyone can send any method name: only the standard ones get a series of their own.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts one digest run (one period planned) by what started it.
    pub fn count_run(&self, trigger: &str) {
        self.digest_runs
            .get_or_create(&TriggerLabels {
                trigger: trigger.to_owned(),
            })
            .inc();
    }

    /// Counts one outcome in a family of outcome counters.
    pub fn count(family: &Family<OutcomeLabels, Counter>, outcome: &str, n: u64) {
        family
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc_by(n);
    }

    /// The text exposition, with the pool's gauges read now.
    pub fn render(&self, pool: &PgPool) -> String {
        let state = pool.state();
        self.pool_connections.set(i64::from(state.connections));
        self.pool_idle.set(i64::from(state.idle_connections));
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
