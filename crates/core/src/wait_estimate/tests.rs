use super::*;
use crate::ids::{PractitionerId, ServiceId};
use jiff::civil::{DateTime, date};
use proptest::prelude::*;

fn at(day: i8, h: i8, m: i8) -> DateTime {
    // 2026-11-02 is a Monday.
    date(2026, 11, day).at(h, m, 0, 0)
}

fn waiting(service: Option<ServiceId>, minutes: f64, n: usize) -> Vec<Ahead> {
    (0..n).map(|_| Ahead { service, default_minutes: minutes, in_service_for_minutes: None }).collect()
}

fn line(p: Option<PractitionerId>, now: DateTime, waiting: Vec<Ahead>) -> Line {
    Line { practitioner: p, now, servers: 1, in_service: Vec::new(), waiting }
}

fn served(p: PractitionerId, s: ServiceId, started: DateTime, minutes: f64) -> Served {
    Served { practitioner: Some(p), service: Some(s), started, minutes }
}

#[test]
fn no_history_gives_the_booked_durations() {
    let (p, s) = (PractitionerId::new(), ServiceId::new());
    let e = estimate(&History::default(), &line(Some(p), at(9, 10, 0), waiting(Some(s), 10.0, 8)));
    assert_eq!(e.len(), 8);
    assert_eq!(e[0].p50_minutes, 0.0, "a free practitioner calls the first ticket at once");
    for (k, x) in e.iter().enumerate().skip(2) {
        let sum = 10.0 * k as f64;
        assert!((x.p50_minutes - sum).abs() <= 0.08 * sum, "position {k}: p50 {} vs {sum}", x.p50_minutes);
        assert!(x.p90_minutes > x.p50_minutes * 1.05, "position {k}: no spread {x:?}");
    }
}

#[test]
fn a_practitioners_history_replaces_the_booked_duration() {
    let (p, s) = (PractitionerId::new(), ServiceId::new());
    // Four weeks of 20-minute consultations booked as 10 minutes.
    let h = History::new((2..30).flat_map(|d| {
        (9..17).map(move |hr| served(p, s, date(2026, 10, d).at(hr, 0, 0, 0), 18.0 + f64::from(hr % 3) * 2.0))
    }));
    let e = estimate(&h, &line(Some(p), at(9, 10, 0), waiting(Some(s), 10.0, 4)));
    let p50 = e[3].p50_minutes;
    assert!((p50 - 60.0).abs() < 4.0, "three ahead at ~20 min: {p50}");
}

#[test]
fn few_samples_are_shrunk_toward_the_booked_duration() {
    let (p, s) = (PractitionerId::new(), ServiceId::new());
    let two = History::new([served(p, s, at(2, 10, 0), 30.0), served(p, s, at(3, 10, 0), 30.0)]);
    let many = History::new((0..60).map(|i| served(p, s, at(2 + (i % 5) as i8, 10, 0), 30.0)));
    let l = line(Some(p), at(9, 10, 0), waiting(Some(s), 10.0, 5));
    let (none, few, lots) = (estimate(&History::default(), &l)[4], estimate(&two, &l)[4], estimate(&many, &l)[4]);
    assert!(few.p50_minutes > none.p50_minutes * 1.1, "two samples move it: {few:?} vs {none:?}");
    assert!(few.p50_minutes < lots.p50_minutes * 0.7, "but only part of the way: {few:?} vs {lots:?}");
    assert!((lots.p50_minutes - 120.0).abs() < 8.0, "{lots:?}");
}

#[test]
fn another_practitioners_history_counts_less_than_ones_own() {
    let (me, other, s) = (PractitionerId::new(), PractitionerId::new(), ServiceId::new());
    let mut samples: Vec<Served> = (0..200).map(|i| served(other, s, at(2 + (i % 5) as i8, 10, 0), 30.0)).collect();
    samples.extend((0..200).map(|i| served(me, s, at(2 + (i % 5) as i8, 10, 0), 12.0)));
    let e = estimate(&History::new(samples), &line(Some(me), at(9, 10, 0), waiting(Some(s), 20.0, 5)));
    assert!((e[4].p50_minutes - 48.0).abs() < 4.0, "{:?}", e[4]);
}

#[test]
fn time_of_day_and_weekday_are_used() {
    let (p, s) = (PractitionerId::new(), ServiceId::new());
    // Mornings take 10 minutes, afternoons 20; Thursday afternoons 30.
    let mut samples = Vec::new();
    for d in 2..28i8 {
        let thursday = date(2026, 10, d).weekday() == jiff::civil::Weekday::Thursday;
        for hr in 9..12 {
            samples.push(served(p, s, date(2026, 10, d).at(hr, 0, 0, 0), 10.0));
        }
        for k in 0..24 {
            let started = date(2026, 10, d).at(14, 0, 0, 0) + jiff::SignedDuration::from_mins(10 * k);
            samples.push(served(p, s, started, if thursday { 30.0 } else { 20.0 }));
        }
    }
    let h = History::new(samples);
    let monday_morning = estimate(&h, &line(Some(p), at(9, 10, 0), waiting(Some(s), 15.0, 4)))[3];
    let monday_afternoon = estimate(&h, &line(Some(p), at(9, 15, 30), waiting(Some(s), 15.0, 4)))[3];
    let thursday_afternoon = estimate(&h, &line(Some(p), at(12, 15, 30), waiting(Some(s), 15.0, 4)))[3];
    // Mostly the morning pool, a little of the whole day (shrinkage).
    assert!((monday_morning.p50_minutes - 30.0).abs() < 4.0, "{monday_morning:?}");
    assert!((monday_afternoon.p50_minutes - 60.0).abs() < 5.0, "{monday_afternoon:?}");
    // Three Thursdays: part of the way from the afternoon pool (~60) to 90.
    let thursday = thursday_afternoon.p50_minutes;
    assert!(thursday > monday_afternoon.p50_minutes * 1.15 && thursday < 85.0, "{thursday_afternoon:?}");
}

#[test]
fn a_service_in_progress_counts_only_its_remaining_time() {
    let (p, s) = (PractitionerId::new(), ServiceId::new());
    let h = History::new((0..100).map(|i| served(p, s, at(2 + (i % 5) as i8, 10, 0), 10.0 + f64::from(i % 5))));
    let with_elapsed = |elapsed: f64| {
        let mut l = line(Some(p), at(9, 10, 0), waiting(Some(s), 12.0, 3));
        l.in_service = vec![Ahead { service: Some(s), default_minutes: 12.0, in_service_for_minutes: Some(elapsed) }];
        estimate(&h, &l)[0]
    };
    let (fresh, half, over) = (with_elapsed(0.0), with_elapsed(11.0), with_elapsed(40.0));
    assert!((fresh.p50_minutes - 12.0).abs() < 1.5, "{fresh:?}");
    assert!(half.p50_minutes > 0.1 && half.p50_minutes < 4.0, "{half:?}");
    assert!(over.p50_minutes < 1.0, "{over:?}");
}

#[test]
fn servers_in_parallel_share_the_line() {
    let s = ServiceId::new();
    let mut l = line(None, at(9, 10, 0), waiting(Some(s), 10.0, 21));
    let one = estimate(&History::default(), &l)[20];
    l.servers = 2;
    let two = estimate(&History::default(), &l)[20];
    assert!((two.p50_minutes - 100.0).abs() < 10.0 && (one.p50_minutes - 200.0).abs() < 15.0, "{one:?} {two:?}");
    l.servers = 3;
    let e = estimate(&History::default(), &l);
    assert!(e[..3].iter().all(|x| x.p50_minutes == 0.0), "three free desks call three at once");
}

#[test]
fn todays_pace_moves_the_estimate() {
    let (p, s) = (PractitionerId::new(), ServiceId::new());
    let mut samples: Vec<Served> =
        (0..300).map(|i| served(p, s, at(2 + (i % 5) as i8, 9 + (i % 8) as i8, 0), 10.0)).collect();
    let usual = estimate(&History::new(samples.clone()), &line(Some(p), at(9, 12, 0), waiting(Some(s), 10.0, 4)))[3];
    // This morning every consultation took 15 minutes.
    samples.extend((0..16).map(|i| served(p, s, at(9, 8, 0) + jiff::SignedDuration::from_mins(15 * i), 15.0)));
    let slow = estimate(&History::new(samples), &line(Some(p), at(9, 12, 0), waiting(Some(s), 10.0, 4)))[3];
    assert!(
        slow.p50_minutes > usual.p50_minutes * 1.12 && slow.p50_minutes < usual.p50_minutes * 1.5,
        "{slow:?} vs {usual:?}"
    );
}

#[test]
fn the_same_line_gives_the_same_figures() {
    let s = ServiceId::new();
    let l = line(None, at(9, 10, 0), waiting(Some(s), 10.0, 30));
    assert_eq!(estimate(&History::default(), &l), estimate(&History::default(), &l));
}

/// (service, booked, elapsed) in service; (service, booked) waiting; servers; (service, hour, minutes) served.
type AnyLine = (Vec<(u8, f64, Option<f64>)>, Vec<(u8, f64)>, u32, Vec<(u8, u8, f64)>);

fn any_line() -> impl Strategy<Value = AnyLine> {
    (
        prop::collection::vec((0u8..3, 1.0f64..60.0, prop::option::of(0.0f64..90.0)), 0..4),
        prop::collection::vec((0u8..3, 1.0f64..60.0), 0..80),
        1u32..4,
        prop::collection::vec((0u8..3, 8u8..18, 0.5f64..120.0), 0..60),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn estimates_are_ordered_and_monotone_in_position((busy, wait, servers, hist) in any_line()) {
        let p = PractitionerId::new();
        let services = [ServiceId::new(), ServiceId::new(), ServiceId::new()];
        let h = History::new(hist.iter().map(|&(s, hr, m)| served(p, services[s as usize], at(2, hr as i8, 0), m)));
        let l = Line {
            practitioner: Some(p),
            now: at(9, 11, 0),
            servers,
            in_service: busy.iter().map(|&(s, d, e)| Ahead { service: Some(services[s as usize]), default_minutes: d, in_service_for_minutes: e }).collect(),
            waiting: wait.iter().map(|&(s, d)| Ahead { service: Some(services[s as usize]), default_minutes: d, in_service_for_minutes: None }).collect(),
        };
        let e = estimate(&h, &l);
        prop_assert_eq!(e.len(), l.waiting.len());
        for x in &e {
            prop_assert!(x.p50_minutes.is_finite() && x.p50_minutes >= 0.0);
            prop_assert!(x.p90_minutes >= x.p50_minutes, "{:?}", x);
        }
        for w in e.windows(2) {
            prop_assert!(w[1].p50_minutes >= w[0].p50_minutes, "{:?}", w);
            prop_assert!(w[1].p90_minutes >= w[0].p90_minutes, "{:?}", w);
        }
    }
}
