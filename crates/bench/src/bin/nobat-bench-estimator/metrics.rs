//! Accuracy figures over snapshots.
//!
//! - MAPE: mean of |p50 − actual| / actual over snapshots whose actual wait is at least
//!   `MAPE_FLOOR` minutes. Waits near zero make the ratio meaningless (a 30-second wait
//!   estimated at 2 minutes is 300 % off and harmless), so they are left out of MAPE and
//!   counted in MAE instead.
//! - MAE: mean |p50 − actual| in minutes, over all snapshots.
//! - p90 coverage: the share of snapshots whose actual wait was ≤ p90 (ideal: 0.90).

use crate::replay::Snapshot;
use nobat_core::wait_estimate::Estimate;
use serde_json::{Value, json};

pub const MAPE_FLOOR: f64 = 5.0;

#[derive(Debug, Default, Clone, Copy)]
pub struct Accuracy {
    pub n: usize,
    pub n_mape: usize,
    pub mape: f64,
    pub mae: f64,
    pub bias: f64,
    pub p90_coverage: f64,
}

pub fn accuracy<'a>(snaps: impl Iterator<Item = &'a Snapshot>, pick: fn(&Snapshot) -> Estimate) -> Accuracy {
    let (mut n, mut n_mape, mut ape, mut ae, mut err, mut covered) = (0usize, 0usize, 0.0, 0.0, 0.0, 0usize);
    for s in snaps {
        let e = pick(s);
        n += 1;
        ae += (e.p50_minutes - s.actual).abs();
        err += e.p50_minutes - s.actual;
        if s.actual <= e.p90_minutes + 1e-9 {
            covered += 1;
        }
        if s.actual >= MAPE_FLOOR {
            n_mape += 1;
            ape += (e.p50_minutes - s.actual).abs() / s.actual;
        }
    }
    let per = |x: f64, k: usize| if k == 0 { 0.0 } else { x / k as f64 };
    Accuracy {
        n,
        n_mape,
        mape: per(ape, n_mape),
        mae: per(ae, n),
        bias: per(err, n),
        p90_coverage: per(covered as f64, n),
    }
}

pub const BUCKETS: [(&str, usize, usize); 6] = [
    ("next (1st)", 0, 0),
    ("2nd", 1, 1),
    ("3rd", 2, 2),
    ("4th–5th", 3, 4),
    ("6th–10th", 5, 9),
    ("11th+", 10, usize::MAX),
];

pub fn json(a: &Accuracy) -> Value {
    json!({ "snapshots": a.n, "snapshots_in_mape": a.n_mape, "mape": a.mape, "mae_minutes": a.mae,
            "bias_minutes": a.bias, "p90_coverage": a.p90_coverage })
}

pub fn print_row(label: &str, est: &Accuracy, base: &Accuracy) {
    println!(
        "{:<30} {:>7} {:>7.1} % {:>7.2} {:>+7.2} {:>7.1} %   | {:>7.1} % {:>7.2} {:>7.1} %",
        label,
        est.n,
        est.mape * 100.0,
        est.mae,
        est.bias,
        est.p90_coverage * 100.0,
        base.mape * 100.0,
        base.mae,
        base.p90_coverage * 100.0
    );
}

pub fn print_header() {
    println!(
        "{:<30} {:>7} {:>9} {:>7} {:>7} {:>9}   | {:>9} {:>7} {:>9}",
        "", "n", "MAPE", "MAE min", "bias", "p90 cov", "MAPE", "MAE min", "p90 cov"
    );
}
