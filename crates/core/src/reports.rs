//! The clinic's figures over a period, computed from plain facts the store reads (no I/O here):
//! appointments per local day, the no-show rate, the queue's mean and 90th-percentile wait,
//! each practitioner's utilisation (booked time over open time from the weekly rules and the
//! exceptions), and messages and their cost per channel. The reports page draws these and its
//! CSV export writes the very same numbers.

use crate::ids::{LocationId, PractitionerId, ServiceId};
use crate::schedule::{Exception, WeeklyRule, open_intervals};
use crate::status::AppointmentStatus;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// The longest period a report covers (a year and a bit): bounded work per request.
pub const MAX_DAYS: i32 = 366;

/// One appointment as a report needs it.
#[derive(Debug, Clone)]
pub struct AppointmentFact {
    pub practitioner: PractitionerId,
    pub location: LocationId,
    pub start: Timestamp,
    pub end: Timestamp,
    pub status: AppointmentStatus,
}

/// Messages of one channel (all statuses) over the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFigures {
    pub channel: String,
    pub count: i64,
    pub cost_micros: i64,
}

/// Appointments on one local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayFigures {
    pub date: Date,
    /// Every appointment not cancelled or entered in error.
    pub booked: u32,
    pub cancelled: u32,
    pub no_shows: u32,
}

/// One practitioner's booked and open minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utilisation {
    pub practitioner: PractitionerId,
    pub booked_min: i64,
    pub open_min: i64,
}

impl Utilisation {
    /// Booked over open, in percent; `None` when the practitioner had no open hours.
    pub fn percent(&self) -> Option<f64> {
        (self.open_min > 0).then(|| self.booked_min as f64 * 100.0 / self.open_min as f64)
    }
}

/// Queue waits (ticket issued → first called), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WaitFigures {
    pub count: usize,
    pub mean_s: Option<f64>,
    /// Nearest-rank 90th percentile.
    pub p90_s: Option<i64>,
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct Report {
    pub from: Date,
    pub to: Date,
    pub days: Vec<DayFigures>,
    /// No-shows over appointments whose outcome is known (arrived, checked in, fulfilled, no-show).
    pub no_show_rate: Option<f64>,
    pub no_shows: u32,
    pub outcomes: u32,
    pub wait: WaitFigures,
    pub utilisation: Vec<Utilisation>,
    pub messages: Vec<ChannelFigures>,
}

/// What a report is computed from.
pub struct ReportInput<'a> {
    /// First and last local date (inclusive).
    pub from: Date,
    pub to: Date,
    pub appointments: &'a [AppointmentFact],
    /// Each location's time zone: an appointment's day is its location's local day.
    pub zones: &'a [(LocationId, TimeZone)],
    pub practitioners: &'a [PractitionerId],
    pub services: &'a [ServiceId],
    pub rules: &'a [WeeklyRule],
    pub exceptions: &'a [Exception],
    /// Seconds each ticket of the period waited before it was first called.
    pub waits_s: &'a [i64],
    pub messages: &'a [ChannelFigures],
}

/// Computes the report. Appointments outside `[from, to]` (local days) are ignored, so the
/// store may read a day more on each side to cover every time zone.
pub fn compute(input: &ReportInput<'_>) -> Report {
    let tz_of = |l: LocationId| input.zones.iter().find(|(id, _)| *id == l).map_or(TimeZone::UTC, |(_, tz)| tz.clone());
    let dates = dates(input.from, input.to);
    let mut days: Vec<DayFigures> =
        dates.iter().map(|&date| DayFigures { date, booked: 0, cancelled: 0, no_shows: 0 }).collect();
    let (mut no_shows, mut outcomes) = (0u32, 0u32);
    let mut booked_min: Vec<(PractitionerId, i64)> = input.practitioners.iter().map(|&p| (p, 0)).collect();
    for a in input.appointments {
        let date = a.start.to_zoned(tz_of(a.location)).date();
        let Some(day) = days.iter_mut().find(|d| d.date == date) else { continue };
        use AppointmentStatus::*;
        match a.status {
            Cancelled => day.cancelled += 1,
            EnteredInError => {}
            _ => day.booked += 1,
        }
        if a.status == Noshow {
            day.no_shows += 1;
            no_shows += 1;
        }
        if matches!(a.status, Noshow | Arrived | CheckedIn | Fulfilled) {
            outcomes += 1;
        }
        // A no-show still took the practitioner's time: it was kept free for them.
        if a.status.occupies_time() || a.status == Noshow {
            let minutes = (a.end.as_second() - a.start.as_second()) / 60;
            match booked_min.iter_mut().find(|(p, _)| *p == a.practitioner) {
                Some((_, m)) => *m += minutes,
                None => booked_min.push((a.practitioner, minutes)),
            }
        }
    }
    let utilisation = booked_min
        .into_iter()
        .map(|(practitioner, booked_min)| Utilisation {
            practitioner,
            booked_min,
            open_min: open_minutes(input, practitioner, &dates),
        })
        .collect();
    Report {
        from: input.from,
        to: input.to,
        days,
        no_show_rate: (outcomes > 0).then(|| f64::from(no_shows) / f64::from(outcomes)),
        no_shows,
        outcomes,
        wait: waits(input.waits_s),
        utilisation,
        messages: input.messages.to_vec(),
    }
}

fn dates(from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to && out.len() < MAX_DAYS as usize {
        out.push(d);
        match d.checked_add(1.day()) {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

/// The practitioner's open minutes over `dates` at every location: a minute open for any
/// service counts once (rules limited to some services must not be counted twice).
fn open_minutes(input: &ReportInput<'_>, practitioner: PractitionerId, dates: &[Date]) -> i64 {
    let mut total = 0i64;
    for &(location, _) in input.zones {
        for &date in dates {
            let mut minute = [false; 1440];
            for &service in input.services {
                for (s, e) in open_intervals(input.rules, input.exceptions, practitioner, location, service, date) {
                    for m in minute.iter_mut().take(usize::from(e).min(1440)).skip(usize::from(s)) {
                        *m = true;
                    }
                }
            }
            total += minute.iter().filter(|m| **m).count() as i64;
        }
    }
    total
}

fn waits(waits_s: &[i64]) -> WaitFigures {
    if waits_s.is_empty() {
        return WaitFigures::default();
    }
    let mut sorted = waits_s.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let mean = sorted.iter().sum::<i64>() as f64 / n as f64;
    // Nearest rank: the smallest value with at least 90 % of the waits at or below it.
    let rank = (n * 9).div_ceil(10).max(1);
    WaitFigures { count: n, mean_s: Some(mean), p90_s: sorted.get(rank - 1).copied() }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ids::RuleId;
    use crate::minutes::DayMinutes;
    use crate::schedule::{ExceptionKind, Weekdays};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_figures_of_a_known_week() {
        let (p, l, s) = (PractitionerId::new(), LocationId::new(), ServiceId::new());
        let rule = WeeklyRule {
            id: RuleId::new(),
            practitioner: p,
            location: l,
            weekdays: Weekdays::from_names(&["mon", "tue"]).unwrap(),
            start: DayMinutes::parse("09:00").unwrap(),
            end: DayMinutes::parse("12:00").unwrap(),
            breaks: vec![],
            valid_from: "2026-01-01".parse().unwrap(),
            valid_until: None,
            services: vec![],
        };
        // Rules open Monday and Tuesday 09–12; Tuesday 2026-03-03 is a holiday.
        let closed = Exception {
            id: crate::ids::ExceptionId::new(),
            practitioner: None,
            location: None,
            date: "2026-03-03".parse().unwrap(),
            kind: ExceptionKind::Closed,
            start: None,
            end: None,
        };
        let appt = |start: &str, end: &str, status| AppointmentFact {
            practitioner: p,
            location: l,
            start: at(start),
            end: at(end),
            status,
        };
        let appointments = vec![
            appt("2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z", AppointmentStatus::Fulfilled),
            appt("2026-03-02T09:30:00Z", "2026-03-02T10:00:00Z", AppointmentStatus::Noshow),
            appt("2026-03-02T10:00:00Z", "2026-03-02T10:30:00Z", AppointmentStatus::Cancelled),
            appt("2026-03-02T10:30:00Z", "2026-03-02T11:00:00Z", AppointmentStatus::Fulfilled),
            // Outside the period: ignored.
            appt("2026-03-09T09:00:00Z", "2026-03-09T09:30:00Z", AppointmentStatus::Noshow),
        ];
        let zones = vec![(l, TimeZone::UTC)];
        let waits = [60, 120, 180, 240, 300, 360, 420, 480, 540, 6000];
        let r = compute(&ReportInput {
            from: "2026-03-02".parse().unwrap(),
            to: "2026-03-08".parse().unwrap(),
            appointments: &appointments,
            zones: &zones,
            practitioners: &[p],
            services: &[s],
            rules: &[rule],
            exceptions: &[closed],
            waits_s: &waits,
            messages: &[],
        });
        assert_eq!(r.days.len(), 7);
        assert_eq!((r.days[0].booked, r.days[0].cancelled, r.days[0].no_shows), (3, 1, 1));
        assert!(r.days[1..].iter().all(|d| d.booked == 0));
        assert_eq!((r.no_shows, r.outcomes), (1, 3));
        assert!((r.no_show_rate.unwrap_or(0.0) - 1.0 / 3.0).abs() < 1e-9);
        // Open: Monday 09–12 only (Tuesday closed) = 180 min; booked 3 × 30 (no-show included).
        assert_eq!(r.utilisation, vec![Utilisation { practitioner: p, booked_min: 90, open_min: 180 }]);
        assert_eq!(r.utilisation[0].percent(), Some(50.0));
        assert_eq!(r.wait.count, 10);
        assert_eq!(r.wait.mean_s, Some(870.0));
        assert_eq!(r.wait.p90_s, Some(540), "nearest rank: the 9th of 10");
    }
}
