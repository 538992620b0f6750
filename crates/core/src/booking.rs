//! The decisions behind hold, book, cancel and reschedule. The store calls these inside its
//! write transaction with the state it just read, so the decision and the write are atomic.

use crate::availability::{Audience, Busy, PractitionerCalendar, Slot, SlotQuery, slots};
use crate::error::DomainError;
use crate::ids::{LocationId, PractitionerId, ServiceId};
use crate::schedule::LocationZone;
use crate::service::Service;
use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

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
    /// The UTC offset the client wrote with `start` (`+02:00`), or `None` for `Z`/`-00:00`,
    /// which RFC 9557 reads as "the instant, no claim about local time". An offset claims a
    /// local wall-clock time, so it must be the location's offset at that instant: otherwise
    /// the client meant a local time that does not exist there (a spring-forward gap) or
    /// another place's clock, and booking the instant would book a time nobody asked for.
    pub offset: Option<Offset>,
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
    let locations = locations_for(req, locations)?;
    let find = |busy: &[Busy], audience: Audience| -> Option<Slot> {
        let cal = PractitionerCalendar { busy, ..*cal };
        locations.iter().find_map(|loc| {
            let date = req.start.to_zoned(loc.tz.clone()).date();
            let query = SlotQuery { service, from: date, to: date, now, audience, location: Some(loc.id) };
            slots(&query, &cal, std::slice::from_ref(*loc)).into_iter().find(|s| s.start == req.start)
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

/// The locations the request can mean: the one it names (or all), and of those only the ones
/// whose clock reads the offset the client wrote at that instant.
fn locations_for<'a>(req: &SlotRequest, locations: &'a [LocationZone]) -> Result<Vec<&'a LocationZone>, DomainError> {
    let named: Vec<&LocationZone> = locations.iter().filter(|l| req.location.is_none_or(|q| q == l.id)).collect();
    let Some(written) = req.offset else { return Ok(named) };
    let matching: Vec<&LocationZone> = named.iter().copied().filter(|l| l.tz.to_offset(req.start) == written).collect();
    if matching.is_empty()
        && let Some(loc) = named.first()
    {
        let actual = loc.tz.to_offset(req.start);
        let local = req.start.to_zoned(TimeZone::fixed(written)).datetime();
        return Err(DomainError::invalid(
            "start",
            format!(
                "{local} at offset {written} is not a local time here: at that instant the location's clock is at \
                 offset {actual} (a time in a daylight-saving gap does not exist); send the start as availability \
                 gives it, with the location's offset, or in UTC with Z"
            ),
        ));
    }
    Ok(matching)
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
