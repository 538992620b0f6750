//! Moving a deployment from SQLite to PostgreSQL: every table copied in one PostgreSQL
//! transaction (all or nothing), in an order that satisfies the foreign keys, then verified:
//! row counts on both sides, and the booking invariant on the target. The source is only read.

use crate::db::{self, Conn, Kind, Value};
use crate::engine::{self, Engine};
use crate::error::{StoreError, StoreResult};
use crate::migrate;
use std::collections::HashMap;

/// Tables in the order their rows must be inserted.
const TABLES: &[&str] = &[
    "instance_settings",
    "clinics",
    "users",
    "memberships",
    "recovery_codes",
    "sessions",
    "api_tokens",
    "login_failures",
    "locations",
    "practitioners",
    "services",
    "schedule_rules",
    "schedule_exceptions",
    "patients",
    "consents",
    "verifications",
    "invitations",
    "appointments",
    "holds",
    "queues",
    "tickets",
    "ticket_hops",
    "queue_snapshots",
    "queue_settings",
    "idempotency_keys",
    "outbox",
    "outbox_deliveries",
    "outbox_cursors",
    "events",
    "event_heads",
    "jobs",
    "job_probe_runs",
    "audit_events",
    "audit_heads",
    "message_templates",
    "reminder_settings",
    "service_reminder_settings",
    "messages",
    "clinic_channels",
    "webhook_endpoints",
    "webhook_sends",
    "sources",
    "source_files",
    "source_slots",
    "source_watches",
    "source_watch_notices",
    "watches",
    "watch_notices",
    "watch_settings",
    "calendar_feeds",
    "import_keys",
    "telegram_bots",
    "telegram_chats",
    "telegram_updates",
    "telegram_link_tokens",
    "telegram_staff_chats",
    "telegram_staff_alerts",
    "queue_join_links",
    "clinical_notes",
    "clinical_note_versions",
    "note_templates",
    "patient_merges",
    "intake_forms",
    "form_answers",
    "secure_messages",
    "message_attachments",
];

/// Rows copied per table, in copy order.
pub type Report = Vec<(&'static str, u64)>;

/// Copies everything from the SQLite database at `from` into the PostgreSQL database at `to`,
/// which must be empty (it is migrated first). `progress` hears each table's count every
/// 10,000 rows and when the table is done.
pub async fn sqlite_to_postgres(from: &str, to: &str, mut progress: impl FnMut(&str, u64)) -> StoreResult<Report> {
    if Engine::from_url(from)? != Engine::Sqlite || Engine::from_url(to)? != Engine::Postgres {
        return Err(StoreError::Unavailable("copy from a sqlite: URL to a postgres:// URL".into()));
    }
    let mut source = engine::connect_writer(Engine::Sqlite, from, &crate::SessionLimits::unbounded()).await?;
    let version = migrate::version(&mut source).await?;
    if version != migrate::current_version() {
        return Err(StoreError::SchemaMismatch(format!(
            "the source is at schema {version}; run `nobat migrate` on it first (this nobat needs {})",
            migrate::current_version()
        )));
    }
    let mut target = engine::connect_writer(Engine::Postgres, to, &crate::SessionLimits::unbounded()).await?;
    migrate::run(&mut target, Engine::Postgres).await?;
    for table in TABLES {
        let row = db::query(format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(&mut target).await?;
        if row.int("n")? != 0 {
            return Err(StoreError::AlreadyExists(format!("the target is not empty ({table} has rows)")));
        }
    }
    target.run("BEGIN").await?;
    let copied = copy_all(&mut source, &mut target, &mut progress).await;
    match copied {
        Ok(report) => {
            target.run("COMMIT").await?;
            verify(&mut source, &mut target, &report).await?;
            source.close().await;
            target.close().await;
            Ok(report)
        }
        Err(e) => {
            let _ = target.run("ROLLBACK").await;
            Err(e)
        }
    }
}

async fn copy_all(source: &mut Conn, target: &mut Conn, progress: &mut impl FnMut(&str, u64)) -> StoreResult<Report> {
    let mut report = Vec::new();
    for table in TABLES {
        let kinds = column_kinds(target, table).await?;
        let rows = db::query(format!("SELECT * FROM {table}")).fetch_all(source).await?;
        let mut n = 0;
        for row in &rows {
            let columns = row.columns();
            let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let sql = format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), placeholders.join(", "));
            let mut q = db::query(sql);
            for (col, value) in columns.iter().zip(row.values()) {
                // SQLite's NULLs carry no type; PostgreSQL needs the column's.
                let kind = kinds.get(col.as_str()).copied().unwrap_or(Kind::Text);
                q = q.bind(match value {
                    Value::Null(_) => Value::Null(kind),
                    Value::Int(i) if kind == Kind::Real => Value::Real(*i as f64),
                    other => other.clone(),
                });
            }
            q.execute(target).await?;
            n += 1;
            if n % 10_000 == 0 {
                progress(table, n);
            }
        }
        progress(table, n);
        report.push((*table, n));
    }
    Ok(report)
}

async fn column_kinds(target: &mut Conn, table: &str) -> StoreResult<HashMap<String, Kind>> {
    let rows = db::query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1")
        .bind(table)
        .fetch_all(target)
        .await?;
    rows.iter()
        .map(|r| {
            let kind = match r.text("data_type")?.as_str() {
                "bigint" | "integer" | "smallint" => Kind::Int,
                "double precision" | "real" => Kind::Real,
                _ => Kind::Text,
            };
            Ok((r.text("column_name")?, kind))
        })
        .collect()
}

async fn verify(source: &mut Conn, target: &mut Conn, report: &Report) -> StoreResult<()> {
    for (table, copied) in report {
        let count = |row: db::Row| row.int("n");
        let src = count(db::query(format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(source).await?)?;
        let dst = count(db::query(format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(target).await?)?;
        if src != dst || dst as u64 != *copied {
            return Err(StoreError::Corrupt(format!("{table}: {src} rows in the source, {dst} in the target")));
        }
    }
    // The booking invariant, on the target: overlaps between sessions were already refused by
    // the exclusion constraint as rows went in; no group session may exceed its capacity.
    let over = db::query(
        "SELECT COUNT(*) AS n FROM (SELECT COUNT(*) AS taken, MAX(capacity) AS cap FROM appointments \
         WHERE occupies = 1 GROUP BY clinic_id, practitioner_id, service_id, start_us) AS sessions WHERE taken > cap",
    )
    .fetch_one(target)
    .await?
    .int("n")?;
    if over != 0 {
        return Err(StoreError::Corrupt(format!("{over} sessions hold more patients than their capacity")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A table added by a migration but not copied would be lost by `migrate-to`.
    #[test]
    fn every_table_of_the_schema_is_copied() {
        let mut created: Vec<String> = crate::migrate::MIGRATIONS
            .iter()
            .flat_map(|m| m.sqlite.lines())
            .filter_map(|l| l.trim().strip_prefix("CREATE TABLE "))
            .filter_map(|rest| rest.split_whitespace().next().map(str::to_owned))
            .collect();
        let mut copied: Vec<String> = super::TABLES.iter().map(|t| (*t).to_owned()).collect();
        created.sort();
        copied.sort();
        assert_eq!(created, copied);
    }
}
