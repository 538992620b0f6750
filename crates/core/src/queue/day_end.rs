//! When a queue's day ends by itself: the location's last opening hour that day, read on the
//! location's wall clock, plus the clinic's `close_after_min`. The wall-clock time is turned
//! into an instant with that day's offset, so on a day the clocks change a 19:00 closing is
//! 19:00 local, not "midnight plus 19 hours".

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// The instant a queue of `date` closes: `last_end_min` (local minutes since midnight, up to
/// 1440; `None` when nobody works there that day — then the end of the local day) plus
/// `after`. A wall-clock time that does not exist that day (a spring-forward gap) is read
/// the way clocks were turned (the later offset), an ambiguous one as its first occurrence.
pub fn close_at(date: Date, last_end_min: Option<u32>, tz: &TimeZone, after: SignedDuration) -> Timestamp {
    let minutes = i64::from(last_end_min.unwrap_or(1440).min(1440));
    let midnight = date.to_datetime(Time::midnight());
    let local = midnight.checked_add(SignedDuration::from_mins(minutes)).unwrap_or(midnight);
    let end = tz.to_ambiguous_timestamp(local).compatible().unwrap_or(Timestamp::MAX);
    end.checked_add(after).unwrap_or(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn tz(name: &str) -> TimeZone {
        crate::zones::get(name).expect("zone")
    }

    #[test]
    fn the_closing_is_read_on_the_days_own_clock_across_dst() {
        let paris = tz("Europe/Paris");
        let hour = SignedDuration::from_hours(1);
        // Winter: UTC+1. 19:00 + 1 h → 19:00 UTC.
        let winter = close_at(date(2026, 3, 28), Some(19 * 60), &paris, hour);
        assert_eq!(winter.to_string(), "2026-03-28T19:00:00Z");
        // The day clocks go forward (02:00 → 03:00): 19:00 is UTC+2, so 18:00 UTC — a naive
        // "midnight + 19 h" would give 19:00 UTC, an hour late.
        let change = close_at(date(2026, 3, 29), Some(19 * 60), &paris, hour);
        assert_eq!(change.to_string(), "2026-03-29T18:00:00Z");
        // The autumn change: 19:00 is UTC+1 again.
        let back = close_at(date(2026, 10, 25), Some(19 * 60), &paris, SignedDuration::ZERO);
        assert_eq!(back.to_string(), "2026-10-25T18:00:00Z");
    }

    #[test]
    fn no_hours_means_the_end_of_the_local_day_and_gaps_move_forward() {
        let tehran = tz("Asia/Tehran");
        let end = close_at(date(2026, 11, 30), None, &tehran, SignedDuration::ZERO);
        assert_eq!(end.to_string(), "2026-11-30T20:30:00Z", "midnight in Tehran (UTC+3:30)");
        assert_eq!(close_at(date(2026, 11, 30), Some(1440), &tehran, SignedDuration::ZERO), end);
        // 02:30 does not exist in Paris on 2026-03-29: read as 03:30 CEST.
        let gap = close_at(date(2026, 3, 29), Some(150), &tz("Europe/Paris"), SignedDuration::ZERO);
        assert_eq!(gap.to_string(), "2026-03-29T01:30:00Z");
    }
}
