//! Watches on this clinic's own slots (issue 13): a patient asks to be told (`notify`),
//! offered a hold in turn (`offer`) or booked (`auto_book`) when a time that suits them frees.
//! The answer's `token` is the watcher's capability — to see, stop, and accept offers — derived
//! from the instance key and the watch id (so messages can carry it) and stored only as a keyed
//! hash. Decisions are in `nobat_core::watch` and the store's watch commands.

use crate::AppState;
use crate::auth::grant::{Staff, Visitor};
use crate::auth::keys::{Keys, mac};
use crate::auth::links;
use crate::context::body_id;
use crate::dto::PatientInput;
use crate::extract::ApiJson;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::civil::{Date, Time, Weekday};
use nobat_core::access::{ManageClinic, ViewWatches};
use nobat_core::watch::{Mode, RateLimits, Settings};
use nobat_core::watch_criteria::TimeWindow;
use nobat_core::{ClinicId, LocationId};
use nobat_store::commands::{NewWatch, WatchOp};
use nobat_store::watches::{Watch, WatchFilter};
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The watcher's token for watch `id` of `clinic`: unguessable without the instance key.
pub fn watch_token(keys: &Keys, clinic: ClinicId, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(mac(&keys.link_key, &[b"watch\0", clinic.0.as_bytes(), id.as_bytes()]))
}

/// Where a watcher manages their watch.
pub fn manage_url(public_url: &str, token: &str) -> String {
    format!("{}/api/v1/watches/{token}", public_url.trim_end_matches('/'))
}

/// A time-of-day window, `HH:MM` to `HH:MM` (the end excluded).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimesInput {
    pub from: String,
    pub to: String,
}

/// The watcher: a name and one way to reach them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatcherInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub telegram_chat: Option<String>,
    pub language: Option<String>,
}

/// What a patient waits for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchInput {
    pub service: String,
    pub practitioner: Option<String>,
    pub locations: Option<Vec<String>>,
    /// First day (`YYYY-MM-DD`, the location's calendar).
    pub from: String,
    /// Last day, inclusive: the watch ends at its end.
    pub to: String,
    /// ISO weekday numbers (1 = Monday) or names (`monday`).
    pub weekdays: Option<Vec<serde_json::Value>>,
    pub times: Option<Vec<TimesInput>>,
    /// `notify`, `offer` or `auto_book`.
    pub mode: String,
    pub patient: WatcherInput,
    /// `email`, `sms` or `telegram`: how to be told (default: email if given, else SMS).
    pub channel: Option<String>,
    /// The manage token of the patient's current appointment: only earlier slots suit, and
    /// taking one moves that appointment.
    pub earlier_than: Option<String>,
    /// A contact proof from `/verifications` (when the clinic verifies guests).
    pub contact_proof: Option<String>,
}

/// A watch as its watcher (or staff) sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatchDto {
    pub id: String,
    pub status: String,
    pub mode: String,
    pub service: String,
    pub practitioner: Option<String>,
    pub locations: Vec<String>,
    pub from: String,
    pub to: String,
    pub weekdays: Vec<i8>,
    pub times: Vec<TimesInput>,
    /// Its place among the active watches for the service (1: served first); absent once over.
    pub position: Option<u32>,
    pub earlier_than: Option<String>,
    pub created_at: String,
    /// Staff views only: who waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<String>,
}

impl WatchDto {
    fn new(w: &Watch, staff: bool) -> Self {
        WatchDto {
            id: w.id.clone(),
            status: w.status.clone(),
            mode: w.mode.clone(),
            service: w.service.to_string(),
            practitioner: w.practitioner.map(|p| p.to_string()),
            locations: w.locations.iter().map(ToString::to_string).collect(),
            from: w.from.to_string(),
            to: w.to.to_string(),
            weekdays: w.weekdays.clone(),
            times: w.times.iter().map(|(a, b)| TimesInput { from: a.clone(), to: b.clone() }).collect(),
            position: w.position,
            earlier_than: w.earlier_than.map(|a| a.to_string()),
            created_at: w.created_at.to_string(),
            patient: staff.then(|| w.patient_name.clone()),
        }
    }
}

/// The answer to creating a watch. Give `token` and `manage_url` only to the watcher.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatchCreatedDto {
    pub id: String,
    pub status: String,
    pub token: String,
    pub manage_url: String,
    pub position: Option<u32>,
}

fn date(field: &str, raw: &str) -> ApiResult<Date> {
    raw.trim().parse().map_err(|_| ApiError::invalid(field, "a date as YYYY-MM-DD"))
}

fn hhmm(field: &str, raw: &str) -> ApiResult<Time> {
    let t: Time = raw.trim().parse().map_err(|_| ApiError::invalid(field, "a time of day as HH:MM"))?;
    Ok(t)
}

fn weekday(field: &str, v: &serde_json::Value) -> ApiResult<Weekday> {
    let bad = || ApiError::invalid(field, "a weekday: 1 (Monday) to 7 (Sunday), or its English name");
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .and_then(|n| i8::try_from(n).ok())
            .and_then(|n| Weekday::from_monday_one_offset(n).ok())
            .ok_or_else(bad),
        serde_json::Value::String(s) => {
            let names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
            let i =
                names.iter().position(|n| n.eq_ignore_ascii_case(s.trim()) || n[..3].eq_ignore_ascii_case(s.trim()));
            i.and_then(|i| Weekday::from_monday_one_offset(i8::try_from(i + 1).ok()?).ok()).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

/// Watch for a free time. The watcher is told (or offered, or booked) the moment a slot that
/// suits them frees — from a cancellation, a move, a released hold, new hours — first come,
/// first served, never twice about the same slot.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/watches", tag = "watches",
    params(("clinic" = String, Path, description = "clinic id or slug")),
    request_body = WatchInput,
    responses(
        (status = 201, body = WatchCreatedDto),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "contact not verified"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_watch(
    State(state): State<AppState>,
    visitor: Visitor,
    body: ApiJson<WatchInput>,
) -> ApiResult<(StatusCode, Json<WatchCreatedDto>)> {
    let input = body.value;
    let ctx = visitor.ctx.clone();
    let clinic = ctx.clinic.id;
    let p = &input.patient;
    let telegram_chat = p.telegram_chat.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if p.email.is_none() && p.phone.is_none() && telegram_chat.is_none() {
        return Err(ApiError::invalid("patient.email", "give an email address, a phone number or a Telegram chat"));
    }
    let patient = if p.email.is_none() && p.phone.is_none() {
        // Telegram only: the contact is the chat, checked here; the name as any patient's.
        PatientInput { name: p.name.clone(), phone: None, email: None, language: p.language.clone() }
            .parse(&ctx.clinic)
            .or_else(|e| match e {
                nobat_core::DomainError::Invalid { ref field, .. } if field != "patient.name" => {
                    Ok(nobat_core::PatientContact {
                        name: p.name.trim().to_owned(),
                        phone: None,
                        email: None,
                        language: p.language.clone(),
                    })
                }
                e => Err(e),
            })?
    } else {
        PatientInput {
            name: p.name.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            language: p.language.clone(),
        }
        .parse(&ctx.clinic)?
    };
    let mode = Mode::parse(input.mode.trim())?;
    let channel = match input.channel.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c @ ("email" | "sms" | "telegram")) => Some(c.to_owned()),
        Some(_) => return Err(ApiError::invalid("channel", "one of email, sms, telegram")),
    };
    let weekdays = input
        .weekdays
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, v)| weekday(&format!("weekdays[{i}]"), v))
        .collect::<ApiResult<Vec<_>>>()?;
    let times = input
        .times
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, t)| {
            Ok(TimeWindow {
                from: hhmm(&format!("times[{i}].from"), &t.from)?,
                to: hhmm(&format!("times[{i}].to"), &t.to)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let locations = input
        .locations
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, l)| body_id::<LocationId>(&format!("locations[{i}]"), l))
        .collect::<ApiResult<Vec<_>>>()?;
    let earlier_than = match input.earlier_than.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(token) => match links::open_manage(&state.auth.keys, token, jiff::Timestamp::now()) {
            Ok((c, a)) if c == clinic => Some(a),
            _ => return Err(ApiError::invalid("earlier_than", "not a valid manage link of this clinic's appointment")),
        },
    };
    let settings = state.store.watch_settings(clinic).await?;
    let proven = input.contact_proof.as_deref().is_some_and(|proof| {
        links::check_contact_proof(&state.auth.keys, proof, clinic, &patient.contact_key(), jiff::Timestamp::now())
    });
    // Staff at the desk may create a watch for a patient without a code.
    let staff = visitor.staff_opt::<nobat_core::access::ManageAppointments>(&state).await?.is_some();
    if (settings.verify_guests || ctx.clinic.security.verify_guest_contact) && !proven && !staff {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "contact-unverified",
            "Confirm your phone or email first",
            "this clinic confirms watchers' phone or email: request a code (POST /clinics/{clinic}/verifications), \
             confirm it, and send the proof as contact_proof",
        )
        .with_field("contact_proof"));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let token = watch_token(&state.auth.keys, clinic, &id);
    let w = NewWatch {
        clinic,
        id,
        service: body_id("service", &input.service)?,
        practitioner: input.practitioner.as_deref().map(|p| body_id("practitioner", p)).transpose()?,
        locations,
        from: date("from", &input.from)?,
        to: date("to", &input.to)?,
        weekdays,
        times,
        mode,
        patient,
        telegram_chat,
        channel,
        token_hash: state.auth.keys.token_hash(&token),
        earlier_than,
        contact_verified: proven || staff,
    };
    match state.store.execute(Command::Watch(WatchOp::Create(Box::new(w)))).await? {
        Output::Watch(w) => Ok((
            StatusCode::CREATED,
            Json(WatchCreatedDto {
                id: w.id.clone(),
                status: w.status.clone(),
                manage_url: manage_url(&state.auth.public_url, &token),
                token,
                position: w.position,
            }),
        )),
        other => Err(super::unexpected(other)),
    }
}

async fn by_token(state: &AppState, token: &str) -> ApiResult<Watch> {
    let hash = state.auth.keys.token_hash(token.trim());
    state.store.watch_by_token(&hash).await?.ok_or_else(|| ApiError::not_found("watch"))
}

/// The watcher's own watch, by its token.
#[utoipa::path(get, path = "/api/v1/watches/{token}", tag = "watches", params(("token" = String, Path)),
    responses((status = 200, body = WatchDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_watch(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Json<WatchDto>> {
    Ok(Json(WatchDto::new(&by_token(&state, &token).await?, false)))
}

/// Stop watching (the link in every watch message). Stopping a watch that already ended is
/// no error; an offer it holds is given back to the next watcher.
#[utoipa::path(delete, path = "/api/v1/watches/{token}", tag = "watches", params(("token" = String, Path)),
    responses((status = 204, description = "stopped"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn stop_watch(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<StatusCode> {
    let token_hash = state.auth.keys.token_hash(token.trim());
    state.store.execute(Command::Watch(WatchOp::Stop { token_hash })).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The booking an accepted offer made.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedDto {
    pub appointment: String,
    pub start: String,
    pub end: String,
    pub manage_url: String,
}

/// Take the slot offered: books it (or moves the appointment the watch was "earlier than")
/// while the offer's hold lasts; 409 once it lapsed or was taken.
#[utoipa::path(post, path = "/api/v1/watches/{token}/offers/{offer}/accept", tag = "watches",
    params(("token" = String, Path), ("offer" = String, Path)),
    responses((status = 201, body = AcceptedDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json", description = "the offer lapsed")))]
pub async fn accept_offer(
    State(state): State<AppState>,
    Path((token, offer)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<AcceptedDto>)> {
    let token_hash = state.auth.keys.token_hash(token.trim());
    let op = WatchOp::Accept { token_hash, offer: offer.trim().to_owned() };
    match state.store.execute(Command::Watch(op)).await? {
        Output::Appointment { appointment: a, .. } => {
            let t = links::manage_token(&state.auth.keys, a.clinic, a.id, a.end);
            Ok((
                StatusCode::CREATED,
                Json(AcceptedDto {
                    appointment: a.id.to_string(),
                    start: a.start.to_string(),
                    end: a.end.to_string(),
                    manage_url: format!("{}/api/v1/manage/{t}", state.auth.public_url),
                }),
            ))
        }
        other => Err(super::unexpected(other)),
    }
}

/// Filters of the staff list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WatchQuery {
    /// `active`, `fulfilled`, `expired` or `stopped`.
    pub status: Option<String>,
    pub service: Option<String>,
    pub mode: Option<String>,
    pub limit: Option<u32>,
}

/// The clinic's watches, oldest first (the order they are served in).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/watches", tag = "watches", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), WatchQuery),
    responses((status = 200, body = Vec<WatchDto>), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_watches(
    State(state): State<AppState>,
    staff: Staff<ViewWatches>,
    Path(_clinic): Path<String>,
    Query(q): Query<WatchQuery>,
) -> ApiResult<Json<Vec<WatchDto>>> {
    if let Some(s) = q.status.as_deref()
        && nobat_core::watch::Status::parse(s).is_none()
    {
        return Err(ApiError::invalid("status", "one of active, fulfilled, expired, stopped"));
    }
    if let Some(m) = q.mode.as_deref() {
        Mode::parse(m)?;
    }
    let filter = WatchFilter {
        status: q.status,
        service: q.service.as_deref().map(|s| body_id("service", s)).transpose()?,
        mode: q.mode,
        limit: q.limit.unwrap_or(200),
    };
    let found = state.store.watches(staff.ctx.clinic.id, &filter).await?;
    Ok(Json(found.iter().map(|w| WatchDto::new(w, true)).collect()))
}

/// A clinic's watch settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchSettingsDto {
    /// Minutes an offered slot is held for its watcher.
    pub offer_minutes: u32,
    /// At most this many notices to one watcher an hour…
    pub per_hour: u32,
    /// …and a day.
    pub per_day: u32,
    /// Guests prove their phone or email before watching.
    pub verify_guests: bool,
}

impl From<Settings> for WatchSettingsDto {
    fn from(s: Settings) -> Self {
        WatchSettingsDto {
            offer_minutes: s.offer_minutes,
            per_hour: s.limits.per_hour,
            per_day: s.limits.per_day,
            verify_guests: s.verify_guests,
        }
    }
}

/// The clinic's watch settings.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/watch-settings", tag = "watches", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = WatchSettingsDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_watch_settings(
    State(state): State<AppState>,
    staff: Staff<ViewWatches>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<WatchSettingsDto>> {
    Ok(Json(state.store.watch_settings(staff.ctx.clinic.id).await?.into()))
}

/// Sets the clinic's watch settings (every field).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/watch-settings", tag = "watches", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = WatchSettingsDto,
    responses((status = 200, body = WatchSettingsDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_watch_settings(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path(_clinic): Path<String>,
    body: ApiJson<WatchSettingsDto>,
) -> ApiResult<Json<WatchSettingsDto>> {
    let b = body.value;
    let s = Settings::new(b.offer_minutes, RateLimits { per_hour: b.per_hour, per_day: b.per_day }, b.verify_guests)?;
    let op = WatchOp::SetSettings { clinic: staff.ctx.clinic.id, settings: s, actor: staff.actor() };
    state.store.execute(Command::Watch(op)).await?;
    Ok(Json(s.into()))
}
