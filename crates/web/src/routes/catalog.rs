//! Staff: create and change the clinic, its locations, practitioners and services.

use crate::AppState;
use crate::auth::grant::{Operator, Staff};
use crate::dto::*;
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::ManageClinic;
use nobat_core::{ClinicId, LocationId, PractitionerId, Service, ServiceId, ServicePatch};
use nobat_store::commands::{self as patches, NewClinic};
use nobat_store::model::{Clinic, Location, Practitioner};
use nobat_store::{Command, Output};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClinicInput {
    /// URL name: lower-case letters, digits, dashes.
    pub slug: String,
    pub name: String,
    /// Default language for patients and messages: `en`, `fa`, `ar`, `fr`, `ru` or `tr`
    /// (`fa-IR` counts as `fa`); `en` if absent.
    pub default_language: Option<String>,
    /// ISO 3166-1 alpha-2 (`MA`, `IR`): phone numbers typed without a country code are read
    /// in this country.
    pub country: Option<String>,
    /// Email of the existing account that becomes the clinic's owner; the operator creating
    /// the clinic if absent.
    pub owner_email: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClinicPatch {
    pub name: Option<String>,
    /// One of `en fa ar fr ru tr`.
    pub default_language: Option<String>,
    /// ISO 3166-1 alpha-2; an empty string clears it.
    pub country: Option<String>,
}

/// Create a clinic. Instance operators only; the owner named (or the operator) becomes its
/// first owner.
#[utoipa::path(post, path = "/api/v1/clinics", tag = "staff", request_body = ClinicInput, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = ClinicDto), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_clinic(
    State(state): State<AppState>,
    operator: Operator,
    body: ApiJson<ClinicInput>,
) -> ApiResult<(StatusCode, Json<ClinicDto>)> {
    let i = body.value;
    let owner = match i.owner_email.as_deref().map(|e| e.trim().to_lowercase()) {
        None => operator.0.user.id,
        Some(email) => {
            state
                .store
                .user_by_email(&email)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid("owner_email", "no account has this email; create it first (nobat user create)")
                })?
                .id
        }
    };
    let clinic = Clinic {
        id: ClinicId::new(),
        slug: i.slug.trim().to_lowercase(),
        name: i.name.trim().to_owned(),
        default_language: i.default_language.unwrap_or_else(|| "en".into()),
        country: i.country,
        security: Default::default(),
    };
    let cmd = Command::CreateClinic(NewClinic { clinic, actor: operator.actor(), owner: Some(owner) });
    match state.store.execute(cmd).await? {
        Output::Clinic(c) => Ok((StatusCode::CREATED, Json(ClinicDto::new(&c, &[])))),
        other => Err(super::unexpected(other)),
    }
}

#[utoipa::path(patch, path = "/api/v1/clinics/{clinic}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = ClinicPatch,
    responses((status = 200, body = ClinicDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update_clinic(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path(_clinic): Path<String>,
    body: ApiJson<ClinicPatch>,
) -> ApiResult<Json<ClinicDto>> {
    let ctx = staff.ctx.clone();
    let p = body.value;
    let patch = patches::ClinicPatch { name: p.name, default_language: p.default_language, country: p.country };
    match state.store.execute(Command::UpdateClinic(ctx.clinic.id, patch, staff.actor())).await? {
        Output::Clinic(c) => Ok(Json(ClinicDto::new(&c, &ctx.locations))),
        other => Err(super::unexpected(other)),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub name: String,
    /// IANA time zone, e.g. `Africa/Casablanca`.
    pub time_zone: String,
    #[serde(default)]
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The location's phone for booking by phone: E.164, or the national way in the clinic's
    /// country; an empty string clears it (on a patch).
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The location's phone for booking by phone: E.164, or the national way in the clinic's
    /// country; an empty string clears it (on a patch).
    pub phone: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/locations", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = LocationInput,
    responses((status = 201, body = LocationDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_location(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path(_clinic): Path<String>,
    body: ApiJson<LocationInput>,
) -> ApiResult<(StatusCode, Json<LocationDto>)> {
    let clinic = staff.ctx.clinic.clone();
    let i = body.value;
    let location = Location {
        id: LocationId::new(),
        clinic: clinic.id,
        name: i.name.trim().to_owned(),
        time_zone: i.time_zone.trim().to_owned(),
        address: i.address,
        latitude: i.latitude,
        longitude: i.longitude,
        phone: i.phone,
    };
    match state.store.execute(Command::CreateLocation(location, staff.actor())).await? {
        Output::Location(l) => Ok((StatusCode::CREATED, Json(LocationDto::from(&l)))),
        other => Err(super::unexpected(other)),
    }
}

#[utoipa::path(patch, path = "/api/v1/clinics/{clinic}/locations/{id}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)), request_body = LocationPatch,
    responses((status = 200, body = LocationDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update_location(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<LocationPatch>,
) -> ApiResult<Json<LocationDto>> {
    let clinic = staff.ctx.clinic.clone();
    let id: LocationId = parse_id("location", &id)?;
    let p = body.value;
    let patch = patches::LocationPatch {
        name: p.name,
        time_zone: p.time_zone,
        address: p.address,
        latitude: p.latitude,
        longitude: p.longitude,
        phone: p.phone,
    };
    match state.store.execute(Command::UpdateLocation(clinic.id, id, patch, staff.actor())).await? {
        Output::Location(l) => Ok(Json(LocationDto::from(&l))),
        other => Err(super::unexpected(other)),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PractitionerInput {
    pub name: String,
    #[serde(default)]
    pub specialties: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PractitionerPatch {
    pub name: Option<String>,
    pub specialties: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    /// An inactive practitioner offers no slots and takes no bookings.
    pub active: Option<bool>,
}

#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/practitioners", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = PractitionerInput,
    responses((status = 201, body = PractitionerDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_practitioner(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path(_clinic): Path<String>,
    body: ApiJson<PractitionerInput>,
) -> ApiResult<(StatusCode, Json<PractitionerDto>)> {
    let clinic = staff.ctx.clinic.clone();
    let i = body.value;
    let p = Practitioner {
        id: PractitionerId::new(),
        clinic: clinic.id,
        name: i.name.trim().to_owned(),
        specialties: i.specialties,
        languages: i.languages,
        active: true,
    };
    match state.store.execute(Command::CreatePractitioner(p, staff.actor())).await? {
        Output::Practitioner(p) => Ok((StatusCode::CREATED, Json(PractitionerDto::from(&p)))),
        other => Err(super::unexpected(other)),
    }
}

#[utoipa::path(patch, path = "/api/v1/clinics/{clinic}/practitioners/{id}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)), request_body = PractitionerPatch,
    responses((status = 200, body = PractitionerDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn update_practitioner(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<PractitionerPatch>,
) -> ApiResult<Json<PractitionerDto>> {
    let clinic = staff.ctx.clinic.clone();
    let id: PractitionerId = parse_id("practitioner", &id)?;
    let p = body.value;
    let patch = patches::PractitionerPatch {
        name: p.name,
        specialties: p.specialties,
        languages: p.languages,
        active: p.active,
    };
    match state.store.execute(Command::UpdatePractitioner(clinic.id, id, patch, staff.actor())).await? {
        Output::Practitioner(p) => Ok(Json(PractitionerDto::from(&p))),
        other => Err(super::unexpected(other)),
    }
}

/// A service definition; omitted fields take sensible defaults on create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub name: Option<String>,
    pub duration_min: Option<u32>,
    pub buffer_before_min: Option<u32>,
    pub buffer_after_min: Option<u32>,
    pub capacity: Option<u32>,
    /// Grid step; defaults to the duration plus buffers.
    pub slot_step_min: Option<u32>,
    pub min_notice_min: Option<u32>,
    pub horizon_days: Option<u32>,
    pub cancel_cutoff_min: Option<u32>,
    pub reschedule_cutoff_min: Option<u32>,
    /// An inactive service offers no slots and takes no new holds or bookings; its existing
    /// appointments stay. Active unless set otherwise.
    pub active: Option<bool>,
}

impl From<ServiceInput> for ServicePatch {
    fn from(i: ServiceInput) -> Self {
        ServicePatch {
            name: i.name,
            duration_min: i.duration_min,
            buffer_before_min: i.buffer_before_min,
            buffer_after_min: i.buffer_after_min,
            capacity: i.capacity,
            slot_step_min: i.slot_step_min,
            min_notice_min: i.min_notice_min,
            horizon_days: i.horizon_days,
            cancel_cutoff_min: i.cancel_cutoff_min,
            reschedule_cutoff_min: i.reschedule_cutoff_min,
            active: i.active,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/services", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = ServiceInput,
    responses((status = 201, body = ServiceDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_service(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path(_clinic): Path<String>,
    body: ApiJson<ServiceInput>,
) -> ApiResult<(StatusCode, Json<ServiceDto>)> {
    let clinic = staff.ctx.clinic.clone();
    let i = body.value;
    if i.name.is_none() {
        return Err(ApiError::invalid("name", "give the service a name"));
    }
    if i.duration_min.is_none() {
        return Err(ApiError::invalid("duration_min", "give the service a duration in minutes"));
    }
    let base = Service::with_defaults(ServiceId::new(), clinic.id);
    let service = ServicePatch::from(i).apply(&base);
    match state.store.execute(Command::CreateService(service, staff.actor())).await? {
        Output::Service(s) => Ok((StatusCode::CREATED, Json(ServiceDto::from(&s)))),
        other => Err(super::unexpected(other)),
    }
}

#[utoipa::path(patch, path = "/api/v1/clinics/{clinic}/services/{id}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)), request_body = ServiceInput,
    responses((status = 200, body = ServiceDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_service(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<ServiceInput>,
) -> ApiResult<Json<ServiceDto>> {
    let clinic = staff.ctx.clinic.clone();
    let id: ServiceId = parse_id("service", &id)?;
    let patch = ServicePatch::from(body.value);
    match state.store.execute(Command::UpdateService(clinic.id, id, patch, staff.actor())).await? {
        Output::Service(s) => Ok(Json(ServiceDto::from(&s))),
        other => Err(super::unexpected(other)),
    }
}
