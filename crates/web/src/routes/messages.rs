//! What was sent about an appointment, for staff: each message's channel, kind, language,
//! status, attempts and last error (never its text or the recipient's address).

use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::parse_id;
use crate::problem::{ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use nobat_core::AppointmentId;
use nobat_core::access::ViewMessages;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    pub id: String,
    /// `email`, `sms`, `telegram`, `whatsapp`, `webhook`.
    pub channel: String,
    /// `booking_confirmed`, `booking_cancelled`, `reminder`, …
    pub kind: String,
    pub language: String,
    /// `queued`, `sent`, `delivered`, `failed` (retried later), `dead`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagesDto {
    pub messages: Vec<MessageDto>,
}

/// The messages about one appointment, oldest first.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/appointments/{id}/messages", tag = "staff",
    security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 200, body = MessagesDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn appointment_messages(
    State(state): State<AppState>,
    staff: Staff<ViewMessages>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<Json<MessagesDto>> {
    let id: AppointmentId = parse_id("appointment", &id)?;
    let clinic = staff.ctx.clinic.id;
    // 404 for an appointment that is not this clinic's, rather than an empty list.
    state.store.appointment(clinic, id).await?;
    let messages = state.store.appointment_messages(clinic, id).await?;
    Ok(Json(MessagesDto {
        messages: messages
            .into_iter()
            .map(|m| MessageDto {
                id: m.id,
                channel: m.channel,
                kind: m.kind,
                language: m.language,
                status: m.status,
                attempts: m.attempts,
                last_error: m.last_error,
                sent_at: m.sent_at.map(|t| t.to_string()),
            })
            .collect(),
    }))
}
