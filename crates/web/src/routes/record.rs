//! The patient record as a whole (issue 17): demographics, contacts, language, consents and
//! one timeline; merging duplicate records (reversibly); a practice's notes as CSV. Reception
//! (`ViewPatients` without `ClinicalNotes`) sees the administrative part only.

use super::notes::{NoteDto, record_read};
use super::patients::{ConsentDto, PatientDto};
use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::{ApiJson, ApiQuery, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use nobat_core::access::{Capability, ClinicalNotes, ManagePatientData, ViewPatients};
use nobat_core::{MergeId, PatientId};
use nobat_store::commands::clinical::{ClinicalOp, ClinicalOutput};
use nobat_store::commands::merge::MergeOp;
use nobat_store::reads::clinical::TimelineEntry;
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDto {
    pub patient: PatientDto,
    pub consents: Vec<ConsentDto>,
    /// The record this one was merged into, if it was (its rows live there now).
    pub merged_into: Option<String>,
    /// Whether the caller sees clinical content (notes); reception does not.
    pub clinical: bool,
    /// Newest first; each entry has a `kind`: `appointment`, `queue_visit`, `note` (clinical
    /// only), and — with intake forms and messages — `form`, `message`.
    #[schema(value_type = Vec<Object>)]
    pub timeline: Vec<TimelineEntry>,
    /// The notes in full (clinical only).
    pub notes: Vec<NoteDto>,
}

/// A patient's whole record. Practitioners and owners get the notes too; reception the
/// administrative fields only. The read is written to the patient's access log.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/patients/{id}/record", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = RecordDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn patient_record(
    State(state): State<AppState>,
    staff: Staff<ViewPatients>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<RecordDto>> {
    let id: PatientId = parse_id("patient", &id)?;
    let clinic = staff.ctx.clinic.id;
    let p = state.store.patient(clinic, id).await?;
    // The capability table decides, as everywhere: the same question `Staff<ClinicalNotes>`
    // would ask, for the role this caller acts with here.
    let clinical = ClinicalNotes::allows(staff.role);
    let timeline = state.store.timeline(clinic, id, clinical).await?;
    let notes = if clinical { state.store.notes_of_patient(&state.data_keys, clinic, id).await? } else { Vec::new() };
    let consents = state.store.consents(clinic, id).await?;
    let merged_into = state.store.merged_into(clinic, id).await?;
    record_read(&state, clinic, id, if clinical { "view_record" } else { "view" }, staff.actor()).await?;
    Ok(Json(RecordDto {
        patient: PatientDto::new(&p),
        consents: consents.iter().map(ConsentDto::new).collect(),
        merged_into: merged_into.map(|m| m.to_string()),
        clinical,
        timeline,
        notes: notes.iter().map(NoteDto::new).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The duplicate record, folded into the one in the path.
    pub duplicate: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeDto {
    /// Give this to `…/unmerge` to undo the merge.
    pub merge: String,
}

fn merge_id(out: Output) -> ApiResult<MergeDto> {
    match out {
        Output::Clinical(c) => match *c {
            ClinicalOutput::Merge(id) => Ok(MergeDto { merge: id.to_string() }),
            other => Err(super::unexpected(Output::Clinical(Box::new(other)))),
        },
        other => Err(super::unexpected(other)),
    }
}

/// Merge a duplicate record into this one: its appointments, consents, queue visits and notes
/// move here, and it is hidden. Audited on both records; undone by `…/unmerge`.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/merge", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = MergeInput,
    responses((status = 200, body = MergeDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn merge_patient(
    State(state): State<AppState>,
    staff: Staff<ManagePatientData>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<MergeInput>,
) -> ApiResult<Json<MergeDto>> {
    let kept: PatientId = parse_id("patient", &id)?;
    let duplicate: PatientId = crate::context::body_id("duplicate", &body.value.duplicate)?;
    let op = MergeOp::Merge { clinic: staff.ctx.clinic.id, id: MergeId::new(), kept, duplicate, actor: staff.actor() };
    Ok(Json(merge_id(state.store.execute(Command::Clinical(ClinicalOp::Merge(op))).await?)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmergeInput {
    /// The id a merge answered with.
    pub merge: String,
}

/// Undo a merge: the rows it moved go back to the duplicate, which shows again. Rows added to
/// this record since stay here.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/unmerge", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = UnmergeInput,
    responses((status = 200, body = MergeDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn unmerge_patient(
    State(state): State<AppState>,
    staff: Staff<ManagePatientData>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<UnmergeInput>,
) -> ApiResult<Json<MergeDto>> {
    let kept: PatientId = parse_id("patient", &id)?;
    let merge: MergeId = crate::context::body_id("merge", &body.value.merge)?;
    let op = MergeOp::Unmerge { clinic: staff.ctx.clinic.id, id: merge, kept, actor: staff.actor() };
    Ok(Json(merge_id(state.store.execute(Command::Clinical(ClinicalOp::Merge(op))).await?)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotesCsvParams {
    /// First instant (RFC 3339), included.
    pub from: String,
    /// Last instant (RFC 3339), excluded.
    pub to: String,
}

/// Most notes in one CSV export.
pub const MAX_CSV_NOTES: u32 = 20_000;

fn cell(s: &str) -> String {
    let s = nobat_core::transfer::guard(s);
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.into_owned() }
}

/// A practice's notes created in a period, as CSV (current version of each; UTF-8 with a
/// byte-order mark). Clinical content leaving the system: written to the audit trail.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/exports-clinical/notes", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), NotesCsvParams),
    responses((status = 200, description = "the CSV file", content_type = "text/csv"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn notes_csv(
    State(state): State<AppState>,
    staff: Staff<ClinicalNotes>,
    Path(_clinic): Path<String>,
    ApiQuery(q): ApiQuery<NotesCsvParams>,
) -> ApiResult<Response> {
    let from = crate::context::instant("from", &q.from)?;
    let to = crate::context::instant("to", &q.to)?;
    if to <= from {
        return Err(ApiError::invalid("to", "the period ends before it starts"));
    }
    let clinic = staff.ctx.clinic.clone();
    let notes = state.store.notes_between(&state.data_keys, clinic.id, from, to, MAX_CSV_NOTES).await?;
    let mut out = String::from(
        "\u{feff}note,patient,appointment,practitioner,status,version,created_at,signed_by,signed_at,subjective,objective,assessment,plan\r\n",
    );
    for n in &notes {
        let Some(v) = n.current() else { continue };
        let row = [
            n.id.to_string(),
            n.patient.to_string(),
            n.appointment.to_string(),
            n.practitioner.to_string(),
            n.status.as_str().to_owned(),
            n.version.to_string(),
            n.created_at.to_string(),
            v.signed_by_label.clone().unwrap_or_default(),
            v.signed_at.map(|t| t.to_string()).unwrap_or_default(),
            v.soap.subjective.clone(),
            v.soap.objective.clone(),
            v.soap.assessment.clone(),
            v.soap.plan.clone(),
        ];
        out.push_str(&row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    let what = format!("notes-{from}-{to}");
    let cmd = Command::RecordExport { clinic: clinic.id, what, bytes: out.len() as u64, actor: staff.actor() };
    state.store.execute(cmd).await?;
    let name = format!("{}-notes.csv", clinic.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        out,
    )
        .into_response())
}
