//! The watch matcher: a `watches` outbox delivery (a cancellation, a move, a released or
//! expired hold, new hours…) → the slots that are free now because of it → the watchers who
//! get them (`nobat_core::watch::decide`) → notices, holds, bookings and events, all in the
//! transaction that completes the delivery. A delivery handed out twice (a crash between claim
//! and commit) matches once: completing it needs the lease, and each notice's (watch, slot)
//! key is unique.
//!
//! The slots are computed by the availability core from the practitioner's calendar and busy
//! time read under the practitioner's lock, and each is checked again (`decide_locked`) right
//! before it is given: a slot given earlier in the same run (or booked by someone else since the
//! event) is never given twice.
//!
//! Which time an event frees:
//! * appointment.cancelled, hold.released, hold.expired: its own interval;
//! * appointment.rescheduled: the interval of the appointment that was moved;
//! * appointment.status_changed: the interval, when the new status no longer occupies time
//!   (no-show, entered-in-error). A no-show is usually recorded after the start, when the
//!   slot is past the patient notice: then nothing is offered, which is right;
//! * schedule.changed, practitioner.changed: the practitioner's next [`SWEEP_DAYS`] days;
//! * service.changed, location.changed: every active practitioner's next [`SWEEP_DAYS`] days.

use super::OutboxItem;
use super::booking::BookRequest;
use super::changes::RescheduleRequest;
use super::holds::HoldRequest;
use super::slot_lock::{Must, decide_locked, lock_practitioner};
use crate::audit::AuditActor;
use crate::calendar::{self, Excluding};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::rows;
use crate::tx::WriteTx;
use jiff::civil::{Date, Time, Weekday};
use jiff::{SignedDuration, Timestamp, ToSpan};
use nobat_core::availability::{Audience, PractitionerCalendar, SlotQuery, slots};
use nobat_core::booking::{Actor, SlotRequest};
use nobat_core::hold::{HoldCaps, HoldOwner};
use nobat_core::watch::{Action, Candidate, Mode, decide};
use nobat_core::watch_criteria::{Criteria, TimeWindow};
use nobat_core::{AppointmentId, ClinicId, HoldId, PractitionerId, ServiceId, Slot};
use serde_json::json;

/// How far ahead new hours are looked at (schedule, service, location changes).
pub const SWEEP_DAYS: i64 = 31;
/// Slots handled per practitioner and delivery: a bound on one transaction's work.
const MAX_SLOTS: usize = 200;
/// Watchers read per page of a slot's line (the earliest first).
const MAX_CANDIDATES: i64 = 1000;

pub(crate) async fn run(tx: &mut WriteTx<'_>, item: &OutboxItem) -> StoreResult<super::Output> {
    match super::outbox::complete(tx, std::slice::from_ref(item)).await? {
        super::Output::Count(1..) => {}
        _ => return Err(StoreError::LeaseLost),
    }
    let clinic = item.clinic;
    let subjects: Subjects = serde_json::from_value(item.payload.clone()).unwrap_or_default();
    let Some(kind) = EventKind::parse(&item.topic) else { return Ok(super::Output::Count(0)) };
    let Some((practitioners, from, to)) = scope(tx, clinic, kind, &subjects).await? else {
        return Ok(super::Output::Count(0));
    };
    let mut given = 0;
    for p in practitioners {
        given += offer_freed(tx, clinic, p, from, to).await?;
    }
    Ok(super::Output::Count(given))
}

/// The practitioners and the interval `[from, to)` in which time may have freed.
async fn scope(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    kind: EventKind,
    s: &Subjects,
) -> StoreResult<Option<(Vec<PractitionerId>, Timestamp, Timestamp)>> {
    let sweep = || (tx.now, tx.now.checked_add(SignedDuration::from_hours(24 * SWEEP_DAYS)).unwrap_or(Timestamp::MAX));
    let (from, to) = sweep();
    let own = match (s.practitioner, s.start, s.end) {
        (Some(p), Some(a), Some(b)) => Some((vec![p], a, b)),
        _ => None,
    };
    Ok(match kind {
        EventKind::AppointmentCancelled | EventKind::HoldReleased | EventKind::HoldExpired => own,
        EventKind::AppointmentStatusChanged => own.filter(|_| s.status.is_some_and(|st| !st.occupies_time())),
        EventKind::AppointmentRescheduled => {
            let Some(prev) = s.previous else { return Ok(None) };
            let row = crate::db::query(
                "SELECT practitioner_id, start_us, end_us FROM appointments WHERE clinic_id = $1 AND id = $2",
            )
            .bind(clinic.to_string())
            .bind(prev.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?;
            match row {
                Some(r) => Some((
                    vec![rows::parse(&r, "practitioner_id")?],
                    rows::ts(&r, "start_us")?,
                    rows::ts(&r, "end_us")?,
                )),
                None => None,
            }
        }
        EventKind::ScheduleChanged | EventKind::PractitionerChanged => match s.practitioner {
            Some(p) => Some((vec![p], from, to)),
            None => Some((active_practitioners(tx, clinic).await?, from, to)),
        },
        EventKind::ServiceChanged | EventKind::LocationChanged => {
            Some((active_practitioners(tx, clinic).await?, from, to))
        }
        _ => None,
    })
}

async fn active_practitioners(tx: &mut WriteTx<'_>, clinic: ClinicId) -> StoreResult<Vec<PractitionerId>> {
    let found = crate::db::query("SELECT id FROM practitioners WHERE clinic_id = $1 AND active = 1 ORDER BY id")
        .bind(clinic.to_string())
        .fetch_all(&mut *tx.conn)
        .await?;
    found.iter().map(|r| rows::parse(r, "id")).collect()
}

/// The services with active watches that a slot of `p` within `[from, to)` could serve. One
/// existence probe per service of the clinic, each a range of the line's index (clinic,
/// service, status, end): never a walk over every active watch of the clinic.
async fn watched_services(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    p: PractitionerId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<ServiceId>> {
    let found = crate::db::query(
        "SELECT s.id FROM services s WHERE s.clinic_id = $1 AND EXISTS (SELECT 1 FROM watches w \
         WHERE w.clinic_id = s.clinic_id AND w.service_id = s.id AND w.status = 'active' \
         AND w.ends_at_us > $3 AND w.starts_at_us < $4 AND (w.practitioner_id IS NULL OR w.practitioner_id = $2))",
    )
    .bind(clinic.to_string())
    .bind(p.to_string())
    .bind(from.as_microsecond())
    .bind(to.as_microsecond())
    .fetch_all(&mut *tx.conn)
    .await?;
    found.iter().map(|r| rows::parse(r, "id")).collect()
}

/// Gives the free slots of `p` overlapping `[from, to)` to their watchers; counts the actions.
async fn offer_freed(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    p: PractitionerId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<u64> {
    // Past time frees nothing (and the notice window of each service is applied below).
    let from = from.max(tx.now);
    if from >= to {
        return Ok(0);
    }
    let services = watched_services(tx, clinic, p, from, to).await?;
    if services.is_empty() {
        return Ok(0);
    }
    let seq = match lock_practitioner(tx, clinic, p, Must::BeActive).await {
        Ok(seq) => seq,
        Err(StoreError::NotFound(_)) => return Ok(0),
        Err(e) => return Err(e),
    };
    let today = tx.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let cal = tx.cache.get(tx.conn, clinic, p, seq, today).await?;
    let settings = crate::watches::settings_in(tx.conn, clinic).await?;
    let day = SignedDuration::from_hours(24);
    let window =
        (from.checked_sub(day).unwrap_or(from).as_microsecond(), to.checked_add(day).unwrap_or(to).as_microsecond());
    let busy: Vec<_> = calendar::busy(tx.conn, clinic, Some(p), window, tx.now.as_microsecond(), Excluding::default())
        .await?
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let utc = |t: Timestamp| t.to_zoned(jiff::tz::TimeZone::UTC).date();
    let first = utc(from).checked_sub(1.day()).unwrap_or(utc(from));
    let last = utc(to).checked_add(1.day()).unwrap_or(utc(to));
    let mut free: Vec<Slot> = Vec::new();
    for sid in services {
        let Some(service) = cal.services.get(&sid) else { continue };
        let view =
            PractitionerCalendar { practitioner: p, rules: &cal.rules, exceptions: &cal.exceptions, busy: &busy };
        // One query covers at most MAX_QUERY_DAYS: walk the range in steps.
        let mut d = first;
        while d <= last {
            let end = d.checked_add(60.days()).unwrap_or(last).min(last);
            let q = SlotQuery { service, from: d, to: end, now: tx.now, audience: Audience::Patient, location: None };
            free.extend(slots(&q, &view, &cal.zones).into_iter().filter(|s| s.start < to && s.end > from));
            d = match end.checked_add(1.day()) {
                Ok(n) => n,
                Err(_) => break,
            };
        }
    }
    free.sort_by_key(|s| (s.start, s.service, s.location));
    free.truncate(MAX_SLOTS);
    let mut given = 0;
    for slot in free {
        let Some(service) = cal.services.get(&slot.service).cloned() else { continue };
        // Still free now (an earlier slot of this run may have taken the time)?
        let req = SlotRequest {
            service: slot.service,
            practitioner: p,
            start: slot.start,
            location: Some(slot.location),
            offset: None,
        };
        if decide_locked(tx, clinic, &req, &service, &cal, Excluding::default(), Actor::Patient).await.is_err() {
            continue;
        }
        let zone = cal.zones.iter().find(|z| z.id == slot.location).map(|z| z.tz.clone());
        let local = slot.start.to_zoned(zone.unwrap_or(jiff::tz::TimeZone::UTC)).datetime();
        lapse_offers(tx, clinic, &slot).await?;
        // Read the line a page at a time, earliest first, until an exclusive watcher can take
        // the slot (then nobody later matters) or the line is read to its end (notify: all).
        let mut line = Vec::new();
        let mut after = None;
        let actions = loop {
            let (more, next) = candidates(tx, clinic, &slot, local, after.as_ref()).await?;
            let last = next.is_none();
            line.extend(more);
            let actions = decide(slot.start, local, &line, settings.limits);
            if last || matches!(actions.first(), Some(Action::Offer(_) | Action::Book(_))) {
                break actions;
            }
            after = next;
        };
        for action in actions {
            given += u64::from(act(tx, clinic, &slot, &action, settings.offer_minutes).await?);
        }
    }
    Ok(given)
}

/// Offers of this slot whose time ran out are marked lapsed: their watchers do not get it again.
async fn lapse_offers(tx: &mut WriteTx<'_>, clinic: ClinicId, slot: &Slot) -> StoreResult<()> {
    crate::db::query(
        "UPDATE watch_notices SET outcome = 'lapsed', updated_at_us = $5 WHERE clinic_id = $1 AND practitioner_id = $2 \
         AND start_us = $3 AND location_id = $4 AND outcome = 'offered' AND expires_at_us <= $5",
    )
    .bind(clinic.to_string())
    .bind(slot.practitioner.to_string())
    .bind(slot.start.as_microsecond())
    .bind(slot.location.to_string())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

/// The active watches that could take `slot` (`local`: its start on the location's clock),
/// earliest first, a page after `after` (the last (order, id) of the previous page), with what
/// was told to them; and where the next page starts, if there may be one.
///
/// The index of the line (`watches_line`) holds everything the filter needs — service, status,
/// the window's instants, the time-of-day envelope and the weekdays — so a watch that cannot
/// suit the slot is passed over in the index. The page is chosen first (the CTE) and only its
/// rows get the per-watcher counts (notices this hour, this day, about this slot, open offers):
/// counting for every watch the date window covers is what made a deep line slow.
async fn candidates(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    slot: &Slot,
    local: jiff::civil::DateTime,
    after: Option<&(i64, String)>,
) -> StoreResult<(Vec<Candidate>, Option<(i64, String)>)> {
    let hour = tx.now.checked_sub(SignedDuration::from_hours(1)).unwrap_or(tx.now).as_microsecond();
    let day = tx.now.checked_sub(SignedDuration::from_hours(24)).unwrap_or(tx.now).as_microsecond();
    let minute = i64::from(local.hour()) * 60 + i64::from(local.minute());
    let weekday = local.weekday().to_monday_one_offset();
    let (after_order, after_id) = after.cloned().unwrap_or((i64::MIN, String::new()));
    let found = crate::db::query(
        "WITH line AS (SELECT w.clinic_id, w.id, w.service_id, w.mode, w.created_at_us, w.from_date, w.to_date, \
           w.weekdays, w.times, w.earlier_than FROM watches w \
           WHERE w.clinic_id = $1 AND w.service_id = $2 AND w.status = 'active' AND w.ends_at_us > $5 \
             AND w.starts_at_us <= $5 AND w.tod_from <= $12 AND w.tod_to > $12 \
             AND (w.weekdays = '' OR w.weekdays LIKE $13) \
             AND (w.practitioner_id IS NULL OR w.practitioner_id = $3) \
             AND (w.locations = '' OR w.locations LIKE $6) \
             AND (w.created_at_us > $14 OR (w.created_at_us = $14 AND w.id > $11)) \
           ORDER BY w.created_at_us, w.id LIMIT $9) \
         SELECT w.id, w.mode, w.created_at_us, w.from_date, w.to_date, w.weekdays, w.times, w.earlier_than, \
           a.start_us AS appointment_start, a.status AS appointment_status, \
           (SELECT COUNT(*) FROM watch_notices n WHERE n.clinic_id = w.clinic_id AND n.watch_id = w.id \
              AND n.created_at_us > $7 AND n.kind <> 'expired') AS last_hour, \
           (SELECT COUNT(*) FROM watch_notices n WHERE n.clinic_id = w.clinic_id AND n.watch_id = w.id \
              AND n.created_at_us > $8 AND n.kind <> 'expired') AS last_day, \
           (SELECT COUNT(*) FROM watch_notices n WHERE n.clinic_id = w.clinic_id AND n.watch_id = w.id \
              AND n.practitioner_id = $3 AND n.location_id = $4 AND n.service_id = w.service_id AND n.start_us = $5) AS told, \
           (SELECT COUNT(*) FROM watch_notices n WHERE n.clinic_id = w.clinic_id AND n.watch_id = w.id \
              AND n.outcome = 'offered' AND n.expires_at_us > $10) AS open_offers \
         FROM line w LEFT JOIN appointments a ON a.clinic_id = w.clinic_id AND a.id = w.earlier_than \
         ORDER BY w.created_at_us, w.id",
    )
    .bind(clinic.to_string())
    .bind(slot.service.to_string())
    .bind(slot.practitioner.to_string())
    .bind(slot.location.to_string())
    .bind(slot.start.as_microsecond())
    .bind(format!("%,{},%", slot.location))
    .bind(hour)
    .bind(day)
    .bind(MAX_CANDIDATES)
    .bind(tx.now.as_microsecond())
    .bind(after_id)
    .bind(minute)
    .bind(format!("%{weekday}%"))
    .bind(after_order)
    .fetch_all(&mut *tx.conn)
    .await?;
    let next = match found.last() {
        Some(r) if found.len() as i64 >= MAX_CANDIDATES => Some((rows::int(r, "created_at_us")?, rows::text(r, "id")?)),
        _ => None,
    };
    let mut out = Vec::with_capacity(found.len());
    for r in &found {
        let earlier_than = match rows::opt_text(r, "earlier_than")? {
            None => None,
            Some(_) => {
                // A watch whose appointment is no longer booked has nothing to move.
                match rows::opt_text(r, "appointment_status")?.as_deref() {
                    Some("booked" | "pending") => Some(rows::ts(r, "appointment_start")?),
                    _ => continue,
                }
            }
        };
        let n = |c: &str| -> StoreResult<u32> { Ok(u32::try_from(rows::int(r, c)?).unwrap_or(u32::MAX)) };
        out.push(Candidate {
            id: rows::text(r, "id")?,
            mode: Mode::parse(&rows::text(r, "mode")?).unwrap_or(Mode::Notify),
            order: rows::int(r, "created_at_us")?,
            criteria: criteria(r)?,
            earlier_than,
            told: n("told")? > 0,
            last_hour: n("last_hour")?,
            last_day: n("last_day")?,
            open_offer: n("open_offers")? > 0,
        });
    }
    Ok((out, next))
}

/// A stored watch's criteria (validated when it was created).
fn criteria(r: &crate::db::Row) -> StoreResult<Criteria> {
    let weekdays = rows::text(r, "weekdays")?
        .split(',')
        .filter_map(|d| d.parse::<i8>().ok())
        .filter_map(|d| Weekday::from_monday_one_offset(d).ok())
        .collect();
    let pairs: Vec<(String, String)> = serde_json::from_str(&rows::text(r, "times")?).unwrap_or_default();
    let times = pairs
        .iter()
        .filter_map(|(a, b)| Some(TimeWindow { from: a.parse::<Time>().ok()?, to: b.parse::<Time>().ok()? }))
        .collect();
    Ok(Criteria { from: rows::parse::<Date>(r, "from_date")?, to: rows::parse::<Date>(r, "to_date")?, weekdays, times })
}

fn slot_subjects(slot: &Slot) -> Subjects {
    Subjects {
        practitioner: Some(slot.practitioner),
        service: Some(slot.service),
        location: Some(slot.location),
        start: Some(slot.start),
        end: Some(slot.end),
        ..Subjects::default()
    }
}

/// Records a notice about `slot` for `watch`; `None` if it already has one (the no-twice key).
#[allow(clippy::too_many_arguments)]
async fn notice(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    watch: &str,
    slot: &Slot,
    kind: &str,
    outcome: &str,
    hold: Option<HoldId>,
    appointment: Option<AppointmentId>,
    expires_at: Option<Timestamp>,
) -> StoreResult<Option<String>> {
    let id = uuid::Uuid::now_v7().to_string();
    let row = crate::db::query(
        "INSERT INTO watch_notices (clinic_id, id, watch_id, kind, practitioner_id, location_id, service_id, start_us, \
         end_us, outcome, hold_id, appointment_id, expires_at_us, created_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
         ON CONFLICT (clinic_id, watch_id, practitioner_id, location_id, service_id, start_us) DO NOTHING RETURNING id",
    )
    .bind(clinic.to_string())
    .bind(id.as_str())
    .bind(watch)
    .bind(kind)
    .bind(slot.practitioner.to_string())
    .bind(slot.location.to_string())
    .bind(slot.service.to_string())
    .bind(slot.start.as_microsecond())
    .bind(slot.end.as_microsecond())
    .bind(outcome)
    .bind(hold.map(|h| h.to_string()))
    .bind(appointment.map(|a| a.to_string()))
    .bind(expires_at.map(|t| t.as_microsecond()))
    .bind(tx.now.as_microsecond())
    .fetch_optional(&mut *tx.conn)
    .await?;
    Ok(row.map(|_| id))
}

/// Performs one decision. A slot that cannot be held or booked after all (a cut-off, the
/// clinic's hold ceiling) is skipped: the refusal happens before anything is written.
async fn act(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    slot: &Slot,
    action: &Action,
    offer_minutes: u32,
) -> StoreResult<bool> {
    match action {
        Action::Notify(watch) => {
            let Some(id) = notice(tx, clinic, watch, slot, "notify", "sent", None, None, None).await? else {
                return Ok(false);
            };
            tx.emit_with_message(clinic, EventKind::WatchNotified, slot_subjects(slot), json!({ "notice": id }))
                .await?;
            Ok(true)
        }
        Action::Offer(watch) => {
            let id = uuid::Uuid::now_v7().to_string();
            let hold = HoldId::new();
            let r = HoldRequest {
                clinic,
                id: hold,
                service: slot.service,
                practitioner: slot.practitioner,
                location: Some(slot.location),
                start: slot.start,
                start_offset: None,
                ttl: SignedDuration::from_mins(i64::from(offer_minutes)),
                actor: Actor::Patient,
                idempotency: None,
                owner: HoldOwner::Offer(id.clone()),
                owner_capped: false,
                caps: HoldCaps::default(),
            };
            let held = match super::holds::hold(tx, &r).await {
                Ok(super::Output::Hold { hold, .. }) => hold,
                Ok(_) => return Ok(false),
                Err(StoreError::Domain(e)) => {
                    tracing::info!(watch, error = %e, "a freed slot could not be held for a watcher");
                    return Ok(false);
                }
                Err(e) => return Err(e),
            };
            let inserted = crate::db::query(
                "INSERT INTO watch_notices (clinic_id, id, watch_id, kind, practitioner_id, location_id, service_id, \
                 start_us, end_us, outcome, hold_id, expires_at_us, created_at_us, updated_at_us) \
                 VALUES ($1, $2, $3, 'offer', $4, $5, $6, $7, $8, 'offered', $9, $10, $11, $11)",
            )
            .bind(clinic.to_string())
            .bind(id.as_str())
            .bind(watch.as_str())
            .bind(slot.practitioner.to_string())
            .bind(slot.location.to_string())
            .bind(slot.service.to_string())
            .bind(slot.start.as_microsecond())
            .bind(slot.end.as_microsecond())
            .bind(hold.to_string())
            .bind(held.expires_at.as_microsecond())
            .bind(tx.now.as_microsecond())
            .execute(&mut *tx.conn)
            .await?;
            debug_assert_eq!(inserted, 1);
            tx.emit_with_message(clinic, EventKind::WatchOffered, slot_subjects(slot), json!({ "notice": id })).await?;
            Ok(true)
        }
        Action::Book(watch) => book(tx, clinic, slot, watch).await,
    }
}

/// Auto-book: the watcher is booked into the slot, or their appointment moved into it.
async fn book(tx: &mut WriteTx<'_>, clinic: ClinicId, slot: &Slot, watch: &str) -> StoreResult<bool> {
    let row = crate::db::query(
        "SELECT patient_name, email, phone, language, earlier_than, contact_verified FROM watches \
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(watch)
    .fetch_one(&mut *tx.conn)
    .await?;
    let actor = AuditActor::new("watch", "a watcher (auto-book)");
    let done = match rows::opt_parse::<AppointmentId>(&row, "earlier_than")? {
        Some(appointment) => {
            let r = RescheduleRequest {
                clinic,
                appointment,
                start: slot.start,
                start_offset: None,
                practitioner: Some(slot.practitioner),
                location: Some(slot.location),
                hold: None,
                hold_claim: Default::default(),
                actor: Actor::Patient,
                audit_actor: actor,
                idempotency: None,
            };
            super::changes::reschedule(tx, &r).await
        }
        None => {
            let r = BookRequest {
                clinic,
                service: slot.service,
                practitioner: slot.practitioner,
                location: Some(slot.location),
                start: slot.start,
                start_offset: None,
                patient: super::watches::contact(&row)?,
                hold: None,
                hold_claim: Default::default(),
                note: None,
                actor: Actor::Patient,
                audit_actor: actor,
                idempotency: None,
                user: None,
                consents: Vec::new(),
                contact_verified: rows::int(&row, "contact_verified")? != 0,
            };
            super::booking::book(tx, &r).await
        }
    };
    let appointment = match done {
        Ok(super::Output::Appointment { appointment, .. }) => appointment,
        Ok(_) => return Ok(false),
        Err(StoreError::Domain(e)) => {
            tracing::info!(watch, error = %e, "a freed slot could not be booked for a watcher");
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    let Some(id) = notice(tx, clinic, watch, slot, "booked", "booked", None, Some(appointment.id), None).await? else {
        return Err(StoreError::Corrupt("a watcher was booked into a slot they had a notice for".into()));
    };
    super::watches::finish(tx, clinic, watch, "fulfilled").await?;
    super::watches::withdraw_offers(tx, clinic, watch).await?;
    tx.emit_with_message(clinic, EventKind::WatchBooked, Subjects::appointment(&appointment), json!({ "notice": id }))
        .await?;
    Ok(true)
}
