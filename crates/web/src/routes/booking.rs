//! Holds and appointments: what a patient (or a booking client, or staff for a patient) does.
//!
//! Who is acting is decided once, by [`booking_actor`] / [`appointment_actor`], from the
//! caller's grants: staff with `ManageAppointments` may override patient rules (recorded);
//! a signed-in patient acts on their own appointments; a guest books, and then uses the
//! private manage link (`/api/v1/manage/{token}`).

use crate::AppState;
use crate::auth::grant::Visitor;
use crate::auth::limits::ClientNet;
use crate::auth::links;
use crate::context::{ClinicCtx, body_id, start};
use crate::dto::*;
use crate::extract::{ApiJson, IdempotencyKey, fingerprint, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use nobat_core::access::{ManageAppointments, ViewAppointments};
use nobat_core::booking::Actor;
use nobat_core::{AppointmentId, UserId};
use nobat_store::commands::{BookRequest, CancelRequest, Idempotency, RecordAccess, RescheduleRequest};
use nobat_store::model::Appointment;
use nobat_store::{AuditActor, Command, Output};

/// Who is acting on a booking, with what power.
pub(crate) struct Acting {
    pub actor: Actor,
    pub audit: AuditActor,
    /// The signed-in patient booking for themselves.
    pub user: Option<UserId>,
    /// Staff acting for a patient: guest verification does not apply.
    pub staff: bool,
    /// The signed-in caller (patient or staff), whose own holds this request may convert.
    pub hold_user: Option<UserId>,
}

/// The actor of a new booking or hold.
pub(crate) async fn booking_actor(state: &AppState, v: &Visitor, staff_override: bool) -> ApiResult<Acting> {
    let hold_user = v.principal.as_ref().map(|p| p.user.id);
    if staff_override {
        let s = v.staff::<ManageAppointments>(state).await?;
        return Ok(Acting { actor: Actor::Staff, audit: s.actor(), user: None, staff: true, hold_user });
    }
    if let Some(s) = v.staff_opt::<ManageAppointments>(state).await? {
        return Ok(Acting { actor: Actor::Patient, audit: s.actor(), user: None, staff: true, hold_user });
    }
    Ok(match &v.principal {
        Some(p) if p.is_session() => {
            Acting { actor: Actor::Patient, audit: patient_actor(p), user: Some(p.user.id), staff: false, hold_user }
        }
        _ => Acting { actor: Actor::Patient, audit: AuditActor::guest(), user: None, staff: false, hold_user },
    })
}

/// The actor on an existing appointment reached by its id: staff holding `need` here, or the
/// signed-in patient it belongs to. Anyone else learns nothing (404).
async fn appointment_actor(
    state: &AppState,
    v: &Visitor,
    a: &Appointment,
    manage: bool,
    staff_override: bool,
) -> ApiResult<Acting> {
    let Some(p) = &v.principal else {
        return Err(crate::auth::principal::unauthenticated(
            "sign in, or use the manage link you received when you booked",
        ));
    };
    let staff = if manage {
        v.staff_opt::<ManageAppointments>(state).await?.map(|s| s.actor())
    } else {
        v.staff_opt::<ViewAppointments>(state).await?.map(|s| s.actor())
    };
    if let Some(audit) = staff {
        if staff_override && !manage {
            return Err(ApiError::invalid("staff_override", "nothing to override here"));
        }
        let actor = if staff_override { Actor::Staff } else { Actor::Patient };
        return Ok(Acting { actor, audit, user: None, staff: true, hold_user: Some(p.user.id) });
    }
    if staff_override {
        // Proves the right or explains why not.
        v.staff::<ManageAppointments>(state).await?;
    }
    if manage && v.staff_opt::<ViewAppointments>(state).await?.is_some() {
        // Staff who may see the appointment but not change it are told so (403), not 404.
        v.staff::<ManageAppointments>(state).await?;
    }
    if state.store.patient_user(a.clinic, a.patient).await? == Some(p.user.id) {
        return Ok(Acting {
            actor: Actor::Patient,
            audit: patient_actor(p),
            user: Some(p.user.id),
            staff: false,
            hold_user: Some(p.user.id),
        });
    }
    Err(ApiError::not_found("appointment"))
}

/// A signed-in patient acting for themselves. Never their name: the audit trail is chained and
/// outlives erasure, so it names patients only by account id.
fn patient_actor(p: &crate::auth::principal::Principal) -> AuditActor {
    AuditActor::new(format!("user:{}", p.user.id), "the patient (signed in)")
}

pub(crate) fn idempotency(key: IdempotencyKey, request_hash: String) -> Option<Idempotency> {
    key.0.map(|key| Idempotency { key, request_hash })
}

/// Marks a response that was replayed from an earlier request with the same Idempotency-Key.
pub(crate) fn replay_headers(replayed: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    if replayed {
        h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    h
}

/// The appointment with its manage link.
pub(crate) fn booked(state: &AppState, ctx: &ClinicCtx, a: &Appointment) -> BookedDto {
    let token = links::manage_token(&state.auth.keys, a.clinic, a.id, a.end);
    BookedDto {
        appointment: AppointmentDto::new(a, &ctx.tz(a.location)),
        manage_url: format!("{}/api/v1/manage/{token}", state.auth.public_url),
        manage_token: token,
    }
}

/// Book a slot. The slot must be one availability offers; a hold on it may be converted.
/// Two requests for the last place never both succeed: the loser gets 409. The answer carries
/// the private manage link; give it only to the patient.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/appointments", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"),
           ("Idempotency-Key" = Option<String>, Header, description = "retry safely: same key and body give the same answer")),
    request_body = BookInput,
    responses(
        (status = 201, body = BookedDto),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "contact not verified, or override not allowed"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "slot taken, or hold unusable"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json")))]
pub async fn book(
    State(state): State<AppState>,
    visitor: Visitor,
    net: ClientNet,
    key: IdempotencyKey,
    body: ApiJson<BookInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<BookedDto>)> {
    let input = body.value;
    let p = &input.patient;
    let patient = p.parse(&visitor.ctx.clinic)?;
    let note = input.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(ApiError::invalid("note", "keep the note under 2000 characters"));
    }
    let consents = input
        .consents
        .iter()
        .enumerate()
        .map(|(i, c)| c.parse(&format!("consents[{i}]")))
        .collect::<ApiResult<Vec<_>>>()?;
    let acting = booking_actor(&state, &visitor, input.staff_override).await?;
    if let Some(user) = acting.user {
        state.auth.limits.booking_account(&user.to_string())?;
    }
    let ctx = visitor.ctx;
    let proven = input.contact_proof.as_deref().is_some_and(|proof| {
        links::check_contact_proof(
            &state.auth.keys,
            proof,
            ctx.clinic.id,
            &patient.contact_key(),
            jiff::Timestamp::now(),
        )
    });
    if ctx.clinic.security.verify_guest_contact && !acting.staff && !proven {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "contact-unverified",
            "Confirm your phone or email first",
            "this clinic confirms patients' phone or email: request a code (POST /clinics/{clinic}/verifications), \
                 confirm it, and send the proof as contact_proof",
        )
        .with_field("contact_proof"));
    }
    // Who asks is part of the request: someone else's retry with the same key and body does not
    // get this booking (and its manage link) replayed to them.
    let caller = net.replay_caller(&acting.audit.id);
    let idempotency = idempotency(key, fingerprint(&["book", &ctx.clinic.id.to_string(), &caller, &body.canonical]));
    let (start, start_offset) = start("start", &input.start)?;
    let req = BookRequest {
        clinic: ctx.clinic.id,
        service: body_id("service", &input.service)?,
        practitioner: body_id("practitioner", &input.practitioner)?,
        location: input.location.as_deref().map(|l| body_id("location", l)).transpose()?,
        start,
        start_offset,
        patient,
        hold: input.hold.as_deref().map(|h| body_id("hold", h)).transpose()?,
        hold_claim: super::holds::claim(&state, acting.hold_user, input.hold_token.as_deref()),
        note,
        actor: acting.actor,
        audit_actor: acting.audit,
        idempotency,
        user: acting.user,
        consents,
        contact_verified: proven || acting.staff,
    };
    match state.store.execute(Command::Book(req)).await? {
        Output::Appointment { appointment, replayed } => {
            Ok((StatusCode::CREATED, replay_headers(replayed), Json(booked(&state, &ctx, &appointment))))
        }
        other => Err(super::unexpected(other)),
    }
}

/// One appointment: for the clinic's staff, or the signed-in patient it belongs to. Staff
/// reads are recorded in the patient's access log.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/appointments/{id}", tag = "booking",
    security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 200, body = AppointmentDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_appointment(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<AppointmentDto>> {
    let id: AppointmentId = parse_id("appointment", &id)?;
    let a = state.store.appointment(visitor.ctx.clinic.id, id).await?;
    let acting = appointment_actor(&state, &visitor, &a, false, false).await?;
    if acting.staff {
        let access = RecordAccess {
            clinic: a.clinic,
            patient: a.patient,
            appointment: Some(a.id),
            action: "view",
            actor: acting.audit,
        };
        state.store.execute(Command::RecordAccess(access)).await?;
    }
    Ok(Json(AppointmentDto::new(&a, &visitor.ctx.tz(a.location))))
}

/// Cancel an appointment. Patients may cancel until the service's cut-off; staff may override,
/// and the override is recorded.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/appointments/{id}/cancel", tag = "booking", operation_id = "cancel_appointment",
    security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    request_body = CancelInput,
    responses(
        (status = 200, body = AppointmentDto),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "cut-off passed or already final")))]
pub async fn cancel(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<CancelInput>,
) -> ApiResult<Json<AppointmentDto>> {
    let input = body.value;
    let id: AppointmentId = parse_id("appointment", &id)?;
    let a = state.store.appointment(visitor.ctx.clinic.id, id).await?;
    let acting = appointment_actor(&state, &visitor, &a, true, input.staff_override).await?;
    let out = cancel_as(&state, &visitor.ctx, id, input.reason, acting).await?;
    Ok(Json(out))
}

pub(crate) async fn cancel_as(
    state: &AppState,
    ctx: &ClinicCtx,
    id: AppointmentId,
    reason: Option<String>,
    acting: Acting,
) -> ApiResult<AppointmentDto> {
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::invalid("reason", "keep the reason under 500 characters"));
    }
    let req = CancelRequest {
        clinic: ctx.clinic.id,
        appointment: id,
        reason,
        actor: acting.actor,
        audit_actor: acting.audit,
    };
    match state.store.execute(Command::Cancel(req)).await? {
        Output::Appointment { appointment, .. } => Ok(AppointmentDto::new(&appointment, &ctx.tz(appointment.location))),
        other => Err(super::unexpected(other)),
    }
}

/// Move an appointment to another slot in one transaction: the new appointment is booked and
/// the old one cancelled together, or nothing changes.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/appointments/{id}/reschedule", tag = "booking", operation_id = "reschedule_appointment",
    security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "retry safely")),
    request_body = RescheduleInput,
    responses(
        (status = 201, body = BookedDto, description = "the new appointment"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reschedule(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((_clinic, id)): Path<(String, String)>,
    key: IdempotencyKey,
    body: ApiJson<RescheduleInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<BookedDto>)> {
    let id: AppointmentId = parse_id("appointment", &id)?;
    let a = state.store.appointment(visitor.ctx.clinic.id, id).await?;
    let acting = appointment_actor(&state, &visitor, &a, true, body.value.staff_override).await?;
    reschedule_as(&state, &visitor.ctx, id, key, body, acting).await
}

pub(crate) async fn reschedule_as(
    state: &AppState,
    ctx: &ClinicCtx,
    id: AppointmentId,
    key: IdempotencyKey,
    body: ApiJson<RescheduleInput>,
    acting: Acting,
) -> ApiResult<(StatusCode, HeaderMap, Json<BookedDto>)> {
    let input = body.value;
    let (start, start_offset) = start("start", &input.start)?;
    // Who asks is part of the request (see `book`): another staff member's retry does not get
    // this answer replayed. Through a manage link the link itself is the caller.
    let idempotency = idempotency(
        key,
        fingerprint(&["reschedule", &ctx.clinic.id.to_string(), &id.to_string(), &acting.audit.id, &body.canonical]),
    );
    let req = RescheduleRequest {
        clinic: ctx.clinic.id,
        appointment: id,
        start,
        start_offset,
        practitioner: input.practitioner.as_deref().map(|p| body_id("practitioner", p)).transpose()?,
        location: input.location.as_deref().map(|l| body_id("location", l)).transpose()?,
        hold: input.hold.as_deref().map(|h| body_id("hold", h)).transpose()?,
        hold_claim: super::holds::claim(state, acting.hold_user, input.hold_token.as_deref()),
        actor: acting.actor,
        audit_actor: acting.audit,
        idempotency,
    };
    match state.store.execute(Command::Reschedule(req)).await? {
        Output::Appointment { appointment, replayed } => {
            Ok((StatusCode::CREATED, replay_headers(replayed), Json(booked(state, ctx, &appointment))))
        }
        other => Err(super::unexpected(other)),
    }
}
