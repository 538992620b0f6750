//! One queue-day, event by event: arrivals, calls, finishes. After every event the estimator
//! is asked about every waiting ticket, seeing only the history up to that moment; what it
//! said is kept and compared with when the ticket was really called.

use crate::clinic::{QueueSpec, duration, patients};
use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};
use nobat_core::wait_estimate::{Ahead, Estimate, History, Line, Served, estimate_with};
use rand::rngs::StdRng;
use std::time::{Duration, Instant};

/// What was said about one waiting ticket at one moment, and what happened.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub queue: usize,
    /// 0 = next to be called.
    pub position: usize,
    /// The ticket's first estimate of the day (at check-in, or at opening for early arrivals).
    pub first: bool,
    pub actual: f64,
    pub estimator: Estimate,
    /// The first version (booked durations added up, p90 = 1.3 × p50), for comparison.
    pub baseline: Estimate,
}

pub struct DayOut {
    pub served: Vec<Served>,
    pub snapshots: Vec<Snapshot>,
    /// Each estimator call: its cost and the line's length.
    pub calls: Vec<(Duration, usize)>,
}

fn at(date: Date, minute: f64) -> DateTime {
    date.at(0, 0, 0, 0).saturating_add(SignedDuration::from_secs_f64(minute * 60.0))
}

fn baseline(line: &Line) -> Vec<Estimate> {
    let servers = f64::from(line.servers.max(1));
    let mut ahead: f64 =
        line.in_service.iter().map(|a| (a.default_minutes - a.in_service_for_minutes.unwrap_or(0.0)).max(0.0)).sum();
    line.waiting
        .iter()
        .map(|t| {
            let p50 = ahead / servers;
            ahead += t.default_minutes;
            Estimate { p50_minutes: p50, p90_minutes: p50 * 1.3 }
        })
        .collect()
}

/// Simulates queue `qi` on `date`. `history` holds everything finished before this day; the
/// day's own finished services are added to it as they finish. Without `evaluate`, nothing is
/// estimated (the warm-up weeks that build the history).
#[allow(clippy::too_many_arguments)]
pub fn day(
    qi: usize,
    q: &QueueSpec,
    date: Date,
    pace: f64,
    rng: &mut StdRng,
    history: &mut History,
    evaluate: bool,
    simulations: usize,
    fifo: bool,
) -> DayOut {
    let weekday = date.weekday().to_monday_zero_offset() as usize;
    let people = patients(q, rng, fifo);
    let mut out = DayOut { served: Vec::new(), snapshots: Vec::new(), calls: Vec::new() };
    let mut called: Vec<Option<f64>> = vec![None; people.len()];
    // (patient, started, ends) per desk.
    let mut desks: Vec<Option<(usize, f64, f64)>> = vec![None; q.servers as usize];
    let mut waiting: Vec<usize> = Vec::new();
    let (mut next, mut opened) = (0usize, false);
    let mut seen = vec![false; people.len()];
    // (patient, position, estimator, baseline, said at)
    let mut said: Vec<(usize, usize, bool, Estimate, Estimate, f64)> = Vec::new();
    loop {
        let arrival = people.get(next).map_or(f64::INFINITY, |p| p.arrival);
        let (desk, finish) = desks
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.map(|(_, _, end)| (i, end)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::INFINITY));
        let open = if opened { f64::INFINITY } else { q.open };
        let t = arrival.min(finish).min(open);
        if !t.is_finite() {
            break;
        }
        if t == open {
            opened = true;
        } else if t == finish {
            if let Some((p, started, end)) = desks[desk].take() {
                let s = Served {
                    practitioner: q.practitioner,
                    service: Some(q.services[people[p].service].id),
                    started: at(date, started),
                    minutes: end - started,
                };
                history.push(s.clone());
                out.served.push(s);
            }
        } else {
            let key = people[next].key;
            let pos = waiting.partition_point(|&w| people[w].key <= key);
            waiting.insert(pos, next);
            next += 1;
        }
        if !opened {
            continue;
        }
        // Call the next tickets to any free desk.
        for d in desks.iter_mut() {
            if d.is_none() && !waiting.is_empty() {
                let p = waiting.remove(0);
                called[p] = Some(t);
                *d = Some((p, t, t + duration(q, &people[p], t, weekday, pace)));
            }
        }
        if !evaluate || waiting.is_empty() {
            continue;
        }
        let ahead = |p: usize, elapsed: Option<f64>| {
            let s = &q.services[people[p].service];
            Ahead { service: Some(s.id), default_minutes: s.booked, in_service_for_minutes: elapsed }
        };
        let line = Line {
            practitioner: q.practitioner,
            now: at(date, t),
            servers: q.servers,
            in_service: desks.iter().flatten().map(|&(p, started, _)| ahead(p, Some(t - started))).collect(),
            waiting: waiting.iter().map(|&p| ahead(p, None)).collect(),
        };
        let clock = Instant::now();
        let est = estimate_with(history, &line, simulations);
        out.calls.push((clock.elapsed(), line.waiting.len()));
        let base = baseline(&line);
        for (k, &p) in waiting.iter().enumerate() {
            let first = !std::mem::replace(&mut seen[p], true);
            said.push((p, k, first, est[k], base[k], t));
        }
    }
    for (p, position, first, estimator, baseline, t) in said {
        if let Some(c) = called[p] {
            out.snapshots.push(Snapshot { queue: qi, position, first, actual: c - t, estimator, baseline });
        }
    }
    out
}
