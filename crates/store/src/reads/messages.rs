//! What the dispatcher reads to plan and render messages, and what staff see of them.

use crate::error::StoreResult;
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::{AppointmentId, ClinicId};
use serde::Serialize;

/// One message as staff see it (`GET …/appointments/{id}/messages`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageView {
    pub id: String,
    pub channel: String,
    pub kind: String,
    pub language: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<Timestamp>,
}

/// An appointment with everything a message about it may say, and who to send it to.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentFacts {
    pub status: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub time_zone: String,
    pub clinic_name: String,
    pub clinic_language: String,
    pub service: String,
    pub practitioner: String,
    pub location: String,
    pub address: String,
    pub patient_name: String,
    pub patient_email: Option<String>,
    pub patient_phone: Option<String>,
    pub patient_language: Option<String>,
}

impl Store {
    /// The messages about one appointment, oldest first.
    pub async fn appointment_messages(&self, clinic: ClinicId, id: AppointmentId) -> StoreResult<Vec<MessageView>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT id, channel, kind, language, status, attempts, last_error, sent_at_us FROM messages \
             WHERE clinic_id = $1 AND appointment_id = $2 ORDER BY created_at_us, id",
        )
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok(MessageView {
                    id: rows::text(r, "id")?,
                    channel: rows::text(r, "channel")?,
                    kind: rows::text(r, "kind")?,
                    language: rows::text(r, "language")?,
                    status: rows::text(r, "status")?,
                    attempts: rows::int(r, "attempts")?,
                    last_error: rows::opt_text(r, "last_error")?,
                    sent_at: rows::opt_int(r, "sent_at_us")?.map(rows::micros).transpose()?,
                })
            })
            .collect()
    }

    /// The facts of an appointment for its messages (`None` when it is gone).
    pub async fn appointment_facts(
        &self,
        clinic: ClinicId,
        id: AppointmentId,
    ) -> StoreResult<Option<AppointmentFacts>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT a.status, a.start_us, a.end_us, l.time_zone, l.name AS location, l.address, c.name AS clinic_name, \
               c.default_language, s.name AS service, p.name AS practitioner, pt.name AS patient_name, pt.email, \
               pt.phone, pt.language \
             FROM appointments a JOIN clinics c ON c.id = a.clinic_id \
               JOIN locations l ON l.clinic_id = a.clinic_id AND l.id = a.location_id \
               JOIN services s ON s.clinic_id = a.clinic_id AND s.id = a.service_id \
               JOIN practitioners p ON p.clinic_id = a.clinic_id AND p.id = a.practitioner_id \
               JOIN patients pt ON pt.clinic_id = a.clinic_id AND pt.id = a.patient_id \
             WHERE a.clinic_id = $1 AND a.id = $2",
        )
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut conn)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(AppointmentFacts {
            status: rows::text(&r, "status")?,
            start: rows::ts(&r, "start_us")?,
            end: rows::ts(&r, "end_us")?,
            time_zone: rows::text(&r, "time_zone")?,
            clinic_name: rows::text(&r, "clinic_name")?,
            clinic_language: rows::text(&r, "default_language")?,
            service: rows::text(&r, "service")?,
            practitioner: rows::text(&r, "practitioner")?,
            location: rows::text(&r, "location")?,
            address: rows::text(&r, "address")?,
            patient_name: rows::text(&r, "patient_name")?,
            patient_email: rows::opt_text(&r, "email")?.filter(|e| !e.is_empty()),
            patient_phone: rows::opt_text(&r, "phone")?.filter(|p| !p.is_empty()),
            patient_language: rows::opt_text(&r, "language")?.filter(|l| !l.is_empty()),
        }))
    }

    /// A clinic's name and default language (`None` when it does not exist).
    pub async fn clinic_name_language(&self, clinic: ClinicId) -> StoreResult<Option<(String, String)>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query("SELECT name, default_language FROM clinics WHERE id = $1")
            .bind(clinic.to_string())
            .fetch_optional(&mut conn)
            .await?;
        row.map(|r| Ok((rows::text(&r, "name")?, rows::text(&r, "default_language")?))).transpose()
    }
}
