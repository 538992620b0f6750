//! Changes to an existing appointment: cancel, reschedule (one transaction: the new one booked,
//! the old one cancelled) and front-desk status changes. Each locks the practitioner first and
//! reads the appointment again under the lock.

use super::idempotency::{self, Idempotency};
use super::slot_lock::{
    Must, calendar_for, decide_locked, insert_appointment, load_appointment, load_service, lock_practitioner,
    locked_appointment, update_status,
};
use crate::audit::{Audit, AuditActor};
use crate::calendar::Excluding;
use crate::error::StoreResult;
use crate::events::{EventKind, Subjects};
use crate::model::Appointment;
use crate::tx::WriteTx;
use jiff::Timestamp;
use nobat_core::booking::{Actor, Change, Overridden, SlotRequest, check_cutoff};
use nobat_core::hold::HoldClaim;
use nobat_core::{AppointmentId, AppointmentStatus, ClinicId, DomainError, HoldId, LocationId, PractitionerId};

#[derive(Debug, Clone)]
pub struct CancelRequest {
    pub clinic: ClinicId,
    pub appointment: AppointmentId,
    pub reason: Option<String>,
    pub actor: Actor,
    pub audit_actor: AuditActor,
}

/// Move an appointment: the new one is booked and the old one cancelled, atomically.
#[derive(Debug, Clone)]
pub struct RescheduleRequest {
    pub clinic: ClinicId,
    pub appointment: AppointmentId,
    pub start: Timestamp,
    /// The offset the client wrote with `start` (`None` for `Z`): checked against the location's.
    pub start_offset: Option<jiff::tz::Offset>,
    /// Another practitioner, if the patient switches.
    pub practitioner: Option<PractitionerId>,
    pub location: Option<LocationId>,
    /// The caller's own hold on the new slot, converted by the move ("hold the new slot, then
    /// move"): checked like a booking's.
    pub hold: Option<HoldId>,
    pub hold_claim: HoldClaim,
    pub actor: Actor,
    pub audit_actor: AuditActor,
    pub idempotency: Option<Idempotency>,
}

/// A front-desk status change: arrived, checked-in, fulfilled, noshow or entered-in-error
/// ([`AppointmentStatus::is_front_desk`]). Cancelling goes through [`CancelRequest`] only.
#[derive(Debug, Clone)]
pub struct StatusRequest {
    pub clinic: ClinicId,
    pub appointment: AppointmentId,
    pub status: AppointmentStatus,
    pub audit_actor: AuditActor,
}

pub(crate) async fn cancel(tx: &mut WriteTx<'_>, r: &CancelRequest) -> StoreResult<super::Output> {
    let before = locked_appointment(tx, r.clinic, r.appointment).await?;
    let status = before.status.transition(AppointmentStatus::Cancelled)?;
    let service = load_service(tx, r.clinic, before.service).await?;
    let overridden = check_cutoff(Change::Cancel, before.start, &service, tx.now, r.actor)?;
    let override_note =
        (overridden == Overridden::Yes).then(|| "cancelled by staff inside the patient cut-off".to_owned());
    let after = Appointment {
        status,
        cancel_reason: r.reason.clone(),
        override_note: override_note.or(before.override_note.clone()),
        updated_at: tx.now,
        ..before.clone()
    };
    update_status(tx, &after).await?;
    tx.emit(r.clinic, EventKind::AppointmentCancelled, Subjects::appointment(&after)).await?;
    super::reminders::cancel_for(tx, r.clinic, after.id).await?;
    tx.audit(
        r.clinic,
        &r.audit_actor,
        Audit::new("cancel", "appointment", &after.id.to_string())
            .before(&before)
            .after(&after)
            .note(r.reason.as_deref()),
    );
    Ok(super::Output::Appointment { appointment: after, replayed: false })
}

pub(crate) async fn reschedule(tx: &mut WriteTx<'_>, r: &RescheduleRequest) -> StoreResult<super::Output> {
    if let Some(appointment) = idempotency::replay::<Appointment>(tx, r.clinic, r.idempotency.as_ref()).await? {
        return Ok(super::Output::Appointment { appointment, replayed: true });
    }
    let found = load_appointment(tx, r.clinic, r.appointment).await?;
    let practitioner = r.practitioner.unwrap_or(found.practitioner);
    // Lock both practitioners in a fixed order so two reschedules crossing each other cannot
    // deadlock; the new one must be active, the old one may have left since.
    let mut locks = vec![(found.practitioner, Must::Exist), (practitioner, Must::BeActive)];
    locks.sort_by_key(|(p, _)| *p);
    locks.dedup_by(|a, b| {
        let same = a.0 == b.0;
        if same {
            b.1 = Must::BeActive;
        }
        same
    });
    let mut seq = 0;
    for (p, must) in locks {
        let s = lock_practitioner(tx, r.clinic, p, must).await?;
        if p == practitioner {
            seq = s;
        }
    }
    // Read again under the lock: a concurrent change may have moved or cancelled it.
    let old = load_appointment(tx, r.clinic, r.appointment).await?;
    if !matches!(old.status, AppointmentStatus::Booked | AppointmentStatus::Pending) {
        return Err(DomainError::IllegalTransition { from: old.status.as_str(), to: "rescheduled" }.into());
    }
    let (cal, service) = calendar_for(tx, r.clinic, practitioner, seq, old.service).await?;
    let cut = check_cutoff(Change::Reschedule, old.start, &service, tx.now, r.actor)?;
    let req = SlotRequest {
        service: old.service,
        practitioner,
        start: r.start,
        location: r.location,
        offset: r.start_offset,
    };
    if let Some(hold_id) = r.hold {
        super::holds::check_usable(tx, r.clinic, hold_id, &r.hold_claim, &req).await?;
    }
    let excluding = Excluding { appointment: Some(old.id), hold: r.hold };
    let (slot, notice) = decide_locked(tx, r.clinic, &req, &service, &cal, excluding, r.actor).await?;
    if let Some(hold_id) = r.hold
        && super::holds::remove(tx, r.clinic, hold_id).await? != 1
    {
        return Err(DomainError::HoldInvalid("the hold was already used".into()).into());
    }
    let override_note = (cut == Overridden::Yes || notice == Overridden::Yes)
        .then(|| "rescheduled by staff inside the patient cut-off, notice or horizon".to_owned());
    let new = Appointment {
        id: AppointmentId::new(),
        location: slot.location,
        practitioner: slot.practitioner,
        start: slot.start,
        end: slot.end,
        status: AppointmentStatus::Booked,
        cancel_reason: None,
        override_note: override_note.clone(),
        rescheduled_from: Some(old.id),
        rescheduled_to: None,
        created_at: tx.now,
        updated_at: tx.now,
        ..old.clone()
    };
    let old_after = Appointment {
        status: AppointmentStatus::Cancelled,
        cancel_reason: Some("rescheduled".into()),
        rescheduled_to: Some(new.id),
        updated_at: tx.now,
        ..old.clone()
    };
    // Free the old time first: PostgreSQL's exclusion constraint checks each statement.
    update_status(tx, &old_after).await?;
    insert_appointment(tx, &new, &service).await?;
    let moved = Subjects { previous: Some(old_after.id), ..Subjects::appointment(&new) };
    tx.emit(r.clinic, EventKind::AppointmentRescheduled, moved).await?;
    super::reminders::cancel_for(tx, r.clinic, old.id).await?;
    super::reminders::schedule_for(tx, &new).await?;
    tx.audit(
        r.clinic,
        &r.audit_actor,
        Audit::new("reschedule", "appointment", &old.id.to_string())
            .before(&old)
            .after(&new)
            .note(override_note.as_deref()),
    );
    idempotency::remember(tx, r.clinic, r.idempotency.as_ref(), 201, &new).await?;
    Ok(super::Output::Appointment { appointment: new, replayed: false })
}

pub(crate) async fn set_status(tx: &mut WriteTx<'_>, r: &StatusRequest) -> StoreResult<super::Output> {
    // Before any lock or read: a refused status leaves no trace.
    if !r.status.is_front_desk() {
        let message = match r.status {
            AppointmentStatus::Cancelled => {
                "cancel through the cancel endpoint, which keeps the reason and tells the patient"
            }
            _ => "use arrived, checked-in, fulfilled, noshow or entered-in-error",
        };
        return Err(DomainError::invalid("status", message).into());
    }
    let before = locked_appointment(tx, r.clinic, r.appointment).await?;
    let status = before.status.transition(r.status)?;
    if matches!(status, AppointmentStatus::Arrived | AppointmentStatus::CheckedIn) {
        // The clinic may ask for intake forms before anyone is checked in (queue check-in comes
        // through here too).
        super::intake::check_in_gate(tx, r.clinic, before.patient).await?;
    }
    if status.occupies_time() && !before.status.occupies_time() {
        // Taking time back needs the capacity check of a booking.
        return Err(DomainError::IllegalTransition { from: before.status.as_str(), to: status.as_str() }.into());
    }
    let after = Appointment { status, updated_at: tx.now, ..before.clone() };
    update_status(tx, &after).await?;
    tx.emit(r.clinic, EventKind::AppointmentStatusChanged, Subjects::appointment(&after)).await?;
    tx.audit(
        r.clinic,
        &r.audit_actor,
        Audit::new("set_status", "appointment", &after.id.to_string()).before(&before).after(&after),
    );
    Ok(super::Output::Appointment { appointment: after, replayed: false })
}
