//! Availability: the slots a patient can book.

use crate::AppState;
use crate::context::{ClinicCtx, body_id, date};
use crate::dto::{SlotDto, SlotList};
use crate::extract::ApiQuery;
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use nobat_core::availability::Audience;
use nobat_core::{LocationId, PractitionerId, ServiceId};
use nobat_store::reads::AvailabilityQuery;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityParams {
    /// Service id.
    pub service: String,
    /// First local date, `YYYY-MM-DD`.
    pub from: String,
    /// Last local date (inclusive); a query covers at most 93 days.
    pub to: String,
    /// Only this practitioner.
    pub practitioner: Option<String>,
    /// Only this location.
    pub location: Option<String>,
}

/// Free slots of a service between two local dates (inclusive), in each location's own time
/// zone. Times carry the location's UTC offset.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/availability", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), AvailabilityParams),
    responses(
        (status = 200, body = SlotList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn availability(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    ApiQuery(p): ApiQuery<AvailabilityParams>,
) -> ApiResult<Json<SlotList>> {
    let service_id: ServiceId = body_id("service", &p.service)?;
    let from = date("from", &p.from)?;
    let to = date("to", &p.to)?;
    let practitioner: Option<PractitionerId> =
        p.practitioner.as_deref().map(|x| body_id("practitioner", x)).transpose()?;
    let location: Option<LocationId> = p.location.as_deref().map(|x| body_id("location", x)).transpose()?;
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    let service = state.store.service(ctx.clinic.id, service_id).await?;
    let query = AvailabilityQuery {
        from,
        to,
        practitioner,
        location,
        now: jiff::Timestamp::now(),
        audience: Audience::Patient,
    };
    let slots = state.store.availability(ctx.clinic.id, &service, query).await?;
    let zones: Vec<_> = ctx.locations.iter().map(|l| (l.id, ctx.tz(l.id))).collect();
    let tz = |id| zones.iter().find(|(l, _)| *l == id).map(|(_, tz)| tz.clone()).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(Json(SlotList { slots: slots.iter().map(|s| SlotDto::new(s, &tz(s.location))).collect() }))
}
