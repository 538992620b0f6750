//! The day-of queue: its operations, the settings, and calling the next ticket. Issuing
//! tickets (opening a day, check-in, walk-in) is in `queue_issue.rs`, joining by link in
//! `queue_join.rs`, a ticket's status changes in `queue_tickets.rs`.
//!  Every command that changes a line first takes the queue's row lock ([`lock_queue`]):
//! on PostgreSQL two processes' desks calling at once queue on that row, so the second reads
//! the line after the first committed and cannot call the same ticket; on SQLite the single
//! writer does the same. The order itself is decided by `nobat_core::queue::order`.

use super::idempotency::{self, Idempotency};
use super::queue_issue::{Issue, audit_view, check_in, issue_ticket, open, walk_in_patient};
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
    AppointmentId, ClinicId, DomainError, JoinLinkId, LocationId, PatientContact, PractitionerId, QueueId, ServiceId,
    TicketId,
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
    /// Sets the clinic's queue settings.
    Settings(q::Settings),
    /// Makes a join link for a location's general queue of the day, or for one queue.
    CreateJoinLink {
        location: LocationId,
        queue: Option<QueueId>,
    },
    /// Revokes a join link: its token stops opening.
    RevokeJoinLink {
        link: JoinLinkId,
    },
    /// A patient joins by link (see `queue_join.rs`).
    Join {
        link: JoinLinkId,
        joiner: q::remote::Joiner,
    },
}

impl QueueOp {
    /// The queue whose row the operation locks first, when the request names it.
    pub(crate) fn queue(&self) -> Option<QueueId> {
        match self {
            QueueOp::WalkIn { queue, .. } | QueueOp::CallNext { queue, .. } | QueueOp::Close { queue } => Some(*queue),
            _ => None,
        }
    }
}

/// A double-clicked "call next" from one desk arrives within this.
pub const DEBOUNCE: SignedDuration = SignedDuration::from_secs(3);
/// The grace timer's job kind; key: the ticket id.
pub const QUEUE_GRACE: &str = "queue.grace";
/// The end-of-day timer's job kind; key: the queue id.
pub const QUEUE_CLOSE: &str = "queue.close";

/// Every queue setting of the clinic (the defaults when it never set them).
pub(crate) async fn full_settings(tx: &mut WriteTx<'_>, clinic: ClinicId) -> StoreResult<q::Settings> {
    let row = crate::db::query(
        "SELECT grace_min, walk_in_every, remote_join, remote_cap, close_after_min FROM queue_settings \
         WHERE clinic_id = $1",
    )
    .bind(clinic.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?;
    row.as_ref().map_or(Ok(q::Settings::default()), crate::queues::settings_row)
}

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
                "INSERT INTO queue_settings (clinic_id, grace_min, walk_in_every, updated_at_us, remote_join, \
                 remote_cap, close_after_min) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (clinic_id) DO UPDATE SET grace_min = excluded.grace_min, \
                 walk_in_every = excluded.walk_in_every, updated_at_us = excluded.updated_at_us, \
                 remote_join = excluded.remote_join, remote_cap = excluded.remote_cap, \
                 close_after_min = excluded.close_after_min",
            )
            .bind(r.clinic.to_string())
            .bind(i64::from(set.grace_min))
            .bind(i64::from(set.walk_in_every))
            .bind(tx.now.as_microsecond())
            .bind(i64::from(set.remote_join))
            .bind(i64::from(set.remote_cap))
            .bind(i64::from(set.close_after_min))
            .execute(&mut *tx.conn)
            .await?;
            tx.audit(r.clinic, &r.actor, Audit::new("queue_settings", "clinic", &r.clinic.to_string()).after(set));
            return Ok(super::Output::Done);
        }
        QueueOp::Close { queue } => {
            super::queue_day::close(tx, r.clinic, &r.actor, *queue).await?;
            return Ok(super::Output::Queue(Box::new(read_queue(tx, r.clinic, *queue).await?)));
        }
        QueueOp::CreateJoinLink { location, queue } => {
            let link = super::queue_join::create_link(tx, r, *location, *queue).await?;
            return Ok(super::Output::JoinLink(link));
        }
        QueueOp::RevokeJoinLink { link } => {
            super::queue_join::revoke_link(tx, r, *link).await?;
            return Ok(super::Output::Done);
        }
        QueueOp::Join { link, joiner } => super::queue_join::join(tx, r, *link, joiner).await?,
    };
    Ok(super::Output::Ticket(Box::new(ticket)))
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
