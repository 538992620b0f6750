//! Issuing tickets: opening a queue's day (with its end-of-day timer), checking in a booked
//! appointment, a walk-in added at the desk, and the one insert all of them (and a patient
//! joining by link, `queue_join.rs`) go through. The place in the line is
//! `nobat_core::queue::order`'s decision; the queue is locked first (see `queue.rs`).

use super::queue::{QueueRequest, line, lock_queue, read_ticket, settings, write_placement};
use super::queue_tickets::{hop, snapshot};
use crate::audit::Audit;
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::queues::Ticket;
use crate::rows;
use crate::tx::WriteTx;
use nobat_core::queue::{self as q, Kind, TicketStatus};
use nobat_core::{
    AppointmentId, AppointmentStatus, ClinicId, DomainError, LocationId, PatientContact, PractitionerId, QueueId,
    ServiceId, TicketId,
};

/// The patient record of a walk-in: recognised by contact like a guest booking, or, with no
/// contact at all, a new record for this visit.
pub(crate) async fn walk_in_patient(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    c: &PatientContact,
) -> StoreResult<nobat_core::PatientId> {
    if c.phone.is_some() || c.email.is_some() {
        return Ok(super::booking::find_or_create_patient(tx, clinic, c, None).await?.0);
    }
    let id = nobat_core::PatientId::new();
    crate::db::query(
        "INSERT INTO patients (clinic_id, id, name, phone, email, language, contact_key, created_at_us, user_id) \
         VALUES ($1, $2, $3, NULL, NULL, $4, $5, $6, NULL)",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .bind(&c.name)
    .bind(c.language.as_deref())
    .bind(format!("walk-in:{id}"))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(id)
}

/// Finds or creates the queue of a location's day (per practitioner, per service, or the
/// location's general one), with the next free code prefix.
pub(crate) async fn open(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    location: LocationId,
    date: jiff::civil::Date,
    practitioner: Option<PractitionerId>,
    service: Option<ServiceId>,
) -> StoreResult<QueueId> {
    let found = crate::db::query(
        "SELECT id FROM queues WHERE clinic_id = $1 AND location_id = $2 AND date = $3 \
         AND COALESCE(practitioner_id, '') = $4 AND COALESCE(service_id, '') = $5",
    )
    .bind(clinic.to_string())
    .bind(location.to_string())
    .bind(date.to_string())
    .bind(practitioner.map(|p| p.to_string()).unwrap_or_default())
    .bind(service.map(|s| s.to_string()).unwrap_or_default())
    .fetch_optional(&mut *tx.conn)
    .await?;
    if let Some(row) = found {
        return rows::parse(&row, "id");
    }
    let name_of = |table: &'static str, id: String| {
        crate::db::query(format!("SELECT name FROM {table} WHERE clinic_id = $1 AND id = $2"))
            .bind(clinic.to_string())
            .bind(id)
    };
    let location_name = name_of("locations", location.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("location"))?;
    let mut name = rows::text(&location_name, "name")?;
    if let Some(p) = practitioner {
        let row = name_of("practitioners", p.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or_else(|| DomainError::invalid("practitioner", "no such practitioner in this clinic"))?;
        name = rows::text(&row, "name")?;
    }
    if let Some(s) = service {
        let row = name_of("services", s.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or_else(|| DomainError::invalid("service", "no such service in this clinic"))?;
        name = format!("{name} · {}", rows::text(&row, "name")?);
    }
    let n =
        crate::db::query("SELECT COUNT(*) AS n FROM queues WHERE clinic_id = $1 AND location_id = $2 AND date = $3")
            .bind(clinic.to_string())
            .bind(location.to_string())
            .bind(date.to_string())
            .fetch_one(&mut *tx.conn)
            .await?;
    let prefix = q::prefix(usize::try_from(rows::int(&n, "n")?).unwrap_or(0));
    let id = QueueId::new();
    // A concurrent first use in another process makes one of the two inserts fail on a
    // unique key; the writer retries that command, which then finds the other's queue.
    crate::db::query(
        "INSERT INTO queues (clinic_id, id, location_id, date, practitioner_id, service_id, code_prefix, name, \
         next_number, version, closed_at_us, created_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, 0, NULL, $9)",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .bind(location.to_string())
    .bind(date.to_string())
    .bind(practitioner.map(|p| p.to_string()))
    .bind(service.map(|s| s.to_string()))
    .bind(prefix)
    .bind(name)
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    let subjects = Subjects { queue: Some(id), location: Some(location), practitioner, service, ..Subjects::default() };
    tx.emit(clinic, EventKind::QueueChanged, subjects).await?;
    super::queue_day::schedule_day_end(tx, clinic, id, location, date).await?;
    Ok(id)
}

pub(crate) async fn check_in(tx: &mut WriteTx<'_>, r: &QueueRequest, id: AppointmentId) -> StoreResult<Ticket> {
    let appt = super::slot_lock::locked_appointment(tx, r.clinic, id).await?;
    let open_ticket = crate::db::query(
        "SELECT code FROM tickets WHERE clinic_id = $1 AND appointment_id = $2 AND status <> 'transferred'",
    )
    .bind(r.clinic.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?;
    if let Some(row) = open_ticket {
        return Err(StoreError::AlreadyExists(format!(
            "this appointment is already checked in (ticket {})",
            rows::text(&row, "code")?
        )));
    }
    if appt.status != AppointmentStatus::Booked {
        return Err(DomainError::IllegalTransition { from: appt.status.as_str(), to: "checked in" }.into());
    }
    let tz_row = crate::db::query("SELECT time_zone FROM locations WHERE clinic_id = $1 AND id = $2")
        .bind(r.clinic.to_string())
        .bind(appt.location.to_string())
        .fetch_one(&mut *tx.conn)
        .await?;
    let tz = nobat_core::zones::get(&rows::text(&tz_row, "time_zone")?)
        .map_err(|e| StoreError::Corrupt(format!("location zone: {e}")))?;
    let date = appt.start.to_zoned(tz).date();
    let queue = open(tx, r.clinic, appt.location, date, Some(appt.practitioner), None).await?;
    lock_queue(tx, r.clinic, queue).await?;
    let (grace, _) = settings(tx, r.clinic).await?;
    let arrival = q::Arrival::of(appt.start, tx.now);
    // Later than the grace period: the appointment's place is lost (see core::queue::order).
    let kind =
        if q::order::places_as_walk_in(appt.start, tx.now, grace) { Kind::WalkIn } else { Kind::Booked(appt.start) };
    // The appointment is `arrived` (from which FHIR allows both fulfilled and noshow).
    let status = super::StatusRequest {
        clinic: r.clinic,
        appointment: id,
        status: AppointmentStatus::Arrived,
        audit_actor: r.actor.clone(),
    };
    super::changes::set_status(tx, &status).await?;
    let issue = Issue {
        queue,
        patient: appt.patient,
        kind,
        priority: 0,
        appointment: Some((id, appt.start)),
        arrival: Some(arrival),
        service: Some(appt.service),
    };
    issue_ticket(tx, r, &issue).await
}

pub(crate) struct Issue {
    pub queue: QueueId,
    pub patient: nobat_core::PatientId,
    pub kind: Kind,
    pub priority: u8,
    pub appointment: Option<(AppointmentId, jiff::Timestamp)>,
    pub arrival: Option<q::Arrival>,
    pub service: Option<ServiceId>,
}

/// Inserts a waiting ticket placed by the core's rule; the queue is locked by the caller.
pub(crate) async fn issue_ticket(tx: &mut WriteTx<'_>, r: &QueueRequest, i: &Issue) -> StoreResult<Ticket> {
    let locked = lock_queue(tx, r.clinic, i.queue).await?;
    if locked.closed {
        return Err(DomainError::Refused("this queue's day is closed".into()).into());
    }
    let (_, rule) = settings(tx, r.clinic).await?;
    let current = line(tx, r.clinic, i.queue).await?;
    let placement = q::order::place(&current, i.kind, i.priority, rule);
    let id = TicketId::new();
    let number = locked.next_number;
    crate::db::query("UPDATE queues SET next_number = next_number + 1 WHERE clinic_id = $1 AND id = $2")
        .bind(r.clinic.to_string())
        .bind(i.queue.to_string())
        .execute(&mut *tx.conn)
        .await?;
    let kind = match i.kind {
        Kind::Booked(_) => "booked",
        Kind::WalkIn => "walk_in",
    };
    crate::db::query(
        "INSERT INTO tickets (clinic_id, id, queue_id, number, code, status, rank, kind, priority, appointment_id, \
         booked_start_us, arrival, patient_id, service_id, desk, called_by, transferred_to, created_at_us, \
         called_at_us, served_at_us, finished_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, NULL, $14, NULL, NULL, NULL, $14)",
    )
    .bind(r.clinic.to_string())
    .bind(id.to_string())
    .bind(i.queue.to_string())
    .bind(number)
    .bind(q::code(&locked.prefix, number))
    .bind(placement.rank)
    .bind(kind)
    .bind(i64::from(i.priority))
    .bind(i.appointment.map(|(a, _)| a.to_string()))
    .bind(i.appointment.map(|(_, s)| s.as_microsecond()))
    .bind(i.arrival.map(|a| a.as_str()))
    .bind(i.patient.to_string())
    .bind(i.service.map(|s| s.to_string()))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    write_placement(tx, r.clinic, id, &q::Placement { rank: placement.rank, renumber: placement.renumber }).await?;
    hop(tx, r.clinic, id, i.queue, TicketStatus::Waiting, None).await?;
    let subjects = Subjects {
        ticket: Some(id),
        queue: Some(i.queue),
        location: Some(locked.location),
        appointment: i.appointment.map(|(a, _)| a),
        ..Subjects::default()
    };
    tx.emit(r.clinic, EventKind::TicketIssued, subjects).await?;
    let t = read_ticket(tx, r.clinic, id).await?;
    tx.audit(r.clinic, &r.actor, Audit::new("issue", "ticket", &id.to_string()).after(&audit_view(&t)));
    snapshot(tx, r.clinic, i.queue).await?;
    Ok(t)
}

/// What the audit trail keeps of a ticket: no name (the patient id says who).
pub(crate) fn audit_view(t: &Ticket) -> serde_json::Value {
    serde_json::json!({
        "code": t.code, "status": t.status, "queue": t.queue, "patient": t.patient,
        "appointment": t.appointment, "desk": t.desk, "priority": t.priority, "arrival": t.arrival,
    })
}
