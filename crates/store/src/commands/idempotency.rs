//! `Idempotency-Key` support: the first successful answer to a key is stored in the same
//! transaction as the change, so a retry after a lost response gets the same answer and never
//! a second booking. Failed attempts store nothing, so a retry after a 409 tries again.
//!
//! The key is *claimed* before anything else (a placeholder row): on PostgreSQL a concurrent
//! request with the same key in another process then waits on that row, and when the first
//! commits it fails with a unique violation, is retried by the writer, and replays the answer.

use crate::error::{StoreError, StoreResult};
use crate::rows;
use crate::tx::WriteTx;
use nobat_core::ClinicId;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A client-chosen key and a hash of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    /// Hash of method, path and body: the same key with another request is refused.
    pub request_hash: String,
}

/// The stored answer for this key, if any (an error if the key came with another request);
/// otherwise claims the key for this transaction.
pub(crate) async fn replay<T: DeserializeOwned>(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    idem: Option<&Idempotency>,
) -> StoreResult<Option<T>> {
    let Some(idem) = idem else { return Ok(None) };
    let row = crate::db::query("SELECT request_hash, response FROM idempotency_keys WHERE clinic_id = $1 AND key = $2")
        .bind(clinic.to_string())
        .bind(&idem.key)
        .fetch_optional(&mut *tx.conn)
        .await?;
    let Some(row) = row else {
        crate::db::query(
            "INSERT INTO idempotency_keys (clinic_id, key, request_hash, status_code, response, created_at_us) \
             VALUES ($1, $2, $3, 0, '', $4)",
        )
        .bind(clinic.to_string())
        .bind(&idem.key)
        .bind(&idem.request_hash)
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
        return Ok(None);
    };
    if rows::text(&row, "request_hash")? != idem.request_hash {
        return Err(StoreError::IdempotencyMismatch);
    }
    rows::json(&row, "response").map(Some)
}

/// Stores the answer for the key claimed by [`replay`], in the transaction that made it.
pub(crate) async fn remember<T: Serialize>(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    idem: Option<&Idempotency>,
    status: u16,
    response: &T,
) -> StoreResult<()> {
    let Some(idem) = idem else { return Ok(()) };
    let body = serde_json::to_string(response).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    crate::db::query("UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE clinic_id = $1 AND key = $2")
        .bind(clinic.to_string())
        .bind(&idem.key)
        .bind(i64::from(status))
        .bind(body)
        .execute(&mut *tx.conn)
        .await?;
    Ok(())
}
