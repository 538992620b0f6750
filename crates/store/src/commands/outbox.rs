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
}

pub(crate) async fn claim(tx: &mut WriteTx<'_>, limit: u32, lease: SignedDuration) -> StoreResult<super::Output> {
    let until = tx.now.checked_add(lease).unwrap_or(Timestamp::MAX);
    let sql = format!(
        "UPDATE outbox SET leased_until_us = $2, attempts = attempts + 1 WHERE (clinic_id, id) IN \
           (SELECT clinic_id, id FROM outbox \
             WHERE done_at_us IS NULL AND available_at_us <= $1 AND (leased_until_us IS NULL OR leased_until_us <= $1) \
             ORDER BY available_at_us, id LIMIT $3{}) \
         RETURNING clinic_id, id, topic, payload, attempts",
        tx.skip_locked()
    );
    let found = crate::db::query(sql)
        .bind(tx.now.as_microsecond())
        .bind(until.as_microsecond())
        .bind(i64::from(limit.clamp(1, 1000)))
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
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    // UUIDv7 ids sort by creation: hand work out oldest first.
    items.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(super::Output::Outbox(items))
}

pub(crate) async fn complete(tx: &mut WriteTx<'_>, items: &[(ClinicId, String)]) -> StoreResult<super::Output> {
    let mut done = 0;
    for (clinic, id) in items {
        done += crate::db::query(
            "UPDATE outbox SET done_at_us = $3, leased_until_us = NULL WHERE clinic_id = $1 AND id = $2 AND done_at_us IS NULL",
        )
        .bind(clinic.to_string())
        .bind(id)
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    }
    Ok(super::Output::Count(done))
}

pub(crate) async fn retry_later(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    id: &str,
    after: SignedDuration,
) -> StoreResult<super::Output> {
    let at = tx.now.checked_add(after).unwrap_or(Timestamp::MAX);
    let n = crate::db::query(
        "UPDATE outbox SET leased_until_us = NULL, available_at_us = $3 WHERE clinic_id = $1 AND id = $2 AND done_at_us IS NULL",
    )
    .bind(clinic.to_string())
    .bind(id)
    .bind(at.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound("outbox item"));
    }
    Ok(super::Output::Done)
}
