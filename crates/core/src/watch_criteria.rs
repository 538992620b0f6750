//! When a freed slot suits a watcher: the date window, weekdays and times of day a watch carries.
//!
//! Shared by watches on this instance's own slots and watches on slots imported from other
//! publishers (SMART Scheduling Links, FHIR `Slot`), so "Tuesdays after 16:00 next week" means the
//! same thing everywhere. Everything is in the location's wall-clock time: a patient in Tehran who
//! asks for mornings means Tehran mornings, whatever zone the server runs in.

use jiff::civil::{Date, DateTime, Time, Weekday};

use crate::error::DomainError;

/// The longest window a watch may cover. A watch is a promise to look on the patient's behalf;
/// an unbounded one outlives the patient's need and keeps costing on every freed slot.
pub const MAX_WINDOW_DAYS: i32 = 366;

/// A time-of-day window, `from` inclusive and `to` exclusive: a slot *starting* at 10:00 does not
/// suit "09:00–10:00". Windows do not cross midnight (ask for two windows instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub from: Time,
    pub to: Time,
}

/// What a watcher accepts. Empty `weekdays` or `times` mean "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criteria {
    /// First day of the window (inclusive), in the location's calendar.
    pub from: Date,
    /// Last day of the window (inclusive): the watch expires at the end of this day.
    pub to: Date,
    pub weekdays: Vec<Weekday>,
    pub times: Vec<TimeWindow>,
}

impl Criteria {
    /// Checks and normalises what a patient asked for. `today` is the location's date now: a
    /// window that has already ended is refused, one that started in the past is kept as is (it
    /// simply matches nothing before now, since no past slot is ever freed to a watcher).
    pub fn new(
        from: Date,
        to: Date,
        mut weekdays: Vec<Weekday>,
        mut times: Vec<TimeWindow>,
        today: Date,
    ) -> Result<Criteria, DomainError> {
        if to < from {
            return Err(DomainError::invalid("to", "the window ends before it starts"));
        }
        if to < today {
            return Err(DomainError::invalid("to", "the window has already ended"));
        }
        let span = (to - from).get_days();
        if span >= MAX_WINDOW_DAYS {
            return Err(DomainError::invalid("to", format!("a watch may cover at most {MAX_WINDOW_DAYS} days")));
        }
        for (i, window) in times.iter().enumerate() {
            if window.from >= window.to {
                return Err(DomainError::invalid(
                    format!("times[{i}]"),
                    "a time window must end after it starts, on the same day",
                ));
            }
        }
        weekdays.sort_by_key(|d| d.to_monday_one_offset());
        weekdays.dedup();
        times.sort_by_key(|w| (w.from, w.to));
        times.dedup();
        Ok(Criteria { from, to, weekdays, times })
    }

    /// Whether a slot starting at `start` (the location's wall-clock time) suits this watcher.
    pub fn matches(&self, start: DateTime) -> bool {
        let day = start.date();
        if day < self.from || day > self.to {
            return false;
        }
        if !self.weekdays.is_empty() && !self.weekdays.contains(&day.weekday()) {
            return false;
        }
        let time = start.time();
        self.times.is_empty() || self.times.iter().any(|w| w.from <= time && time < w.to)
    }

    /// Whether the window is over on `today` (the location's date): the watch has nothing left
    /// to find and should say so to its watcher.
    pub fn is_over(&self, today: Date) -> bool {
        today > self.to
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn window(a: Time, b: Time) -> TimeWindow {
        TimeWindow { from: a, to: b }
    }

    #[test]
    fn a_window_matches_its_days_weekdays_and_times() {
        let today = date(2026, 12, 1);
        let c = Criteria::new(
            date(2026, 12, 1),
            date(2026, 12, 14),
            vec![Weekday::Tuesday, Weekday::Tuesday, Weekday::Saturday],
            vec![window(time(16, 0, 0, 0), time(19, 0, 0, 0))],
            today,
        )
        .unwrap();
        assert_eq!(c.weekdays, vec![Weekday::Tuesday, Weekday::Saturday]);
        // Tuesday 1 December at 16:00 and 18:59 suit; 19:00 and 15:59 do not.
        assert!(c.matches(date(2026, 12, 1).at(16, 0, 0, 0)));
        assert!(c.matches(date(2026, 12, 1).at(18, 59, 0, 0)));
        assert!(!c.matches(date(2026, 12, 1).at(19, 0, 0, 0)));
        assert!(!c.matches(date(2026, 12, 1).at(15, 59, 0, 0)));
        // Wednesday is not asked for; Saturday 5th is.
        assert!(!c.matches(date(2026, 12, 2).at(17, 0, 0, 0)));
        assert!(c.matches(date(2026, 12, 5).at(17, 0, 0, 0)));
        // Outside the window, even on a Tuesday.
        assert!(!c.matches(date(2026, 12, 15).at(17, 0, 0, 0)));
        assert!(!c.matches(date(2026, 11, 24).at(17, 0, 0, 0)));
        assert!(!c.is_over(date(2026, 12, 14)));
        assert!(c.is_over(date(2026, 12, 15)));
    }

    #[test]
    fn no_weekdays_or_times_means_any() {
        let c = Criteria::new(date(2026, 12, 1), date(2026, 12, 1), vec![], vec![], date(2026, 12, 1)).unwrap();
        assert!(c.matches(date(2026, 12, 1).at(0, 0, 0, 0)));
        assert!(c.matches(date(2026, 12, 1).at(23, 59, 0, 0)));
    }

    #[test]
    fn bad_windows_are_refused_naming_the_field() {
        let today = date(2026, 12, 1);
        let field = |e: DomainError| match e {
            DomainError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        let e = Criteria::new(date(2026, 12, 5), date(2026, 12, 4), vec![], vec![], today);
        assert_eq!(field(e.unwrap_err()), "to");
        let e = Criteria::new(date(2026, 11, 1), date(2026, 11, 30), vec![], vec![], today);
        assert_eq!(field(e.unwrap_err()), "to");
        let e = Criteria::new(date(2026, 12, 1), date(2027, 12, 2), vec![], vec![], today);
        assert_eq!(field(e.unwrap_err()), "to");
        let e = Criteria::new(
            date(2026, 12, 1),
            date(2026, 12, 2),
            vec![],
            vec![window(time(9, 0, 0, 0), time(9, 0, 0, 0))],
            today,
        );
        assert_eq!(field(e.unwrap_err()), "times[0]");
    }
}
