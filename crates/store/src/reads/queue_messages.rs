//! What the dispatcher reads to plan and render the queue's messages ("please come to room 3",
//! "you are next"): the ticket as it stands now and its patient's ways of being reached.
//! Ticket events carry ids only; the names and addresses are read here, by the planner.

use crate::error::StoreResult;
use crate::{Store, rows};
use nobat_core::{AppointmentId, ClinicId, QueueId, TicketId};

/// A ticket with what a message to its patient may say, and where to send it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    pub status: String,
    pub code: String,
    /// The desk or room it was called to, if it was.
    pub desk: Option<String>,
    pub appointment: Option<AppointmentId>,
    pub clinic_name: String,
    pub clinic_language: String,
    pub patient_name: String,
    pub patient_email: Option<String>,
    pub patient_phone: Option<String>,
    pub patient_language: Option<String>,
}

impl Store {
    /// A ticket's facts (`None`: no such ticket, or its patient was erased).
    pub async fn ticket_facts(&self, clinic: ClinicId, ticket: TicketId) -> StoreResult<Option<TicketFacts>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT t.status, t.code, t.desk, t.appointment_id, c.name AS clinic_name, c.default_language, \
               pt.name AS patient_name, pt.email, pt.phone, pt.language \
             FROM tickets t JOIN clinics c ON c.id = t.clinic_id \
               JOIN patients pt ON pt.clinic_id = t.clinic_id AND pt.id = t.patient_id \
             WHERE t.clinic_id = $1 AND t.id = $2",
        )
        .bind(clinic.to_string())
        .bind(ticket.to_string())
        .fetch_optional(&mut conn)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let opt = |k: &str| -> StoreResult<Option<String>> { Ok(rows::opt_text(&r, k)?.filter(|v| !v.is_empty())) };
        Ok(Some(TicketFacts {
            status: rows::text(&r, "status")?,
            code: rows::text(&r, "code")?,
            desk: opt("desk")?,
            appointment: rows::opt_parse(&r, "appointment_id")?,
            clinic_name: rows::text(&r, "clinic_name")?,
            clinic_language: rows::text(&r, "default_language")?,
            patient_name: rows::text(&r, "patient_name")?,
            patient_email: opt("email")?,
            patient_phone: opt("phone")?,
            patient_language: opt("language")?,
        }))
    }

    /// The ticket called next in a queue: the first waiting one in call order (`rank`, as the
    /// store's `call-next` takes it).
    pub async fn queue_head(&self, clinic: ClinicId, queue: QueueId) -> StoreResult<Option<TicketId>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT id FROM tickets WHERE clinic_id = $1 AND queue_id = $2 AND status = 'waiting' ORDER BY rank LIMIT 1",
        )
        .bind(clinic.to_string())
        .bind(queue.to_string())
        .fetch_optional(&mut conn)
        .await?;
        row.map(|r| rows::parse(&r, "id")).transpose()
    }
}
