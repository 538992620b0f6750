//! Hold, book, cancel, reschedule, status changes, hold expiry.
//!
//! The double-booking rule lives here and only here: inside the write transaction the
//! practitioner's row is locked (the `booking_seq` bump), the busy time is read, the core
//! decides, and the appointment is written — all before commit. No handler checks first.

use super::idempotency::{self, Idempotency};
use crate::audit::AuditActor;
use crate::cache::Calendar;
use crate::calendar::{self, Excluding};
use crate::error::{StoreError, StoreResult};
use crate::model::{Appointment, Hold};
use crate::rows;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::availability::{PractitionerCalendar, block};
use nobat_core::booking::{Actor, Change, Overridden, SlotRequest, check_cutoff, decide_slot};
use nobat_core::{
    AppointmentId, AppointmentStatus, ClinicId, DomainError, HoldId, LocationId, PatientContact, PatientId,
    PractitionerId, Service, ServiceId, Slot,
};
use serde_json::json;
use std::sync::Arc;

/// A request to reserve a slot for a few minutes.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub clinic: ClinicId,
    pub service: ServiceId,
    pub practitioner: PractitionerId,
    pub location: Option<LocationId>,
    pub start: Timestamp,
    pub ttl: SignedDuration,
    pub actor: Actor,
    pub idempotency: Option<Idempotency>,
}

/// A request to book a slot for a patient, optionally converting a hold.
#[derive(Debug, Clone)]
pub struct BookRequest {
    pub clinic: ClinicId,
    pub service: ServiceId,
    pub practitioner: PractitionerId,
    pub location: Option<LocationId>,
    pub start: Timestamp,
    pub patient: PatientContact,
    pub hold: Option<HoldId>,
    pub note: Option<String>,
    pub actor: Actor,
    pub audit_actor: AuditActor,
    pub idempotency: Option<Idempotency>,
    /// The signed-in patient booking for themselves: the appointment goes on a record of
    /// their own account in this clinic, so they see it among their own in every clinic.
    pub user: Option<nobat_core::UserId>,
    /// Consents given with the booking: (kind, text version).
    pub consents: Vec<(String, String)>,
    /// The caller proved the patient's phone or email (a contact proof), or is staff.
    pub contact_verified: bool,
}

#[derive(Debug, Clone)]
pub struct CancelRequest {
    pub clinic: ClinicId,
    pub appointment: AppointmentId,
    pub reason: Option<String>,
    pub actor: Actor,
    pub audit_actor: AuditActor,
}

/// Move an appointment: the new one is booked and the old one cancelled, atomically.
#[derive(Debug, Clone)]
pub struct RescheduleRequest {
    pub clinic: ClinicId,
    pub appointment: AppointmentId,
    pub start: Timestamp,
    /// Another practitioner, if the patient switches.
    pub practitioner: Option<PractitionerId>,
    pub location: Option<LocationId>,
    pub actor: Actor,
    pub audit_actor: AuditActor,
    pub idempotency: Option<Idempotency>,
}

/// A staff status change (arrived, checked-in, fulfilled, noshow, entered-in-error, …).
#[derive(Debug, Clone)]
pub struct StatusRequest {
    pub clinic: ClinicId,
    pub appointment: AppointmentId,
    pub status: AppointmentStatus,
    pub audit_actor: AuditActor,
}

pub(crate) async fn hold(tx: &mut WriteTx<'_>, r: &HoldRequest) -> StoreResult<super::Output> {
    if let Some(hold) = idempotency::replay::<Hold>(tx, r.clinic, r.idempotency.as_ref()).await? {
        return Ok(super::Output::Hold { hold, replayed: true });
    }
    if r.ttl <= SignedDuration::ZERO || r.ttl > SignedDuration::from_hours(24) {
        return Err(DomainError::invalid("ttl", "a hold lasts between 1 second and 24 hours").into());
    }
    let req = SlotRequest { service: r.service, practitioner: r.practitioner, start: r.start, location: r.location };
    let seq = lock_practitioner(tx, r.clinic, r.practitioner, Must::BeActive).await?;
    let (cal, service) = calendar_for(tx, r.clinic, r.practitioner, seq, r.service).await?;
    let (slot, _) = decide_locked(tx, r.clinic, &req, &service, &cal, Excluding::default(), r.actor).await?;
    let (bs, be) = block(&service, slot.start, slot.end);
    let hold = Hold {
        id: HoldId::new(),
        clinic: r.clinic,
        location: slot.location,
        practitioner: slot.practitioner,
        service: slot.service,
        start: slot.start,
        end: slot.end,
        expires_at: tx.now.checked_add(r.ttl).map_err(|e| DomainError::invalid("ttl", e.to_string()))?,
    };
    crate::db::query(
        "INSERT INTO holds (clinic_id, id, location_id, practitioner_id, service_id, start_us, end_us, \
         block_start_us, block_end_us, expires_at_us, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(r.clinic.to_string())
    .bind(hold.id.to_string())
    .bind(hold.location.to_string())
    .bind(hold.practitioner.to_string())
    .bind(hold.service.to_string())
    .bind(hold.start.as_microsecond())
    .bind(hold.end.as_microsecond())
    .bind(bs.as_microsecond())
    .bind(be.as_microsecond())
    .bind(hold.expires_at.as_microsecond())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    tx.emit(
        r.clinic,
        "hold.created",
        json!({ "hold": hold.id, "practitioner": hold.practitioner, "start": hold.start }),
    )
    .await?;
    idempotency::remember(tx, r.clinic, r.idempotency.as_ref(), 201, &hold).await?;
    Ok(super::Output::Hold { hold, replayed: false })
}

pub(crate) async fn release_hold(tx: &mut WriteTx<'_>, clinic: ClinicId, id: HoldId) -> StoreResult<super::Output> {
    let done = crate::db::query("DELETE FROM holds WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(id.to_string())
        .execute(&mut *tx.conn)
        .await?;
    if done == 0 {
        return Err(StoreError::NotFound("hold"));
    }
    tx.emit(clinic, "hold.released", json!({ "hold": id })).await?;
    Ok(super::Output::Done)
}

pub(crate) async fn book(tx: &mut WriteTx<'_>, r: &BookRequest) -> StoreResult<super::Output> {
    if let Some(appointment) = idempotency::replay::<Appointment>(tx, r.clinic, r.idempotency.as_ref()).await? {
        return Ok(super::Output::Appointment { appointment, replayed: true });
    }
    let req = SlotRequest { service: r.service, practitioner: r.practitioner, start: r.start, location: r.location };
    // Lock first, then read: what we decide on cannot change before we commit.
    let seq = lock_practitioner(tx, r.clinic, r.practitioner, Must::BeActive).await?;
    let mut excluding = Excluding::default();
    if let Some(hold_id) = r.hold {
        let hold = load_hold(tx, r.clinic, hold_id).await?;
        let matches = hold.service == r.service
            && hold.practitioner == r.practitioner
            && hold.start == r.start
            && r.location.is_none_or(|l| l == hold.location);
        if !matches {
            return Err(DomainError::HoldInvalid("the hold is for another slot".into()).into());
        }
        if hold.expires_at <= tx.now {
            return Err(DomainError::HoldInvalid("the hold has expired; choose the slot again".into()).into());
        }
        excluding.hold = Some(hold_id);
    }
    let (cal, service) = calendar_for(tx, r.clinic, r.practitioner, seq, r.service).await?;
    let (slot, overridden) = decide_locked(tx, r.clinic, &req, &service, &cal, excluding, r.actor).await?;
    if let Some(hold_id) = r.hold {
        let gone = crate::db::query("DELETE FROM holds WHERE clinic_id = $1 AND id = $2")
            .bind(r.clinic.to_string())
            .bind(hold_id.to_string())
            .execute(&mut *tx.conn)
            .await?;
        if gone != 1 {
            return Err(DomainError::HoldInvalid("the hold was already used".into()).into());
        }
    }
    let (patient, created) = find_or_create_patient(tx, r.clinic, &r.patient, r.user).await?;
    // A guest's booking is matched to an earlier record by phone and name, which anyone can
    // type: consents it brings to a record it did not create are kept, but marked as such.
    let source =
        if created || r.contact_verified || r.user.is_some() { "booking" } else { "booking (contact not verified)" };
    for (kind, version) in &r.consents {
        let consent = crate::identity::Consent {
            id: nobat_core::ConsentId::new(),
            clinic: r.clinic,
            patient,
            kind: kind.clone(),
            text_version: version.clone(),
            given_at: tx.now,
            withdrawn_at: None,
            source: source.into(),
        };
        super::privacy::record_consent(tx, &consent, &r.audit_actor).await?;
    }
    let override_note =
        (overridden == Overridden::Yes).then(|| "booked by staff outside the patient notice or horizon".to_owned());
    let appointment = Appointment {
        id: AppointmentId::new(),
        clinic: r.clinic,
        location: slot.location,
        practitioner: slot.practitioner,
        service: slot.service,
        patient,
        start: slot.start,
        end: slot.end,
        status: AppointmentStatus::Booked,
        note: r.note.clone(),
        cancel_reason: None,
        override_note,
        rescheduled_from: None,
        rescheduled_to: None,
        created_at: tx.now,
        updated_at: tx.now,
    };
    insert_appointment(tx, &appointment, &service).await?;
    tx.emit(r.clinic, "appointment.booked", event_payload(&appointment)).await?;
    tx.audit(
        r.clinic,
        &r.audit_actor,
        "book",
        "appointment",
        &appointment.id.to_string(),
        None::<&()>,
        Some(&appointment),
        appointment.override_note.as_deref(),
    );
    idempotency::remember(tx, r.clinic, r.idempotency.as_ref(), 201, &appointment).await?;
    Ok(super::Output::Appointment { appointment, replayed: false })
}

pub(crate) async fn cancel(tx: &mut WriteTx<'_>, r: &CancelRequest) -> StoreResult<super::Output> {
    let before = locked_appointment(tx, r.clinic, r.appointment).await?;
    let status = before.status.transition(AppointmentStatus::Cancelled)?;
    let service = load_service(tx, r.clinic, before.service).await?;
    let overridden = check_cutoff(Change::Cancel, before.start, &service, tx.now, r.actor)?;
    let override_note =
        (overridden == Overridden::Yes).then(|| "cancelled by staff inside the patient cut-off".to_owned());
    let after = Appointment {
        status,
        cancel_reason: r.reason.clone(),
        override_note: override_note.or(before.override_note.clone()),
        updated_at: tx.now,
        ..before.clone()
    };
    update_status(tx, &after).await?;
    tx.emit(r.clinic, "appointment.cancelled", event_payload(&after)).await?;
    tx.audit(
        r.clinic,
        &r.audit_actor,
        "cancel",
        "appointment",
        &after.id.to_string(),
        Some(&before),
        Some(&after),
        r.reason.as_deref(),
    );
    Ok(super::Output::Appointment { appointment: after, replayed: false })
}

pub(crate) async fn reschedule(tx: &mut WriteTx<'_>, r: &RescheduleRequest) -> StoreResult<super::Output> {
    if let Some(appointment) = idempotency::replay::<Appointment>(tx, r.clinic, r.idempotency.as_ref()).await? {
        return Ok(super::Output::Appointment { appointment, replayed: true });
    }
    let found = load_appointment(tx, r.clinic, r.appointment).await?;
    let practitioner = r.practitioner.unwrap_or(found.practitioner);
    // Lock both practitioners in a fixed order so two reschedules crossing each other cannot
    // deadlock; the new one must be active, the old one may have left since.
    let mut locks = vec![(found.practitioner, Must::Exist), (practitioner, Must::BeActive)];
    locks.sort_by_key(|(p, _)| *p);
    locks.dedup_by(|a, b| {
        let same = a.0 == b.0;
        if same {
            b.1 = Must::BeActive;
        }
        same
    });
    let mut seq = 0;
    for (p, must) in locks {
        let s = lock_practitioner(tx, r.clinic, p, must).await?;
        if p == practitioner {
            seq = s;
        }
    }
    // Read again under the lock: a concurrent change may have moved or cancelled it.
    let old = load_appointment(tx, r.clinic, r.appointment).await?;
    if !matches!(old.status, AppointmentStatus::Booked | AppointmentStatus::Pending) {
        return Err(DomainError::IllegalTransition { from: old.status.as_str(), to: "rescheduled" }.into());
    }
    let (cal, service) = calendar_for(tx, r.clinic, practitioner, seq, old.service).await?;
    let cut = check_cutoff(Change::Reschedule, old.start, &service, tx.now, r.actor)?;
    let req = SlotRequest { service: old.service, practitioner, start: r.start, location: r.location };
    let excluding = Excluding { appointment: Some(old.id), hold: None };
    let (slot, notice) = decide_locked(tx, r.clinic, &req, &service, &cal, excluding, r.actor).await?;
    let override_note = (cut == Overridden::Yes || notice == Overridden::Yes)
        .then(|| "rescheduled by staff inside the patient cut-off, notice or horizon".to_owned());
    let new = Appointment {
        id: AppointmentId::new(),
        location: slot.location,
        practitioner: slot.practitioner,
        start: slot.start,
        end: slot.end,
        status: AppointmentStatus::Booked,
        cancel_reason: None,
        override_note: override_note.clone(),
        rescheduled_from: Some(old.id),
        rescheduled_to: None,
        created_at: tx.now,
        updated_at: tx.now,
        ..old.clone()
    };
    let old_after = Appointment {
        status: AppointmentStatus::Cancelled,
        cancel_reason: Some("rescheduled".into()),
        rescheduled_to: Some(new.id),
        updated_at: tx.now,
        ..old.clone()
    };
    // Free the old time first: PostgreSQL's exclusion constraint checks each statement.
    update_status(tx, &old_after).await?;
    insert_appointment(tx, &new, &service).await?;
    tx.emit(
        r.clinic,
        "appointment.rescheduled",
        json!({ "from": event_payload(&old_after), "to": event_payload(&new) }),
    )
    .await?;
    tx.audit(
        r.clinic,
        &r.audit_actor,
        "reschedule",
        "appointment",
        &old.id.to_string(),
        Some(&old),
        Some(&new),
        override_note.as_deref(),
    );
    idempotency::remember(tx, r.clinic, r.idempotency.as_ref(), 201, &new).await?;
    Ok(super::Output::Appointment { appointment: new, replayed: false })
}

pub(crate) async fn set_status(tx: &mut WriteTx<'_>, r: &StatusRequest) -> StoreResult<super::Output> {
    let before = locked_appointment(tx, r.clinic, r.appointment).await?;
    let status = before.status.transition(r.status)?;
    if status.occupies_time() && !before.status.occupies_time() {
        // Taking time back needs the capacity check of a booking.
        return Err(DomainError::IllegalTransition { from: before.status.as_str(), to: status.as_str() }.into());
    }
    let after = Appointment { status, updated_at: tx.now, ..before.clone() };
    update_status(tx, &after).await?;
    tx.emit(r.clinic, "appointment.status_changed", event_payload(&after)).await?;
    tx.audit(
        r.clinic,
        &r.audit_actor,
        "set_status",
        "appointment",
        &after.id.to_string(),
        Some(&before),
        Some(&after),
        None,
    );
    Ok(super::Output::Appointment { appointment: after, replayed: false })
}

pub(crate) async fn expire_holds(tx: &mut WriteTx<'_>) -> StoreResult<super::Output> {
    // Claimed with SKIP LOCKED on PostgreSQL: several processes sweeping at once each take
    // different holds, and each expiry is announced once.
    let sql = format!(
        "DELETE FROM holds WHERE (clinic_id, id) IN \
           (SELECT clinic_id, id FROM holds WHERE expires_at_us <= $1 ORDER BY expires_at_us LIMIT 1000{}) \
         RETURNING clinic_id, id, practitioner_id, service_id, start_us",
        tx.skip_locked()
    );
    let expired = crate::db::query(sql).bind(tx.now.as_microsecond()).fetch_all(&mut *tx.conn).await?;
    let count = expired.len() as u64;
    for row in &expired {
        let clinic: ClinicId = rows::parse(row, "clinic_id")?;
        let payload = json!({
            "hold": rows::text(row, "id")?,
            "practitioner": rows::text(row, "practitioner_id")?,
            "service": rows::text(row, "service_id")?,
            "start": rows::ts(row, "start_us")?,
        });
        tx.emit(clinic, "hold.expired", payload).await?;
    }
    Ok(super::Output::Count(count))
}

/// The locked practitioner's calendar (from the writer's cache, current at `seq`) and the
/// requested service.
async fn calendar_for(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    practitioner: PractitionerId,
    seq: i64,
    service: ServiceId,
) -> StoreResult<(Arc<Calendar>, Service)> {
    let today = tx.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let cal = tx.cache.get(tx.conn, clinic, practitioner, seq, today).await?;
    let service = cal.services.get(&service).cloned().ok_or(StoreError::NotFound("service"))?;
    Ok((cal, service))
}

/// Reads the busy time that could stop the requested slot and asks the core. The caller must
/// already hold the practitioner's lock.
#[allow(clippy::too_many_arguments)]
async fn decide_locked(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    req: &SlotRequest,
    service: &Service,
    cal: &Calendar,
    excluding: Excluding,
    actor: Actor,
) -> StoreResult<(Slot, Overridden)> {
    // Only what overlaps the requested appointment's own block can stop it; reading more would
    // make every booking cost O(bookings that day).
    let end = req.start.checked_add(service.duration()).unwrap_or(Timestamp::MAX);
    let (bs, be) = block(service, req.start, end);
    let window = (bs.as_microsecond(), be.as_microsecond());
    let busy: Vec<_> =
        calendar::busy(tx.conn, clinic, Some(req.practitioner), window, tx.now.as_microsecond(), excluding)
            .await?
            .into_iter()
            .map(|(_, b)| b)
            .collect();
    let view = PractitionerCalendar {
        practitioner: req.practitioner,
        rules: &cal.rules,
        exceptions: &cal.exceptions,
        busy: &busy,
    };
    Ok(decide_slot(req, service, &view, &cal.zones, tx.now, actor)?)
}

/// What a lock requires of the practitioner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Must {
    /// Bookable: new appointments need an active practitioner.
    BeActive,
    /// Existing appointments of a practitioner who has since left can still be changed.
    Exist,
}

/// Takes the practitioner's write lock: a row lock on PostgreSQL (held to commit, so other
/// processes' changes for this practitioner wait), a version bump on SQLite where the writer
/// already runs alone. Every change to a practitioner's appointments or holds takes it first
/// and reads afterwards.
///
/// Returns the practitioner's `schedule_seq`, read under the lock: the key of the calendar cache.
async fn lock_practitioner(tx: &mut WriteTx<'_>, clinic: ClinicId, p: PractitionerId, must: Must) -> StoreResult<i64> {
    let row = crate::db::query(
        "UPDATE practitioners SET booking_seq = booking_seq + 1 \
         WHERE clinic_id = $1 AND id = $2 AND (active = 1 OR $3 = 0) RETURNING schedule_seq",
    )
    .bind(clinic.to_string())
    .bind(p.to_string())
    .bind(i64::from(must == Must::BeActive))
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("practitioner"))?;
    rows::int(&row, "schedule_seq")
}

/// Finds the appointment, locks its practitioner, and reads it again under the lock.
async fn locked_appointment(tx: &mut WriteTx<'_>, clinic: ClinicId, id: AppointmentId) -> StoreResult<Appointment> {
    let found = load_appointment(tx, clinic, id).await?;
    lock_practitioner(tx, clinic, found.practitioner, Must::Exist).await?;
    load_appointment(tx, clinic, id).await
}

async fn load_service(tx: &mut WriteTx<'_>, clinic: ClinicId, id: ServiceId) -> StoreResult<Service> {
    let sql = format!("SELECT {} FROM services WHERE clinic_id = $1 AND id = $2 AND active = 1", rows::SERVICE_COLS);
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("service"))?;
    rows::service(&row)
}

async fn load_hold(tx: &mut WriteTx<'_>, clinic: ClinicId, id: HoldId) -> StoreResult<Hold> {
    let sql = format!("SELECT {} FROM holds WHERE clinic_id = $1 AND id = $2", rows::HOLD_COLS);
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or_else(|| {
            DomainError::HoldInvalid("the hold does not exist or has expired; choose the slot again".into())
        })?;
    rows::hold(&row)
}

async fn load_appointment(tx: &mut WriteTx<'_>, clinic: ClinicId, id: AppointmentId) -> StoreResult<Appointment> {
    let sql = format!("SELECT {} FROM appointments WHERE clinic_id = $1 AND id = $2", rows::APPOINTMENT_COLS);
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("appointment"))?;
    rows::appointment(&row)
}

async fn insert_appointment(tx: &mut WriteTx<'_>, a: &Appointment, service: &Service) -> StoreResult<()> {
    let (bs, be) = block(service, a.start, a.end);
    crate::db::query(
        "INSERT INTO appointments (clinic_id, id, location_id, practitioner_id, service_id, patient_id, start_us, end_us, \
         block_start_us, block_end_us, capacity, status, occupies, note, cancel_reason, override_note, rescheduled_from, \
         rescheduled_to, created_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(a.clinic.to_string())
    .bind(a.id.to_string())
    .bind(a.location.to_string())
    .bind(a.practitioner.to_string())
    .bind(a.service.to_string())
    .bind(a.patient.to_string())
    .bind(a.start.as_microsecond())
    .bind(a.end.as_microsecond())
    .bind(bs.as_microsecond())
    .bind(be.as_microsecond())
    .bind(i64::from(service.capacity))
    .bind(a.status.as_str())
    .bind(i64::from(a.status.occupies_time()))
    .bind(a.note.as_deref())
    .bind(a.cancel_reason.as_deref())
    .bind(a.override_note.as_deref())
    .bind(a.rescheduled_from.map(|x| x.to_string()))
    .bind(a.rescheduled_to.map(|x| x.to_string()))
    .bind(a.created_at.as_microsecond())
    .bind(a.updated_at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

async fn update_status(tx: &mut WriteTx<'_>, a: &Appointment) -> StoreResult<()> {
    crate::db::query(
        "UPDATE appointments SET status = $3, occupies = $4, cancel_reason = $5, override_note = $6, \
         rescheduled_to = $7, updated_at_us = $8 WHERE clinic_id = $1 AND id = $2",
    )
    .bind(a.clinic.to_string())
    .bind(a.id.to_string())
    .bind(a.status.as_str())
    .bind(i64::from(a.status.occupies_time()))
    .bind(a.cancel_reason.as_deref())
    .bind(a.override_note.as_deref())
    .bind(a.rescheduled_to.map(|x| x.to_string()))
    .bind(a.updated_at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

/// The clinic's patient with this name and phone (or, failing a phone, email), created if new.
/// The name is part of the match because families share a phone: a mother booking for her
/// children must not merge them into one record.
/// The patient record a booking is for. Guests are recognised by contact and name. A signed-in
/// patient gets records of their own, keyed by their account — never a guest record that
/// happens to share a phone and name, which would hand that guest's history to whoever typed
/// them.
async fn find_or_create_patient(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    c: &PatientContact,
    user: Option<nobat_core::UserId>,
) -> StoreResult<(PatientId, bool)> {
    let key = user.map_or_else(|| c.contact_key(), |u| format!("user:{u}"));
    // Insert-or-nothing, then read: on PostgreSQL a concurrent first booking of the same person
    // in another writer waits on the unique key instead of creating a twin.
    let inserted = crate::db::query(
        "INSERT INTO patients (clinic_id, id, name, phone, email, language, contact_key, created_at_us, user_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (clinic_id, contact_key, name) DO NOTHING RETURNING id",
    )
    .bind(clinic.to_string())
    .bind(PatientId::new().to_string())
    .bind(&c.name)
    .bind(c.phone.as_deref())
    .bind(c.email.as_deref())
    .bind(c.language.as_deref())
    .bind(key.as_str())
    .bind(tx.now.as_microsecond())
    .bind(user.map(|u| u.to_string()))
    .fetch_optional(&mut *tx.conn)
    .await?;
    let created = inserted.is_some();
    let row = match inserted {
        Some(row) => row,
        None => {
            crate::db::query("SELECT id FROM patients WHERE clinic_id = $1 AND contact_key = $2 AND name = $3")
                .bind(clinic.to_string())
                .bind(key.as_str())
                .bind(&c.name)
                .fetch_one(&mut *tx.conn)
                .await?
        }
    };
    Ok((rows::parse(&row, "id")?, created))
}

/// What listeners learn about an appointment change: ids and times, no personal data.
fn event_payload(a: &Appointment) -> serde_json::Value {
    json!({
        "appointment": a.id,
        "practitioner": a.practitioner,
        "service": a.service,
        "location": a.location,
        "start": a.start,
        "end": a.end,
        "status": a.status,
    })
}
