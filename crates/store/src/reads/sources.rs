//! Reads of followed sources: their status, their files as last fetched, their slots.

use crate::Store;
use crate::commands::ImportedSlot;
use crate::error::StoreResult;
use crate::rows::{int, json, micros, opt_int, opt_text, text};
use jiff::Timestamp;
use nobat_core::smart::Skip;

/// A source's state, as `GET /api/v1/sources/{id}` shows it.
#[derive(Debug, Clone)]
pub struct SourceStatus {
    pub id: String,
    pub kind: String,
    pub url: String,
    pub created_at: Timestamp,
    pub last_poll: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub last_change: Option<Timestamp>,
    pub next_poll: Timestamp,
    pub last_error: Option<String>,
    pub imported: i64,
    pub skipped: Vec<Skip>,
    /// The manifest's (or search's) ETag as last seen.
    pub etag: Option<String>,
}

/// A file as stored.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub url: String,
    pub kind: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body: String,
    pub next_fetch: Timestamp,
}

fn opt_ts(v: Option<i64>) -> StoreResult<Option<Timestamp>> {
    v.map(micros).transpose()
}

impl Store {
    pub async fn source(&self, id: &str) -> StoreResult<Option<SourceStatus>> {
        let mut conn = self.reader().await?;
        let Some(r) = crate::db::query(
            "SELECT id, kind, url, created_at_us, last_poll_at_us, last_success_at_us, last_change_at_us, \
             next_poll_at_us, last_error, imported, skipped, \
             (SELECT etag FROM source_files f WHERE f.source_id = s.id AND f.url = s.url) AS etag \
             FROM sources s WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut conn)
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(SourceStatus {
            id: text(&r, "id")?,
            kind: text(&r, "kind")?,
            url: text(&r, "url")?,
            created_at: micros(int(&r, "created_at_us")?)?,
            last_poll: opt_ts(opt_int(&r, "last_poll_at_us")?)?,
            last_success: opt_ts(opt_int(&r, "last_success_at_us")?)?,
            last_change: opt_ts(opt_int(&r, "last_change_at_us")?)?,
            next_poll: micros(int(&r, "next_poll_at_us")?)?,
            last_error: opt_text(&r, "last_error")?,
            imported: int(&r, "imported")?,
            skipped: json(&r, "skipped")?,
            etag: opt_text(&r, "etag")?,
        }))
    }

    /// Every file of a source as last fetched.
    pub async fn source_files(&self, source: &str) -> StoreResult<Vec<StoredFile>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT url, kind, etag, last_modified, body, next_fetch_us FROM source_files WHERE source_id = $1 ORDER BY url",
        )
        .bind(source)
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok(StoredFile {
                    url: text(r, "url")?,
                    kind: text(r, "kind")?,
                    etag: opt_text(r, "etag")?,
                    last_modified: opt_text(r, "last_modified")?,
                    body: text(r, "body")?,
                    next_fetch: micros(int(r, "next_fetch_us")?)?,
                })
            })
            .collect()
    }

    /// A source's slots starting in `[from, to)`, of `status` when given, by start.
    pub async fn source_slots(
        &self,
        source: &str,
        from: Timestamp,
        to: Timestamp,
        status: Option<&str>,
    ) -> StoreResult<Vec<ImportedSlot>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT slot_id, schedule_id, location_id, location_name, start_us, end_us, status, capacity, \
             booking_links, booking_phone FROM source_slots \
             WHERE source_id = $1 AND start_us >= $2 AND start_us < $3 AND ($4 IS NULL OR status = $4) \
             ORDER BY start_us, slot_id",
        )
        .bind(source)
        .bind(from.as_microsecond())
        .bind(to.as_microsecond())
        .bind(status)
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok(ImportedSlot {
                    slot_id: text(r, "slot_id")?,
                    schedule_id: text(r, "schedule_id")?,
                    location_id: text(r, "location_id")?,
                    location_name: text(r, "location_name")?,
                    start: micros(int(r, "start_us")?)?,
                    end: micros(int(r, "end_us")?)?,
                    status: text(r, "status")?,
                    capacity: u32::try_from(int(r, "capacity")?).unwrap_or(1),
                    booking_links: json(r, "booking_links")?,
                    booking_phone: opt_text(r, "booking_phone")?,
                })
            })
            .collect()
    }

    /// The instant of the newest stored event of a clinic (`None`: none yet): when its
    /// published availability last changed because of something that happened.
    pub async fn last_event_at(&self, clinic: nobat_core::ClinicId) -> StoreResult<Option<Timestamp>> {
        let mut conn = self.reader().await?;
        let r = crate::db::query("SELECT MAX(at_us) AS at FROM events WHERE clinic_id = $1")
            .bind(clinic.to_string())
            .fetch_one(&mut conn)
            .await?;
        opt_ts(opt_int(&r, "at")?)
    }
}

impl Store {
    /// One imported slot, as it stands now.
    pub async fn source_slot(&self, source: &str, slot: &str) -> StoreResult<Option<ImportedSlot>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query("SELECT start_us FROM source_slots WHERE source_id = $1 AND slot_id = $2")
            .bind(source)
            .bind(slot)
            .fetch_optional(&mut conn)
            .await?;
        drop(conn);
        let Some(r) = found else { return Ok(None) };
        let start = micros(int(&r, "start_us")?)?;
        let end = start.checked_add(jiff::SignedDuration::from_micros(1)).unwrap_or(start);
        Ok(self.source_slots(source, start, end, None).await?.into_iter().find(|s| s.slot_id == slot))
    }

    /// The active watches of a source that name this location or schedule (or neither).
    pub async fn source_watches_for(
        &self,
        source: &str,
        location: &str,
        schedule: &str,
    ) -> StoreResult<Vec<crate::commands::SourceWatch>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT id, source_id, token_hash, location_id, schedule_id, from_date, to_date, weekdays, times, time_zone, \
             name, email, phone, telegram_chat, language, after_seq FROM source_watches \
             WHERE source_id = $1 AND status = 'active' AND (location_id IS NULL OR location_id = $2) \
               AND (schedule_id IS NULL OR schedule_id = $3) ORDER BY created_at_us, id",
        )
        .bind(source)
        .bind(location)
        .bind(schedule)
        .fetch_all(&mut conn)
        .await?;
        found.iter().map(source_watch).collect()
    }

    /// One outside watch by id, whatever its status (the message about its window's end).
    pub async fn source_watch(&self, id: &str) -> StoreResult<Option<crate::commands::SourceWatch>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT id, source_id, token_hash, location_id, schedule_id, from_date, to_date, weekdays, times, time_zone, \
             name, email, phone, telegram_chat, language, after_seq FROM source_watches WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut conn)
        .await?;
        found.as_ref().map(source_watch).transpose()
    }
}

fn source_watch(r: &crate::db::Row) -> StoreResult<crate::commands::SourceWatch> {
    Ok(crate::commands::SourceWatch {
        id: text(r, "id")?,
        source: text(r, "source_id")?,
        token_hash: text(r, "token_hash")?,
        location: opt_text(r, "location_id")?,
        schedule: opt_text(r, "schedule_id")?,
        from: crate::rows::parse(r, "from_date")?,
        to: crate::rows::parse(r, "to_date")?,
        weekdays: json(r, "weekdays")?,
        times: json(r, "times")?,
        time_zone: text(r, "time_zone")?,
        name: text(r, "name")?,
        email: opt_text(r, "email")?,
        phone: opt_text(r, "phone")?,
        telegram_chat: opt_text(r, "telegram_chat")?,
        language: opt_text(r, "language")?,
        after_seq: int(r, "after_seq")?,
    })
}
