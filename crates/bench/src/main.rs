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

mod client;
mod scenarios;
mod server;
mod stats;
mod verify;

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
    /// Run only these scenarios: availability, spread, contention (default: all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
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

    println!();
    stats::print_table(&rows);
    println!();
    for m in &memory {
        println!(
            "memory/start {:<8} cold start {:>6.1} ms   RSS idle {:>6.1} MiB   after load {:>6.1} MiB   peak {:>6.1} MiB",
            m["engine"].as_str().unwrap_or(""),
            m["cold_start_ms"].as_f64().unwrap_or(0.0),
            m["rss_idle_mib"].as_f64().unwrap_or(0.0),
            m["rss_after_load_mib"].as_f64().unwrap_or(0.0),
            m["rss_peak_mib"].as_f64().unwrap_or(0.0),
        );
    }
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let report = json!({
        "when": jiff::Timestamp::now().to_string(),
        "machine": { "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        "scale": args.scale,
        "scenarios": rows,
        "memory": memory,
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
