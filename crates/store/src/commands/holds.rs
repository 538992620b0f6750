//! Holds: a slot reserved for a few minutes while a patient fills in a form; release; expiry.
//! A hold has an owner (see `nobat_core::hold`); its expiry is a durable timer (`jobs.rs`).
//!
//! A hold takes the practitioner's lock and passes the same core decision as a booking, so a
//! held slot is never also booked or held by someone else.

use super::idempotency::{self, Idempotency};
use super::jobs::{self, IfScheduled, NewJob};
use super::slot_lock::{Must, calendar_for, decide_locked, load_hold, lock_practitioner};
use crate::calendar::Excluding;
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::model::Hold;
use crate::rows;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::availability::block;
use nobat_core::booking::{Actor, SlotRequest};
use nobat_core::hold::{HoldCaps, HoldClaim, HoldOwner, may_convert, may_release};
use nobat_core::{ClinicId, DomainError, HoldId, LocationId, PractitionerId, ServiceId};
use serde_json::json;

/// A request to reserve a slot for a few minutes.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub clinic: ClinicId,
    /// Chosen by the caller, so a guest's hold secret (derived from it) can be given again when
    /// an Idempotency-Key replays the answer.
    pub id: HoldId,
    pub service: ServiceId,
    pub practitioner: PractitionerId,
    pub location: Option<LocationId>,
    pub start: Timestamp,
    /// The offset the client wrote with `start` (`None` for `Z`): checked against the location's.
    pub start_offset: Option<jiff::tz::Offset>,
    pub ttl: SignedDuration,
    pub actor: Actor,
    pub idempotency: Option<Idempotency>,
    /// Who may convert or release it.
    pub owner: HoldOwner,
    /// Staff holding for patients do not count against the per-owner cap.
    pub owner_capped: bool,
    pub caps: HoldCaps,
}

pub(crate) async fn hold(tx: &mut WriteTx<'_>, r: &HoldRequest) -> StoreResult<super::Output> {
    if let Some(hold) = idempotency::replay::<Hold>(tx, r.clinic, r.idempotency.as_ref()).await? {
        return Ok(super::Output::Hold { hold, replayed: true });
    }
    if r.ttl <= SignedDuration::ZERO || r.ttl > SignedDuration::from_hours(24) {
        return Err(DomainError::invalid("ttl", "a hold lasts between 1 second and 24 hours").into());
    }
    let req = SlotRequest {
        service: r.service,
        practitioner: r.practitioner,
        start: r.start,
        location: r.location,
        offset: r.start_offset,
    };
    let seq = lock_practitioner(tx, r.clinic, r.practitioner, Must::BeActive).await?;
    let owner = r.owner.key();
    check_caps(tx, r, &owner).await?;
    let (cal, service) = calendar_for(tx, r.clinic, r.practitioner, seq, r.service).await?;
    let (slot, _) = decide_locked(tx, r.clinic, &req, &service, &cal, Excluding::default(), r.actor).await?;
    let (bs, be) = block(&service, slot.start, slot.end);
    let hold = Hold {
        id: r.id,
        clinic: r.clinic,
        location: slot.location,
        practitioner: slot.practitioner,
        service: slot.service,
        start: slot.start,
        end: slot.end,
        expires_at: tx.now.checked_add(r.ttl).map_err(|e| DomainError::invalid("ttl", e.to_string()))?,
        owner: Some(owner),
    };
    crate::db::query(
        "INSERT INTO holds (clinic_id, id, location_id, practitioner_id, service_id, start_us, end_us, \
         block_start_us, block_end_us, expires_at_us, created_at_us, owner) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
    .bind(hold.owner.as_deref())
    .execute(&mut *tx.conn)
    .await?;
    // Its expiry is a durable timer, committed with the hold: it fires even if every process
    // was down at the time.
    let expiry = NewJob {
        clinic: Some(r.clinic),
        kind: jobs::HOLD_EXPIRE,
        key: hold.id.to_string(),
        run_at: hold.expires_at,
        payload: json!({}),
        if_scheduled: IfScheduled::Replace,
    };
    jobs::schedule_in(tx, &expiry).await?;
    tx.emit(r.clinic, EventKind::HoldCreated, hold_subjects(&hold)).await?;
    idempotency::remember(tx, r.clinic, r.idempotency.as_ref(), 201, &hold).await?;
    Ok(super::Output::Hold { hold, replayed: false })
}

/// Counts the owner's and the clinic's active holds and asks the core whether one more is
/// allowed. Runs under the practitioner's lock, inside the transaction: on SQLite (one writer)
/// the caps are exact; on PostgreSQL two holds of one owner committed at the same instant by
/// different writers (other practitioners) can each miss the other, so a cap can be exceeded
/// by at most the number of writers less one.
async fn check_caps(tx: &mut WriteTx<'_>, r: &HoldRequest, owner: &str) -> StoreResult<()> {
    let now = tx.now.as_microsecond();
    let row = crate::db::query(
        "SELECT (SELECT COUNT(*) FROM holds WHERE clinic_id = $1 AND owner = $2 AND expires_at_us > $3) AS mine, \
                (SELECT COUNT(*) FROM holds WHERE clinic_id = $1 AND expires_at_us > $3) AS everyone",
    )
    .bind(r.clinic.to_string())
    .bind(owner)
    .bind(now)
    .fetch_one(&mut *tx.conn)
    .await?;
    let mine = u64::try_from(rows::int(&row, "mine")?).unwrap_or(0);
    let everyone = u64::try_from(rows::int(&row, "everyone")?).unwrap_or(0);
    nobat_core::hold::check_caps(r.caps, r.owner_capped.then_some(mine), everyone)?;
    Ok(())
}

/// Checks that the caller may use the hold (`release`: give it back; else convert it).
pub(super) fn check_owner(hold: &Hold, claim: &HoldClaim, release: bool) -> StoreResult<()> {
    let owner = hold.owner.as_deref();
    if release {
        may_release(owner, claim)?
    } else {
        may_convert(owner, claim)?
    }
    Ok(())
}

/// Checks that a hold may be converted into the requested slot: it is the caller's, for this
/// very slot, and not expired. The caller holds the practitioner's lock.
pub(super) async fn check_usable(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: HoldId,
    claim: &HoldClaim,
    req: &SlotRequest,
) -> StoreResult<()> {
    let hold = load_hold(tx, clinic, id).await?;
    check_owner(&hold, claim, false)?;
    let matches = hold.service == req.service
        && hold.practitioner == req.practitioner
        && hold.start == req.start
        && req.location.is_none_or(|l| l == hold.location);
    if !matches {
        return Err(DomainError::HoldInvalid("the hold is for another slot".into()).into());
    }
    if hold.expires_at <= tx.now {
        return Err(DomainError::HoldInvalid("the hold has expired; choose the slot again".into()).into());
    }
    Ok(())
}

/// Deletes a hold being converted (or released) and its expiry timer.
pub(super) async fn remove(tx: &mut WriteTx<'_>, clinic: ClinicId, id: HoldId) -> StoreResult<u64> {
    let gone = crate::db::query("DELETE FROM holds WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(id.to_string())
        .execute(&mut *tx.conn)
        .await?;
    jobs::cancel_in(tx, Some(clinic), jobs::HOLD_EXPIRE, &id.to_string()).await?;
    Ok(gone)
}

pub(crate) async fn release_hold(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: HoldId,
    claim: &HoldClaim,
) -> StoreResult<super::Output> {
    // Only a missing hold is a 404; a database error stays one (and is retried if it can be).
    let hold = load_hold(tx, clinic, id).await.map_err(|e| match e {
        StoreError::Domain(DomainError::HoldInvalid(_)) => StoreError::NotFound("hold"),
        other => other,
    })?;
    check_owner(&hold, claim, true)?;
    if remove(tx, clinic, id).await? == 0 {
        return Err(StoreError::NotFound("hold"));
    }
    tx.emit(clinic, EventKind::HoldReleased, hold_subjects(&hold)).await?;
    Ok(super::Output::Done)
}

/// The `hold.expire` job's handler: deletes the hold if it is still there and expired, and
/// announces it. Idempotent: a hold already converted or released is simply gone.
pub(super) async fn expire_hold(tx: &mut WriteTx<'_>, clinic: ClinicId, id: HoldId) -> StoreResult<()> {
    let expired = crate::db::query(
        "DELETE FROM holds WHERE clinic_id = $1 AND id = $2 AND expires_at_us <= $3 \
         RETURNING location_id, practitioner_id, service_id, start_us, end_us",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .bind(tx.now.as_microsecond())
    .fetch_optional(&mut *tx.conn)
    .await?;
    if let Some(row) = expired {
        tx.emit(clinic, EventKind::HoldExpired, freed_subjects(&row)?).await?;
    }
    Ok(())
}

/// What a hold's events say: the time and who it was with — never the hold's id, which is
/// the capability to book or release it.
pub(super) fn hold_subjects(h: &Hold) -> Subjects {
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
