//! Staff: the clinic's live event stream (Server-Sent Events), resumable.
//!
//! Each message is one stored event: `id:` its seq (consecutive per clinic), `event:` its
//! kind (`appointment.booked`, …), `data:` its ids. A client that reconnects with
//! `Last-Event-ID` (browsers do it by themselves) or `?after=` gets everything after that seq
//! from the database, then the live events — without losing the ones committed in between:
//! the stream subscribes to the broadcast first, replays second, and skips seqs already sent.
//! A seq that arrives ahead of the next expected one (another process's event heard before
//! an earlier one, a lagging receiver, a relay gap) is filled in from the database, so the
//! stream stays in seq order with no hole. Without a cursor it starts at the current end.

use crate::AppState;
use crate::auth::grant::Staff;
use crate::extract::ApiQuery;
use crate::problem::{ApiError, ApiResult, Problem};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use nobat_core::ClinicId;
use nobat_core::access::ViewAppointments;
use nobat_store::{Event, EventKind, Store};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::convert::Infallible;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// Replay the events after this seq first (as `Last-Event-ID`, which wins if both are sent).
    pub after: Option<String>,
}

/// One Server-Sent Event as the stream sends it (the fields an `EventSource` reads).
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamEvent {
    /// The event's number in the clinic's sequence: send it back as `Last-Event-ID`.
    pub id: String,
    /// The event's kind, e.g. `appointment.booked`.
    pub event: String,
    /// JSON: `{seq, kind, at, subjects}`, the subjects being ids, kinds and times only.
    pub data: String,
}

/// The clinic's events as they happen (`text/event-stream`): ids and kinds of what changed —
/// appointments, holds, schedules, the catalogue, staff — never personal data. Resumes
/// after `Last-Event-ID` / `?after=` from the stored log (kept for the retention period).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic}/events", tag = "staff", security(("bearer" = []), ("session" = [])),
    params(("clinic" = String, Path, description = "clinic id or slug"), StreamParams,
           ("Last-Event-ID" = Option<String>, Header, description = "the last seq received")),
    responses((status = 200, content_type = "text/event-stream", body = StreamEvent, description = "`id:` seq, `event:` kind, `data:` JSON"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn stream(
    State(state): State<AppState>,
    staff: Staff<ViewAppointments>,
    Path(_clinic): Path<String>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let clinic = staff.ctx.clinic.id;
    let cursor = cursor(&headers, q.after)?;
    // Subscribe before reading anything, so nothing committed from here on can be missed.
    let rx = state.store.subscribe();
    let last = match cursor {
        Some(n) => n,
        None => state.store.event_head(clinic).await?,
    };
    let follow = Follow::new(&state.store, rx, clinic, last);
    let events = futures::stream::unfold(follow, |mut f| async move { f.next().await.map(|e| (Ok(sse(&e)), f)) });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// The seq a client resumes after: `Last-Event-ID`, else `?after=`; a bad one is a 422.
pub(crate) fn cursor(headers: &HeaderMap, after: Option<String>) -> ApiResult<Option<i64>> {
    let header = headers.get("last-event-id").map(|v| v.to_str().unwrap_or("-").to_owned());
    let cursor = match (header, after) {
        (Some(raw), _) => Some(("Last-Event-ID", raw)),
        (None, Some(raw)) => Some(("after", raw)),
        (None, None) => None,
    };
    match cursor {
        None => Ok(None),
        Some((field, raw)) => match raw.trim().parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => Err(ApiError::invalid(field, "the seq of an event (a whole number, 0 or more)")),
        },
    }
}

pub(crate) fn sse(e: &Event) -> SseEvent {
    let data = serde_json::json!({ "seq": e.seq, "kind": e.kind, "at": e.at, "subjects": e.subjects });
    SseEvent::default().id(e.seq.to_string()).event(e.kind.as_str()).data(data.to_string())
}

/// The stream's state: the last seq sent, events read but not yet sent, and whether the
/// database must be read before the next live event (at the start, after a gap).
pub(crate) struct Follow {
    store: Store,
    rx: broadcast::Receiver<Event>,
    /// The server is shutting down: end the stream (the client reconnects elsewhere or later,
    /// with its `Last-Event-ID`).
    draining: watch::Receiver<bool>,
    clinic: ClinicId,
    last: i64,
    queue: VecDeque<Event>,
    fill: bool,
}

impl Follow {
    /// Follows `clinic`'s events after seq `last`; `rx` must be subscribed before `last` was read.
    pub(crate) fn new(store: &Store, rx: broadcast::Receiver<Event>, clinic: ClinicId, last: i64) -> Follow {
        let draining = store.draining();
        Follow { store: store.clone(), rx, draining, clinic, last, queue: VecDeque::new(), fill: true }
    }

    /// The next event to send, in seq order; `None` ends the stream (shutdown, database gone).
    pub(crate) async fn next(&mut self) -> Option<Event> {
        loop {
            while let Some(e) = self.queue.pop_front() {
                if e.seq > self.last {
                    self.last = e.seq;
                    return Some(e);
                }
            }
            if self.fill {
                self.fill = false;
                let page = match self.store.events_since(self.clinic, self.last, 500).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::warn!(error = %e, "event stream cannot read the log; closing it");
                        return None;
                    }
                };
                // A full page: there may be more; read again once it is sent.
                self.fill = page.len() == 500;
                self.queue.extend(page);
                continue;
            }
            if *self.draining.borrow() {
                return None;
            }
            let received = tokio::select! {
                r = self.rx.recv() => r,
                _ = self.draining.wait_for(|d| *d) => return None,
            };
            match received {
                Ok(e) if e.kind == EventKind::RelayGap => self.fill = true,
                Ok(e) if e.clinic != self.clinic || e.seq <= self.last => {}
                Ok(e) if e.seq == self.last + 1 => self.queue.push_back(e),
                // Ahead of what we have: the ones in between are committed (the head lock
                // orders commits), and so is this one: read them all from the log.
                Ok(_) => self.fill = true,
                Err(RecvError::Lagged(_)) => self.fill = true,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
