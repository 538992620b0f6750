//! When will a waiting patient be called? An estimate with its spread (p50 and p90), from the
//! recent service times of that practitioner and service by time of day and weekday, falling
//! back to the service's booked duration when there is no history. Pure: the queue gathers
//! the history and the line; this computes.
//!
//! How (see `model` for the distributions):
//! 1. Each ticket's service time is a lognormal pooled from history, wide to narrow, with
//!    shrinkage toward the wider pool when samples are few, and the booked duration as the
//!    prior (no history → service durations); then shifted by today's pace.
//! 2. A Monte-Carlo run of `SIMULATIONS` futures of the line with a fixed seed: the servers
//!    (desks or rooms in parallel) start busy for the remaining time of the tickets in service
//!    (the lognormal conditioned on the time already spent), then each waiting ticket, in call
//!    order, is called by the first server free and keeps it busy for a drawn service time.
//!    p50 and p90 are the quantiles of each ticket's call time over the runs.
//!
//! Why a simulation rather than a formula: with several servers the call time is a minimum of
//! sums, for which no simple closed form exists, and the conditional remaining time of a
//! service in progress is skewed; a sum-of-quantiles shortcut gets p90 badly wrong. Because
//! every run assigns tickets in order to the earliest free server and free times only grow,
//! call times are non-decreasing along the line within each run, so the quantiles are monotone
//! in position and p90 ≥ p50 by construction. The fixed seed makes the same line give the same
//! figures (no flicker on a board). Cost: measured by `nobat-bench-estimator` (see
//! docs/performance.md), well under a millisecond for an 80-ticket line in a release build.
//!
//! The replay that measures accuracy (MAPE, p90 coverage) is `nobat-bench-estimator`.

mod math;
mod model;
#[cfg(test)]
mod tests;

pub use math::LogNormal;
pub use model::{K_HOUR, K_PRACTITIONER, K_SERVICE, K_SIGMA, K_TODAY, K_WEEKDAY, PRIOR_SIGMA, WINDOW_MINUTES};

use crate::ids::{PractitionerId, ServiceId};
use jiff::civil;
use std::collections::HashMap;

/// One finished service: who, what, when it started (location wall clock) and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    pub practitioner: Option<PractitionerId>,
    pub service: Option<ServiceId>,
    pub started: civil::DateTime,
    pub minutes: f64,
}

/// Recent service times (say the last 8 weeks), indexed for estimating.
#[derive(Debug, Clone, Default)]
pub struct History {
    samples: Vec<Served>,
    /// Indices into `samples` by service: every fit starts from one service's samples.
    by_service: HashMap<Option<ServiceId>, Vec<usize>>,
}

impl History {
    pub fn new(samples: impl IntoIterator<Item = Served>) -> History {
        let mut h = History::default();
        for s in samples {
            h.push(s);
        }
        h
    }

    /// Adds one finished service (the replay adds them as the day goes on).
    pub fn push(&mut self, served: Served) {
        self.by_service.entry(served.service).or_default().push(self.samples.len());
        self.samples.push(served);
    }

    /// Forgets services that started before `cutoff` (a rolling window of recent weeks).
    pub fn retain_since(&mut self, cutoff: civil::DateTime) {
        self.samples.retain(|s| s.started >= cutoff);
        let samples = std::mem::take(&mut self.samples);
        *self = History::new(samples);
    }

    fn for_service(&self, service: Option<ServiceId>) -> impl Iterator<Item = &Served> {
        self.by_service.get(&service).into_iter().flatten().map(|&i| &self.samples[i])
    }

    /// Every sample, in the order added.
    pub fn samples(&self) -> &[Served] {
        &self.samples
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// A ticket in the line: its service, that service's booked duration, and for a ticket
/// being served, how long it has been in service.
#[derive(Debug, Clone, PartialEq)]
pub struct Ahead {
    pub service: Option<ServiceId>,
    pub default_minutes: f64,
    pub in_service_for_minutes: Option<f64>,
}

/// A queue as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub practitioner: Option<PractitionerId>,
    /// The location's wall clock now.
    pub now: civil::DateTime,
    /// Desks or rooms serving this queue in parallel (at least 1).
    pub servers: u32,
    pub in_service: Vec<Ahead>,
    /// Waiting tickets, in call order.
    pub waiting: Vec<Ahead>,
}

/// Minutes from now until the ticket is expected to be called: half of patients are called
/// by `p50`, nine in ten by `p90`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub p50_minutes: f64,
    pub p90_minutes: f64,
}

/// Futures simulated per estimate. p90 from 1,000 draws has a standard error of about 1 % of
/// the distribution's scale; fewer makes the board jitter, more costs time for nothing.
pub const SIMULATIONS: usize = 1000;
const SEED: u64 = 0x6e6f_6261_745f_7761; // "nobat_wa"

/// One estimate per waiting ticket, in call order.
pub fn estimate(history: &History, line: &Line) -> Vec<Estimate> {
    estimate_with(history, line, SIMULATIONS)
}

/// `estimate` with a chosen number of simulated futures (the replay measures the trade-off).
pub fn estimate_with(history: &History, line: &Line, simulations: usize) -> Vec<Estimate> {
    if line.waiting.is_empty() {
        return Vec::new();
    }
    let runs = simulations.max(1);
    let (busy, waiting) = model::distributions(history, line);
    let tables: Vec<[f64; math::TABLE]> = waiting.iter().map(LogNormal::table).collect();
    // More tickets in service than declared servers means more are serving than declared.
    let servers = (line.servers.max(1) as usize).max(line.in_service.len());
    let mut rng = math::Rng::new(SEED);
    let mut free = vec![0.0f64; servers];
    // calls[k * runs + r]: when ticket k is called in run r.
    let mut calls = vec![0.0f64; line.waiting.len() * runs];
    for r in 0..runs {
        free.fill(0.0);
        for (i, (d, a)) in busy.iter().zip(&line.in_service).enumerate() {
            free[i] = d.remaining(a.in_service_for_minutes.unwrap_or(0.0).max(0.0), &mut rng);
        }
        for (k, table) in tables.iter().enumerate() {
            let (j, at) = free.iter().copied().enumerate().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((0, 0.0));
            calls[k * runs + r] = at;
            free[j] = at + table[(rng.next_u64() % math::TABLE as u64) as usize];
        }
    }
    calls.chunks_mut(runs).map(|c| Estimate { p50_minutes: quantile(c, 0.5), p90_minutes: quantile(c, 0.9) }).collect()
}

/// The service-time distribution the estimator would use for one service of `line`'s
/// practitioner at `line.now`, today's pace included (for reports and diagnostics).
pub fn service_time(history: &History, line: &Line, service: Option<ServiceId>, default_minutes: f64) -> LogNormal {
    let probe = Line {
        waiting: vec![Ahead { service, default_minutes, in_service_for_minutes: None }],
        in_service: Vec::new(),
        ..line.clone()
    };
    model::distributions(history, &probe).1[0]
}

/// The `q` quantile (nearest rank) of `values`, reordering them.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    let i = (((values.len() - 1) as f64) * q).round() as usize;
    *values.select_nth_unstable_by(i, f64::total_cmp).1
}
