//! Staff: actions on one ticket — `recall`, `start`, `finish`, `absent`, `return`,
//! `emergency` (`{"reason"}`), `leave`, `transfer` (`{"queue"}`), `reorder`
//! (`{"position","reason"}`). An action the ticket's state forbids is a 409
//! (`urn:nobat:problem:ticket-state`) naming the state; the table is
//! `nobat_core::queue::state`. One route per action, so each is documented and checked.

use super::queues::{check_runs, run, ticket_answer};
use crate::AppState;
use crate::auth::grant::Staff;
use crate::context::body_id;
use crate::extract::{MaybeJson, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::queue_view::TicketAnswer;
use axum::Json;
use axum::extract::{Path, State};
use nobat_core::TicketId;
use nobat_core::access::RunQueues;
use nobat_core::queue::Action;
use nobat_store::commands::{QueueOp, QueueRequest};
use serde::Deserialize;
use utoipa::ToSchema;

/// What some actions need: `reason` (emergency, reorder), `queue` (transfer), `position`
/// (reorder, from 1).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketActionInput {
    pub reason: Option<String>,
    pub queue: Option<String>,
    pub position: Option<u32>,
}

pub(crate) async fn act(
    state: AppState,
    staff: Staff<RunQueues>,
    ticket: String,
    action: Action,
    body: MaybeJson<TicketActionInput>,
) -> ApiResult<Json<TicketAnswer>> {
    let id: TicketId = parse_id("ticket", &ticket)?;
    let t = state.store.ticket(staff.ctx.clinic.id, id).await?;
    let queue = state.store.queue(staff.ctx.clinic.id, t.queue).await?;
    check_runs(&state, &staff, &queue).await?;
    let input = body.0.map(|b| b.value).unwrap_or_default();
    if matches!(action, Action::Emergency | Action::Reorder)
        && input.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        return Err(ApiError::invalid("reason", "say why (it goes to the audit trail)"));
    }
    if input.reason.as_deref().is_some_and(|r| r.chars().count() > 500) {
        return Err(ApiError::invalid("reason", "at most 500 characters"));
    }
    if action == Action::Reorder && input.position.is_none_or(|p| p == 0) {
        return Err(ApiError::invalid("position", "a place in the line, from 1"));
    }
    let to_queue = match (action, input.queue.as_deref()) {
        (Action::Transfer, None) => return Err(ApiError::invalid("queue", "the queue to transfer to")),
        (_, Some(q)) => Some(body_id("queue", q)?),
        (_, None) => None,
    };
    if let Some(target) = to_queue {
        // Another clinic's (or an unknown) queue is not found, as a field error.
        let target = state
            .store
            .queue(staff.ctx.clinic.id, target)
            .await
            .map_err(|_| ApiError::invalid("queue", "no such queue in this clinic"))?;
        check_runs(&state, &staff, &target).await?;
    }
    let op = QueueOp::Act { ticket: id, action, reason: input.reason, to_queue, position: input.position };
    let out = run(&state, QueueRequest { clinic: staff.ctx.clinic.id, actor: staff.actor(), op }).await?;
    Ok(Json(ticket_answer(&state, &staff, out).await?))
}

macro_rules! action_route {
    ($name:ident, $action:expr, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "queue", security(("bearer" = []), ("session" = [])),
            params(("clinic" = String, Path, description = "clinic id or slug"), ("ticket" = String, Path)),
            request_body = TicketActionInput,
            responses((status = 200, body = TicketAnswer), (status = 404, body = Problem, content_type = "application/problem+json"),
                      (status = 409, body = Problem, content_type = "application/problem+json", description = "ticket-state: the ticket's state forbids it"),
                      (status = 422, body = Problem, content_type = "application/problem+json")))]
        pub async fn $name(
            State(state): State<AppState>,
            staff: Staff<RunQueues>,
            Path((_clinic, ticket)): Path<(String, String)>,
            body: MaybeJson<TicketActionInput>,
        ) -> ApiResult<Json<TicketAnswer>> {
            act(state, staff, ticket, $action, body).await
        }
    };
}

action_route!(
    recall,
    Action::Recall,
    "/api/v1/clinics/{clinic}/tickets/{ticket}/recall",
    "Calls a called ticket again."
);
action_route!(
    start,
    Action::Start,
    "/api/v1/clinics/{clinic}/tickets/{ticket}/start",
    "The called patient is being served."
);
action_route!(
    finish,
    Action::Finish,
    "/api/v1/clinics/{clinic}/tickets/{ticket}/finish",
    "Service finished (the appointment becomes fulfilled)."
);
action_route!(
    absent,
    Action::Absent,
    "/api/v1/clinics/{clinic}/tickets/{ticket}/absent",
    "Called and not there: kept for the clinic's grace period (default 15 minutes), then no_show and the appointment noshow."
);
action_route!(
    return_,
    Action::Return,
    "/api/v1/clinics/{clinic}/tickets/{ticket}/return",
    "An absent patient is back within the grace period: waiting again, behind the next two waiting tickets."
);
action_route!(
    emergency,
    Action::Emergency,
    "/api/v1/clinics/{clinic}/tickets/{ticket}/emergency",
    "Moves a waiting ticket to the front; `reason` is required and audited."
);
action_route!(leave, Action::Leave, "/api/v1/clinics/{clinic}/tickets/{ticket}/leave", "The patient left.");
action_route!(
    transfer,
    Action::Transfer,
    "/api/v1/clinics/{clinic}/tickets/{ticket}/transfer",
    "Moves the ticket to another queue (`queue`); answers the new ticket."
);
action_route!(
    reorder,
    Action::Reorder,
    "/api/v1/clinics/{clinic}/tickets/{ticket}/reorder",
    "Moves a waiting ticket to `position` (from 1) with a `reason` (audited)."
);
