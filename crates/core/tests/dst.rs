//! Daylight-saving and time-zone behaviour of the slot engine and of `decide_slot`.
//!
//! The contract under test (see `availability.rs`): slot starts sit on a local wall-clock grid;
//! a wall-clock time that does not exist (spring-forward gap) yields no slot, one that exists
//! twice (fall-back fold) yields two, durations are real minutes, and busy time belongs to the
//! practitioner as instants, whatever zone the location is in.

mod common;

use common::*;
use jiff::civil::date;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use nobat_core::availability::{Audience, PractitionerCalendar, SlotQuery, block};
use nobat_core::booking::{Actor, Overridden, SlotRequest, decide_slot};
use nobat_core::{Busy, BusyKind, DomainError, LocationId, LocationZone, PractitionerId, Slot, slots};

/// Asserts the slots are strictly increasing in time (no instant is offered twice) and that each
/// lasts exactly `minutes` real minutes.
fn assert_distinct_and_real_length(slots: &[Slot], minutes: i64) {
    for s in slots {
        assert_eq!(
            s.end.duration_since(s.start),
            mins(minutes),
            "slot at {} must last {minutes} real minutes",
            s.start
        );
    }
    for w in slots.windows(2) {
        assert!(w[0].start < w[1].start, "instants must be distinct and sorted: {} then {}", w[0].start, w[1].start);
    }
}

/// The UTC offset `tz` has in the middle of local `day`.
fn noon_offset(tz: &TimeZone, day: jiff::civil::Date) -> Offset {
    day.at(12, 0, 0, 0).to_zoned(tz.clone()).expect("noon exists").offset()
}

// ---------------------------------------------------------------------------------------------
// Europe/Paris, spring forward: 2026-03-29 02:00 CET → 03:00 CEST.
// ---------------------------------------------------------------------------------------------

#[test]
fn paris_spring_forward_offers_nothing_in_the_missing_hour() {
    // Arrange: a night shift 00:00–06:00 every day, 30-minute slots.
    let setup = Setup::new("Europe/Paris").open_daily("00:00", "06:00", &[]);
    let consult = service(30, 30);

    // Act
    let day = setup.day(&consult, date(2026, 3, 29));

    // Assert: 02:00–02:59 never exists on this day, so no slot may claim to start then.
    let starts = local_starts(&day, &setup.location.tz);
    assert!(starts.iter().all(|s| !s.starts_with("02:")), "no slot in the gap: {starts:?}");
    // The grid around the gap is intact: the last slot before it and the first after it.
    assert!(starts.contains(&"01:30".to_string()), "{starts:?}");
    assert!(starts.contains(&"03:00".to_string()), "{starts:?}");
    // 6 wall-clock hours minus the missing one = 5 real hours = 10 slots.
    assert_eq!(starts.len(), 10, "{starts:?}");
    assert_distinct_and_real_length(&day, 30);
    // 01:30 CET lasts 30 real minutes and so ends exactly when 03:00 CEST begins.
    let before = day.iter().find(|s| hhmm(s.start, &setup.location.tz) == "01:30").expect("01:30");
    let after = day.iter().find(|s| hhmm(s.start, &setup.location.tz) == "03:00").expect("03:00");
    assert_eq!(before.end, after.start);
    assert_eq!(hhmm_offset(before.start, &setup.location.tz), "01:30+01");
    assert_eq!(hhmm_offset(after.start, &setup.location.tz), "03:00+02");
}

#[test]
fn paris_spring_forward_day_has_the_usual_daytime_grid() {
    // Arrange: ordinary clinic hours; 2026-03-22 is the Sunday before, a normal day.
    let setup = Setup::new("Europe/Paris").open_daily("09:00", "17:00", &[]);
    let consult = service(30, 30);

    // Act
    let normal = setup.day(&consult, date(2026, 3, 22));
    let dst_day = setup.day(&consult, date(2026, 3, 29));

    // Assert: the transition at night must not shift daytime slots by an hour (the classic
    // "all appointments moved" bug from storing UTC times of day).
    assert_eq!(normal.len(), 16);
    assert_eq!(local_starts(&dst_day, &setup.location.tz), local_starts(&normal, &setup.location.tz));
    assert_eq!(hhmm_offset(normal[0].start, &setup.location.tz), "09:00+01");
    assert_eq!(hhmm_offset(dst_day[0].start, &setup.location.tz), "09:00+02");
    assert_eq!(dst_day[0].start, ts("2026-03-29T07:00:00Z"));
}

#[test]
fn paris_spring_forward_long_slots_last_real_minutes_across_the_gap() {
    // Arrange: 90-minute sessions on a 90-minute grid: 00:00, 01:30, 03:00 (02:00 never exists).
    let setup = Setup::new("Europe/Paris").open_daily("00:00", "06:00", &[]);
    let session = service(90, 90);

    // Act
    let day = setup.day(&session, date(2026, 3, 29));

    // Assert: the 01:30 session runs 90 real minutes and so ends at 04:00 CEST on the wall.
    let tz = &setup.location.tz;
    let s = day.iter().find(|s| hhmm(s.start, tz) == "01:30").expect("01:30 is offered");
    assert_eq!(hhmm_offset(s.end, tz), "04:00+02");
    assert_distinct_and_real_length(&day, 90);
}

// ---------------------------------------------------------------------------------------------
// Europe/Paris, fall back: 2026-10-25 03:00 CEST → 02:00 CET.
// ---------------------------------------------------------------------------------------------

#[test]
fn paris_fall_back_offers_the_repeated_hour_twice() {
    // Arrange
    let setup = Setup::new("Europe/Paris").open_daily("00:00", "06:00", &[]);
    let consult = service(30, 30);

    // Act
    let day = setup.day(&consult, date(2026, 10, 25));

    // Assert: 02:00 and 02:30 happen twice, once in summer time and once in winter time.
    let tz = &setup.location.tz;
    for wall in ["02:00", "02:30"] {
        let passes: Vec<String> =
            day.iter().filter(|s| hhmm(s.start, tz) == wall).map(|s| hhmm_offset(s.start, tz)).collect();
        assert_eq!(passes, vec![format!("{wall}+02"), format!("{wall}+01")], "both passes of {wall}");
    }
    // 00:00 CEST to 06:00 CET is 7 real hours: 14 slots, back to back, none twice.
    assert_eq!(day.len(), 14);
    assert_distinct_and_real_length(&day, 30);
    assert!(day.windows(2).all(|w| w[0].end == w[1].start), "the night is covered without gap or overlap");
    assert_eq!(day[0].start, ts("2026-10-24T22:00:00Z"));
    assert_eq!(day[13].end, ts("2026-10-25T05:00:00Z"));
}

#[test]
fn paris_fall_back_break_in_the_repeated_hour_holds_on_both_passes() {
    // Arrange: a break 02:00–02:30 on the night the clock shows 02:00–02:59 twice. A clinic
    // cannot say which pass it meant, so the break holds whenever the wall clock reads 02:0x or
    // 02:1x. Hour-long sessions make a slot able to run into the break from either side.
    let setup = Setup::new("Europe/Paris").open_daily("00:00", "06:00", &[("02:00", "02:30")]);
    let session = service(60, 30);

    // Act
    let day = setup.day(&session, date(2026, 10, 25));

    // Assert: no slot covers a real minute whose wall-clock time lies in the break.
    let tz = &setup.location.tz;
    for s in &day {
        let mut t = s.start;
        while t < s.end {
            let local = hhmm(t, tz);
            assert!(
                !(local.as_str() >= "02:00" && local.as_str() < "02:30"),
                "slot {}–{} covers {} which is in the break",
                hhmm_offset(s.start, tz),
                hhmm_offset(s.end, tz),
                hhmm_offset(t, tz)
            );
            t += mins(1);
        }
    }
    // And the break did not swallow the night: sessions before and after it remain.
    let starts: Vec<String> = day.iter().map(|s| hhmm_offset(s.start, tz)).collect();
    assert!(starts.contains(&"01:00+02".to_string()), "{starts:?}");
    assert!(starts.contains(&"02:30+01".to_string()), "{starts:?}");
}

#[test]
fn paris_spring_forward_break_after_the_gap_is_not_swallowed() {
    // Arrange: a break 02:30–03:30 on the night 02:00–02:59 does not exist. What is left of the
    // break is 03:00–03:30 CEST; an hour-long session starting at 01:30 CET would run until
    // 03:30 CEST, straight through it.
    let setup = Setup::new("Europe/Paris").open_daily("00:00", "06:00", &[("02:30", "03:30")]);
    let session = service(60, 30);

    // Act
    let day = setup.day(&session, date(2026, 3, 29));

    // Assert
    let tz = &setup.location.tz;
    let starts: Vec<String> = day.iter().map(|s| hhmm_offset(s.start, tz)).collect();
    assert!(!starts.contains(&"01:30+01".to_string()), "01:30 CET would overlap the break: {starts:?}");
    // 01:00 CET ends at 03:00 CEST, when the break begins: allowed.
    assert!(starts.contains(&"01:00+01".to_string()), "{starts:?}");
    assert!(starts.contains(&"03:30+02".to_string()), "{starts:?}");
}

#[test]
fn a_rule_ending_inside_the_gap_ends_when_the_gap_begins() {
    // Arrange: a shift 00:00–02:30 on spring-forward night. The wall clock never shows 02:30; it
    // jumps from 01:59 to 03:00, which is already past the end of the shift.
    let setup = Setup::new("Europe/Paris").open_daily("00:00", "02:30", &[]);
    let session = service(60, 30);

    // Act
    let day = setup.day(&session, date(2026, 3, 29));

    // Assert: the last session ends by 03:00 CEST (01:00Z); none runs on to 03:30 CEST.
    let last = day.last().expect("some sessions");
    assert!(day.iter().all(|s| s.end <= ts("2026-03-29T01:00:00Z")), "last ends at {}", last.end);
    assert_eq!(hhmm_offset(last.start, &setup.location.tz), "01:00+01");
}

// ---------------------------------------------------------------------------------------------
// America/New_York: 2026-03-08 02:00 EST → 03:00 EDT, 2026-11-01 02:00 EDT → 01:00 EST.
// ---------------------------------------------------------------------------------------------

#[test]
fn new_york_spring_forward_skips_two_am() {
    // Arrange
    let setup = Setup::new("America/New_York").open_daily("00:00", "06:00", &[]);
    let consult = service(30, 30);

    // Act
    let day = setup.day(&consult, date(2026, 3, 8));

    // Assert
    let tz = &setup.location.tz;
    let starts = local_starts(&day, tz);
    assert!(starts.iter().all(|s| !s.starts_with("02:")), "{starts:?}");
    assert_eq!(starts.len(), 10, "5 real hours: {starts:?}");
    let before = day.iter().find(|s| hhmm(s.start, tz) == "01:30").expect("01:30 EST");
    let after = day.iter().find(|s| hhmm(s.start, tz) == "03:00").expect("03:00 EDT");
    assert_eq!(hhmm_offset(before.start, tz), "01:30-05");
    assert_eq!(hhmm_offset(after.start, tz), "03:00-04");
    assert_eq!(before.end, after.start, "30 real minutes bridge the gap");
    assert_distinct_and_real_length(&day, 30);
}

#[test]
fn new_york_fall_back_repeats_one_am() {
    // Arrange: in New York the clock goes from 01:59 EDT back to 01:00 EST, so the repeated hour
    // is 01:00–01:59 (not 02:00 as in Europe).
    let setup = Setup::new("America/New_York").open_daily("00:00", "06:00", &[]);
    let consult = service(30, 30);

    // Act
    let day = setup.day(&consult, date(2026, 11, 1));

    // Assert
    let tz = &setup.location.tz;
    for wall in ["01:00", "01:30"] {
        let passes: Vec<String> =
            day.iter().filter(|s| hhmm(s.start, tz) == wall).map(|s| hhmm_offset(s.start, tz)).collect();
        assert_eq!(passes, vec![format!("{wall}-04"), format!("{wall}-05")], "both passes of {wall}");
    }
    assert_eq!(local_starts(&day, tz).iter().filter(|s| s.starts_with("02:")).count(), 2, "02:00 and 02:30 once each");
    assert_eq!(day.len(), 14, "7 real hours");
    assert_distinct_and_real_length(&day, 30);
    assert!(day.windows(2).all(|w| w[0].end == w[1].start));
}

#[test]
fn new_york_daytime_grid_is_stable_across_both_transitions() {
    // Arrange: weekday-agnostic 09:00–17:00.
    let setup = Setup::new("America/New_York").open_daily("09:00", "17:00", &[]);
    let consult = service(30, 30);
    let tz = &setup.location.tz;
    let reference = local_starts(&setup.day(&consult, date(2026, 6, 7)), tz);

    // Act / Assert: the same 16 wall-clock starts on both transition days.
    assert_eq!(reference.len(), 16);
    for d in [date(2026, 3, 8), date(2026, 11, 1)] {
        assert_eq!(local_starts(&setup.day(&consult, d), tz), reference, "{d}");
    }
}

// ---------------------------------------------------------------------------------------------
// Africa/Casablanca: +01 all year except Ramadan, when Morocco returns to +00.
// ---------------------------------------------------------------------------------------------

/// The 2026 Ramadan switch as the bundled tzdb has it: (start, end) instants of the +00 period.
/// Morocco announces these dates late and the tzdb predicts them, so the test finds them
/// rather than hard-coding what a future tzdb might move.
fn casablanca_ramadan_2026(tz: &TimeZone) -> (Timestamp, Timestamp) {
    let mut transitions = tz.following(ts("2026-01-01T00:00:00Z"));
    let start = transitions.next().expect("a transition in 2026");
    let end = transitions.next().expect("and one back");
    assert_eq!(start.offset(), Offset::UTC, "Ramadan time is +00");
    assert_eq!(end.offset(), Offset::constant(1), "back to +01 after Ramadan");
    (start.timestamp(), end.timestamp())
}

#[test]
fn casablanca_ramadan_moves_utc_but_not_the_wall_clock() {
    // Arrange
    let setup = Setup::new("Africa/Casablanca").open_daily("09:00", "17:00", &[]);
    let consult = service(30, 30);
    let tz = setup.location.tz.clone();
    let (start, end) = casablanca_ramadan_2026(&tz);
    // Sanity: the predicted period lies around Ramadan 1447 (mid-February to late March).
    assert!(start > ts("2026-02-01T00:00:00Z") && end < ts("2026-04-15T00:00:00Z"), "{start}..{end}");
    let before = start.to_zoned(tz.clone()).date().checked_sub(jiff::Span::new().days(3)).expect("date");
    let during = start.to_zoned(tz.clone()).date().checked_add(jiff::Span::new().days(3)).expect("date");
    let after = end.to_zoned(tz.clone()).date().checked_add(jiff::Span::new().days(3)).expect("date");
    assert_eq!(noon_offset(&tz, before), Offset::constant(1));
    assert_eq!(noon_offset(&tz, during), Offset::UTC);
    assert_eq!(noon_offset(&tz, after), Offset::constant(1));

    // Act
    let slots_before = setup.day(&consult, before);
    let slots_during = setup.day(&consult, during);
    let slots_after = setup.day(&consult, after);

    // Assert: 09:00 local every time, but 08:00Z outside Ramadan and 09:00Z during it.
    for s in [&slots_before, &slots_during, &slots_after] {
        assert_eq!(s.len(), 16);
        assert_eq!(hhmm(s[0].start, &tz), "09:00");
    }
    assert_eq!(slots_before[0].start, before.at(8, 0, 0, 0).to_zoned(TimeZone::UTC).expect("utc").timestamp());
    assert_eq!(slots_during[0].start, during.at(9, 0, 0, 0).to_zoned(TimeZone::UTC).expect("utc").timestamp());
    assert_eq!(slots_after[0].start, after.at(8, 0, 0, 0).to_zoned(TimeZone::UTC).expect("utc").timestamp());
}

#[test]
fn casablanca_transition_nights_follow_the_gap_and_fold_rules() {
    // Arrange: Morocco's switches happen at night (03:00 → 02:00 going in, 02:00 → 03:00 coming
    // out), so a 00:00–06:00 rule sees a fold on the first night and a gap on the last.
    let setup = Setup::new("Africa/Casablanca").open_daily("00:00", "06:00", &[]);
    let consult = service(30, 30);
    let tz = setup.location.tz.clone();
    let (start, end) = casablanca_ramadan_2026(&tz);
    let fold_day = start.to_zoned(tz.clone()).date();
    let gap_day = end.to_zoned(tz.clone()).date();

    // Act
    let fold = setup.day(&consult, fold_day);
    let gap = setup.day(&consult, gap_day);

    // Assert: the fold night has 7 real hours (14 slots), the gap night 5 (10 slots), and every
    // wall-clock time that occurs twice is offered twice.
    assert_eq!(fold.len(), 14, "{:?}", fold.iter().map(|s| hhmm_offset(s.start, &tz)).collect::<Vec<_>>());
    assert_eq!(gap.len(), 10, "{:?}", gap.iter().map(|s| hhmm_offset(s.start, &tz)).collect::<Vec<_>>());
    assert_distinct_and_real_length(&fold, 30);
    assert_distinct_and_real_length(&gap, 30);
    for s in &fold {
        let wall = s.start.to_zoned(tz.clone()).datetime();
        let twice = matches!(tz.to_ambiguous_timestamp(wall).offset(), AmbiguousOffset::Fold { .. });
        let count = fold.iter().filter(|o| o.start.to_zoned(tz.clone()).datetime() == wall).count();
        assert_eq!(count, if twice { 2 } else { 1 }, "{wall}");
    }
    for s in &gap {
        let wall = s.start.to_zoned(tz.clone()).datetime();
        assert!(
            matches!(tz.to_ambiguous_timestamp(wall).offset(), AmbiguousOffset::Unambiguous { .. }),
            "{wall} is not in the gap"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Asia/Tehran: Iran abolished DST in 2022; +03:30 all year.
// ---------------------------------------------------------------------------------------------

#[test]
fn tehran_has_no_dst_in_2026() {
    // Arrange: the former DST switch days (around 22 March and 22 September).
    let setup = Setup::new("Asia/Tehran").open_daily("09:00", "17:00", &[]);
    let consult = service(30, 30);
    let tz = setup.location.tz.clone();
    let half_past_three = Offset::from_seconds(3 * 3600 + 30 * 60).expect("offset");

    for d in [date(2026, 3, 22), date(2026, 9, 22)] {
        // Act
        let day = setup.day(&consult, d);

        // Assert: same offset, same UTC instants; a stale tzdb would give +04:30 in March.
        assert_eq!(noon_offset(&tz, d), half_past_three, "{d}");
        assert_eq!(day.len(), 16);
        assert_eq!(day[0].start, d.at(5, 30, 0, 0).to_zoned(TimeZone::UTC).expect("utc").timestamp(), "09:00 = 05:30Z");
    }
    // No transition at all in 2026.
    let next = tz.following(ts("2026-01-01T00:00:00Z")).next().map(|t| t.timestamp());
    assert!(next.is_none_or(|t| t > ts("2027-01-01T00:00:00Z")), "unexpected transition {next:?}");
}

// ---------------------------------------------------------------------------------------------
// One practitioner, two locations in different zones.
// ---------------------------------------------------------------------------------------------

#[test]
fn busy_time_at_one_location_blocks_overlapping_slots_at_the_other() {
    // Arrange: a practitioner who consults (remotely) from Tehran (+03:30) and Casablanca (+01
    // in May). Monday 2026-05-04, 09:00–17:00 local at both.
    let practitioner = PractitionerId::new();
    let tehran = LocationZone { id: LocationId::new(), tz: tz("Asia/Tehran") };
    let casa = LocationZone { id: LocationId::new(), tz: tz("Africa/Casablanca") };
    let rules = vec![
        daily_rule(practitioner, tehran.id, "09:00", "17:00"),
        daily_rule(practitioner, casa.id, "09:00", "17:00"),
    ];
    let consult = service(30, 30);
    let day = date(2026, 5, 4);
    assert_eq!(noon_offset(&casa.tz, day), Offset::constant(1), "Casablanca is on +01 in May");
    // Booked: Casablanca 09:00–09:30 local = 08:00Z–08:30Z = Tehran 11:30–12:00.
    let booked_start = ts("2026-05-04T08:00:00Z");
    let (block_start, block_end) = block(&consult, booked_start, booked_start + mins(30));
    let busy = vec![Busy {
        id: uuid::Uuid::new_v4(),
        kind: BusyKind::Appointment,
        service: consult.id,
        start: booked_start,
        block_start,
        block_end,
    }];
    let cal = PractitionerCalendar { practitioner, rules: &rules, exceptions: &[], busy: &busy };
    let locations = [tehran.clone(), casa.clone()];
    let query = SlotQuery {
        service: &consult,
        from: day,
        to: day,
        now: ts("2026-05-01T00:00:00Z"),
        audience: Audience::Patient,
        location: None,
    };

    // Act
    let all = slots(&query, &cal, &locations);

    // Assert
    let at = |loc: &LocationZone| -> Vec<String> {
        all.iter().filter(|s| s.location == loc.id).map(|s| hhmm(s.start, &loc.tz)).collect()
    };
    let (t, c) = (at(&tehran), at(&casa));
    assert!(!c.contains(&"09:00".to_string()), "the booked slot itself is gone: {c:?}");
    assert!(!t.contains(&"11:30".to_string()), "Tehran 11:30 is the same instant as the booking: {t:?}");
    for kept in ["11:00", "12:00"] {
        assert!(t.contains(&kept.to_string()), "Tehran {kept} does not overlap: {t:?}");
    }
    assert!(c.contains(&"09:30".to_string()), "{c:?}");
    assert_eq!(t.len(), 15);
    assert_eq!(c.len(), 15);
    // The same answer from the booking decision: Tehran 11:30 is taken, not "not offered".
    let req = SlotRequest {
        service: consult.id,
        practitioner,
        start: ts("2026-05-04T08:00:00Z"),
        location: Some(tehran.id),
        offset: None,
    };
    let decision = decide_slot(&req, &consult, &cal, &locations, query.now, Actor::Patient);
    assert_eq!(decision, Err(DomainError::SlotTaken));
    // An overlapping but not identical start is refused too: Tehran 11:45 does not exist on a
    // 30-minute grid, so it is "not offered" rather than "taken".
    let req = SlotRequest { start: ts("2026-05-04T08:15:00Z"), ..req };
    assert!(matches!(
        decide_slot(&req, &consult, &cal, &locations, query.now, Actor::Patient),
        Err(DomainError::SlotNotOffered(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Minimum notice across a DST change (cal.com #12137: notice counted in wall-clock hours).
// ---------------------------------------------------------------------------------------------

/// Patient-visible slots for a daily 09:00–17:00 Paris rule with 24 hours' notice, seen at `now`.
fn paris_with_24h_notice(
    now: Timestamp,
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> (Setup, nobat_core::Service, Vec<Slot>) {
    let setup = Setup::new("Europe/Paris").open_daily("09:00", "17:00", &[]);
    let mut consult = service(30, 30);
    consult.min_notice_min = 24 * 60;
    let query = SlotQuery { service: &consult, from, to, now, audience: Audience::Patient, location: None };
    let out = slots(&query, &setup.calendar(), std::slice::from_ref(&setup.location));
    (setup, consult, out)
}

#[test]
fn min_notice_is_counted_in_real_hours_over_spring_forward() {
    // Arrange: Saturday 2026-03-28 12:00 CET. 24 real hours later it is Sunday 13:00 CEST,
    // because Sunday is only 23 hours long; a wall-clock "tomorrow same time" would wrongly
    // offer 12:00 and 12:30 CEST, 23 and 23.5 hours ahead.
    let now = ts("2026-03-28T11:00:00Z");
    assert_eq!(hhmm_offset(now, &tz("Europe/Paris")), "12:00+01");

    // Act
    let (setup, consult, offered) = paris_with_24h_notice(now, date(2026, 3, 28), date(2026, 3, 30));

    // Assert
    let tz = setup.location.tz.clone();
    let first = offered.first().expect("slots on Sunday");
    assert_eq!(first.start, now + SignedDuration::from_hours(24), "exactly 24 real hours ahead");
    assert_eq!(hhmm_offset(first.start, &tz), "13:00+02");
    assert!(offered.iter().all(|s| s.start >= now + SignedDuration::from_hours(24)));
    let sunday = offered.iter().filter(|s| s.start.to_zoned(tz.clone()).date() == date(2026, 3, 29)).count();
    assert_eq!(sunday, 8, "13:00–16:30");
    let monday: Vec<&Slot> =
        offered.iter().filter(|s| s.start.to_zoned(tz.clone()).date() == date(2026, 3, 30)).collect();
    assert_eq!(monday.len(), 16, "Monday is well beyond the notice");
    assert_eq!(hhmm(monday[0].start, &tz), "09:00");

    // The booking decision agrees: 12:30 CEST is too soon for a patient, fine for staff.
    let cal = setup.calendar();
    let locations = std::slice::from_ref(&setup.location);
    let req = SlotRequest {
        service: consult.id,
        practitioner: setup.practitioner,
        start: ts("2026-03-29T10:30:00Z"),
        location: None,
        offset: None,
    };
    match decide_slot(&req, &consult, &cal, locations, now, Actor::Patient) {
        Err(DomainError::SlotNotOffered(msg)) => assert!(msg.contains("1440 minutes"), "{msg}"),
        other => panic!("expected a notice refusal, got {other:?}"),
    }
    let (slot, overridden) =
        decide_slot(&req, &consult, &cal, locations, now, Actor::Staff).expect("staff may override");
    assert_eq!((slot.start, overridden), (req.start, Overridden::Yes));
    let req = SlotRequest { start: first.start, ..req };
    let (slot, overridden) =
        decide_slot(&req, &consult, &cal, locations, now, Actor::Patient).expect("24h exactly is enough");
    assert_eq!((slot, overridden), (first.clone(), Overridden::No));
}

#[test]
fn min_notice_is_counted_in_real_hours_over_fall_back() {
    // Arrange: Saturday 2026-10-24 12:00 CEST. Sunday is 25 hours long, so 24 real hours later
    // the wall clock reads 11:00 CET; a wall-clock computation would hide 11:00 and 11:30.
    let now = ts("2026-10-24T10:00:00Z");

    // Act
    let (setup, _, offered) = paris_with_24h_notice(now, date(2026, 10, 24), date(2026, 10, 25));

    // Assert
    let first = offered.first().expect("slots on Sunday");
    assert_eq!(first.start, now + SignedDuration::from_hours(24));
    assert_eq!(hhmm_offset(first.start, &setup.location.tz), "11:00+01");
    assert_eq!(offered.len(), 12, "11:00–16:30 on Sunday");
}
