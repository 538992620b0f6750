//! The day-of queue: opening queues, issuing tickets (check-in, walk-in) and calling the next
//! one. Every command that changes a line first takes the queue's row lock ([`lock_queue`]):
//! on PostgreSQL two processes' desks calling at once queue on that row, so the second reads
//! the line after the first committed and cannot call the same ticket; on SQLite the single
//! writer does the same. The order itself is decided by `nobat_core::queue::order`.
//! Status changes of a ticket are in `queue_tickets.rs`.

use super::idempotency::{self, Idempotency};
use super::queue_tickets::{close_hop, hop, snapshot};
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::queues::{self, Queue, TICKET_COLS, TICKET_FROM, Ticket};
use crate::rows;
use crate::tx::WriteTx;
use jiff::SignedDuration;
use nobat_core::queue::{self as q, Action, InLine, Kind, Rule, TicketStatus};
use nobat_core::{
    AppointmentId, AppointmentStatus, ClinicId, DomainError, LocationId, PatientContact, PractitionerId, QueueId,
    ServiceId, TicketId,
};

/// A queue operation, with who asks.
#[derive(Debug, Clone)]
pub struct QueueRequest {
    pub clinic: ClinicId,
    pub actor: AuditActor,
    pub op: QueueOp,
}

#[derive(Debug, Clone)]
pub enum QueueOp {
    /// Opens (or finds) the queue of a location's day, per practitioner or service.
    Open {
        location: LocationId,
        date: jiff::civil::Date,
        practitioner: Option<PractitionerId>,
        service: Option<ServiceId>,
    },
    /// A booked patient arrives: a ticket in the practitioner's queue of the appointment's day.
    CheckIn {
        appointment: AppointmentId,
    },
    WalkIn {
        queue: QueueId,
        patient: PatientContact,
        service: Option<ServiceId>,
        priority: u8,
    },
    /// `caller` identifies the desk (user and desk name): a second call from the same desk
    /// within [`DEBOUNCE`] answers the ticket just called instead of calling another.
    CallNext {
        queue: QueueId,
        desk: Option<String>,
        caller: String,
        idempotency: Option<Idempotency>,
    },
    Act {
        ticket: TicketId,
        action: Action,
        reason: Option<String>,
        to_queue: Option<QueueId>,
        position: Option<u32>,
    },
    /// Closes a queue's day: every open ticket gets its final status.
    Close {
        queue: QueueId,
    },
    /// Sets the clinic's grace period and walk-in rule.
    Settings(q::Settings),
}

/// A double-clicked "call next" from one desk arrives within this.
pub const DEBOUNCE: SignedDuration = SignedDuration::from_secs(3);
/// The grace timer's job kind; key: the ticket id.
pub const QUEUE_GRACE: &str = "queue.grace";

/// The clinic's queue settings: grace period and walk-in rule.
pub(crate) async fn settings(tx: &mut WriteTx<'_>, clinic: ClinicId) -> StoreResult<(SignedDuration, Rule)> {
    let row = crate::db::query("SELECT grace_min, walk_in_every FROM queue_settings WHERE clinic_id = $1")
        .bind(clinic.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?;
    Ok(match row {
        None => (q::DEFAULT_GRACE, Rule::default()),
        Some(r) => (
            SignedDuration::from_mins(rows::int(&r, "grace_min")?),
            Rule { walk_in_every: u32::try_from(rows::int(&r, "walk_in_every")?).unwrap_or(2) },
        ),
    })
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, r: &QueueRequest) -> StoreResult<super::Output> {
    let ticket = match &r.op {
        QueueOp::Open { location, date, practitioner, service } => {
            let id = open(tx, r.clinic, *location, *date, *practitioner, *service).await?;
            return Ok(super::Output::Queue(Box::new(read_queue(tx, r.clinic, id).await?)));
        }
        QueueOp::CheckIn { appointment } => check_in(tx, r, *appointment).await?,
        QueueOp::WalkIn { queue, patient, service, priority } => {
            lock_queue(tx, r.clinic, *queue).await?;
            let patient = walk_in_patient(tx, r.clinic, patient).await?;
            let issue = Issue {
                queue: *queue,
                patient,
                kind: Kind::WalkIn,
                priority: *priority,
                appointment: None,
                arrival: None,
                service: *service,
            };
            issue_ticket(tx, r, &issue).await?
        }
        QueueOp::CallNext { queue, desk, caller, idempotency } => {
            if let Some(t) = idempotency::replay::<Ticket>(tx, r.clinic, idempotency.as_ref()).await? {
                return Ok(super::Output::Ticket(Box::new(t)));
            }
            let t = call_next(tx, r, *queue, desk.as_deref(), caller).await?;
            idempotency::remember(tx, r.clinic, idempotency.as_ref(), 200, &t).await?;
            t
        }
        QueueOp::Act { ticket, action, reason, to_queue, position } => {
            let act = super::queue_tickets::Act {
                action: *action,
                reason: reason.clone(),
                to_queue: *to_queue,
                position: *position,
            };
            super::queue_tickets::act(tx, r, *ticket, &act).await?
        }
        QueueOp::Settings(set) => {
            crate::db::query(
                "INSERT INTO queue_settings (clinic_id, grace_min, walk_in_every, updated_at_us) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (clinic_id) DO UPDATE SET grace_min = excluded.grace_min, \
                 walk_in_every = excluded.walk_in_every, updated_at_us = excluded.updated_at_us",
            )
            .bind(r.clinic.to_string())
            .bind(i64::from(set.grace_min))
            .bind(i64::from(set.walk_in_every))
            .bind(tx.now.as_microsecond())
            .execute(&mut *tx.conn)
            .await?;
            tx.audit(r.clinic, &r.actor, Audit::new("queue_settings", "clinic", &r.clinic.to_string()).after(set));
            return Ok(super::Output::Done);
        }
        QueueOp::Close { queue } => {
            super::queue_tickets::close(tx, r, *queue).await?;
            return Ok(super::Output::Queue(Box::new(read_queue(tx, r.clinic, *queue).await?)));
        }
    };
    Ok(super::Output::Ticket(Box::new(ticket)))
}

/// The patient record of a walk-in: recognised by contact like a guest booking, or, with no
/// contact at all, a new record for this visit.
async fn walk_in_patient(
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

/// Takes the queue's row lock (see the module doc); a closed queue takes nothing new.
pub(crate) async fn lock_queue(tx: &mut WriteTx<'_>, clinic: ClinicId, id: QueueId) -> StoreResult<LockedQueue> {
    let row = crate::db::query(
        "UPDATE queues SET version = version + 1 WHERE clinic_id = $1 AND id = $2 \
         RETURNING location_id, code_prefix, next_number, closed_at_us",
    )
    .bind(clinic.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("queue"))?;
    Ok(LockedQueue {
        location: rows::parse(&row, "location_id")?,
        prefix: rows::text(&row, "code_prefix")?,
        next_number: rows::int(&row, "next_number")?,
        closed: rows::opt_int(&row, "closed_at_us")?.is_some(),
    })
}

pub(crate) struct LockedQueue {
    pub location: LocationId,
    pub prefix: String,
    pub next_number: i64,
    pub closed: bool,
}

pub(crate) async fn read_queue(tx: &mut WriteTx<'_>, clinic: ClinicId, id: QueueId) -> StoreResult<Queue> {
    let sql = format!("SELECT {} FROM queues q WHERE q.clinic_id = $1 AND q.id = $2", queues::QUEUE_COLS);
    let row = crate::db::query(sql).bind(clinic.to_string()).bind(id.to_string()).fetch_one(&mut *tx.conn).await?;
    queues::queue(&row)
}

pub(crate) async fn read_ticket(tx: &mut WriteTx<'_>, clinic: ClinicId, id: TicketId) -> StoreResult<Ticket> {
    let sql = format!("SELECT {TICKET_COLS} {TICKET_FROM} WHERE t.clinic_id = $1 AND t.id = $2");
    let row = crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
        .ok_or(StoreError::NotFound("ticket"))?;
    queues::ticket(&row)
}

/// The queue's waiting tickets in call order, as the ordering sees them.
pub(crate) async fn line(tx: &mut WriteTx<'_>, clinic: ClinicId, queue: QueueId) -> StoreResult<Vec<InLine>> {
    let found = crate::db::query(
        "SELECT id, rank, kind, priority, booked_start_us FROM tickets \
         WHERE clinic_id = $1 AND queue_id = $2 AND status = 'waiting' ORDER BY rank",
    )
    .bind(clinic.to_string())
    .bind(queue.to_string())
    .fetch_all(&mut *tx.conn)
    .await?;
    found
        .iter()
        .map(|r| {
            let kind = match (rows::text(r, "kind")?.as_str(), rows::opt_int(r, "booked_start_us")?) {
                ("booked", Some(us)) => Kind::Booked(rows::micros(us)?),
                _ => Kind::WalkIn,
            };
            Ok(InLine {
                id: rows::parse(r, "id")?,
                rank: rows::int(r, "rank")?,
                kind,
                priority: u8::try_from(rows::int(r, "priority")?).unwrap_or(0),
            })
        })
        .collect()
}

/// Writes a placement: the ticket's rank and, when the line was renumbered, everyone's.
pub(crate) async fn write_placement(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    ticket: TicketId,
    p: &q::Placement,
) -> StoreResult<()> {
    for (id, rank) in p.renumber.iter().chain(std::iter::once(&(ticket, p.rank))) {
        crate::db::query("UPDATE tickets SET rank = $3 WHERE clinic_id = $1 AND id = $2")
            .bind(clinic.to_string())
            .bind(id.to_string())
            .bind(*rank)
            .execute(&mut *tx.conn)
            .await?;
    }
    Ok(())
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
    Ok(id)
}

async fn check_in(tx: &mut WriteTx<'_>, r: &QueueRequest, id: AppointmentId) -> StoreResult<Ticket> {
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

async fn call_next(
    tx: &mut WriteTx<'_>,
    r: &QueueRequest,
    queue: QueueId,
    desk: Option<&str>,
    caller: &str,
) -> StoreResult<Ticket> {
    let locked = lock_queue(tx, r.clinic, queue).await?;
    // The same desk pressing again within the debounce: the ticket it just called.
    let since = tx.now.checked_sub(DEBOUNCE).unwrap_or(tx.now);
    let recent = crate::db::query(
        "SELECT id FROM tickets WHERE clinic_id = $1 AND queue_id = $2 AND status = 'called' AND called_by = $3 \
         AND called_at_us >= $4 ORDER BY called_at_us DESC LIMIT 1",
    )
    .bind(r.clinic.to_string())
    .bind(queue.to_string())
    .bind(caller)
    .bind(since.as_microsecond())
    .fetch_optional(&mut *tx.conn)
    .await?;
    if let Some(row) = recent {
        return read_ticket(tx, r.clinic, rows::parse(&row, "id")?).await;
    }
    let head = line(tx, r.clinic, queue).await?.into_iter().next().ok_or(DomainError::QueueEmpty)?;
    q::apply(TicketStatus::Waiting, Action::Call)?;
    crate::db::query(
        "UPDATE tickets SET status = 'called', desk = $3, called_by = $4, called_at_us = $5, updated_at_us = $5 \
         WHERE clinic_id = $1 AND id = $2 AND status = 'waiting'",
    )
    .bind(r.clinic.to_string())
    .bind(head.id.to_string())
    .bind(desk)
    .bind(caller)
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    close_hop(tx, r.clinic, head.id).await?;
    hop(tx, r.clinic, head.id, queue, TicketStatus::Called, desk).await?;
    let subjects =
        Subjects { ticket: Some(head.id), queue: Some(queue), location: Some(locked.location), ..Subjects::default() };
    tx.emit(r.clinic, EventKind::TicketCalled, subjects).await?;
    let t = read_ticket(tx, r.clinic, head.id).await?;
    tx.audit(r.clinic, &r.actor, Audit::new("call", "ticket", &head.id.to_string()).after(&audit_view(&t)));
    snapshot(tx, r.clinic, queue).await?;
    Ok(t)
}
