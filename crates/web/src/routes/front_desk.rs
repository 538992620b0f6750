//! Staff: the appointment book and status changes (arrived, fulfilled, no-show, …).

use crate::AppState;
use crate::auth::grant::Staff;
use crate::context::{body_id, instant};
use crate::dto::*;
use crate::extract::{ApiJson, ApiQuery, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use nobat_core::access::{SetAppointmentStatus, ViewAppointments};
use nobat_core::{AppointmentId, AppointmentStatus};
use nobat_store::commands::StatusRequest;
use nobat_store::model::AppointmentFilter;
use nobat_store::{Command, Output};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub practitioner: Option<String>,
    pub patient: Option<String>,
    pub location: Option<String>,
    pub service: Option<String>,
    /// FHIR status, e.g. `booked`.
    pub status: Option<String>,
    /// Starting at or after this instant (RFC 3339).
    pub from: Option<String>,
    /// Starting before this instant (RFC 3339).
    pub to: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<u32>,
    /// The `next` value of the previous page.
    pub after: Option<String>,
}

/// List appointments, ordered by start, filtered and paged.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/appointments", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ListParams),
    responses((status = 200, body = AppointmentList), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_appointments(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path(_clinic): Path<String>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<AppointmentList>> {
    let ctx = staff.ctx.clone();
    let after = match q.after.as_deref() {
        None => None,
        Some(raw) => {
            let bad = || ApiError::invalid("after", "pass the `next` value of the previous page");
            let (us, id) = raw.split_once('_').ok_or_else(bad)?;
            let us: i64 = us.parse().map_err(|_| bad())?;
            Some((jiff::Timestamp::from_microsecond(us).map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
        }
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "between 1 and 500"));
    }
    let filter = AppointmentFilter {
        practitioner: q.practitioner.as_deref().map(|x| body_id("practitioner", x)).transpose()?,
        patient: q.patient.as_deref().map(|x| body_id("patient", x)).transpose()?,
        location: q.location.as_deref().map(|x| body_id("location", x)).transpose()?,
        service: q.service.as_deref().map(|x| body_id("service", x)).transpose()?,
        status: q.status.as_deref().map(str::parse::<AppointmentStatus>).transpose()?,
        from: q.from.as_deref().map(|x| instant("from", x)).transpose()?,
        to: q.to.as_deref().map(|x| instant("to", x)).transpose()?,
        limit,
        after,
    };
    let page = state.store.appointments(ctx.clinic.id, &filter).await?;
    let next = (page.len() == limit as usize)
        .then(|| page.last().map(|a| format!("{}_{}", a.start.as_microsecond(), a.id)))
        .flatten();
    Ok(Json(AppointmentList {
        appointments: page.iter().map(|a| AppointmentDto::new(a, &ctx.tz(a.location))).collect(),
        next,
    }))
}

/// Move an appointment along its status table (FHIR R4) with a front-desk status: `arrived`,
/// `checked-in`, `fulfilled`, `noshow` or `entered-in-error`. Any other status, `cancelled`
/// included, is a 422 naming `status` (cancel through the cancel endpoint, which needs
/// ManageAppointments, keeps the reason and announces the cancellation). An illegal change is
/// a 409, never applied.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/appointments/{id}/status", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)), request_body = StatusInput,
    responses((status = 200, body = AppointmentDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn set_status(
    State(state): State<AppState>,
    staff: Staff<SetAppointmentStatus>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<StatusInput>,
) -> ApiResult<Json<AppointmentDto>> {
    let ctx = staff.ctx.clone();
    let id: AppointmentId = parse_id("appointment", &id)?;
    let status: AppointmentStatus = body.value.status.parse()?;
    let req = StatusRequest { clinic: ctx.clinic.id, appointment: id, status, audit_actor: staff.actor() };
    match state.store.execute(Command::SetStatus(req)).await? {
        Output::Appointment { appointment, .. } => {
            Ok(Json(AppointmentDto::new(&appointment, &ctx.tz(appointment.location))))
        }
        other => Err(super::unexpected(other)),
    }
}
