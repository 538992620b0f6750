//! A ticket's status changes (recall, start, finish, absent, return, emergency, leave,
//! transfer, reorder), the grace timer's no-show, and what every change
//! records besides the ticket: its hop (one row per state entered, with start and end) and the
//! queue's hourly snapshot. The transition table is `nobat_core::queue::state`.

use super::jobs::{IfScheduled, NewJob, cancel_in, schedule_in};
use super::queue::{QUEUE_GRACE, QueueRequest, line, lock_queue, read_ticket, settings, write_placement};
use super::queue_issue::{Issue, audit_view, issue_ticket};
use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::events::{EventKind, Subjects};
use crate::queues::Ticket;
use crate::rows;
use crate::tx::WriteTx;
use nobat_core::queue::{self as q, Action, Kind, TicketStatus};
use nobat_core::{AppointmentStatus, ClinicId, DomainError, QueueId, TicketId};

/// One staff action on a ticket, with what some actions need.
pub(crate) struct Act {
    pub action: Action,
    pub reason: Option<String>,
    pub to_queue: Option<QueueId>,
    pub position: Option<u32>,
}

/// Records that a ticket entered `status`: ends its open hop and starts a new one (a final
/// status's hop starts and ends at once).
pub(crate) async fn hop(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    ticket: TicketId,
    queue: QueueId,
    status: TicketStatus,
    desk: Option<&str>,
) -> StoreResult<()> {
    close_hop(tx, clinic, ticket).await?;
    let n =
        crate::db::query("SELECT COALESCE(MAX(n), 0) AS n FROM ticket_hops WHERE clinic_id = $1 AND ticket_id = $2")
            .bind(clinic.to_string())
            .bind(ticket.to_string())
            .fetch_one(&mut *tx.conn)
            .await?;
    let now = tx.now.as_microsecond();
    crate::db::query(
        "INSERT INTO ticket_hops (clinic_id, ticket_id, n, queue_id, status, desk, started_at_us, ended_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(clinic.to_string())
    .bind(ticket.to_string())
    .bind(rows::int(&n, "n")? + 1)
    .bind(queue.to_string())
    .bind(status.as_str())
    .bind(desk)
    .bind(now)
    .bind(status.is_final().then_some(now))
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

pub(crate) async fn close_hop(tx: &mut WriteTx<'_>, clinic: ClinicId, ticket: TicketId) -> StoreResult<()> {
    crate::db::query(
        "UPDATE ticket_hops SET ended_at_us = $3 WHERE clinic_id = $1 AND ticket_id = $2 AND ended_at_us IS NULL",
    )
    .bind(clinic.to_string())
    .bind(ticket.to_string())
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

/// Updates the queue's snapshot of the current hour: the line now, the longest line seen,
/// tickets called and served this hour, and their summed waits.
pub(crate) async fn snapshot(tx: &mut WriteTx<'_>, clinic: ClinicId, queue: QueueId) -> StoreResult<()> {
    const HOUR: i64 = 3_600_000_000;
    let now = tx.now.as_microsecond();
    let hour = now - now.rem_euclid(HOUR);
    crate::db::query(
        "INSERT INTO queue_snapshots (clinic_id, queue_id, hour_us, waiting, max_waiting, called, served, wait_sum_s, updated_at_us) \
         SELECT $1, $2, $3, \
           (SELECT COUNT(*) FROM tickets WHERE clinic_id = $1 AND queue_id = $2 AND status = 'waiting'), \
           (SELECT COUNT(*) FROM tickets WHERE clinic_id = $1 AND queue_id = $2 AND status = 'waiting'), \
           (SELECT COUNT(*) FROM tickets WHERE clinic_id = $1 AND queue_id = $2 AND called_at_us >= $3), \
           (SELECT COUNT(*) FROM tickets WHERE clinic_id = $1 AND queue_id = $2 AND status = 'done' AND finished_at_us >= $3), \
           (SELECT CAST(COALESCE(SUM((called_at_us - created_at_us) / 1000000), 0) AS BIGINT) FROM tickets \
              WHERE clinic_id = $1 AND queue_id = $2 AND called_at_us >= $3), \
           $4 \
         ON CONFLICT (clinic_id, queue_id, hour_us) DO UPDATE SET waiting = excluded.waiting, \
           max_waiting = CASE WHEN queue_snapshots.max_waiting > excluded.max_waiting THEN queue_snapshots.max_waiting ELSE excluded.max_waiting END, \
           called = excluded.called, served = excluded.served, wait_sum_s = excluded.wait_sum_s, updated_at_us = excluded.updated_at_us",
    )
    .bind(clinic.to_string())
    .bind(queue.to_string())
    .bind(hour)
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    Ok(())
}

pub(crate) async fn set_status(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: TicketId,
    to: TicketStatus,
    extra: &str,
) -> StoreResult<()> {
    let sql = format!("UPDATE tickets SET status = $3, updated_at_us = $4{extra} WHERE clinic_id = $1 AND id = $2");
    crate::db::query(sql)
        .bind(clinic.to_string())
        .bind(id.to_string())
        .bind(to.as_str())
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    Ok(())
}

/// Moves the ticket's appointment along (fulfilled when served, noshow when the grace ran
/// out), if it has one and the appointment's table allows it.
pub(crate) async fn appointment_follows(
    tx: &mut WriteTx<'_>,
    t: &Ticket,
    status: AppointmentStatus,
    actor: &AuditActor,
) -> StoreResult<()> {
    let Some(appointment) = t.appointment else { return Ok(()) };
    let req = super::StatusRequest { clinic: t.clinic, appointment, status, audit_actor: actor.clone() };
    match super::changes::set_status(tx, &req).await {
        // Staff changed the appointment by hand meanwhile: the ticket still moves.
        Err(StoreError::Domain(DomainError::IllegalTransition { .. })) => Ok(()),
        other => other.map(|_| ()),
    }
}

pub(crate) fn subjects(t: &Ticket) -> Subjects {
    Subjects {
        ticket: Some(t.id),
        queue: Some(t.queue),
        location: Some(t.location),
        appointment: t.appointment,
        ..Subjects::default()
    }
}

fn required(value: &Option<String>, field: &str) -> StoreResult<String> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(DomainError::invalid(field, "required: say why").into()),
    }
}

/// Applies one staff action to a ticket (see the module doc); returns the ticket after it (for
/// a transfer, the new ticket in the other queue).
pub(crate) async fn act(tx: &mut WriteTx<'_>, r: &QueueRequest, id: TicketId, a: &Act) -> StoreResult<Ticket> {
    let queue: QueueId = {
        let row = crate::db::query("SELECT queue_id FROM tickets WHERE clinic_id = $1 AND id = $2")
            .bind(r.clinic.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or(StoreError::NotFound("ticket"))?;
        rows::parse(&row, "queue_id")?
    };
    // Lock, then read: what we decide on cannot change before we commit.
    lock_queue(tx, r.clinic, queue).await?;
    let before = read_ticket(tx, r.clinic, id).await?;
    let to = q::apply(before.status, a.action)?;
    let clinic = r.clinic;
    let mut kind = EventKind::TicketChanged;
    let mut note = None;
    match a.action {
        Action::Recall => {
            set_status(tx, clinic, id, to, "").await?;
            kind = EventKind::TicketCalled;
        }
        Action::Start => {
            set_status(tx, clinic, id, to, ", served_at_us = $4").await?;
            hop(tx, clinic, id, queue, to, before.desk.as_deref()).await?;
        }
        Action::Finish => {
            set_status(tx, clinic, id, to, ", finished_at_us = $4").await?;
            hop(tx, clinic, id, queue, to, before.desk.as_deref()).await?;
            appointment_follows(tx, &before, AppointmentStatus::Fulfilled, &r.actor).await?;
        }
        Action::Absent => {
            set_status(tx, clinic, id, to, "").await?;
            hop(tx, clinic, id, queue, to, before.desk.as_deref()).await?;
            let (grace, _) = settings(tx, clinic).await?;
            let job = NewJob {
                clinic: Some(clinic),
                kind: QUEUE_GRACE,
                key: id.to_string(),
                run_at: tx.now.checked_add(grace).unwrap_or(tx.now),
                payload: serde_json::json!({ "ticket": id }),
                if_scheduled: IfScheduled::Replace,
            };
            schedule_in(tx, &job).await?;
        }
        Action::Return => {
            let current = line(tx, clinic, queue).await?;
            let p = q::order::return_placement(&current);
            set_status(tx, clinic, id, to, ", desk = NULL").await?;
            write_placement(tx, clinic, id, &p).await?;
            hop(tx, clinic, id, queue, to, None).await?;
            cancel_in(tx, Some(clinic), QUEUE_GRACE, &id.to_string()).await?;
        }
        Action::Emergency | Action::Reorder => {
            let reason = required(&a.reason, "reason")?;
            let position = match a.action {
                Action::Emergency => 1,
                _ => match a.position {
                    Some(p) if p >= 1 => p as usize,
                    _ => return Err(DomainError::invalid("position", "a place in the line, from 1").into()),
                },
            };
            let current = line(tx, clinic, queue).await?;
            let p = q::order::move_to(&current, id, position);
            write_placement(tx, clinic, id, &p).await?;
            note = Some(reason);
        }
        Action::Leave => {
            set_status(tx, clinic, id, to, ", finished_at_us = $4").await?;
            hop(tx, clinic, id, queue, to, None).await?;
            cancel_in(tx, Some(clinic), QUEUE_GRACE, &id.to_string()).await?;
        }
        Action::Transfer => {
            let target = a.to_queue.ok_or_else(|| DomainError::invalid("queue", "the queue to transfer to"))?;
            if target == queue {
                return Err(DomainError::invalid("queue", "the ticket is in this queue already").into());
            }
            set_status(tx, clinic, id, to, ", finished_at_us = $4").await?;
            hop(tx, clinic, id, queue, to, None).await?;
            tx.emit(clinic, EventKind::TicketChanged, subjects(&before)).await?;
            let issue = Issue {
                queue: target,
                patient: before.patient,
                kind: before.booked_start.map_or(Kind::WalkIn, Kind::Booked),
                priority: before.priority,
                appointment: before.appointment.zip(before.booked_start),
                arrival: None,
                service: before.service,
            };
            let moved = issue_ticket(tx, r, &issue).await?;
            crate::db::query("UPDATE tickets SET transferred_to = $3 WHERE clinic_id = $1 AND id = $2")
                .bind(clinic.to_string())
                .bind(id.to_string())
                .bind(moved.id.to_string())
                .execute(&mut *tx.conn)
                .await?;
            tx.audit(clinic, &r.actor, Audit::new("transfer", "ticket", &id.to_string()).after(&audit_view(&moved)));
            snapshot(tx, clinic, queue).await?;
            return Ok(moved);
        }
        Action::Call | Action::Expire | Action::Close => {
            return Err(DomainError::invalid("action", "not an action staff may name").into());
        }
    }
    tx.emit(clinic, kind, subjects(&before)).await?;
    let after = read_ticket(tx, clinic, id).await?;
    tx.audit(
        clinic,
        &r.actor,
        Audit::new(a.action.as_str(), "ticket", &id.to_string())
            .before(&audit_view(&before))
            .after(&audit_view(&after))
            .note(note.as_deref()),
    );
    snapshot(tx, clinic, queue).await?;
    Ok(after)
}

/// The grace timer: an absent ticket still absent becomes a no-show, and its appointment
/// `noshow`. A ticket that came back (or left) meanwhile is left alone.
pub(crate) async fn expire(tx: &mut WriteTx<'_>, clinic: ClinicId, id: TicketId) -> StoreResult<()> {
    let Some(row) = crate::db::query("SELECT queue_id FROM tickets WHERE clinic_id = $1 AND id = $2")
        .bind(clinic.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *tx.conn)
        .await?
    else {
        return Ok(());
    };
    let queue: QueueId = rows::parse(&row, "queue_id")?;
    lock_queue(tx, clinic, queue).await?;
    let before = read_ticket(tx, clinic, id).await?;
    let Ok(to) = q::apply(before.status, Action::Expire) else { return Ok(()) };
    let actor = AuditActor::new("system", "queue grace period");
    set_status(tx, clinic, id, to, ", finished_at_us = $4").await?;
    hop(tx, clinic, id, queue, to, None).await?;
    appointment_follows(tx, &before, AppointmentStatus::Noshow, &actor).await?;
    tx.emit(clinic, EventKind::TicketChanged, subjects(&before)).await?;
    let after = read_ticket(tx, clinic, id).await?;
    tx.audit(clinic, &actor, Audit::new("expire", "ticket", &id.to_string()).after(&audit_view(&after)));
    snapshot(tx, clinic, queue).await
}
