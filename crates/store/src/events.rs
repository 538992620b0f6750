//! Typed events: what happened, to which ids, numbered per clinic at commit.
//!
//! A command calls [`crate::tx::WriteTx::emit`] with an [`EventKind`] and the [`Subjects`]
//! it concerns (ids and kinds only), and — when a consumer must act on it with more than ids,
//! like the code a verification SMS carries — [`crate::tx::WriteTx::emit_with_message`].
//! Nothing is written then: just before COMMIT the writer calls [`seal`], which takes each
//! clinic's `event_heads` row lock (after the audit heads, the last locks of the transaction),
//! numbers the batch's events consecutively, and writes them to `events` (and private
//! messages to `outbox`). One head update per clinic per batch and one multi-row insert,
//! whatever the batch size and the number of consumers: each consumer turns the events it
//! wants into its own delivery rows when it claims (see [`crate::commands::CONSUMERS`]).
//!
//! The event (with its seq) is what the in-process broadcast and `pg_notify` carry, and what
//! [`crate::Store::events_since`] returns; the message, which may hold a secret meant for one
//! consumer, never leaves the `outbox` table.

use crate::db::{self, Conn, Value};
use crate::error::StoreResult;
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::{
    AppointmentId, AppointmentStatus, ClinicId, LocationId, PractitionerId, QueueId, ServiceId, TicketId, UserId,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal,)*) => {
        /// What happened. The wire name (`appointment.booked`) is stable: it is stored, sent
        /// to other processes and to clients as the SSE `event:` field.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind { $($(#[$doc])* $variant,)* }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $wire,)* }
            }

            pub fn parse(s: &str) -> Option<EventKind> {
                match s { $($wire => Some(EventKind::$variant),)* _ => None }
            }
        }
    };
}

kinds! {
    AppointmentBooked = "appointment.booked",
    AppointmentCancelled = "appointment.cancelled",
    /// `subjects.previous` is the appointment that was moved, `subjects.appointment` the new one.
    AppointmentRescheduled = "appointment.rescheduled",
    AppointmentStatusChanged = "appointment.status_changed",
    /// A reminder timer came due for a still-booked appointment; the dispatcher sends it.
    AppointmentReminder = "appointment.reminder",
    HoldCreated = "hold.created",
    HoldReleased = "hold.released",
    HoldExpired = "hold.expired",
    ScheduleChanged = "schedule.changed",
    ClinicChanged = "clinic.changed",
    LocationChanged = "location.changed",
    PractitionerChanged = "practitioner.changed",
    ServiceChanged = "service.changed",
    StaffChanged = "staff.changed",
    /// A guest asked for a code. The event names no contact and no code; the outbox message
    /// for the dispatcher carries both.
    VerificationRequested = "verification.requested",
    /// Someone was invited to a clinic's staff. The event names nobody; the outbox message for
    /// the dispatcher carries the address and the invitation's token.
    StaffInvited = "staff.invitation",
    /// A background worker keeps failing (in-process only, never stored).
    OperatorAlert = "operator.alert",
    /// The cross-process relay reconnected: events may have been missed; re-read (never stored).
    RelayGap = "relay.gap",
    /// A ticket joined a queue (check-in, walk-in, transfer). Ids only, never a name.
    TicketIssued = "ticket.issued",
    /// A ticket was called (or recalled) to a desk or room.
    TicketCalled = "ticket.called",
    /// A ticket changed status or place (start, finish, absent, return, no-show, …).
    TicketChanged = "ticket.changed",
    /// A queue was opened or closed.
    QueueChanged = "queue.changed",
    /// A slot of an outside publisher (a source) became free: new, or busy before. Instance
    /// wide (the nil clinic); ids and times only.
    SourceSlotFree = "source.slot_free",
    /// A watcher was told a slot they wait for is free (notify mode). Ids and times only; the
    /// dispatcher's outbox message names the notice.
    WatchNotified = "watch.notified",
    /// A freed slot is held for a watcher (offer mode), with a one-tap accept link.
    WatchOffered = "watch.offered",
    /// A watcher was booked into a freed slot (auto-book, or an offer accepted).
    WatchBooked = "watch.booked",
    /// A watch's window ended without a slot; its watcher is told once.
    WatchExpired = "watch.expired",
    /// An outside (source) watch's window ended; its watcher is told once. Instance wide (the
    /// nil clinic, which has no outbox messages of its own): `subjects.watch` names it.
    SourceWatchExpired = "source_watch.expired",
    /// A patient's answers to an intake form were stored (ids only; the answers are sealed).
    FormAnswered = "form.answered",
    /// A secure message was posted; `user` is set when staff wrote it (the dispatcher tells
    /// the patient, without the content). Never the body.
    SecureMessagePosted = "secure_message.posted",
}

impl EventKind {
    /// Whether it is numbered and kept in `events` (everything but process-local signals).
    pub fn stored(self) -> bool {
        !matches!(self, EventKind::OperatorAlert | EventKind::RelayGap)
    }

    /// Whether cached clinic contexts (clinic, locations, catalogue) must be re-read.
    pub fn changes_directory(self) -> bool {
        matches!(
            self,
            EventKind::ClinicChanged
                | EventKind::LocationChanged
                | EventKind::PractitionerChanged
                | EventKind::ServiceChanged
                | EventKind::RelayGap
        )
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        EventKind::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown event kind {s}")))
    }
}

/// The ids (and kinds) an event concerns. Deliberately no free text, no contact, no hold or
/// verification id: anyone who can LISTEN on the database, and every staff stream, sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subjects {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appointment: Option<AppointmentId>,
    /// For a reschedule: the appointment that was moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<AppointmentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub practitioner: Option<PractitionerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LocationId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AppointmentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
    /// A schedule exception's local date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<jiff::civil::Date>,
    /// A staff member whose membership changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserId>,
    /// Operator alerts only (in-process): the worker that keeps failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<String>,
    /// The day-of queue a ticket event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketId>,
    /// A source (outside publisher) and one of its slots' ids, as the publisher names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    /// An outside (source) watch whose window ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<String>,
    /// The patient a form answer or secure message is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<nobat_core::PatientId>,
    /// A secure message's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Subjects {
    /// An appointment's ids, times and status.
    pub fn appointment(a: &crate::model::Appointment) -> Subjects {
        Subjects {
            appointment: Some(a.id),
            practitioner: Some(a.practitioner),
            service: Some(a.service),
            location: Some(a.location),
            status: Some(a.status),
            start: Some(a.start),
            end: Some(a.end),
            ..Subjects::default()
        }
    }

    pub fn practitioner(p: PractitionerId) -> Subjects {
        Subjects { practitioner: Some(p), ..Subjects::default() }
    }
}

/// A committed change, published in commit order to in-process listeners (live streams, the
/// watch matcher, caches) and to other processes after the transaction that wrote it commits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub clinic: ClinicId,
    /// Consecutive per clinic from 1, assigned at commit; 0 for events that are not stored.
    pub seq: i64,
    pub kind: EventKind,
    pub subjects: Subjects,
    pub at: Timestamp,
}

impl Event {
    /// An event that is not the result of a database change (operator alerts, relay gaps).
    pub fn local(clinic: ClinicId, kind: EventKind, subjects: Subjects) -> Event {
        Event { clinic, seq: 0, kind, subjects, at: Timestamp::now() }
    }

    /// The wire name of its kind.
    pub fn topic(&self) -> &'static str {
        self.kind.as_str()
    }
}

/// An emitted event waiting for its number, with the message its consumers get (if any).
#[derive(Debug, Clone)]
pub(crate) struct PendingEvent {
    pub event: Event,
    /// The outbox payload; `None` means the subjects themselves.
    pub message: Option<serde_json::Value>,
}

/// Numbers and writes the batch's events (see the module comment). Returns them numbered, in
/// emission order. Runs inside the batch's transaction, after the audit seal.
pub(crate) async fn seal(conn: &mut Conn, pending: Vec<PendingEvent>) -> StoreResult<Vec<Event>> {
    let mut pending: Vec<PendingEvent> = pending.into_iter().filter(|p| p.event.kind.stored()).collect();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    // Clinics in a fixed order, so two processes lock heads in the same order.
    let mut by_clinic: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in pending.iter().enumerate() {
        by_clinic.entry(p.event.clinic.to_string()).or_default().push(i);
    }
    for (clinic, indexes) in &by_clinic {
        let n = indexes.len() as i64;
        let head = db::query(
            "INSERT INTO event_heads (clinic_id, last_seq) VALUES ($1, $2) \
             ON CONFLICT (clinic_id) DO UPDATE SET last_seq = event_heads.last_seq + $2 RETURNING last_seq",
        )
        .bind(clinic.as_str())
        .bind(n)
        .fetch_one(&mut *conn)
        .await?;
        let last = head.int("last_seq")?;
        for (k, &i) in indexes.iter().enumerate() {
            pending[i].event.seq = last - n + 1 + k as i64;
        }
    }
    write_events(conn, &pending).await?;
    // Read under the heads' locks: a later seq of the same clinic is sealed by a transaction
    // that got the head after this one committed, so its reading is later too, and consumers
    // that claim oldest-available first take each clinic's messages in seq order.
    let sealed_at = Timestamp::now().as_microsecond();
    crate::commands::outbox::enqueue(conn, &pending, sealed_at).await?;
    Ok(pending.into_iter().map(|p| p.event).collect())
}

async fn write_events(conn: &mut Conn, pending: &[PendingEvent]) -> StoreResult<()> {
    for chunk in pending.chunks(100) {
        let mut rows = Vec::with_capacity(chunk.len());
        for p in chunk {
            let subjects = serde_json::to_string(&p.event.subjects).unwrap_or_else(|_| "{}".into());
            rows.push(vec![
                Value::from(p.event.clinic.to_string()),
                Value::from(p.event.seq),
                Value::from(p.event.kind.as_str()),
                Value::from(subjects),
                Value::from(p.event.at.as_microsecond()),
            ]);
        }
        insert_rows(conn, "INSERT INTO events (clinic_id, seq, kind, subjects, at_us) VALUES ", rows).await?;
    }
    Ok(())
}

/// One multi-row INSERT: `head` followed by a `($n, …)` group per row.
pub(crate) async fn insert_rows(conn: &mut Conn, head: &str, rows: Vec<Vec<Value>>) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(head);
    let mut n = 0;
    let mut values = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for k in 0..row.len() {
            if k > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push_str(&format!("${n}"));
        }
        sql.push(')');
        values.extend(row);
    }
    let mut q = db::query(sql);
    for v in values {
        q = q.bind(v);
    }
    q.execute(conn).await?;
    Ok(())
}

impl Store {
    /// The seq of the clinic's newest event (0 before its first).
    pub async fn event_head(&self, clinic: ClinicId) -> StoreResult<i64> {
        let mut conn = self.reader().await?;
        let row = db::query("SELECT last_seq FROM event_heads WHERE clinic_id = $1")
            .bind(clinic.to_string())
            .fetch_optional(&mut conn)
            .await?;
        row.map_or(Ok(0), |r| rows::int(&r, "last_seq"))
    }

    /// A clinic's stored events with a seq above `after`, oldest first, at most `limit`
    /// (1–1000). A consumer that missed the broadcast (restart, relay gap) catches up here.
    /// Events older than the retention period are gone: a first seq above `after + 1` says so.
    pub async fn events_since(&self, clinic: ClinicId, after: i64, limit: u32) -> StoreResult<Vec<Event>> {
        let mut conn = self.reader().await?;
        let found = db::query(
            "SELECT seq, kind, subjects, at_us FROM events WHERE clinic_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(clinic.to_string())
        .bind(after)
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                let kind = rows::text(r, "kind")?;
                Ok(Event {
                    clinic,
                    seq: rows::int(r, "seq")?,
                    kind: EventKind::parse(&kind)
                        .ok_or_else(|| crate::StoreError::Corrupt(format!("unknown event kind {kind}")))?,
                    subjects: rows::json(r, "subjects")?,
                    at: rows::ts(r, "at_us")?,
                })
            })
            .collect()
    }
}
