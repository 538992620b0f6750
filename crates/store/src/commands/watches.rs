//! Watches: create, stop, the clinic's settings, accepting an offer, and a window's end.
//! Matching freed slots to watches is `watch_match.rs`.
//!
//! A watch's end is a durable timer ([`WATCH_EXPIRE`], key: the watch id) scheduled with the
//! watch, at the end of its last day in the location's zone; the watcher is told once (the
//! window's end is a notice under the same no-twice key as a slot).

use super::booking::BookRequest;
use super::changes::RescheduleRequest;
use super::jobs::{self, IfScheduled, NewJob};
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::rows;
use crate::tx::WriteTx;
use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use nobat_core::booking::Actor;
use nobat_core::hold::HoldClaim;
use nobat_core::watch::{Mode, Settings};
use nobat_core::watch_criteria::{Criteria, TimeWindow};
use nobat_core::{AppointmentId, ClinicId, DomainError, HoldId, LocationId, PatientContact, PractitionerId, ServiceId};
use serde_json::json;

/// Ends a watch at the end of its window; key: the watch id.
pub const WATCH_EXPIRE: &str = "watch.expire";

/// A watch to create (validated at the edge; the window is checked here against the
/// location's today).
#[derive(Debug, Clone)]
pub struct NewWatch {
    pub clinic: ClinicId,
    pub id: String,
    pub service: ServiceId,
    pub practitioner: Option<PractitionerId>,
    pub locations: Vec<LocationId>,
    pub from: Date,
    pub to: Date,
    pub weekdays: Vec<Weekday>,
    pub times: Vec<TimeWindow>,
    pub mode: Mode,
    pub patient: PatientContact,
    pub telegram_chat: Option<String>,
    pub channel: Option<String>,
    pub token_hash: String,
    pub earlier_than: Option<AppointmentId>,
    pub contact_verified: bool,
}

/// The watch commands.
#[derive(Debug, Clone)]
pub enum WatchOp {
    Create(Box<NewWatch>),
    /// The watcher (by the token's hash) stops their watch; an offer it holds is given back.
    Stop {
        token_hash: String,
    },
    SetSettings {
        clinic: ClinicId,
        settings: Settings,
        actor: AuditActor,
    },
    /// The watcher takes the slot offered to them: booked (or their appointment moved).
    Accept {
        token_hash: String,
        offer: String,
    },
    /// A `watches` outbox delivery: the freed time it announces is matched to watches, and the
    /// delivery completed, in one transaction.
    Match(super::OutboxItem),
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, op: &WatchOp) -> StoreResult<super::Output> {
    match op {
        WatchOp::Create(w) => create(tx, w).await,
        WatchOp::Stop { token_hash } => stop(tx, token_hash).await,
        WatchOp::SetSettings { clinic, settings, actor } => set_settings(tx, *clinic, settings, actor).await,
        WatchOp::Accept { token_hash, offer } => accept(tx, token_hash, offer).await,
        WatchOp::Match(item) => super::watch_match::run(tx, item).await,
    }
}

/// The zone a watch's dates are read in: its first location's, else the clinic's first.
async fn zone_of(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    location: Option<LocationId>,
) -> StoreResult<jiff::tz::TimeZone> {
    let row = crate::db::query(
        "SELECT time_zone FROM locations WHERE clinic_id = $1 AND ($2 = '' OR id = $2) ORDER BY id LIMIT 1",
    )
    .bind(clinic.to_string())
    .bind(location.map(|l| l.to_string()).unwrap_or_default())
    .fetch_optional(&mut *tx.conn)
    .await?;
    let name = match row {
        Some(r) => rows::text(&r, "time_zone")?,
        None if location.is_some() => return Err(DomainError::invalid("locations", "no such location").into()),
        None => "UTC".to_owned(),
    };
    Ok(nobat_core::zones::get(&name).unwrap_or(jiff::tz::TimeZone::UTC))
}

fn day_start(d: Date, tz: &jiff::tz::TimeZone) -> StoreResult<Timestamp> {
    d.to_zoned(tz.clone()).map(|z| z.timestamp()).map_err(|e| DomainError::invalid("to", e.to_string()).into())
}

async fn exists(tx: &mut WriteTx<'_>, sql: &'static str, clinic: ClinicId, id: String) -> StoreResult<bool> {
    Ok(crate::db::query(sql).bind(clinic.to_string()).bind(id).fetch_optional(&mut *tx.conn).await?.is_some())
}

async fn create(tx: &mut WriteTx<'_>, w: &NewWatch) -> StoreResult<super::Output> {
    let service_ok = exists(
        tx,
        "SELECT 1 FROM services WHERE clinic_id = $1 AND id = $2 AND active = 1",
        w.clinic,
        w.service.to_string(),
    )
    .await?;
    if !service_ok {
        return Err(DomainError::invalid("service", "no such bookable service in this clinic").into());
    }
    if let Some(p) = w.practitioner
        && !exists(tx, "SELECT 1 FROM practitioners WHERE clinic_id = $1 AND id = $2", w.clinic, p.to_string()).await?
    {
        return Err(DomainError::invalid("practitioner", "no such practitioner in this clinic").into());
    }
    for (i, l) in w.locations.iter().enumerate() {
        if !exists(tx, "SELECT 1 FROM locations WHERE clinic_id = $1 AND id = $2", w.clinic, l.to_string()).await? {
            return Err(DomainError::invalid(format!("locations[{i}]"), "no such location in this clinic").into());
        }
    }
    let tz = zone_of(tx, w.clinic, w.locations.first().copied()).await?;
    let today = tx.now.to_zoned(tz.clone()).date();
    let criteria = Criteria::new(w.from, w.to, w.weekdays.clone(), w.times.clone(), today)?;
    let starts = day_start(criteria.from, &tz)?;
    let ends = day_start(criteria.to.tomorrow().map_err(|e| DomainError::invalid("to", e.to_string()))?, &tz)?;
    if let Some(a) = w.earlier_than {
        let row = crate::db::query("SELECT service_id, status FROM appointments WHERE clinic_id = $1 AND id = $2")
            .bind(w.clinic.to_string())
            .bind(a.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or_else(|| DomainError::invalid("earlier_than", "no such appointment"))?;
        if !matches!(rows::text(&row, "status")?.as_str(), "booked" | "pending") {
            return Err(DomainError::invalid("earlier_than", "the appointment is no longer booked").into());
        }
        if rows::text(&row, "service_id")? != w.service.to_string() {
            return Err(DomainError::invalid("earlier_than", "the appointment is for another service").into());
        }
    }
    let locations: String = w.locations.iter().map(|l| format!(",{l},")).collect::<Vec<_>>().concat();
    let weekdays = criteria.weekdays.iter().map(|d| d.to_monday_one_offset().to_string()).collect::<Vec<_>>().join(",");
    let times: Vec<(String, String)> = criteria
        .times
        .iter()
        .map(|t| (t.from.strftime("%H:%M").to_string(), t.to.strftime("%H:%M").to_string()))
        .collect();
    let (tod_from, tod_to) = time_of_day_envelope(&criteria.times);
    crate::db::query(
        "INSERT INTO watches (clinic_id, id, service_id, practitioner_id, locations, from_date, to_date, weekdays, times, \
         starts_at_us, ends_at_us, mode, status, patient_name, email, phone, telegram_chat, language, channel, token_hash, \
         earlier_than, contact_verified, created_at_us, updated_at_us, tod_from, tod_to) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13, $14, $15, $16, $17, $18, $19, $20, $21, \
         $22, $22, $23, $24)",
    )
    .bind(w.clinic.to_string())
    .bind(w.id.as_str())
    .bind(w.service.to_string())
    .bind(w.practitioner.map(|p| p.to_string()))
    .bind(locations)
    .bind(criteria.from.to_string())
    .bind(criteria.to.to_string())
    .bind(weekdays)
    .bind(serde_json::to_string(&times).unwrap_or_else(|_| "[]".into()))
    .bind(starts.as_microsecond())
    .bind(ends.as_microsecond())
    .bind(w.mode.as_str())
    .bind(w.patient.name.as_str())
    .bind(w.patient.email.as_deref())
    .bind(w.patient.phone.as_deref())
    .bind(w.telegram_chat.as_deref())
    .bind(w.patient.language.as_deref())
    .bind(w.channel.as_deref())
    .bind(w.token_hash.as_str())
    .bind(w.earlier_than.map(|a| a.to_string()))
    .bind(i64::from(w.contact_verified))
    .bind(tx.now.as_microsecond())
    .bind(tod_from)
    .bind(tod_to)
    .execute(&mut *tx.conn)
    .await?;
    let expiry = NewJob {
        clinic: Some(w.clinic),
        kind: WATCH_EXPIRE,
        key: w.id.clone(),
        run_at: ends,
        payload: json!({}),
        if_scheduled: IfScheduled::Replace,
    };
    jobs::schedule_in(tx, &expiry).await?;
    Ok(super::Output::Watch(Box::new(load(tx, w.clinic, &w.id).await?)))
}

/// The minutes of the local day a watch's time windows span: the earliest start and the latest
/// end (rounded up), or the whole day when it has none. Stored so the candidate index can pass
/// over a watch whose hours cannot suit a slot; the core still checks each window exactly.
pub fn time_of_day_envelope(times: &[TimeWindow]) -> (i64, i64) {
    let minute = |t: jiff::civil::Time| i64::from(t.hour()) * 60 + i64::from(t.minute());
    let from = times.iter().map(|w| minute(w.from)).min();
    let to = times.iter().map(|w| minute(w.to) + i64::from(w.to.second() > 0 || w.to.subsec_nanosecond() > 0)).max();
    match (from, to) {
        (Some(a), Some(b)) => (a, b),
        _ => (0, 24 * 60),
    }
}

async fn load(tx: &mut WriteTx<'_>, clinic: ClinicId, id: &str) -> StoreResult<crate::watches::Watch> {
    let sql = format!("SELECT {} FROM watches w WHERE w.clinic_id = $1 AND w.id = $2", crate::watches::WATCH_COLS);
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id)
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("watch"))?;
    crate::watches::watch(&row)
}

/// The active watch behind a token's hash: (clinic, id, status).
async fn by_token(tx: &mut WriteTx<'_>, token_hash: &str) -> StoreResult<(ClinicId, String, String)> {
    let row = crate::db::query("SELECT clinic_id, id, status FROM watches WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("watch"))?;
    Ok((rows::parse(&row, "clinic_id")?, rows::text(&row, "id")?, rows::text(&row, "status")?))
}

/// Moves an active watch to a final status and unschedules its end. False if it was not active.
pub(super) async fn finish(tx: &mut WriteTx<'_>, clinic: ClinicId, id: &str, status: &str) -> StoreResult<bool> {
    let n = crate::db::query(
        "UPDATE watches SET status = $3, updated_at_us = $4 WHERE clinic_id = $1 AND id = $2 AND status = 'active'",
    )
    .bind(clinic.to_string())
    .bind(id)
    .bind(status)
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    if n > 0 {
        jobs::cancel_in(tx, Some(clinic), WATCH_EXPIRE, id).await?;
    }
    Ok(n > 0)
}

async fn stop(tx: &mut WriteTx<'_>, token_hash: &str) -> StoreResult<super::Output> {
    let (clinic, id, _) = match by_token(tx, token_hash).await {
        Ok(found) => found,
        // Not a watch on this clinic's slots: an outside (source) watch's token, perhaps.
        Err(StoreError::NotFound(_)) => return super::sources::stop_watch(tx, token_hash).await,
        Err(e) => return Err(e),
    };
    if !finish(tx, clinic, &id, "stopped").await? {
        // Stopping a watch that already ended changes nothing: the link in an old message works.
        return Ok(super::Output::Done);
    }
    withdraw_offers(tx, clinic, &id).await?;
    Ok(super::Output::Done)
}

/// The offers a watch still holds go back: each slot frees (hold.released) for the next
/// watcher. Used when the watch stops or got its slot.
pub(super) async fn withdraw_offers(tx: &mut WriteTx<'_>, clinic: ClinicId, id: &str) -> StoreResult<()> {
    let open = crate::db::query(
        "UPDATE watch_notices SET outcome = 'withdrawn', updated_at_us = $3 \
         WHERE clinic_id = $1 AND watch_id = $2 AND outcome = 'offered' RETURNING hold_id",
    )
    .bind(clinic.to_string())
    .bind(id)
    .bind(tx.now.as_microsecond())
    .fetch_all(&mut *tx.conn)
    .await?;
    for row in open {
        let Some(hold) = rows::opt_parse::<HoldId>(&row, "hold_id")? else { continue };
        let Ok(h) = super::slot_lock::load_hold(tx, clinic, hold).await else { continue };
        if super::holds::remove(tx, clinic, hold).await? > 0 {
            tx.emit(clinic, EventKind::HoldReleased, super::holds::hold_subjects(&h)).await?;
        }
    }
    Ok(())
}

async fn set_settings(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    s: &Settings,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    crate::db::query(
        "INSERT INTO watch_settings (clinic_id, offer_minutes, per_hour, per_day, verify_guests, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (clinic_id) DO UPDATE SET offer_minutes = excluded.offer_minutes, \
         per_hour = excluded.per_hour, per_day = excluded.per_day, verify_guests = excluded.verify_guests, \
         updated_at_us = excluded.updated_at_us",
    )
    .bind(clinic.to_string())
    .bind(i64::from(s.offer_minutes))
    .bind(i64::from(s.limits.per_hour))
    .bind(i64::from(s.limits.per_day))
    .bind(i64::from(s.verify_guests))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    let after = json!({"offer_minutes": s.offer_minutes, "per_hour": s.limits.per_hour,
                       "per_day": s.limits.per_day, "verify_guests": s.verify_guests});
    tx.audit(clinic, actor, Audit::new("update", "watch_settings", &clinic.to_string()).after(&after));
    Ok(super::Output::Done)
}

/// The watcher's audit name: never their own name (the trail outlives erasure).
fn watcher() -> AuditActor {
    AuditActor::new("watch", "a watcher (watch link)")
}

async fn accept(tx: &mut WriteTx<'_>, token_hash: &str, offer: &str) -> StoreResult<super::Output> {
    let (clinic, id, status) = by_token(tx, token_hash).await?;
    let row = crate::db::query(
        "SELECT n.outcome, n.hold_id, n.practitioner_id, n.location_id, n.service_id, n.start_us, \
           w.patient_name, w.email, w.phone, w.language, w.earlier_than, w.contact_verified \
         FROM watch_notices n JOIN watches w ON w.clinic_id = n.clinic_id AND w.id = n.watch_id \
         WHERE n.clinic_id = $1 AND n.id = $2 AND n.watch_id = $3 AND n.kind = 'offer'",
    )
    .bind(clinic.to_string())
    .bind(offer)
    .bind(id.as_str())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("offer"))?;
    if rows::text(&row, "outcome")? != "offered" || status != "active" {
        return Err(DomainError::HoldInvalid("this offer has lapsed or was already used".into()).into());
    }
    let hold: HoldId = rows::parse(&row, "hold_id")?;
    let practitioner: PractitionerId = rows::parse(&row, "practitioner_id")?;
    let location: LocationId = rows::parse(&row, "location_id")?;
    let start = rows::ts(&row, "start_us")?;
    let claim = HoldClaim { offer: Some(offer.to_owned()), ..HoldClaim::default() };
    let out = match rows::opt_parse::<AppointmentId>(&row, "earlier_than")? {
        // "Earlier than mine": the appointment is moved into the held slot, in this transaction.
        Some(appointment) => {
            let r = RescheduleRequest {
                clinic,
                appointment,
                start,
                start_offset: None,
                practitioner: Some(practitioner),
                location: Some(location),
                hold: Some(hold),
                hold_claim: claim,
                actor: Actor::Patient,
                audit_actor: watcher(),
                idempotency: None,
            };
            super::changes::reschedule(tx, &r).await?
        }
        None => {
            let r = BookRequest {
                clinic,
                service: rows::parse(&row, "service_id")?,
                practitioner,
                location: Some(location),
                start,
                start_offset: None,
                patient: contact(&row)?,
                hold: Some(hold),
                hold_claim: claim,
                note: None,
                actor: Actor::Patient,
                audit_actor: watcher(),
                idempotency: None,
                user: None,
                consents: Vec::new(),
                contact_verified: rows::int(&row, "contact_verified")? != 0,
            };
            super::booking::book(tx, &r).await?
        }
    };
    let super::Output::Appointment { appointment, .. } = &out else {
        return Err(StoreError::Corrupt("booking answered without an appointment".into()));
    };
    crate::db::query(
        "UPDATE watch_notices SET outcome = 'accepted', appointment_id = $3, updated_at_us = $4 WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(offer)
    .bind(appointment.id.to_string())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    finish(tx, clinic, &id, "fulfilled").await?;
    withdraw_offers(tx, clinic, &id).await?;
    let subjects = Subjects::appointment(appointment);
    tx.emit_with_message(clinic, EventKind::WatchBooked, subjects, json!({ "notice": offer })).await?;
    Ok(out)
}

/// The watcher's contact as a booking's patient.
pub(super) fn contact(row: &crate::db::Row) -> StoreResult<PatientContact> {
    Ok(PatientContact {
        name: rows::text(row, "patient_name")?,
        phone: rows::opt_text(row, "phone")?,
        email: rows::opt_text(row, "email")?,
        language: rows::opt_text(row, "language")?,
    })
}

/// The `watch.expire` job: the window is over; the watcher is told once.
pub(super) async fn expire(tx: &mut WriteTx<'_>, clinic: ClinicId, id: &str) -> StoreResult<()> {
    let ended = crate::db::query(
        "UPDATE watches SET status = 'expired', updated_at_us = $3 \
         WHERE clinic_id = $1 AND id = $2 AND status = 'active' AND ends_at_us <= $3 RETURNING service_id",
    )
    .bind(clinic.to_string())
    .bind(id)
    .bind(tx.now.as_microsecond())
    .fetch_optional(&mut *tx.conn)
    .await?;
    let Some(row) = ended else { return Ok(()) };
    let service: ServiceId = rows::parse(&row, "service_id")?;
    let notice = uuid::Uuid::now_v7().to_string();
    let inserted = crate::db::query(
        "INSERT INTO watch_notices (clinic_id, id, watch_id, kind, practitioner_id, location_id, service_id, start_us, \
         end_us, outcome, created_at_us, updated_at_us) VALUES ($1, $2, $3, 'expired', '', '', '', 0, 0, 'expired', $4, $4) \
         ON CONFLICT (clinic_id, watch_id, practitioner_id, location_id, service_id, start_us) DO NOTHING RETURNING id",
    )
    .bind(clinic.to_string())
    .bind(notice.as_str())
    .bind(id)
    .bind(tx.now.as_microsecond())
    .fetch_optional(&mut *tx.conn)
    .await?;
    if inserted.is_some() {
        let subjects = Subjects { service: Some(service), ..Subjects::default() };
        tx.emit_with_message(clinic, EventKind::WatchExpired, subjects, json!({ "notice": notice })).await?;
    }
    Ok(())
}

/// Erasure of a patient reaches their watches: those on one of their contacts, and those
/// waiting to move one of their appointments, stop (an offer they hold goes back to the line)
/// and keep no name, contact or language. The watch rows stay, anonymous, as the notices'
/// parents (the no-twice key and the clinic's statistics). Answers how many were blanked.
pub(super) async fn erase_watchers(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    patient: nobat_core::PatientId,
    contacts: &[String],
) -> StoreResult<u64> {
    let mut ids: Vec<String> = Vec::new();
    for contact in contacts {
        let found = crate::db::query("SELECT id FROM watches WHERE clinic_id = $1 AND (email = $2 OR phone = $2)")
            .bind(clinic.to_string())
            .bind(contact.as_str())
            .fetch_all(&mut *tx.conn)
            .await?;
        for r in &found {
            ids.push(rows::text(r, "id")?);
        }
    }
    let moving = crate::db::query(
        "SELECT w.id FROM watches w JOIN appointments a ON a.clinic_id = w.clinic_id AND a.id = w.earlier_than \
         WHERE w.clinic_id = $1 AND a.patient_id = $2",
    )
    .bind(clinic.to_string())
    .bind(patient.to_string())
    .fetch_all(&mut *tx.conn)
    .await?;
    for r in &moving {
        ids.push(rows::text(r, "id")?);
    }
    ids.sort();
    ids.dedup();
    for id in &ids {
        if finish(tx, clinic, id, "stopped").await? {
            withdraw_offers(tx, clinic, id).await?;
        }
        crate::db::query(format!("UPDATE watches SET {BLANK} WHERE clinic_id = $1 AND id = $2"))
            .bind(clinic.to_string())
            .bind(id.as_str())
            .execute(&mut *tx.conn)
            .await?;
    }
    Ok(ids.len() as u64)
}

/// What an erased or long-ended watch keeps of its watcher: nothing.
const BLANK: &str =
    "patient_name = 'erased', email = NULL, phone = NULL, telegram_chat = NULL, language = NULL, channel = NULL";

/// How long an ended watch keeps its watcher's contact (to answer "why was I told?"): a week,
/// like a delivered message.
const ENDED_KEPT: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 7);

/// The retention sweep's part for watches: local and outside watches that ended (stopped,
/// expired, fulfilled) more than [`ENDED_KEPT`] ago lose their watcher's name and contacts.
/// Bounded per run by the caller's schedule (the sweep runs daily); answers the rows blanked.
pub(super) async fn retention(tx: &mut WriteTx<'_>) -> StoreResult<u64> {
    let before = tx.now.checked_sub(ENDED_KEPT).unwrap_or(tx.now).as_microsecond();
    let local = crate::db::query(format!(
        "UPDATE watches SET {BLANK} WHERE status IN ('stopped', 'expired', 'fulfilled') AND updated_at_us <= $1 \
         AND patient_name <> 'erased'"
    ))
    .bind(before)
    .execute(&mut *tx.conn)
    .await?;
    let outside = crate::db::query(
        "UPDATE source_watches SET name = 'erased', email = NULL, phone = NULL, telegram_chat = NULL, language = NULL \
         WHERE status <> 'active' AND COALESCE(updated_at_us, created_at_us) <= $1 AND name <> 'erased'",
    )
    .bind(before)
    .execute(&mut *tx.conn)
    .await?;
    Ok(local + outside)
}
