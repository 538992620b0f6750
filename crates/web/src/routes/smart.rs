//! SMART Scheduling Links publisher (issue 16): `/smart/{clinic}/$bulk-publish` and the NDJSON
//! files it lists. Public, as the spec asks (no keys). Each answer carries `Cache-Control:
//! max-age` (the polling hint), an `ETag` and `Last-Modified`; `If-None-Match` /
//! `If-Modified-Since` get 304; `_since` on the manifest lists only files changed after it.

use crate::AppState;
use crate::context::ClinicCtx;
use crate::problem::{ApiError, ApiResult, Problem};
use crate::smart_publish::{Publication, publication};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::fmt::rfc2822::{DateTimeParser, DateTimePrinter};
use nobat_core::smart::{Manifest, ManifestOutput, ResourceKind, write};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ManifestParams {
    /// Only files changed after this instant (RFC 3339).
    #[serde(rename = "_since")]
    #[param(rename = "_since")]
    pub since: Option<String>,
}

const FILES: [(&str, ResourceKind); 3] = [
    ("locations.ndjson", ResourceKind::Location),
    ("schedules.ndjson", ResourceKind::Schedule),
    ("slots.ndjson", ResourceKind::Slot),
];

fn etag_of(body: &str) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(body.as_bytes())[..16]))
}

/// The answer, or 304 when the client's validators still match. `If-None-Match`, when sent,
/// decides alone (RFC 9110 §13.2.2).
fn conditional(state: &AppState, req: &HeaderMap, body: String, ctype: &'static str, modified: Timestamp) -> Response {
    let etag = etag_of(&body);
    let fresh = match req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(inm) => inm.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        }),
        None => req
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTimeParser::new().parse_timestamp(v).ok())
            .is_some_and(|ims| ims.as_second() >= modified.as_second()),
    };
    let mut res = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { (StatusCode::OK, body).into_response() };
    let h = res.headers_mut();
    if !fresh {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    }
    let max_age = format!("public, max-age={}", state.smart.max_age_seconds);
    let last_modified = DateTimePrinter::new().timestamp_to_rfc9110_string(&modified).unwrap_or_default();
    for (name, value) in
        [(header::ETAG, etag), (header::CACHE_CONTROL, max_age), (header::LAST_MODIFIED, last_modified)]
    {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    res
}

async fn load(state: &AppState, clinic: &str) -> ApiResult<(ClinicCtx, Publication)> {
    let ctx = ClinicCtx::load(state, clinic).await?;
    let publication = publication(state, &ctx).await?;
    Ok((ctx, publication))
}

/// The clinic's SMART Scheduling Links manifest: its Location, Schedule and Slot files.
#[utoipa::path(get, path = "/smart/{clinic}/$bulk-publish", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), ManifestParams),
    responses((status = 200, description = "the manifest (JSON)"), (status = 304, description = "unchanged"),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn manifest(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    crate::extract::ApiQuery(p): crate::extract::ApiQuery<ManifestParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let since = match p.since.as_deref() {
        None => None,
        Some(raw) => Some(crate::context::instant("_since", raw).map_err(|_| {
            ApiError::invalid("_since", format!("`{raw}` is not an instant like 2026-03-10T09:00:00Z"))
        })?),
    };
    let (ctx, publication) = load(&state, &clinic).await?;
    let base = format!("{}/smart/{}", state.auth.public_url.trim_end_matches('/'), ctx.clinic.slug);
    let changed = since.is_none_or(|s| publication.modified > s);
    let manifest = Manifest {
        transaction_time: publication.modified,
        request: format!("{base}/$bulk-publish"),
        outputs: FILES
            .iter()
            .filter(|_| changed)
            .map(|(name, kind)| ManifestOutput { kind: *kind, url: format!("{base}/{name}"), states: Vec::new() })
            .collect(),
    };
    Ok(conditional(&state, &headers, write::manifest(&manifest), "application/json", publication.modified))
}

async fn file(
    state: AppState,
    clinic: String,
    headers: HeaderMap,
    pick: fn(Publication) -> String,
) -> ApiResult<Response> {
    let (_, publication) = load(&state, &clinic).await?;
    let modified = publication.modified;
    Ok(conditional(&state, &headers, pick(publication), "application/fhir+ndjson", modified))
}

/// The clinic's locations, one FHIR Location per line.
#[utoipa::path(get, path = "/smart/{clinic}/locations.ndjson", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, description = "NDJSON"), (status = 304, description = "unchanged"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn locations(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    file(state, clinic, headers, |p| p.locations).await
}

/// One FHIR Schedule per practitioner × location × service.
#[utoipa::path(get, path = "/smart/{clinic}/schedules.ndjson", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, description = "NDJSON"), (status = 304, description = "unchanged"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn schedules(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    file(state, clinic, headers, |p| p.schedules).await
}

/// Free and busy FHIR Slots over the published horizon, computed from the rules now.
#[utoipa::path(get, path = "/smart/{clinic}/slots.ndjson", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, description = "NDJSON"), (status = 304, description = "unchanged"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn slots(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    file(state, clinic, headers, |p| p.slots).await
}
