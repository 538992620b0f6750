//! The outbox, delivered per consumer.
//!
//! Every stored event is a message; an event that carries more than ids (a verification
//! code and its address) has its private message in `outbox`. Delivery state is one row per
//! (message, consumer) in `outbox_deliveries`, so the notification dispatcher, webhooks and the
//! watch matcher each work at their own pace and one completing empties nothing for the
//! others. Which consumer wants which kinds is the [`CONSUMERS`] table; adding a consumer is
//! one line there.
//!
//! A commit writes only the event (numbered, see `crate::events`). A claim first turns the
//! events past the consumer's per-clinic cursor that it wants into pending delivery rows and
//! moves the cursor, in the claim's transaction ([`materialize`]), so a consumer that was down
//! catches up from the log, in seq order, and nothing is taken twice. It then leases rows
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so claimers in several processes take disjoint
//! rows); the consumer completes them with the lease token, or gives them back with an error
//! to retry after a backoff. Processing is at-least-once across crashes (a lease that runs out
//! makes the row claimable again) and completion exactly-once (it needs the current token).
//! Rows are handed out in order per appointment: a consumer never gets message n+1 about an
//! appointment while message n about it is still pending or leased. After `max_attempts`
//! claims a row is dead-lettered (`dead`, last error kept); a message older than the
//! consumer's `max_age` (a verification code: its 10-minute life) is never handed out and is
//! dead-lettered by the retention sweep. [`prune`] deletes finished rows and old events in
//! small batches.

use crate::db::{Conn, Value};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, PendingEvent};
use crate::rows;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::{ClinicId, DomainError};
use serde::{Deserialize, Serialize};

/// One consumer of the outbox and the kinds it takes.
#[derive(Debug)]
pub struct Consumer {
    pub name: &'static str,
    pub wants: &'static [EventKind],
    /// Claims before a row is dead-lettered.
    pub max_attempts: i64,
    /// A message older than this is stale for this consumer: never handed out, dead-lettered.
    pub max_age: SignedDuration,
}

use EventKind::*;

/// Every consumer. A commit writes only the event; each consumer turns the events whose kind is
/// in its `wants` into its own deliveries when it claims (see `materialize`).
pub const CONSUMERS: &[Consumer] = &[
    // Notifications to patients and staff (SMS, email): confirmations, changes, codes.
    Consumer {
        name: "dispatcher",
        wants: &[
            AppointmentBooked,
            AppointmentCancelled,
            AppointmentRescheduled,
            AppointmentStatusChanged,
            VerificationRequested,
            StaffInvited,
            AppointmentReminder,
            // The queue's "please come to room 3" and "you are next".
            TicketIssued,
            TicketCalled,
            TicketChanged,
            SourceSlotFree,
            WatchNotified,
            WatchOffered,
            WatchBooked,
            WatchExpired,
            SourceWatchExpired,
            // A staff secure message: the patient is told there is one (never its text).
            SecureMessagePosted,
        ],
        max_attempts: 8,
        max_age: SignedDuration::from_hours(24),
    },
    // Clinics' own systems (HTTP callbacks).
    Consumer {
        name: "webhooks",
        wants: &[AppointmentBooked, AppointmentCancelled, AppointmentRescheduled, AppointmentStatusChanged],
        max_attempts: 10,
        max_age: SignedDuration::from_hours(72),
    },
    // The watch matcher: time that frees up may be offered to someone waiting for it.
    Consumer {
        name: "watches",
        wants: &[
            AppointmentCancelled,
            AppointmentRescheduled,
            AppointmentStatusChanged,
            HoldReleased,
            HoldExpired,
            ScheduleChanged,
            // Reactivated practitioners and services, or a location's zone moved: time may free up.
            PractitionerChanged,
            ServiceChanged,
            LocationChanged,
        ],
        max_attempts: 10,
        max_age: SignedDuration::from_hours(24),
    },
];

/// A verification code is useless after its life: its message is never sent later.
const CODE_LIFE: SignedDuration = SignedDuration::from_mins(10);

pub fn consumer(name: &str) -> StoreResult<&'static Consumer> {
    CONSUMERS
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| DomainError::invalid("consumer", format!("no outbox consumer named {name}")).into())
}

/// A claimed delivery: one message for one consumer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub clinic: ClinicId,
    /// The message's id.
    pub id: String,
    pub consumer: String,
    /// The seq of the event the message belongs to (0 for messages older than events).
    pub seq: i64,
    pub topic: String,
    pub payload: serde_json::Value,
    /// How many times it has been claimed, this claim included.
    pub attempts: i64,
    /// This claim's token: completing or releasing the row needs it, so a claimer whose lease
    /// ran out cannot undo the claim of whoever took the row next.
    pub lease: String,
}

/// Writes the private messages of freshly numbered events (called by the seal). Events
/// without one are their own message: nothing more is written at commit, whatever the number
/// of consumers; deliveries are made from the log when a consumer claims ([`materialize`]).
pub(crate) async fn enqueue(conn: &mut Conn, pending: &[PendingEvent], sealed_at: i64) -> StoreResult<()> {
    let mut messages = Vec::new();
    for p in pending {
        let (e, Some(m)) = (&p.event, &p.message) else { continue };
        messages.push(vec![
            Value::from(e.clinic.to_string()),
            Value::from(uuid::Uuid::now_v7().to_string()),
            Value::from(e.kind.as_str()),
            Value::from(m.to_string()),
            Value::from(sealed_at),
            Value::from(sealed_at),
            Value::from(0),
            Value::from(e.seq),
        ]);
    }
    for chunk in chunked(messages, 60) {
        crate::events::insert_rows(
            conn,
            "INSERT INTO outbox (clinic_id, id, topic, payload, created_at_us, available_at_us, attempts, seq) VALUES ",
            chunk,
        )
        .await?;
    }
    Ok(())
}

/// Turns the events `c` wants that are past its cursors into pending deliveries and moves the
/// cursors, a bounded number per call. The cursor row is locked first (clinics in a fixed
/// order), so two claimers of one consumer never take the same events twice; a consumer that
/// was down resumes where its cursor stands.
async fn materialize(tx: &mut WriteTx<'_>, c: &Consumer) -> StoreResult<()> {
    let behind = crate::db::query(
        "SELECT h.clinic_id FROM event_heads h LEFT JOIN outbox_cursors k ON k.clinic_id = h.clinic_id AND k.consumer = $1 \
         WHERE h.last_seq > COALESCE(k.last_seq, 0) ORDER BY h.clinic_id LIMIT 50",
    )
    .bind(c.name)
    .fetch_all(&mut *tx.conn)
    .await?;
    let now = tx.now.as_microsecond();
    for row in behind {
        let clinic = rows::text(&row, "clinic_id")?;
        let cursor = crate::db::query(
            "INSERT INTO outbox_cursors (clinic_id, consumer, last_seq) VALUES ($1, $2, 0) \
             ON CONFLICT (clinic_id, consumer) DO UPDATE SET last_seq = outbox_cursors.last_seq RETURNING last_seq",
        )
        .bind(clinic.as_str())
        .bind(c.name)
        .fetch_one(&mut *tx.conn)
        .await?
        .int("last_seq")?;
        let events = crate::db::query(
            "SELECT seq, kind, subjects, at_us FROM events WHERE clinic_id = $1 AND seq > $2 ORDER BY seq LIMIT 500",
        )
        .bind(clinic.as_str())
        .bind(cursor)
        .fetch_all(&mut *tx.conn)
        .await?;
        let Some(last) = events.last().map(|r| rows::int(r, "seq")).transpose()? else { continue };
        let mut deliveries = Vec::new();
        for e in &events {
            let Some(kind) = EventKind::parse(&rows::text(e, "kind")?) else { continue };
            if !c.wants.contains(&kind) {
                continue;
            }
            let seq = rows::int(e, "seq")?;
            let subjects: crate::events::Subjects = rows::json(e, "subjects")?;
            // Ordered per appointment; a reschedule is ordered after what was said about the
            // appointment it moved.
            let key = subjects.previous.or(subjects.appointment).map(|a| a.to_string()).unwrap_or_default();
            // All available now, so a catching-up consumer takes them in seq order.
            deliveries.push(vec![
                Value::from(clinic.as_str()),
                Value::from(seq.to_string()),
                Value::from(c.name),
                Value::from(seq),
                Value::from(kind.as_str()),
                Value::from(key),
                Value::from("pending"),
                Value::from(0),
                Value::from(rows::int(e, "at_us")?),
                Value::from(now),
            ]);
        }
        for chunk in chunked(deliveries, 60) {
            crate::events::insert_rows(
                &mut *tx.conn,
                "INSERT INTO outbox_deliveries (clinic_id, message_id, consumer, seq, topic, ordering_key, status, \
                 attempts, created_at_us, available_at_us) VALUES ",
                chunk,
            )
            .await?;
        }
        crate::db::query("UPDATE outbox_cursors SET last_seq = $1 WHERE clinic_id = $2 AND consumer = $3")
            .bind(last)
            .bind(clinic.as_str())
            .bind(c.name)
            .execute(&mut *tx.conn)
            .await?;
    }
    Ok(())
}

/// A delivery's payload: the private message if its event has one, else the event's subjects
/// (`seq` 0: a message from before events, by its id).
async fn payload(tx: &mut WriteTx<'_>, clinic: &str, id: &str, seq: i64) -> StoreResult<serde_json::Value> {
    let message = if seq == 0 {
        crate::db::query("SELECT payload FROM outbox WHERE clinic_id = $1 AND id = $2").bind(clinic).bind(id)
    } else {
        crate::db::query("SELECT payload FROM outbox WHERE clinic_id = $1 AND seq = $2").bind(clinic).bind(seq)
    };
    if let Some(m) = message.fetch_optional(&mut *tx.conn).await? {
        return rows::json(&m, "payload");
    }
    let event = crate::db::query("SELECT subjects FROM events WHERE clinic_id = $1 AND seq = $2")
        .bind(clinic)
        .bind(seq)
        .fetch_optional(&mut *tx.conn)
        .await?;
    event.map_or(Ok(serde_json::Value::Null), |e| rows::json(&e, "subjects"))
}

fn chunked<T>(mut v: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    while v.len() > n {
        let rest = v.split_off(n);
        out.push(std::mem::replace(&mut v, rest));
    }
    if !v.is_empty() {
        out.push(v);
    }
    out
}

pub(crate) async fn claim(
    tx: &mut WriteTx<'_>,
    name: &str,
    limit: u32,
    lease: SignedDuration,
) -> StoreResult<super::Output> {
    let c = consumer(name)?;
    let now = tx.now.as_microsecond();
    let until = tx.now.checked_add(lease).unwrap_or(Timestamp::MAX);
    let token = uuid::Uuid::new_v4().to_string();
    materialize(tx, c).await?;
    // Rows whose last lease ran out with no attempt left (the consumer crashed on them).
    crate::db::query(
        "UPDATE outbox_deliveries SET status = 'dead', done_at_us = $3, leased_until_us = NULL, lease_token = NULL, \
         last_error = COALESCE(last_error, 'the lease ran out on every attempt') \
         WHERE consumer = $1 AND status = 'pending' AND attempts >= $2 AND leased_until_us <= $3",
    )
    .bind(c.name)
    .bind(c.max_attempts)
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    let sql = format!(
        "UPDATE outbox_deliveries SET leased_until_us = $2, lease_token = $4, attempts = attempts + 1 \
         WHERE (clinic_id, message_id, consumer) IN \
           (SELECT d.clinic_id, d.message_id, d.consumer FROM outbox_deliveries d \
             WHERE d.consumer = $5 AND d.status = 'pending' AND d.available_at_us <= $1 \
               AND (d.leased_until_us IS NULL OR d.leased_until_us <= $1) AND d.attempts < $6 \
               AND d.created_at_us > $7 AND (d.topic <> 'verification.requested' OR d.created_at_us > $8) \
               AND (d.ordering_key = '' OR NOT EXISTS (SELECT 1 FROM outbox_deliveries e \
                     WHERE e.clinic_id = d.clinic_id AND e.consumer = d.consumer AND e.ordering_key = d.ordering_key \
                       AND e.status = 'pending' AND e.seq < d.seq)) \
             ORDER BY d.available_at_us, d.seq LIMIT $3{}) \
         RETURNING clinic_id, message_id, consumer, seq, topic, attempts, lease_token",
        tx.skip_locked()
    );
    let found = crate::db::query(sql)
        .bind(now)
        .bind(until.as_microsecond())
        .bind(i64::from(limit.clamp(1, 1000)))
        .bind(token.as_str())
        .bind(c.name)
        .bind(c.max_attempts)
        .bind(now - c.max_age.as_micros() as i64)
        .bind(now - CODE_LIFE.as_micros() as i64)
        .fetch_all(&mut *tx.conn)
        .await?;
    let mut items = Vec::with_capacity(found.len());
    for r in &found {
        let clinic: ClinicId = rows::parse(r, "clinic_id")?;
        let id = rows::text(r, "message_id")?;
        let seq = rows::int(r, "seq")?;
        let payload = payload(tx, &clinic.to_string(), &id, seq).await?;
        items.push(OutboxItem {
            clinic,
            id,
            consumer: rows::text(r, "consumer")?,
            seq,
            topic: rows::text(r, "topic")?,
            payload,
            attempts: rows::int(r, "attempts")?,
            lease: rows::text(r, "lease_token")?,
        });
    }
    // Oldest first: by clinic and seq (UUIDv7 message ids for the backlog before seqs).
    items.sort_by(|a, b| (a.clinic.to_string(), a.seq, &a.id).cmp(&(b.clinic.to_string(), b.seq, &b.id)));
    Ok(super::Output::Outbox(items))
}

/// Marks claimed deliveries done; counts those whose lease was still the claimer's.
pub(crate) async fn complete(tx: &mut WriteTx<'_>, items: &[OutboxItem]) -> StoreResult<super::Output> {
    let mut done = 0;
    for item in items {
        done += crate::db::query(
            "UPDATE outbox_deliveries SET status = 'delivered', done_at_us = $4, leased_until_us = NULL \
             WHERE clinic_id = $1 AND message_id = $2 AND consumer = $3 AND status = 'pending' AND lease_token = $5",
        )
        .bind(item.clinic.to_string())
        .bind(item.id.as_str())
        .bind(item.consumer.as_str())
        .bind(tx.now.as_microsecond())
        .bind(item.lease.as_str())
        .execute(&mut *tx.conn)
        .await?;
    }
    Ok(super::Output::Count(done))
}

/// The pause before the next attempt after `attempts` failed ones: 30 s, 1, 2, 4 … min, at
/// most an hour.
pub fn backoff(attempts: i64) -> SignedDuration {
    let secs = 30i64.saturating_mul(1 << attempts.clamp(1, 8).saturating_sub(1));
    SignedDuration::from_secs(secs.min(3600))
}

/// Gives a claimed row back with what went wrong, to be tried again after `after` (default:
/// [`backoff`]); with no attempt left it is dead-lettered instead. Only the lease holder may.
pub(crate) async fn retry_later(
    tx: &mut WriteTx<'_>,
    item: &OutboxItem,
    after: Option<SignedDuration>,
    error: &str,
) -> StoreResult<super::Output> {
    let c = consumer(&item.consumer)?;
    let now = tx.now.as_microsecond();
    let at = tx.now.checked_add(after.unwrap_or_else(|| backoff(item.attempts))).unwrap_or(Timestamp::MAX);
    let dead = item.attempts >= c.max_attempts;
    let error: String = error.chars().take(1000).collect();
    let n = crate::db::query(
        "UPDATE outbox_deliveries SET leased_until_us = NULL, lease_token = NULL, last_error = $5, \
           available_at_us = $6, status = CASE WHEN $7 = 1 THEN 'dead' ELSE status END, \
           done_at_us = CASE WHEN $7 = 1 THEN $8 ELSE NULL END \
         WHERE clinic_id = $1 AND message_id = $2 AND consumer = $3 AND status = 'pending' AND lease_token = $4",
    )
    .bind(item.clinic.to_string())
    .bind(item.id.as_str())
    .bind(item.consumer.as_str())
    .bind(item.lease.as_str())
    .bind(error)
    .bind(at.as_microsecond())
    .bind(i64::from(dead))
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound("outbox lease"));
    }
    Ok(super::Output::Done)
}

/// How long delivered and dead outbox rows and events are kept by the retention sweep.
pub const RETENTION: SignedDuration = SignedDuration::from_hours(7 * 24);

/// Retention, in bounded batches (call again until it returns 0): dead-letters deliveries too
/// old to be sent, deletes finished deliveries, messages nobody waits for and events older
/// than `keep`, at most `batch` rows of each kind. Returns how many rows it changed.
pub(crate) async fn prune(tx: &mut WriteTx<'_>, keep: SignedDuration, batch: u32) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    let cutoff = now - keep.as_micros().max(0) as i64;
    let batch = i64::from(batch.clamp(1, 10_000));
    let pk = "(clinic_id, message_id, consumer)";
    let cols = "clinic_id, message_id, consumer";
    let mut changed = 0;
    for c in CONSUMERS {
        changed += crate::db::query(format!(
            "UPDATE outbox_deliveries SET status = 'dead', done_at_us = $1, leased_until_us = NULL, lease_token = NULL, \
             last_error = 'too old to deliver' WHERE {pk} IN (SELECT {cols} FROM outbox_deliveries \
               WHERE consumer = $2 AND status = 'pending' AND (leased_until_us IS NULL OR leased_until_us <= $1) \
                 AND (created_at_us <= $3 OR (topic = 'verification.requested' AND created_at_us <= $4)) LIMIT $5)"
        ))
        .bind(now)
        .bind(c.name)
        .bind(now - c.max_age.as_micros() as i64)
        .bind(now - CODE_LIFE.as_micros() as i64)
        .bind(batch)
        .execute(&mut *tx.conn)
        .await?;
    }
    changed += crate::db::query(format!(
        "DELETE FROM outbox_deliveries WHERE {pk} IN (SELECT {cols} FROM outbox_deliveries \
         WHERE status <> 'pending' AND done_at_us <= $1 LIMIT $2)"
    ))
    .bind(cutoff)
    .bind(batch)
    .execute(&mut *tx.conn)
    .await?;
    // Events (and the messages that go with them) are the deliveries a consumer has not
    // taken yet: they stay until every consumer would find them stale anyway.
    let longest = CONSUMERS.iter().map(|c| c.max_age).max().unwrap_or(SignedDuration::ZERO);
    let log_cutoff = cutoff.min(now - longest.as_micros() as i64);
    changed += crate::db::query(
        "DELETE FROM outbox WHERE (clinic_id, id) IN (SELECT o.clinic_id, o.id FROM outbox o WHERE o.created_at_us <= $1 \
           AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.clinic_id = o.clinic_id AND d.status = 'pending' \
                           AND (d.message_id = o.id OR d.seq = o.seq)) \
         LIMIT $2)",
    )
    .bind(log_cutoff)
    .bind(batch)
    .execute(&mut *tx.conn)
    .await?;
    changed += crate::db::query(
        "DELETE FROM events WHERE (clinic_id, seq) IN (SELECT clinic_id, seq FROM events WHERE at_us <= $1 LIMIT $2)",
    )
    .bind(log_cutoff)
    .bind(batch)
    .execute(&mut *tx.conn)
    .await?;
    Ok(super::Output::Count(changed))
}
