//! What every booking-like command shares: the practitioner's write lock, the calendar and the
//! core's decision read under it, and the appointment rows' reads and writes.

use crate::cache::Calendar;
use crate::calendar::{self, Excluding};
use crate::error::{StoreError, StoreResult};
use crate::model::{Appointment, Hold};
use crate::rows;
use crate::tx::WriteTx;
use jiff::Timestamp;
use nobat_core::availability::{PractitionerCalendar, block};
use nobat_core::booking::{Actor, Overridden, SlotRequest, decide_slot};
use nobat_core::{AppointmentId, ClinicId, DomainError, HoldId, PractitionerId, Service, ServiceId, Slot};
use std::sync::Arc;

/// The locked practitioner's calendar (from the writer's cache, current at `seq`) and the
/// requested service.
pub(super) async fn calendar_for(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    practitioner: PractitionerId,
    seq: i64,
    service: ServiceId,
) -> StoreResult<(Arc<Calendar>, Service)> {
    let today = tx.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let cal = tx.cache.get(tx.conn, clinic, practitioner, seq, today).await?;
    let service = cal.services.get(&service).cloned().ok_or(StoreError::NotFound("service"))?;
    Ok((cal, service))
}

/// Reads the busy time that could stop the requested slot and asks the core. The caller must
/// already hold the practitioner's lock.
#[allow(clippy::too_many_arguments)]
pub(super) async fn decide_locked(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    req: &SlotRequest,
    service: &Service,
    cal: &Calendar,
    excluding: Excluding,
    actor: Actor,
) -> StoreResult<(Slot, Overridden)> {
    // Only what overlaps the requested appointment's own block can stop it; reading more would
    // make every booking cost O(bookings that day).
    let end = req.start.checked_add(service.duration()).unwrap_or(Timestamp::MAX);
    let (bs, be) = block(service, req.start, end);
    let window = (bs.as_microsecond(), be.as_microsecond());
    let busy: Vec<_> =
        calendar::busy(tx.conn, clinic, Some(req.practitioner), window, tx.now.as_microsecond(), excluding)
            .await?
            .into_iter()
            .map(|(_, b)| b)
            .collect();
    let view = PractitionerCalendar {
        practitioner: req.practitioner,
        rules: &cal.rules,
        exceptions: &cal.exceptions,
        busy: &busy,
    };
    Ok(decide_slot(req, service, &view, &cal.zones, tx.now, actor)?)
}

/// What a lock requires of the practitioner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Must {
    /// Bookable: new appointments need an active practitioner.
    BeActive,
    /// Existing appointments of a practitioner who has since left can still be changed.
    Exist,
}

/// Takes the practitioner's write lock: a row lock on PostgreSQL (held to commit, so other
/// processes' changes for this practitioner wait), a version bump on SQLite where the writer
/// already runs alone. Every change to a practitioner's appointments or holds takes it first
/// and reads afterwards.
///
/// Returns the practitioner's `schedule_seq`, read under the lock: the key of the calendar cache.
pub(super) async fn lock_practitioner(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    p: PractitionerId,
    must: Must,
) -> StoreResult<i64> {
    let row = crate::db::query(
        "UPDATE practitioners SET booking_seq = booking_seq + 1 \
         WHERE clinic_id = $1 AND id = $2 AND (active = 1 OR $3 = 0) RETURNING schedule_seq",
    )
    .bind(clinic.to_string())
    .bind(p.to_string())
    .bind(i64::from(must == Must::BeActive))
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("practitioner"))?;
    rows::int(&row, "schedule_seq")
}

/// Finds the appointment, locks its practitioner, and reads it again under the lock.
pub(super) async fn locked_appointment(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: AppointmentId,
) -> StoreResult<Appointment> {
    let found = load_appointment(tx, clinic, id).await?;
    lock_practitioner(tx, clinic, found.practitioner, Must::Exist).await?;
    load_appointment(tx, clinic, id).await
}

/// The service of an existing appointment, active or not: a deactivated service's
/// appointments can still be cancelled under its cut-off.
pub(super) async fn load_service(tx: &mut WriteTx<'_>, clinic: ClinicId, id: ServiceId) -> StoreResult<Service> {
    let sql = format!("SELECT {} FROM services WHERE clinic_id = $1 AND id = $2", rows::SERVICE_COLS);
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("service"))?;
    rows::service(&row)
}

pub(super) async fn load_hold(tx: &mut WriteTx<'_>, clinic: ClinicId, id: HoldId) -> StoreResult<Hold> {
    let sql = format!("SELECT {} FROM holds WHERE clinic_id = $1 AND id = $2", rows::HOLD_COLS);
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or_else(|| {
            DomainError::HoldInvalid("the hold does not exist or has expired; choose the slot again".into())
        })?;
    rows::hold(&row)
}

pub(super) async fn load_appointment(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: AppointmentId,
) -> StoreResult<Appointment> {
    let sql = format!("SELECT {} FROM appointments WHERE clinic_id = $1 AND id = $2", rows::APPOINTMENT_COLS);
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("appointment"))?;
    rows::appointment(&row)
}

pub(super) async fn insert_appointment(tx: &mut WriteTx<'_>, a: &Appointment, service: &Service) -> StoreResult<()> {
    let (bs, be) = block(service, a.start, a.end);
    crate::db::query(
        "INSERT INTO appointments (clinic_id, id, location_id, practitioner_id, service_id, patient_id, start_us, end_us, \
         block_start_us, block_end_us, capacity, status, occupies, note, cancel_reason, override_note, rescheduled_from, \
         rescheduled_to, created_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(a.clinic.to_string())
    .bind(a.id.to_string())
    .bind(a.location.to_string())
    .bind(a.practitioner.to_string())
    .bind(a.service.to_string())
    .bind(a.patient.to_string())
    .bind(a.start.as_microsecond())
    .bind(a.end.as_microsecond())
    .bind(bs.as_microsecond())
    .bind(be.as_microsecond())
    .bind(i64::from(service.capacity))
    .bind(a.status.as_str())
    .bind(i64::from(a.status.occupies_time()))
    .bind(a.note.as_deref())
    .bind(a.cancel_reason.as_deref())
    .bind(a.override_note.as_deref())
    .bind(a.rescheduled_from.map(|x| x.to_string()))
    .bind(a.rescheduled_to.map(|x| x.to_string()))
    .bind(a.created_at.as_microsecond())
    .bind(a.updated_at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

pub(super) async fn update_status(tx: &mut WriteTx<'_>, a: &Appointment) -> StoreResult<()> {
    crate::db::query(
        "UPDATE appointments SET status = $3, occupies = $4, cancel_reason = $5, override_note = $6, \
         rescheduled_to = $7, updated_at_us = $8, ics_sequence = ics_sequence + 1 \
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(a.clinic.to_string())
    .bind(a.id.to_string())
    .bind(a.status.as_str())
    .bind(i64::from(a.status.occupies_time()))
    .bind(a.cancel_reason.as_deref())
    .bind(a.override_note.as_deref())
    .bind(a.rescheduled_to.map(|x| x.to_string()))
    .bind(a.updated_at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}
