//! Intake forms and secure messages (issue 17): define a form (a new version on every edit),
//! store a patient's answers sealed under the data key ring, gate check-in on required forms,
//! and post and read messages between a patient and the clinic.
//!
//! The commands carry the key ring ([`DataKeys`]) so answers are validated against the form
//! version read *inside* the transaction and sealed with that row's id in the same step.

use crate::at_rest::DataKeys;
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::rows;
use crate::tx::WriteTx;
use nobat_core::intake::{self, FormSpec};
use nobat_core::{AppointmentId, ClinicId, PatientId};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One `Command::Intake` variant, so the shared enum grows by one line.
#[derive(Debug, Clone)]
pub enum IntakeOp {
    /// A new form (`id: None`) or a new version of an existing one.
    DefineForm { clinic: ClinicId, id: Option<String>, spec: FormSpec, actor: AuditActor },
    /// A patient's answers to the newest version of `form`.
    Answer(Box<NewAnswers>),
    /// A secure message between the patient and the clinic.
    Post(Box<NewMessage>),
    /// One side read the thread: the other side's messages are marked read.
    MarkRead { clinic: ClinicId, patient: PatientId, by_staff: bool },
}

#[derive(Debug, Clone)]
pub struct NewAnswers {
    pub clinic: ClinicId,
    pub form: String,
    pub patient: PatientId,
    pub appointment: Option<AppointmentId>,
    pub answers: BTreeMap<String, Value>,
    pub keys: DataKeys,
    pub actor: AuditActor,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub clinic: ClinicId,
    pub patient: PatientId,
    pub from_staff: bool,
    pub body: String,
    /// Attachments already written to the data directory (see `attachments`).
    pub attachments: Vec<crate::intake::NewAttachment>,
    pub keys: DataKeys,
    pub actor: AuditActor,
}

/// What an intake command produced.
#[derive(Debug, Clone)]
pub enum IntakeOutput {
    Form(crate::intake::Form),
    Answered { id: String, form: String, version: i64 },
    Message(Box<crate::intake::SecureMessage>),
    Done,
}

/// Where a sealed value belongs: a ciphertext copied to another row or clinic does not open.
pub fn answers_aad(clinic: ClinicId, id: &str) -> String {
    format!("clinic/{clinic}/form_answer/{id}/answers")
}

pub fn message_aad(clinic: ClinicId, id: &str) -> String {
    format!("clinic/{clinic}/secure_message/{id}/body")
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, op: &IntakeOp) -> StoreResult<super::Output> {
    let out = match op {
        IntakeOp::DefineForm { clinic, id, spec, actor } => define(tx, *clinic, id.as_deref(), spec, actor).await?,
        IntakeOp::Answer(a) => answer(tx, a).await?,
        IntakeOp::Post(m) => super::secure_messages::post(tx, m).await?,
        IntakeOp::MarkRead { clinic, patient, by_staff } => {
            super::secure_messages::mark_read(tx, *clinic, *patient, *by_staff).await?
        }
    };
    Ok(super::Output::Intake(out))
}

async fn define(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: Option<&str>,
    spec: &FormSpec,
    actor: &AuditActor,
) -> StoreResult<IntakeOutput> {
    intake::check_spec(spec)?;
    let (id, version) = match id {
        None => (format!("frm_{}", uuid::Uuid::now_v7().simple()), 1),
        Some(id) => {
            let row = crate::db::query("SELECT MAX(version) AS v FROM intake_forms WHERE clinic_id = $1 AND id = $2")
                .bind(clinic.to_string())
                .bind(id)
                .fetch_one(&mut *tx.conn)
                .await?;
            let v = rows::opt_int(&row, "v")?.ok_or(StoreError::NotFound("form"))?;
            (id.to_owned(), v + 1)
        }
    };
    let text = serde_json::to_string(spec).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    crate::db::query(
        "INSERT INTO intake_forms (clinic_id, id, version, spec, required_before_check_in, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(clinic.to_string())
    .bind(id.as_str())
    .bind(version)
    .bind(text)
    .bind(i64::from(spec.required_before_check_in))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    tx.audit(
        clinic,
        actor,
        Audit::new(if version == 1 { "create" } else { "new_version" }, "intake_form", &id)
            .after(&json!({ "version": version, "required_before_check_in": spec.required_before_check_in })),
    );
    Ok(IntakeOutput::Form(crate::intake::Form { id, version, spec: spec.clone(), created_at: tx.now }))
}

/// The newest version of a form (inside the transaction).
async fn newest(tx: &mut WriteTx<'_>, clinic: ClinicId, form: &str) -> StoreResult<(i64, FormSpec)> {
    let row = crate::db::query(
        "SELECT version, spec FROM intake_forms WHERE clinic_id = $1 AND id = $2 ORDER BY version DESC LIMIT 1",
    )
    .bind(clinic.to_string())
    .bind(form)
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("form"))?;
    Ok((rows::int(&row, "version")?, rows::json(&row, "spec")?))
}

async fn answer(tx: &mut WriteTx<'_>, a: &NewAnswers) -> StoreResult<IntakeOutput> {
    let (version, spec) = newest(tx, a.clinic, &a.form).await?;
    // The patient must be this clinic's (404 otherwise, as everywhere).
    crate::db::query("SELECT id FROM patients WHERE clinic_id = $1 AND id = $2")
        .bind(a.clinic.to_string())
        .bind(a.patient.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("patient"))?;
    let answers = intake::check_answers(&spec, &a.answers)?;
    let id = format!("ans_{}", uuid::Uuid::now_v7().simple());
    let plain = serde_json::to_vec(&answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let sealed = a.keys.seal(&answers_aad(a.clinic, &id), &plain);
    crate::db::query(
        "INSERT INTO form_answers (clinic_id, id, form_id, form_version, patient_id, appointment_id, answers_sealed, \
         submitted_by, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(a.clinic.to_string())
    .bind(id.as_str())
    .bind(a.form.as_str())
    .bind(version)
    .bind(a.patient.to_string())
    .bind(a.appointment.map(|x| x.to_string()))
    .bind(sealed)
    .bind(a.actor.label.as_str())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    // The audit names the form and version, never an answer.
    tx.audit(
        a.clinic,
        &a.actor,
        Audit::new("answer", "intake_form", &a.form)
            .after(&json!({ "answer": id, "version": version, "patient": a.patient.to_string() })),
    );
    let subjects = Subjects { patient: Some(a.patient), appointment: a.appointment, ..Subjects::default() };
    tx.emit(a.clinic, EventKind::FormAnswered, subjects).await?;
    Ok(IntakeOutput::Answered { id, form: a.form.clone(), version })
}

/// Refuses check-in while the patient owes a form the clinic requires first (the decision is
/// the core's; this reads the rows inside the check-in's transaction).
pub(crate) async fn check_in_gate(tx: &mut WriteTx<'_>, clinic: ClinicId, patient: PatientId) -> StoreResult<()> {
    let required = crate::db::query(
        "SELECT f.id, f.spec FROM intake_forms f WHERE f.clinic_id = $1 AND f.required_before_check_in = 1 \
         AND f.version = (SELECT MAX(g.version) FROM intake_forms g WHERE g.clinic_id = f.clinic_id AND g.id = f.id)",
    )
    .bind(clinic.to_string())
    .fetch_all(&mut *tx.conn)
    .await?;
    if required.is_empty() {
        return Ok(());
    }
    let mut forms = Vec::new();
    for row in &required {
        let spec: FormSpec = rows::json(row, "spec")?;
        forms.push((rows::text(row, "id")?, spec.title));
    }
    let answered =
        crate::db::query("SELECT DISTINCT form_id FROM form_answers WHERE clinic_id = $1 AND patient_id = $2")
            .bind(clinic.to_string())
            .bind(patient.to_string())
            .fetch_all(&mut *tx.conn)
            .await?
            .iter()
            .map(|r| rows::text(r, "form_id"))
            .collect::<StoreResult<Vec<_>>>()?;
    let lang = crate::db::query("SELECT default_language FROM clinics WHERE id = $1")
        .bind(clinic.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .map(|r| rows::text(&r, "default_language"))
        .transpose()?
        .unwrap_or_else(|| "en".into());
    Ok(intake::check_in_allowed(&forms, &answered, &lang)?)
}
