//! The public directory: clinics, their services, practitioners and locations.

use crate::AppState;
use crate::context::ClinicCtx;
use crate::dto::*;
use crate::extract::parse_id;
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use nobat_core::{PractitionerId, ServiceId};

/// Every clinic on this instance, with its locations and time zones.
#[utoipa::path(get, path = "/api/v1/clinics", tag = "directory",
    responses((status = 200, body = ClinicList)))]
pub async fn list_clinics(State(state): State<AppState>) -> ApiResult<Json<ClinicList>> {
    let clinics = state.store.clinics().await?;
    Ok(Json(ClinicList { clinics: clinics.iter().map(|(c, l)| ClinicDto::new(c, l)).collect() }))
}

/// One clinic, by id or slug.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}", tag = "directory",
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = ClinicDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_clinic(State(state): State<AppState>, Path(clinic): Path<String>) -> ApiResult<Json<ClinicDto>> {
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    Ok(Json(ClinicDto::new(&ctx.clinic, &ctx.locations)))
}

/// The clinic's services (appointment types).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/services", tag = "directory",
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = ServiceList), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_services(State(state): State<AppState>, Path(clinic): Path<String>) -> ApiResult<Json<ServiceList>> {
    let clinic = ClinicCtx::clinic(&state, &clinic).await?;
    let services = state.store.services(clinic.id).await?;
    Ok(Json(ServiceList { services: services.iter().map(ServiceDto::from).collect() }))
}

#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/services/{id}", tag = "directory",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 200, body = ServiceDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_service(
    State(state): State<AppState>,
    Path((clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<ServiceDto>> {
    let clinic = ClinicCtx::clinic(&state, &clinic).await?;
    let id: ServiceId = parse_id("service", &id)?;
    Ok(Json(ServiceDto::from(&state.store.service(clinic.id, id).await?)))
}

/// The clinic's practitioners.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/practitioners", tag = "directory",
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = PractitionerList), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_practitioners(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
) -> ApiResult<Json<PractitionerList>> {
    let clinic = ClinicCtx::clinic(&state, &clinic).await?;
    let list = state.store.practitioners(clinic.id).await?;
    Ok(Json(PractitionerList { practitioners: list.iter().map(PractitionerDto::from).collect() }))
}

#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/practitioners/{id}", tag = "directory",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 200, body = PractitionerDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_practitioner(
    State(state): State<AppState>,
    Path((clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<PractitionerDto>> {
    let clinic = ClinicCtx::clinic(&state, &clinic).await?;
    let id: PractitionerId = parse_id("practitioner", &id)?;
    Ok(Json(PractitionerDto::from(&state.store.practitioner(clinic.id, id).await?)))
}

/// The clinic's locations with their time zones.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/locations", tag = "directory",
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = LocationList), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_locations(
    State(state): State<AppState>,
    Path(clinic): Path<String>,
) -> ApiResult<Json<LocationList>> {
    let ctx = ClinicCtx::load(&state, &clinic).await?;
    Ok(Json(LocationList { locations: ctx.locations.iter().map(LocationDto::from).collect() }))
}
