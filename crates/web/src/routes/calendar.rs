//! iCalendar (RFC 5545): private, revocable feed URLs for staff calendars (one practitioner's
//! appointments, or the whole clinic's), and the patient's own `.ics` behind the manage link.
//! The files are made by `nobat_notify::ics`, the builder the booking emails use: one UID per
//! appointment, the SEQUENCE the store counts, a VTIMEZONE for each location's zone.

use crate::AppState;
use crate::auth::grant::Staff;
use crate::auth::keys;
use crate::context::{ClinicCtx, body_id};
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use nobat_core::AppointmentStatus;
use nobat_core::access::ViewAppointments;
use nobat_notify::ics::{self, IcsEvent, IcsMethod};
use nobat_store::Command;
use nobat_store::commands::FeedCommand;
use nobat_store::model::{Appointment, AppointmentFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Feeds show appointments from this long ago ...
const FEED_PAST_DAYS: i64 = 30;
/// ... and at most this many (the nearest first).
const FEED_MAX: usize = 1000;
/// Feed tokens start with this, so a leaked one is recognisable.
const FEED_PREFIX: &str = "nbc_";

/// A new feed: one practitioner's appointments, or (no practitioner) the whole clinic's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedInput {
    pub practitioner: Option<String>,
}

/// A feed just made: the URL is shown this once (only a hash of its token is kept).
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedDto {
    pub id: String,
    pub practitioner: Option<String>,
    /// Subscribe to this in a calendar app; keep it private, revoke it if it leaks.
    pub url: String,
}

/// Make a private iCalendar feed URL (subscribe to it in a calendar app).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/calendar-feeds", tag = "staff",
    security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")),
    request_body = FeedInput,
    responses((status = 201, body = FeedDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_feed(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    body: ApiJson<FeedInput>,
) -> ApiResult<(StatusCode, Json<FeedDto>)> {
    let practitioner = body.value.practitioner.as_deref().map(|p| body_id("practitioner", p)).transpose()?;
    let token = format!("{FEED_PREFIX}{}", keys::random_b64(32));
    let id = uuid::Uuid::now_v7().to_string();
    let cmd = FeedCommand::Create {
        clinic: staff.ctx.clinic.id,
        id: id.clone(),
        practitioner,
        token_hash: state.auth.keys.token_hash(&token),
        actor: staff.actor(),
    };
    state.store.execute(Command::CalendarFeeds(cmd)).await?;
    let url = format!("{}/ical/{token}.ics", state.auth.public_url);
    Ok((StatusCode::CREATED, Json(FeedDto { id, practitioner: practitioner.map(|p| p.to_string()), url })))
}

/// Revoke a feed: its URL answers 404 from now on.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/calendar-feeds/{id}", tag = "staff",
    security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 204, description = "revoked"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_feed(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id: uuid::Uuid = parse_id("calendar feed", &id)?;
    let cmd = FeedCommand::Revoke { clinic: staff.ctx.clinic.id, id: id.to_string(), actor: staff.actor() };
    state.store.execute(Command::CalendarFeeds(cmd)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn calendar(body: String, filename: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // A private URL: no shared cache may keep it.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
    res
}

/// The host part of the public URL, for UIDs (the same as the emails' .ics).
fn host(state: &AppState) -> String {
    state
        .auth
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("nobat.local")
        .split(['/', ':'])
        .next()
        .unwrap_or("nobat.local")
        .to_owned()
}

/// One appointment as an event; `method` Cancel for one no longer happening.
async fn event(state: &AppState, ctx: &ClinicCtx, a: &Appointment, summary: String) -> ApiResult<IcsEvent> {
    let sequence = state.store.appointment_sequence(a.clinic, a.id).await?;
    let location = ctx.locations.iter().find(|l| l.id == a.location);
    let place = location
        .map(|l| if l.address.trim().is_empty() { l.name.clone() } else { format!("{}, {}", l.name, l.address) });
    let gone = matches!(a.status, AppointmentStatus::Cancelled | AppointmentStatus::EnteredInError);
    Ok(IcsEvent {
        uid: ics::uid_for(&a.id.to_string(), &host(state)),
        sequence,
        method: if gone { IcsMethod::Cancel } else { IcsMethod::Publish },
        start: a.start,
        end: a.end,
        zone: ctx.tz(a.location),
        summary,
        description: None,
        location: place,
        url: None,
        organizer: None,
        attendee: None,
        stamp: Timestamp::now(),
    })
}

/// This appointment as an `.ics` for the patient's calendar: `METHOD:PUBLISH` while it stands,
/// `METHOD:CANCEL` once cancelled; SEQUENCE grows with every change, so importing the newer
/// file replaces the event.
#[utoipa::path(get, path = "/api/v1/manage/{token}/calendar.ics", tag = "booking", operation_id = "manage_calendar",
    params(("token" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json", description = "the link has expired")))]
pub async fn manage_calendar(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Response> {
    let (ctx, a) = super::manage::open(&state, &token).await?;
    let service = state.store.service(a.clinic, a.service).await?;
    let summary = format!("{} — {}", service.name, ctx.clinic.name);
    // PUBLISH, not REQUEST: a copy for the patient's calendar, with no organizer to answer.
    let ev = event(&state, &ctx, &a, summary).await?;
    let text = ics::to_string(&ev);
    Ok(calendar(text, "appointment.ics"))
}

/// `GET /ical/{token}.ics`: a feed, by its private token (revoked or unknown: 404). Not in the
/// OpenAPI document: calendar apps, not API clients, read it.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> ApiResult<Response> {
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    let f = state
        .store
        .calendar_feed(&state.auth.keys.token_hash(token))
        .await?
        .ok_or_else(|| ApiError::not_found("calendar feed"))?;
    let ctx = ClinicCtx::load(&state, &f.clinic.to_string()).await?;
    let services = state.store.services(f.clinic).await?;
    let from =
        Timestamp::now().checked_sub(jiff::SignedDuration::from_hours(24 * FEED_PAST_DAYS)).unwrap_or(Timestamp::now());
    let mut filter =
        AppointmentFilter { practitioner: f.practitioner, from: Some(from), limit: 500, ..Default::default() };
    let mut all: Vec<Appointment> = Vec::new();
    while all.len() < FEED_MAX {
        let page = state.store.appointments(f.clinic, &filter).await?;
        let Some(last) = page.last() else { break };
        filter.after = Some((last.start, last.id));
        let full = page.len() == 500;
        all.extend(page);
        if !full {
            break;
        }
    }
    all.truncate(FEED_MAX);
    let mut events = Vec::with_capacity(all.len());
    for a in &all {
        let service = services.iter().find(|s| s.id == a.service).map_or("", |s| s.name.as_str());
        let patient = state.store.patient(a.clinic, a.patient).await.map(|p| p.name).unwrap_or_default();
        let summary = if patient.is_empty() { service.to_owned() } else { format!("{service} — {patient}") };
        events.push(event(&state, &ctx, a, summary).await?);
    }
    let name = match f.practitioner {
        Some(p) => state.store.practitioner(f.clinic, p).await.map(|p| format!("{} — {}", p.name, ctx.clinic.name))?,
        None => ctx.clinic.name.clone(),
    };
    Ok(calendar(ics::feed(&name, &events), "nobat.ics"))
}
