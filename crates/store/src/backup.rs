//! Backups of a SQLite deployment: a consistent copy taken while the server runs, and a
//! restore that checks what it is given before it replaces anything.
//!
//! `VACUUM INTO` copies the database as of one read transaction — a snapshot — from a
//! connection of its own; the writer keeps committing meanwhile (WAL), so the server never
//! stops answering. Every booking committed before the backup began is in the copy.
//!
//! PostgreSQL deployments back up with PostgreSQL's tools (`pg_dump`, or base backups with WAL
//! archiving for point-in-time recovery); [`backup`] refuses and says so.

use crate::db::sqlite::path_of;
use crate::engine::Engine;
use crate::error::{StoreError, StoreResult};
use crate::migrate;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// What a backup or a restore checked.
#[derive(Debug, Clone)]
pub struct Checked {
    pub schema_version: i64,
    pub appointments: i64,
    pub bytes: u64,
}

const PG_ADVICE: &str = "nobat backup copies SQLite databases only. For PostgreSQL use its own tools: \
     `pg_dump -Fc DATABASE > nobat.dump` for a logical copy (restore with pg_restore), or base \
     backups with WAL archiving (pg_basebackup + archive_command) for point-in-time recovery";

/// Writes a consistent copy of the database at `url` to `dest` (which must not exist yet),
/// then checks the copy.
pub fn backup(url: &str, dest: &Path) -> StoreResult<Checked> {
    if Engine::from_url(url)? == Engine::Postgres {
        return Err(StoreError::Unavailable(PG_ADVICE.into()));
    }
    if dest.exists() {
        return Err(StoreError::Unavailable(format!("{} already exists; choose a new file", dest.display())));
    }
    let source = Connection::open_with_flags(path_of(url)?, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(std::time::Duration::from_secs(30))?;
    let dest_str = dest.to_str().ok_or_else(|| StoreError::Unavailable("the backup path must be UTF-8".into()))?;
    source.execute("VACUUM INTO ?1", [dest_str])?;
    check(dest)
}

/// Checks a database file: SQLite's integrity check, and a schema this binary can run.
pub fn check(file: &Path) -> StoreResult<Checked> {
    let c = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt(format!("{}: integrity check failed: {verdict}", file.display())));
    }
    let version: i64 = c
        .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))
        .map_err(|_| StoreError::Corrupt(format!("{} is not a Nobat database", file.display())))?;
    if version > migrate::current_version() {
        return Err(StoreError::SchemaMismatch(format!(
            "{} has schema version {version}; this nobat understands up to {}",
            file.display(),
            migrate::current_version()
        )));
    }
    let appointments: i64 = c.query_row("SELECT COUNT(*) FROM appointments", [], |r| r.get(0))?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(Checked { schema_version: version, appointments, bytes })
}

/// Replaces the database at `url` with `backup` after checking it. The server must be
/// stopped (the caller holds the data directory's lock). The replaced files are kept beside
/// it as `*.before-restore-<time>`, so a restore can itself be undone. An older schema is
/// fine: the next start migrates it forward.
pub fn restore(url: &str, backup: &Path) -> StoreResult<(Checked, Option<PathBuf>)> {
    if Engine::from_url(url)? == Engine::Postgres {
        return Err(StoreError::Unavailable(PG_ADVICE.replace("copies", "restores")));
    }
    let checked = check(backup)?;
    let target = PathBuf::from(path_of(url)?);
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string();
    let mut kept = None;
    if target.exists() {
        // Fold the WAL into the main file first, so the file set we move aside is complete.
        if let Ok(c) = Connection::open(&target) {
            let _ = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        let aside = target.with_extension(format!("sqlite3.before-restore-{stamp}"));
        std::fs::rename(&target, &aside).map_err(io)?;
        kept = Some(aside);
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(io)?;
        }
    }
    let partial = target.with_extension("sqlite3.restoring");
    std::fs::copy(backup, &partial).map_err(io)?;
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io)?;
    std::fs::rename(&partial, &target).map_err(io)?;
    Ok((checked, kept))
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}
