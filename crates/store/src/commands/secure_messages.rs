//! Secure messages between a patient and the clinic (issue 17): the body and attachment names
//! are sealed with the row's id; a staff message emits an event the dispatcher turns into a
//! content-free notice to the patient ("you have a new message").

use super::intake::{IntakeOutput, NewMessage, message_aad};
use crate::audit::Audit;
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::intake::{Attachment, SecureMessage, attachment_name_aad};
use crate::tx::WriteTx;
use nobat_core::{ClinicId, DomainError, PatientId};
use serde_json::json;

/// Most characters of one message.
pub const MAX_BODY: usize = 10_000;

pub(crate) async fn post(tx: &mut WriteTx<'_>, m: &NewMessage) -> StoreResult<IntakeOutput> {
    let body = m.body.trim();
    if body.is_empty() && m.attachments.is_empty() {
        return Err(DomainError::invalid("body", "write a message or attach a file").into());
    }
    if body.chars().count() > MAX_BODY || body.contains('\0') {
        return Err(DomainError::invalid("body", format!("a message is at most {MAX_BODY} characters")).into());
    }
    crate::db::query("SELECT id FROM patients WHERE clinic_id = $1 AND id = $2")
        .bind(m.clinic.to_string())
        .bind(m.patient.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("patient"))?;
    let id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    crate::db::query(
        "INSERT INTO secure_messages (clinic_id, id, patient_id, from_staff, author, body_sealed, created_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(m.clinic.to_string())
    .bind(id.as_str())
    .bind(m.patient.to_string())
    .bind(i64::from(m.from_staff))
    .bind(m.actor.label.as_str())
    .bind(m.keys.seal_str(&message_aad(m.clinic, &id), body))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    let mut attachments = Vec::new();
    for a in &m.attachments {
        crate::db::query(
            "INSERT INTO message_attachments (clinic_id, id, message_id, patient_id, address, media_type, size_bytes, \
             name_sealed, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(m.clinic.to_string())
        .bind(a.id.as_str())
        .bind(id.as_str())
        .bind(m.patient.to_string())
        .bind(a.address.as_str())
        .bind(a.media_type.as_str())
        .bind(a.size_bytes)
        .bind(m.keys.seal_str(&attachment_name_aad(m.clinic, &a.id), &a.name))
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
        attachments.push(Attachment {
            id: a.id.clone(),
            name: a.name.clone(),
            media_type: a.media_type.clone(),
            size_bytes: a.size_bytes,
            address: a.address.clone(),
        });
    }
    // Who wrote and how many files, never what.
    tx.audit(
        m.clinic,
        &m.actor,
        Audit::new("post", "secure_message", &id).after(&json!({
            "patient": m.patient.to_string(), "from_staff": m.from_staff, "attachments": attachments.len()
        })),
    );
    let subjects = Subjects { patient: Some(m.patient), message: Some(id.clone()), ..Subjects::default() };
    if m.from_staff {
        // The dispatcher tells the patient through their channel, without the content.
        tx.emit_with_message(
            m.clinic,
            EventKind::SecureMessagePosted,
            subjects,
            json!({ "from_staff": true, "patient": m.patient.to_string(), "message": id }),
        )
        .await?;
    } else {
        tx.emit(m.clinic, EventKind::SecureMessagePosted, subjects).await?;
    }
    Ok(IntakeOutput::Message(Box::new(SecureMessage {
        id,
        from_staff: m.from_staff,
        author: m.actor.label.clone(),
        body: body.to_owned(),
        created_at: tx.now,
        read_at: None,
        attachments,
    })))
}

/// Marks the other side's unread messages read (staff reading marks the patient's, and back).
pub(crate) async fn mark_read(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    patient: PatientId,
    by_staff: bool,
) -> StoreResult<IntakeOutput> {
    crate::db::query(
        "UPDATE secure_messages SET read_at_us = $4 WHERE clinic_id = $1 AND patient_id = $2 AND from_staff = $3 \
         AND read_at_us IS NULL",
    )
    .bind(clinic.to_string())
    .bind(patient.to_string())
    .bind(i64::from(!by_staff))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(IntakeOutput::Done)
}
