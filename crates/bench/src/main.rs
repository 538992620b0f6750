//! `nobat-bench`: Nobat's performance harness.
//!
//! Starts real `nobat serve` processes on loopback (SQLite, and PostgreSQL with one and two
//! processes when `--postgres` names a server), loads data through the API, drives it from
//! concurrent HTTP clients, checks correctness in the database afterwards, prints a table and
//! writes JSON. Nothing here is a test: it measures, it does not assert timings.
//!
//! ```sh
//! cargo build --release -p nobat -p nobat-bench
//! target/release/nobat-bench --postgres postgres://nobat:nobat@127.0.0.1:5432/postgres
//! ```

mod board;
mod ceiling;
mod client;
mod messages;
mod scenarios;
mod server;
mod stats;
mod verify;
mod watches;

use anyhow::Context;
use clap::Parser;
use client::Api;
use scenarios::Ctx;
use serde_json::json;
use server::Server;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Drive a real nobat server over HTTP and report latency, throughput and memory.")]
struct Args {
    /// The nobat binary [default: next to this one].
    #[arg(long)]
    nobat: Option<PathBuf>,
    /// A PostgreSQL admin URL; when given, the booking scenarios also run on PostgreSQL with
    /// one and with two server processes (a fresh database is created).
    #[arg(long, env = "NOBAT_BENCH_POSTGRES_URL")]
    postgres: Option<String>,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench-results/latest.json")]
    out: PathBuf,
    /// Scale the request counts (e.g. 0.1 for a smoke run).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Run only these scenarios: availability, spread, contention, board, messages, watches (default: all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Seconds for each of the two ceiling loops (SQLite commits, fsyncs) run first.
    #[arg(long, default_value_t = 2.0)]
    ceiling_seconds: f64,
    /// Board SSE streams held open in the board scenario.
    #[arg(long, default_value_t = 1000)]
    streams: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let nobat = args.nobat.clone().unwrap_or_else(server::sibling_nobat);
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let mut rows = Vec::new();
    let mut memory = Vec::new();

    // SQLite: one process.
    let dir = tempfile::tempdir()?;
    // The machine's ceiling first, on the same filesystem, before any server loads it.
    let budget = std::time::Duration::from_secs_f64(args.ceiling_seconds.clamp(0.1, 60.0));
    let ceiling = {
        let path = dir.path().to_owned();
        tokio::task::spawn_blocking(move || ceiling::measure(&path, budget)).await??
    };
    println!(
        "machine ceiling: {:.0} one-row SQLite commits/s (WAL, synchronous=FULL), {:.0} fsyncs/s (4 KiB write + fsync)",
        ceiling.sqlite_commits_per_second, ceiling.fsyncs_per_second
    );
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.sqlite3").display());
    let srv = Server::start(&nobat, dir.path(), &url).await?;
    let idle = srv.rss_mib().0;
    let db = verify::connect(&url).await?;
    let apis = [Api::new(srv.api()).await?];
    let ctx = Ctx { apis: &apis, db: &db, engine: "sqlite", tag: tag.clone(), scale: args.scale };
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    if wanted("availability") {
        rows.extend(scenarios::availability(&ctx).await.context("availability")?);
    }
    if wanted("spread") {
        rows.push(scenarios::spread(&ctx, "booking spread, 64 clients").await.context("spread")?);
    }
    if wanted("contention") {
        rows.push(scenarios::contention(&ctx, "booking contention, 64 × 500 slots").await.context("contention")?);
    }
    // The live scenarios start their own server each (their memory is theirs alone). A
    // scenario whose endpoint this build lacks is reported and skipped, not fatal.
    let mut skipped = Vec::new();
    if wanted("board") {
        match board::board(&nobat, args.scale, args.streams).await {
            Ok(b) => {
                rows.push(b.figures);
                memory.push(b.memory);
            }
            Err(e) => skipped.push(format!("board: {e:#}")),
        }
    }
    if wanted("messages") {
        match messages::messages(&nobat, args.scale).await {
            Ok(f) => rows.extend(f),
            Err(e) => skipped.push(format!("messages: {e:#}")),
        }
    }
    if wanted("watches") {
        match watches::watches(&nobat, args.scale).await {
            Ok((create, offer)) => rows.extend([create, offer]),
            Err(e) => skipped.push(format!("watches: {e:#}")),
        }
    }
    let (now, peak) = srv.rss_mib();
    memory.push(json!({ "engine": "sqlite", "processes": 1, "cold_start_ms": srv.cold_start.as_secs_f64() * 1000.0,
                        "rss_idle_mib": idle, "rss_after_load_mib": now, "rss_peak_mib": peak }));
    drop(srv);

    if let Some(admin) = &args.postgres {
        for processes in [1usize, 2] {
            let db_url = create_database(admin, &format!("nobat_bench_{tag}_{processes}")).await?;
            let servers: Vec<Server> = {
                let mut v = Vec::new();
                for _ in 0..processes {
                    v.push(Server::start(&nobat, dir.path(), &db_url).await?);
                }
                v
            };
            let idle = servers[0].rss_mib().0;
            let db = verify::connect(&db_url).await?;
            let mut apis = Vec::new();
            for s in &servers {
                apis.push(Api::new(s.api()).await?);
            }
            let engine = format!("pg×{processes}");
            let ctx =
                Ctx { apis: &apis, db: &db, engine: &engine, tag: format!("{tag}{processes}"), scale: args.scale };
            if wanted("spread") {
                rows.push(scenarios::spread(&ctx, "booking spread, 64 clients").await.context("pg spread")?);
            }
            if wanted("contention") {
                rows.push(
                    scenarios::contention(&ctx, "booking contention, 64 × 500 slots").await.context("pg contention")?,
                );
            }
            let (now, peak) = servers[0].rss_mib();
            memory.push(json!({ "engine": engine, "processes": processes, "cold_start_ms": servers[0].cold_start.as_secs_f64() * 1000.0,
                                "rss_idle_mib": idle, "rss_after_load_mib": now, "rss_peak_mib": peak }));
        }
    }

    for r in rows.iter_mut().filter(|r| r.scenario.starts_with("booking")) {
        r.vs_sqlite_ceiling = Some(r.per_second / ceiling.sqlite_commits_per_second.max(1e-9));
    }
    println!();
    stats::print_table(&rows);
    println!();
    for r in rows.iter().filter(|r| r.vs_sqlite_ceiling.is_some()) {
        println!(
            "{:<34} {:<10} {:>8.0} bookings/s = {:.2} × the machine's one-row SQLite commit rate ({:.0}/s)",
            r.scenario,
            r.engine,
            r.per_second,
            r.vs_sqlite_ceiling.unwrap_or(0.0),
            ceiling.sqlite_commits_per_second
        );
    }
    println!();
    for m in memory.iter().filter(|m| m["engine"].is_string()) {
        println!(
            "memory/start {:<8} cold start {:>6.1} ms   RSS idle {:>6.1} MiB   after load {:>6.1} MiB   peak {:>6.1} MiB",
            m["engine"].as_str().unwrap_or(""),
            m["cold_start_ms"].as_f64().unwrap_or(0.0),
            m["rss_idle_mib"].as_f64().unwrap_or(0.0),
            m["rss_after_load_mib"].as_f64().unwrap_or(0.0),
            m["rss_peak_mib"].as_f64().unwrap_or(0.0),
        );
    }
    for s in &skipped {
        println!("SKIPPED {s}");
    }
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let report = json!({
        "when": jiff::Timestamp::now().to_string(),
        "machine": {
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            "sqlite_commits_per_second": ceiling.sqlite_commits_per_second,
            "fsyncs_per_second": ceiling.fsyncs_per_second,
            "ceiling_seconds_each": ceiling.seconds_each,
        },
        "scale": args.scale,
        "scenarios": rows,
        "memory": memory,
        "skipped": skipped,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)?)?;
    println!("\nwrote {}", args.out.display());
    Ok(())
}

async fn create_database(admin: &str, name: &str) -> anyhow::Result<String> {
    use sqlx::Executor;
    let pool = verify::connect(admin).await?;
    pool.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).context("admin URL needs a database")?;
    Ok(format!("{base}/{name}"))
}
