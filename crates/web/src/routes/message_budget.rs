//! Owners and admins: the clinic's monthly SMS budget (how many SMS a calendar month may send;
//! past it, messages go by email where the patient has an address, and the admins are told),
//! and counts and cost of its messages per channel and status (the reports page reads them).

use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::{ApiJson, ApiQuery};
use crate::problem::{ApiError, ApiResult, Problem};
use axum::Json;
use axum::extract::{Path, State};
use nobat_core::access::ManageMessages;
use nobat_store::Command;
use nobat_store::commands::MessageCommand;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The most a budget may be set to (a typo guard, not a policy).
const MAX_BUDGET: i64 = 10_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageBudgetDto {
    /// SMS per calendar month (UTC); `null` when the clinic set none (then `effective` is the
    /// default, 1,000).
    pub sms_monthly: Option<i64>,
    pub effective: i64,
    /// The current month, `YYYY-MM`.
    pub month: String,
    /// SMS planned this month, which the budget counts.
    pub sms_used: i64,
    /// What this month's SMS cost, in millionths of the operator's currency (0 when the
    /// operator set no price).
    pub sms_cost_micros: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBudgetInput {
    /// SMS per month, 0 to 10,000,000; `null` for the default.
    pub sms_monthly: Option<i64>,
}

async fn budget(state: &AppState, clinic: nobat_core::ClinicId) -> ApiResult<MessageBudgetDto> {
    let b = state.store.sms_budget(clinic, jiff::Timestamp::now()).await?;
    Ok(MessageBudgetDto {
        sms_monthly: b.set,
        effective: b.effective,
        month: b.month,
        sms_used: b.used,
        sms_cost_micros: b.cost_micros,
    })
}

/// The clinic's monthly SMS budget and this month's use.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/message-budget", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), responses((status = 200, body = MessageBudgetDto)))]
pub async fn get_budget(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<MessageBudgetDto>> {
    Ok(Json(budget(&state, staff.ctx.clinic.id).await?))
}

/// Set the clinic's monthly SMS budget (from now on; what this month used still counts).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/message-budget", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path)), request_body = MessageBudgetInput,
    responses((status = 200, body = MessageBudgetDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_budget(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path(_clinic): Path<String>,
    body: ApiJson<MessageBudgetInput>,
) -> ApiResult<Json<MessageBudgetDto>> {
    let n = body.value.sms_monthly;
    if n.is_some_and(|n| !(0..=MAX_BUDGET).contains(&n)) {
        return Err(ApiError::invalid("sms_monthly", "between 0 and 10000000 SMS a month, or null for the default"));
    }
    let clinic = staff.ctx.clinic.id;
    let cmd = MessageCommand::SetSmsBudget { clinic, budget: n, actor: staff.actor() };
    state.store.execute(Command::Messages(cmd)).await?;
    Ok(Json(budget(&state, clinic).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// RFC 3339 instant or `YYYY-MM-DD` (UTC midnight); default: the first of this month.
    pub from: Option<String>,
    /// RFC 3339 instant or `YYYY-MM-DD` (UTC midnight), exclusive; default: now.
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageCountDto {
    pub channel: String,
    /// `queued`, `sent`, `delivered`, `failed`, `dead`.
    pub status: String,
    pub count: i64,
    /// SMS segments (GSM-7 160/153 characters, UCS-2 70/67).
    pub segments: i64,
    /// In millionths of the operator's currency.
    pub cost_micros: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageStatsDto {
    pub from: String,
    pub to: String,
    pub counts: Vec<MessageCountDto>,
    pub total: i64,
    pub total_cost_micros: i64,
}

fn instant(field: &str, raw: &str) -> ApiResult<jiff::Timestamp> {
    if let Ok(d) = raw.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|_| ApiError::invalid(field, "not a representable date"));
    }
    crate::context::instant(field, raw)
}

/// Counts and cost of the clinic's messages per channel and status, planned in `[from, to)`.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/message-stats", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path), StatsQuery),
    responses((status = 200, body = MessageStatsDto), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn message_stats(
    State(state): State<AppState>,
    staff: Staff<ManageMessages>,
    Path(_clinic): Path<String>,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<MessageStatsDto>> {
    let now = jiff::Timestamp::now();
    let month_start = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .first_of_month()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(now, |z| z.timestamp());
    let from = q.from.as_deref().map(|v| instant("from", v)).transpose()?.unwrap_or(month_start);
    let to = q.to.as_deref().map(|v| instant("to", v)).transpose()?.unwrap_or(now);
    if to < from {
        return Err(ApiError::invalid("to", "must not be before `from`"));
    }
    let counts = state.store.message_stats(staff.ctx.clinic.id, from, to).await?;
    Ok(Json(MessageStatsDto {
        from: from.to_string(),
        to: to.to_string(),
        total: counts.iter().map(|c| c.count).sum(),
        total_cost_micros: counts.iter().map(|c| c.cost_micros).sum(),
        counts: counts
            .into_iter()
            .map(|c| MessageCountDto {
                channel: c.channel,
                status: c.status,
                count: c.count,
                segments: c.segments,
                cost_micros: c.cost_micros,
            })
            .collect(),
    }))
}
