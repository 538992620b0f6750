//! Sources: other publishers' slots an operator follows (issue 13). The poller (in the server)
//! fetches and parses; these commands record what it found. The diff that decides "this slot
//! just became free" runs here, inside the transaction that stores the new state, so each
//! appearance of a free slot emits `source.slot_free` exactly once, whatever process polled.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::rows;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::smart::Skip;
use serde_json::json;
use std::collections::HashMap;

/// The instance's own "clinic" for events that belong to no clinic (as operator alerts).
pub const SOURCES_CLINIC: nobat_core::ClinicId = nobat_core::ClinicId(uuid::Uuid::nil());

#[derive(Debug, Clone)]
pub enum SourceCommand {
    /// Registers a source; the same kind and URL registered again answers the existing id.
    Create { id: String, kind: String, url: String, actor: AuditActor },
    /// Takes the lease of the source most overdue for a poll, if any: only its holder polls it.
    Claim { owner: String, lease: SignedDuration },
    /// Records one poll's outcome and gives the lease back.
    Record(Box<PollOutcome>),
    /// A patient's watch on the source's slots.
    CreateWatch(Box<SourceWatch>),
}

/// A file as fetched (a 200), to keep for the next import and conditional request.
#[derive(Debug, Clone)]
pub struct FetchedFile {
    pub url: String,
    pub kind: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body: String,
    /// Not to be fetched again before this (max-age, at least the polite minimum).
    pub next_fetch: Timestamp,
}

/// One usable slot of an import, resolved to its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedSlot {
    pub slot_id: String,
    pub schedule_id: String,
    pub location_id: String,
    pub location_name: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// `free`, `busy`, …
    pub status: String,
    pub capacity: u32,
    pub booking_links: Vec<String>,
    pub booking_phone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PollOutcome {
    pub source: String,
    /// The lease it was claimed with: a late poller whose lease was taken over records nothing.
    pub owner: String,
    /// Files fetched anew (200); files answered 304 keep their row and get `not_before`.
    pub fetched: Vec<FetchedFile>,
    /// Files that answered 304: (url, next fetch).
    pub unchanged: Vec<(String, Timestamp)>,
    /// When the manifest stopped listing a file, its URL.
    pub dropped: Vec<String>,
    /// The new import, when anything changed (`None`: nothing re-imported).
    pub slots: Option<Vec<ImportedSlot>>,
    pub skipped: Vec<Skip>,
    /// Why the poll failed, if it did (the slots stay as they were).
    pub error: Option<String>,
    pub next_poll: Timestamp,
}

/// A claimed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedSource {
    pub id: String,
    pub kind: String,
    pub url: String,
    pub owner: String,
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, cmd: &SourceCommand) -> StoreResult<super::Output> {
    match cmd {
        SourceCommand::Create { id, kind, url, actor } => create(tx, id, kind, url, actor).await,
        SourceCommand::Claim { owner, lease } => claim(tx, owner, *lease).await,
        SourceCommand::Record(o) => record(tx, o).await,
        SourceCommand::CreateWatch(w) => create_watch(tx, w).await,
    }
}

async fn create(
    tx: &mut WriteTx<'_>,
    id: &str,
    kind: &str,
    url: &str,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let existing = crate::db::query("SELECT id FROM sources WHERE kind = $1 AND url = $2")
        .bind(kind)
        .bind(url)
        .fetch_optional(&mut *tx.conn)
        .await?;
    if let Some(row) = existing {
        return Ok(super::Output::SourceId(rows::text(&row, "id")?));
    }
    let now = tx.now.as_microsecond();
    crate::db::query(
        "INSERT INTO sources (id, kind, url, created_at_us, next_poll_at_us, imported, skipped) \
         VALUES ($1, $2, $3, $4, $4, 0, '[]')",
    )
    .bind(id)
    .bind(kind)
    .bind(url)
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    tx.audit_in(
        crate::audit::INSTANCE_CHAIN,
        actor,
        Audit::new("create", "source", id).after(&json!({ "kind": kind, "url": url })),
    );
    Ok(super::Output::SourceId(id.to_owned()))
}

async fn claim(tx: &mut WriteTx<'_>, owner: &str, lease: SignedDuration) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    let until = (tx.now + lease).as_microsecond();
    // The lease condition is repeated outside the subquery: on PostgreSQL a second process whose
    // UPDATE waited on the row re-checks it against the committed lease and takes nothing.
    let sql = format!(
        "UPDATE sources SET lease_owner = $1, lease_until_us = $2 \
         WHERE id IN (SELECT id FROM sources WHERE next_poll_at_us <= $3 \
                        AND (lease_until_us IS NULL OR lease_until_us <= $3) \
                      ORDER BY next_poll_at_us LIMIT 1{}) \
           AND (lease_until_us IS NULL OR lease_until_us <= $3) \
         RETURNING id, kind, url",
        tx.skip_locked()
    );
    let row = crate::db::query(sql).bind(owner).bind(until).bind(now).fetch_optional(&mut *tx.conn).await?;
    let claimed = row
        .map(|r| {
            Ok::<_, StoreError>(ClaimedSource {
                id: rows::text(&r, "id")?,
                kind: rows::text(&r, "kind")?,
                url: rows::text(&r, "url")?,
                owner: owner.to_owned(),
            })
        })
        .transpose()?;
    Ok(super::Output::SourceClaim(claimed))
}

async fn record(tx: &mut WriteTx<'_>, o: &PollOutcome) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    // Only the lease holder records (and this row lock orders two recorders on PostgreSQL).
    let held = crate::db::query(
        "UPDATE sources SET lease_owner = NULL, lease_until_us = NULL WHERE id = $1 AND lease_owner = $2 RETURNING id",
    )
    .bind(o.source.as_str())
    .bind(o.owner.as_str())
    .fetch_optional(&mut *tx.conn)
    .await?;
    if held.is_none() {
        return Ok(super::Output::Count(0));
    }
    for f in &o.fetched {
        crate::db::query(
            "INSERT INTO source_files (source_id, url, kind, etag, last_modified, body, fetched_at_us, next_fetch_us) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (source_id, url) DO UPDATE SET kind = excluded.kind, etag = excluded.etag, \
             last_modified = excluded.last_modified, body = excluded.body, fetched_at_us = excluded.fetched_at_us, \
             next_fetch_us = excluded.next_fetch_us",
        )
        .bind(o.source.as_str())
        .bind(f.url.as_str())
        .bind(f.kind.as_str())
        .bind(f.etag.clone())
        .bind(f.last_modified.clone())
        .bind(f.body.as_str())
        .bind(now)
        .bind(f.next_fetch.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    }
    for (url, next) in &o.unchanged {
        crate::db::query("UPDATE source_files SET next_fetch_us = $3 WHERE source_id = $1 AND url = $2")
            .bind(o.source.as_str())
            .bind(url.as_str())
            .bind(next.as_microsecond())
            .execute(&mut *tx.conn)
            .await?;
    }
    for url in &o.dropped {
        crate::db::query("DELETE FROM source_files WHERE source_id = $1 AND url = $2")
            .bind(o.source.as_str())
            .bind(url.as_str())
            .execute(&mut *tx.conn)
            .await?;
    }
    let mut freed = 0u64;
    if let Some(slots) = &o.slots {
        freed = replace_slots(tx, &o.source, slots).await?;
    }
    let skipped = serde_json::to_string(&o.skipped).unwrap_or_else(|_| "[]".into());
    let changed = o.slots.is_some().then_some(now);
    let imported = o.slots.as_ref().map(|s| s.len() as i64);
    crate::db::query(
        "UPDATE sources SET last_poll_at_us = $2, next_poll_at_us = $3, last_error = $4, \
         last_success_at_us = CASE WHEN $4 IS NULL THEN $2 ELSE last_success_at_us END, \
         last_change_at_us = COALESCE($5, last_change_at_us), \
         imported = COALESCE($6, imported), \
         skipped = CASE WHEN $5 IS NULL THEN skipped ELSE $7 END \
         WHERE id = $1",
    )
    .bind(o.source.as_str())
    .bind(now)
    .bind(o.next_poll.as_microsecond())
    .bind(o.error.clone())
    .bind(changed)
    .bind(imported)
    .bind(skipped)
    .execute(&mut *tx.conn)
    .await?;
    Ok(super::Output::Count(freed))
}

/// Replaces the source's slots with `slots`; emits `source.slot_free` for each slot free now
/// that was not free before (new, or busy in the last import). Returns how many.
async fn replace_slots(tx: &mut WriteTx<'_>, source: &str, slots: &[ImportedSlot]) -> StoreResult<u64> {
    let before: HashMap<String, String> =
        crate::db::query("SELECT slot_id, status FROM source_slots WHERE source_id = $1")
            .bind(source)
            .fetch_all(&mut *tx.conn)
            .await?
            .iter()
            .map(|r| Ok((rows::text(r, "slot_id")?, rows::text(r, "status")?)))
            .collect::<StoreResult<_>>()?;
    crate::db::query("DELETE FROM source_slots WHERE source_id = $1").bind(source).execute(&mut *tx.conn).await?;
    let mut freed = 0;
    for s in slots {
        crate::db::query(
            "INSERT INTO source_slots (source_id, slot_id, schedule_id, location_id, location_name, start_us, end_us, \
             status, capacity, booking_links, booking_phone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(source)
        .bind(s.slot_id.as_str())
        .bind(s.schedule_id.as_str())
        .bind(s.location_id.as_str())
        .bind(s.location_name.as_str())
        .bind(s.start.as_microsecond())
        .bind(s.end.as_microsecond())
        .bind(s.status.as_str())
        .bind(i64::from(s.capacity))
        .bind(json!(s.booking_links).to_string())
        .bind(s.booking_phone.clone())
        .execute(&mut *tx.conn)
        .await?;
        let was_free = before.get(&s.slot_id).is_some_and(|st| st == "free");
        if s.status == "free" && !was_free {
            freed += 1;
            let subjects = Subjects {
                source: Some(source.to_owned()),
                slot: Some(s.slot_id.clone()),
                start: Some(s.start),
                end: Some(s.end),
                ..Subjects::default()
            };
            tx.emit(SOURCES_CLINIC, EventKind::SourceSlotFree, subjects).await?;
        }
    }
    Ok(freed)
}

/// A watch on an outside source's slots (`POST /api/v1/sources/{id}/watches`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceWatch {
    pub id: String,
    pub source: String,
    /// SHA-256 of the watcher's token (the token itself is shown once).
    pub token_hash: String,
    pub location: Option<String>,
    pub schedule: Option<String>,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// `mon`…`sun`.
    pub weekdays: Vec<String>,
    /// `(HH:MM, HH:MM)` windows.
    pub times: Vec<(String, String)>,
    pub time_zone: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub telegram_chat: Option<String>,
    pub language: Option<String>,
    /// Set by the store: the instance events' last seq when the watch was made (slots freed
    /// before it are not news to this watcher).
    pub after_seq: i64,
}

/// Stores a watch; its position is how many active watches of the source came before, plus one.
pub(crate) async fn create_watch(tx: &mut WriteTx<'_>, w: &SourceWatch) -> StoreResult<super::Output> {
    let found = crate::db::query("SELECT id FROM sources WHERE id = $1")
        .bind(w.source.as_str())
        .fetch_optional(&mut *tx.conn)
        .await?;
    if found.is_none() {
        return Err(StoreError::NotFound("source"));
    }
    let ahead = crate::db::query("SELECT COUNT(*) AS n FROM source_watches WHERE source_id = $1 AND status = 'active'")
        .bind(w.source.as_str())
        .fetch_one(&mut *tx.conn)
        .await?;
    let position = rows::int(&ahead, "n")? + 1;
    let last = crate::db::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE clinic_id = $1")
        .bind(SOURCES_CLINIC.to_string())
        .fetch_one(&mut *tx.conn)
        .await?;
    let after_seq = rows::int(&last, "seq")?;
    // The window ends at the end of its last day in the watcher's zone: a durable timer then
    // marks the watch expired and tells the watcher once.
    let tz = nobat_core::zones::get(&w.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let ends =
        w.to.tomorrow().ok().and_then(|d| d.to_zoned(tz).ok()).map(|z| z.timestamp()).unwrap_or(jiff::Timestamp::MAX);
    crate::db::query(
        "INSERT INTO source_watches (id, source_id, token_hash, location_id, schedule_id, from_date, to_date, weekdays, \
         times, time_zone, name, email, phone, telegram_chat, language, status, created_at_us, after_seq, ends_at_us, \
         updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'active', $16, $17, $18, $16)",
    )
    .bind(w.id.as_str())
    .bind(w.source.as_str())
    .bind(w.token_hash.as_str())
    .bind(w.location.clone())
    .bind(w.schedule.clone())
    .bind(w.from.to_string())
    .bind(w.to.to_string())
    .bind(json!(w.weekdays).to_string())
    .bind(json!(w.times).to_string())
    .bind(w.time_zone.as_str())
    .bind(w.name.as_str())
    .bind(w.email.clone())
    .bind(w.phone.clone())
    .bind(w.telegram_chat.clone())
    .bind(w.language.clone())
    .bind(tx.now.as_microsecond())
    .bind(after_seq)
    .bind(ends.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    let expiry = super::jobs::NewJob {
        clinic: None,
        kind: SOURCE_WATCH_EXPIRE,
        key: w.id.clone(),
        run_at: ends,
        payload: json!({}),
        if_scheduled: super::jobs::IfScheduled::Replace,
    };
    super::jobs::schedule_in(tx, &expiry).await?;
    Ok(super::Output::Count(position as u64))
}

/// Ends an outside watch at the end of its window; key: the watch id.
pub const SOURCE_WATCH_EXPIRE: &str = "source_watch.expire";

/// Stops the outside watch behind a token's hash (`DELETE /api/v1/watches/{token}`, the link in
/// its messages). Stopping one that already ended changes nothing; no such watch: not found.
pub(crate) async fn stop_watch(tx: &mut WriteTx<'_>, token_hash: &str) -> StoreResult<super::Output> {
    let row = crate::db::query("SELECT id, status FROM source_watches WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("watch"))?;
    let id = rows::text(&row, "id")?;
    if rows::text(&row, "status")? == "active" {
        crate::db::query("UPDATE source_watches SET status = 'stopped', updated_at_us = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(tx.now.as_microsecond())
            .execute(&mut *tx.conn)
            .await?;
        super::jobs::cancel_in(tx, None, SOURCE_WATCH_EXPIRE, &id).await?;
    }
    Ok(super::Output::Done)
}

/// The `source_watch.expire` job: the window is over; the watcher is told once (the notice
/// with the empty slot id is the window's end, under the same once-key as a slot).
pub(crate) async fn expire_watch(tx: &mut WriteTx<'_>, id: &str) -> StoreResult<()> {
    let ended = crate::db::query(
        "UPDATE source_watches SET status = 'expired', updated_at_us = $2 \
         WHERE id = $1 AND status = 'active' AND ends_at_us <= $2 RETURNING source_id",
    )
    .bind(id)
    .bind(tx.now.as_microsecond())
    .fetch_optional(&mut *tx.conn)
    .await?;
    let Some(row) = ended else { return Ok(()) };
    let told = crate::db::query(
        "INSERT INTO source_watch_notices (watch_id, slot_id, created_at_us) VALUES ($1, '', $2) \
         ON CONFLICT (watch_id, slot_id) DO NOTHING RETURNING watch_id",
    )
    .bind(id)
    .bind(tx.now.as_microsecond())
    .fetch_optional(&mut *tx.conn)
    .await?;
    if told.is_some() {
        let subjects = Subjects {
            source: Some(rows::text(&row, "source_id")?),
            watch: Some(id.to_owned()),
            ..Subjects::default()
        };
        tx.emit(SOURCES_CLINIC, EventKind::SourceWatchExpired, subjects).await?;
    }
    Ok(())
}

/// Whether a message about slot `slot` may go to outside watcher `watch` now, recording it if
/// so: once per (watch, slot), and within the per-watcher rate limits local watches have
/// (`RateLimits::default()`: outside watches belong to no clinic and its settings). Decided in
/// the transaction that writes the message, so concurrent plans cannot both pass the limit.
pub(crate) async fn watch_notice_allowed(tx: &mut WriteTx<'_>, watch: &str, slot: &str) -> StoreResult<bool> {
    let hour = tx.now.checked_sub(SignedDuration::from_hours(1)).unwrap_or(tx.now).as_microsecond();
    let day = tx.now.checked_sub(SignedDuration::from_hours(24)).unwrap_or(tx.now).as_microsecond();
    let counts = crate::db::query(
        "SELECT COALESCE(SUM(CASE WHEN created_at_us > $2 THEN 1 ELSE 0 END), 0) AS last_hour, COUNT(*) AS last_day \
         FROM source_watch_notices WHERE watch_id = $1 AND slot_id <> '' AND created_at_us > $3",
    )
    .bind(watch)
    .bind(hour)
    .bind(day)
    .fetch_one(&mut *tx.conn)
    .await?;
    let n = |c: &str| -> StoreResult<u32> { Ok(u32::try_from(rows::int(&counts, c)?).unwrap_or(u32::MAX)) };
    if !nobat_core::watch::RateLimits::default().allows(n("last_hour")?, n("last_day")?) {
        return Ok(false);
    }
    let told = crate::db::query(
        "INSERT INTO source_watch_notices (watch_id, slot_id, created_at_us) VALUES ($1, $2, $3) \
         ON CONFLICT (watch_id, slot_id) DO NOTHING RETURNING watch_id",
    )
    .bind(watch)
    .bind(slot)
    .bind(tx.now.as_microsecond())
    .fetch_optional(&mut *tx.conn)
    .await?;
    Ok(told.is_some())
}
