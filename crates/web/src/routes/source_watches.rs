//! Watches on an outside publisher's slots (issue 13, "Following other publishers"): the watch
//! body of `POST /api/v1/clinics/{clinic}/watches`, naming one of the source's locations or
//! schedules instead of a service. Only `notify`: the booking itself happens at the publisher,
//! through its deep link (or phone), which the message carries.

use crate::AppState;
use crate::extract::ApiJson;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_store::commands::{SourceCommand, SourceWatch};
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowInput {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatcherInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub telegram_chat: Option<String>,
    /// `en fa ar fr ru tr`; the message's language.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceWatchInput {
    /// The publisher's Location id (as `GET /api/v1/sources/{id}/slots` shows it).
    pub location: Option<String>,
    /// The publisher's Schedule id.
    pub schedule: Option<String>,
    /// `YYYY-MM-DD`, in `time_zone`.
    pub from: String,
    pub to: String,
    /// `mon`…`sun`; any day if absent.
    pub weekdays: Option<Vec<String>>,
    /// Times of day (`HH:MM`, start inclusive, end exclusive); any time if absent.
    pub times: Option<Vec<TimeWindowInput>>,
    /// Only `notify`: an outside slot is booked at its publisher.
    pub mode: String,
    pub patient: WatcherInput,
    /// The zone the window is read in (outside feeds carry offsets, not zones); UTC if absent.
    pub time_zone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SourceWatchCreated {
    pub id: String,
    pub status: String,
    /// The watcher's secret, shown once.
    pub token: String,
    /// `DELETE` it to stop watching (the link in every message about it).
    pub manage_url: Option<String>,
    /// How many active watches of the source there are, this one included.
    pub position: u64,
}

fn opt(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Watch an outside source's slots: told (once per slot) when one that suits frees up.
#[utoipa::path(post, path = "/api/v1/sources/{id}/watches", operation_id = "create_source_watch", tag = "booking", request_body = SourceWatchInput,
    params(("id" = String, Path, description = "source id")),
    responses((status = 201, body = SourceWatchCreated), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_watch(
    State(state): State<AppState>,
    Path(source): Path<String>,
    body: ApiJson<SourceWatchInput>,
) -> ApiResult<(StatusCode, Json<SourceWatchCreated>)> {
    let i = body.value;
    if i.mode != "notify" {
        return Err(ApiError::invalid("mode", "only `notify`: an outside slot is booked at its publisher"));
    }
    let (location, schedule) = (opt(i.location), opt(i.schedule));
    if location.is_none() && schedule.is_none() {
        return Err(ApiError::invalid("location", "name the source's location or schedule to watch"));
    }
    let zone_name = opt(i.time_zone).unwrap_or_else(|| "UTC".into());
    let tz = nobat_core::zones::get(&zone_name)
        .map_err(|_| ApiError::invalid("time_zone", format!("`{zone_name}` is not a known time zone")))?;
    let from = crate::context::date("from", &i.from)?;
    let to = crate::context::date("to", &i.to)?;
    let weekdays = i.weekdays.unwrap_or_default();
    let times: Vec<(String, String)> = i.times.unwrap_or_default().into_iter().map(|t| (t.from, t.to)).collect();
    let today = jiff::Timestamp::now().to_zoned(tz).date();
    nobat_core::smart::watch::criteria(from, to, &weekdays, &times, today)?;
    let p = i.patient;
    let name = p.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid("patient.name", "a name of 1 to 200 characters"));
    }
    let (email, phone, telegram_chat) = (opt(p.email), opt(p.phone), opt(p.telegram_chat));
    if let Some(e) = &email
        && (!e.contains('@') || e.len() > 254)
    {
        return Err(ApiError::invalid("patient.email", "not an email address"));
    }
    if let Some(ph) = &phone
        && !(ph.starts_with('+') && ph.len() >= 8 && ph[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::invalid("patient.phone", "an international number like +989121234567"));
    }
    if email.is_none() && phone.is_none() && telegram_chat.is_none() {
        return Err(ApiError::invalid("patient", "give an email, a phone or a Telegram chat to be told on"));
    }
    let language = match opt(p.language) {
        Some(l) => Some(
            nobat_i18n::Lang::from_tag(&l)
                .ok_or_else(|| ApiError::invalid("patient.language", "one of en fa ar fr ru tr"))?
                .code()
                .to_owned(),
        ),
        None => None,
    };
    // Derived like a local watch's token (the instance key, the nil clinic, the id), so every
    // message about it can carry the stop link; stored only as its keyed hash.
    let id = uuid::Uuid::now_v7().to_string();
    let token = super::watches::watch_token(&state.auth.keys, nobat_store::commands::SOURCES_CLINIC, &id);
    let watch = SourceWatch {
        id: id.clone(),
        source,
        token_hash: state.auth.keys.token_hash(&token),
        location,
        schedule,
        from,
        to,
        weekdays,
        times,
        time_zone: zone_name,
        name,
        email,
        phone,
        telegram_chat,
        language,
        after_seq: 0,
    };
    match state.store.execute(Command::Sources(SourceCommand::CreateWatch(Box::new(watch)))).await? {
        Output::Count(position) => Ok((
            StatusCode::CREATED,
            Json(SourceWatchCreated {
                id,
                status: "active".into(),
                manage_url: Some(super::watches::manage_url(&state.auth.public_url, &token)),
                token,
                position,
            }),
        )),
        other => Err(super::unexpected(other)),
    }
}
