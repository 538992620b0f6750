//! Service-time distributions from history, pooled from wide to narrow.
//!
//! Each level is a lognormal whose parameters are the samples' log-mean and log-variance
//! shrunk toward the level above with the weight of `K_*` pseudo-samples (a normal–normal
//! empirical-Bayes step): with many samples the level speaks for itself, with few it stays
//! near its parent, with none it *is* its parent. The levels, widest first:
//!
//! 0. the booked duration: a prior whose mean is `default_minutes`, log-spread `PRIOR_SIGMA`;
//! 1. this service, any practitioner;
//! 2. this service with this practitioner (skipped for a queue without one);
//! 3. … at this time of day (± `WINDOW_MINUTES`), any weekday;
//! 4. … at this time of day on this weekday.
//!
//! Then today's pace: the practitioner's services finished today, as log-residuals against
//! their own level-3 fit, shift every distribution of the line (shrunk with `K_TODAY`), so a
//! doctor running slow this morning is expected to keep running slow.

use super::math::LogNormal;
use super::{History, Line, Served};
use crate::ids::{PractitionerId, ServiceId};
use jiff::civil;
use std::collections::HashMap;

/// The spread assumed for a service with no history (ln-scale; 0.35 ≈ ±35 % around the median).
pub const PRIOR_SIGMA: f64 = 0.35;
// Pseudo-samples of the parent level in each shrinkage step. In a normal–normal model the
// right weight is (within-group variance) / (between-group variance): one service time
// scatters by ~±35 % (ln-sd 0.3–0.4), so a level whose true effect is ±x % deserves
// (0.35 / x)² pseudo-samples. The values assume what clinics show and what the replay's
// generator also assumes (docs/performance.md): services differ from their booked length by
// tens of percent, practitioners from each other by ~15 %, an hour of the day by ~8 %, a
// weekday by ~6 %, and a whole day's pace by ~8 %. Tuned once on the replay (seed 2026):
// a smaller K_TODAY (4) chased the noise of a morning's few services and doubled the error.
/// Booked duration → this service's history.
pub const K_SERVICE: f64 = 3.0;
/// Service → this practitioner's history of it.
pub const K_PRACTITIONER: f64 = 6.0;
/// → at this time of day.
pub const K_HOUR: f64 = 20.0;
/// → on this weekday.
pub const K_WEEKDAY: f64 = 35.0;
/// "No change" against today's pace.
pub const K_TODAY: f64 = 20.0;
/// Pseudo-samples of the parent's spread when estimating a level's spread.
pub const K_SIGMA: f64 = 8.0;
/// Half-width of the time-of-day window.
pub const WINDOW_MINUTES: i32 = 60;

#[derive(Default)]
struct LogStats {
    n: f64,
    sum: f64,
    sum_sq: f64,
}

impl LogStats {
    fn add(&mut self, minutes: f64) {
        let y = minutes.max(0.5).ln();
        self.n += 1.0;
        self.sum += y;
        self.sum_sq += y * y;
    }

    fn shrink_toward(&self, parent: LogNormal, k: f64) -> LogNormal {
        if self.n == 0.0 {
            return parent;
        }
        let mean = self.sum / self.n;
        let ss = (self.sum_sq - self.n * mean * mean).max(0.0);
        let mu = (self.sum + k * parent.mu) / (self.n + k);
        // The spread is pooled with a fixed weight: it is a within-group property and varies
        // little between the levels.
        let var = (ss + K_SIGMA * parent.sigma * parent.sigma) / (self.n - 1.0 + K_SIGMA);
        LogNormal { mu, sigma: var.sqrt().clamp(0.05, 1.5) }
    }
}

fn minute_of_day(t: civil::DateTime) -> i32 {
    i32::from(t.hour()) * 60 + i32::from(t.minute())
}

/// The pooled fit for one service, at one moment, before today's pace.
pub(super) fn fit(
    history: &History,
    practitioner: Option<PractitionerId>,
    service: Option<ServiceId>,
    default_minutes: f64,
    at: civil::DateTime,
) -> LogNormal {
    let default = if default_minutes.is_finite() && default_minutes > 0.0 { default_minutes } else { 15.0 };
    let prior = LogNormal { mu: default.ln() - PRIOR_SIGMA * PRIOR_SIGMA / 2.0, sigma: PRIOR_SIGMA };
    let (mut all, mut mine, mut hour, mut weekday) =
        (LogStats::default(), LogStats::default(), LogStats::default(), LogStats::default());
    let (tod, wd) = (minute_of_day(at), at.weekday());
    for s in history.for_service(service) {
        all.add(s.minutes);
        if practitioner.is_some() && s.practitioner != practitioner {
            continue;
        }
        mine.add(s.minutes);
        if (minute_of_day(s.started) - tod).abs() <= WINDOW_MINUTES {
            hour.add(s.minutes);
            if s.started.weekday() == wd {
                weekday.add(s.minutes);
            }
        }
    }
    let mut d = all.shrink_toward(prior, K_SERVICE);
    if practitioner.is_some() {
        d = mine.shrink_toward(d, K_PRACTITIONER);
    }
    weekday.shrink_toward(hour.shrink_toward(d, K_HOUR), K_WEEKDAY)
}

/// One distribution per ticket of the line (in service first, then waiting), with today's
/// pace applied.
pub(super) fn distributions(history: &History, line: &Line) -> (Vec<LogNormal>, Vec<LogNormal>) {
    // Fits are shared by service and half hour; the key includes the default so two tickets
    // of one service with different booked lengths (a clinic edited it today) are not confused.
    let mut cache: HashMap<(Option<ServiceId>, u64, i64), LogNormal> = HashMap::new();
    let mut get = |service: Option<ServiceId>, default: f64, ahead_minutes: f64| {
        // A ticket far down the line is served later in the day, when service times may
        // differ (afternoons run slower): fit at the half hour it is expected to start.
        let slot = (ahead_minutes / 30.0).floor().clamp(0.0, 48.0) as i64;
        *cache.entry((service, default.to_bits(), slot)).or_insert_with(|| {
            let at = line.now.saturating_add(jiff::SignedDuration::from_mins(slot * 30));
            // Not past midnight: the evening is better described by this day's last hours.
            let at = if at.date() == line.now.date() { at } else { line.now.date().at(23, 59, 0, 0) };
            fit(history, line.practitioner, service, default, at)
        })
    };
    let mut in_service: Vec<LogNormal> =
        line.in_service.iter().map(|a| get(a.service, a.default_minutes, 0.0)).collect();
    // Expected start of each waiting ticket: the mean work ahead of it shared by the servers.
    let servers = f64::from(line.servers.max(1)).max(line.in_service.len() as f64);
    let mut work: f64 = in_service
        .iter()
        .zip(&line.in_service)
        .map(|(d, a)| (d.mean() - a.in_service_for_minutes.unwrap_or(0.0)).max(0.0))
        .sum();
    let mut waiting = Vec::with_capacity(line.waiting.len());
    for a in &line.waiting {
        let d = get(a.service, a.default_minutes, work / servers);
        work += d.mean();
        waiting.push(d);
    }
    let shift = todays_pace(history, line);
    for d in in_service.iter_mut().chain(waiting.iter_mut()) {
        d.mu += shift;
    }
    (in_service, waiting)
}

/// Mean log-residual of today's finished services (this practitioner, services the line
/// knows a booked length for), shrunk toward 0 by `K_TODAY`.
fn todays_pace(history: &History, line: &Line) -> f64 {
    let defaults: HashMap<Option<ServiceId>, f64> =
        line.in_service.iter().chain(line.waiting.iter()).map(|a| (a.service, a.default_minutes)).collect();
    if defaults.is_empty() {
        return 0.0;
    }
    let today = line.now.date();
    let mut fits: HashMap<(Option<ServiceId>, i32), LogNormal> = HashMap::new();
    let (mut n, mut sum) = (0.0, 0.0);
    let todays = history.samples.iter().filter(|s: &&Served| {
        s.started.date() == today && s.started <= line.now && s.practitioner == line.practitioner
    });
    for s in todays {
        let Some(&default) = defaults.get(&s.service) else { continue };
        // The fit at the sample's own half hour, so the time-of-day effect is not counted twice.
        let slot = minute_of_day(s.started) / 30;
        let d = *fits.entry((s.service, slot)).or_insert_with(|| {
            let at = s.started.date().at((slot * 30 / 60) as i8, (slot * 30 % 60) as i8, 0, 0);
            fit(history, line.practitioner, s.service, default, at)
        });
        n += 1.0;
        sum += s.minutes.max(0.5).ln() - d.mu;
    }
    sum / (n + K_TODAY)
}
