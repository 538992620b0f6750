//! The private manage link a guest receives with a booking: view, cancel or reschedule that
//! one appointment without an account, and see who at the clinic looked at their record.
//! The token in the path is the capability (signed, expiring when the appointment ends).

use super::booking::{Acting, booked, cancel_as, reschedule_as};
use crate::AppState;
use crate::auth::links::{self, LinkError};
use crate::context::ClinicCtx;
use crate::dto::*;
use crate::extract::{ApiJson, IdempotencyKey};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use nobat_core::booking::Actor;
use nobat_store::AuditActor;
use nobat_store::audit::AuditFilter;
use nobat_store::model::Appointment;
use serde::Serialize;
use utoipa::ToSchema;

pub(crate) async fn open(state: &AppState, token: &str) -> ApiResult<(ClinicCtx, Appointment)> {
    let (clinic, id) = links::open_manage(&state.auth.keys, token, jiff::Timestamp::now()).map_err(|e| match e {
        LinkError::Expired => ApiError::new(
            StatusCode::GONE,
            "link-expired",
            "This link has expired",
            "the appointment is over; contact the clinic",
        ),
        LinkError::Invalid => ApiError::not_found("appointment"),
    })?;
    let ctx = ClinicCtx::load(state, &clinic.to_string()).await?;
    let a = state.store.appointment(clinic, id).await?;
    Ok((ctx, a))
}

fn patient_acting() -> Acting {
    Acting {
        actor: Actor::Patient,
        audit: AuditActor::new("patient-link", "the patient (manage link)"),
        user: None,
        staff: false,
        hold_user: None,
    }
}

/// The appointment this link is for.
#[utoipa::path(get, path = "/api/v1/manage/{token}", tag = "booking", operation_id = "manage_view", params(("token" = String, Path)),
    responses((status = 200, body = BookedDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json")))]
pub async fn view(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Json<BookedDto>> {
    let (ctx, a) = open(&state, &token).await?;
    Ok(Json(booked(&state, &ctx, &a)))
}

/// Cancel this appointment (until the service's cut-off).
#[utoipa::path(post, path = "/api/v1/manage/{token}/cancel", tag = "booking", operation_id = "manage_cancel", params(("token" = String, Path)),
    request_body = CancelInput,
    responses((status = 200, body = AppointmentDto), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json", description = "the link has expired")))]
pub async fn cancel(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: ApiJson<CancelInput>,
) -> ApiResult<Json<AppointmentDto>> {
    let (ctx, a) = open(&state, &token).await?;
    if body.value.staff_override {
        return Err(ApiError::invalid("staff_override", "a manage link acts for the patient"));
    }
    Ok(Json(cancel_as(&state, &ctx, a.id, body.value.reason, patient_acting()).await?))
}

/// Move this appointment to another slot; the answer has the new appointment's link.
#[utoipa::path(post, path = "/api/v1/manage/{token}/reschedule", tag = "booking", operation_id = "manage_reschedule",
    params(("token" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "retry safely")),
    request_body = RescheduleInput,
    responses((status = 201, body = BookedDto), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json", description = "the link has expired")))]
pub async fn reschedule(
    State(state): State<AppState>,
    Path(token): Path<String>,
    key: IdempotencyKey,
    body: ApiJson<RescheduleInput>,
) -> ApiResult<(StatusCode, HeaderMap, Json<BookedDto>)> {
    let (ctx, a) = open(&state, &token).await?;
    if body.value.staff_override {
        return Err(ApiError::invalid("staff_override", "a manage link acts for the patient"));
    }
    reschedule_as(&state, &ctx, a.id, key, body, patient_acting()).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessDto {
    pub at: String,
    pub clinic: String,
    /// Who, as the clinic named them: "Sara Karimi (receptionist)".
    pub who: String,
    /// `view`, `export`, `book`, `cancel`, `set_status`, …
    pub action: String,
    pub what: String,
}

/// Who at the clinic looked at or changed this appointment (and the ones it was rescheduled
/// from), newest first.
#[utoipa::path(get, path = "/api/v1/manage/{token}/access-log", tag = "booking", operation_id = "manage_access_log", params(("token" = String, Path)),
    responses((status = 200, body = Vec<AccessDto>), (status = 410, body = Problem, content_type = "application/problem+json", description = "the link has expired")))]
pub async fn access_log(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Json<Vec<AccessDto>>> {
    let (ctx, a) = open(&state, &token).await?;
    // Only this appointment and the ones it was rescheduled from: guests are matched to
    // records by phone and name, so the whole record's history is not the link holder's to see.
    let mut ids = vec![a.id];
    let mut from = a.rescheduled_from;
    while let Some(prev) = from.filter(|_| ids.len() < 20) {
        ids.push(prev);
        from = state.store.appointment(ctx.clinic.id, prev).await.ok().and_then(|p| p.rescheduled_from);
    }
    let mut out = Vec::new();
    for id in ids {
        let filter = AuditFilter {
            entity: Some("appointment".into()),
            entity_id: Some(id.to_string()),
            limit: 200,
            ..Default::default()
        };
        out.extend(entries(ctx.clinic.id, state.store.audit_trail(&ctx.clinic.id.to_string(), &filter).await?));
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.1));
    Ok(Json(out.into_iter().map(|(dto, _)| dto).collect()))
}

fn entries(clinic: nobat_core::ClinicId, rows: Vec<nobat_store::audit::AuditRecord>) -> Vec<(AccessDto, i64)> {
    rows.into_iter()
        .map(|r| {
            let dto = AccessDto {
                at: jiff::Timestamp::from_microsecond(r.at_us).map(|t| t.to_string()).unwrap_or_default(),
                clinic: clinic.to_string(),
                who: r.actor_label,
                action: r.action,
                what: r.entity,
            };
            (dto, r.seq)
        })
        .collect()
}

/// The audit entries about one patient record (registered patients' own records), newest first.
pub(crate) async fn access_entries(
    state: &AppState,
    clinic: nobat_core::ClinicId,
    patient: nobat_core::PatientId,
) -> ApiResult<Vec<AccessDto>> {
    let filter = AuditFilter { subject: Some(patient.to_string()), limit: 200, ..Default::default() };
    let rows = state.store.audit_trail(&clinic.to_string(), &filter).await?;
    Ok(entries(clinic, rows).into_iter().map(|(dto, _)| dto).collect())
}
