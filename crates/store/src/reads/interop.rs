//! Reads for the standard interfaces (issue 16): FHIR's patient search and slot states, the
//! iCalendar feeds and the SEQUENCE of an appointment's event.

use crate::error::StoreResult;
use crate::model::{Hold, Patient};
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::{AppointmentId, ClinicId, PatientId, PractitionerId};

/// A live (not revoked) calendar feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarFeed {
    pub clinic: ClinicId,
    pub id: String,
    /// `None`: the whole clinic's appointments.
    pub practitioner: Option<PractitionerId>,
}

impl Store {
    /// The iCalendar SEQUENCE of an appointment's event (0 until its first change).
    pub async fn appointment_sequence(&self, clinic: ClinicId, id: AppointmentId) -> StoreResult<u32> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT ics_sequence FROM appointments WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut conn)
            .await?
            .ok_or(crate::error::StoreError::NotFound("appointment"))?;
        Ok(u32::try_from(rows::int(&row, "ics_sequence")?).unwrap_or(u32::MAX))
    }

    /// The live feed a token's hash opens, if any (revoked feeds open nothing).
    pub async fn calendar_feed(&self, token_hash: &str) -> StoreResult<Option<CalendarFeed>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT clinic_id, id, practitioner_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at_us IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&mut conn)
        .await?;
        row.map(|r| {
            Ok(CalendarFeed {
                clinic: rows::parse(&r, "clinic_id")?,
                id: rows::text(&r, "id")?,
                practitioner: rows::opt_parse(&r, "practitioner_id")?,
            })
        })
        .transpose()
    }

    /// A page of a clinic's patients in id order, after `after` (keyset paging).
    pub async fn patients_page(
        &self,
        clinic: ClinicId,
        after: Option<PatientId>,
        limit: u32,
    ) -> StoreResult<Vec<Patient>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {} FROM patients WHERE clinic_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
            rows::PATIENT_COLS
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(after.map(|a| a.to_string()))
            .bind(i64::from(limit.clamp(1, super::appointments::MAX_PAGE)))
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(rows::patient).collect()
    }

    /// The unexpired holds on a practitioner's time starting at `start` (FHIR shows their slot
    /// as `busy-tentative`).
    pub async fn holds_starting(
        &self,
        clinic: ClinicId,
        practitioner: PractitionerId,
        start: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Vec<Hold>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {} FROM holds WHERE clinic_id = $1 AND practitioner_id = $2 AND start_us = $3 AND expires_at_us > $4",
            rows::HOLD_COLS
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(practitioner.to_string())
            .bind(start.as_microsecond())
            .bind(now.as_microsecond())
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(rows::hold).collect()
    }
}
