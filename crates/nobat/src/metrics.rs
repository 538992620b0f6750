//! Prometheus metrics on a listener of their own (`metrics_listen`), so they can stay on a
//! private interface while the API faces the world.
//!
//! Counters and histograms are recorded where things happen (HTTP requests in `nobat_web`,
//! commands and group commits in the store's writer); instance-wide gauges (outbox depth and
//! age, active holds, upcoming appointments) are read from the database at scrape time, so
//! every process reports the same truth.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use nobat_store::Store;
use std::sync::OnceLock;

/// The process-wide recorder, installed on first use.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(h) => h,
                // Another recorder is installed (a test harness): render ours anyway.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// The `/metrics` router.
pub fn router(store: Store) -> Router {
    Router::new().route("/metrics", get(scrape)).with_state((handle(), store))
}

async fn scrape(State((handle, store)): State<(PrometheusHandle, Store)>) -> impl IntoResponse {
    match store.gauges().await {
        Ok(g) => {
            metrics::gauge!("nobat_outbox_pending").set(g.outbox_pending as f64);
            metrics::gauge!("nobat_outbox_oldest_age_seconds").set(g.outbox_oldest_age_seconds);
            metrics::gauge!("nobat_holds_active").set(g.holds_active as f64);
            metrics::gauge!("nobat_jobs_overdue").set(g.jobs_overdue as f64);
            metrics::gauge!("nobat_jobs_dead").set(g.jobs_dead as f64);
            metrics::gauge!("nobat_appointments_upcoming").set(g.appointments_upcoming as f64);
            metrics::gauge!("nobat_clinics").set(g.clinics as f64);
            metrics::gauge!("nobat_db_read_pool_in_use").set(g.read_pool_in_use as f64);
            metrics::gauge!("nobat_db_read_pool_size").set(g.read_pool_size as f64);
            metrics::gauge!("nobat_database_up").set(1.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: database unreachable");
            metrics::gauge!("nobat_database_up").set(0.0);
        }
    }
    handle.run_upkeep();
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render())
}
