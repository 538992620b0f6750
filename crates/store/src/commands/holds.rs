//! Holds: a slot reserved for a few minutes while a patient fills in a form; release; expiry.
//!
//! A hold takes the practitioner's lock and passes the same core decision as a booking, so a
//! held slot is never also booked or held by someone else.

use super::idempotency::{self, Idempotency};
use super::slot_lock::{Must, calendar_for, decide_locked, lock_practitioner};
use crate::calendar::Excluding;
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::model::Hold;
use crate::rows;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::availability::block;
use nobat_core::booking::{Actor, SlotRequest};
use nobat_core::{ClinicId, DomainError, HoldId, LocationId, PractitionerId, ServiceId};

/// A request to reserve a slot for a few minutes.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub clinic: ClinicId,
    pub service: ServiceId,
    pub practitioner: PractitionerId,
    pub location: Option<LocationId>,
    pub start: Timestamp,
    pub ttl: SignedDuration,
    pub actor: Actor,
    pub idempotency: Option<Idempotency>,
}

pub(crate) async fn hold(tx: &mut WriteTx<'_>, r: &HoldRequest) -> StoreResult<super::Output> {
    if let Some(hold) = idempotency::replay::<Hold>(tx, r.clinic, r.idempotency.as_ref()).await? {
        return Ok(super::Output::Hold { hold, replayed: true });
    }
    if r.ttl <= SignedDuration::ZERO || r.ttl > SignedDuration::from_hours(24) {
        return Err(DomainError::invalid("ttl", "a hold lasts between 1 second and 24 hours").into());
    }
    let req = SlotRequest { service: r.service, practitioner: r.practitioner, start: r.start, location: r.location };
    let seq = lock_practitioner(tx, r.clinic, r.practitioner, Must::BeActive).await?;
    let (cal, service) = calendar_for(tx, r.clinic, r.practitioner, seq, r.service).await?;
    let (slot, _) = decide_locked(tx, r.clinic, &req, &service, &cal, Excluding::default(), r.actor).await?;
    let (bs, be) = block(&service, slot.start, slot.end);
    let hold = Hold {
        id: HoldId::new(),
        clinic: r.clinic,
        location: slot.location,
        practitioner: slot.practitioner,
        service: slot.service,
        start: slot.start,
        end: slot.end,
        expires_at: tx.now.checked_add(r.ttl).map_err(|e| DomainError::invalid("ttl", e.to_string()))?,
    };
    crate::db::query(
        "INSERT INTO holds (clinic_id, id, location_id, practitioner_id, service_id, start_us, end_us, \
         block_start_us, block_end_us, expires_at_us, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.clinic.to_string())
    .bind(hold.id.to_string())
    .bind(hold.location.to_string())
    .bind(hold.practitioner.to_string())
    .bind(hold.service.to_string())
    .bind(hold.start.as_microsecond())
    .bind(hold.end.as_microsecond())
    .bind(bs.as_microsecond())
    .bind(be.as_microsecond())
    .bind(hold.expires_at.as_microsecond())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(r.clinic, EventKind::HoldCreated, hold_subjects(&hold)).await?;
    idempotency::remember(tx, r.clinic, r.idempotency.as_ref(), 201, &hold).await?;
    Ok(super::Output::Hold { hold, replayed: false })
}

pub(crate) async fn release_hold(tx: &mut WriteTx<'_>, clinic: ClinicId, id: HoldId) -> StoreResult<super::Output> {
    let done = crate::db::query(
        "DELETE FROM holds WHERE clinic_id = $1 AND id = $2 \
         RETURNING location_id, practitioner_id, service_id, start_us, end_us",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("hold"))?;
    tx.emit(clinic, EventKind::HoldReleased, freed_subjects(&done)?).await?;
    Ok(super::Output::Done)
}

pub(crate) async fn expire_holds(tx: &mut WriteTx<'_>) -> StoreResult<super::Output> {
    // Claimed with SKIP LOCKED on PostgreSQL: several processes sweeping at once each take
    // different holds, and each expiry is announced once.
    let sql = format!(
        "DELETE FROM holds WHERE (clinic_id, id) IN \
           (SELECT clinic_id, id FROM holds WHERE expires_at_us <= $1 ORDER BY expires_at_us LIMIT 1000{}) \
         RETURNING clinic_id, location_id, practitioner_id, service_id, start_us, end_us",
        tx.skip_locked()
    );
    let expired = crate::db::query(sql).bind(tx.now.as_microsecond()).fetch_all(&mut *tx.conn).await?;
    let count = expired.len() as u64;
    for row in &expired {
        let clinic: ClinicId = rows::parse(row, "clinic_id")?;
        tx.emit(clinic, EventKind::HoldExpired, freed_subjects(row)?).await?;
    }
    Ok(super::Output::Count(count))
}

/// What a hold's events say: the time and who it was with — never the hold's id, which is
/// the capability to book or release it.
fn hold_subjects(h: &Hold) -> Subjects {
    Subjects {
        practitioner: Some(h.practitioner),
        service: Some(h.service),
        location: Some(h.location),
        start: Some(h.start),
        end: Some(h.end),
        ..Subjects::default()
    }
}

/// [`hold_subjects`] of a deleted hold row.
fn freed_subjects(row: &crate::db::Row) -> StoreResult<Subjects> {
    Ok(Subjects {
        practitioner: Some(rows::parse(row, "practitioner_id")?),
        service: Some(rows::parse(row, "service_id")?),
        location: Some(rows::parse(row, "location_id")?),
        start: Some(rows::ts(row, "start_us")?),
        end: Some(rows::ts(row, "end_us")?),
        ..Subjects::default()
    })
}
