//! What a patient (or the clinic on their behalf) may ask to see: their appointments across
//! clinics, their consents, everything held about them, and who looked at their record.

use crate::audit::{AuditFilter, AuditRecord, ChainReport};
use crate::error::StoreResult;
use crate::identity::Consent;
use crate::model::{Appointment, AppointmentFilter, Patient};
use crate::rows::{opt_int, parse, text, ts};
use crate::{Store, rows};
use nobat_core::{ClinicId, PatientId, UserId};
use serde::Serialize;

/// Everything a clinic holds about one patient (the data-portability export).
#[derive(Debug, Clone, Serialize)]
pub struct PatientExport {
    pub patient: Patient,
    pub appointments: Vec<Appointment>,
    pub consents: Vec<Consent>,
    /// The audit entries about this patient: what changed and who looked.
    pub history: Vec<AuditRecord>,
}

impl Store {
    /// The patient record a user is linked to in a clinic, if any.
    pub async fn patient_user(&self, clinic: ClinicId, patient: PatientId) -> StoreResult<Option<UserId>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT user_id FROM patients WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.to_string())
            .bind(patient.to_string())
            .fetch_optional(&mut conn)
            .await?;
        Ok(row.map(|r| crate::rows::opt_parse(&r, "user_id")).transpose()?.flatten())
    }

    /// A registered patient's appointments in every clinic, soonest first.
    pub async fn appointments_of_user(&self, user: UserId, limit: u32) -> StoreResult<Vec<Appointment>> {
        let mut conn = self.reader().await?;
        let cols = rows::APPOINTMENT_COLS.split(", ").map(|c| format!("a.{}", c.trim())).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {cols} FROM appointments a JOIN patients p ON p.clinic_id = a.clinic_id AND p.id = a.patient_id \
             WHERE p.user_id = $1 ORDER BY a.start_us DESC LIMIT $2"
        );
        crate::db::query(sql)
            .bind(user.to_string())
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(&mut conn)
            .await?
            .iter()
            .map(rows::appointment)
            .collect()
    }

    /// The patient records (clinic, patient) linked to an account.
    pub async fn patients_of_user(&self, user: UserId) -> StoreResult<Vec<(ClinicId, PatientId)>> {
        let mut conn = self.reader().await?;
        let rows = crate::db::query("SELECT clinic_id, id FROM patients WHERE user_id = $1")
            .bind(user.to_string())
            .fetch_all(&mut conn)
            .await?;
        rows.iter().map(|r| Ok((parse(r, "clinic_id")?, parse(r, "id")?))).collect()
    }

    pub async fn consents(&self, clinic: ClinicId, patient: PatientId) -> StoreResult<Vec<Consent>> {
        let mut conn = self.reader().await?;
        let rows = crate::db::query(
            "SELECT clinic_id, id, patient_id, kind, text_version, given_at_us, withdrawn_at_us, source FROM consents \
             WHERE clinic_id = $1 AND patient_id = $2 ORDER BY given_at_us, id",
        )
        .bind(clinic.to_string())
        .bind(patient.to_string())
        .fetch_all(&mut conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Consent {
                    id: parse(r, "id")?,
                    clinic: parse(r, "clinic_id")?,
                    patient: parse(r, "patient_id")?,
                    kind: text(r, "kind")?,
                    text_version: text(r, "text_version")?,
                    given_at: ts(r, "given_at_us")?,
                    withdrawn_at: opt_int(r, "withdrawn_at_us")?.map(rows::micros).transpose()?,
                    source: text(r, "source")?,
                })
            })
            .collect()
    }

    /// Everything held about one patient, as one document.
    pub async fn patient_export(&self, clinic: ClinicId, patient: PatientId) -> StoreResult<PatientExport> {
        let record = self.patient(clinic, patient).await?;
        let mut appointments = Vec::new();
        let mut filter = AppointmentFilter { patient: Some(patient), limit: 500, ..Default::default() };
        loop {
            let page = self.appointments(clinic, &filter).await?;
            let done = page.len() < 500;
            filter.after = page.last().map(|a| (a.start, a.id));
            appointments.extend(page);
            if done {
                break;
            }
        }
        let consents = self.consents(clinic, patient).await?;
        let mut history = Vec::new();
        let mut f = AuditFilter { subject: Some(patient.to_string()), limit: 500, ..Default::default() };
        loop {
            let page = self.audit_trail(&clinic.to_string(), &f).await?;
            let done = page.len() < 500;
            f.before_seq = page.last().map(|r| r.seq);
            history.extend(page);
            if done {
                break;
            }
        }
        Ok(PatientExport { patient: record, appointments, consents, history })
    }

    /// One chain of the audit trail (a clinic's id, or [`crate::audit::INSTANCE_CHAIN`]).
    pub async fn audit_trail(&self, chain: &str, filter: &AuditFilter) -> StoreResult<Vec<AuditRecord>> {
        let mut conn = self.reader().await?;
        crate::audit::read(&mut conn, chain, filter).await
    }

    /// Recomputes every audit chain (`nobat audit verify`).
    pub async fn audit_verify(&self) -> StoreResult<Vec<ChainReport>> {
        let mut conn = self.reader().await?;
        crate::audit::verify(&mut conn).await
    }
}
