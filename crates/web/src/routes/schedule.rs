//! Staff: weekly rules and dated exceptions (holidays, closures, extra hours).

use crate::AppState;
use crate::auth::grant::Staff;
use crate::context::{body_id, date};
use crate::dto::*;
use crate::extract::{ApiJson, ApiQuery, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::{ManageSchedules, ViewAppointments};
use nobat_core::{DayMinutes, Exception, ExceptionId, ExceptionKind, PractitionerId, RuleId, Weekdays, WeeklyRule};
use nobat_store::commands::NewException;
use nobat_store::model::DateRange;
use nobat_store::{Command, Output};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

fn minutes(field: &str, raw: &str) -> ApiResult<DayMinutes> {
    DayMinutes::parse(raw).map_err(|_| ApiError::invalid(field, format!("`{raw}` is not a time of day like 09:30")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RuleParams {
    /// Only this practitioner's rules.
    pub practitioner: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/schedule/rules", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), RuleParams),
    responses((status = 200, body = RuleList), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_rules(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path(_clinic): Path<String>,
    ApiQuery(q): ApiQuery<RuleParams>,
) -> ApiResult<Json<RuleList>> {
    let clinic = staff.ctx.clinic.clone();
    let practitioner: Option<PractitionerId> =
        q.practitioner.as_deref().map(|p| body_id("practitioner", p)).transpose()?;
    let rules = state.store.rules(clinic.id, practitioner).await?;
    Ok(Json(RuleList { rules: rules.iter().map(RuleDto::from).collect() }))
}

/// A weekly availability rule, in the location's local time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub practitioner: String,
    pub location: String,
    /// `mon` … `sun`.
    pub weekdays: Vec<String>,
    /// Local `HH:MM`.
    pub start: String,
    /// Local `HH:MM`; `24:00` for midnight.
    pub end: String,
    #[serde(default)]
    pub breaks: Vec<BreakDto>,
    /// First date the rule applies, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last date (inclusive); open-ended if absent.
    pub valid_until: Option<String>,
    /// Service ids offered; all services if empty.
    #[serde(default)]
    pub services: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/schedule/rules", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = RuleInput,
    responses((status = 201, body = RuleDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_rule(
    State(state): State<AppState>,
    staff: Staff<ManageSchedules>,
    Path(_clinic): Path<String>,
    body: ApiJson<RuleInput>,
) -> ApiResult<(StatusCode, Json<RuleDto>)> {
    let clinic = staff.ctx.clinic.clone();
    let i = body.value;
    let rule = WeeklyRule {
        id: RuleId::new(),
        practitioner: body_id("practitioner", &i.practitioner)?,
        location: body_id("location", &i.location)?,
        weekdays: Weekdays::from_names(&i.weekdays)?,
        start: minutes("start", &i.start)?,
        end: minutes("end", &i.end)?,
        breaks: i
            .breaks
            .iter()
            .enumerate()
            .map(|(n, b)| {
                Ok((minutes(&format!("breaks[{n}].start"), &b.start)?, minutes(&format!("breaks[{n}].end"), &b.end)?))
            })
            .collect::<ApiResult<_>>()?,
        valid_from: date("valid_from", &i.valid_from)?,
        valid_until: i.valid_until.as_deref().map(|d| date("valid_until", d)).transpose()?,
        services: i
            .services
            .iter()
            .enumerate()
            .map(|(n, s)| body_id(&format!("services[{n}]"), s))
            .collect::<ApiResult<_>>()?,
    };
    match state.store.execute(Command::CreateRule(clinic.id, rule, staff.actor())).await? {
        Output::Rule(r) => Ok((StatusCode::CREATED, Json(RuleDto::from(&r)))),
        other => Err(super::unexpected(other)),
    }
}

#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/schedule/rules/{id}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_rule(
    State(state): State<AppState>,
    staff: Staff<ManageSchedules>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let clinic = staff.ctx.clinic.clone();
    let id: RuleId = parse_id("schedule rule", &id)?;
    state.store.execute(Command::DeleteRule(clinic.id, id, staff.actor())).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExceptionParams {
    /// First date, `YYYY-MM-DD` (default: today in UTC).
    pub from: Option<String>,
    /// Last date (inclusive; default: a year after `from`).
    pub to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/schedule/exceptions", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ExceptionParams),
    responses((status = 200, body = ExceptionList), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn list_exceptions(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path(_clinic): Path<String>,
    ApiQuery(q): ApiQuery<ExceptionParams>,
) -> ApiResult<Json<ExceptionList>> {
    let clinic = staff.ctx.clinic.clone();
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let from = q.from.as_deref().map(|d| date("from", d)).transpose()?.unwrap_or(today);
    let to = match q.to.as_deref() {
        Some(d) => date("to", d)?,
        None => from.checked_add(jiff::Span::new().years(1)).unwrap_or(from),
    };
    let list = state.store.exceptions(clinic.id, DateRange { from, to }).await?;
    Ok(Json(ExceptionList { exceptions: list.iter().map(|(e, n)| ExceptionDto::new(e, n)).collect() }))
}

/// A one-day change: `closed` (whole day, or `start`–`end`; without a practitioner it is a
/// holiday for everyone) or `extra` hours for one practitioner at one location.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExceptionInput {
    pub practitioner: Option<String>,
    pub location: Option<String>,
    /// `YYYY-MM-DD`, local to the location.
    pub date: String,
    /// `closed` or `extra`.
    pub kind: String,
    pub start: Option<String>,
    pub end: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/schedule/exceptions", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = ExceptionInput,
    responses((status = 201, body = ExceptionDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_exception(
    State(state): State<AppState>,
    staff: Staff<ManageSchedules>,
    Path(_clinic): Path<String>,
    body: ApiJson<ExceptionInput>,
) -> ApiResult<(StatusCode, Json<ExceptionDto>)> {
    let clinic = staff.ctx.clinic.clone();
    let i = body.value;
    let kind = match i.kind.as_str() {
        "closed" => ExceptionKind::Closed,
        "extra" => ExceptionKind::Extra,
        other => return Err(ApiError::invalid("kind", format!("`{other}` is not one of closed, extra"))),
    };
    if i.note.chars().count() > 500 {
        return Err(ApiError::invalid("note", "keep the note under 500 characters"));
    }
    let exception = Exception {
        id: ExceptionId::new(),
        practitioner: i.practitioner.as_deref().map(|p| body_id("practitioner", p)).transpose()?,
        location: i.location.as_deref().map(|l| body_id("location", l)).transpose()?,
        date: date("date", &i.date)?,
        kind,
        start: i.start.as_deref().map(|m| minutes("start", m)).transpose()?,
        end: i.end.as_deref().map(|m| minutes("end", m)).transpose()?,
    };
    let note = i.note.trim().to_owned();
    let cmd = Command::CreateException(NewException {
        clinic: clinic.id,
        exception,
        note: note.clone(),
        actor: staff.actor(),
    });
    match state.store.execute(cmd).await? {
        Output::Exception(e) => Ok((StatusCode::CREATED, Json(ExceptionDto::new(&e, &note)))),
        other => Err(super::unexpected(other)),
    }
}

#[utoipa::path(delete, path = "/api/v1/clinics/{clinic}/schedule/exceptions/{id}", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn delete_exception(
    State(state): State<AppState>,
    staff: Staff<ManageSchedules>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let clinic = staff.ctx.clinic.clone();
    let id: ExceptionId = parse_id("schedule exception", &id)?;
    state.store.execute(Command::DeleteException(clinic.id, id, staff.actor())).await?;
    Ok(StatusCode::NO_CONTENT)
}
