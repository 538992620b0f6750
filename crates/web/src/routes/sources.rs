//! Following other publishers (issue 13): an operator registers a SMART Scheduling Links feed
//! or a FHIR `Slot` search; the poller (server side) imports it; these routes show what came in.

use crate::AppState;
use crate::auth::grant::Operator;
use crate::extract::{ApiJson, ApiQuery};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::{Timestamp, ToSpan};
use nobat_store::commands::SourceCommand;
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    /// `smart` (a `$bulk-publish` manifest URL) or `fhir` (a FHIR R4 base URL, searched with
    /// `Slot?status=free`).
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceCreated {
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedDto {
    /// The file (empty when the skip came from resolving references).
    pub file: String,
    /// 1-based line; 0 when not a line.
    pub line: usize,
    pub id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceDto {
    pub id: String,
    pub kind: String,
    pub url: String,
    pub created_at: String,
    /// The last poll, successful or not.
    pub last_poll: Option<String>,
    pub last_success: Option<String>,
    /// When the imported data last changed.
    pub last_change: Option<String>,
    pub next_poll: String,
    /// The manifest's (or first search page's) ETag as last seen.
    pub etag: Option<String>,
    pub last_error: Option<String>,
    /// Usable slots of the last import (every status).
    pub imported: i64,
    pub skipped_count: usize,
    /// What the last import left out, and why.
    pub skipped: Vec<SkippedDto>,
    /// No successful poll within `source_stale_seconds`: what it shows may be out of date.
    pub stale: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceSlotDto {
    /// The publisher's slot id.
    pub id: String,
    pub start: String,
    pub end: String,
    /// The publisher's Location id, and its name.
    pub location: String,
    pub location_name: String,
    /// The publisher's Schedule id.
    pub schedule: String,
    pub capacity: u32,
    pub booking_links: Vec<String>,
    pub booking_phone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceSlotList {
    pub slots: Vec<SourceSlotDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlotRange {
    /// First day (`YYYY-MM-DD`, UTC) or instant (RFC 3339); now if absent.
    pub from: Option<String>,
    /// Last day (inclusive) or end instant (exclusive); 31 days after `from` if absent.
    pub to: Option<String>,
}

fn bound(field: &str, raw: &str, end: bool) -> ApiResult<Timestamp> {
    if raw.len() == 10 {
        let day = crate::context::date(field, raw)?;
        let day = if end { day.checked_add(1.day()).unwrap_or(day) } else { day };
        return day
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| ApiError::invalid(field, "the date is out of range"));
    }
    crate::context::instant(field, raw)
}

/// Register a source to follow. Instance operators only. The same kind and URL registered again
/// answers the existing id.
#[utoipa::path(post, path = "/api/v1/sources", tag = "staff", request_body = SourceInput, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = SourceCreated), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_source(
    State(state): State<AppState>,
    operator: Operator,
    body: ApiJson<SourceInput>,
) -> ApiResult<(StatusCode, Json<SourceCreated>)> {
    let i = body.value;
    let kind = i.kind.trim();
    if kind != "smart" && kind != "fhir" {
        return Err(ApiError::invalid("kind", "must be `smart` or `fhir`"));
    }
    let url = i.url.trim();
    let parsed: Option<axum::http::Uri> = url.parse().ok();
    let ok = parsed.is_some_and(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some());
    if !ok || url.len() > 2000 {
        return Err(ApiError::invalid("url", "must be an absolute http or https URL"));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let cmd = SourceCommand::Create { id, kind: kind.to_owned(), url: url.to_owned(), actor: operator.actor() };
    match state.store.execute(Command::Sources(cmd)).await? {
        Output::SourceId(id) => Ok((StatusCode::CREATED, Json(SourceCreated { id }))),
        other => Err(super::unexpected(other)),
    }
}

async fn status(state: &AppState, id: &str) -> ApiResult<nobat_store::reads::SourceStatus> {
    state.store.source(id).await?.ok_or_else(|| ApiError::not_found("source"))
}

/// A source's state: last poll, ETag, counts imported and skipped (with reasons), stale flag.
#[utoipa::path(get, path = "/api/v1/sources/{id}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = SourceDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_source(
    State(state): State<AppState>,
    _operator: Operator,
    Path(id): Path<String>,
) -> ApiResult<Json<SourceDto>> {
    let s = status(&state, &id).await?;
    let stale = nobat_core::smart::stale(s.last_success, s.created_at, Timestamp::now(), state.smart_stale);
    Ok(Json(SourceDto {
        created_at: s.created_at.to_string(),
        last_poll: s.last_poll.map(|t| t.to_string()),
        last_success: s.last_success.map(|t| t.to_string()),
        last_change: s.last_change.map(|t| t.to_string()),
        next_poll: s.next_poll.to_string(),
        skipped_count: s.skipped.len(),
        skipped: s
            .skipped
            .into_iter()
            .map(|k| SkippedDto { file: k.file, line: k.line, id: k.id, reason: k.reason })
            .collect(),
        stale,
        id: s.id,
        kind: s.kind,
        url: s.url,
        etag: s.etag,
        last_error: s.last_error,
        imported: s.imported,
    }))
}

/// The free slots imported from a source, by start.
#[utoipa::path(get, path = "/api/v1/sources/{id}/slots", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("id" = String, Path), SlotRange),
    responses((status = 200, body = SourceSlotList), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn source_slots(
    State(state): State<AppState>,
    _operator: Operator,
    Path(id): Path<String>,
    ApiQuery(range): ApiQuery<SlotRange>,
) -> ApiResult<Json<SourceSlotList>> {
    let from = match range.from.as_deref() {
        Some(raw) => bound("from", raw, false)?,
        None => Timestamp::now(),
    };
    let to = match range.to.as_deref() {
        Some(raw) => bound("to", raw, true)?,
        None => from.checked_add(jiff::SignedDuration::from_hours(24 * 31)).unwrap_or(from),
    };
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    let s = status(&state, &id).await?;
    let slots = state.store.source_slots(&s.id, from, to, Some("free")).await?;
    Ok(Json(SourceSlotList {
        slots: slots
            .into_iter()
            .map(|s| SourceSlotDto {
                id: s.slot_id,
                start: s.start.to_string(),
                end: s.end.to_string(),
                location: s.location_id,
                location_name: s.location_name,
                schedule: s.schedule_id,
                capacity: s.capacity,
                booking_links: s.booking_links,
                booking_phone: s.booking_phone,
            })
            .collect(),
    }))
}
