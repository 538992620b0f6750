//! Watches as the store hands them out, and the reads behind the watch API and the messages
//! about them. Writes are commands (`commands/watches.rs`, `commands/watch_match.rs`).

use crate::db::Row;
use crate::error::StoreResult;
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::watch::{RateLimits, Settings};
use nobat_core::{AppointmentId, ClinicId, LocationId, PractitionerId, ServiceId};
use serde::{Deserialize, Serialize};

/// One watch. `position` is its place among the clinic's active watches for the same service
/// (1 = the first to be served), `None` once it is no longer active.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub id: String,
    pub clinic: ClinicId,
    pub service: ServiceId,
    pub practitioner: Option<PractitionerId>,
    pub locations: Vec<LocationId>,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// ISO weekday numbers (1 = Monday).
    pub weekdays: Vec<i8>,
    /// Times of day, `HH:MM` pairs.
    pub times: Vec<(String, String)>,
    pub mode: String,
    pub status: String,
    pub patient_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub telegram_chat: Option<String>,
    pub language: Option<String>,
    pub channel: Option<String>,
    pub earlier_than: Option<AppointmentId>,
    pub ends_at: Timestamp,
    pub created_at: Timestamp,
    pub position: Option<u32>,
}

/// Filters of the staff list.
#[derive(Debug, Clone, Default)]
pub struct WatchFilter {
    pub status: Option<String>,
    pub service: Option<ServiceId>,
    pub mode: Option<String>,
    pub limit: u32,
}

/// What a message about a watch says: the notice, its watch's contact and the slot's words.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeFacts {
    pub notice: String,
    pub kind: String,
    pub outcome: String,
    pub watch: String,
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub appointment: Option<AppointmentId>,
    pub patient_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub channel: Option<String>,
    pub clinic_name: String,
    pub clinic_language: String,
    pub service: String,
    pub practitioner: Option<String>,
    pub location: Option<String>,
    pub time_zone: Option<String>,
    /// The watch's last day, for the expiry notice.
    pub to: jiff::civil::Date,
}

pub(crate) const WATCH_COLS: &str = "w.clinic_id, w.id, w.service_id, w.practitioner_id, w.locations, w.from_date, \
     w.to_date, w.weekdays, w.times, w.mode, w.status, w.patient_name, w.email, w.phone, w.telegram_chat, w.language, \
     w.channel, w.earlier_than, w.ends_at_us, w.created_at_us, \
     (SELECT COUNT(*) FROM watches o WHERE o.clinic_id = w.clinic_id AND o.service_id = w.service_id \
        AND o.status = 'active' AND (o.created_at_us < w.created_at_us \
        OR (o.created_at_us = w.created_at_us AND o.id <= w.id))) AS ahead";

pub(crate) fn watch(r: &Row) -> StoreResult<Watch> {
    let status = rows::text(r, "status")?;
    let locations = rows::text(r, "locations")?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| crate::StoreError::Corrupt(format!("watch location {s:?}"))))
        .collect::<StoreResult<Vec<LocationId>>>()?;
    let weekdays = rows::text(r, "weekdays")?.split(',').filter_map(|d| d.parse().ok()).collect();
    let position = (status == "active").then(|| rows::int(r, "ahead")).transpose()?;
    Ok(Watch {
        id: rows::text(r, "id")?,
        clinic: rows::parse(r, "clinic_id")?,
        service: rows::parse(r, "service_id")?,
        practitioner: rows::opt_parse(r, "practitioner_id")?,
        locations,
        from: rows::parse(r, "from_date")?,
        to: rows::parse(r, "to_date")?,
        weekdays,
        times: serde_json::from_str(&rows::text(r, "times")?).unwrap_or_default(),
        mode: rows::text(r, "mode")?,
        status,
        patient_name: rows::text(r, "patient_name")?,
        email: rows::opt_text(r, "email")?,
        phone: rows::opt_text(r, "phone")?,
        telegram_chat: rows::opt_text(r, "telegram_chat")?,
        language: rows::opt_text(r, "language")?,
        channel: rows::opt_text(r, "channel")?,
        earlier_than: rows::opt_parse(r, "earlier_than")?,
        ends_at: rows::ts(r, "ends_at_us")?,
        created_at: rows::ts(r, "created_at_us")?,
        position: position.map(|p| u32::try_from(p).unwrap_or(u32::MAX)),
    })
}

impl Store {
    /// The watch a token's keyed hash names, if any.
    pub async fn watch_by_token(&self, token_hash: &str) -> StoreResult<Option<Watch>> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {WATCH_COLS} FROM watches w WHERE w.token_hash = $1");
        let row = crate::db::query(sql).bind(token_hash).fetch_optional(&mut conn).await?;
        row.as_ref().map(watch).transpose()
    }

    /// A clinic's watches, oldest first, filtered.
    pub async fn watches(&self, clinic: ClinicId, f: &WatchFilter) -> StoreResult<Vec<Watch>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {WATCH_COLS} FROM watches w WHERE w.clinic_id = $1 AND ($2 = '' OR w.status = $2) \
             AND ($3 = '' OR w.service_id = $3) AND ($4 = '' OR w.mode = $4) ORDER BY w.created_at_us, w.id LIMIT $5"
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(f.status.clone().unwrap_or_default())
            .bind(f.service.map(|s| s.to_string()).unwrap_or_default())
            .bind(f.mode.clone().unwrap_or_default())
            .bind(i64::from(f.limit.clamp(1, 1000)))
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(watch).collect()
    }

    /// A clinic's watch settings (the defaults when it set none).
    pub async fn watch_settings(&self, clinic: ClinicId) -> StoreResult<Settings> {
        let mut conn = self.reader().await?;
        settings_in(&mut conn, clinic).await
    }

    /// Whether a watch booked (or moved) this appointment by itself (auto-book): its watcher
    /// gets the watch's own message, which carries the booking (manage link, `.ics`), instead
    /// of a second, ordinary confirmation.
    pub async fn booked_by_watch(&self, clinic: ClinicId, appointment: AppointmentId) -> StoreResult<bool> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT 1 AS one FROM watch_notices WHERE clinic_id = $1 AND appointment_id = $2 AND kind = 'booked'",
        )
        .bind(clinic.to_string())
        .bind(appointment.to_string())
        .fetch_optional(&mut conn)
        .await?;
        Ok(row.is_some())
    }

    /// What a message about notice `notice` says (`None` when it is gone).
    pub async fn watch_notice_facts(&self, clinic: ClinicId, notice: &str) -> StoreResult<Option<NoticeFacts>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT n.id, n.kind, n.outcome, n.watch_id, n.start_us, n.end_us, n.expires_at_us, n.appointment_id, \
               w.patient_name, w.email, w.phone, w.language, w.channel, w.to_date, c.name AS clinic_name, \
               c.default_language, s.name AS service, p.name AS practitioner, l.name AS location, \
               COALESCE(l.time_zone, (SELECT MIN(x.time_zone) FROM locations x WHERE x.clinic_id = n.clinic_id)) AS time_zone \
             FROM watch_notices n JOIN watches w ON w.clinic_id = n.clinic_id AND w.id = n.watch_id \
               JOIN clinics c ON c.id = n.clinic_id \
               JOIN services s ON s.clinic_id = w.clinic_id AND s.id = w.service_id \
               LEFT JOIN practitioners p ON p.clinic_id = n.clinic_id AND p.id = n.practitioner_id \
               LEFT JOIN locations l ON l.clinic_id = n.clinic_id AND l.id = n.location_id \
             WHERE n.clinic_id = $1 AND n.id = $2",
        )
        .bind(clinic.to_string())
        .bind(notice)
        .fetch_optional(&mut conn)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let slot = rows::int(&r, "start_us")? > 0;
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        Ok(Some(NoticeFacts {
            notice: rows::text(&r, "id")?,
            kind: rows::text(&r, "kind")?,
            outcome: rows::text(&r, "outcome")?,
            watch: rows::text(&r, "watch_id")?,
            start: slot.then(|| rows::ts(&r, "start_us")).transpose()?,
            end: slot.then(|| rows::ts(&r, "end_us")).transpose()?,
            expires_at: rows::opt_int(&r, "expires_at_us")?.map(rows::micros).transpose()?,
            appointment: rows::opt_parse(&r, "appointment_id")?,
            patient_name: rows::text(&r, "patient_name")?,
            email: nonempty(rows::opt_text(&r, "email")?),
            phone: nonempty(rows::opt_text(&r, "phone")?),
            language: nonempty(rows::opt_text(&r, "language")?),
            channel: nonempty(rows::opt_text(&r, "channel")?),
            clinic_name: rows::text(&r, "clinic_name")?,
            clinic_language: rows::text(&r, "default_language")?,
            service: rows::text(&r, "service")?,
            practitioner: nonempty(rows::opt_text(&r, "practitioner")?),
            location: nonempty(rows::opt_text(&r, "location")?),
            time_zone: nonempty(rows::opt_text(&r, "time_zone")?),
            to: rows::parse(&r, "to_date")?,
        }))
    }
}

/// The settings row of a clinic, read on any connection (the writer's too).
pub(crate) async fn settings_in(conn: &mut crate::db::Conn, clinic: ClinicId) -> StoreResult<Settings> {
    let row = crate::db::query(
        "SELECT offer_minutes, per_hour, per_day, verify_guests FROM watch_settings WHERE clinic_id = $1",
    )
    .bind(clinic.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(Settings::default()) };
    let n = |c: &str| -> StoreResult<u32> { Ok(u32::try_from(rows::int(&r, c)?).unwrap_or(1)) };
    Ok(Settings {
        offer_minutes: n("offer_minutes")?,
        limits: RateLimits { per_hour: n("per_hour")?, per_day: n("per_day")? },
        verify_guests: rows::int(&r, "verify_guests")? != 0,
    })
}
