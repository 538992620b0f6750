//! `nobat-bench-estimator`: how wrong are the wait estimates?
//!
//! Generates clinic days (see `clinic.rs` for every distribution), replays them event by event
//! through `nobat_core::wait_estimate` — which sees only what had finished before each moment
//! — and reports MAPE of p50 against the actual wait, MAE in minutes and p90 coverage, overall,
//! by position in the line, by queue and at check-in, next to the first version (booked
//! durations added up). Then it times the estimator on an 80-ticket line. Fixed seeds: the same
//! command prints the same accuracy figures.
//!
//! ```sh
//! cargo run --release -p nobat-bench --bin nobat-bench-estimator -- --weeks 4
//! ```

mod clinic;
mod metrics;
mod replay;

use clap::Parser;
use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date};
use metrics::{BUCKETS, accuracy, print_header, print_row};
use nobat_core::wait_estimate::{Ahead, History, Line, estimate_with};
use rand::SeedableRng;
use rand::rngs::StdRng;
use replay::Snapshot;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Replay generated clinic days through the wait estimator and report its accuracy and cost.")]
struct Args {
    /// Weeks (Monday–Saturday) simulated first to build the history, not measured.
    #[arg(long, default_value_t = 8)]
    history_weeks: u32,
    /// Weeks replayed and measured.
    #[arg(long, default_value_t = 4)]
    weeks: u32,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Simulated futures per estimate.
    #[arg(long, default_value_t = nobat_core::wait_estimate::SIMULATIONS)]
    simulations: usize,
    /// Also print the fitted service-time distribution of each queue's services at 11:00 on
    /// the last day, next to the generator's true median.
    #[arg(long)]
    fits: bool,
    /// Call everyone in arrival order instead of booked patients by appointment time: no one
    /// is ever inserted ahead of a waiting ticket, which isolates the estimator's own error
    /// from the queue's reordering.
    #[arg(long)]
    fifo: bool,
    /// Where to write the JSON results.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let queues = clinic::clinic();
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut history = History::default();
    let start = date(2026, 1, 5); // a Monday
    let total_weeks = args.history_weeks + args.weeks;
    let (mut snaps, mut calls): (Vec<Snapshot>, Vec<(Duration, usize)>) = (Vec::new(), Vec::new());
    let mut last_day = start;
    let wall = Instant::now();
    for d in 0..(total_weeks * 7) {
        let day: Date = start.checked_add((d as i64).days())?;
        if day.weekday() == Weekday::Sunday {
            continue;
        }
        last_day = day;
        let evaluate = d >= args.history_weeks * 7;
        // The estimator is given the last 8 weeks, as the queue gives it.
        history.retain_since(day.checked_sub(56.days())?.at(0, 0, 0, 0));
        let mut finished = Vec::new();
        for (qi, q) in queues.iter().enumerate() {
            let pace = (0.08 * clinic::normal(&mut rng)).exp();
            // Each queue sees the history up to yesterday plus its own day so far.
            let mut h = history.clone();
            let out = replay::day(qi, q, day, pace, &mut rng, &mut h, evaluate, args.simulations, args.fifo);
            finished.extend(out.served);
            snaps.extend(out.snapshots);
            calls.extend(out.calls);
        }
        for s in finished {
            history.push(s);
        }
    }
    let replay_seconds = wall.elapsed().as_secs_f64();

    println!(
        "replayed {} weeks after {} weeks of history ({} queues, seed {}, {} simulations per estimate, {} order): {} snapshots, {} estimator calls, {:.1} s",
        args.weeks,
        args.history_weeks,
        queues.len(),
        args.seed,
        args.simulations,
        if args.fifo { "arrival" } else { "booked-by-appointment" },
        snaps.len(),
        calls.len(),
        replay_seconds
    );
    println!(
        "MAPE over actual waits ≥ {} min; MAE and p90 coverage over all. Right: the first version (booked durations).\n",
        metrics::MAPE_FLOOR
    );
    print_header();
    let est = |s: &Snapshot| s.estimator;
    let base = |s: &Snapshot| s.baseline;
    let row = |label: &str, f: &dyn Fn(&Snapshot) -> bool| {
        let (a, b) = (accuracy(snaps.iter().filter(|s| f(s)), est), accuracy(snaps.iter().filter(|s| f(s)), base));
        print_row(label, &a, &b);
        json!({ "label": label, "estimator": metrics::json(&a), "first_version": metrics::json(&b) })
    };
    let mut rows = vec![row("all snapshots", &|_| true), row("at check-in (first estimate)", &|s| s.first)];
    for (label, lo, hi) in BUCKETS {
        rows.push(row(&format!("position {label}"), &|s| s.position >= lo && s.position <= hi));
    }
    for (qi, q) in queues.iter().enumerate() {
        rows.push(row(&q.name, &|s| s.queue == qi));
    }

    // Cost on the replay's own calls, and on an 80-ticket line with the full history.
    let mut costs: Vec<f64> = calls.iter().map(|c| c.0.as_secs_f64() * 1e6).collect();
    costs.sort_by(f64::total_cmp);
    let pct = |v: &[f64], p: f64| v.get(((v.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0.0);
    let mean_len = calls.iter().map(|c| c.1).sum::<usize>() as f64 / calls.len().max(1) as f64;
    let doctor = &queues[1];
    let ahead = |i: usize| {
        let s = &doctor.services[i % doctor.services.len()];
        Ahead { service: Some(s.id), default_minutes: s.booked, in_service_for_minutes: None }
    };
    let mut big = Vec::new();
    for _ in 0..200 {
        let line = Line {
            practitioner: doctor.practitioner,
            now: last_day.at(11, 0, 0, 0),
            servers: 1,
            in_service: vec![Ahead { in_service_for_minutes: Some(4.0), ..ahead(0) }],
            waiting: (0..80).map(ahead).collect(),
        };
        let clock = Instant::now();
        let e = estimate_with(&history, &line, args.simulations);
        big.push(clock.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(e);
    }
    big.sort_by(f64::total_cmp);
    if args.fits {
        for q in &queues {
            for s in &q.services {
                let line = Line {
                    practitioner: q.practitioner,
                    now: last_day.at(11, 0, 0, 0),
                    servers: q.servers,
                    in_service: vec![],
                    waiting: vec![],
                };
                let d = nobat_core::wait_estimate::service_time(&history, &line, Some(s.id), s.booked);
                println!(
                    "fit {} {}: median {:.2} mean {:.2} sigma {:.2} (true median at 11:00 {:.2})",
                    q.name,
                    s.booked,
                    d.median(),
                    d.mean(),
                    d.sigma,
                    s.median * q.speed * clinic::WEEKDAY[last_day.weekday().to_monday_zero_offset() as usize]
                );
            }
        }
    }
    println!(
        "\ncost: replay calls (mean line {:.1} waiting) p50 {:.0} µs, p99 {:.0} µs; an 80-ticket line with {} history samples: p50 {:.0} µs, p99 {:.0} µs{}",
        mean_len,
        pct(&costs, 0.5),
        pct(&costs, 0.99),
        history.len(),
        pct(&big, 0.5),
        pct(&big, 0.99),
        if cfg!(debug_assertions) { " (DEBUG build: use --release for cost figures)" } else { "" }
    );
    if let Some(out) = &args.out {
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let report = json!({
            "seed": args.seed, "history_weeks": args.history_weeks, "weeks": args.weeks,
            "simulations": args.simulations, "fifo": args.fifo, "mape_floor_minutes": metrics::MAPE_FLOOR, "rows": rows,
            "cost_us": { "replay_p50": pct(&costs, 0.5), "replay_p99": pct(&costs, 0.99), "replay_mean_waiting": mean_len,
                         "line80_p50": pct(&big, 0.5), "line80_p99": pct(&big, 0.99), "history_samples": history.len(),
                         "debug_build": cfg!(debug_assertions) },
        });
        std::fs::write(out, serde_json::to_string_pretty(&report)?)?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
