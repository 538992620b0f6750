//! Visit notes in SOAP form (issue 17): list, write, sign, amend; note templates per service.
//! Only holders of `ClinicalNotes` (practitioners, owners) reach them; who may write which
//! note is decided in `nobat_core::clinical`, applied by the store. Every read of notes is
//! written to the patient's access log.

use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::ClinicalNotes;
use nobat_core::clinical::{MAX_REASON, Soap};
use nobat_core::{AppointmentId, DomainError, NoteId, PatientId, ServiceId};
use nobat_store::commands::RecordAccess;
use nobat_store::commands::clinical::{ClinicalOp, NoteWriter};
use nobat_store::reads::clinical::{Note, NoteVersion};
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteVersionDto {
    pub version: i64,
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
    /// Why this amendment was made (none for the first version).
    pub reason: Option<String>,
    /// The sections changed from the previous version.
    pub changed: Vec<String>,
    pub author: String,
    pub signed_by: Option<String>,
    pub signed_at: Option<String>,
    pub created_at: String,
}

impl NoteVersionDto {
    fn new(v: &NoteVersion) -> Self {
        Self {
            version: v.version,
            subjective: v.soap.subjective.clone(),
            objective: v.soap.objective.clone(),
            assessment: v.soap.assessment.clone(),
            plan: v.soap.plan.clone(),
            reason: v.reason.clone(),
            changed: v.changed.clone(),
            author: v.author_label.clone(),
            signed_by: v.signed_by_label.clone(),
            signed_at: v.signed_at.map(|t| t.to_string()),
            created_at: v.created_at.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteDto {
    pub id: String,
    pub patient: String,
    pub appointment: String,
    pub practitioner: String,
    /// `draft` or `signed`.
    pub status: String,
    /// The current version's number.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Every version, oldest first; the last is current. A signed version never changes.
    pub versions: Vec<NoteVersionDto>,
}

impl NoteDto {
    pub fn new(n: &Note) -> Self {
        Self {
            id: n.id.to_string(),
            patient: n.patient.to_string(),
            appointment: n.appointment.to_string(),
            practitioner: n.practitioner.to_string(),
            status: n.status.as_str().to_owned(),
            version: n.version,
            created_at: n.created_at.to_string(),
            updated_at: n.updated_at.to_string(),
            versions: n.versions.iter().map(NoteVersionDto::new).collect(),
        }
    }
}

/// Writes that a member read a patient's notes: it shows in the patient's access log.
pub(crate) async fn record_read(
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

/// The caller as a note writer: their role and the practitioner they are in this clinic.
async fn writer(state: &AppState, staff: &Staff<ClinicalNotes>) -> ApiResult<NoteWriter> {
    let practitioner =
        state.store.membership(staff.ctx.clinic.id, staff.principal.user.id).await?.and_then(|m| m.practitioner);
    Ok(NoteWriter { role: staff.role, practitioner, actor: staff.actor() })
}

/// A patient's visit notes, newest first, with every version. The read is recorded.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/patients/{id}/notes", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<NoteDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_notes(
    State(state): State<AppState>,
    staff: Staff<ClinicalNotes>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<NoteDto>>> {
    let id: PatientId = parse_id("patient", &id)?;
    let clinic = staff.ctx.clinic.id;
    state.store.patient(clinic, id).await?;
    let notes = state.store.notes_of_patient(&state.data_keys, clinic, id).await?;
    record_read(&state, clinic, id, "view_notes", staff.actor()).await?;
    Ok(Json(notes.iter().map(NoteDto::new).collect()))
}

/// The four SOAP sections.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNoteInput {
    /// The appointment this note is about (the patient's, in this clinic).
    pub appointment: String,
    #[serde(default)]
    pub subjective: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub plan: String,
    /// Sign at once instead of keeping a draft.
    #[serde(default)]
    pub sign: bool,
}

async fn answer(state: &AppState, staff: &Staff<ClinicalNotes>, patient: PatientId, out: Output) -> ApiResult<NoteDto> {
    let id = match out {
        Output::Clinical(c) => match *c {
            nobat_store::commands::clinical::ClinicalOutput::Note(id) => id,
            other => return Err(super::unexpected(Output::Clinical(Box::new(other)))),
        },
        other => return Err(super::unexpected(other)),
    };
    Ok(NoteDto::new(&state.store.note(&state.data_keys, staff.ctx.clinic.id, patient, id).await?))
}

/// Write a note about one of the patient's appointments: a draft, or signed at once. A
/// practitioner writes only for their own appointments; owners for any.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/notes", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = NewNoteInput,
    responses((status = 201, body = NoteDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_note(
    State(state): State<AppState>,
    staff: Staff<ClinicalNotes>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<NewNoteInput>,
) -> ApiResult<(StatusCode, Json<NoteDto>)> {
    let patient: PatientId = parse_id("patient", &id)?;
    // Another clinic's patient is a 404 here, whatever the body says.
    state.store.patient(staff.ctx.clinic.id, patient).await?;
    let b = body.value;
    let appointment: AppointmentId = crate::context::body_id("appointment", &b.appointment)?;
    let soap = Soap::parse(&b.subjective, &b.objective, &b.assessment, &b.plan)?;
    let op = ClinicalOp::CreateNote {
        clinic: staff.ctx.clinic.id,
        patient,
        id: NoteId::new(),
        appointment,
        soap,
        sign: b.sign,
        writer: writer(&state, &staff).await?,
        keys: state.data_keys.clone(),
    };
    let out = state.store.execute(Command::Clinical(op)).await?;
    Ok((StatusCode::CREATED, Json(answer(&state, &staff, patient, out).await?)))
}

/// The sections of a draft's new text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftInput {
    #[serde(default)]
    pub subjective: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub plan: String,
}

/// Rewrite a draft (a signed note is refused: amend it instead).
#[utoipa::path(patch, path = "/api/v1/clinics/{clinic}/patients/{id}/notes/{note}", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path), ("note" = String, Path)), request_body = DraftInput,
    responses((status = 200, body = NoteDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn edit_draft(
    State(state): State<AppState>,
    staff: Staff<ClinicalNotes>,
    Path((_clinic, id, note)): Path<(String, String, String)>,
    body: ApiJson<DraftInput>,
) -> ApiResult<Json<NoteDto>> {
    let patient: PatientId = parse_id("patient", &id)?;
    let note: NoteId = parse_id("note", &note)?;
    let b = body.value;
    let soap = Soap::parse(&b.subjective, &b.objective, &b.assessment, &b.plan)?;
    let op = ClinicalOp::EditDraft {
        clinic: staff.ctx.clinic.id,
        patient,
        note,
        soap,
        writer: writer(&state, &staff).await?,
        keys: state.data_keys.clone(),
    };
    let out = state.store.execute(Command::Clinical(op)).await?;
    Ok(Json(answer(&state, &staff, patient, out).await?))
}

/// Sign a draft. From then on it is never changed, only amended.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/notes/{note}/sign", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path), ("note" = String, Path)),
    responses((status = 200, body = NoteDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn sign_note(
    State(state): State<AppState>,
    staff: Staff<ClinicalNotes>,
    Path((_clinic, id, note)): Path<(String, String, String)>,
) -> ApiResult<Json<NoteDto>> {
    let patient: PatientId = parse_id("patient", &id)?;
    let note: NoteId = parse_id("note", &note)?;
    let op = ClinicalOp::Sign { clinic: staff.ctx.clinic.id, patient, note, writer: writer(&state, &staff).await? };
    let out = state.store.execute(Command::Clinical(op)).await?;
    Ok(Json(answer(&state, &staff, patient, out).await?))
}

/// The new text of a signed note, and why it changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendInput {
    #[serde(default)]
    pub subjective: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub plan: String,
    /// Why (1 to 1000 characters); kept with the version.
    pub reason: String,
}

/// Amend a signed note: a new signed version recording what changed, why and who signed it;
/// the earlier versions stay as they were.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/notes/{note}/amend", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path), ("note" = String, Path)), request_body = AmendInput,
    responses((status = 200, body = NoteDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn amend_note(
    State(state): State<AppState>,
    staff: Staff<ClinicalNotes>,
    Path((_clinic, id, note)): Path<(String, String, String)>,
    body: ApiJson<AmendInput>,
) -> ApiResult<Json<NoteDto>> {
    let patient: PatientId = parse_id("patient", &id)?;
    let note: NoteId = parse_id("note", &note)?;
    let b = body.value;
    let soap = Soap::parse(&b.subjective, &b.objective, &b.assessment, &b.plan)?;
    let reason = b.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_REASON {
        return Err(DomainError::invalid("reason", format!("say why (1 to {MAX_REASON} characters)")).into());
    }
    let op = ClinicalOp::Amend {
        clinic: staff.ctx.clinic.id,
        patient,
        note,
        soap,
        reason,
        writer: writer(&state, &staff).await?,
        keys: state.data_keys.clone(),
    };
    let out = state.store.execute(Command::Clinical(op)).await?;
    Ok(Json(answer(&state, &staff, patient, out).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteTemplateDto {
    #[serde(default)]
    pub subjective: String,
    #[serde(default)]
    pub objective: String,
    #[serde(default)]
    pub assessment: String,
    #[serde(default)]
    pub plan: String,
}

/// The SOAP headings a service's notes start from (empty sections when none is set).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/services/{id}/note-template", operation_id = "get_note_template", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = NoteTemplateDto)))]
pub async fn get_template(
    State(state): State<AppState>,
    staff: Staff<ClinicalNotes>,
    Path((_clinic, service)): Path<(String, String)>,
) -> ApiResult<Json<NoteTemplateDto>> {
    let service: ServiceId = parse_id("service", &service)?;
    state.store.service(staff.ctx.clinic.id, service).await?;
    let t = state.store.note_template(staff.ctx.clinic.id, service).await?.unwrap_or_default();
    Ok(Json(NoteTemplateDto {
        subjective: t.subjective,
        objective: t.objective,
        assessment: t.assessment,
        plan: t.plan,
    }))
}

/// Set a service's note template; all four sections empty removes it.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/services/{id}/note-template", operation_id = "put_note_template", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = NoteTemplateDto,
    responses((status = 200, body = NoteTemplateDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn put_template(
    State(state): State<AppState>,
    staff: Staff<ClinicalNotes>,
    Path((_clinic, service)): Path<(String, String)>,
    body: ApiJson<NoteTemplateDto>,
) -> ApiResult<Json<NoteTemplateDto>> {
    let service: ServiceId = parse_id("service", &service)?;
    let b = body.value;
    let empty = [&b.subjective, &b.objective, &b.assessment, &b.plan].iter().all(|s| s.trim().is_empty());
    let soap = if empty { None } else { Some(Soap::parse(&b.subjective, &b.objective, &b.assessment, &b.plan)?) };
    let op = ClinicalOp::SetTemplate { clinic: staff.ctx.clinic.id, service, soap: soap.clone(), actor: staff.actor() };
    state.store.execute(Command::Clinical(op)).await?;
    let t = soap.unwrap_or_default();
    Ok(Json(NoteTemplateDto {
        subjective: t.subjective,
        objective: t.objective,
        assessment: t.assessment,
        plan: t.plan,
    }))
}
