//! Liveness and readiness, for load balancers and orchestrators.

use crate::AppState;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// Alive: the process answers HTTP. Says nothing about the database.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> StatusCode {
    StatusCode::OK
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    pub status: &'static str,
    /// The release of the time-zone database bundled in the binary (e.g. `2025b`): every
    /// process behind a load balancer should answer the same.
    pub tzdb: &'static str,
}

/// Ready to take traffic: the database answers, its schema is current, the writers run, and no
/// background worker keeps failing.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness),
              (status = 503, body = Problem, content_type = "application/problem+json", description = "not ready")))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Readiness>> {
    state.store.ready().await.map_err(|e| {
        tracing::warn!(error = %e, "not ready");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", "Not ready", e.to_string())
    })?;
    let problems = state.workers.problems();
    if !problems.is_empty() {
        let detail = format!("degraded: {}", problems.join("; "));
        return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "degraded", "Degraded", detail));
    }
    Ok(Json(Readiness { status: "ready", tzdb: nobat_core::zones::version() }))
}
