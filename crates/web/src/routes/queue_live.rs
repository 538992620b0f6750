//! Live queue views (Server-Sent Events) and the public ones:
//!
//! * the staff stream of one queue: the clinic's stored events about that queue, resumable
//!   with `Last-Event-ID` exactly like `/events` (same seqs, same log);
//! * the public board of a location (JSON and stream): codes, desks and the next codes — the
//!   data holds no name, phone or patient id;
//! * the patient's own ticket by its token (JSON and stream): position, estimate, where to go.
//!
//! The board and ticket streams send *states*: each message is the whole current view (`id:`
//! the seq of the event that changed it), so a client that reconnects (with or without
//! `Last-Event-ID`) gets the current view at once and has nothing to replay. Like `/events`,
//! no stream holds a database connection between messages: it waits on the in-process
//! broadcast (fed across processes by LISTEN/NOTIFY) and reads only when something changed.

use super::events::{Follow, StreamParams, cursor, sse};
use crate::AppState;
use crate::auth::grant::Staff;
use crate::auth::links;
use crate::context::ClinicCtx;
use crate::extract::{ApiQuery, parse_id};
use crate::problem::{ApiError, ApiResult, Problem};
use crate::queue_view::{self, Board, MyPlace};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use nobat_core::access::ViewAppointments;
use nobat_core::{LocationId, QueueId, TicketId};
use nobat_store::{Event, EventKind};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, LazyLock, Mutex};

/// The board of each location as last rendered, with the seq it reflects. A change reaches
/// every board stream of the location at once; the first to render it does the reading and
/// the others reuse its answer (one set of queries per change, not one per screen).
type Rendered = Arc<tokio::sync::Mutex<Option<(i64, String)>>>;
static BOARDS: LazyLock<Mutex<HashMap<(nobat_core::ClinicId, LocationId), Rendered>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The board as JSON, reflecting at least event `seq`.
async fn board_json(state: &AppState, ctx: &ClinicCtx, location: LocationId, seq: i64) -> Option<String> {
    let slot = {
        let mut boards = BOARDS.lock().ok()?;
        boards.entry((ctx.clinic.id, location)).or_default().clone()
    };
    let mut cached = slot.lock().await;
    if let Some((at, json)) = cached.as_ref()
        && *at >= seq
    {
        return Some(json.clone());
    }
    let json = serde_json::to_string(&queue_view::board(state, ctx, location).await.ok()?).ok()?;
    *cached = Some((seq, json.clone()));
    Some(json)
}

fn about_queues(e: &Event) -> bool {
    matches!(
        e.kind,
        EventKind::TicketIssued | EventKind::TicketCalled | EventKind::TicketChanged | EventKind::QueueChanged
    )
}

/// The queue's events as they happen (staff): `ticket.issued`, `ticket.called`,
/// `ticket.changed`, `queue.changed` with ids only. Resumes after `Last-Event-ID` / `?after=`.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/queues/{queue}/events", tag = "queue", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), ("queue" = String, Path), StreamParams,
           ("Last-Event-ID" = Option<String>, Header, description = "the last seq received")),
    responses((status = 200, content_type = "text/event-stream", body = super::events::StreamEvent, description = "`id:` seq, `event:` kind, `data:` JSON"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn queue_stream(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path((_clinic, queue)): Path<(String, String)>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let clinic = staff.ctx.clinic.id;
    let queue: QueueId = parse_id("queue", &queue)?;
    state.store.queue(clinic, queue).await?;
    let cursor = cursor(&headers, q.after)?;
    let rx = state.store.subscribe();
    let last = match cursor {
        Some(n) => n,
        None => state.store.event_head(clinic).await?,
    };
    let follow = Follow::new(&state.store, rx, clinic, last);
    let events = futures::stream::unfold(follow, move |mut f| async move {
        loop {
            let e = f.next().await?;
            if about_queues(&e) && e.subjects.queue == Some(queue) {
                return Some((Ok(sse(&e)), f));
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// What a state stream shows.
#[derive(Clone, Copy)]
enum View {
    Board(LocationId),
    Ticket(TicketId),
}

struct Live {
    state: AppState,
    ctx: ClinicCtx,
    view: View,
    follow: Follow,
    /// The seq of the first message (the view as it is on connecting).
    first: Option<i64>,
}

impl Live {
    async fn render(&self, seq: i64) -> Option<SseEvent> {
        let (name, data) = match self.view {
            View::Board(location) => {
                let json = board_json(&self.state, &self.ctx, location, seq).await?;
                ("board", json)
            }
            View::Ticket(id) => {
                // After a transfer the token's view follows the patient to the new queue.
                let t = self.state.store.current_ticket(self.ctx.clinic.id, id).await.ok()?;
                ("ticket", serde_json::to_string(&queue_view::my_place(&self.state, &self.ctx, &t).await.ok()?).ok()?)
            }
        };
        Some(SseEvent::default().id(seq.to_string()).event(name).data(data))
    }

    async fn next(&mut self) -> Option<SseEvent> {
        if let Some(seq) = self.first.take() {
            return self.render(seq).await;
        }
        loop {
            let e = self.follow.next().await?;
            let concerned = about_queues(&e)
                && match self.view {
                    View::Board(location) => e.subjects.location == Some(location),
                    View::Ticket(id) => {
                        // Any change in the queue the ticket is now in (after transfers, the
                        // last one) may move its position or estimate; so does a change of
                        // the ticket itself (its transfer, seen from the queue it left).
                        let queue = self.state.store.current_ticket(self.ctx.clinic.id, id).await.ok()?.queue;
                        e.subjects.queue == Some(queue) || e.subjects.ticket == Some(id)
                    }
                };
            if concerned {
                return self.render(e.seq).await;
            }
        }
    }
}

async fn live(
    state: AppState,
    ctx: ClinicCtx,
    view: View,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let rx = state.store.subscribe();
    let head = state.store.event_head(ctx.clinic.id).await?;
    let follow = Follow::new(&state.store, rx, ctx.clinic.id, head);
    let live = Live { state, ctx, view, follow, first: Some(head) };
    let events = futures::stream::unfold(live, |mut l| async move { l.next().await.map(|e| (Ok(e), l)) });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

async fn board_ctx(state: &AppState, clinic: &str, location: &str) -> ApiResult<(ClinicCtx, LocationId)> {
    let ctx = ClinicCtx::load(state, clinic).await?;
    let location: LocationId = parse_id("location", location)?;
    if !ctx.locations.iter().any(|l| l.id == location) {
        return Err(ApiError::not_found("location"));
    }
    Ok((ctx, location))
}

/// The waiting-room board of a location, today: per queue the called codes with their desk or
/// room, codes in service, and the next codes. Never a name or a phone number.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/locations/{location}/board", tag = "queue",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("location" = String, Path)),
    responses((status = 200, body = Board), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn board(
    State(state): State<AppState>,
    Path((clinic, location)): Path<(String, String)>,
) -> ApiResult<Json<Board>> {
    let (ctx, location) = board_ctx(&state, &clinic, &location).await?;
    Ok(Json(queue_view::board(&state, &ctx, location).await?))
}

/// The board as a stream: `event: board`, each message the whole board, sent on connecting and
/// after every change.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/locations/{location}/board/events", tag = "queue",
    params(("clinic" = String, Path, description = "clinic id or slug"), ("location" = String, Path)),
    responses((status = 200, content_type = "text/event-stream", body = super::events::StreamEvent, description = "`event: board`, `data:` the board"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn board_stream(
    State(state): State<AppState>,
    Path((clinic, location)): Path<(String, String)>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let (ctx, location) = board_ctx(&state, &clinic, &location).await?;
    live(state, ctx, View::Board(location)).await
}

async fn ticket_ctx(state: &AppState, token: &str) -> ApiResult<(ClinicCtx, TicketId)> {
    let (clinic, ticket) = links::open_ticket(&state.auth.keys, token, jiff::Timestamp::now())
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    let ctx = ClinicCtx::load(state, &clinic.to_string()).await?;
    Ok((ctx, ticket))
}

/// The patient's own ticket, by the token on it: position, expected call time, and once
/// called, where to go. No name. After a transfer the token shows the ticket in the new queue.
#[utoipa::path(get, path = "/api/v1/tickets/{token}", tag = "queue",
    params(("token" = String, Path)),
    responses((status = 200, body = MyPlace), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn my_ticket(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Json<MyPlace>> {
    let (ctx, id) = ticket_ctx(&state, &token).await?;
    let t = state.store.current_ticket(ctx.clinic.id, id).await?;
    Ok(Json(queue_view::my_place(&state, &ctx, &t).await?))
}

/// The patient's ticket as a stream: `event: ticket`, the whole view on connecting and after
/// every change in its queue.
#[utoipa::path(get, path = "/api/v1/tickets/{token}/events", tag = "queue",
    params(("token" = String, Path)),
    responses((status = 200, content_type = "text/event-stream", body = super::events::StreamEvent, description = "`event: ticket`, `data:` the view"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn my_ticket_stream(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let (ctx, id) = ticket_ctx(&state, &token).await?;
    state.store.ticket(ctx.clinic.id, id).await?;
    live(state, ctx, View::Ticket(id)).await
}
