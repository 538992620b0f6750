//! Reminder jobs: planned in the transaction that books (or moves) an appointment, removed in
//! the one that cancels it, and, when one comes due, an `appointment.reminder` event for the
//! dispatcher — only if the appointment is still booked at the start it was planned for, and
//! not while the clinic's quiet hours are on (a late job is dropped rather than sent at night).
//!
//! One job per planned reminder, named `<appointment id>/<offset minutes>` so a cancel can
//! remove them all by prefix. When the rule is (`nobat_core::reminders`): settings changed
//! later do not move reminders already planned; they apply to bookings made afterwards.

use super::jobs::{IfScheduled, NewJob, schedule_in};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::model::Appointment;
use crate::tx::WriteTx;
use nobat_core::reminders::reminder_times;
use nobat_core::{AppointmentId, AppointmentStatus, ClinicId};

/// The job kind; key `<appointment id>/<offset minutes>`, payload `{"appointment", "start_us"}`.
pub const REMINDER: &str = "reminder";

/// Plans the appointment's reminders (inside the booking's transaction).
pub(crate) async fn schedule_for(tx: &mut WriteTx<'_>, a: &Appointment) -> StoreResult<()> {
    let policy = crate::message_templates::policy_for(&mut *tx.conn, a.clinic, a.service).await?;
    if policy.offsets.is_empty() {
        return Ok(());
    }
    let zone = location_zone(tx, a).await?;
    for r in reminder_times(a.start, tx.now, &zone, &policy) {
        let job = NewJob {
            clinic: Some(a.clinic),
            kind: REMINDER,
            key: format!("{}/{}", a.id, r.offset_minutes),
            run_at: r.at,
            payload: serde_json::json!({ "appointment": a.id, "start_us": a.start.as_microsecond() }),
            if_scheduled: IfScheduled::Replace,
        };
        schedule_in(tx, &job).await?;
    }
    Ok(())
}

async fn location_zone(tx: &mut WriteTx<'_>, a: &Appointment) -> StoreResult<jiff::tz::TimeZone> {
    let row = crate::db::query("SELECT time_zone FROM locations WHERE clinic_id = $1 AND id = $2")
        .bind(a.clinic.to_string())
        .bind(a.location.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("location"))?;
    let name = crate::rows::text(&row, "time_zone")?;
    nobat_core::zones::get(&name).map_err(|e| StoreError::Corrupt(format!("time zone {name}: {e}")))
}

/// Removes every reminder planned for the appointment (inside the cancel's transaction).
pub(crate) async fn cancel_for(tx: &mut WriteTx<'_>, clinic: ClinicId, appointment: AppointmentId) -> StoreResult<u64> {
    // Ids are UUIDs: no `%` or `_` to escape in the prefix.
    crate::db::query("DELETE FROM jobs WHERE clinic_id = $1 AND kind = $2 AND key LIKE $3")
        .bind(clinic.to_string())
        .bind(REMINDER)
        .bind(format!("{appointment}/%"))
        .execute(&mut *tx.conn)
        .await
}

/// Whether now is inside the clinic's quiet hours where the appointment is. Planned reminders
/// never fall there; one that does is late (it came due while no process was running) and is
/// not sent: a reminder at 03:00 is worse than none.
async fn in_quiet_hours(tx: &mut WriteTx<'_>, a: &Appointment) -> StoreResult<bool> {
    let Some(quiet) = crate::message_templates::clinic_policy(&mut *tx.conn, a.clinic).await?.quiet else {
        return Ok(false);
    };
    let local = tx.now.to_zoned(location_zone(tx, a).await?);
    let minute = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or(0);
    Ok(quiet.contains(minute))
}

/// A due reminder (its job row already taken by this runner): the event, if the appointment
/// is still booked at the planned start and that start is still ahead.
pub(crate) async fn run(tx: &mut WriteTx<'_>, clinic: ClinicId, payload: &serde_json::Value) -> StoreResult<()> {
    let id: AppointmentId = payload
        .get("appointment")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| StoreError::Corrupt(format!("reminder payload {payload}")))?;
    let start_us = payload.get("start_us").and_then(serde_json::Value::as_i64);
    let a = match super::slot_lock::load_appointment(tx, clinic, id).await {
        Ok(a) => a,
        // Erased with its clinic data: nothing to remind.
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let due = a.status == AppointmentStatus::Booked && Some(a.start.as_microsecond()) == start_us && tx.now < a.start;
    if due && !in_quiet_hours(tx, &a).await? {
        tx.emit(clinic, EventKind::AppointmentReminder, Subjects::appointment(&a)).await?;
    }
    Ok(())
}
