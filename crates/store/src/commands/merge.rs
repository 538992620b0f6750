//! Merging duplicate patient records, reversibly. Guests are matched by contact and name, so
//! one person can end up with two records ("Ali Rezaei" and "Ali Rezaee"); clinical notes
//! must not be split between them. A merge moves the duplicate's rows to the kept record and
//! lists exactly which rows it moved; an unmerge moves those rows back (only those, so rows
//! created on the kept record since stay) and shows the duplicate again. Both are audited on
//! both records.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use nobat_core::{ClinicId, DomainError, MergeId, PatientId};
use std::collections::BTreeMap;

/// The tables whose rows follow a patient (`patient_id`). Append when a table gets one
/// (forms, messages): a merge moves them, an unmerge moves them back.
pub const PATIENT_TABLES: &[&str] = &[
    "appointments",
    "consents",
    "tickets",
    "clinical_notes",
    "form_answers",
    "secure_messages",
    "message_attachments",
];

#[derive(Debug, Clone)]
pub enum MergeOp {
    Merge {
        clinic: ClinicId,
        id: MergeId,
        kept: PatientId,
        duplicate: PatientId,
        actor: AuditActor,
    },
    /// Undoes merge `id`, which must have kept `kept` (the record in the request's path).
    Unmerge {
        clinic: ClinicId,
        id: MergeId,
        kept: PatientId,
        actor: AuditActor,
    },
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, op: &MergeOp) -> StoreResult<super::Output> {
    match op {
        MergeOp::Merge { clinic, id, kept, duplicate, actor } => {
            merge(tx, *clinic, *id, *kept, *duplicate, actor).await
        }
        MergeOp::Unmerge { clinic, id, kept, actor } => unmerge(tx, *clinic, *id, *kept, actor).await,
    }
}

async fn live_patient(tx: &mut WriteTx<'_>, clinic: ClinicId, patient: PatientId, field: &str) -> StoreResult<()> {
    let row = crate::db::query("SELECT erased_at_us, merged_into FROM patients WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("patient"))?;
    if row.opt_int("erased_at_us")?.is_some() || row.opt_text("merged_into")?.is_some() {
        return Err(DomainError::invalid(field, "this record was erased or merged into another").into());
    }
    Ok(())
}

async fn merge(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: MergeId,
    kept: PatientId,
    duplicate: PatientId,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    // Existence first: another clinic's ids are a 404 whatever else is wrong.
    live_patient(tx, clinic, kept, "into").await?;
    if kept == duplicate {
        return Err(DomainError::invalid("duplicate", "a record cannot be merged into itself").into());
    }
    live_patient(tx, clinic, duplicate, "duplicate").await?;
    let mut moved: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for table in PATIENT_TABLES {
        let ids = crate::db::query(format!("SELECT id FROM {table} WHERE clinic_id = $1 AND patient_id = $2"))
            .bind(clinic.to_string())
            .bind(duplicate.to_string())
            .fetch_all(&mut *tx.conn)
            .await?
            .iter()
            .map(|r| r.text("id"))
            .collect::<StoreResult<Vec<_>>>()?;
        crate::db::query(format!("UPDATE {table} SET patient_id = $3 WHERE clinic_id = $1 AND patient_id = $2"))
            .bind(clinic.to_string())
            .bind(duplicate.to_string())
            .bind(kept.to_string())
            .execute(&mut *tx.conn)
            .await?;
        moved.insert(table, ids);
    }
    crate::db::query("UPDATE patients SET merged_into = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(duplicate.to_string())
        .bind(kept.to_string())
        .execute(&mut *tx.conn)
        .await?;
    let moved_json = serde_json::to_string(&moved).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    crate::db::query(
        "INSERT INTO patient_merges (clinic_id, id, kept_id, merged_id, moved, merged_by, merged_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .bind(kept.to_string())
    .bind(duplicate.to_string())
    .bind(moved_json)
    .bind(actor.id.as_str())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    let counts: BTreeMap<&str, usize> = moved.iter().map(|(t, ids)| (*t, ids.len())).collect();
    let state = serde_json::json!({ "merge": id.to_string(), "kept": kept.to_string(), "duplicate": duplicate.to_string(), "moved": counts });
    tx.audit(clinic, actor, Audit::new("merge", "patient", &kept.to_string()).after(&state));
    tx.audit(clinic, actor, Audit::new("merged_into", "patient", &duplicate.to_string()).after(&state));
    Ok(super::Output::Clinical(Box::new(super::clinical::ClinicalOutput::Merge(id))))
}

async fn unmerge(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: MergeId,
    kept_in_path: PatientId,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let row = crate::db::query(
        "SELECT kept_id, merged_id, moved, undone_at_us FROM patient_merges WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("merge"))?;
    if row.opt_int("undone_at_us")?.is_some() {
        return Err(DomainError::Refused("this merge was already undone".into()).into());
    }
    let (kept, duplicate) = (row.text("kept_id")?, row.text("merged_id")?);
    if kept != kept_in_path.to_string() {
        return Err(StoreError::NotFound("merge"));
    }
    let moved: BTreeMap<String, Vec<String>> = serde_json::from_str(&row.text("moved")?)
        .map_err(|e| StoreError::Corrupt(format!("patient_merges.moved: {e}")))?;
    for (table, ids) in &moved {
        // Only tables this binary knows: the JSON came from our own merge, but a table name is
        // never taken from stored data into SQL unchecked.
        let Some(table) = PATIENT_TABLES.iter().find(|t| **t == table.as_str()) else { continue };
        for row_id in ids {
            crate::db::query(format!(
                "UPDATE {table} SET patient_id = $4 WHERE clinic_id = $1 AND id = $2 AND patient_id = $3"
            ))
            .bind(clinic.to_string())
            .bind(row_id.as_str())
            .bind(kept.as_str())
            .bind(duplicate.as_str())
            .execute(&mut *tx.conn)
            .await?;
        }
    }
    crate::db::query("UPDATE patients SET merged_into = NULL WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(duplicate.as_str())
        .execute(&mut *tx.conn)
        .await?;
    crate::db::query("UPDATE patient_merges SET undone_at_us = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(id.to_string())
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    let state = serde_json::json!({ "merge": id.to_string(), "kept": kept, "duplicate": duplicate });
    tx.audit(clinic, actor, Audit::new("unmerge", "patient", &kept).after(&state));
    tx.audit(clinic, actor, Audit::new("unmerged", "patient", &duplicate).after(&state));
    Ok(super::Output::Clinical(Box::new(super::clinical::ClinicalOutput::Merge(id))))
}
