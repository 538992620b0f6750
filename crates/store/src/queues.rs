//! The day-of queue's records as the store hands them out, and the reads behind the queue,
//! board and "my place" views. Writes are commands (`commands/queue.rs`,
//! `commands/queue_tickets.rs`).

use crate::db::Row;
use crate::error::StoreResult;
use crate::{Store, rows};
use jiff::Timestamp;
use nobat_core::queue::TicketStatus;
use nobat_core::wait_estimate::Served;
use nobat_core::{
    AppointmentId, ClinicId, JoinLinkId, LocationId, PatientId, PractitionerId, QueueId, ServiceId, TicketId,
};
use serde::{Deserialize, Serialize};

/// A location's queue for one local day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    pub id: QueueId,
    pub clinic: ClinicId,
    pub location: LocationId,
    pub date: jiff::civil::Date,
    pub practitioner: Option<PractitionerId>,
    pub service: Option<ServiceId>,
    pub code_prefix: String,
    pub name: String,
    pub closed_at: Option<Timestamp>,
    pub waiting: u32,
    pub called: u32,
    pub served: u32,
}

/// A ticket, with the patient's name for staff views (public views leave it out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub clinic: ClinicId,
    pub queue: QueueId,
    pub location: LocationId,
    pub number: i64,
    pub code: String,
    pub status: TicketStatus,
    pub rank: i64,
    /// `booked` or `walk_in`: how it was placed.
    pub kind: String,
    pub priority: u8,
    pub appointment: Option<AppointmentId>,
    pub booked_start: Option<Timestamp>,
    pub arrival: Option<String>,
    pub patient: PatientId,
    pub patient_name: String,
    pub service: Option<ServiceId>,
    /// The service's booked duration (minutes), for estimates; 15 when the ticket has none.
    pub service_minutes: i64,
    pub desk: Option<String>,
    pub created_at: Timestamp,
    pub called_at: Option<Timestamp>,
    pub served_at: Option<Timestamp>,
}

pub(crate) const QUEUE_COLS: &str = "q.clinic_id, q.id, q.location_id, q.date, q.practitioner_id, q.service_id, \
     q.code_prefix, q.name, q.closed_at_us, \
     (SELECT COUNT(*) FROM tickets t WHERE t.clinic_id = q.clinic_id AND t.queue_id = q.id AND t.status = 'waiting') AS n_waiting, \
     (SELECT COUNT(*) FROM tickets t WHERE t.clinic_id = q.clinic_id AND t.queue_id = q.id AND t.status = 'called') AS n_called, \
     (SELECT COUNT(*) FROM tickets t WHERE t.clinic_id = q.clinic_id AND t.queue_id = q.id AND t.status = 'done') AS n_served";

pub(crate) fn queue(r: &Row) -> StoreResult<Queue> {
    let count = |c: &str| -> StoreResult<u32> { Ok(u32::try_from(rows::int(r, c)?).unwrap_or(0)) };
    Ok(Queue {
        id: rows::parse(r, "id")?,
        clinic: rows::parse(r, "clinic_id")?,
        location: rows::parse(r, "location_id")?,
        date: rows::parse(r, "date")?,
        practitioner: rows::opt_parse(r, "practitioner_id")?,
        service: rows::opt_parse(r, "service_id")?,
        code_prefix: rows::text(r, "code_prefix")?,
        name: rows::text(r, "name")?,
        closed_at: rows::opt_int(r, "closed_at_us")?.map(rows::micros).transpose()?,
        waiting: count("n_waiting")?,
        called: count("n_called")?,
        served: count("n_served")?,
    })
}

pub(crate) const TICKET_COLS: &str = "t.clinic_id, t.id, t.queue_id, q.location_id, t.number, t.code, t.status, t.rank, \
     t.kind, t.priority, t.appointment_id, t.booked_start_us, t.arrival, t.patient_id, p.name AS patient_name, \
     t.service_id, COALESCE(s.duration_min, 15) AS service_minutes, t.desk, t.created_at_us, t.called_at_us, t.served_at_us";

/// `FROM` clause matching [`TICKET_COLS`].
pub(crate) const TICKET_FROM: &str = "FROM tickets t \
     JOIN queues q ON q.clinic_id = t.clinic_id AND q.id = t.queue_id \
     JOIN patients p ON p.clinic_id = t.clinic_id AND p.id = t.patient_id \
     LEFT JOIN services s ON s.clinic_id = t.clinic_id AND s.id = t.service_id";

pub(crate) fn ticket(r: &Row) -> StoreResult<Ticket> {
    let status: String = rows::text(r, "status")?;
    Ok(Ticket {
        id: rows::parse(r, "id")?,
        clinic: rows::parse(r, "clinic_id")?,
        queue: rows::parse(r, "queue_id")?,
        location: rows::parse(r, "location_id")?,
        number: rows::int(r, "number")?,
        code: rows::text(r, "code")?,
        status: status.parse().map_err(|_| crate::StoreError::Corrupt(format!("ticket status {status}")))?,
        rank: rows::int(r, "rank")?,
        kind: rows::text(r, "kind")?,
        priority: u8::try_from(rows::int(r, "priority")?).unwrap_or(0),
        appointment: rows::opt_parse(r, "appointment_id")?,
        booked_start: rows::opt_int(r, "booked_start_us")?.map(rows::micros).transpose()?,
        arrival: rows::opt_text(r, "arrival")?,
        patient: rows::parse(r, "patient_id")?,
        patient_name: rows::text(r, "patient_name")?,
        service: rows::opt_parse(r, "service_id")?,
        service_minutes: rows::int(r, "service_minutes")?,
        desk: rows::opt_text(r, "desk")?,
        created_at: rows::ts(r, "created_at_us")?,
        called_at: rows::opt_int(r, "called_at_us")?.map(rows::micros).transpose()?,
        served_at: rows::opt_int(r, "served_at_us")?.map(rows::micros).transpose()?,
    })
}

/// The order tickets are listed in: being served, called (latest first), the waiting line by
/// rank, absent, then the closed ones.
pub(crate) const LIST_ORDER: &str = "ORDER BY CASE t.status WHEN 'in_service' THEN 0 WHEN 'called' THEN 1 \
     WHEN 'waiting' THEN 2 WHEN 'absent' THEN 3 ELSE 4 END, t.rank, t.number";

/// A link patients join a queue from: the location's general queue of the day, or one queue.
/// Its token (made by the web layer) signs the clinic and the id; revoking it ends the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinLink {
    pub id: JoinLinkId,
    pub clinic: ClinicId,
    pub location: LocationId,
    pub queue: Option<QueueId>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

pub(crate) fn join_link(r: &Row) -> StoreResult<JoinLink> {
    Ok(JoinLink {
        id: rows::parse(r, "id")?,
        clinic: rows::parse(r, "clinic_id")?,
        location: rows::parse(r, "location_id")?,
        queue: rows::opt_parse(r, "queue_id")?,
        created_at: rows::ts(r, "created_at_us")?,
        revoked_at: rows::opt_int(r, "revoked_at_us")?.map(rows::micros).transpose()?,
    })
}

/// A `queue_settings` row (all five columns).
pub(crate) fn settings_row(r: &Row) -> StoreResult<nobat_core::queue::Settings> {
    let int = |c: &str, d: u32| -> StoreResult<u32> { Ok(u32::try_from(rows::int(r, c)?).unwrap_or(d)) };
    let d = nobat_core::queue::Settings::default();
    Ok(nobat_core::queue::Settings {
        grace_min: int("grace_min", d.grace_min)?,
        walk_in_every: int("walk_in_every", d.walk_in_every)?,
        remote_join: rows::int(r, "remote_join")? != 0,
        remote_cap: int("remote_cap", d.remote_cap)?,
        close_after_min: int("close_after_min", d.close_after_min)?,
    })
}

impl Store {
    /// A clinic's queue settings (the defaults when it never set them).
    pub async fn queue_settings(&self, clinic: ClinicId) -> StoreResult<nobat_core::queue::Settings> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT grace_min, walk_in_every, remote_join, remote_cap, close_after_min FROM queue_settings \
             WHERE clinic_id = $1",
        )
        .bind(clinic.to_string())
        .fetch_optional(&mut conn)
        .await?;
        row.as_ref().map_or(Ok(nobat_core::queue::Settings::default()), settings_row)
    }

    /// The ticket a patient's token now stands for: the ticket itself, or — after transfers to
    /// other queues — the ticket it was last transferred to (so "my place" follows the patient).
    pub async fn current_ticket(&self, clinic: ClinicId, id: TicketId) -> StoreResult<Ticket> {
        let mut t = self.ticket(clinic, id).await?;
        // A transfer chain is short; the bound only guards against a cycle written by hand.
        for _ in 0..16 {
            if t.status != TicketStatus::Transferred {
                break;
            }
            let Some(next) = self.transferred_to(clinic, t.id).await? else { break };
            t = self.ticket(clinic, next).await?;
        }
        Ok(t)
    }

    async fn transferred_to(&self, clinic: ClinicId, id: TicketId) -> StoreResult<Option<TicketId>> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT transferred_to FROM tickets WHERE clinic_id = $1 AND id = $2 AND status = 'transferred'",
        )
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut conn)
        .await?;
        match row {
            Some(r) => rows::opt_parse(&r, "transferred_to"),
            None => Ok(None),
        }
    }

    /// A clinic's join links, newest first (revoked ones included, marked).
    pub async fn join_links(&self, clinic: ClinicId) -> StoreResult<Vec<JoinLink>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT clinic_id, id, location_id, queue_id, created_at_us, revoked_at_us FROM queue_join_links \
             WHERE clinic_id = $1 ORDER BY created_at_us DESC, id DESC",
        )
        .bind(clinic.to_string())
        .fetch_all(&mut conn)
        .await?;
        found.iter().map(join_link).collect()
    }

    /// One join link of a clinic.
    pub async fn join_link(&self, clinic: ClinicId, id: JoinLinkId) -> StoreResult<JoinLink> {
        let mut conn = self.reader().await?;
        let row = crate::db::query(
            "SELECT clinic_id, id, location_id, queue_id, created_at_us, revoked_at_us FROM queue_join_links \
             WHERE clinic_id = $1 AND id = $2",
        )
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut conn)
        .await?
        .ok_or(crate::StoreError::NotFound("join link"))?;
        join_link(&row)
    }

    /// A clinic's queues of one local date, optionally at one location.
    pub async fn queues(
        &self,
        clinic: ClinicId,
        date: jiff::civil::Date,
        location: Option<LocationId>,
    ) -> StoreResult<Vec<Queue>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {QUEUE_COLS} FROM queues q WHERE q.clinic_id = $1 AND q.date = $2 \
             AND ($3 = '' OR q.location_id = $3) ORDER BY q.location_id, q.code_prefix"
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(date.to_string())
            .bind(location.map(|l| l.to_string()).unwrap_or_default())
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(queue).collect()
    }

    /// One queue of a clinic.
    pub async fn queue(&self, clinic: ClinicId, id: QueueId) -> StoreResult<Queue> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {QUEUE_COLS} FROM queues q WHERE q.clinic_id = $1 AND q.id = $2");
        let row = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut conn)
            .await?
            .ok_or(crate::StoreError::NotFound("queue"))?;
        queue(&row)
    }

    /// A queue's tickets in [`LIST_ORDER`].
    pub async fn queue_tickets(&self, clinic: ClinicId, id: QueueId) -> StoreResult<Vec<Ticket>> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {TICKET_COLS} {TICKET_FROM} WHERE t.clinic_id = $1 AND t.queue_id = $2 {LIST_ORDER}");
        let found = crate::db::query(sql).bind(clinic.to_string()).bind(id.to_string()).fetch_all(&mut conn).await?;
        found.iter().map(ticket).collect()
    }

    /// One ticket of a clinic.
    pub async fn ticket(&self, clinic: ClinicId, id: TicketId) -> StoreResult<Ticket> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {TICKET_COLS} {TICKET_FROM} WHERE t.clinic_id = $1 AND t.id = $2");
        let row = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut conn)
            .await?
            .ok_or(crate::StoreError::NotFound("ticket"))?;
        ticket(&row)
    }

    /// The open tickets (called, in service, waiting) of a location's queues of a day, for
    /// the public board.
    pub async fn board_tickets(
        &self,
        clinic: ClinicId,
        location: LocationId,
        date: jiff::civil::Date,
    ) -> StoreResult<Vec<Ticket>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {TICKET_COLS} {TICKET_FROM} WHERE t.clinic_id = $1 AND q.location_id = $2 AND q.date = $3 \
             AND t.status IN ('called', 'in_service', 'waiting') {LIST_ORDER}"
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(location.to_string())
            .bind(date.to_string())
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(ticket).collect()
    }

    /// Finished services of the last `weeks` weeks at a location (the estimator's history):
    /// practitioner of the queue, service, start on the location's wall clock, minutes.
    pub async fn served_history(
        &self,
        clinic: ClinicId,
        tz: &jiff::tz::TimeZone,
        since: Timestamp,
    ) -> StoreResult<Vec<Served>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT q.practitioner_id, t.service_id, h.started_at_us, h.ended_at_us FROM ticket_hops h \
             JOIN tickets t ON t.clinic_id = h.clinic_id AND t.id = h.ticket_id \
             JOIN queues q ON q.clinic_id = h.clinic_id AND q.id = h.queue_id \
             WHERE h.clinic_id = $1 AND h.status = 'in_service' AND h.started_at_us >= $2 AND h.ended_at_us IS NOT NULL \
             ORDER BY h.started_at_us DESC LIMIT 5000",
        )
        .bind(clinic.to_string())
        .bind(since.as_microsecond())
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                let start = rows::ts(r, "started_at_us")?;
                let end = rows::int(r, "ended_at_us")?;
                Ok(Served {
                    practitioner: rows::opt_parse(r, "practitioner_id")?,
                    service: rows::opt_parse(r, "service_id")?,
                    started: start.to_zoned(tz.clone()).datetime(),
                    minutes: (end - start.as_microsecond()) as f64 / 60e6,
                })
            })
            .collect()
    }

    /// The hops a ticket went through, oldest first: (status, desk, started, ended).
    pub async fn ticket_hops(
        &self,
        clinic: ClinicId,
        id: TicketId,
    ) -> StoreResult<Vec<(String, Option<String>, Timestamp, Option<Timestamp>)>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT status, desk, started_at_us, ended_at_us FROM ticket_hops WHERE clinic_id = $1 AND ticket_id = $2 ORDER BY n",
        )
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok((
                    rows::text(r, "status")?,
                    rows::opt_text(r, "desk")?,
                    rows::ts(r, "started_at_us")?,
                    rows::opt_int(r, "ended_at_us")?.map(rows::micros).transpose()?,
                ))
            })
            .collect()
    }
}
