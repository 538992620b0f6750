//! Latency samples and throughput, reduced to the figures we report.

use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub scenario: String,
    pub engine: String,
    pub requests: usize,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// What the scenario checked afterwards, in words.
    pub verified: String,
    /// Requests per second divided by the machine's one-row SQLite commit rate measured in the
    /// same run (booking scenarios): comparable between machines where raw figures are not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vs_sqlite_ceiling: Option<f64>,
}

pub fn figures(scenario: &str, engine: &str, mut samples: Vec<Duration>, wall: Duration, verified: String) -> Figures {
    samples.sort_unstable();
    let pct = |p: f64| -> f64 {
        if samples.is_empty() {
            return 0.0;
        }
        let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
        samples[i].as_secs_f64() * 1000.0
    };
    Figures {
        scenario: scenario.to_owned(),
        engine: engine.to_owned(),
        requests: samples.len(),
        seconds: wall.as_secs_f64(),
        per_second: samples.len() as f64 / wall.as_secs_f64().max(1e-9),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: samples.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        verified,
        vs_sqlite_ceiling: None,
    }
}

pub fn print_table(rows: &[Figures]) {
    println!(
        "{:<34} {:<10} {:>8} {:>9} {:>10} {:>9} {:>9} {:>9}  verified",
        "scenario", "engine", "requests", "seconds", "req/s", "p50 ms", "p99 ms", "max ms"
    );
    for r in rows {
        println!(
            "{:<34} {:<10} {:>8} {:>9.2} {:>10.0} {:>9.3} {:>9.3} {:>9.3}  {}",
            r.scenario, r.engine, r.requests, r.seconds, r.per_second, r.p50_ms, r.p99_ms, r.max_ms, r.verified
        );
    }
}
