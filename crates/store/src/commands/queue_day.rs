//! The end of a queue's day: closing it (by hand, or by the end-of-day timer at the
//! location's last opening hour plus the clinic's `close_after_min`, computed by
//! `nobat_core::queue::day_end`). Both go through [`close`], so every remaining ticket gets the
//! same final status either way; a day already closed is left as it is, so the timer and a
//! manual close never both apply.

use super::jobs::{IfScheduled, NewJob, cancel_in, schedule_in};
use super::queue::{QUEUE_CLOSE, QUEUE_GRACE, full_settings, lock_queue, read_ticket};
use super::queue_tickets::{appointment_follows, hop, set_status, snapshot, subjects};
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::rows;
use crate::tx::WriteTx;
use jiff::SignedDuration;
use nobat_core::queue::{self as q, Action, TicketStatus};
use nobat_core::{AppointmentStatus, ClinicId, LocationId, QueueId, TicketId};

/// The location's last opening minute on `date`: the latest end of a weekly rule in force
/// that weekday, or of an extra opening that day (`None` when nobody works there).
async fn last_end_min(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    location: LocationId,
    date: jiff::civil::Date,
) -> StoreResult<Option<u32>> {
    // Bit 0 is Monday (see `schedule_rules.weekdays`).
    let bit = 1i64 << (date.weekday().to_monday_zero_offset());
    let day = date.to_string();
    let row = crate::db::query(
        "SELECT MAX(end_min) AS m FROM (\
           SELECT end_min FROM schedule_rules WHERE clinic_id = $1 AND location_id = $2 \
             AND (weekdays & $3) <> 0 AND valid_from <= $4 AND (valid_until IS NULL OR valid_until >= $4) \
           UNION ALL SELECT end_min FROM schedule_exceptions WHERE clinic_id = $1 AND kind = 'extra' \
             AND date = $4 AND end_min IS NOT NULL AND (location_id IS NULL OR location_id = $2)) AS ends",
    )
    .bind(clinic.to_string())
    .bind(location.to_string())
    .bind(bit)
    .bind(day)
    .fetch_one(&mut *tx.conn)
    .await?;
    Ok(rows::opt_int(&row, "m")?.and_then(|m| u32::try_from(m).ok()))
}

/// Schedules the end-of-day timer of a queue just opened.
pub(crate) async fn schedule_day_end(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    queue: QueueId,
    location: LocationId,
    date: jiff::civil::Date,
) -> StoreResult<()> {
    let tz_row = crate::db::query("SELECT time_zone FROM locations WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(location.to_string())
        .fetch_one(&mut *tx.conn)
        .await?;
    let tz = nobat_core::zones::get(&rows::text(&tz_row, "time_zone")?)
        .map_err(|e| StoreError::Corrupt(format!("location zone: {e}")))?;
    let end = last_end_min(tx, clinic, location, date).await?;
    let after = SignedDuration::from_mins(i64::from(full_settings(tx, clinic).await?.close_after_min));
    let job = NewJob {
        clinic: Some(clinic),
        kind: QUEUE_CLOSE,
        key: queue.to_string(),
        run_at: q::day_end::close_at(date, end, &tz, after),
        payload: serde_json::json!({ "queue": queue }),
        if_scheduled: IfScheduled::Replace,
    };
    schedule_in(tx, &job).await
}

/// The end-of-day timer: closes the queue's day unless it is closed already.
pub(crate) async fn auto_close(tx: &mut WriteTx<'_>, clinic: ClinicId, queue: QueueId) -> StoreResult<()> {
    let exists = crate::db::query("SELECT id FROM queues WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(queue.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?;
    if exists.is_none() {
        return Ok(());
    }
    close(tx, clinic, &AuditActor::new("system", "end of the queue's day"), queue).await
}

/// Closes a queue's day: each open ticket gets its final status (core's `Close` row), each
/// appointment follows, pending grace timers go.
pub(crate) async fn close(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    actor: &AuditActor,
    queue: QueueId,
) -> StoreResult<()> {
    let locked = lock_queue(tx, clinic, queue).await?;
    if locked.closed {
        return Ok(());
    }
    // Closed by hand before its time: the timer has nothing left to do.
    cancel_in(tx, Some(clinic), QUEUE_CLOSE, &queue.to_string()).await?;
    let open = crate::db::query(
        "SELECT id FROM tickets WHERE clinic_id = $1 AND queue_id = $2 AND status IN ('waiting', 'called', 'in_service', 'absent')",
    )
    .bind(clinic.to_string())
    .bind(queue.to_string())
    .fetch_all(&mut *tx.conn)
    .await?;
    for row in &open {
        let id: TicketId = rows::parse(row, "id")?;
        let before = read_ticket(tx, clinic, id).await?;
        let to = q::apply(before.status, Action::Close)?;
        set_status(tx, clinic, id, to, ", finished_at_us = $4").await?;
        hop(tx, clinic, id, queue, to, None).await?;
        cancel_in(tx, Some(clinic), QUEUE_GRACE, &id.to_string()).await?;
        match to {
            TicketStatus::Done => appointment_follows(tx, &before, AppointmentStatus::Fulfilled, actor).await?,
            TicketStatus::NoShow => appointment_follows(tx, &before, AppointmentStatus::Noshow, actor).await?,
            _ => {}
        }
        tx.emit(clinic, EventKind::TicketChanged, subjects(&before)).await?;
    }
    crate::db::query("UPDATE queues SET closed_at_us = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(queue.to_string())
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    let subjects = Subjects { queue: Some(queue), location: Some(locked.location), ..Subjects::default() };
    tx.emit(clinic, EventKind::QueueChanged, subjects).await?;
    tx.audit(clinic, actor, Audit::new("close", "queue", &queue.to_string()).note(Some("day closed")));
    snapshot(tx, clinic, queue).await
}
