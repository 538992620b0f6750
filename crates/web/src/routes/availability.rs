//! Availability: the slots a patient can book.

use crate::AppState;
use crate::context::{ClinicCtx, body_id, date};
use crate::dto::{CompactSlots, SlotDto, SlotGroup, SlotList};
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

/// The most slots one full answer holds (about 240 bytes each: ~5 MB). A clinic-wide two weeks
/// of 50 practitioners on a 15-minute grid (11,200 slots, the benchmark's case) fits.
pub const MAX_SLOTS: usize = 20_000;
/// The most slots one compact answer holds (about 8 bytes each), the cheap path for calendars.
pub const MAX_SLOTS_COMPACT: usize = 100_000;

/// Free slots of a service between two local dates (inclusive), in each location's own time
/// zone. Times carry the location's UTC offset. One answer holds at most 20,000 slots: a
/// wider query is answered 422 `too-many-slots` (field `to`); ask for fewer days, one
/// practitioner or one location, or use the compact form.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/availability", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), AvailabilityParams),
    responses(
        (status = 200, body = SlotList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json",
         description = "a value is not acceptable, or `too-many-slots`: more than 20,000 slots")))]
pub async fn availability(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    ApiQuery(p): ApiQuery<AvailabilityParams>,
) -> ApiResult<Json<SlotList>> {
    let (ctx, _, slots) = compute(&state, &clinic, p, MAX_SLOTS).await?;
    let zones: Vec<_> = ctx.locations.iter().map(|l| (l.id, ctx.tz(l.id))).collect();
    let tz = |id| zones.iter().find(|(l, _)| *l == id).map(|(_, tz)| tz.clone()).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(Json(SlotList { slots: slots.iter().map(|s| SlotDto::new(s, &tz(s.location))).collect() }))
}

/// The same slots, compact: grouped by local date, practitioner, location and UTC offset, each
/// slot only its local start time. A month of one practitioner's slots is about 8 bytes a slot
/// instead of 240 — for calendars that show many days at once. A day with a DST change has one
/// group per offset, so every start time stays unambiguous. One answer holds at most 100,000
/// slots; a wider query is answered 422 `too-many-slots` (field `to`).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/availability/compact", tag = "booking",
    params(("clinic" = String, Path, description = "clinic id or slug"), AvailabilityParams),
    responses(
        (status = 200, body = CompactSlots),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json",
         description = "a value is not acceptable, or `too-many-slots`: more than 100,000 slots")))]
pub async fn availability_compact(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
    ApiQuery(p): ApiQuery<AvailabilityParams>,
) -> ApiResult<Json<CompactSlots>> {
    let (ctx, service, mut slots) = compute(&state, &clinic, p, MAX_SLOTS_COMPACT).await?;
    let zones: Vec<_> = ctx.locations.iter().map(|l| (l.id, ctx.tz(l.id))).collect();
    // Sorted so that each group is one run of equal keys.
    slots.sort_by_key(|s| (s.practitioner, s.location, s.start));
    let mut groups: Vec<SlotGroup> = Vec::new();
    let mut current: Option<(jiff::civil::Date, jiff::tz::Offset, PractitionerId, LocationId)> = None;
    for s in &slots {
        let tz = zones.iter().find(|(l, _)| *l == s.location).map_or(jiff::tz::TimeZone::UTC, |(_, tz)| tz.clone());
        let offset = tz.to_offset(s.start);
        let local = offset.to_datetime(s.start);
        let key = (local.date(), offset, s.practitioner, s.location);
        let time = format!("{:02}:{:02}", local.hour(), local.minute());
        if current != Some(key) {
            current = Some(key);
            groups.push(SlotGroup {
                date: key.0.to_string(),
                offset: offset_text(key.1),
                practitioner: key.2.to_string(),
                location: key.3.to_string(),
                starts: Vec::new(),
                capacity_left: (service.capacity > 1).then(Vec::new),
            });
        }
        let Some(group) = groups.last_mut() else { continue };
        group.starts.push(time);
        if let Some(left) = group.capacity_left.as_mut() {
            left.push(s.capacity_left);
        }
    }
    Ok(Json(CompactSlots { service: service.id.to_string(), duration_min: service.duration_min, groups }))
}

/// `+03:30`, `-05:00`, `+00:00`: always hours and minutes, as RFC 3339 writes them.
fn offset_text(offset: jiff::tz::Offset) -> String {
    let secs = offset.seconds();
    let (sign, abs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
    format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
}

/// Validates the query and computes the slots (shared by both answers).
async fn compute(
    state: &AppState,
    clinic: &str,
    p: AvailabilityParams,
    max_slots: usize,
) -> ApiResult<(ClinicCtx, nobat_core::Service, Vec<nobat_core::Slot>)> {
    let service_id: ServiceId = body_id("service", &p.service)?;
    let from = date("from", &p.from)?;
    let to = date("to", &p.to)?;
    let practitioner: Option<PractitionerId> =
        p.practitioner.as_deref().map(|x| body_id("practitioner", x)).transpose()?;
    let location: Option<LocationId> = p.location.as_deref().map(|x| body_id("location", x)).transpose()?;
    let ctx = ClinicCtx::load(state, clinic).await?;
    let service = state.store.service(ctx.clinic.id, service_id).await?;
    let query = AvailabilityQuery {
        from,
        to,
        practitioner,
        location,
        now: jiff::Timestamp::now(),
        audience: Audience::Patient,
        max_slots,
    };
    let slots = state.store.availability(ctx.clinic.id, &service, query).await?;
    Ok((ctx, service, slots))
}
