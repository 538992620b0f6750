//! The machine's own ceiling, measured in the same run as the scenarios, so figures travel
//! between machines: how many one-row SQLite transactions per second this disk and CPU commit
//! with the server's durability (WAL, `synchronous=FULL`, one fsync-bounded commit each), and
//! how many raw `write` + `fsync` pairs per second the filesystem takes. Bookings per second
//! divided by the first says how much group commit and the rest of the server make of the
//! machine, whatever the machine.

use anyhow::Context;
use serde::Serialize;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Ceiling {
    /// One-row SQLite transactions committed per second (WAL, synchronous=FULL).
    pub sqlite_commits_per_second: f64,
    /// 4 KiB writes each followed by fsync, per second.
    pub fsyncs_per_second: f64,
    /// How long each of the two loops ran.
    pub seconds_each: f64,
}

/// Runs both loops in `dir` (the filesystem the bench's databases live on) for about
/// `budget` each.
pub fn measure(dir: &Path, budget: Duration) -> anyhow::Result<Ceiling> {
    Ok(Ceiling {
        sqlite_commits_per_second: sqlite_commits(dir, budget)?,
        fsyncs_per_second: fsyncs(dir, budget)?,
        seconds_each: budget.as_secs_f64(),
    })
}

fn sqlite_commits(dir: &Path, budget: Duration) -> anyhow::Result<f64> {
    let path = dir.join("ceiling.sqlite3");
    let conn = rusqlite::Connection::open(&path).context("opening the ceiling database")?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
         CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL);",
    )?;
    let row = vec![7u8; 200];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < budget {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        conn.execute("INSERT INTO t (v) VALUES (?1)", [&row])?;
        conn.execute_batch("COMMIT")?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("ceiling.sqlite3{suffix}")));
    }
    Ok(rate)
}

fn fsyncs(dir: &Path, budget: Duration) -> anyhow::Result<f64> {
    let path = dir.join("ceiling.fsync");
    let mut f = std::fs::OpenOptions::new().create(true).truncate(true).read(true).write(true).open(&path)?;
    let block = vec![9u8; 4096];
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < budget {
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&block)?;
        f.sync_all()?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(&path);
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_loops_measure_something_and_leave_nothing_behind() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let c = measure(dir.path(), Duration::from_millis(300))?;
        assert!(c.sqlite_commits_per_second > 1.0, "{c:?}");
        assert!(c.fsyncs_per_second > 1.0, "{c:?}");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 0, "temporary files removed");
        Ok(())
    }
}
