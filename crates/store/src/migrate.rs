//! Forward-only schema migrations, embedded in the binary, one folder per engine.
//!
//! Each migration runs in its own transaction together with the row that records it, so a
//! crash leaves either the old or the new schema. A database whose schema is newer than this
//! binary knows is refused with a clear message instead of being misread.

use crate::db::Conn;
use crate::engine::Engine;
use crate::error::{StoreError, StoreResult};
use sha2::{Digest, Sha256};

/// One embedded migration.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// Every migration, oldest first. Add new ones at the end, for both engines at once; the
/// `migrations_are_in_lockstep` test keeps the two folders aligned.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sqlite: include_str!("../migrations/sqlite/0002_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "events",
        sqlite: include_str!("../migrations/sqlite/0003_events.sql"),
        postgres: include_str!("../migrations/postgres/0003_events.sql"),
    },
    Migration {
        version: 4,
        name: "account_hardening",
        sqlite: include_str!("../migrations/sqlite/0004_account_hardening.sql"),
        postgres: include_str!("../migrations/postgres/0004_account_hardening.sql"),
    },
    Migration {
        version: 5,
        name: "timers",
        sqlite: include_str!("../migrations/sqlite/0005_timers.sql"),
        postgres: include_str!("../migrations/postgres/0005_timers.sql"),
    },
    Migration {
        version: 6,
        name: "instance_settings",
        sqlite: include_str!("../migrations/sqlite/0006_instance_settings.sql"),
        postgres: include_str!("../migrations/postgres/0006_instance_settings.sql"),
    },
    Migration {
        version: 7,
        name: "messages",
        sqlite: include_str!("../migrations/sqlite/0007_messages.sql"),
        postgres: include_str!("../migrations/postgres/0007_messages.sql"),
    },
    Migration {
        version: 8,
        name: "message_content",
        sqlite: include_str!("../migrations/sqlite/0008_message_content.sql"),
        postgres: include_str!("../migrations/postgres/0008_message_content.sql"),
    },
    Migration {
        version: 9,
        name: "channels",
        sqlite: include_str!("../migrations/sqlite/0009_channels.sql"),
        postgres: include_str!("../migrations/postgres/0009_channels.sql"),
    },
    Migration {
        version: 10,
        name: "queues",
        sqlite: include_str!("../migrations/sqlite/0010_queues.sql"),
        postgres: include_str!("../migrations/postgres/0010_queues.sql"),
    },
    Migration {
        version: 11,
        name: "clinic_country",
        sqlite: include_str!("../migrations/sqlite/0011_clinic_country.sql"),
        postgres: include_str!("../migrations/postgres/0011_clinic_country.sql"),
    },
    Migration {
        version: 12,
        name: "message_delivery",
        sqlite: include_str!("../migrations/sqlite/0012_message_delivery.sql"),
        postgres: include_str!("../migrations/postgres/0012_message_delivery.sql"),
    },
    Migration {
        version: 13,
        name: "queue_join",
        sqlite: include_str!("../migrations/sqlite/0013_queue_join.sql"),
        postgres: include_str!("../migrations/postgres/0013_queue_join.sql"),
    },
    Migration {
        version: 14,
        name: "watches",
        sqlite: include_str!("../migrations/sqlite/0014_watches.sql"),
        postgres: include_str!("../migrations/postgres/0014_watches.sql"),
    },
    Migration {
        version: 15,
        name: "sources",
        sqlite: include_str!("../migrations/sqlite/0015_sources.sql"),
        postgres: include_str!("../migrations/postgres/0015_sources.sql"),
    },
    Migration {
        version: 16,
        name: "calendar",
        sqlite: include_str!("../migrations/sqlite/0016_calendar.sql"),
        postgres: include_str!("../migrations/postgres/0016_calendar.sql"),
    },
    Migration {
        version: 18,
        name: "import_keys",
        sqlite: include_str!("../migrations/sqlite/0018_import_keys.sql"),
        postgres: include_str!("../migrations/postgres/0018_import_keys.sql"),
    },
    Migration {
        version: 19,
        name: "telegram_bots",
        sqlite: include_str!("../migrations/sqlite/0019_telegram_bots.sql"),
        postgres: include_str!("../migrations/postgres/0019_telegram_bots.sql"),
    },
    Migration {
        version: 20,
        name: "clinical_records",
        sqlite: include_str!("../migrations/sqlite/0020_clinical_records.sql"),
        postgres: include_str!("../migrations/postgres/0020_clinical_records.sql"),
    },
    Migration {
        version: 21,
        name: "forms_messages",
        sqlite: include_str!("../migrations/sqlite/0021_forms_messages.sql"),
        postgres: include_str!("../migrations/postgres/0021_forms_messages.sql"),
    },
    Migration {
        version: 23,
        name: "telegram_staff",
        sqlite: include_str!("../migrations/sqlite/0023_telegram_staff.sql"),
        postgres: include_str!("../migrations/postgres/0023_telegram_staff.sql"),
    },
    Migration {
        version: 26,
        name: "watch_gaps",
        sqlite: include_str!("../migrations/sqlite/0026_watch_gaps.sql"),
        postgres: include_str!("../migrations/postgres/0026_watch_gaps.sql"),
    },
    Migration {
        version: 27,
        name: "location_phone",
        sqlite: include_str!("../migrations/sqlite/0027_location_phone.sql"),
        postgres: include_str!("../migrations/postgres/0027_location_phone.sql"),
    },
];

/// The schema version this binary expects.
pub fn current_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

impl Migration {
    fn sql(&self, engine: Engine) -> &'static str {
        match engine {
            Engine::Sqlite => self.sqlite,
            Engine::Postgres => self.postgres,
        }
    }
    fn checksum(&self, engine: Engine) -> String {
        hex::encode(Sha256::digest(self.sql(engine).as_bytes()))
    }
}

/// Applies every pending migration; returns the versions applied.
///
/// On PostgreSQL several processes may start at once: a session advisory lock makes them take
/// turns, and each finds the work done by the first.
pub async fn run(conn: &mut Conn, engine: Engine) -> StoreResult<Vec<i64>> {
    if engine == Engine::Postgres {
        conn.run("SELECT pg_advisory_lock(7315062)").await?;
    }
    let result = run_locked(conn, engine).await;
    if engine == Engine::Postgres {
        let _ = conn.run("SELECT pg_advisory_unlock(7315062)").await;
    }
    result
}

async fn run_locked(conn: &mut Conn, engine: Engine) -> StoreResult<Vec<i64>> {
    run_up_to(conn, engine, i64::MAX).await
}

/// Applies the pending migrations up to version `last` (tests stop early to build old data).
async fn run_up_to(conn: &mut Conn, engine: Engine, last: i64) -> StoreResult<Vec<i64>> {
    conn.run(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at_us BIGINT NOT NULL)",
    )
    .await?;
    let applied = applied(conn).await?;
    if let Some((newest, _)) = applied.last()
        && *newest > current_version()
    {
        return Err(StoreError::SchemaMismatch(format!(
            "the database has schema version {newest} but this nobat understands up to {}; \
             run a newer nobat (downgrades are not supported)",
            current_version()
        )));
    }
    let mut done = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version <= last) {
        if let Some((_, sum)) = applied.iter().find(|(v, _)| *v == m.version) {
            if *sum != m.checksum(engine) {
                // Running on a schema that is not the one this binary's code was written for
                // fails in confusing ways later (every audited write, say): refuse now.
                return Err(StoreError::SchemaMismatch(format!(
                    "migration {} ({}) differs from the one this database was created with: it was made by a \
                     development build. Restore a backup made by a release, or start from an empty database",
                    m.version, m.name
                )));
            }
            continue;
        }
        conn.run(engine.begin_write()).await?;
        let result = async {
            conn.run(m.sql(engine)).await?;
            crate::db::query(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at_us) VALUES ($1, $2, $3, $4)",
            )
            .bind(m.version)
            .bind(m.name)
            .bind(m.checksum(engine))
            .bind(jiff::Timestamp::now().as_microsecond())
            .execute(&mut *conn)
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        match result {
            Ok(()) => {
                conn.run("COMMIT").await?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
                done.push(m.version);
            }
            Err(e) => {
                let _ = conn.run("ROLLBACK").await;
                return Err(e);
            }
        }
    }
    Ok(done)
}

/// The schema version a database is at (0 when empty).
pub async fn version(conn: &mut Conn) -> StoreResult<i64> {
    let exists = crate::db::query("SELECT version FROM schema_migrations LIMIT 1").fetch_optional(&mut *conn).await;
    if exists.is_err() {
        return Ok(0);
    }
    Ok(applied(conn).await?.last().map_or(0, |(v, _)| *v))
}

async fn applied(conn: &mut Conn) -> StoreResult<Vec<(i64, String)>> {
    let rows = crate::db::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(|r| Ok((r.int("version")?, r.text("checksum")?))).collect()
}

#[cfg(test)]
#[path = "migrate_backlog_tests.rs"]
mod backlog_tests;

#[cfg(test)]
mod tests {
    use super::*;

    /// Normalises the type spellings that legitimately differ, so what remains must match.
    fn shape(sql: &str) -> Vec<String> {
        sql.lines()
            .map(|l| l.split("--").next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(|l| l.replace("BIGINT", "INTEGER").replace("DOUBLE PRECISION", "REAL"))
            .collect()
    }

    #[test]
    fn migrations_are_in_lockstep() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "versions must increase");
            last = m.version;
            let sqlite = shape(m.sqlite);
            let postgres = shape(m.postgres);
            // PostgreSQL may append engine-only guards (the exclusion constraint) after the
            // shared part; everything SQLite has must appear identically, in order.
            assert!(postgres.len() >= sqlite.len(), "{}: postgres lost statements", m.name);
            for (i, (a, b)) in sqlite.iter().zip(&postgres).enumerate() {
                assert_eq!(a, b, "{}: line {} differs between engines", m.name, i + 1);
            }
            for extra in &postgres[sqlite.len()..] {
                assert!(!extra.starts_with("CREATE TABLE"), "{}: a table exists only on PostgreSQL: {extra}", m.name);
            }
        }
    }

    #[test]
    fn migration_files_on_disk_are_all_embedded() {
        for engine in ["sqlite", "postgres"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine);
            let count = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
            assert_eq!(count, MIGRATIONS.len(), "{engine}: every file in {} must be listed", dir.display());
        }
    }
}
