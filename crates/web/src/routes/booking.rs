//! Holds and appointments: what a patient (or a booking client) does.

use crate::AppState;
use crate::context::{ClinicCtx, body_id, instant};
use crate::dto::*;
use crate::extract::{ApiJson, IdempotencyKey, fingerprint, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use nobat_core::booking::Actor;
use nobat_core::{AppointmentId, HoldId, PatientContact};
use nobat_store::commands::{BookRequest, CancelRequest, HoldRequest, Idempotency, RescheduleRequest};
use nobat_store::{AuditActor, Command, Output};

fn actor(staff_override: bool) -> Actor {
    if staff_override { Actor::Staff } else { Actor::Patient }
}

fn audit_actor(staff_override: bool) -> AuditActor {
    // Replaced by the signed-in user once accounts exist.
    AuditActor(if staff_override { "api:staff-override" } else { "api:guest" }.into())
}

fn idempotency(key: IdempotencyKey, request_hash: String) -> Option<Idempotency> {
    key.0.map(|key| Idempotency { key, request_hash })
}

/// Marks a response that was replayed from an earlier request with the same Idempotency-Key.
fn replay_headers(replayed: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    if replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    h
}

/// Reserve a slot for a few minutes. It counts against capacity until it is booked, released,
/// or expires by itself.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/holds", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"),
           ("Idempotency-Key" = Option<String>, Header, description = "retry safely: same key and body give the same answer")),
    request_body = HoldInput,
    responses(
        (status = 201, body = HoldDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "slot taken"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_hold(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    key: IdempotencyKey,
    body: ApiJson<HoldInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<HoldDto>)> {
    let input = body.value;
    if let Some(p) = &input.patient {
        // A hold needs no patient, but clients may send the booking's body as it is: check it
        // now so the booking that follows will not fail on it.
        PatientContact::parse(&p.name, p.phone.as_deref(), p.email.as_deref(), p.language.as_deref())?;
    }
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    let req = HoldRequest {
        clinic: ctx.clinic.id,
        service: body_id("service", &input.service)?,
        practitioner: body_id("practitioner", &input.practitioner)?,
        location: input.location.as_deref().map(|l| body_id("location", l)).transpose()?,
        start: instant("start", &input.start)?,
        ttl: state.hold_ttl,
        actor: actor(input.staff_override),
        idempotency: idempotency(key, fingerprint(&["hold", &ctx.clinic.id.to_string(), &body.canonical])),
    };
    match state.store.execute(Command::Hold(req)).await? {
        Output::Hold { hold, replayed } => {
            Ok((StatusCode::CREATED, replay_headers(replayed), Json(HoldDto::new(&hold, &ctx.tz(hold.location)))))
        }
        other => Err(super::unexpected(other)),
    }
}

/// Give a hold back before it expires.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/holds/{id}", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 204, description = "released"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn release_hold(
    State(state): State<AppState>,
    Path((clinic, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let clinic = ClinicCtx::clinic(&state, &clinic).await?;
    let id: HoldId = parse_id("hold", &id)?;
    state.store.execute(Command::ReleaseHold(clinic.id, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Book a slot. The slot must be one availability offers; a hold on it may be converted.
/// Two requests for the last place never both succeed: the loser gets 409.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/appointments", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"),
           ("Idempotency-Key" = Option<String>, Header, description = "retry safely: same key and body give the same answer")),
    request_body = BookInput,
    responses(
        (status = 201, body = AppointmentDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "slot taken, or hold unusable"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn book(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    key: IdempotencyKey,
    body: ApiJson<BookInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<AppointmentDto>)> {
    let input = body.value;
    let p = &input.patient;
    let patient = PatientContact::parse(&p.name, p.phone.as_deref(), p.email.as_deref(), p.language.as_deref())?;
    let note = input.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::invalid("note", "keep the note under 2000 characters"));
    }
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    let req = BookRequest {
        clinic: ctx.clinic.id,
        service: body_id("service", &input.service)?,
        practitioner: body_id("practitioner", &input.practitioner)?,
        location: input.location.as_deref().map(|l| body_id("location", l)).transpose()?,
        start: instant("start", &input.start)?,
        patient,
        hold: input.hold.as_deref().map(|h| body_id("hold", h)).transpose()?,
        note,
        actor: actor(input.staff_override),
        audit_actor: audit_actor(input.staff_override),
        idempotency: idempotency(key, fingerprint(&["book", &ctx.clinic.id.to_string(), &body.canonical])),
    };
    match state.store.execute(Command::Book(req)).await? {
        Output::Appointment { appointment, replayed } => Ok((
            StatusCode::CREATED,
            replay_headers(replayed),
            Json(AppointmentDto::new(&appointment, &ctx.tz(appointment.location))),
        )),
        other => Err(super::unexpected(other)),
    }
}

#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/appointments/{id}", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 200, body = AppointmentDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_appointment(
    State(state): State<AppState>,
    Path((clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<AppointmentDto>> {
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    let id: AppointmentId = parse_id("appointment", &id)?;
    let a = state.store.appointment(ctx.clinic.id, id).await?;
    Ok(Json(AppointmentDto::new(&a, &ctx.tz(a.location))))
}

/// Cancel an appointment. Patients may cancel until the service's cut-off; staff may override,
/// and the override is recorded.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/appointments/{id}/cancel", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    request_body = CancelInput,
    responses(
        (status = 200, body = AppointmentDto),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "cut-off passed or already final")))]
pub async fn cancel(
    State(state): State<AppState>,
    Path((clinic, id)): Path<(String, String)>,
    body: ApiJson<CancelInput>,
) -> ApiResult<Json<AppointmentDto>> {
    let input = body.value;
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    let id: AppointmentId = parse_id("appointment", &id)?;
    let reason = input.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::invalid("reason", "keep the reason under 500 characters"));
    }
    let req = CancelRequest {
        clinic: ctx.clinic.id,
        appointment: id,
        reason,
        actor: actor(input.staff_override),
        audit_actor: audit_actor(input.staff_override),
    };
    match state.store.execute(Command::Cancel(req)).await? {
        Output::Appointment { appointment, .. } => {
            Ok(Json(AppointmentDto::new(&appointment, &ctx.tz(appointment.location))))
        }
        other => Err(super::unexpected(other)),
    }
}

/// Move an appointment to another slot in one transaction: the new appointment is booked and
/// the old one cancelled together, or nothing changes.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/appointments/{id}/reschedule", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "retry safely")),
    request_body = RescheduleInput,
    responses(
        (status = 201, body = AppointmentDto, description = "the new appointment"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reschedule(
    State(state): State<AppState>,
    Path((clinic, id)): Path<(String, String)>,
    key: IdempotencyKey,
    body: ApiJson<RescheduleInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<AppointmentDto>)> {
    let input = body.value;
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    let id: AppointmentId = parse_id("appointment", &id)?;
    let req = RescheduleRequest {
        clinic: ctx.clinic.id,
        appointment: id,
        start: instant("start", &input.start)?,
        practitioner: input.practitioner.as_deref().map(|p| body_id("practitioner", p)).transpose()?,
        location: input.location.as_deref().map(|l| body_id("location", l)).transpose()?,
        actor: actor(input.staff_override),
        audit_actor: audit_actor(input.staff_override),
        idempotency: idempotency(
            key,
            fingerprint(&["reschedule", &ctx.clinic.id.to_string(), &id.to_string(), &body.canonical]),
        ),
    };
    match state.store.execute(Command::Reschedule(req)).await? {
        Output::Appointment { appointment, replayed } => Ok((
            StatusCode::CREATED,
            replay_headers(replayed),
            Json(AppointmentDto::new(&appointment, &ctx.tz(appointment.location))),
        )),
        other => Err(super::unexpected(other)),
    }
}
