//! Visit notes: create (draft or signed at once), rewrite a draft, sign, amend; note templates
//! per service. The text is sealed with the data key ring before it reaches SQL, bound to
//! (clinic, note, version); the audit trail records who did what to which note and which SOAP
//! sections changed, never the text itself (the trail is not encrypted).

use crate::at_rest::DataKeys;
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::sealed_columns::note_aad;
use crate::tx::WriteTx;
use nobat_core::access::Role;
use nobat_core::clinical::{NoteAction, NoteStatus, Soap, may_change, may_write_note};
use nobat_core::{AppointmentId, ClinicId, DomainError, NoteId, PatientId, PractitionerId, ServiceId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Who writes: their role and the practitioner they are (if any) decide, in the core, which
/// appointments' notes they may write; the actor is what the trail shows.
#[derive(Debug, Clone)]
pub struct NoteWriter {
    pub role: Role,
    pub practitioner: Option<PractitionerId>,
    pub actor: AuditActor,
}

/// The sealed body of one version: the four sections and, for an amendment, why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SealedBody {
    #[serde(flatten)]
    pub soap: Soap,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub enum ClinicalOp {
    /// A new note about one of the patient's appointments; `sign` signs it at once.
    CreateNote {
        clinic: ClinicId,
        patient: PatientId,
        id: NoteId,
        appointment: AppointmentId,
        soap: Soap,
        sign: bool,
        writer: NoteWriter,
        keys: Arc<DataKeys>,
    },
    /// Rewrites a draft (its only version).
    EditDraft {
        clinic: ClinicId,
        patient: PatientId,
        note: NoteId,
        soap: Soap,
        writer: NoteWriter,
        keys: Arc<DataKeys>,
    },
    /// Signs a draft: from now on it is only amended.
    Sign { clinic: ClinicId, patient: PatientId, note: NoteId, writer: NoteWriter },
    /// A new signed version of a signed note, with the reason.
    Amend {
        clinic: ClinicId,
        patient: PatientId,
        note: NoteId,
        soap: Soap,
        reason: String,
        writer: NoteWriter,
        keys: Arc<DataKeys>,
    },
    /// The template a service's notes start from (`None` removes it).
    SetTemplate { clinic: ClinicId, service: ServiceId, soap: Option<Soap>, actor: AuditActor },
    /// Folds a duplicate record into another (`merge.rs`).
    Merge(super::merge::MergeOp),
}

#[derive(Debug, Clone)]
pub enum ClinicalOutput {
    Note(NoteId),
    Merge(nobat_core::MergeId),
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, op: &ClinicalOp) -> StoreResult<super::Output> {
    let out = match op {
        ClinicalOp::CreateNote { clinic, patient, id, appointment, soap, sign, writer, keys } => {
            create(tx, *clinic, *patient, *id, *appointment, soap, *sign, writer, keys).await?
        }
        ClinicalOp::EditDraft { clinic, patient, note, soap, writer, keys } => {
            let n = load(tx, *clinic, *patient, *note, writer, NoteAction::EditDraft).await?;
            let body = SealedBody { soap: soap.clone(), reason: None };
            let sealed = seal(keys, *clinic, *note, n.version, &body)?;
            crate::db::query(
                "UPDATE clinical_note_versions SET body = $4, author = $5, author_label = $6 \
                 WHERE clinic_id = $1 AND note_id = $2 AND version = $3",
            )
            .bind(clinic.to_string())
            .bind(note.to_string())
            .bind(n.version)
            .bind(sealed)
            .bind(writer.actor.id.as_str())
            .bind(writer.actor.label.as_str())
            .execute(&mut *tx.conn)
            .await?;
            touch(tx, *clinic, *note, NoteStatus::Draft, n.version).await?;
            trail(tx, *clinic, &writer.actor, "edit", *note, *patient, n.version, &[]);
            ClinicalOutput::Note(*note)
        }
        ClinicalOp::Sign { clinic, patient, note, writer } => {
            let n = load(tx, *clinic, *patient, *note, writer, NoteAction::Sign).await?;
            sign_version(tx, *clinic, *note, n.version, &writer.actor).await?;
            touch(tx, *clinic, *note, NoteStatus::Signed, n.version).await?;
            trail(tx, *clinic, &writer.actor, "sign", *note, *patient, n.version, &[]);
            ClinicalOutput::Note(*note)
        }
        ClinicalOp::Amend { clinic, patient, note, soap, reason, writer, keys } => {
            let n = load(tx, *clinic, *patient, *note, writer, NoteAction::Amend).await?;
            let before = current_body(tx, keys, *clinic, *note, n.version).await?;
            let changed = soap.changed_from(&before.soap);
            if changed.is_empty() {
                return Err(DomainError::invalid("subjective", "an amendment must change at least one section").into());
            }
            let version = n.version + 1;
            let body = SealedBody { soap: soap.clone(), reason: Some(reason.clone()) };
            insert_version(tx, *clinic, *note, version, &seal(keys, *clinic, *note, version, &body)?, &changed, writer)
                .await?;
            sign_version(tx, *clinic, *note, version, &writer.actor).await?;
            touch(tx, *clinic, *note, NoteStatus::Signed, version).await?;
            trail(tx, *clinic, &writer.actor, "amend", *note, *patient, version, &changed);
            ClinicalOutput::Note(*note)
        }
        ClinicalOp::SetTemplate { clinic, service, soap, actor } => {
            set_template(tx, *clinic, *service, soap.as_ref(), actor).await?;
            return Ok(super::Output::Done);
        }
        ClinicalOp::Merge(m) => return super::merge::apply(tx, m).await,
    };
    Ok(super::Output::Clinical(Box::new(out)))
}

fn seal(keys: &DataKeys, clinic: ClinicId, note: NoteId, version: i64, body: &SealedBody) -> StoreResult<String> {
    let json = serde_json::to_vec(body).map_err(|e| StoreError::Corrupt(format!("note body: {e}")))?;
    Ok(keys.seal(&note_aad(&clinic.to_string(), &note.to_string(), version), &json))
}

/// Opens one sealed version body (also used by the reads).
pub(crate) fn open(keys: &DataKeys, clinic: &str, note: &str, version: i64, sealed: &str) -> StoreResult<SealedBody> {
    let plain = keys.open(&note_aad(clinic, note, version), sealed).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "note {note} version {version} does not open with the data key ring (key missing or altered)"
        ))
    })?;
    serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(format!("note body: {e}")))
}

#[allow(clippy::too_many_arguments)]
async fn create(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    patient: PatientId,
    id: NoteId,
    appointment: AppointmentId,
    soap: &Soap,
    sign: bool,
    writer: &NoteWriter,
    keys: &DataKeys,
) -> StoreResult<ClinicalOutput> {
    let row = crate::db::query(
        "SELECT a.practitioner_id FROM appointments a JOIN patients p ON p.clinic_id = a.clinic_id AND p.id = a.patient_id \
         WHERE a.clinic_id = $1 AND a.id = $2 AND a.patient_id = $3 AND p.erased_at_us IS NULL",
    )
    .bind(clinic.to_string())
    .bind(appointment.to_string())
    .bind(patient.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or_else(|| DomainError::invalid("appointment", "not an appointment of this patient in this clinic"))?;
    let practitioner: PractitionerId = crate::rows::parse(&row, "practitioner_id")?;
    if !may_write_note(writer.role, writer.practitioner, practitioner) {
        return Err(DomainError::NotYours("a practitioner writes notes only for their own appointments".into()).into());
    }
    let status = if sign { NoteStatus::Signed } else { NoteStatus::Draft };
    let now = tx.now.as_microsecond();
    crate::db::query(
        "INSERT INTO clinical_notes (clinic_id, id, patient_id, appointment_id, practitioner_id, status, version, \
         created_by, created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8)",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .bind(patient.to_string())
    .bind(appointment.to_string())
    .bind(practitioner.to_string())
    .bind(status.as_str())
    .bind(writer.actor.id.as_str())
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    let body = SealedBody { soap: soap.clone(), reason: None };
    insert_version(tx, clinic, id, 1, &seal(keys, clinic, id, 1, &body)?, &[], writer).await?;
    if sign {
        sign_version(tx, clinic, id, 1, &writer.actor).await?;
    }
    trail(tx, clinic, &writer.actor, if sign { "create_signed" } else { "create" }, id, patient, 1, &[]);
    Ok(ClinicalOutput::Note(id))
}

struct NoteHead {
    version: i64,
}

/// The note, checked to be this patient's in this clinic, in a state that allows `action`,
/// and writable by `writer` (the state first: whether a note is signed is no secret to anyone
/// who may read notes, and a signed note refuses a second signature whoever asks).
async fn load(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    patient: PatientId,
    note: NoteId,
    writer: &NoteWriter,
    action: NoteAction,
) -> StoreResult<NoteHead> {
    let lock = match tx.engine {
        crate::Engine::Postgres => " FOR UPDATE",
        crate::Engine::Sqlite => "",
    };
    let row = crate::db::query(format!(
        "SELECT status, version, practitioner_id FROM clinical_notes \
         WHERE clinic_id = $1 AND id = $2 AND patient_id = $3{lock}"
    ))
    .bind(clinic.to_string())
    .bind(note.to_string())
    .bind(patient.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("note"))?;
    let status = NoteStatus::parse(&row.text("status")?)
        .ok_or_else(|| StoreError::Corrupt(format!("note {note} has an unknown status")))?;
    may_change(status, action)?;
    let practitioner: PractitionerId = crate::rows::parse(&row, "practitioner_id")?;
    if !may_write_note(writer.role, writer.practitioner, practitioner) {
        return Err(DomainError::NotYours("a practitioner changes notes only of their own appointments".into()).into());
    }
    Ok(NoteHead { version: row.int("version")? })
}

async fn current_body(
    tx: &mut WriteTx<'_>,
    keys: &DataKeys,
    clinic: ClinicId,
    note: NoteId,
    version: i64,
) -> StoreResult<SealedBody> {
    let row = crate::db::query(
        "SELECT body FROM clinical_note_versions WHERE clinic_id = $1 AND note_id = $2 AND version = $3",
    )
    .bind(clinic.to_string())
    .bind(note.to_string())
    .bind(version)
    .fetch_one(&mut *tx.conn)
    .await?;
    open(keys, &clinic.to_string(), &note.to_string(), version, &row.text("body")?)
}

async fn insert_version(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    note: NoteId,
    version: i64,
    sealed: &str,
    changed: &[&str],
    writer: &NoteWriter,
) -> StoreResult<()> {
    crate::db::query(
        "INSERT INTO clinical_note_versions (clinic_id, note_id, version, body, changed, author, author_label, \
         created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(clinic.to_string())
    .bind(note.to_string())
    .bind(version)
    .bind(sealed)
    .bind(changed.join(","))
    .bind(writer.actor.id.as_str())
    .bind(writer.actor.label.as_str())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

async fn sign_version(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    note: NoteId,
    version: i64,
    actor: &AuditActor,
) -> StoreResult<()> {
    crate::db::query(
        "UPDATE clinical_note_versions SET signed_by = $4, signed_by_label = $5, signed_at_us = $6 \
         WHERE clinic_id = $1 AND note_id = $2 AND version = $3 AND signed_at_us IS NULL",
    )
    .bind(clinic.to_string())
    .bind(note.to_string())
    .bind(version)
    .bind(actor.id.as_str())
    .bind(actor.label.as_str())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

async fn touch(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    note: NoteId,
    status: NoteStatus,
    version: i64,
) -> StoreResult<()> {
    crate::db::query(
        "UPDATE clinical_notes SET status = $3, version = $4, updated_at_us = $5 WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(note.to_string())
    .bind(status.as_str())
    .bind(version)
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

/// The trail entry: never the text, only which note, version and sections. `patient` in the
/// state makes it part of the patient's history (and blanked by erasure).
#[allow(clippy::too_many_arguments)]
fn trail(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    actor: &AuditActor,
    action: &str,
    note: NoteId,
    patient: PatientId,
    version: i64,
    changed: &[&str],
) {
    let after = serde_json::json!({ "patient": patient.to_string(), "version": version, "changed": changed });
    tx.audit(clinic, actor, Audit::new(action, "note", &note.to_string()).after(&after));
}

async fn set_template(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    service: ServiceId,
    soap: Option<&Soap>,
    actor: &AuditActor,
) -> StoreResult<()> {
    crate::db::query("SELECT 1 FROM services WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(service.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("service"))?;
    crate::db::query("DELETE FROM note_templates WHERE clinic_id = $1 AND service_id = $2")
        .bind(clinic.to_string())
        .bind(service.to_string())
        .execute(&mut *tx.conn)
        .await?;
    if let Some(soap) = soap {
        let body = serde_json::to_string(soap).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        crate::db::query(
            "INSERT INTO note_templates (clinic_id, service_id, body, updated_at_us) VALUES ($1, $2, $3, $4)",
        )
        .bind(clinic.to_string())
        .bind(service.to_string())
        .bind(body)
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    }
    tx.audit(clinic, actor, Audit::new("set_note_template", "service", &service.to_string()).after_opt(soap));
    Ok(())
}
