//! Staff: what the clinic's messages say (its own wording of each template, per language) and
//! when its reminders go (offsets before the start, quiet hours; per service offsets). Owners
//! and admins only (`ManageMessages`). Texts are validated when saved, by the store command:
//! a placeable the template does not offer is a 422 naming it.

use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::{ApiJson, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::ManageMessages;
use nobat_core::reminders::QuietHours;
use nobat_core::{DayMinutes, ServiceId};
use nobat_i18n::{Lang, Messages};
use nobat_store::Command;
use nobat_store::commands::{ReminderChange, ServiceReminderChange, TemplateChange};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatesDto {
    pub templates: Vec<TemplateDto>,
}

/// One template: what it may mention, and its text in each language.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDto {
    pub key: String,
    /// The placeables an override may use (`$patient`, `$date`, …).
    pub placeables: Vec<String>,
    pub languages: Vec<TemplateLangDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateLangDto {
    pub lang: String,
    /// The catalogue's text (Fluent pattern syntax), what is sent without an override.
    pub catalogue: String,
    /// The clinic's text, which is sent instead; null when it has none.
    #[serde(rename = "override")]
    pub override_text: Option<String>,
    pub updated_at: Option<String>,
}

/// Every template with its catalogue text and the clinic's override, per language.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/message-templates", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), responses((status = 200, body = TemplatesDto)))]
pub async fn list_templates(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<TemplatesDto>> {
    let saved = state.store.message_templates(staff.ctx.clinic.id).await?;
    let messages = Messages::embedded().map_err(|e| {
        tracing::error!(error = %e, "the embedded catalogues do not load");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error", "catalogues unavailable")
    })?;
    let templates = Messages::template_keys()
        .into_iter()
        .map(|key| {
            let languages = Lang::ALL
                .into_iter()
                .map(|lang| {
                    let mine = saved.iter().find(|t| t.key == key && t.lang == lang.code());
                    TemplateLangDto {
                        lang: lang.code().to_owned(),
                        catalogue: Messages::template_text(lang, &key).unwrap_or_default(),
                        override_text: mine.map(|t| t.text.clone()),
                        updated_at: mine.map(|t| t.updated_at.to_string()),
                    }
                })
                .collect();
            TemplateDto { placeables: messages.placeables(&key), key, languages }
        })
        .collect();
    Ok(Json(TemplatesDto { templates }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// Fluent pattern text: the part after `key =`; several lines and plural selectors allowed.
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOverrideDto {
    pub key: String,
    pub lang: String,
    pub text: String,
}

fn lang_of(raw: &str) -> Result<Lang, ApiError> {
    // Only the exact codes: a path names one template, not a negotiation.
    Lang::ALL.into_iter().find(|l| l.code() == raw).ok_or_else(|| ApiError::not_found("message template language"))
}

/// Set the clinic's wording of a template in one language.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/message-templates/{key}/{lang}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("key" = String, Path), ("lang" = String, Path, description = "en, fa, ar, fr, ru or tr")),
    request_body = TemplateInput,
    responses((status = 200, body = TemplateOverrideDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_template(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path((_clinic, key, lang)): Path<(String, String, String)>,
    body: ApiJson<TemplateInput>,
) -> ApiResult<Json<TemplateOverrideDto>> {
    let lang = lang_of(&lang)?;
    let text = body.value.text;
    let change = TemplateChange {
        clinic: staff.ctx.clinic.id,
        key: key.clone(),
        lang,
        text: Some(text.clone()),
        actor: staff.actor(),
    };
    state.store.execute(Command::SetMessageTemplate(change)).await?;
    Ok(Json(TemplateOverrideDto { key, lang: lang.code().to_owned(), text }))
}

/// Remove the clinic's wording: the catalogue's text is sent again.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/message-templates/{key}/{lang}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("key" = String, Path), ("lang" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_template(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path((_clinic, key, lang)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let lang = lang_of(&lang)?;
    let change = TemplateChange { clinic: staff.ctx.clinic.id, key, lang, text: None, actor: staff.actor() };
    match state.store.execute(Command::SetMessageTemplate(change)).await? {
        nobat_store::Output::Count(0) => Err(ApiError::not_found("message template override")),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

/// A daily window of wall-clock time (the location's zone) in which no reminder is sent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursDto {
    /// `HH:MM`, e.g. `22:00`.
    pub start: String,
    /// `HH:MM`, e.g. `08:00` (before `start`: the window runs over midnight).
    pub end: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReminderSettingsDto {
    /// Minutes before the start, longest first (default `[1440, 120]`: 24 h and 2 h).
    pub offsets_minutes: Vec<i64>,
    /// Default 22:00–08:00; null: none.
    pub quiet_hours: Option<QuietHoursDto>,
    /// Services with offsets of their own.
    pub services: Vec<ServiceRemindersDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRemindersDto {
    pub service: String,
    pub offsets_minutes: Vec<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettingsInput {
    /// Minutes before the start (1 to 43,200, at most 5); `[]`: no reminders. A whole number of
    /// days keeps the wall time across DST changes; other offsets are elapsed time.
    pub offsets_minutes: Vec<i64>,
    /// Null or absent: no quiet hours. A reminder that would fall inside goes out just before
    /// they begin, or not at all if that is before the booking.
    pub quiet_hours: Option<QuietHoursDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceRemindersInput {
    /// This service's own offsets (minutes before the start; `[]`: none for this service).
    pub offsets_minutes: Vec<i64>,
}

async fn settings(state: &AppState, clinic: nobat_core::ClinicId) -> ApiResult<ReminderSettingsDto> {
    let s = state.store.reminder_settings(clinic).await?;
    Ok(ReminderSettingsDto {
        offsets_minutes: s.offsets,
        quiet_hours: s.quiet.map(|q| QuietHoursDto { start: q.start.to_string(), end: q.end.to_string() }),
        services: s
            .services
            .into_iter()
            .map(|(service, offsets_minutes)| ServiceRemindersDto { service: service.to_string(), offsets_minutes })
            .collect(),
    })
}

/// The clinic's reminder settings.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/reminder-settings", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), responses((status = 200, body = ReminderSettingsDto)))]
pub async fn get_reminders(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<ReminderSettingsDto>> {
    Ok(Json(settings(&state, staff.ctx.clinic.id).await?))
}

fn quiet_of(q: Option<QuietHoursDto>) -> Result<Option<QuietHours>, ApiError> {
    let Some(q) = q else { return Ok(None) };
    let time = |field: &str, v: &str| {
        DayMinutes::parse(v).map_err(|_| ApiError::invalid(field, format!("`{v}` is not a time of day like 22:00")))
    };
    let (start, end) = (time("quiet_hours.start", &q.start)?, time("quiet_hours.end", &q.end)?);
    QuietHours::new(start, end).map(Some).map_err(|e| ApiError::invalid("quiet_hours", e.to_string()))
}

/// Replace the clinic's reminder settings (for bookings made from now on).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/reminder-settings", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), request_body = ReminderSettingsInput,
    responses((status = 200, body = ReminderSettingsDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_reminders(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path(_clinic): Path<String>,
    body: ApiJson<ReminderSettingsInput>,
) -> ApiResult<Json<ReminderSettingsDto>> {
    let i = body.value;
    let change = ReminderChange {
        clinic: staff.ctx.clinic.id,
        offsets: i.offsets_minutes,
        quiet: quiet_of(i.quiet_hours)?,
        actor: staff.actor(),
    };
    state.store.execute(Command::SetReminderSettings(change)).await?;
    Ok(Json(settings(&state, staff.ctx.clinic.id).await?))
}

/// Give a service reminder offsets of its own.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/services/{id}/reminder-settings", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)), request_body = ServiceRemindersInput,
    responses((status = 200, body = ReminderSettingsDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_service_reminders(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path((_clinic, id)): Path<(String, String)>,
    body: ApiJson<ServiceRemindersInput>,
) -> ApiResult<Json<ReminderSettingsDto>> {
    let service: ServiceId = parse_id("service", &id)?;
    let change = ServiceReminderChange {
        clinic: staff.ctx.clinic.id,
        service,
        offsets: Some(body.value.offsets_minutes),
        actor: staff.actor(),
    };
    state.store.execute(Command::SetServiceReminders(change)).await?;
    Ok(Json(settings(&state, staff.ctx.clinic.id).await?))
}

/// The service goes back to the clinic's reminder offsets.
#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/services/{id}/reminder-settings", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_service_reminders(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let service: ServiceId = parse_id("service", &id)?;
    let change = ServiceReminderChange { clinic: staff.ctx.clinic.id, service, offsets: None, actor: staff.actor() };
    state.store.execute(Command::SetServiceReminders(change)).await?;
    Ok(StatusCode::NO_CONTENT)
}
