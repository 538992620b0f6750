//! Watches on outside slots: what a watcher asked for, parsed once, and whether an imported
//! slot suits it. The window is read in the watcher's zone (outside feeds carry offsets, not
//! zones), with the same [`Criteria`] local watches use.

use crate::error::DomainError;
use crate::watch_criteria::{Criteria, TimeWindow};
use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

pub fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

fn time(field: &str, s: &str) -> Result<Time, DomainError> {
    let bad = || DomainError::invalid(field, format!("`{s}` is not a time like 09:30"));
    if s.len() != 5 {
        return Err(bad());
    }
    s.parse::<Time>().map_err(|_| bad())
}

/// Parses a watch's window (`weekdays` as `mon`…`sun`, `times` as `HH:MM` pairs), naming the
/// field at fault; `today` is the watcher's date now.
pub fn criteria(
    from: Date,
    to: Date,
    weekdays: &[String],
    times: &[(String, String)],
    today: Date,
) -> Result<Criteria, DomainError> {
    let days = weekdays
        .iter()
        .enumerate()
        .map(|(i, d)| {
            weekday(d).ok_or_else(|| DomainError::invalid(format!("weekdays[{i}]"), format!("`{d}` is not mon…sun")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let windows = times
        .iter()
        .enumerate()
        .map(|(i, (f, t))| {
            Ok(TimeWindow { from: time(&format!("times[{i}].from"), f)?, to: time(&format!("times[{i}].to"), t)? })
        })
        .collect::<Result<Vec<_>, DomainError>>()?;
    Criteria::new(from, to, days, windows, today)
}

/// Whether a slot starting at `start` suits the watcher, on its wall clock in `tz`.
pub fn suits(c: &Criteria, start: Timestamp, tz: &TimeZone) -> bool {
    c.matches(start.to_zoned(tz.clone()).datetime())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_window_in_the_watchers_zone_decides() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        let c = criteria(
            d("2026-12-07"),
            d("2026-12-13"),
            &["mon".into()],
            &[("09:00".into(), "12:00".into())],
            d("2026-12-01"),
        )
        .unwrap();
        let tehran = TimeZone::get("Asia/Tehran").unwrap();
        // 06:00 UTC Monday is 09:30 in Tehran: suits there, not in UTC.
        let t: Timestamp = "2026-12-07T06:00:00Z".parse().unwrap();
        assert!(suits(&c, t, &tehran));
        assert!(!suits(&c, t, &TimeZone::UTC));
        assert!(!suits(&c, "2026-12-08T06:00:00Z".parse().unwrap(), &tehran), "a Tuesday");
        let e = criteria(d("2026-12-07"), d("2026-12-13"), &["someday".into()], &[], d("2026-12-01")).unwrap_err();
        assert!(format!("{e:?}").contains("weekdays[0]"));
        let e = criteria(d("2026-12-07"), d("2026-12-13"), &[], &[("9".into(), "10:00".into())], d("2026-12-01"))
            .unwrap_err();
        assert!(format!("{e:?}").contains("times[0].from"));
    }
}
