//! A patient's record and the clinic's duties about it: reading it (recorded), exporting it,
//! erasing it, and the consents the patient gave.

use super::staff_admin::AuditEntryDto;
use crate::AppState;
use crate::auth::grant::Staff;
use crate::dto::ConsentInput;
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::{ManageAppointments, ManagePatientData, ViewPatients};
use nobat_core::{ConsentId, PatientId};
use nobat_store::commands::RecordAccess;
use nobat_store::commands::patients::PatientPatch;
use nobat_store::identity::Consent;
use nobat_store::model::Patient;
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PatientDto {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
}

impl PatientDto {
    pub fn new(p: &Patient) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            language: p.language.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentDto {
    pub id: String,
    pub kind: String,
    pub text_version: String,
    pub given_at: String,
    pub withdrawn_at: Option<String>,
    pub source: String,
}

impl ConsentDto {
    pub fn new(c: &Consent) -> Self {
        Self {
            id: c.id.to_string(),
            kind: c.kind.clone(),
            text_version: c.text_version.clone(),
            given_at: c.given_at.to_string(),
            withdrawn_at: c.withdrawn_at.map(|t| t.to_string()),
            source: c.source.clone(),
        }
    }
}

async fn record(
    state: &AppState,
    clinic: nobat_core::ClinicId,
    patient: PatientId,
    action: &'static str,
    actor: nobat_store::AuditActor,
) -> ApiResult<()> {
    state
        .store
        .execute(Command::RecordAccess(RecordAccess { clinic, patient, appointment: None, action, actor }))
        .await?;
    Ok(())
}

/// A patient's record. The read is written to the patient's access log.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/patients/{id}", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = PatientDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_patient(
    State(state): State<AppState>,
    staff: Staff<ViewPatients>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<PatientDto>> {
    let id: PatientId = parse_id("patient", &id)?;
    let p = state.store.patient(staff.ctx.clinic.id, id).await?;
    record(&state, p.clinic, p.id, "view", staff.actor()).await?;
    Ok(Json(PatientDto::new(&p)))
}

/// Changes to a patient's record; absent fields are kept.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientPatchInput {
    pub name: Option<String>,
    /// Stored in E.164; without a leading `+` read in the clinic's country. `""` removes it
    /// (a phone or an email must remain).
    pub phone: Option<String>,
    /// `""` removes it.
    pub email: Option<String>,
    /// `en`, `fa`, `ar`, `fr`, `ru` or `tr` (`fa-IR` counts as `fa`); `""` removes it.
    pub language: Option<String>,
}

/// Correct a patient's name, phone, email or language at the desk. The change is audited; a
/// guest's record follows its new contact (the next booking with it finds this record).
#[utoipa::path(patch, path = "/api/v1/clinics/{clinic}/patients/{id}", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = PatientPatchInput,
    responses((status = 200, body = PatientDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_patient(
    State(state): State<AppState>,
    staff: Staff<ManageAppointments>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<PatientPatchInput>,
) -> ApiResult<Json<PatientDto>> {
    let id: PatientId = parse_id("patient", &id)?;
    let p = body.value;
    let patch = PatientPatch { name: p.name, phone: p.phone, email: p.email, language: p.language };
    let cmd = Command::UpdatePatient { clinic: staff.ctx.clinic.id, patient: id, patch, actor: staff.actor() };
    match state.store.execute(cmd).await? {
        Output::Patient(p) => Ok(Json(PatientDto::new(&p))),
        other => Err(super::unexpected(other)),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportDto {
    pub patient: PatientDto,
    pub appointments: Vec<crate::dto::AppointmentDto>,
    pub consents: Vec<ConsentDto>,
    /// Every audit entry about this patient, newest first: changes and who looked.
    pub history: Vec<AuditEntryDto>,
    /// The patient's visit notes with every version, opened (the right of access covers them).
    pub notes: Vec<super::notes::NoteDto>,
}

/// Everything the clinic holds about one patient, as JSON (the right of access and of data
/// portability). The export is itself recorded.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/patients/{id}/export", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ExportDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn export_patient(
    State(state): State<AppState>,
    staff: Staff<ManagePatientData>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<ExportDto>> {
    let id: PatientId = parse_id("patient", &id)?;
    let clinic = staff.ctx.clinic.id;
    state.store.patient(clinic, id).await?;
    record(&state, clinic, id, "export", staff.actor()).await?;
    let e = state.store.patient_export(clinic, id).await?;
    let notes = state.store.notes_of_patient(&state.data_keys, clinic, id).await?;
    Ok(Json(ExportDto {
        patient: PatientDto::new(&e.patient),
        appointments: e
            .appointments
            .iter()
            .map(|a| crate::dto::AppointmentDto::new(a, &staff.ctx.tz(a.location)))
            .collect(),
        consents: e.consents.iter().map(ConsentDto::new).collect(),
        history: e.history.into_iter().map(AuditEntryDto::new).collect(),
        notes: notes.iter().map(super::notes::NoteDto::new).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseInput {
    /// Why (the patient's request, a retention decision); kept in the audit trail.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErasedDto {
    /// Appointments kept, anonymised, for the clinic's statistics.
    pub appointments_kept: u64,
}

/// Erase a patient's personal data: name, phone, email, notes and account link go;
/// appointments stay as anonymous statistics; the audit trail keeps its chain but loses the
/// details about them. Cannot be undone.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/erase", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = EraseInput,
    responses((status = 200, body = ErasedDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn erase_patient(
    State(state): State<AppState>,
    staff: Staff<ManagePatientData>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<EraseInput>,
) -> ApiResult<Json<ErasedDto>> {
    let id: PatientId = parse_id("patient", &id)?;
    let reason = body.value.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid("reason", "say why (1 to 500 characters)"));
    }
    let cmd = Command::ErasePatient { clinic: staff.ctx.clinic.id, patient: id, actor: staff.actor(), reason };
    match state.store.execute(cmd).await? {
        Output::Count(n) => Ok(Json(ErasedDto { appointments_kept: n })),
        other => Err(super::unexpected(other)),
    }
}

/// The consents a patient gave, withdrawn ones too.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/patients/{id}/consents", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), responses((status = 200, body = Vec<ConsentDto>)))]
pub async fn list_consents(
    State(state): State<AppState>,
    staff: Staff<ViewPatients>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<ConsentDto>>> {
    let id: PatientId = parse_id("patient", &id)?;
    state.store.patient(staff.ctx.clinic.id, id).await?;
    Ok(Json(state.store.consents(staff.ctx.clinic.id, id).await?.iter().map(ConsentDto::new).collect()))
}

/// Record a consent the patient gave at the desk (time and text version are kept).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/consents", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = ConsentInput,
    responses((status = 201, body = ConsentDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn add_consent(
    State(state): State<AppState>,
    staff: Staff<ManagePatientData>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<ConsentInput>,
) -> ApiResult<(StatusCode, Json<ConsentDto>)> {
    let id: PatientId = parse_id("patient", &id)?;
    let (kind, text_version) = body.value.parse("kind")?;
    let consent = Consent {
        id: ConsentId::new(),
        clinic: staff.ctx.clinic.id,
        patient: id,
        kind,
        text_version,
        given_at: jiff::Timestamp::now(),
        withdrawn_at: None,
        source: "staff".into(),
    };
    match state.store.execute(Command::RecordConsent(consent, staff.actor())).await? {
        Output::Consent(c) => Ok((StatusCode::CREATED, Json(ConsentDto::new(&c)))),
        other => Err(super::unexpected(other)),
    }
}

/// Record that the patient withdrew a consent.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/consents/{consent}/withdraw", tag = "patients",
    security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path), ("consent" = String, Path)),
    responses((status = 204, description = "withdrawn"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn withdraw_consent(
    State(state): State<AppState>,
    staff: Staff<ManagePatientData>,
    Path((_clinic, id, consent)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let patient: PatientId = parse_id("patient", &id)?;
    let id: ConsentId = parse_id("consent", &consent)?;
    state
        .store
        .execute(Command::WithdrawConsent { clinic: staff.ctx.clinic.id, patient, id, actor: staff.actor() })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
