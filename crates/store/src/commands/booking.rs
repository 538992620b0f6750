//! Booking: a slot becomes an appointment for a patient, optionally converting a hold.
//!
//! The double-booking rule lives here and only here: inside the write transaction the
//! practitioner's row is locked (the `booking_seq` bump), the busy time is read, the core
//! decides, and the appointment is written — all before commit. No handler checks first.
//! Cancel, reschedule and status changes are in `changes.rs`; the lock and the shared reads
//! and writes in `slot_lock.rs`.

use super::idempotency::{self, Idempotency};
use super::slot_lock::{Must, calendar_for, decide_locked, insert_appointment, lock_practitioner};
use crate::audit::{Audit, AuditActor};
use crate::calendar::Excluding;
use crate::error::StoreResult;
use crate::events::{EventKind, Subjects};
use crate::model::Appointment;
use crate::rows;
use crate::tx::WriteTx;
use jiff::Timestamp;
use nobat_core::booking::{Actor, Overridden, SlotRequest};
use nobat_core::hold::HoldClaim;
use nobat_core::{
    AppointmentId, AppointmentStatus, ClinicId, DomainError, HoldId, LocationId, PatientContact, PatientId,
    PractitionerId, ServiceId,
};

/// A request to book a slot for a patient, optionally converting a hold.
#[derive(Debug, Clone)]
pub struct BookRequest {
    pub clinic: ClinicId,
    pub service: ServiceId,
    pub practitioner: PractitionerId,
    pub location: Option<LocationId>,
    pub start: Timestamp,
    /// The offset the client wrote with `start` (`None` for `Z`): checked against the location's.
    pub start_offset: Option<jiff::tz::Offset>,
    pub patient: PatientContact,
    pub hold: Option<HoldId>,
    /// Who the caller is, to check they own the hold they convert.
    pub hold_claim: HoldClaim,
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

pub(crate) async fn book(tx: &mut WriteTx<'_>, r: &BookRequest) -> StoreResult<super::Output> {
    if let Some(appointment) = idempotency::replay::<Appointment>(tx, r.clinic, r.idempotency.as_ref()).await? {
        return Ok(super::Output::Appointment { appointment, replayed: true });
    }
    let req = SlotRequest {
        service: r.service,
        practitioner: r.practitioner,
        start: r.start,
        location: r.location,
        offset: r.start_offset,
    };
    // Lock first, then read: what we decide on cannot change before we commit.
    let seq = lock_practitioner(tx, r.clinic, r.practitioner, Must::BeActive).await?;
    let mut excluding = Excluding::default();
    if let Some(hold_id) = r.hold {
        super::holds::check_usable(tx, r.clinic, hold_id, &r.hold_claim, &req).await?;
        excluding.hold = Some(hold_id);
    }
    let (cal, service) = calendar_for(tx, r.clinic, r.practitioner, seq, r.service).await?;
    let (slot, overridden) = decide_locked(tx, r.clinic, &req, &service, &cal, excluding, r.actor).await?;
    if let Some(hold_id) = r.hold
        && super::holds::remove(tx, r.clinic, hold_id).await? != 1
    {
        return Err(DomainError::HoldInvalid("the hold was already used".into()).into());
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
    tx.emit(r.clinic, EventKind::AppointmentBooked, Subjects::appointment(&appointment)).await?;
    tx.audit(
        r.clinic,
        &r.audit_actor,
        Audit::new("book", "appointment", &appointment.id.to_string())
            .after(&appointment)
            .note(appointment.override_note.as_deref()),
    );
    idempotency::remember(tx, r.clinic, r.idempotency.as_ref(), 201, &appointment).await?;
    Ok(super::Output::Appointment { appointment, replayed: false })
}

/// The clinic's patient with this name and phone (or, failing a phone, email), created if new.
/// The name is part of the match because families share a phone: a mother booking for her
/// children must not merge them into one record.
/// The patient record a booking is for. Guests are recognised by contact and name. A signed-in
/// patient gets records of their own, keyed by their account — never a guest record that
/// happens to share a phone and name, which would hand that guest's history to whoever typed
/// them.
pub(super) async fn find_or_create_patient(
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
