//! The queue's JSON: tickets (with positions and wait estimates), queues, the public board and
//! the patient's own view. Staff views carry the patient's name; public ones never do — the
//! board shows codes and desks only, the "my place" view one ticket.

use crate::AppState;
use crate::auth::links;
use crate::context::ClinicCtx;
use crate::dto::local_time;
use crate::problem::ApiResult;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use nobat_core::queue::TicketStatus;
use nobat_core::wait_estimate::{self, Ahead, History, Line};
use nobat_core::{ClinicId, LocationId};
use nobat_store::queues::{Queue, Ticket};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How far back service times are read for estimates.
const HISTORY: SignedDuration = SignedDuration::from_hours(24 * 7 * 8);

/// When a waiting ticket is expected to be called: half of patients by `p50`, nine in ten by
/// `p90` (RFC 3339, the location's offset).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct EstimateDto {
    pub p50: String,
    pub p90: String,
}

/// A ticket. `patient_name` only in staff answers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TicketDto {
    pub id: String,
    /// Short code shown on the board, e.g. `A-017`.
    pub code: String,
    /// The patient's own view: `GET /api/v1/tickets/{token}`.
    pub token: String,
    pub queue: String,
    /// `waiting`, `called`, `in_service`, `done`, `absent`, `no_show`, `left`, `transferred`.
    pub status: String,
    /// Place in the waiting line, from 1 (null when not waiting).
    pub position: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_name: Option<String>,
    pub appointment: Option<String>,
    pub desk: Option<String>,
    pub estimate: Option<EstimateDto>,
    pub created_at: String,
    pub called_at: Option<String>,
    /// For a checked-in appointment: `early`, `on_time` or `late`.
    pub arrival: Option<String>,
    pub priority: u8,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketAnswer {
    pub ticket: TicketDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueDto {
    pub id: String,
    pub code_prefix: String,
    pub name: String,
    pub location: String,
    pub practitioner: Option<String>,
    pub service: Option<String>,
    pub date: String,
    pub waiting: u32,
    pub called: u32,
    pub served: u32,
    pub closed: bool,
}

impl From<&Queue> for QueueDto {
    fn from(q: &Queue) -> Self {
        QueueDto {
            id: q.id.to_string(),
            code_prefix: q.code_prefix.clone(),
            name: q.name.clone(),
            location: q.location.to_string(),
            practitioner: q.practitioner.map(|p| p.to_string()),
            service: q.service.map(|s| s.to_string()),
            date: q.date.to_string(),
            waiting: q.waiting,
            called: q.called,
            served: q.served,
            closed: q.closed_at.is_some(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueList {
    pub queues: Vec<QueueDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueDetail {
    pub queue: QueueDto,
    /// In call order: being served, called, the waiting line, absent, then closed tickets.
    pub tickets: Vec<TicketDto>,
}

/// One queue on the public board: codes and desks only.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct BoardQueue {
    pub queue: String,
    pub name: String,
    pub code_prefix: String,
    /// Called tickets, latest first: `{code, desk}`.
    pub called: Vec<BoardCall>,
    pub in_service: Vec<String>,
    /// The next codes to be called, in order (at most 5).
    pub next: Vec<String>,
    pub waiting: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct BoardCall {
    pub code: String,
    pub desk: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Board {
    pub location: String,
    pub date: String,
    pub queues: Vec<BoardQueue>,
}

/// The patient's own view of their ticket.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct MyPlace {
    pub ticket: TicketDto,
    pub queue_name: String,
    /// Tickets to be called before this one (null when not waiting).
    pub ahead: Option<u32>,
    /// "called to room 3": where to go, once called.
    pub called_to: Option<String>,
}

/// The ticket's token (stable: from its id and issue time).
pub fn token(state: &AppState, clinic: ClinicId, t: &Ticket) -> String {
    let until = t.created_at.checked_add(SignedDuration::from_hours(48)).unwrap_or(t.created_at);
    links::ticket_token(&state.auth.keys, clinic, t.id, until)
}

/// Tickets as the API shows them, with positions and estimates for the waiting ones.
pub async fn tickets(
    state: &AppState,
    ctx: &ClinicCtx,
    queue: &Queue,
    tickets: &[Ticket],
    staff: bool,
) -> ApiResult<Vec<TicketDto>> {
    let tz = ctx.tz(queue.location);
    let now = Timestamp::now();
    let since = now.checked_sub(HISTORY).unwrap_or(now);
    let history = History::new(state.store.served_history(ctx.clinic.id, &tz, since).await?);
    let estimates = estimates(&history, queue, tickets, now, &tz);
    let mut position = 0;
    Ok(tickets
        .iter()
        .map(|t| {
            let (pos, est) = if t.status == TicketStatus::Waiting {
                position += 1;
                (Some(position), estimates.get(position as usize - 1).cloned())
            } else {
                (None, None)
            };
            dto(state, ctx.clinic.id, t, pos, est, staff, &tz)
        })
        .collect())
}

fn dto(
    state: &AppState,
    clinic: ClinicId,
    t: &Ticket,
    position: Option<u32>,
    estimate: Option<EstimateDto>,
    staff: bool,
    tz: &TimeZone,
) -> TicketDto {
    TicketDto {
        id: t.id.to_string(),
        code: t.code.clone(),
        token: token(state, clinic, t),
        queue: t.queue.to_string(),
        status: t.status.as_str().to_owned(),
        position,
        patient_name: staff.then(|| t.patient_name.clone()),
        appointment: t.appointment.map(|a| a.to_string()),
        desk: t.desk.clone(),
        estimate,
        created_at: local_time(t.created_at, tz),
        called_at: t.called_at.map(|c| local_time(c, tz)),
        arrival: t.arrival.clone(),
        priority: t.priority,
    }
}

/// One estimate per waiting ticket (in call order), from the estimator.
fn estimates(history: &History, queue: &Queue, tickets: &[Ticket], now: Timestamp, tz: &TimeZone) -> Vec<EstimateDto> {
    let ahead = |t: &Ticket, serving: bool| Ahead {
        service: t.service,
        default_minutes: t.service_minutes as f64,
        in_service_for_minutes: if serving {
            t.served_at.map(|s| now.duration_since(s).as_secs_f64() / 60.0)
        } else {
            None
        },
    };
    let in_service: Vec<Ahead> =
        tickets.iter().filter(|t| t.status == TicketStatus::InService).map(|t| ahead(t, true)).collect();
    let waiting: Vec<Ahead> =
        tickets.iter().filter(|t| t.status == TicketStatus::Waiting).map(|t| ahead(t, false)).collect();
    let mut desks: Vec<&str> = tickets
        .iter()
        .filter(|t| matches!(t.status, TicketStatus::Called | TicketStatus::InService))
        .filter_map(|t| t.desk.as_deref())
        .collect();
    desks.sort_unstable();
    desks.dedup();
    let line = Line {
        practitioner: queue.practitioner,
        now: now.to_zoned(tz.clone()).datetime(),
        servers: u32::try_from(desks.len()).unwrap_or(1).max(1),
        in_service,
        waiting,
    };
    let at = |minutes: f64| {
        let d = SignedDuration::from_secs_f64(minutes.max(0.0) * 60.0);
        local_time(now.checked_add(d).unwrap_or(now), tz)
    };
    wait_estimate::estimate(history, &line)
        .into_iter()
        .map(|e| EstimateDto { p50: at(e.p50_minutes), p90: at(e.p90_minutes) })
        .collect()
}

/// One ticket as its own view shows it (position and estimate from its queue's line).
pub async fn ticket(state: &AppState, ctx: &ClinicCtx, t: &Ticket, staff: bool) -> ApiResult<TicketDto> {
    let queue = state.store.queue(ctx.clinic.id, t.queue).await?;
    let all = state.store.queue_tickets(ctx.clinic.id, t.queue).await?;
    let views = tickets(state, ctx, &queue, &all, staff).await?;
    Ok(views.into_iter().find(|v| v.id == t.id.to_string()).unwrap_or_else(|| {
        let tz = ctx.tz(queue.location);
        dto(state, ctx.clinic.id, t, None, None, staff, &tz)
    }))
}

/// The public board of a location for its local today.
pub async fn board(state: &AppState, ctx: &ClinicCtx, location: LocationId) -> ApiResult<Board> {
    let tz = ctx.tz(location);
    let date = Timestamp::now().to_zoned(tz).date();
    let queues = state.store.queues(ctx.clinic.id, date, Some(location)).await?;
    let open = state.store.board_tickets(ctx.clinic.id, location, date).await?;
    let mut out = Vec::with_capacity(queues.len());
    for q in &queues {
        let mine: Vec<&Ticket> = open.iter().filter(|t| t.queue == q.id).collect();
        let mut called: Vec<&&Ticket> = mine.iter().filter(|t| t.status == TicketStatus::Called).collect();
        called.sort_by_key(|t| std::cmp::Reverse(t.called_at));
        out.push(BoardQueue {
            queue: q.id.to_string(),
            name: q.name.clone(),
            code_prefix: q.code_prefix.clone(),
            called: called.iter().map(|t| BoardCall { code: t.code.clone(), desk: t.desk.clone() }).collect(),
            in_service: mine.iter().filter(|t| t.status == TicketStatus::InService).map(|t| t.code.clone()).collect(),
            next: mine.iter().filter(|t| t.status == TicketStatus::Waiting).take(5).map(|t| t.code.clone()).collect(),
            waiting: q.waiting,
        });
    }
    Ok(Board { location: location.to_string(), date: date.to_string(), queues: out })
}

/// The patient's own view.
pub async fn my_place(state: &AppState, ctx: &ClinicCtx, t: &Ticket) -> ApiResult<MyPlace> {
    let view = ticket(state, ctx, t, false).await?;
    let queue = state.store.queue(ctx.clinic.id, t.queue).await?;
    Ok(MyPlace {
        ahead: view.position.map(|p| p - 1),
        called_to: (t.status == TicketStatus::Called).then(|| t.desk.clone()).flatten(),
        queue_name: queue.name,
        ticket: view,
    })
}
