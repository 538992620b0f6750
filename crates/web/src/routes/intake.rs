//! Intake forms (issue 17): a clinic defines forms (a new version on every edit); a patient
//! fills one from the manage link, or staff at the desk; the answers are validated by the core
//! against the form's newest version inside the write and sealed at rest.

use super::manage;
use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::{FillForms, ManageForms, ViewFormAnswers};
use nobat_core::intake::FormSpec;
use nobat_core::{AppointmentId, ClinicId, PatientId};
use nobat_store::commands::{IntakeOp, IntakeOutput, NewAnswers};
use nobat_store::intake::{AnswerSet, Form};
use nobat_store::{AuditActor, Command, Output};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One version of a form.
#[derive(Debug, Serialize, ToSchema)]
pub struct FormDto {
    pub id: String,
    pub version: i64,
    /// The definition: `title`, `required_before_check_in`, `fields` (see the POST body).
    #[schema(value_type = Object)]
    pub spec: FormSpec,
    pub created_at: String,
}

impl FormDto {
    pub fn new(f: &Form) -> Self {
        Self { id: f.id.clone(), version: f.version, spec: f.spec.clone(), created_at: f.created_at.to_string() }
    }
}

/// A form's definition: `{"title": {"fa": "…"}, "required_before_check_in": true, "fields":
/// [{"key": "birth", "type": "date", "calendar": "persian", "label": {"fa": "…"}, "required":
/// true}, …]}`. Field types: `text`, `choice` (`options`), `date` (`calendar`: `gregorian` or
/// `persian`), `scale` (`min`, `max`), `yes_no`, `signature` (a typed name). Labels in any of
/// en, fa, ar, fr, ru, tr. With `id` (of an existing form) a new version of it is made.
#[derive(Debug, Deserialize, ToSchema)]
pub struct FormInput {
    pub id: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub spec: Value,
}

/// Answers by field key. Values may be strings (as an HTML form sends them), numbers or
/// booleans; a date is entered in the field's calendar and stored as ISO `YYYY-MM-DD`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersInput {
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Value>,
    /// Staff at the desk: the appointment these answers are for (optional).
    pub appointment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnsweredDto {
    pub id: String,
    pub form: String,
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerSetDto {
    pub id: String,
    pub form: String,
    pub version: i64,
    pub appointment: Option<String>,
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, nobat_core::intake::Answer>,
    pub submitted_by: String,
    pub created_at: String,
}

impl AnswerSetDto {
    fn new(a: AnswerSet) -> Self {
        Self {
            id: a.id,
            form: a.form,
            version: a.version,
            appointment: a.appointment,
            answers: a.answers,
            submitted_by: a.submitted_by,
            created_at: a.created_at.to_string(),
        }
    }
}

fn spec_of(raw: Value) -> ApiResult<FormSpec> {
    serde_json::from_value(raw).map_err(|e| ApiError::invalid("fields", format!("not a form definition: {e}")))
}

async fn define(
    state: &AppState,
    clinic: ClinicId,
    id: Option<String>,
    spec: FormSpec,
    actor: AuditActor,
) -> ApiResult<Form> {
    match state.store.execute(Command::Intake(IntakeOp::DefineForm { clinic, id, spec, actor })).await? {
        Output::Intake(IntakeOutput::Form(f)) => Ok(f),
        other => Err(super::unexpected(other)),
    }
}

/// The clinic's forms (newest version of each).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/forms", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), responses((status = 200, body = Vec<FormDto>)))]
pub async fn list_forms(State(state): State<AppState>, staff: Staff<FillForms>) -> ApiResult<Json<Vec<FormDto>>> {
    Ok(Json(state.store.intake_forms(staff.ctx.clinic.id).await?.iter().map(FormDto::new).collect()))
}

/// Define a form, or (with `id`) a new version of one: answers keep the version they answered.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/forms", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), request_body = FormInput,
    responses((status = 201, body = FormDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_form(
    State(state): State<AppState>,
    staff: Staff<ManageForms>,
    body: ApiJson<FormInput>,
) -> ApiResult<(StatusCode, Json<FormDto>)> {
    let input = body.value;
    let spec = spec_of(input.spec)?;
    let f = define(&state, staff.ctx.clinic.id, input.id, spec, staff.actor()).await?;
    Ok((StatusCode::CREATED, Json(FormDto::new(&f))))
}

/// One form's newest version.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/forms/{form}", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("form" = String, Path)),
    responses((status = 200, body = FormDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_form(
    State(state): State<AppState>,
    staff: Staff<FillForms>,
    Path((_clinic, form)): Path<(String, String)>,
) -> ApiResult<Json<FormDto>> {
    Ok(Json(FormDto::new(&state.store.intake_form(staff.ctx.clinic.id, &form, None).await?)))
}

async fn submit(
    state: &AppState,
    clinic: ClinicId,
    form: String,
    patient: PatientId,
    appointment: Option<AppointmentId>,
    answers: BTreeMap<String, Value>,
    actor: AuditActor,
) -> ApiResult<AnsweredDto> {
    let a = NewAnswers { clinic, form, patient, appointment, answers, keys: (*state.data_keys).clone(), actor };
    match state.store.execute(Command::Intake(IntakeOp::Answer(Box::new(a)))).await? {
        Output::Intake(IntakeOutput::Answered { id, form, version }) => Ok(AnsweredDto { id, form, version }),
        other => Err(super::unexpected(other)),
    }
}

/// A patient's form answers, newest first (clinical content: not for reception).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/patients/{id}/forms", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<AnswerSetDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn patient_answers(
    State(state): State<AppState>,
    staff: Staff<ViewFormAnswers>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<AnswerSetDto>>> {
    let id: PatientId = parse_id("patient", &id)?;
    let clinic = staff.ctx.clinic.id;
    let p = state.store.patient(clinic, id).await?;
    let answers = state.store.form_answers(clinic, p.id, &state.data_keys).await?;
    let access = nobat_store::commands::RecordAccess {
        clinic,
        patient: p.id,
        appointment: None,
        action: "view_forms",
        actor: staff.actor(),
    };
    state.store.execute(Command::RecordAccess(access)).await?;
    Ok(Json(answers.into_iter().map(AnswerSetDto::new).collect()))
}

/// Fill a form for a patient at the desk.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/forms/{form}", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path), ("form" = String, Path)), request_body = AnswersInput,
    responses((status = 201, body = AnsweredDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn desk_answer(
    State(state): State<AppState>,
    staff: Staff<FillForms>,
    Path((_clinic, id, form)): Path<(String, String, String)>,
    body: ApiJson<AnswersInput>,
) -> ApiResult<(StatusCode, Json<AnsweredDto>)> {
    let id: PatientId = parse_id("patient", &id)?;
    let input = body.value;
    let appointment = match input.appointment.as_deref() {
        Some(a) => Some(crate::context::body_id::<AppointmentId>("appointment", a)?),
        None => None,
    };
    let out = submit(&state, staff.ctx.clinic.id, form, id, appointment, input.answers, staff.actor()).await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// The clinic's forms, for the patient of this manage link (and which they have answered).
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientFormDto {
    #[serde(flatten)]
    pub form: FormDto,
    pub answered: bool,
}

#[utoipa::path(get, path = "/api/v1/manage/{token}/forms", tag = "booking", operation_id = "manage_forms",
    params(("token" = String, Path)),
    responses((status = 200, body = Vec<PatientFormDto>), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json")))]
pub async fn manage_forms(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<Vec<PatientFormDto>>> {
    let (ctx, a) = manage::open(&state, &token).await?;
    let answered: Vec<String> = state
        .store
        .form_answers(ctx.clinic.id, a.patient, &state.data_keys)
        .await?
        .into_iter()
        .map(|s| s.form)
        .collect();
    let forms = state.store.intake_forms(ctx.clinic.id).await?;
    Ok(Json(
        forms.iter().map(|f| PatientFormDto { form: FormDto::new(f), answered: answered.contains(&f.id) }).collect(),
    ))
}

/// Fill a form as the patient of this manage link.
#[utoipa::path(post, path = "/api/v1/manage/{token}/forms/{form}", tag = "booking", operation_id = "manage_answer_form",
    params(("token" = String, Path), ("form" = String, Path)), request_body = AnswersInput,
    responses((status = 201, body = AnsweredDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn manage_answer(
    State(state): State<AppState>,
    Path((token, form)): Path<(String, String)>,
    body: ApiJson<AnswersInput>,
) -> ApiResult<(StatusCode, Json<AnsweredDto>)> {
    let input = body.value;
    if input.appointment.is_some() {
        return Err(ApiError::invalid("appointment", "a manage link answers for its own appointment"));
    }
    Ok((StatusCode::CREATED, Json(answer_as_patient(&state, &token, form, input.answers).await?)))
}

/// What the manage page's form posts to, too.
pub async fn answer_as_patient(
    state: &AppState,
    token: &str,
    form: String,
    answers: BTreeMap<String, Value>,
) -> ApiResult<AnsweredDto> {
    let (ctx, a) = manage::open(state, token).await?;
    let actor = AuditActor::new("patient-link", "the patient (manage link)");
    submit(state, ctx.clinic.id, form, a.patient, Some(a.id), answers, actor).await
}
