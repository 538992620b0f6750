//! Liveness.

use axum::http::StatusCode;

/// Alive: the process answers HTTP. (Readiness, with database checks, comes with operations.)
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn healthz() -> StatusCode {
    StatusCode::OK
}
