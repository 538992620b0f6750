use super::*;
use jiff::civil::DateTime;

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone")
}

/// A wall time in a zone, as an instant (the test's fixture, unambiguous by construction).
fn at(z: &TimeZone, wall: &str) -> Timestamp {
    let dt: DateTime = wall.parse().expect("civil datetime");
    z.to_ambiguous_timestamp(dt).unambiguous().expect("unambiguous wall time")
}

fn wall(z: &TimeZone, t: Timestamp) -> String {
    t.to_zoned(z.clone()).strftime("%Y-%m-%d %H:%M %:z").to_string()
}

fn no_quiet(offsets: &[i64]) -> ReminderPolicy {
    ReminderPolicy { offsets: offsets.to_vec(), quiet: None }
}

fn long_ago() -> Timestamp {
    "2000-01-01T00:00:00Z".parse().expect("ts")
}

/// A one-day reminder across a DST change keeps the wall time (23 or 25 hours before).
#[test]
fn a_day_before_keeps_the_wall_time_across_dst_changes() {
    let cases = [
        // Tehran's last spring-forward: 2022-03-22 00:00 became 01:00 (+03:30 → +04:30).
        ("Asia/Tehran", "2022-03-22T10:00", "2022-03-21 10:00 +03:30", 23),
        // Casablanca leaves +01 for Ramadan: 2026-02-15 03:00 became 02:00.
        ("Africa/Casablanca", "2026-02-15T10:00", "2026-02-14 10:00 +01:00", 25),
        // Istanbul's spring-forward of 2015-03-29 03:00 → 04:00 (+02 → +03).
        ("Europe/Istanbul", "2015-03-29T10:00", "2015-03-28 10:00 +02:00", 23),
        // New York: spring forward 2026-03-08, fall back 2026-11-01.
        ("America/New_York", "2026-03-08T10:00", "2026-03-07 10:00 -05:00", 23),
        ("America/New_York", "2026-11-01T10:00", "2026-10-31 10:00 -04:00", 25),
    ];
    for (name, start, want, hours) in cases {
        let z = zone(name);
        let start = at(&z, start);
        let got = reminder_times(start, long_ago(), &z, &no_quiet(&[1440]));
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!(wall(&z, got[0].at), want, "{name}");
        assert_eq!(start.duration_since(got[0].at), SignedDuration::from_hours(hours), "{name}: elapsed");
        assert!(!got[0].moved);
    }
}

/// "2 hours before" is elapsed time: across New York's spring-forward gap the wall clock
/// shows 01:00 for a 04:00 appointment, not 02:00 (which does not exist that night).
#[test]
fn hours_before_are_elapsed_time_across_a_gap() {
    let z = zone("America/New_York");
    let start = at(&z, "2026-03-08T04:00");
    let got = reminder_times(start, long_ago(), &z, &no_quiet(&[120]));
    assert_eq!(wall(&z, got[0].at), "2026-03-08 01:00 -05:00");
    // Across the fall-back fold: 2 h before 01:30 EST (the second 01:30) is 00:30 EDT.
    let second = "2026-11-01T06:30:00Z".parse::<Timestamp>().expect("ts");
    assert_eq!(wall(&z, second), "2026-11-01 01:30 -05:00");
    let got = reminder_times(second, long_ago(), &z, &no_quiet(&[120]));
    assert_eq!(wall(&z, got[0].at), "2026-11-01 00:30 -04:00");
}

/// A reminder that would fall in quiet hours goes out the evening before, just before they
/// begin; one that does not stays where it is.
#[test]
fn quiet_hours_move_a_reminder_earlier() {
    let z = zone("Asia/Tehran");
    let start = at(&z, "2026-12-01T09:00");
    let policy = ReminderPolicy::default();
    let got = reminder_times(start, long_ago(), &z, &policy);
    let shown: Vec<(String, i64, bool)> = got.iter().map(|r| (wall(&z, r.at), r.offset_minutes, r.moved)).collect();
    assert_eq!(
        shown,
        vec![("2026-11-30 09:00 +03:30".into(), 1440, false), ("2026-11-30 21:59 +03:30".into(), 120, true)]
    );
    for r in &got {
        let local = r.at.to_zoned(z.clone());
        let minute = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).expect("minute");
        assert!(!QuietHours::default_night().contains(minute), "{:?} is in quiet hours", wall(&z, r.at));
    }
}

/// A window inside one day (a clinic's lunch break) works too, and the late-evening part of
/// an overnight window moves to the same evening.
#[test]
fn daytime_and_evening_windows() {
    let z = zone("Europe/Paris");
    let lunch = QuietHours::new(DayMinutes::parse("12:00").expect("t"), DayMinutes::parse("14:00").expect("t"))
        .expect("window");
    let start = at(&z, "2026-06-10T15:00");
    let got = reminder_times(start, long_ago(), &z, &ReminderPolicy { offsets: vec![120], quiet: Some(lunch) });
    assert_eq!(wall(&z, got[0].at), "2026-06-10 11:59 +02:00");
    // 2 h before 23:30 is 21:30 (outside); 1 h before is 22:30 (inside) → 21:59 the same evening.
    let start = at(&z, "2026-06-10T23:30");
    let got = reminder_times(start, long_ago(), &z, &ReminderPolicy { offsets: vec![60], ..ReminderPolicy::default() });
    assert_eq!(wall(&z, got[0].at), "2026-06-10 21:59 +02:00");
}

/// Never before the booking was made, never at or after the start, never twice at one time.
#[test]
fn dropped_when_before_booking_and_merged_when_equal() {
    let z = zone("Asia/Tehran");
    let start = at(&z, "2026-12-01T09:00");
    // Booked at 23:00 the evening before: the 24 h one is past and the 2 h one's quiet-hours
    // time (21:59) too. Nothing is sent rather than a reminder at 07:00 in quiet hours.
    let late = at(&z, "2026-11-30T23:00");
    assert_eq!(reminder_times(start, late, &z, &ReminderPolicy::default()), vec![]);
    // Booked at 21:00: the 2 h reminder moves to 21:59, after the booking: kept.
    let evening = at(&z, "2026-11-30T21:00");
    let got = reminder_times(start, evening, &z, &ReminderPolicy::default());
    assert_eq!(got.iter().map(|r| wall(&z, r.at)).collect::<Vec<_>>(), vec!["2026-11-30 21:59 +03:30"]);
    // 1 h and 2 h before a 08:30 start both fall in quiet hours: one reminder at 21:59.
    let early = at(&z, "2026-12-01T08:30");
    let got = reminder_times(early, long_ago(), &z, &ReminderPolicy { offsets: vec![120, 60], ..Default::default() });
    assert_eq!(got.len(), 1);
    assert_eq!(wall(&z, got[0].at), "2026-11-30 21:59 +03:30");
    for r in reminder_times(start, long_ago(), &z, &ReminderPolicy::default()) {
        assert!(r.at < start);
    }
}

#[test]
fn offsets_and_windows_are_validated() {
    assert_eq!(validate_offsets(&[120, 1440, 120]).expect("ok"), vec![1440, 120]);
    assert_eq!(validate_offsets(&[]).expect("none"), Vec::<i64>::new());
    assert!(validate_offsets(&[0]).is_err());
    assert!(validate_offsets(&[-60]).is_err());
    assert!(validate_offsets(&[MAX_OFFSET_MINUTES + 1]).is_err());
    assert!(validate_offsets(&[1, 2, 3, 4, 5, 6]).is_err());
    let t = |s| DayMinutes::parse(s).expect("t");
    assert!(QuietHours::new(t("22:00"), t("22:00")).is_err());
    assert!(QuietHours::new(t("24:00"), t("08:00")).is_err());
    assert!(QuietHours::new(t("22:00"), t("24:00")).is_ok());
}
