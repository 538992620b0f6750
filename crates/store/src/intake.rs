//! Reads of intake forms, form answers and secure messages (issue 17). Sealed values are opened
//! here with the key ring the caller passes; a value that does not open (tampered with, moved,
//! or its key retired) is reported as corrupt rather than shown.

use crate::at_rest::DataKeys;
use crate::commands::intake::{answers_aad, message_aad};
use crate::error::{StoreError, StoreResult};
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::intake::{Answer, FormSpec};
use nobat_core::{ClinicId, PatientId};
use serde::Serialize;
use std::collections::BTreeMap;

/// One version of a form.
#[derive(Debug, Clone, Serialize)]
pub struct Form {
    pub id: String,
    pub version: i64,
    pub spec: FormSpec,
    pub created_at: Timestamp,
}

/// A patient's answers, opened.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerSet {
    pub id: String,
    pub form: String,
    pub version: i64,
    pub appointment: Option<String>,
    pub answers: BTreeMap<String, Answer>,
    pub submitted_by: String,
    pub created_at: Timestamp,
}

/// An attachment of a secure message (its bytes are in the data directory).
#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
    #[serde(skip)]
    pub address: String,
}

/// An attachment already written (sealed) to the data directory, to be recorded with its
/// message. The id is made before the write so the file's seal can be bound to it.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: String,
    pub address: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub name: String,
}

/// A secure message, opened.
#[derive(Debug, Clone, Serialize)]
pub struct SecureMessage {
    pub id: String,
    pub from_staff: bool,
    pub author: String,
    pub body: String,
    pub created_at: Timestamp,
    pub read_at: Option<Timestamp>,
    pub attachments: Vec<Attachment>,
}

pub fn attachment_name_aad(clinic: ClinicId, id: &str) -> String {
    format!("clinic/{clinic}/attachment/{id}/name")
}

pub fn attachment_bytes_aad(clinic: ClinicId, id: &str) -> String {
    format!("clinic/{clinic}/attachment/{id}/bytes")
}

fn form_row(row: &crate::db::Row) -> StoreResult<Form> {
    Ok(Form {
        id: rows::text(row, "id")?,
        version: rows::int(row, "version")?,
        spec: rows::json(row, "spec")?,
        created_at: rows::ts(row, "created_at_us")?,
    })
}

impl Store {
    /// The newest version of each of the clinic's forms, oldest form first.
    pub async fn intake_forms(&self, clinic: ClinicId) -> StoreResult<Vec<Form>> {
        let mut conn = self.reader().await?;
        crate::db::query(
            "SELECT f.id, f.version, f.spec, f.created_at_us FROM intake_forms f WHERE f.clinic_id = $1 \
             AND f.version = (SELECT MAX(g.version) FROM intake_forms g WHERE g.clinic_id = f.clinic_id AND g.id = f.id) \
             ORDER BY f.id",
        )
        .bind(clinic.to_string())
        .fetch_all(&mut conn)
        .await?
        .iter()
        .map(form_row)
        .collect()
    }

    /// One form: a given version, or the newest.
    pub async fn intake_form(&self, clinic: ClinicId, id: &str, version: Option<i64>) -> StoreResult<Form> {
        let mut conn = self.reader().await?;
        // Without a version, the newest (`version >= 0` matches them all).
        let (op, v) = match version {
            Some(v) => ("=", v),
            None => (">=", 0),
        };
        let row = crate::db::query(format!(
            "SELECT id, version, spec, created_at_us FROM intake_forms WHERE clinic_id = $1 AND id = $2 \
             AND version {op} $3 ORDER BY version DESC LIMIT 1"
        ))
        .bind(clinic.to_string())
        .bind(id)
        .bind(v)
        .fetch_optional(&mut conn)
        .await?
        .ok_or(StoreError::NotFound("form"))?;
        form_row(&row)
    }

    /// A patient's form answers, newest first, opened with `keys`.
    pub async fn form_answers(
        &self,
        clinic: ClinicId,
        patient: PatientId,
        keys: &DataKeys,
    ) -> StoreResult<Vec<AnswerSet>> {
        let mut conn = self.reader().await?;
        let rows = crate::db::query(
            "SELECT id, form_id, form_version, appointment_id, answers_sealed, submitted_by, created_at_us \
             FROM form_answers WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at_us DESC, id DESC",
        )
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_all(&mut conn)
        .await?;
        rows.iter()
            .map(|row| {
                let id = rows::text(row, "id")?;
                let plain = keys
                    .open(&answers_aad(clinic, &id), &rows::text(row, "answers_sealed")?)
                    .ok_or_else(|| StoreError::Corrupt(format!("form answer {id} does not open with the key ring")))?;
                Ok(AnswerSet {
                    answers: serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    form: rows::text(row, "form_id")?,
                    version: rows::int(row, "form_version")?,
                    appointment: rows::opt_text(row, "appointment_id")?,
                    submitted_by: rows::text(row, "submitted_by")?,
                    created_at: rows::ts(row, "created_at_us")?,
                    id,
                })
            })
            .collect()
    }

    /// The thread between a patient and the clinic, oldest first, opened with `keys`.
    pub async fn secure_messages(
        &self,
        clinic: ClinicId,
        patient: PatientId,
        keys: &DataKeys,
    ) -> StoreResult<Vec<SecureMessage>> {
        let mut conn = self.reader().await?;
        let rows = crate::db::query(
            "SELECT id, from_staff, author, body_sealed, created_at_us, read_at_us FROM secure_messages \
             WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at_us, id",
        )
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_all(&mut conn)
        .await?;
        let files = crate::db::query(
            "SELECT id, message_id, address, media_type, size_bytes, name_sealed FROM message_attachments \
             WHERE clinic_id = $1 AND patient_id = $2 ORDER BY created_at_us, id",
        )
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_all(&mut conn)
        .await?;
        let mut by_message: BTreeMap<String, Vec<Attachment>> = BTreeMap::new();
        for f in &files {
            let id = rows::text(f, "id")?;
            let name = keys
                .open_str(&attachment_name_aad(clinic, &id), &rows::text(f, "name_sealed")?)
                .ok_or_else(|| StoreError::Corrupt(format!("attachment {id} name does not open")))?;
            by_message.entry(rows::text(f, "message_id")?).or_default().push(Attachment {
                name,
                media_type: rows::text(f, "media_type")?,
                size_bytes: rows::int(f, "size_bytes")?,
                address: rows::text(f, "address")?,
                id,
            });
        }
        rows.iter()
            .map(|row| {
                let id = rows::text(row, "id")?;
                let body = keys
                    .open_str(&message_aad(clinic, &id), &rows::text(row, "body_sealed")?)
                    .ok_or_else(|| StoreError::Corrupt(format!("message {id} does not open with the key ring")))?;
                Ok(SecureMessage {
                    from_staff: rows::int(row, "from_staff")? != 0,
                    author: rows::text(row, "author")?,
                    body,
                    created_at: rows::ts(row, "created_at_us")?,
                    read_at: rows::opt_int(row, "read_at_us")?.map(rows::micros).transpose()?,
                    attachments: by_message.remove(&id).unwrap_or_default(),
                    id,
                })
            })
            .collect()
    }

    /// One attachment of a patient's thread (the caller checked access to the thread).
    pub async fn attachment(
        &self,
        clinic: ClinicId,
        patient: PatientId,
        id: &str,
        keys: &DataKeys,
    ) -> StoreResult<Attachment> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT id, address, media_type, size_bytes, name_sealed FROM message_attachments \
             WHERE clinic_id = $1 AND patient_id = $2 AND id = $3",
        )
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .bind(id)
        .fetch_optional(&mut conn)
        .await?
        .ok_or(StoreError::NotFound("attachment"))?;
        Ok(Attachment {
            name: keys
                .open_str(&attachment_name_aad(clinic, id), &rows::text(&row, "name_sealed")?)
                .ok_or_else(|| StoreError::Corrupt(format!("attachment {id} name does not open")))?,
            media_type: rows::text(&row, "media_type")?,
            size_bytes: rows::int(&row, "size_bytes")?,
            address: rows::text(&row, "address")?,
            id: id.to_owned(),
        })
    }

    /// Unread patient messages per patient (what staff see), most unread first.
    pub async fn unread_counts(&self, clinic: ClinicId) -> StoreResult<Vec<(PatientId, i64)>> {
        let mut conn = self.reader().await?;
        crate::db::query(
            "SELECT patient_id, COUNT(*) AS n FROM secure_messages WHERE clinic_id = $1 AND from_staff = 0 \
             AND read_at_us IS NULL GROUP BY patient_id ORDER BY n DESC, patient_id",
        )
        .bind(clinic.to_string())
        .fetch_all(&mut conn)
        .await?
        .iter()
        .map(|r| Ok((rows::parse(r, "patient_id")?, rows::int(r, "n")?)))
        .collect()
    }
}
