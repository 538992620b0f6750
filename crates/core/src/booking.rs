//! The decisions behind hold, book, cancel and reschedule. The store calls these inside its
//! write transaction with the state it just read, so the decision and the write are atomic.

use crate::availability::{Audience, Busy, PractitionerCalendar, Slot, SlotQuery, slots};
use crate::error::DomainError;
use crate::ids::{LocationId, PractitionerId, ServiceId};
use crate::schedule::LocationZone;
use crate::service::Service;
use jiff::Timestamp;

/// Who asks for a change: a patient is bound by the clinic's notice, horizon and cut-offs;
/// staff may override them, and an override is recorded on the appointment and in the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Patient,
    Staff,
}

/// Whether the decision needed a staff override of a patient rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overridden {
    No,
    Yes,
}

/// What a caller asks to book.
#[derive(Debug, Clone, Copy)]
pub struct SlotRequest {
    pub service: ServiceId,
    pub practitioner: PractitionerId,
    pub start: Timestamp,
    pub location: Option<LocationId>,
}

/// Decides whether `req` is a slot that can be taken now. `cal.busy` must already exclude
/// whatever the booking replaces (the hold it converts, the appointment it reschedules).
///
/// Errors tell apart *taken* (409: it was a slot, someone got it first) from *not offered*
/// (422: never a slot, outside the hours, too soon or too far ahead).
pub fn decide_slot(
    req: &SlotRequest,
    service: &Service,
    cal: &PractitionerCalendar<'_>,
    locations: &[LocationZone],
    now: Timestamp,
    actor: Actor,
) -> Result<(Slot, Overridden), DomainError> {
    if !service.active {
        return Err(DomainError::SlotNotOffered("this service is no longer offered".into()));
    }
    let find = |busy: &[Busy], audience: Audience| -> Option<Slot> {
        let cal = PractitionerCalendar { busy, ..*cal };
        locations.iter().filter(|l| req.location.is_none_or(|q| q == l.id)).find_map(|loc| {
            let date = req.start.to_zoned(loc.tz.clone()).date();
            let query = SlotQuery { service, from: date, to: date, now, audience, location: Some(loc.id) };
            slots(&query, &cal, std::slice::from_ref(loc)).into_iter().find(|s| s.start == req.start)
        })
    };
    if let Some(slot) = find(cal.busy, Audience::Patient) {
        return Ok((slot, Overridden::No));
    }
    if actor == Actor::Staff
        && let Some(slot) = find(cal.busy, Audience::Staff)
    {
        return Ok((slot, Overridden::Yes));
    }
    // Not bookable: explain why, most specific reason first.
    let audience = if actor == Actor::Staff { Audience::Staff } else { Audience::Patient };
    if find(&[], audience).is_some() {
        return Err(DomainError::SlotTaken);
    }
    if req.start < now {
        return Err(DomainError::SlotNotOffered("this time is in the past".into()));
    }
    if find(&[], Audience::Staff).is_some() {
        let message = if req.start < now.checked_add(service.min_notice()).unwrap_or(Timestamp::MAX) {
            format!("this service must be booked at least {} minutes ahead", service.min_notice_min)
        } else {
            format!("this service can be booked at most {} days ahead", service.horizon_days)
        };
        return Err(DomainError::SlotNotOffered(message));
    }
    Err(DomainError::SlotNotOffered(
        "the practitioner does not offer this service at this time; ask for availability first".into(),
    ))
}

/// Which patient-side cut-off applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Cancel,
    Reschedule,
}

/// Checks a cancel or reschedule against the service's cut-off. Patients are refused inside
/// the cut-off; staff pass, and the answer says an override happened so it can be recorded.
pub fn check_cutoff(
    change: Change,
    appointment_start: Timestamp,
    service: &Service,
    now: Timestamp,
    actor: Actor,
) -> Result<Overridden, DomainError> {
    let (cutoff, minutes, verb) = match change {
        Change::Cancel => (service.cancel_cutoff(), service.cancel_cutoff_min, "cancelled"),
        Change::Reschedule => (service.reschedule_cutoff(), service.reschedule_cutoff_min, "rescheduled"),
    };
    let deadline = appointment_start.checked_sub(cutoff).unwrap_or(Timestamp::MIN);
    if now <= deadline {
        return Ok(Overridden::No);
    }
    match actor {
        Actor::Staff => Ok(Overridden::Yes),
        Actor::Patient => Err(DomainError::CutOffPassed(format!(
            "an appointment can be {verb} online until {minutes} minutes before it starts; please call the clinic"
        ))),
    }
}
