//! The outbox as a work queue: consumers (the notification dispatcher, webhooks) claim rows
//! with a lease, process them, and mark them done. A claim that is not completed before its
//! lease runs out becomes claimable again, so delivery is at-least-once across crashes; on
//! PostgreSQL `FOR UPDATE SKIP LOCKED` makes concurrent claimers in several processes take
//! disjoint rows, so no two do the same job at once.

use crate::error::{StoreError, StoreResult};
use crate::rows;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::ClinicId;
use serde::{Deserialize, Serialize};

/// A claimed outbox row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub clinic: ClinicId,
    pub id: String,
    pub topic: String,
    pub payload: serde_json::Value,
    /// How many times it has been claimed, this claim included.
    pub attempts: i64,
    /// This claim's token: completing or releasing the row needs it, so a claimer whose lease
    /// ran out cannot undo the claim of whoever took the row next.
    pub lease: String,
}

pub(crate) async fn claim(tx: &mut WriteTx<'_>, limit: u32, lease: SignedDuration) -> StoreResult<super::Output> {
    let until = tx.now.checked_add(lease).unwrap_or(Timestamp::MAX);
    let token = uuid::Uuid::new_v4().to_string();
    let sql = format!(
        "UPDATE outbox SET leased_until_us = $2, lease_token = $4, attempts = attempts + 1 WHERE (clinic_id, id) IN \
           (SELECT clinic_id, id FROM outbox \
             WHERE done_at_us IS NULL AND available_at_us <= $1 AND (leased_until_us IS NULL OR leased_until_us <= $1) \
             ORDER BY available_at_us, id LIMIT $3{}) \
         RETURNING clinic_id, id, topic, payload, attempts, lease_token",
        tx.skip_locked()
    );
    let found = crate::db::query(sql)
        .bind(tx.now.as_microsecond())
        .bind(until.as_microsecond())
        .bind(i64::from(limit.clamp(1, 1000)))
        .bind(token.as_str())
        .fetch_all(&mut *tx.conn)
        .await?;
    let mut items = found
        .iter()
        .map(|r| {
            Ok(OutboxItem {
                clinic: rows::parse(r, "clinic_id")?,
                id: rows::text(r, "id")?,
                topic: rows::text(r, "topic")?,
                payload: rows::json(r, "payload")?,
                attempts: rows::int(r, "attempts")?,
                lease: rows::text(r, "lease_token")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    // UUIDv7 ids sort by creation: hand work out oldest first.
    items.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(super::Output::Outbox(items))
}

pub(crate) async fn complete(tx: &mut WriteTx<'_>, items: &[OutboxItem]) -> StoreResult<super::Output> {
    let mut done = 0;
    for item in items {
        done += crate::db::query(
            "UPDATE outbox SET done_at_us = $3, leased_until_us = NULL WHERE clinic_id = $1 AND id = $2 \
             AND done_at_us IS NULL AND lease_token = $4",
        )
        .bind(item.clinic.to_string())
        .bind(item.id.as_str())
        .bind(tx.now.as_microsecond())
        .bind(item.lease.as_str())
        .execute(&mut *tx.conn)
        .await?;
    }
    Ok(super::Output::Count(done))
}

/// Gives a claimed row back to be tried again after `after`; only the lease holder may.
pub(crate) async fn retry_later(
    tx: &mut WriteTx<'_>,
    item: &OutboxItem,
    after: SignedDuration,
) -> StoreResult<super::Output> {
    let at = tx.now.checked_add(after).unwrap_or(Timestamp::MAX);
    let n = crate::db::query(
        "UPDATE outbox SET leased_until_us = NULL, lease_token = NULL, available_at_us = $3 \
         WHERE clinic_id = $1 AND id = $2 AND done_at_us IS NULL AND lease_token = $4",
    )
    .bind(item.clinic.to_string())
    .bind(item.id.as_str())
    .bind(at.as_microsecond())
    .bind(item.lease.as_str())
    .execute(&mut *tx.conn)
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound("outbox lease"));
    }
    Ok(super::Output::Done)
}
