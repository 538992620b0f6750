//! Secure messages between a patient and the clinic (issue 17), from the manage link or by
//! staff. Bodies are sealed at rest; a staff message tells the patient through their channel
//! that there is a message, never what it says. Reading a thread marks the other side's
//! messages read; staff see unread counts per patient.

use super::manage;
use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::SecureMessaging;
use nobat_core::{ClinicId, PatientId};
use nobat_store::commands::{IntakeOp, IntakeOutput, NewSecureMessage};
use nobat_store::intake::SecureMessage;
use nobat_store::{AuditActor, Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SecureMessageDto {
    pub id: String,
    /// Written by the clinic (`true`) or the patient.
    pub from_staff: bool,
    pub author: String,
    pub body: String,
    pub created_at: String,
    pub read_at: Option<String>,
    pub attachments: Vec<AttachmentDto>,
}

impl SecureMessageDto {
    pub fn new(m: &SecureMessage) -> Self {
        Self {
            id: m.id.clone(),
            from_staff: m.from_staff,
            author: m.author.clone(),
            body: m.body.clone(),
            created_at: m.created_at.to_string(),
            read_at: m.read_at.map(|t| t.to_string()),
            attachments: m
                .attachments
                .iter()
                .map(|a| AttachmentDto {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    size_bytes: a.size_bytes,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadDto {
    pub patient: String,
    pub unread: i64,
}

pub(crate) async fn post(
    state: &AppState,
    clinic: ClinicId,
    patient: PatientId,
    from_staff: bool,
    body: String,
    attachments: Vec<nobat_store::intake::NewAttachment>,
    actor: AuditActor,
) -> ApiResult<SecureMessage> {
    let m =
        NewSecureMessage { clinic, patient, from_staff, body, attachments, keys: (*state.data_keys).clone(), actor };
    match state.store.execute(Command::Intake(IntakeOp::Post(Box::new(m)))).await? {
        Output::Intake(IntakeOutput::Message(m)) => Ok(*m),
        other => Err(super::unexpected(other)),
    }
}

/// Reads a thread and marks the other side's messages read.
pub(crate) async fn thread(
    state: &AppState,
    clinic: ClinicId,
    patient: PatientId,
    by_staff: bool,
) -> ApiResult<Vec<SecureMessageDto>> {
    let messages = state.store.secure_messages(clinic, patient, &state.data_keys).await?;
    if messages.iter().any(|m| m.from_staff != by_staff && m.read_at.is_none()) {
        state.store.execute(Command::Intake(IntakeOp::MarkRead { clinic, patient, by_staff })).await?;
    }
    Ok(messages.iter().map(SecureMessageDto::new).collect())
}

/// The thread with one patient, oldest first (the patient's messages become read).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/patients/{id}/messages", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<SecureMessageDto>), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn staff_thread(
    State(state): State<AppState>,
    staff: Staff<SecureMessaging>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<SecureMessageDto>>> {
    let id: PatientId = parse_id("patient", &id)?;
    let p = state.store.patient(staff.ctx.clinic.id, id).await?;
    Ok(Json(thread(&state, p.clinic, p.id, true).await?))
}

/// Write to a patient; they are told there is a message (not what it says) on their channel.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/patients/{id}/messages", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = MessageInput,
    responses((status = 201, body = SecureMessageDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn staff_post(
    State(state): State<AppState>,
    staff: Staff<SecureMessaging>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<MessageInput>,
) -> ApiResult<(StatusCode, Json<SecureMessageDto>)> {
    let id: PatientId = parse_id("patient", &id)?;
    let m = post(&state, staff.ctx.clinic.id, id, true, body.value.body, Vec::new(), staff.actor()).await?;
    Ok((StatusCode::CREATED, Json(SecureMessageDto::new(&m))))
}

/// Patients with unread messages, most first.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/messages/unread", tag = "patients", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), responses((status = 200, body = Vec<UnreadDto>)))]
pub async fn unread(State(state): State<AppState>, staff: Staff<SecureMessaging>) -> ApiResult<Json<Vec<UnreadDto>>> {
    let counts = state.store.unread_counts(staff.ctx.clinic.id).await?;
    Ok(Json(counts.into_iter().map(|(p, n)| UnreadDto { patient: p.to_string(), unread: n }).collect()))
}

/// The patient's thread with the clinic (the clinic's messages become read).
#[utoipa::path(get, path = "/api/v1/manage/{token}/messages", tag = "booking", operation_id = "manage_messages",
    params(("token" = String, Path)),
    responses((status = 200, body = Vec<SecureMessageDto>), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json")))]
pub async fn patient_thread(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<Vec<SecureMessageDto>>> {
    let (ctx, a) = manage::open(&state, &token).await?;
    Ok(Json(thread(&state, ctx.clinic.id, a.patient, false).await?))
}

/// Write to the clinic as the patient of this manage link.
#[utoipa::path(post, path = "/api/v1/manage/{token}/messages", tag = "booking", operation_id = "manage_post_message",
    params(("token" = String, Path)), request_body = MessageInput,
    responses((status = 201, body = SecureMessageDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 410, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn patient_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: ApiJson<MessageInput>,
) -> ApiResult<(StatusCode, Json<SecureMessageDto>)> {
    let (ctx, a) = manage::open(&state, &token).await?;
    let actor = AuditActor::new("patient-link", "the patient (manage link)");
    let m = post(&state, ctx.clinic.id, a.patient, false, body.value.body, Vec::new(), actor).await?;
    Ok((StatusCode::CREATED, Json(SecureMessageDto::new(&m))))
}
