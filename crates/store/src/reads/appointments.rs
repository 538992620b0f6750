//! Appointments, holds and patients.

use crate::error::{StoreError, StoreResult};
use crate::model::{Appointment, AppointmentFilter, Hold, Patient};
use crate::{Store, rows};
use nobat_core::{AppointmentId, ClinicId, HoldId, PatientId};

/// The most appointments one page may hold.
pub const MAX_PAGE: u32 = 500;

impl Store {
    pub async fn appointment(&self, clinic: ClinicId, id: AppointmentId) -> StoreResult<Appointment> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {} FROM appointments WHERE clinic_id = $1 AND id = $2", rows::APPOINTMENT_COLS);
        let row = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut conn)
            .await?
            .ok_or(StoreError::NotFound("appointment"))?;
        rows::appointment(&row)
    }

    /// A page of appointments matching the filter, ordered by start then id.
    pub async fn appointments(&self, clinic: ClinicId, f: &AppointmentFilter) -> StoreResult<Vec<Appointment>> {
        let mut conn = self.reader().await?;
        let (after_start, after_id) = match f.after {
            Some((ts, id)) => (Some(ts.as_microsecond()), Some(id.to_string())),
            None => (None, None),
        };
        let sql = format!(
            "SELECT {} FROM appointments WHERE clinic_id = $1
               AND ($2 IS NULL OR practitioner_id = $2)
               AND ($3 IS NULL OR patient_id = $3)
               AND ($4 IS NULL OR location_id = $4)
               AND ($5 IS NULL OR service_id = $5)
               AND ($6 IS NULL OR status = $6)
               AND ($7 IS NULL OR start_us >= $7)
               AND ($8 IS NULL OR start_us < $8)
               AND ($9 IS NULL OR start_us > $9 OR (start_us = $9 AND id > $10))
             ORDER BY start_us, id LIMIT $11",
            rows::APPOINTMENT_COLS
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(f.practitioner.map(|x| x.to_string()))
            .bind(f.patient.map(|x| x.to_string()))
            .bind(f.location.map(|x| x.to_string()))
            .bind(f.service.map(|x| x.to_string()))
            .bind(f.status.map(|x| x.as_str()))
            .bind(f.from.map(|x| x.as_microsecond()))
            .bind(f.to.map(|x| x.as_microsecond()))
            .bind(after_start)
            .bind(after_id)
            .bind(i64::from(f.limit.clamp(1, MAX_PAGE)))
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(rows::appointment).collect()
    }

    pub async fn hold(&self, clinic: ClinicId, id: HoldId) -> StoreResult<Hold> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {} FROM holds WHERE clinic_id = $1 AND id = $2", rows::HOLD_COLS);
        let row = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut conn)
            .await?
            .ok_or(StoreError::NotFound("hold"))?;
        rows::hold(&row)
    }

    pub async fn patient(&self, clinic: ClinicId, id: PatientId) -> StoreResult<Patient> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {} FROM patients WHERE clinic_id = $1 AND id = $2", rows::PATIENT_COLS);
        let row = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut conn)
            .await?
            .ok_or(StoreError::NotFound("patient"))?;
        rows::patient(&row)
    }
}
