//! Staff: the day's queues — list and open them, check in an appointment, add a walk-in, call
//! the next ticket, close the day. Ticket actions are in `tickets.rs`, live views in
//! `queue_live.rs`. Every decision (order, states, who is called) is the store's and the
//! core's; a practitioner runs only their own queue (`nobat_core::queue::may_run`).

use crate::AppState;
use crate::auth::grant::Staff;
use crate::context::{body_id, date};
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, MaybeJson, fingerprint, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::queue_view::{self, QueueDetail, QueueDto, QueueList, TicketAnswer};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nobat_core::access::{ManageClinic, RunQueues, ViewAppointments};
use nobat_core::queue::may_run;
use nobat_core::{AppointmentId, QueueId};
use nobat_store::commands::{QueueOp, QueueRequest};
use nobat_store::queues::{Queue, Ticket};
use nobat_store::{Command, Output};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueuesParams {
    /// The local date, `YYYY-MM-DD`.
    pub date: String,
    pub location: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenQueueInput {
    pub location: String,
    /// The location's local date (default: its today).
    pub date: Option<String>,
    pub practitioner: Option<String>,
    pub service: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkInPatient {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalkInInput {
    pub patient: WalkInPatient,
    pub service: Option<String>,
    /// 0 (default) to 9: a higher priority is called before lower ones.
    pub priority: Option<u8>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallNextInput {
    /// The desk or room the patient is called to, e.g. `Room 3`.
    pub desk: Option<String>,
}

/// Refuses a practitioner acting on a colleague's queue (403).
pub async fn check_runs<C: nobat_core::access::Capability>(
    state: &AppState,
    staff: &Staff<C>,
    queue: &Queue,
) -> ApiResult<()> {
    let own = match staff.role {
        nobat_core::access::Role::Practitioner => {
            state.store.membership(staff.ctx.clinic.id, staff.principal.user.id).await?.and_then(|m| m.practitioner)
        }
        _ => None,
    };
    if may_run(staff.role, own, queue.practitioner) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            "a practitioner runs their own queue only",
        ))
    }
}

pub(crate) async fn run(state: &AppState, req: QueueRequest) -> ApiResult<Output> {
    Ok(state.store.execute(Command::Queue(req)).await?)
}

pub(crate) async fn ticket_answer<C: nobat_core::access::Capability>(
    state: &AppState,
    staff: &Staff<C>,
    out: Output,
) -> ApiResult<TicketAnswer> {
    match out {
        Output::Ticket(t) => Ok(TicketAnswer { ticket: queue_view::ticket(state, &staff.ctx, &t, true).await? }),
        other => Err(super::unexpected(other)),
    }
}

async fn load_queue<C: nobat_core::access::Capability>(
    state: &AppState,
    staff: &Staff<C>,
    raw: &str,
) -> ApiResult<Queue> {
    let id: QueueId = parse_id("queue", raw)?;
    Ok(state.store.queue(staff.ctx.clinic.id, id).await?)
}

/// The clinic's queues of a local date, optionally at one location, with their counts.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/queues", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), QueuesParams),
    responses((status = 200, body = QueueList), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_queues(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path(_clinic): Path<String>,
    ApiQuery(q): ApiQuery<QueuesParams>,
) -> ApiResult<Json<QueueList>> {
    let day = date("date", &q.date)?;
    let location = q.location.as_deref().map(|l| body_id("location", l)).transpose()?;
    let queues = state.store.queues(staff.ctx.clinic.id, day, location).await?;
    Ok(Json(QueueList { queues: queues.iter().map(QueueDto::from).collect() }))
}

/// Opens the queue of a location's day — per practitioner, per service, or the location's
/// general one — or answers the one already open (200).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/queues", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = OpenQueueInput,
    responses((status = 200, body = QueueDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn open_queue(
    State(state): State<AppState>,
    staff: Staff<RunQueues>,
    Path(_clinic): Path<String>,
    body: ApiJson<OpenQueueInput>,
) -> ApiResult<Json<QueueDto>> {
    let input = body.value;
    let location = body_id("location", &input.location)?;
    if !staff.ctx.locations.iter().any(|l| l.id == location) {
        return Err(ApiError::invalid("location", "no such location in this clinic"));
    }
    let day = match input.date.as_deref() {
        Some(d) => date("date", d)?,
        None => jiff::Timestamp::now().to_zoned(staff.ctx.tz(location)).date(),
    };
    let op = QueueOp::Open {
        location,
        date: day,
        practitioner: input.practitioner.as_deref().map(|p| body_id("practitioner", p)).transpose()?,
        service: input.service.as_deref().map(|s| body_id("service", s)).transpose()?,
    };
    match run(&state, QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op }).await? {
        Output::Queue(q) => Ok(Json(QueueDto::from(&*q))),
        other => Err(super::unexpected(other)),
    }
}

/// A queue and its tickets in call order, with positions and wait estimates.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/queues/{queue}", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("queue" = String, Path)),
    responses((status = 200, body = QueueDetail), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_queue(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path((_clinic, queue)): Path<(String, String)>,
) -> ApiResult<Json<QueueDetail>> {
    let queue = load_queue(&state, &staff, &queue).await?;
    let all: Vec<Ticket> = state.store.queue_tickets(staff.ctx.clinic.id, queue.id).await?;
    let tickets = queue_view::tickets(&state, &staff.ctx, &queue, &all, true).await?;
    Ok(Json(QueueDetail { queue: QueueDto::from(&queue), tickets }))
}

/// Checks in a booked appointment: a ticket in its practitioner's queue of that day (opened on
/// first use), placed by appointment time; early, on time or late is recorded. Twice → 409.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/appointments/{id}/check-in", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("id" = String, Path)),
    responses((status = 201, body = TicketAnswer), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json", description = "already checked in, or not a booked appointment")))]
pub async fn check_in(
    State(state): State<AppState>,
    staff: Staff<RunQueues>,
    Path((_clinic, id)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<TicketAnswer>)> {
    let appointment: AppointmentId = parse_id("appointment", &id)?;
    let req = QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op: QueueOp::CheckIn { appointment } };
    let out = run(&state, req).await.map_err(|e| {
        if e.problem().kind == "urn:nobat:problem:already-exists" {
            ApiError::new(
                StatusCode::CONFLICT,
                "already-checked-in",
                "Already checked in",
                "this appointment is already checked in; its ticket is in the queue",
            )
        } else {
            e
        }
    })?;
    Ok((StatusCode::CREATED, Json(ticket_answer(&state, &staff, out).await?)))
}

/// Adds a walk-in to a queue (name required; phone or email optional), placed by the clinic's
/// rule (one walk-in after every N booked) and priority.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/queues/{queue}/tickets", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("queue" = String, Path)), request_body = WalkInInput,
    responses((status = 201, body = TicketAnswer), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json", description = "the queue's day is closed"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn walk_in(
    State(state): State<AppState>,
    staff: Staff<RunQueues>,
    Path((_clinic, queue)): Path<(String, String)>,
    body: ApiJson<WalkInInput>,
) -> ApiResult<(StatusCode, Json<TicketAnswer>)> {
    let queue = load_queue(&state, &staff, &queue).await?;
    check_runs(&state, &staff, &queue).await?;
    let input = body.value;
    let p = &input.patient;
    let patient =
        nobat_core::queue::walk_in_contact(&p.name, p.phone.as_deref(), p.email.as_deref(), p.language.as_deref())?;
    let priority = input.priority.unwrap_or(0);
    if priority > 9 {
        return Err(ApiError::invalid("priority", "from 0 to 9"));
    }
    let service = input.service.as_deref().map(|s| body_id("service", s)).transpose()?;
    let op = QueueOp::WalkIn { queue: queue.id, patient, service, priority };
    let out = run(&state, QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op }).await?;
    Ok((StatusCode::CREATED, Json(ticket_answer(&state, &staff, out).await?)))
}

/// Calls the first waiting ticket to a desk or room. Two desks pressing at once never get the
/// same ticket (the queue's row is locked while one is called); the same desk pressing twice
/// within 3 seconds gets the ticket it just called (a double click calls one), as does a retry
/// with the same Idempotency-Key. Nobody waiting → 409 `queue-empty`.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/queues/{queue}/call-next", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("queue" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "retry safely")),
    request_body = CallNextInput,
    responses((status = 200, body = TicketAnswer), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json", description = "queue-empty")))]
pub async fn call_next(
    State(state): State<AppState>,
    staff: Staff<RunQueues>,
    Path((_clinic, queue)): Path<(String, String)>,
    key: IdempotencyKey,
    body: MaybeJson<CallNextInput>,
) -> ApiResult<Json<TicketAnswer>> {
    let queue = load_queue(&state, &staff, &queue).await?;
    check_runs(&state, &staff, &queue).await?;
    let (input, canonical) = match body.0 {
        Some(b) => (b.value, b.canonical),
        None => (CallNextInput::default(), String::new()),
    };
    let desk = input.desk.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if desk.as_ref().is_some_and(|d| d.chars().count() > 40) {
        return Err(ApiError::invalid("desk", "at most 40 characters"));
    }
    let actor = staff.actor();
    let caller = format!("{}|{}", actor.id, desk.as_deref().unwrap_or(""));
    let idempotency = key.0.map(|k| nobat_store::commands::Idempotency {
        key: k,
        request_hash: fingerprint(&["call-next", &queue.id.to_string(), &actor.id, &canonical]),
    });
    let op = QueueOp::CallNext { queue: queue.id, desk, caller, idempotency };
    let out = run(&state, QueueRequest { clinic: staff.ctx.clinic.id, actor, op }).await?;
    Ok(Json(ticket_answer(&state, &staff, out).await?))
}

/// Closes the queue's day: each open ticket gets its final status (in service → done, absent
/// → no_show, waiting or called → left), appointments follow.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic}/queues/{queue}/close", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("queue" = String, Path)),
    responses((status = 200, body = QueueDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn close_queue(
    State(state): State<AppState>,
    staff: Staff<RunQueues>,
    Path((_clinic, queue)): Path<(String, String)>,
) -> ApiResult<Json<QueueDto>> {
    let queue = load_queue(&state, &staff, &queue).await?;
    check_runs(&state, &staff, &queue).await?;
    let op = QueueOp::Close { queue: queue.id };
    match run(&state, QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op }).await? {
        Output::Queue(q) => Ok(Json(QueueDto::from(&*q))),
        other => Err(super::unexpected(other)),
    }
}

/// The clinic's queue settings: the grace period of an absent patient (minutes, default 15),
/// the walk-in rule (one walk-in after every `walk_in_every` booked patients, default 2),
/// remote joining by link or QR code (`remote_join`, default off; `remote_cap`, the longest
/// line still joined by link, default 30) and the end of the day (`close_after_min` after the
/// location's last opening hour, default 60). In a `PUT`, a field left out keeps its value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSettingsDto {
    pub grace_min: u32,
    pub walk_in_every: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_join: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_cap: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_after_min: Option<u32>,
}

impl From<nobat_core::queue::Settings> for QueueSettingsDto {
    fn from(s: nobat_core::queue::Settings) -> Self {
        QueueSettingsDto {
            grace_min: s.grace_min,
            walk_in_every: s.walk_in_every,
            remote_join: Some(s.remote_join),
            remote_cap: Some(s.remote_cap),
            close_after_min: Some(s.close_after_min),
        }
    }
}

/// The clinic's queue settings.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/queue-settings", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")),
    responses((status = 200, body = QueueSettingsDto), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_settings(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path(_clinic): Path<String>,
) -> ApiResult<Json<QueueSettingsDto>> {
    Ok(Json(state.store.queue_settings(staff.ctx.clinic.id).await?.into()))
}

/// Sets the clinic's queue settings; applies to tickets marked absent and placed, links
/// joined and queues opened from now on.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic}/queue-settings", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug")), request_body = QueueSettingsDto,
    responses((status = 200, body = QueueSettingsDto), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_settings(
    State(state): State<AppState>,
    staff: Staff<ManageClinic>,
    Path(_clinic): Path<String>,
    body: ApiJson<QueueSettingsDto>,
) -> ApiResult<Json<QueueSettingsDto>> {
    let v = body.value;
    let now = state.store.queue_settings(staff.ctx.clinic.id).await?;
    let set = nobat_core::queue::Settings::new(v.grace_min, v.walk_in_every)?
        .with_remote(v.remote_join.unwrap_or(now.remote_join), v.remote_cap.unwrap_or(now.remote_cap))?
        .with_close_after(v.close_after_min.unwrap_or(now.close_after_min))?;
    run(&state, QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op: QueueOp::Settings(set) }).await?;
    Ok(Json(set.into()))
}
