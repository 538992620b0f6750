//! A generated clinic: who works, what they do, how long it takes, who comes when.
//!
//! Every distribution here is a choice, written down so the replay's figures can be read
//! against it (docs/performance.md repeats them):
//! - practitioner queues (one server each): booked appointments on a 15-minute grid, 09:00–
//!   17:00, 75 % of slots filled, 10 % no-shows, punctuality ~ N(−8, 10) minutes clipped to
//!   [−40, +45]; walk-ins by a Poisson process whose rate varies by hour;
//! - a laboratory queue (two desks, walk-ins only, fasting blood draws peaking 08:00–10:00);
//! - service times lognormal per service, times the practitioner's own speed, a weekday effect,
//!   a time-of-day effect (slower after 15:00), a day-to-day pace ~ exp(N(0, 0.08)), and a 4 %
//!   chance of a complication doubling the time (a heavier tail than any lognormal fit).

use nobat_core::{PractitionerId, ServiceId};
use rand::Rng;
use rand::rngs::StdRng;

pub struct ServiceSpec {
    pub id: ServiceId,
    /// What the clinic booked it as (the estimator's fallback).
    pub booked: f64,
    /// The true median and log-spread (unknown to the estimator).
    pub median: f64,
    pub sigma: f64,
}

pub struct QueueSpec {
    pub name: String,
    pub practitioner: Option<PractitionerId>,
    pub servers: u32,
    /// Multiplies every service time: this practitioner's own speed.
    pub speed: f64,
    pub services: Vec<ServiceSpec>,
    /// Booked share of each service (same order), and of walk-ins.
    pub booked_mix: Vec<f64>,
    pub walkin_mix: Vec<f64>,
    /// Opening and closing, minutes after midnight; slots of `slot` minutes between them.
    pub open: f64,
    pub close: f64,
    pub slot: f64,
    pub booked_fill: f64,
    /// Walk-in arrivals per hour, by hour of day (index = hour).
    pub walkins_per_hour: [f64; 24],
}

/// The clinic of the replay: three doctors and a laboratory.
pub fn clinic() -> Vec<QueueSpec> {
    // One clinic, so the doctors share services (the estimator pools a service across them).
    let ids = [ServiceId::new(), ServiceId::new(), ServiceId::new()];
    let doctor = |name: &str, speed: f64| {
        let mut walkins = [0.0; 24];
        for (h, r) in [(9, 2.0), (10, 2.0), (11, 1.5), (12, 1.0), (13, 0.7), (14, 1.0), (15, 1.2), (16, 0.8)] {
            walkins[h] = r;
        }
        QueueSpec {
            name: name.to_owned(),
            practitioner: Some(PractitionerId::new()),
            servers: 1,
            speed,
            services: vec![
                ServiceSpec { id: ids[0], booked: 15.0, median: 12.0, sigma: 0.35 },
                ServiceSpec { id: ids[1], booked: 10.0, median: 7.0, sigma: 0.30 },
                ServiceSpec { id: ids[2], booked: 30.0, median: 26.0, sigma: 0.30 },
            ],
            booked_mix: vec![0.6, 0.3, 0.1],
            walkin_mix: vec![0.75, 0.25, 0.0],
            open: 9.0 * 60.0,
            close: 17.0 * 60.0,
            slot: 15.0,
            booked_fill: 0.75,
            walkins_per_hour: walkins,
        }
    };
    let mut lab_rates = [0.0; 24];
    for (h, r) in [(8, 20.0), (9, 18.0), (10, 9.0), (11, 6.0), (12, 4.0)] {
        lab_rates[h] = r;
    }
    vec![
        doctor("doctor A (quick)", 0.9),
        doctor("doctor B", 1.0),
        doctor("doctor C (thorough)", 1.25),
        QueueSpec {
            name: "laboratory, 2 desks".to_owned(),
            practitioner: None,
            servers: 2,
            speed: 1.0,
            services: vec![ServiceSpec { id: ServiceId::new(), booked: 5.0, median: 4.5, sigma: 0.40 }],
            booked_mix: vec![1.0],
            walkin_mix: vec![1.0],
            open: 8.0 * 60.0,
            close: 13.0 * 60.0,
            slot: 5.0,
            booked_fill: 0.0,
            walkins_per_hour: lab_rates,
        },
    ]
}

/// Weekday effect, Monday first (Sunday closed): busy Mondays run long, Saturdays short.
pub const WEEKDAY: [f64; 7] = [1.08, 1.0, 0.97, 1.0, 1.05, 0.92, 1.0];

/// Time-of-day effect at the moment a service starts.
pub fn time_of_day(minute: f64) -> f64 {
    if minute >= 15.0 * 60.0 {
        1.10
    } else if minute < 9.5 * 60.0 {
        0.95
    } else {
        1.0
    }
}

/// A patient of one queue-day.
#[derive(Debug, Clone)]
pub struct Patient {
    pub arrival: f64,
    /// Call-order key (the queue's rule): a booked patient by appointment time, or by arrival
    /// when more than 10 minutes late; a walk-in by arrival.
    pub key: f64,
    pub service: usize,
    /// Standard-normal draw and complication flag; the time itself depends on when it starts.
    pub z: f64,
    pub complicated: bool,
}

pub fn normal(rng: &mut StdRng) -> f64 {
    // Box–Muller; rand_distr is not a dependency and one formula is enough.
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn pick(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// The patients who show up at one queue on one day, in arrival order. With `fifo`, everyone
/// is called in arrival order (the line never changes ahead of a waiting ticket).
pub fn patients(q: &QueueSpec, rng: &mut StdRng, fifo: bool) -> Vec<Patient> {
    let mut out = Vec::new();
    let draw = |rng: &mut StdRng, arrival: f64, key: f64, service: usize| Patient {
        arrival,
        key,
        service,
        z: normal(rng),
        complicated: rng.random::<f64>() < 0.04,
    };
    // Booked: a procedure takes two slots.
    let mut t = q.open;
    while t < q.close && q.booked_fill > 0.0 {
        let service = pick(rng, &q.booked_mix);
        let slots = (q.services[service].booked / q.slot).ceil().max(1.0);
        if rng.random::<f64>() < q.booked_fill && rng.random::<f64>() >= 0.10 {
            let late = (-8.0 + 10.0 * normal(rng)).clamp(-40.0, 45.0);
            let arrival = t + late;
            let key = if late > 10.0 || fifo { arrival } else { t };
            out.push(draw(rng, arrival, key, service));
        }
        t += slots * q.slot;
    }
    // Walk-ins: a Poisson process with a piecewise-constant hourly rate, by thinning.
    let peak = q.walkins_per_hour.iter().copied().fold(0.0, f64::max);
    if peak > 0.0 {
        let mut t = q.open - 30.0;
        loop {
            t += -rng.random::<f64>().max(1e-300).ln() / peak * 60.0;
            if t >= q.close - 30.0 {
                break;
            }
            let hour = (t / 60.0).floor().clamp(0.0, 23.0) as usize;
            if rng.random::<f64>() < q.walkins_per_hour[hour] / peak {
                let service = pick(rng, &q.walkin_mix);
                out.push(draw(rng, t, t, service));
            }
        }
    }
    out.sort_by(|a, b| a.arrival.total_cmp(&b.arrival));
    out
}

/// How long `p`'s service takes when it starts at `minute` on a day with `weekday` (0 =
/// Monday) and the day's own `pace`.
pub fn duration(q: &QueueSpec, p: &Patient, minute: f64, weekday: usize, pace: f64) -> f64 {
    let s = &q.services[p.service];
    let base = s.median * (s.sigma * p.z).exp();
    let complication = if p.complicated { 2.0 } else { 1.0 };
    (base * q.speed * WEEKDAY[weekday] * time_of_day(minute) * pace * complication).max(0.5)
}
