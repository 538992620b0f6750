//! Availability rules in local wall-clock time: weekly rules with effective date ranges and
//! breaks, plus dated exceptions (closed, or extra hours). [`open_intervals`] turns them into the
//! practitioner's open minutes on one local date at one location.

use crate::error::DomainError;
use crate::ids::{ExceptionId, LocationId, PractitionerId, RuleId, ServiceId};
use crate::minutes::DayMinutes;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// A set of weekdays; bit 0 is Monday, bit 6 Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    /// From a bit mask (bit 0 = Monday). Bits above 6 are rejected.
    pub fn from_bits(bits: u8) -> Result<Self, DomainError> {
        if bits == 0 || bits > 0x7f {
            return Err(DomainError::invalid("weekdays", "name at least one weekday"));
        }
        Ok(Self(bits))
    }
    /// From weekday names as in ISO 8601 / FHIR (`mon`, `tue`, …).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self, DomainError> {
        let mut bits = 0u8;
        for n in names {
            let i = NAMES.iter().position(|x| x.eq_ignore_ascii_case(n.as_ref())).ok_or_else(|| {
                DomainError::invalid(
                    "weekdays",
                    format!("`{}` is not one of mon, tue, wed, thu, fri, sat, sun", n.as_ref()),
                )
            })?;
            bits |= 1 << i;
        }
        Self::from_bits(bits)
    }
    pub fn bits(self) -> u8 {
        self.0
    }
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << (day.to_monday_zero_offset())) != 0
    }
    /// The names of the days in the set, Monday first.
    pub fn names(self) -> Vec<&'static str> {
        (0..7).filter(|i| self.0 & (1 << i) != 0).map(|i| NAMES[i]).collect()
    }
}

const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A recurring weekly interval in which a practitioner sees patients at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyRule {
    pub id: RuleId,
    pub practitioner: PractitionerId,
    pub location: LocationId,
    #[serde(with = "weekday_names")]
    pub weekdays: Weekdays,
    pub start: DayMinutes,
    pub end: DayMinutes,
    /// Pauses inside `[start, end)`, in local time.
    pub breaks: Vec<(DayMinutes, DayMinutes)>,
    /// First local date the rule applies.
    pub valid_from: Date,
    /// Last local date the rule applies (inclusive); open-ended when `None`.
    pub valid_until: Option<Date>,
    /// Services offered in this interval; empty means every service of the clinic.
    pub services: Vec<ServiceId>,
}

impl WeeklyRule {
    /// Checks the rule is coherent; the error names the first bad field.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.start >= self.end {
            return Err(DomainError::invalid("end", "must be after start"));
        }
        if let Some(until) = self.valid_until
            && until < self.valid_from
        {
            return Err(DomainError::invalid("valid_until", "must not be before valid_from"));
        }
        for (i, (bs, be)) in self.breaks.iter().enumerate() {
            if bs >= be || *bs < self.start || *be > self.end {
                return Err(DomainError::invalid(
                    format!("breaks[{i}]"),
                    "a break must have start < end and lie inside the rule's hours",
                ));
            }
        }
        Ok(())
    }

    fn applies(&self, date: Date, location: LocationId, service: ServiceId) -> bool {
        self.location == location
            && self.weekdays.contains(date.weekday())
            && self.valid_from <= date
            && self.valid_until.is_none_or(|u| date <= u)
            && (self.services.is_empty() || self.services.contains(&service))
    }
}

/// What a dated exception does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// Closed for the whole day, or for `[start, end)` when given. With no practitioner it
    /// closes everyone (a holiday); with no location it applies at every location.
    Closed,
    /// Extra open hours `[start, end)` for one practitioner at one location.
    Extra,
}

/// A one-day change to the weekly rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    pub id: ExceptionId,
    pub practitioner: Option<PractitionerId>,
    pub location: Option<LocationId>,
    pub date: Date,
    pub kind: ExceptionKind,
    pub start: Option<DayMinutes>,
    pub end: Option<DayMinutes>,
}

impl Exception {
    /// Checks the exception is coherent; the error names the first bad field.
    pub fn validate(&self) -> Result<(), DomainError> {
        match (self.start, self.end) {
            (Some(s), Some(e)) if s >= e => {
                return Err(DomainError::invalid("end", "must be after start"));
            }
            (Some(_), None) => {
                return Err(DomainError::invalid("end", "give both start and end, or neither"));
            }
            (None, Some(_)) => {
                return Err(DomainError::invalid("start", "give both start and end, or neither"));
            }
            _ => {}
        }
        if self.kind == ExceptionKind::Extra {
            if self.start.is_none() {
                return Err(DomainError::invalid("start", "extra hours need a start and an end"));
            }
            if self.practitioner.is_none() {
                return Err(DomainError::invalid("practitioner", "extra hours belong to one practitioner"));
            }
            if self.location.is_none() {
                return Err(DomainError::invalid("location", "extra hours happen at one location"));
            }
        }
        Ok(())
    }

    fn concerns(&self, date: Date, practitioner: PractitionerId, location: LocationId) -> bool {
        self.date == date
            && self.practitioner.is_none_or(|p| p == practitioner)
            && self.location.is_none_or(|l| l == location)
    }

    fn interval(&self) -> (u16, u16) {
        (self.start.map_or(0, DayMinutes::get), self.end.map_or(1440, DayMinutes::get))
    }
}

/// A location's identity and time zone: all a slot computation needs to know of it.
#[derive(Debug, Clone)]
pub struct LocationZone {
    pub id: LocationId,
    pub tz: TimeZone,
}

/// The open local-minute intervals of `practitioner` at `location` on local `date` for
/// `service`: weekly rules minus breaks, plus extra hours, minus closures. Sorted, disjoint,
/// adjacent intervals merged.
pub fn open_intervals(
    rules: &[WeeklyRule],
    exceptions: &[Exception],
    practitioner: PractitionerId,
    location: LocationId,
    service: ServiceId,
    date: Date,
) -> Vec<(u16, u16)> {
    let mut open: Vec<(u16, u16)> = Vec::new();
    for rule in rules.iter().filter(|r| r.practitioner == practitioner && r.applies(date, location, service)) {
        let mut pieces = vec![(rule.start.get(), rule.end.get())];
        for (bs, be) in &rule.breaks {
            pieces = subtract(&pieces, (bs.get(), be.get()));
        }
        open.extend(pieces);
    }
    let relevant = exceptions.iter().filter(|e| e.concerns(date, practitioner, location));
    for extra in relevant.clone().filter(|e| e.kind == ExceptionKind::Extra) {
        open.push(extra.interval());
    }
    let mut open = merge(open);
    for closed in relevant.filter(|e| e.kind == ExceptionKind::Closed) {
        open = subtract(&open, closed.interval());
    }
    open
}

/// Sorts and merges overlapping or touching intervals.
fn merge(mut v: Vec<(u16, u16)>) -> Vec<(u16, u16)> {
    v.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Removes `[cs, ce)` from each interval.
fn subtract(v: &[(u16, u16)], (cs, ce): (u16, u16)) -> Vec<(u16, u16)> {
    let mut out = Vec::with_capacity(v.len() + 1);
    for &(s, e) in v {
        if ce <= s || e <= cs {
            out.push((s, e));
            continue;
        }
        if s < cs {
            out.push((s, cs));
        }
        if ce < e {
            out.push((ce, e));
        }
    }
    out
}

mod weekday_names {
    use super::Weekdays;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(w: &Weekdays, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(w.names())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekdays, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        Weekdays::from_names(&names).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn m(s: &str) -> DayMinutes {
        DayMinutes::parse(s).expect("test time")
    }

    fn rule(p: PractitionerId, l: LocationId) -> WeeklyRule {
        WeeklyRule {
            id: RuleId::new(),
            practitioner: p,
            location: l,
            weekdays: Weekdays::from_names(&["mon", "tue", "wed", "thu", "fri"]).expect("days"),
            start: m("09:00"),
            end: m("17:00"),
            breaks: vec![(m("12:00"), m("13:00"))],
            valid_from: date(2026, 1, 1),
            valid_until: Some(date(2026, 12, 31)),
            services: vec![],
        }
    }

    #[test]
    fn weekly_rule_with_break_holiday_and_extra_hours() {
        let (p, l, s) = (PractitionerId::new(), LocationId::new(), ServiceId::new());
        let rules = [rule(p, l)];
        // Monday 2026-03-02: 09–12, 13–17.
        assert_eq!(open_intervals(&rules, &[], p, l, s, date(2026, 3, 2)), vec![(540, 720), (780, 1020)]);
        // Saturday: closed.
        assert!(open_intervals(&rules, &[], p, l, s, date(2026, 3, 7)).is_empty());
        // Outside the effective range.
        assert!(open_intervals(&rules, &[], p, l, s, date(2027, 1, 4)).is_empty());
        let holiday = Exception {
            id: ExceptionId::new(),
            practitioner: None,
            location: None,
            date: date(2026, 3, 2),
            kind: ExceptionKind::Closed,
            start: None,
            end: None,
        };
        assert!(open_intervals(&rules, &[holiday], p, l, s, date(2026, 3, 2)).is_empty());
        let extra = Exception {
            id: ExceptionId::new(),
            practitioner: Some(p),
            location: Some(l),
            date: date(2026, 3, 7),
            kind: ExceptionKind::Extra,
            start: Some(m("10:00")),
            end: Some(m("12:00")),
        };
        assert_eq!(open_intervals(&rules, std::slice::from_ref(&extra), p, l, s, date(2026, 3, 7)), vec![(600, 720)]);
        // Extra hours for another practitioner do not open this one.
        assert!(open_intervals(&rules, &[extra], PractitionerId::new(), l, s, date(2026, 3, 7)).is_empty());
        let afternoon_off = Exception {
            id: ExceptionId::new(),
            practitioner: Some(p),
            location: Some(l),
            date: date(2026, 3, 2),
            kind: ExceptionKind::Closed,
            start: Some(m("14:00")),
            end: Some(m("24:00")),
        };
        assert_eq!(open_intervals(&rules, &[afternoon_off], p, l, s, date(2026, 3, 2)), vec![(540, 720), (780, 840)]);
    }

    #[test]
    fn service_restriction_and_overlapping_rules_merge() {
        let (p, l, s, other) = (PractitionerId::new(), LocationId::new(), ServiceId::new(), ServiceId::new());
        let mut a = rule(p, l);
        a.breaks.clear();
        a.services = vec![s];
        let mut b = a.clone();
        b.start = m("16:00");
        b.end = m("19:00");
        assert_eq!(open_intervals(&[a.clone(), b], &[], p, l, s, date(2026, 3, 2)), vec![(540, 1140)]);
        assert!(open_intervals(&[a], &[], p, l, other, date(2026, 3, 2)).is_empty());
    }

    #[test]
    fn validation_names_fields() {
        let (p, l) = (PractitionerId::new(), LocationId::new());
        let mut r = rule(p, l);
        r.breaks = vec![(m("08:00"), m("10:00"))];
        assert!(matches!(r.validate(), Err(DomainError::Invalid { field, .. }) if field == "breaks[0]"));
        let mut r = rule(p, l);
        r.end = m("08:00");
        assert!(matches!(r.validate(), Err(DomainError::Invalid { field, .. }) if field == "end"));
        assert!(Weekdays::from_names(&["mon", "funday"]).is_err());
        assert!(Weekdays::from_names::<&str>(&[]).is_err());
    }
}
