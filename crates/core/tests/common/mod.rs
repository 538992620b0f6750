//! Fixtures shared by the integration tests: a plain service, weekly rules, zone look-ups and
//! helpers that turn slots back into local wall-clock time, which is what a receptionist sees.

// Each test file compiles this module separately and uses only part of it.
#![allow(dead_code)]

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use nobat_core::availability::{Audience, PractitionerCalendar, SlotQuery};
use nobat_core::{
    Busy, ClinicId, DayMinutes, Exception, LocationId, LocationZone, PractitionerId, RuleId, Service, ServiceId, Slot,
    Weekdays, WeeklyRule, slots,
};

/// A zone from jiff's bundled database; every name used by the tests must exist there.
pub fn tz(name: &str) -> TimeZone {
    nobat_core::zones::get(name).expect("zone in the bundled tzdb")
}

pub fn m(s: &str) -> DayMinutes {
    DayMinutes::parse(s).expect("test time of day")
}

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

/// A `duration`-minute service on a `step`-minute grid, no buffers, capacity 1, no notice,
/// a year of horizon: the base the tests tweak.
pub fn service(duration_min: u32, step_min: u32) -> Service {
    Service {
        id: ServiceId::new(),
        clinic: ClinicId::new(),
        name: "Consultation".into(),
        duration_min,
        buffer_before_min: 0,
        buffer_after_min: 0,
        capacity: 1,
        slot_step_min: step_min,
        min_notice_min: 0,
        horizon_days: 365,
        cancel_cutoff_min: 0,
        reschedule_cutoff_min: 0,
        active: true,
    }
}

/// A rule open every day of the week from `start` to `end`, valid all of 2025–2027.
pub fn daily_rule(p: PractitionerId, l: LocationId, start: &str, end: &str) -> WeeklyRule {
    WeeklyRule {
        id: RuleId::new(),
        practitioner: p,
        location: l,
        weekdays: Weekdays::from_bits(0x7f).expect("every day"),
        start: m(start),
        end: m(end),
        breaks: vec![],
        valid_from: jiff::civil::date(2025, 1, 1),
        valid_until: Some(jiff::civil::date(2027, 12, 31)),
        services: vec![],
    }
}

/// One practitioner at one location: the usual shape of a DST test.
pub struct Setup {
    pub practitioner: PractitionerId,
    pub location: LocationZone,
    pub rules: Vec<WeeklyRule>,
    pub exceptions: Vec<Exception>,
    pub busy: Vec<Busy>,
}

impl Setup {
    pub fn new(zone: &str) -> Self {
        Self {
            practitioner: PractitionerId::new(),
            location: LocationZone { id: LocationId::new(), tz: tz(zone) },
            rules: vec![],
            exceptions: vec![],
            busy: vec![],
        }
    }

    /// Adds a rule open every day from `start` to `end` with the given breaks.
    pub fn open_daily(mut self, start: &str, end: &str, breaks: &[(&str, &str)]) -> Self {
        let mut rule = daily_rule(self.practitioner, self.location.id, start, end);
        rule.breaks = breaks.iter().map(|(s, e)| (m(s), m(e))).collect();
        rule.validate().expect("valid rule");
        self.rules.push(rule);
        self
    }

    pub fn calendar(&self) -> PractitionerCalendar<'_> {
        PractitionerCalendar {
            practitioner: self.practitioner,
            rules: &self.rules,
            exceptions: &self.exceptions,
            busy: &self.busy,
        }
    }

    /// Slots for the given local dates as staff see them from far in the past, so notice and
    /// horizon play no part: only rules, the grid and the zone shape the answer.
    pub fn staff_slots(&self, service: &Service, from: Date, to: Date) -> Vec<Slot> {
        let query =
            SlotQuery { service, from, to, now: ts("2020-01-01T00:00:00Z"), audience: Audience::Staff, location: None };
        slots(&query, &self.calendar(), std::slice::from_ref(&self.location))
    }

    /// Slots on one local date, as staff see them.
    pub fn day(&self, service: &Service, date: Date) -> Vec<Slot> {
        self.staff_slots(service, date, date)
    }

    pub fn local(&self, t: Timestamp) -> DateTime {
        t.to_zoned(self.location.tz.clone()).datetime()
    }
}

/// `HH:MM` local wall-clock start of each slot, in order.
pub fn local_starts(slots: &[Slot], tz: &TimeZone) -> Vec<String> {
    slots.iter().map(|s| hhmm(s.start, tz)).collect()
}

/// `HH:MM` wall-clock time of `t` in `tz`.
pub fn hhmm(t: Timestamp, tz: &TimeZone) -> String {
    let z = t.to_zoned(tz.clone());
    format!("{:02}:{:02}", z.hour(), z.minute())
}

/// `HH:MM+hh:mm` wall-clock time with its UTC offset, to tell the two passes of a fold apart.
pub fn hhmm_offset(t: Timestamp, tz: &TimeZone) -> String {
    let z = t.to_zoned(tz.clone());
    format!("{:02}:{:02}{}", z.hour(), z.minute(), z.offset())
}

pub fn mins(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}
