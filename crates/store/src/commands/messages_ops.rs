//! More message commands (issue 12, second part), one `Command::Messages` variant so the shared
//! enum grows by one line: the durable "sending" mark written before a provider is called, and
//! a clinic's monthly SMS budget.

use super::messages::ClaimedMessage;
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
