//! When will a waiting patient be called? An estimate with its spread (p50 and p90), from the
//! recent service times of that practitioner and service by time of day and weekday, falling
//! back to the service's booked duration when there is no history. Pure: the queue gathers
//! the history and the line; this computes.
//!
//! This first version only adds up booked durations (p90 = 1.3 × p50); the estimator work of
//! issue 11 replaces it and measures it (MAPE, p90 coverage) by replaying generated days.

use crate::ids::{PractitionerId, ServiceId};
use jiff::civil;

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
}

impl History {
    pub fn new(samples: impl IntoIterator<Item = Served>) -> History {
        History { samples: samples.into_iter().collect() }
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

/// One estimate per waiting ticket, in call order.
pub fn estimate(history: &History, line: &Line) -> Vec<Estimate> {
    let _ = history;
    let servers = f64::from(line.servers.max(1));
    let busy: f64 =
        line.in_service.iter().map(|a| (a.default_minutes - a.in_service_for_minutes.unwrap_or(0.0)).max(0.0)).sum();
    let mut ahead = busy;
    line.waiting
        .iter()
        .map(|t| {
            let p50 = ahead / servers;
            ahead += t.default_minutes;
            Estimate { p50_minutes: p50, p90_minutes: p50 * 1.3 }
        })
        .collect()
}
