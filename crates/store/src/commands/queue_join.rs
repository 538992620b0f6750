//! Patients joining a line themselves from a join link (or the QR code printing it): making
//! and revoking links, and the join — a walk-in ticket issued like one added at the desk,
//! when the clinic allows it, the day is open and the line is shorter than the clinic's cap
//! (`nobat_core::queue::remote::may_join`). The checks and the insert happen under the queue's
//! row lock, so two patients joining at once cannot both take the last place under the cap.

use super::queue::{QueueRequest, full_settings, lock_queue};
use super::queue_issue::{Issue, issue_ticket, open, walk_in_patient};
use crate::audit::Audit;
use crate::error::{StoreError, StoreResult};
use crate::queues::{JoinLink, Ticket};
use crate::rows;
use crate::tx::WriteTx;
use nobat_core::queue::{Kind, remote};
use nobat_core::{DomainError, JoinLinkId, LocationId, QueueId};

pub(crate) async fn create_link(
    tx: &mut WriteTx<'_>,
    r: &QueueRequest,
    location: LocationId,
    queue: Option<QueueId>,
) -> StoreResult<JoinLink> {
    if let Some(q) = queue {
        let row = crate::db::query("SELECT location_id FROM queues WHERE clinic_id = $1 AND id = $2")
            .bind(r.clinic.to_string())
            .bind(q.to_string())
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or_else(|| DomainError::invalid("queue", "no such queue in this clinic"))?;
        if rows::parse::<LocationId>(&row, "location_id")? != location {
            return Err(DomainError::invalid("queue", "this queue is at another location").into());
        }
    }
    let id = JoinLinkId::new();
    crate::db::query(
        "INSERT INTO queue_join_links (clinic_id, id, location_id, queue_id, created_at_us, revoked_at_us) \
         VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(r.clinic.to_string())
    .bind(id.to_string())
    .bind(location.to_string())
    .bind(queue.map(|q| q.to_string()))
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    let link = read_link(tx, r, id).await?;
    tx.audit(r.clinic, &r.actor, Audit::new("create", "join_link", &id.to_string()).after(&link));
    Ok(link)
}

async fn read_link(tx: &mut WriteTx<'_>, r: &QueueRequest, id: JoinLinkId) -> StoreResult<JoinLink> {
    let row = crate::db::query(
        "SELECT clinic_id, id, location_id, queue_id, created_at_us, revoked_at_us FROM queue_join_links \
         WHERE clinic_id = $1 AND id = $2",
    )
    .bind(r.clinic.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("join link"))?;
    crate::queues::join_link(&row)
}

/// Revokes a link (again: nothing changes).
pub(crate) async fn revoke_link(tx: &mut WriteTx<'_>, r: &QueueRequest, id: JoinLinkId) -> StoreResult<()> {
    let before = read_link(tx, r, id).await?;
    if before.revoked_at.is_some() {
        return Ok(());
    }
    crate::db::query("UPDATE queue_join_links SET revoked_at_us = $3 WHERE clinic_id = $1 AND id = $2")
        .bind(r.clinic.to_string())
        .bind(id.to_string())
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    tx.audit(r.clinic, &r.actor, Audit::new("revoke", "join_link", &id.to_string()).before(&before));
    Ok(())
}

/// A patient joins by link: a walk-in ticket in the link's queue (or the location's general
/// queue of today, opened on first use).
pub(crate) async fn join(
    tx: &mut WriteTx<'_>,
    r: &QueueRequest,
    link: JoinLinkId,
    joiner: &remote::Joiner,
) -> StoreResult<Ticket> {
    let link = read_link(tx, r, link).await?;
    if link.revoked_at.is_some() {
        return Err(StoreError::NotFound("join link"));
    }
    let settings = full_settings(tx, r.clinic).await?;
    // Refused before anything is opened or written when the clinic does not take joins.
    remote::may_join(&settings, false, 0)?;
    let queue = match link.queue {
        Some(q) => q,
        None => {
            let tz_row = crate::db::query("SELECT time_zone FROM locations WHERE clinic_id = $1 AND id = $2")
                .bind(r.clinic.to_string())
                .bind(link.location.to_string())
                .fetch_one(&mut *tx.conn)
                .await?;
            let tz = nobat_core::zones::get(&rows::text(&tz_row, "time_zone")?)
                .map_err(|e| StoreError::Corrupt(format!("location zone: {e}")))?;
            open(tx, r.clinic, link.location, tx.now.to_zoned(tz).date(), None, None).await?
        }
    };
    let locked = lock_queue(tx, r.clinic, queue).await?;
    let waiting = crate::db::query(
        "SELECT COUNT(*) AS n FROM tickets WHERE clinic_id = $1 AND queue_id = $2 AND status = 'waiting'",
    )
    .bind(r.clinic.to_string())
    .bind(queue.to_string())
    .fetch_one(&mut *tx.conn)
    .await?;
    let waiting = u32::try_from(rows::int(&waiting, "n")?).unwrap_or(u32::MAX);
    remote::may_join(&settings, locked.closed, waiting)?;
    let patient = walk_in_patient(tx, r.clinic, &joiner.contact).await?;
    let issue =
        Issue { queue, patient, kind: Kind::WalkIn, priority: 0, appointment: None, arrival: None, service: None };
    let ticket = issue_ticket(tx, r, &issue).await?;
    if let Some(chat) = &joiner.telegram_chat {
        crate::db::query("UPDATE tickets SET telegram_chat = $3 WHERE clinic_id = $1 AND id = $2")
            .bind(r.clinic.to_string())
            .bind(ticket.id.to_string())
            .bind(chat)
            .execute(&mut *tx.conn)
            .await?;
    }
    Ok(ticket)
}
