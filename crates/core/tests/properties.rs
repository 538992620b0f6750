//! Properties of the slot engine and of `decide_slot` over random schedules, services, busy
//! time and time zones, with date ranges that usually contain a DST (or Ramadan) transition.
//!
//! The checks do not reuse the engine's own arithmetic: local wall-clock time is recomputed
//! minute by minute from the zone's transitions, and the open minutes of a day from the raw
//! rules, breaks and exceptions, so an error in the engine cannot hide behind the same error in
//! the test.

mod common;

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};
use nobat_core::availability::{Audience, PractitionerCalendar, SlotQuery, block};
use nobat_core::booking::{Actor, Overridden, SlotRequest, decide_slot};
use nobat_core::{
    Busy, BusyKind, ClinicId, DayMinutes, DomainError, Exception, ExceptionId, ExceptionKind, LocationId, LocationZone,
    PractitionerId, RuleId, Service, ServiceId, Slot, Weekdays, WeeklyRule, slots,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

/// Zones with one-hour DST (Paris, New York), a Ramadan switch (Casablanca), none at all
/// (Tehran since 2022), a half-hour offset (Kolkata) and a half-hour DST (Lord Howe).
const ZONES: [&str; 6] =
    ["Europe/Paris", "America/New_York", "Africa/Casablanca", "Asia/Tehran", "Asia/Kolkata", "Australia/Lord_Howe"];

// ---------------------------------------------------------------------------------------------
// Generated input.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct RuleSpec {
    weekdays: u8,
    /// Start and end in minutes, multiples of 5.
    start: u16,
    end: u16,
    breaks: Vec<(u16, u16)>,
    /// `valid_from` relative to the first queried date, and how long the rule lasts.
    valid_from_shift: i64,
    valid_days: Option<i64>,
    /// 0: every service, 1: this service only, 2: another service only.
    services: u8,
}

#[derive(Debug, Clone)]
struct ExceptionSpec {
    day: i64,
    extra: bool,
    /// `None`: the whole day (closures only).
    interval: Option<(u16, u16)>,
    /// 0: this practitioner, 1: everyone (closures only), 2: another practitioner.
    who: u8,
    /// Closures may apply at every location.
    everywhere: bool,
}

#[derive(Debug, Clone)]
struct ServiceSpec {
    duration: u32,
    buffer_before: u32,
    buffer_after: u32,
    capacity: u32,
    step: u32,
    min_notice: u32,
    horizon_days: u32,
}

#[derive(Debug, Clone)]
struct BusySpec {
    /// Local date relative to the first queried date, and wall-clock minute.
    day: i64,
    minute: u16,
    len: u16,
    /// An appointment of the queried service (may form a group session) or of another one.
    same_service: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    zone: &'static str,
    /// Around one of the zone's 2026 transitions when it has some, else `day_of_year`.
    near_transition: bool,
    transition: usize,
    day_of_year: i64,
    /// The range starts this many days before the anchor and lasts `days + 1` days.
    back: i64,
    days: i64,
    rules: Vec<RuleSpec>,
    exceptions: Vec<ExceptionSpec>,
    service: ServiceSpec,
    /// `now`, in minutes from local midnight of the first queried date (a multiple of 5, so that
    /// a slot can fall exactly at the end of the notice).
    now_shift: i64,
    busy: Vec<BusySpec>,
}

/// Minutes of day in 5-minute steps, biased towards the small hours, where transitions are.
fn time_of_day_units() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..=48, 0u16..=287]
}

fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    (time_of_day_units(), 1u16..=288)
        .prop_flat_map(|(s, len)| {
            let len = len.min(288 - s).max(1);
            (
                prop_oneof![Just(0x7fu8), 1u8..=127],
                Just(s * 5),
                Just((s + len) * 5),
                prop::collection::vec((0..len, 1..=len), 0..=2),
                -7i64..=2,
                prop::option::weighted(0.3, 0i64..=10),
                prop_oneof![6 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)],
            )
        })
        .prop_map(|(weekdays, start, end, raw_breaks, valid_from_shift, valid_days, services)| RuleSpec {
            weekdays,
            start,
            end,
            breaks: raw_breaks
                .into_iter()
                .map(|(a, b)| {
                    let bs = start + a * 5;
                    (bs, (bs + b * 5).min(end))
                })
                .collect(),
            valid_from_shift,
            valid_days,
            services,
        })
}

fn exception_spec() -> impl Strategy<Value = ExceptionSpec> {
    (0i64..=5, any::<bool>(), prop::option::weighted(0.8, (time_of_day_units(), 1u16..=96)), 0u8..=2, any::<bool>())
        .prop_map(|(day, extra, interval, who, everywhere)| {
            let interval = interval.map(|(s, len)| (s * 5, ((s + len) * 5).min(1440)));
            ExceptionSpec {
                day,
                extra,
                interval: if extra { interval.or(Some((540, 600))) } else { interval },
                who,
                everywhere,
            }
        })
}

fn service_spec() -> impl Strategy<Value = ServiceSpec> {
    (
        5u32..=120,
        prop_oneof![Just(0u32), 0u32..=30],
        prop_oneof![Just(0u32), 0u32..=30],
        prop_oneof![Just(1u32), 1u32..=5],
        5u32..=120,
        prop_oneof![3 => Just(0u32), 1 => (0u32..=576).prop_map(|units| units * 5)],
        prop_oneof![3 => 10u32..=60, 1 => 1u32..=10],
    )
        .prop_map(|(duration, buffer_before, buffer_after, capacity, step, min_notice, horizon_days)| {
            ServiceSpec { duration, buffer_before, buffer_after, capacity, step, min_notice, horizon_days }
        })
}

fn busy_spec() -> impl Strategy<Value = BusySpec> {
    (-1i64..=5, 0u16..=287, 1u16..=36, any::<bool>()).prop_map(|(day, minute, len, same_service)| BusySpec {
        day,
        minute: minute * 5,
        len: len * 5,
        same_service,
    })
}

fn scenario_with(service: impl Strategy<Value = ServiceSpec>, busy: usize) -> impl Strategy<Value = Scenario> {
    (
        (prop::sample::select(&ZONES[..]), prop::bool::weighted(0.8), 0usize..4, 0i64..365, 0i64..=4, 0i64..=4),
        prop::collection::vec(rule_spec(), 1..=3),
        prop::collection::vec(exception_spec(), 0..=3),
        service,
        prop_oneof![3 => -5 * 288i64..=0, 1 => 0i64..=288].prop_map(|units| units * 5),
        prop::collection::vec(busy_spec(), 0..=busy),
    )
        .prop_map(
            |(
                (zone, near_transition, transition, day_of_year, back, days),
                rules,
                exceptions,
                service,
                now_shift,
                busy,
            )| {
                Scenario {
                    zone,
                    near_transition,
                    transition,
                    day_of_year,
                    back: back % (days + 1),
                    days,
                    rules,
                    exceptions,
                    service,
                    now_shift,
                    busy,
                }
            },
        )
}

fn scenario() -> impl Strategy<Value = Scenario> {
    scenario_with(service_spec(), 6)
}

// ---------------------------------------------------------------------------------------------
// The world a scenario describes, and an independent model of it.
// ---------------------------------------------------------------------------------------------

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(Span::new().days(n)).expect("date in range")
}

fn dm(minutes: u16) -> DayMinutes {
    DayMinutes::new(minutes).expect("0..=1440")
}

/// Local wall-clock time from the zone's transitions around the queried range: a sorted list of
/// (instant, offset from then on). Cheap to query, and built from jiff's tzdb alone.
struct Clock {
    changes: Vec<(Timestamp, Offset)>,
}

impl Clock {
    fn new(tz: &TimeZone, from: Timestamp, to: Timestamp) -> Self {
        let mut changes = vec![(Timestamp::MIN, tz.to_offset(from))];
        changes.extend(tz.following(from).take_while(|t| t.timestamp() <= to).map(|t| (t.timestamp(), t.offset())));
        Self { changes }
    }

    fn offset(&self, t: Timestamp) -> Offset {
        let i = self.changes.partition_point(|(at, _)| *at <= t);
        self.changes[i - 1].1
    }

    fn local(&self, t: Timestamp) -> DateTime {
        self.offset(t).to_datetime(t)
    }

    /// Whether the offset changes in `(a, b]`.
    fn changes_within(&self, a: Timestamp, b: Timestamp) -> bool {
        self.changes.iter().any(|(at, _)| a < *at && *at <= b)
    }

    /// Every instant whose wall-clock reading is `wall`: none in a gap, two in a fold.
    fn instants(&self, wall: DateTime) -> Vec<Timestamp> {
        let mut out: Vec<Timestamp> = self
            .changes
            .iter()
            .filter_map(|(_, o)| o.to_timestamp(wall).ok())
            .filter(|t| self.local(*t) == wall)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn minute_of_day(dt: DateTime) -> usize {
    usize::try_from(dt.hour()).expect("hour") * 60 + usize::try_from(dt.minute()).expect("minute")
}

struct World {
    practitioner: PractitionerId,
    location: LocationZone,
    clock: Clock,
    rules: Vec<WeeklyRule>,
    exceptions: Vec<Exception>,
    service: Service,
    busy: Vec<Busy>,
    from: Date,
    to: Date,
    now: Timestamp,
}

fn make_service(spec: &ServiceSpec) -> Service {
    let service = Service {
        id: ServiceId::new(),
        clinic: ClinicId::new(),
        name: "Generated".into(),
        duration_min: spec.duration,
        buffer_before_min: spec.buffer_before,
        buffer_after_min: spec.buffer_after,
        capacity: spec.capacity,
        slot_step_min: spec.step,
        min_notice_min: spec.min_notice,
        horizon_days: spec.horizon_days,
        cancel_cutoff_min: 0,
        reschedule_cutoff_min: 0,
        active: true,
    };
    service.validate().expect("generated service is valid");
    service
}

impl World {
    fn new(sc: &Scenario) -> Self {
        let tz = common::tz(sc.zone);
        let transitions: Vec<Date> = tz
            .following(common::ts("2026-01-01T00:00:00Z"))
            .take_while(|t| t.timestamp() < common::ts("2027-01-01T00:00:00Z"))
            .map(|t| t.timestamp().to_zoned(tz.clone()).date())
            .collect();
        let anchor = if sc.near_transition && !transitions.is_empty() {
            transitions[sc.transition % transitions.len()]
        } else {
            add_days(jiff::civil::date(2026, 1, 1), sc.day_of_year)
        };
        let from = add_days(anchor, -sc.back);
        let to = add_days(from, sc.days);
        let utc_midnight = |d: Date| d.to_zoned(TimeZone::UTC).expect("utc").timestamp();
        let clock = Clock::new(&tz, utc_midnight(add_days(from, -3)), utc_midnight(add_days(to, 4)));

        let practitioner = PractitionerId::new();
        let location = LocationZone { id: LocationId::new(), tz: tz.clone() };
        let service = make_service(&sc.service);
        let other_service = ServiceId::new();

        let rules = sc
            .rules
            .iter()
            .map(|r| {
                let valid_from = add_days(from, r.valid_from_shift);
                let rule = WeeklyRule {
                    id: RuleId::new(),
                    practitioner,
                    location: location.id,
                    weekdays: Weekdays::from_bits(r.weekdays).expect("weekdays"),
                    start: dm(r.start),
                    end: dm(r.end),
                    breaks: r.breaks.iter().map(|&(s, e)| (dm(s), dm(e))).collect(),
                    valid_from,
                    valid_until: r.valid_days.map(|n| add_days(valid_from, n)),
                    services: match r.services {
                        0 => vec![],
                        1 => vec![service.id],
                        _ => vec![other_service],
                    },
                };
                rule.validate().expect("generated rule is valid");
                rule
            })
            .collect();

        let exceptions = sc
            .exceptions
            .iter()
            .map(|e| {
                let exception = Exception {
                    id: ExceptionId::new(),
                    practitioner: match (e.who, e.extra) {
                        (2, _) => Some(PractitionerId::new()),
                        (1, false) => None,
                        _ => Some(practitioner),
                    },
                    location: if e.everywhere && !e.extra { None } else { Some(location.id) },
                    date: add_days(from, e.day),
                    kind: if e.extra { ExceptionKind::Extra } else { ExceptionKind::Closed },
                    start: e.interval.map(|(s, _)| dm(s)),
                    end: e.interval.map(|(_, x)| dm(x)),
                };
                exception.validate().expect("generated exception is valid");
                exception
            })
            .collect();

        let mut busy: Vec<Busy> = sc
            .busy
            .iter()
            .map(|b| {
                // Appointments of the same service sit on the first rule's grid, so that group
                // sessions (same service, same start) actually occur.
                let minute = match sc.rules.first() {
                    Some(r) if b.same_service => {
                        let step = u16::try_from(sc.service.step).expect("step");
                        let snapped = r.start + (b.minute.saturating_sub(r.start) / step) * step;
                        if snapped < r.end { snapped } else { r.start }
                    }
                    _ => b.minute,
                };
                let wall = add_days(from, b.day).to_datetime(jiff::civil::Time::midnight())
                    + SignedDuration::from_mins(i64::from(minute));
                let start = wall.to_zoned(tz.clone()).expect("resolvable").timestamp();
                if b.same_service {
                    let end = start + service.duration();
                    let (block_start, block_end) = block(&service, start, end);
                    Busy {
                        id: uuid::Uuid::new_v4(),
                        kind: BusyKind::Appointment,
                        service: service.id,
                        start,
                        block_start,
                        block_end,
                    }
                } else {
                    let block_end = start + SignedDuration::from_mins(i64::from(b.len));
                    Busy {
                        id: uuid::Uuid::new_v4(),
                        kind: BusyKind::Hold,
                        service: other_service,
                        start,
                        block_start: start,
                        block_end,
                    }
                }
            })
            .collect();
        busy.sort_by_key(|b| b.block_start);

        let now = from.to_zoned(tz).expect("midnight").timestamp() + SignedDuration::from_mins(sc.now_shift);
        World { practitioner, location, clock, rules, exceptions, service, busy, from, to, now }
    }

    fn calendar<'a>(&'a self, busy: &'a [Busy]) -> PractitionerCalendar<'a> {
        PractitionerCalendar { practitioner: self.practitioner, rules: &self.rules, exceptions: &self.exceptions, busy }
    }

    fn slots_of(&self, service: &Service, busy: &[Busy]) -> Vec<Slot> {
        self.slots_seen_at(service, busy, self.now)
    }

    fn slots_seen_at(&self, service: &Service, busy: &[Busy], now: Timestamp) -> Vec<Slot> {
        let query =
            SlotQuery { service, from: self.from, to: self.to, now, audience: Audience::Patient, location: None };
        slots(&query, &self.calendar(busy), std::slice::from_ref(&self.location))
    }

    fn slots(&self) -> Vec<Slot> {
        self.slots_of(&self.service, &self.busy)
    }

    fn decide(
        &self,
        service: &Service,
        busy: &[Busy],
        start: Timestamp,
        location: Option<LocationId>,
    ) -> Result<(Slot, Overridden), DomainError> {
        let req = SlotRequest { service: service.id, practitioner: self.practitioner, start, location, offset: None };
        decide_slot(&req, service, &self.calendar(busy), std::slice::from_ref(&self.location), self.now, Actor::Patient)
    }

    /// Which minutes of local `date` are open for `service`, from the raw rules: each rule's
    /// hours minus its own breaks, plus extra hours, minus closures.
    fn open_minutes(&self, date: Date, service: ServiceId) -> Vec<bool> {
        let mut open = vec![false; 1440];
        for r in &self.rules {
            let applies = r.weekdays.contains(date.weekday())
                && r.valid_from <= date
                && r.valid_until.is_none_or(|u| date <= u)
                && (r.services.is_empty() || r.services.contains(&service));
            if !applies {
                continue;
            }
            for (m, slot) in open.iter_mut().enumerate().take(usize::from(r.end.get())).skip(usize::from(r.start.get()))
            {
                let in_break = r.breaks.iter().any(|(bs, be)| usize::from(bs.get()) <= m && m < usize::from(be.get()));
                *slot |= !in_break;
            }
        }
        let concerns = |e: &&Exception| {
            e.date == date
                && e.practitioner.is_none_or(|p| p == self.practitioner)
                && e.location.is_none_or(|l| l == self.location.id)
        };
        let span = |e: &Exception| {
            (usize::from(e.start.map_or(0, DayMinutes::get)), usize::from(e.end.map_or(1440, DayMinutes::get)))
        };
        for e in self.exceptions.iter().filter(concerns).filter(|e| e.kind == ExceptionKind::Extra) {
            let (s, x) = span(e);
            open[s..x].iter_mut().for_each(|o| *o = true);
        }
        for e in self.exceptions.iter().filter(concerns).filter(|e| e.kind == ExceptionKind::Closed) {
            let (s, x) = span(e);
            open[s..x].iter_mut().for_each(|o| *o = false);
        }
        open
    }

    /// Maximal runs `[start, end)` of open minutes.
    fn runs(open: &[bool]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut m = 0;
        while m < open.len() {
            if open[m] {
                let s = m;
                while m < open.len() && open[m] {
                    m += 1;
                }
                out.push((s, m));
            } else {
                m += 1;
            }
        }
        out
    }

    /// Wall-clock readings of every minute of `[start, end)`.
    fn covered(&self, start: Timestamp, end: Timestamp) -> Vec<DateTime> {
        let mut out = Vec::new();
        let mut t = start;
        while t < end {
            out.push(self.clock.local(t));
            t += SignedDuration::from_mins(1);
        }
        out
    }

    fn earliest(&self, service: &Service) -> Timestamp {
        self.now + service.min_notice()
    }

    fn latest(&self, service: &Service) -> Timestamp {
        self.now + service.horizon()
    }

    /// Places left at `[start, end)` given `busy`, computed by brute force: `None` if anything
    /// but the same group session overlaps the buffered block, or if the session is full.
    fn places_left(service: &Service, busy: &[Busy], start: Timestamp, end: Timestamp) -> Option<u32> {
        let (bs, be) = (start - service.buffer_before(), end + service.buffer_after());
        let mut taken = 0;
        for b in busy.iter().filter(|b| b.block_start < be && bs < b.block_end) {
            if !(service.capacity > 1 && b.service == service.id && b.start == start) {
                return None;
            }
            taken += 1;
        }
        service.capacity.checked_sub(taken).filter(|left| *left > 0)
    }
}

fn dates(from: Date, to: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(from), move |d| d.tomorrow().ok().filter(|n| *n <= to))
}

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

/// Soundness: each slot is inside open wall-clock time, after the notice, within the horizon, on
/// its interval's grid, and leaves room under the capacity.
fn check_slots_are_sound(w: &World) -> Result<(), TestCaseError> {
    let offered = w.slots();
    for s in &offered {
        let start_wall = w.clock.local(s.start);
        let date = start_wall.date();
        prop_assert!(w.from <= date && date <= w.to, "slot {} on {date} outside the query", s.start);
        prop_assert_eq!(s.end.duration_since(s.start), w.service.duration());

        // Every minute it covers reads, on the wall clock, an open minute of its own date: so no
        // break, no closure, no time outside the rules, whichever pass of a fold.
        let open = w.open_minutes(date, w.service.id);
        for wall in w.covered(s.start, s.end) {
            prop_assert!(
                wall.date() == date && open[minute_of_day(wall)],
                "slot starting {start_wall} covers {wall}, which is not open"
            );
        }

        // Patient rules: notice and horizon, in real time.
        prop_assert!(s.start >= w.earliest(&w.service), "{} is sooner than the notice allows", s.start);
        prop_assert!(s.start <= w.latest(&w.service), "{} is beyond the horizon", s.start);

        // On the grid of the open interval it starts in.
        let m = minute_of_day(start_wall);
        let (run_start, _) = World::runs(&open).into_iter().find(|&(a, b)| a <= m && m < b).expect("start is open");
        prop_assert_eq!(
            (m - run_start) % usize::try_from(w.service.slot_step_min).expect("step"),
            0,
            "{} off the grid",
            start_wall
        );

        // Capacity, by brute force over every busy entry.
        prop_assert_eq!(
            Some(s.capacity_left),
            World::places_left(&w.service, &w.busy, s.start, s.end),
            "at {}",
            start_wall
        );
        prop_assert_eq!((s.practitioner, s.location, s.service), (w.practitioner, w.location.id, w.service.id));
    }
    for pair in offered.windows(2) {
        prop_assert!(pair[0].start < pair[1].start, "sorted, and no instant offered twice");
    }
    Ok(())
}

/// Completeness: the engine offers exactly what a minute-by-minute model offers. The model walks
/// each open run's wall-clock grid, resolves each grid time to every instant that reads it (none
/// in a gap, two in a fold), and keeps those whose every minute stays in that run.
fn check_slots_match_model(w: &World) -> Result<(), TestCaseError> {
    let step = usize::try_from(w.service.slot_step_min).expect("step");
    let mut expected: Vec<(Timestamp, u32)> = Vec::new();
    for date in dates(w.from, w.to) {
        let open = w.open_minutes(date, w.service.id);
        for (a, b) in World::runs(&open) {
            for m in (a..b).step_by(step) {
                let wall = date.to_datetime(jiff::civil::Time::midnight())
                    + SignedDuration::from_mins(i64::try_from(m).expect("minute"));
                for start in w.clock.instants(wall) {
                    let end = start + w.service.duration();
                    let inside =
                        w.covered(start, end).iter().all(|c| c.date() == date && (a..b).contains(&minute_of_day(*c)));
                    if !inside || start < w.earliest(&w.service) || start > w.latest(&w.service) {
                        continue;
                    }
                    if let Some(left) = World::places_left(&w.service, &w.busy, start, end) {
                        expected.push((start, left));
                    }
                }
            }
        }
    }
    expected.sort();
    let actual: Vec<(Timestamp, u32)> = w.slots().iter().map(|s| (s.start, s.capacity_left)).collect();
    prop_assert_eq!(actual, expected);
    Ok(())
}

/// With the grid step at least the whole buffered length, slots never overlap, except where the
/// wall clock itself jumps: across a gap or a fold, wall-clock distance and real distance differ.
fn check_wide_steps_do_not_overlap(w: &World) -> Result<(), TestCaseError> {
    let offered = w.slots();
    for (i, a) in offered.iter().enumerate() {
        for b in offered[i + 1..].iter().take_while(|b| b.start < a.end) {
            prop_assert!(
                w.clock.changes_within(a.start, b.start),
                "{} and {} overlap with no clock change between them",
                w.clock.local(a.start),
                w.clock.local(b.start)
            );
        }
    }
    Ok(())
}

/// The notice and the horizon are exact and inclusive: a slot exactly `min_notice` ahead is
/// offered and one second less is not; exactly `horizon` ahead is offered and one second more is
/// not. Off-by-one errors here are invisible on random `now`s, so `now` is placed on the edges.
fn check_notice_and_horizon_edges(w: &World, pick: &Index) -> Result<(), TestCaseError> {
    let offered = w.slots();
    if offered.is_empty() {
        return Ok(());
    }
    let s = pick.get(&offered);
    let second = SignedDuration::from_secs(1);
    let offered_at = |now: Timestamp| w.slots_seen_at(&w.service, &w.busy, now).iter().any(|o| o.start == s.start);
    let at_notice = s.start - w.service.min_notice();
    prop_assert!(offered_at(at_notice), "{} is exactly min_notice ahead", w.clock.local(s.start));
    prop_assert!(!offered_at(at_notice + second), "{} is a second short of min_notice", w.clock.local(s.start));
    let at_horizon = s.start - w.service.horizon();
    prop_assert!(offered_at(at_horizon), "{} is exactly at the horizon", w.clock.local(s.start));
    prop_assert!(!offered_at(at_horizon - second), "{} is a second beyond the horizon", w.clock.local(s.start));
    Ok(())
}

/// Every slot offered can be booked when nothing else happens, with the same answer.
fn check_offered_slots_can_be_booked(w: &World, picks: &[Index]) -> Result<(), TestCaseError> {
    let offered = w.slots();
    if offered.is_empty() {
        return Ok(());
    }
    // A booking decision recomputes a day; sample a few slots plus both ends.
    let mut chosen: Vec<&Slot> = picks.iter().map(|i| i.get(&offered)).collect();
    chosen.push(&offered[0]);
    chosen.push(&offered[offered.len() - 1]);
    for s in chosen {
        for location in [Some(w.location.id), None] {
            let decision = w.decide(&w.service, &w.busy, s.start, location);
            prop_assert_eq!(decision, Ok((s.clone(), Overridden::No)), "booking {}", w.clock.local(s.start));
        }
    }
    Ok(())
}

/// Books random offered slots one after the other, for the scenario's service and a second,
/// single-place service of the same practitioner, then checks nothing was overbooked and that
/// slots which disappeared are reported as taken.
fn check_greedy_booking(w: &World, other: &Service, picks: &[(bool, Index)]) -> Result<(), TestCaseError> {
    let services = [&w.service, other];
    let initial: Vec<Vec<Slot>> = services.iter().map(|s| w.slots_of(s, &w.busy)).collect();
    let mut busy = w.busy.clone();
    let mut booked: Vec<Busy> = Vec::new();
    for (use_other, pick) in picks {
        let service = services[usize::from(*use_other)];
        let offered = w.slots_of(service, &busy);
        if offered.is_empty() {
            continue;
        }
        let slot = pick.get(&offered);
        let (decided, overridden) = w
            .decide(service, &busy, slot.start, Some(w.location.id))
            .map_err(|e| TestCaseError::fail(format!("offered slot {} refused: {e}", w.clock.local(slot.start))))?;
        prop_assert_eq!((&decided, overridden), (slot, Overridden::No));
        let (block_start, block_end) = block(service, decided.start, decided.end);
        let entry = Busy {
            id: uuid::Uuid::new_v4(),
            kind: BusyKind::Appointment,
            service: service.id,
            start: decided.start,
            block_start,
            block_end,
        };
        let at = busy.partition_point(|b| b.block_start <= entry.block_start);
        busy.insert(at, entry.clone());
        booked.push(entry);
    }

    // No overbooking: whatever overlaps a booked block (booked here or busy before) is the same
    // group session, and no session holds more than its capacity.
    let capacity_of = |id: ServiceId| services.iter().find(|s| s.id == id).map_or(1, |s| s.capacity);
    for a in &booked {
        let overlapping: Vec<&Busy> =
            busy.iter().filter(|b| b.block_start < a.block_end && a.block_start < b.block_end).collect();
        for b in &overlapping {
            prop_assert!(
                b.id == a.id || (capacity_of(a.service) > 1 && b.service == a.service && b.start == a.start),
                "{} and {} overlap without being one group session",
                w.clock.local(a.start),
                w.clock.local(b.start)
            );
        }
        prop_assert!(
            u32::try_from(overlapping.len()).expect("count") <= capacity_of(a.service),
            "session at {} holds {} for capacity {}",
            w.clock.local(a.start),
            overlapping.len(),
            capacity_of(a.service)
        );
    }

    // Slots offered at first but gone now are "taken"; those still there can still be booked.
    for (service, before) in services.iter().zip(&initial) {
        let now_offered = w.slots_of(service, &busy);
        let gone = before.iter().filter(|s| !now_offered.iter().any(|n| n.start == s.start));
        for s in gone.take(24) {
            prop_assert_eq!(
                w.decide(service, &busy, s.start, None),
                Err(DomainError::SlotTaken),
                "at {}",
                w.clock.local(s.start)
            );
        }
        for s in now_offered.iter().step_by(now_offered.len() / 4 + 1) {
            prop_assert_eq!(w.decide(service, &busy, s.start, None), Ok((s.clone(), Overridden::No)));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn slots_stay_in_open_wall_clock_time_and_respect_notice_grid_and_capacity(sc in scenario()) {
        check_slots_are_sound(&World::new(&sc))?;
    }

    #[test]
    fn slots_equal_a_minute_by_minute_model(sc in scenario()) {
        check_slots_match_model(&World::new(&sc))?;
    }

    #[test]
    fn notice_and_horizon_edges_are_inclusive(sc in scenario(), pick in any::<Index>()) {
        check_notice_and_horizon_edges(&World::new(&sc), &pick)?;
    }

    #[test]
    fn offered_slots_can_be_booked(
        sc in scenario(),
        picks in prop::collection::vec(any::<Index>(), 0..=6),
    ) {
        check_offered_slots_can_be_booked(&World::new(&sc), &picks)?;
    }
}

/// Services whose step covers the duration and both buffers.
fn wide_step_service() -> impl Strategy<Value = ServiceSpec> {
    (service_spec(), 0u32..=60).prop_map(|(mut s, extra)| {
        s.step = s.duration + s.buffer_before + s.buffer_after + extra;
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn wide_steps_give_disjoint_slots(sc in scenario_with(wide_step_service(), 0)) {
        check_wide_steps_do_not_overlap(&World::new(&sc))?;
    }

    #[test]
    fn greedy_booking_never_overbooks(
        sc in scenario_with(service_spec(), 3),
        other in service_spec(),
        picks in prop::collection::vec((prop::bool::weighted(0.3), any::<Index>()), 1..=16),
    ) {
        let w = World::new(&sc);
        let mut other = make_service(&other);
        other.capacity = 1;
        check_greedy_booking(&w, &other, &picks)?;
    }
}

#[test]
fn the_model_sees_the_transitions_it_is_meant_to_test() {
    // The properties only mean something if the generated ranges really contain transitions:
    // check the clock finds Lord Howe's half-hour fold and Paris's one-hour gap.
    let lord_howe = common::tz("Australia/Lord_Howe");
    let clock = Clock::new(&lord_howe, common::ts("2026-04-01T00:00:00Z"), common::ts("2026-04-10T00:00:00Z"));
    let wall = jiff::civil::date(2026, 4, 5).at(1, 45, 0, 0);
    assert_eq!(clock.instants(wall).len(), 2, "01:45 happens twice in Lord Howe on 5 April");
    let paris = common::tz("Europe/Paris");
    let clock = Clock::new(&paris, common::ts("2026-03-25T00:00:00Z"), common::ts("2026-04-01T00:00:00Z"));
    assert!(clock.instants(jiff::civil::date(2026, 3, 29).at(2, 30, 0, 0)).is_empty());
    assert_eq!(clock.instants(jiff::civil::date(2026, 3, 29).at(3, 30, 0, 0)).len(), 1);
}
