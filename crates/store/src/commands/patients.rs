//! Changing a patient's record at the desk: a corrected name, a new phone number, the language
//! they prefer. The contact is parsed again as a whole, in the clinic's country, so the stored
//! phone is E.164 (a record written before numbers were normalised is upgraded by any edit)
//! and a guest's contact key follows their new phone or email.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::rows;
use crate::tx::WriteTx;
use nobat_core::{ClinicId, Country, DomainError, PatientContact, PatientId};

/// What to change; `None` keeps the value, an empty string clears a phone or an email (one
/// of them must remain) or the language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatientPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
}

pub(crate) async fn update_patient(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    patient: PatientId,
    patch: &PatientPatch,
    actor: &AuditActor,
) -> StoreResult<super::Output> {
    let lock = match tx.engine {
        crate::Engine::Postgres => " FOR UPDATE",
        crate::Engine::Sqlite => "",
    };
    let sql = format!(
        "SELECT {}, contact_key, user_id, erased_at_us FROM patients WHERE clinic_id = $1 AND id = $2{lock}",
        rows::PATIENT_COLS
    );
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("patient"))?;
    let before = rows::patient(&row)?;
    if row.opt_int("erased_at_us")?.is_some() {
        return Err(DomainError::Refused("this patient's personal data was erased".into()).into());
    }
    let country = crate::db::query("SELECT country FROM clinics WHERE id = $1")
        .bind(clinic.to_string())
        .fetch_one(&mut *tx.conn)
        .await?
        .opt_text("country")?
        .and_then(|c| Country::parse("country", &c).ok());
    let pick = |new: &Option<String>, old: &Option<String>| match new {
        Some(v) => Some(v.clone()).filter(|v| !v.trim().is_empty()),
        None => old.clone(),
    };
    let contact = PatientContact::parse_in(
        patch.name.as_deref().unwrap_or(&before.name),
        pick(&patch.phone, &before.phone).as_deref(),
        pick(&patch.email, &before.email).as_deref(),
        pick(&patch.language, &before.language).as_deref(),
        country,
    )?;
    // A signed-in patient's records stay keyed by their account; a guest's follow the contact.
    let key = match row.opt_text("user_id")? {
        Some(user) => format!("user:{user}"),
        None => contact.contact_key(),
    };
    let twin =
        crate::db::query("SELECT 1 FROM patients WHERE clinic_id = $1 AND contact_key = $2 AND name = $3 AND id <> $4")
            .bind(clinic.to_string())
            .bind(key.as_str())
            .bind(&contact.name)
            .bind(patient.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?;
    if twin.is_some() {
        return Err(StoreError::AlreadyExists("another patient record has this name and contact".into()));
    }
    crate::db::query(
        "UPDATE patients SET name = $3, phone = $4, email = $5, language = $6, contact_key = $7 \
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(clinic.to_string())
    .bind(patient.to_string())
    .bind(&contact.name)
    .bind(contact.phone.as_deref())
    .bind(contact.email.as_deref())
    .bind(contact.language.as_deref())
    .bind(key.as_str())
    .execute(&mut *tx.conn)
    .await?;
    let after = crate::model::Patient {
        name: contact.name,
        phone: contact.phone,
        email: contact.email,
        language: contact.language,
        ..before.clone()
    };
    tx.audit(clinic, actor, Audit::new("update", "patient", &patient.to_string()).before(&before).after(&after));
    Ok(super::Output::Patient(after))
}
