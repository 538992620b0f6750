//! Personal-data duties: guest verification codes, consents, recorded access, erasure and
//! retention. Erasure anonymises a patient in place — appointments keep their times, service,
//! practitioner and status, so the clinic's statistics stay true — and blanks the bodies of
//! the audit entries about them.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::identity::{Consent, Verification};
use crate::tx::WriteTx;
use jiff::SignedDuration;
use nobat_core::{ClinicId, ConsentId, DomainError, PatientId};
use serde_json::json;

/// `s` with LIKE's wildcards escaped (for `LIKE … ESCAPE '\'`), so an address with `_` in it
/// matches only itself.
pub(crate) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// What a scrubbed outbox message says instead of its payload.
pub(crate) const REDACTED: &str = r#"{"redacted":true}"#;

/// Wrong codes a verification accepts before it is spent.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

#[derive(Debug, Clone)]
pub struct RecordAccess {
    pub clinic: ClinicId,
    pub patient: PatientId,
    /// The appointment looked at, if it was one appointment rather than the whole record.
    pub appointment: Option<nobat_core::AppointmentId>,
    /// `view`, `export`.
    pub action: &'static str,
    pub actor: AuditActor,
}

pub(crate) async fn create_verification(
    tx: &mut WriteTx<'_>,
    v: &Verification,
    code: &str,
    channel: &str,
    language: &str,
) -> StoreResult<super::Output> {
    crate::db::query(
        "INSERT INTO verifications (clinic_id, id, contact_key, code_hash, attempts, created_at_us, expires_at_us) \
         VALUES ($1, $2, $3, $4, 0, $5, $6)",
    )
    .bind(v.clinic.to_string())
    .bind(v.id.to_string())
    .bind(&v.contact_key)
    .bind(&v.code_hash)
    .bind(tx.now.as_microsecond())
    .bind(v.expires_at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    // The code goes out through the outbox like every other message; the dispatcher delivers
    // it by SMS or email. This message is the only place the code exists in clear.
    let to = v.contact_key.split_once(':').map(|(_, c)| c).unwrap_or_default();
    let payload = json!({ "verification": v.id, "channel": channel, "to": to, "code": code, "language": language,
                          "expires_at": v.expires_at });
    // The event itself names neither the contact nor the code.
    tx.emit_with_message(v.clinic, EventKind::VerificationRequested, Subjects::default(), payload).await?;
    Ok(super::Output::Done)
}

/// Checks a code. A wrong code is counted (and committed) — so the answer is `Ok(false)`, not
/// an error that would roll the count back.
pub(crate) async fn confirm_verification(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: nobat_core::VerificationId,
    code_hash: &str,
) -> StoreResult<super::Output> {
    let row = crate::db::query(
        "SELECT contact_key, code_hash, attempts, expires_at_us, confirmed_at_us FROM verifications WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("verification"))?;
    if row.opt_int("confirmed_at_us")?.is_some() {
        return Err(DomainError::Refused("this code was already used; ask for a new one".into()).into());
    }
    if row.int("expires_at_us")? <= tx.now.as_microsecond() {
        return Err(DomainError::Refused("this code has expired; ask for a new one".into()).into());
    }
    if row.int("attempts")? >= MAX_CODE_ATTEMPTS {
        return Err(DomainError::Refused("too many wrong codes; ask for a new one".into()).into());
    }
    let stored = row.text("code_hash")?;
    if !crate::identity::constant_time_eq(stored.as_bytes(), code_hash.as_bytes()) {
        crate::db::query(
            "UPDATE verifications SET attempts = attempts + 1 WHERE clinic_id = $1 AND id = $2 AND attempts < 5",
        )
        .bind(clinic.to_string())
        .bind(id.to_string())
        .execute(&mut *tx.conn)
        .await?;
        return Ok(super::Output::Verified(None));
    }
    crate::db::query("UPDATE verifications SET confirmed_at_us = $1 WHERE clinic_id = $2 AND id = $3")
        .bind(tx.now.as_microsecond())
        .bind(clinic.to_string())
        .bind(id.to_string())
        .execute(&mut *tx.conn)
        .await?;
    Ok(super::Output::Verified(Some(row.text("contact_key")?)))
}

pub(crate) async fn record_consent(
    tx: &mut WriteTx<'_>,
    c: &Consent,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    patient_exists(tx, c.clinic, c.patient).await?;
    crate::db::query(
        "INSERT INTO consents (clinic_id, id, patient_id, kind, text_version, given_at_us, source) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(c.clinic.to_string())
    .bind(c.id.to_string())
    .bind(c.patient.to_string())
    .bind(&c.kind)
    .bind(&c.text_version)
    .bind(tx.now.as_microsecond())
    .bind(&c.source)
    .execute(&mut *tx.conn)
    .await?;
    let stored = Consent { given_at: tx.now, ..c.clone() };
    tx.audit(c.clinic, actor, Audit::new("give", "consent", &c.id.to_string()).after(&stored));
    Ok(super::Output::Consent(stored))
}

pub(crate) async fn withdraw_consent(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    patient: PatientId,
    id: ConsentId,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let done = crate::db::query(
        "UPDATE consents SET withdrawn_at_us = $1 WHERE clinic_id = $2 AND id = $3 AND patient_id = $4 AND withdrawn_at_us IS NULL",
    )
    .bind(tx.now.as_microsecond())
    .bind(clinic.to_string())
    .bind(id.to_string())
    .bind(patient.to_string())
    .execute(&mut *tx.conn)
    .await?;
    if done == 0 {
        return Err(StoreError::NotFound("consent"));
    }
    tx.audit(
        clinic,
        actor,
        Audit::new("withdraw", "consent", &id.to_string())
            .after(&json!({ "patient": patient, "withdrawn_at": tx.now })),
    );
    Ok(super::Output::Done)
}

/// Writes "someone looked at this patient's record" to the trail, so the patient can see it.
pub(crate) async fn record_access(tx: &mut WriteTx<'_>, r: &RecordAccess) -> StoreResult<super::Output> {
    let (entity, id) = match r.appointment {
        Some(a) => ("appointment", a.to_string()),
        None => ("patient", r.patient.to_string()),
    };
    tx.audit(r.clinic, &r.actor, Audit::new(r.action, entity, &id));
    if let Some(last) = tx.audits.last_mut() {
        last.subject = Some(r.patient.to_string());
    }
    Ok(super::Output::Done)
}

async fn patient_exists(tx: &mut WriteTx<'_>, clinic: ClinicId, patient: PatientId) -> StoreResult<()> {
    crate::db::query("SELECT 1 FROM patients WHERE clinic_id = $1 AND id = $2 AND erased_at_us IS NULL")
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("patient"))?;
    Ok(())
}

/// Anonymises one patient: name, contacts, language, notes and the link to an account go;
/// appointments stay as anonymous statistics; audit bodies about them are blanked; consents
/// are withdrawn. The erasure itself is recorded (without personal data).
pub(crate) async fn erase_patient(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    patient: PatientId,
    actor: &AuditActor,
    reason: &str,
) -> StoreResult<super::Output> {
    patient_exists(tx, clinic, patient).await?;
    let (c, p, now) = (clinic.to_string(), patient.to_string(), tx.now.as_microsecond());
    let old = crate::db::query("SELECT phone, email FROM patients WHERE clinic_id = $1 AND id = $2")
        .bind(&c)
        .bind(&p)
        .fetch_one(&mut *tx.conn)
        .await?;
    // Copies of the contact elsewhere: codes sent to it (and the messages that carried them),
    // and stored answers to retried bookings, which hold the appointment's note.
    for contact in [old.opt_text("phone")?, old.opt_text("email")?].into_iter().flatten() {
        for key in [format!("phone:{contact}"), format!("email:{contact}")] {
            crate::db::query("DELETE FROM verifications WHERE clinic_id = $1 AND contact_key = $2")
                .bind(&c)
                .bind(key)
                .execute(&mut *tx.conn)
                .await?;
        }
        let to = serde_json::to_string(&contact).unwrap_or_default();
        crate::db::query(
            "UPDATE outbox SET payload = $1 WHERE clinic_id = $2 AND topic = 'verification.requested' AND payload LIKE $3 ESCAPE '\\'",
        )
        .bind(REDACTED)
        .bind(&c)
        .bind(format!("%\"to\":{}%", like_escape(&to)))
        .execute(&mut *tx.conn)
        .await?; // Messages to the contact keep their delivery record for staff, not the address; one
        // still waiting is never sent.
        crate::db::query(
            "UPDATE messages SET recipient = 'erased', facts = '{}', leased_until_us = NULL, lease_token = NULL, \
               status = CASE WHEN status IN ('queued', 'failed') THEN 'dead' ELSE status END, \
               last_error = CASE WHEN status IN ('queued', 'failed') THEN 'the recipient was erased' ELSE last_error END \
             WHERE clinic_id = $1 AND recipient = $2",
        )
        .bind(&c)
        .bind(&contact)
        .execute(&mut *tx.conn)
        .await?;
    }
    // Their watches stop and forget them (the contact is how a guest's watch is theirs).
    let contacts: Vec<String> = [old.opt_text("phone")?, old.opt_text("email")?].into_iter().flatten().collect();
    super::watches::erase_watchers(tx, clinic, patient, &contacts).await?;
    crate::db::query("DELETE FROM idempotency_keys WHERE clinic_id = $1 AND response LIKE $2 ESCAPE '\\'")
        .bind(&c)
        .bind(format!("%\"patient\":\"{p}\"%"))
        .execute(&mut *tx.conn)
        .await?;
    crate::db::query(
        "UPDATE patients SET name = 'erased', phone = NULL, email = NULL, language = NULL, user_id = NULL, \
         contact_key = $1, erased_at_us = $2 WHERE clinic_id = $3 AND id = $4",
    )
    .bind(format!("erased:{p}"))
    .bind(now)
    .bind(&c)
    .bind(&p)
    .execute(&mut *tx.conn)
    .await?;
    let appointments = crate::db::query(
        "UPDATE appointments SET note = NULL, cancel_reason = NULL WHERE clinic_id = $1 AND patient_id = $2",
    )
    .bind(&c)
    .bind(&p)
    .execute(&mut *tx.conn)
    .await?;
    crate::db::query(
        "UPDATE consents SET withdrawn_at_us = $1 WHERE clinic_id = $2 AND patient_id = $3 AND withdrawn_at_us IS NULL",
    )
    .bind(now)
    .bind(&c)
    .bind(&p)
    .execute(&mut *tx.conn)
    .await?;
    let redacted = crate::audit::redact_subject(tx.conn, &c, &p, now).await?;
    // Entries about them queued earlier in this batch are written at seal, after this: blank
    // those there too.
    tx.redactions.push((c.clone(), p.clone()));
    tx.audit(
        clinic,
        actor,
        Audit::new("erase", "patient", &p)
            .after(&json!({ "appointments_kept": appointments, "audit_entries_redacted": redacted }))
            .note(Some(reason)),
    );
    // The erase entry is about the patient too, but holds nothing personal: keep it readable.
    if let Some(last) = tx.audits.last_mut() {
        last.subject = None;
        last.entity_id = p.clone();
    }
    Ok(super::Output::Count(appointments))
}

/// The retention sweep: anonymises patients of clinics with a retention period whose last
/// appointment ended longer ago than that and who have nothing booked ahead; drops expired
/// sessions and old verification codes. Bounded per run; the job runs again until done.
pub(crate) async fn retention_sweep(tx: &mut WriteTx<'_>) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    crate::db::query("DELETE FROM sessions WHERE expires_at_us <= $1").bind(now).execute(&mut *tx.conn).await?;
    let day = SignedDuration::from_hours(24).as_micros() as i64;
    // Failed sign-ins older than a day whose lock has run out are forgotten.
    crate::db::query(
        "DELETE FROM login_failures WHERE updated_at_us <= $1 AND (locked_until_us IS NULL OR locked_until_us <= $2)",
    )
    .bind(now - day)
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    // A code is useless a day later; the message that carried it need not keep it or the
    // address. Delivered messages and stored idempotent answers go after a week.
    crate::db::query(
        "UPDATE outbox SET payload = $1 WHERE topic = 'verification.requested' AND created_at_us <= $2 AND payload <> $1",
    )
    .bind(REDACTED)
    .bind(now - day)
    .execute(&mut *tx.conn)
    .await?;
    // An invitation lives a week; after that neither it (an email address) nor the message
    // that carried its token need stay.
    crate::db::query("DELETE FROM invitations WHERE expires_at_us <= $1")
        .bind(now - 7 * day)
        .execute(&mut *tx.conn)
        .await?;
    crate::db::query(
        "UPDATE outbox SET payload = $1 WHERE topic = 'staff.invitation' AND created_at_us <= $2 AND payload <> $1",
    )
    .bind(REDACTED)
    .bind(now - 7 * day)
    .execute(&mut *tx.conn)
    .await?;
    // Ended watches forget their watcher a week later.
    super::watches::retention(tx).await?;
    // Delivered and dead outbox rows and events go after a week, a bounded batch per run.
    super::outbox::prune(tx, super::outbox::RETENTION, 1000).await?;
    crate::db::query("DELETE FROM idempotency_keys WHERE created_at_us <= $1")
        .bind(now - 7 * day)
        .execute(&mut *tx.conn)
        .await?;
    crate::db::query("DELETE FROM verifications WHERE expires_at_us <= $1")
        .bind(now - day)
        .execute(&mut *tx.conn)
        .await?;
    let due = crate::db::query(
        "SELECT p.clinic_id, p.id FROM patients p JOIN clinics c ON c.id = p.clinic_id \
         WHERE c.retention_days IS NOT NULL AND p.erased_at_us IS NULL \
           AND p.created_at_us < $1 - c.retention_days * $2 \
           AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.clinic_id = p.clinic_id AND a.patient_id = p.id \
                           AND a.end_us >= $1 - c.retention_days * $2) \
         LIMIT 50",
    )
    .bind(now)
    .bind(day)
    .fetch_all(&mut *tx.conn)
    .await?;
    let mut erased = 0;
    for row in due {
        let clinic: ClinicId = crate::rows::parse(&row, "clinic_id")?;
        let patient: PatientId = crate::rows::parse(&row, "id")?;
        erase_patient(tx, clinic, patient, &AuditActor::system(), "retention period ended").await?;
        erased += 1;
    }
    Ok(super::Output::Count(erased))
}
