//! More message commands (issue 12, second part), one `Command::Messages` variant so the shared
//! enum grows by one line: the durable "sending" mark written before a provider is called, and
//! a clinic's monthly SMS budget.

use super::messages::ClaimedMessage;
use super::outbox::OutboxItem;
use crate::audit::{Audit, AuditActor};
use crate::db::Value;
use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use nobat_core::ClinicId;
use serde_json::json;

#[derive(Debug, Clone)]
pub enum MessageCommand {
    /// The claimed message's provider is about to be called (this attempt): committed before
    /// the call, so after a crash every message that may have reached its provider without
    /// a record says so. With what the attempt costs (SMS segments and price), kept once sent.
    MarkSending { message: ClaimedMessage, segments: Option<i64>, cost_micros: Option<i64> },
    /// Dead-letters a claimed outbox delivery at once (a webhook receiver refused it for good:
    /// retrying cannot change a 4xx). Only the lease holder may.
    DeadLetter { item: OutboxItem, error: String },
    /// Retention: deletes messages (their addresses, kinds, outcomes) planned before `keep`
    /// ago, at most `batch` (call again while it returns `batch`); a message being sent right
    /// now (leased) is left for the next pass. Counts the rows deleted.
    Prune { keep: jiff::SignedDuration, batch: u32 },
    /// Sets a clinic's monthly SMS budget (`None`: back to the default).
    SetSmsBudget { clinic: ClinicId, budget: Option<i64>, actor: AuditActor },
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, c: &MessageCommand) -> StoreResult<super::Output> {
    match c {
        MessageCommand::MarkSending { message: m, segments, cost_micros } => {
            let n = crate::db::query(
                "UPDATE messages SET sending_attempt = attempts, segments = $4, cost_micros = $5 \
                 WHERE clinic_id = $1 AND id = $2 AND lease_token = $3",
            )
            .bind(m.clinic.to_string())
            .bind(m.id.as_str())
            .bind(m.lease.as_str())
            .bind(Value::from(*segments))
            .bind(Value::from(*cost_micros))
            .execute(&mut *tx.conn)
            .await?;
            if n == 0 {
                return Err(StoreError::LeaseLost);
            }
            Ok(super::Output::Done)
        }
        MessageCommand::DeadLetter { item, error } => {
            let error: String = error.chars().take(1000).collect();
            let n = crate::db::query(
                "UPDATE outbox_deliveries SET status = 'dead', done_at_us = $5, last_error = $6, \
                   leased_until_us = NULL, lease_token = NULL \
                 WHERE clinic_id = $1 AND message_id = $2 AND consumer = $3 AND status = 'pending' AND lease_token = $4",
            )
            .bind(item.clinic.to_string())
            .bind(item.id.as_str())
            .bind(item.consumer.as_str())
            .bind(item.lease.as_str())
            .bind(tx.now.as_microsecond())
            .bind(error)
            .execute(&mut *tx.conn)
            .await?;
            if n == 0 {
                return Err(StoreError::LeaseLost);
            }
            Ok(super::Output::Done)
        }
        MessageCommand::Prune { keep, batch } => {
            let now = tx.now.as_microsecond();
            let cutoff = now.saturating_sub(keep.as_micros().max(0) as i64);
            let n = crate::db::query(
                "DELETE FROM messages WHERE (clinic_id, id) IN (SELECT clinic_id, id FROM messages \
                   WHERE created_at_us <= $1 AND (leased_until_us IS NULL OR leased_until_us <= $2) LIMIT $3)",
            )
            .bind(cutoff)
            .bind(now)
            .bind(i64::from((*batch).clamp(1, 10_000)))
            .execute(&mut *tx.conn)
            .await?;
            Ok(super::Output::Count(n))
        }
        MessageCommand::SetSmsBudget { clinic, budget, actor } => {
            let before = crate::db::query("SELECT sms_monthly_budget FROM clinics WHERE id = $1")
                .bind(clinic.to_string())
                .fetch_optional(&mut *tx.conn)
                .await?
                .ok_or(StoreError::NotFound("clinic"))?;
            let before = crate::rows::opt_int(&before, "sms_monthly_budget")?;
            crate::db::query("UPDATE clinics SET sms_monthly_budget = $2 WHERE id = $1")
                .bind(clinic.to_string())
                .bind(Value::from(*budget))
                .execute(&mut *tx.conn)
                .await?;
            let id = clinic.to_string();
            let entry = Audit::new("update", "message_budget", &id)
                .after(&json!({ "sms_monthly": budget }))
                .before(&json!({ "sms_monthly": before }));
            tx.audit(*clinic, actor, entry);
            Ok(super::Output::Done)
        }
    }
}
