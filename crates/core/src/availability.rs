//! Slots: the bookable intervals derived from schedule − appointments − holds.
//!
//! Slot starts sit on a **local wall-clock grid**: every `slot_step` minutes from the start of
//! each open interval, in the location's time zone. Each grid time is then resolved to instants:
//! a wall-clock time that does not exist (a DST gap) yields no slot, and one that exists twice
//! (a DST fold) yields two, one per instant. Durations and buffers are absolute (a 30-minute
//! appointment lasts 30 real minutes even across a transition), and a slot is offered only if
//! every instant it covers reads, on the local wall clock, a time inside the open interval it
//! starts in: on a transition night a break or closure holds on both passes of a fold, and an
//! interval whose end falls in a gap ends when the gap begins. So a clinic open 09:00–17:00
//! offers the same wall-clock slots on every day of the year, and nothing is ever offered twice
//! or at a time that does not exist.

use crate::error::DomainError;
use crate::ids::{LocationId, PractitionerId, ServiceId};
use crate::schedule::{Exception, LocationZone, WeeklyRule, open_intervals};
use crate::service::Service;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Span, Timestamp};
use uuid::Uuid;

/// What occupies a busy interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyKind {
    Appointment,
    Hold,
}

/// Something that occupies a practitioner's time: an active appointment or an unexpired hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub id: Uuid,
    pub kind: BusyKind,
    pub service: ServiceId,
    /// Start of the appointment itself (identifies a group session with `service`).
    pub start: Timestamp,
    /// Start of the occupied time, buffer included.
    pub block_start: Timestamp,
    /// End of the occupied time, buffer included.
    pub block_end: Timestamp,
}

/// The longest date range one availability query may cover.
pub const MAX_QUERY_DAYS: i32 = 93;

/// Who is asking: patients are bound by notice and horizon, staff acting on purpose are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Patient,
    Staff,
}

/// What to compute: one service, a range of local dates, as seen at `now`.
#[derive(Debug, Clone, Copy)]
pub struct SlotQuery<'a> {
    pub service: &'a Service,
    /// First local date (inclusive), in each location's own time zone.
    pub from: Date,
    /// Last local date (inclusive).
    pub to: Date,
    pub now: Timestamp,
    pub audience: Audience,
    /// Only this location, when given.
    pub location: Option<LocationId>,
}

impl SlotQuery<'_> {
    /// Rejects empty or overlong ranges before any work is done.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.to < self.from {
            return Err(DomainError::invalid("to", "must not be before from"));
        }
        let days = (self.to - self.from).get_days();
        if days >= MAX_QUERY_DAYS {
            return Err(DomainError::invalid("to", format!("a query covers at most {MAX_QUERY_DAYS} days")));
        }
        Ok(())
    }
}

/// One practitioner's rules and busy time. `busy` must be sorted by `block_start`.
#[derive(Debug, Clone, Copy)]
pub struct PractitionerCalendar<'a> {
    pub practitioner: PractitionerId,
    pub rules: &'a [WeeklyRule],
    pub exceptions: &'a [Exception],
    pub busy: &'a [Busy],
}

/// A bookable interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    pub practitioner: PractitionerId,
    pub location: LocationId,
    pub service: ServiceId,
    /// Places still free (1 for an ordinary free slot; more for a group session).
    pub capacity_left: u32,
}

/// Computes the slots of one practitioner for `query`, sorted by start.
///
/// `locations` must hold every location the practitioner's rules refer to; rules at unknown
/// locations are ignored.
pub fn slots(query: &SlotQuery<'_>, cal: &PractitionerCalendar<'_>, locations: &[LocationZone]) -> Vec<Slot> {
    let service = query.service;
    // An inactive service is offered to nobody, staff included; its existing appointments
    // stay, but no new time is offered for it.
    if !service.active {
        return Vec::new();
    }
    let duration = service.duration();
    let step = i64::from(service.slot_step_min.max(1));
    let busy = BusyIndex::new(cal.busy);
    let earliest = match query.audience {
        Audience::Patient => query.now.checked_add(service.min_notice()).unwrap_or(Timestamp::MAX),
        Audience::Staff => query.now,
    };
    let latest = match query.audience {
        Audience::Patient => query.now.checked_add(service.horizon()).unwrap_or(Timestamp::MAX),
        Audience::Staff => Timestamp::MAX,
    };

    // A candidate inside the open hours and the notice/horizon window becomes a slot if the
    // busy time leaves a place in it.
    let offer = |out: &mut Vec<Slot>, location: LocationId, start: Timestamp, end: Timestamp| {
        if let Some(capacity_left) = busy.capacity_left(service, start, end) {
            out.push(Slot { start, end, practitioner: cal.practitioner, location, service: service.id, capacity_left });
        }
    };
    let mut out = Vec::new();
    for loc in locations.iter().filter(|l| query.location.is_none_or(|q| q == l.id)) {
        let mut date = query.from;
        while date <= query.to {
            // Most days have no offset change anywhere near them: then every wall time maps to
            // exactly one instant with one offset, and the DST-careful path is not needed.
            let fixed = fixed_offset(&loc.tz, date);
            for (open_s, open_e) in
                open_intervals(cal.rules, cal.exceptions, cal.practitioner, loc.id, service.id, date)
            {
                let (Some(open_start), Some(open_end)) = (wall(date, i64::from(open_s)), wall(date, i64::from(open_e)))
                else {
                    continue;
                };
                if let Some(offset) = fixed {
                    let (Ok(open_start), Ok(open_end)) =
                        (offset.to_timestamp(open_start), offset.to_timestamp(open_end))
                    else {
                        continue;
                    };
                    let mut start = open_start;
                    let step = jiff::SignedDuration::from_mins(step);
                    while start < open_end {
                        let Ok(end) = start.checked_add(duration) else { break };
                        if end > open_end {
                            break;
                        }
                        if start >= earliest && start <= latest {
                            offer(&mut out, loc.id, start, end);
                        }
                        let Ok(next) = start.checked_add(step) else { break };
                        start = next;
                    }
                    continue;
                }
                let mut m = i64::from(open_s);
                while m < i64::from(open_e) {
                    for start in wall_instants(&loc.tz, date, m) {
                        let Ok(end) = start.checked_add(duration) else {
                            continue;
                        };
                        if start >= earliest
                            && start <= latest
                            && within_wall(&loc.tz, start, end, open_start, open_end)
                        {
                            offer(&mut out, loc.id, start, end);
                        }
                    }
                    m += step;
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
    }
    out.sort_by(|a, b| a.start.cmp(&b.start).then(a.location.cmp(&b.location)));
    out
}

/// The occupied block of an appointment of `service` starting at `start`: buffers included.
pub fn block(service: &Service, start: Timestamp, end: Timestamp) -> (Timestamp, Timestamp) {
    (
        start.checked_sub(service.buffer_before()).unwrap_or(Timestamp::MIN),
        end.checked_add(service.buffer_after()).unwrap_or(Timestamp::MAX),
    )
}

/// Busy intervals sorted by block start, with the longest block remembered so an overlap
/// query is a binary search plus a short scan.
struct BusyIndex<'a> {
    busy: &'a [Busy],
    longest: jiff::SignedDuration,
}

impl<'a> BusyIndex<'a> {
    fn new(busy: &'a [Busy]) -> Self {
        debug_assert!(busy.windows(2).all(|w| w[0].block_start <= w[1].block_start), "busy must be sorted");
        let longest = busy.iter().map(|b| b.block_end.duration_since(b.block_start)).max().unwrap_or_default();
        Self { busy, longest }
    }

    /// Places left for a new appointment of `service` at `[start, end)`, or `None` when it
    /// cannot be booked. Overlapping anything other than the same group session (same
    /// service, same start, capacity > 1) blocks; within a session, each busy entry takes one place.
    fn capacity_left(&self, service: &Service, start: Timestamp, end: Timestamp) -> Option<u32> {
        let (bs, be) = block(service, start, end);
        let scan_from = bs.checked_sub(self.longest).unwrap_or(Timestamp::MIN);
        let first = self.busy.partition_point(|b| b.block_start < scan_from);
        let mut taken = 0u32;
        for b in self.busy[first..].iter().take_while(|b| b.block_start < be) {
            if b.block_end <= bs {
                continue;
            }
            let same_session = service.capacity > 1 && b.service == service.id && b.start == start;
            if !same_session {
                return None;
            }
            taken += 1;
        }
        service.capacity.checked_sub(taken).filter(|left| *left > 0)
    }
}

/// Whether every instant of `[start, end)` reads, on the local wall clock, a time within
/// `[open_start, open_end)`. Between two transitions the offset is constant, so checking each
/// constant-offset piece's first and last wall-clock time is enough. This keeps breaks, closures
/// and rule ends intact on transition nights: an appointment may not run into a closed wall-clock
/// time, whichever pass of a fold it falls in, nor past an end hidden in a gap.
fn within_wall(tz: &TimeZone, start: Timestamp, end: Timestamp, open_start: DateTime, open_end: DateTime) -> bool {
    let mut piece_start = start;
    loop {
        let next = tz.following(piece_start).next().map(|t| t.timestamp()).filter(|t| *t < end);
        let piece_end = next.unwrap_or(end);
        let offset = tz.to_offset(piece_start);
        if offset.to_datetime(piece_start) < open_start || offset.to_datetime(piece_end) > open_end {
            return false;
        }
        match next {
            Some(t) => piece_start = t,
            None => return true,
        }
    }
}

/// The zone's offset on local `date` if it cannot change anywhere near that day (no transition
/// within a day either side, which covers every zone's span of local dates).
fn fixed_offset(tz: &TimeZone, date: Date) -> Option<jiff::tz::Offset> {
    let lo = date.yesterday().ok()?.to_zoned(TimeZone::UTC).ok()?.timestamp();
    let hi = lo.checked_add(jiff::SignedDuration::from_hours(72)).ok()?;
    match tz.following(lo).next() {
        Some(t) if t.timestamp() < hi => None,
        _ => Some(tz.to_offset(lo)),
    }
}

/// Every instant at which local minute `m` of `date` occurs: none in a gap, two in a fold.
fn wall_instants(tz: &TimeZone, date: Date, m: i64) -> impl Iterator<Item = Timestamp> {
    let found: [Option<Timestamp>; 2] = match wall(date, m) {
        None => [None, None],
        Some(dt) => match tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => [offset.to_timestamp(dt).ok(), None],
            AmbiguousOffset::Gap { .. } => [None, None],
            AmbiguousOffset::Fold { before, after } => [before.to_timestamp(dt).ok(), after.to_timestamp(dt).ok()],
        },
    };
    found.into_iter().flatten()
}

/// Local date-time at minute `m` (0..=1440) of `date`; 1440 is midnight of the next day.
fn wall(date: Date, m: i64) -> Option<DateTime> {
    date.to_datetime(jiff::civil::Time::midnight()).checked_add(Span::new().minutes(m)).ok()
}
