//! Second factors: TOTP enrolment, confirmation, use and removal, and recovery codes.

use crate::audit::Audit;
use crate::audit::{AuditActor, INSTANCE_CHAIN};
use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use nobat_core::{DomainError, UserId};

/// What changes on a user's second factor.
#[derive(Debug, Clone)]
pub enum TotpChange {
    /// A new secret waits for its first code.
    Enrol {
        secret: String,
    },
    /// The pending secret is confirmed; these recovery code hashes replace any earlier ones.
    Enable {
        secret: String,
        step: i64,
        recovery: Vec<String>,
    },
    Disable,
    /// A code of this time step was used: later uses of the same step are replays.
    UseStep(i64),
    /// A recovery code (its hash) was used.
    UseRecovery(String),
}
pub(crate) async fn change_totp(
    tx: &mut WriteTx<'_>,
    user: UserId,
    change: &TotpChange,
) -> StoreResult<crate::commands::Output> {
    let uid = user.to_string();
    let now = tx.now.as_microsecond();
    let actor = AuditActor::new(format!("user:{user}"), "the account holder");
    let changed = match change {
        TotpChange::Enrol { secret } => {
            crate::db::query("UPDATE users SET totp_pending = $1, updated_at_us = $2 WHERE id = $3")
                .bind(secret.as_str())
                .bind(now)
                .bind(&uid)
                .execute(&mut *tx.conn)
                .await?
        }
        TotpChange::Enable { secret, step, recovery } => {
            let n = crate::db::query(
                "UPDATE users SET totp_secret = $1, totp_pending = NULL, totp_last_step = $2, updated_at_us = $3 WHERE id = $4",
            )
            .bind(secret.as_str())
            .bind(*step)
            .bind(now)
            .bind(&uid)
            .execute(&mut *tx.conn)
            .await?;
            crate::db::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(&uid).execute(&mut *tx.conn).await?;
            for code in recovery {
                crate::db::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(&uid)
                    .bind(code.as_str())
                    .execute(&mut *tx.conn)
                    .await?;
            }
            tx.audit_in(INSTANCE_CHAIN, &actor, Audit::new("enable_2fa", "user", &uid));
            n
        }
        TotpChange::Disable => {
            let n = crate::db::query(
                "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL, updated_at_us = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(&uid)
            .execute(&mut *tx.conn)
            .await?;
            crate::db::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(&uid).execute(&mut *tx.conn).await?;
            tx.audit_in(INSTANCE_CHAIN, &actor, Audit::new("disable_2fa", "user", &uid));
            // Tokens minted under the second factor do not outlive it.
            super::tokens::revoke_all_of(tx, user, &actor, "two-factor authentication was turned off").await?;
            n
        }
        TotpChange::UseStep(step) => {
            // Compare-and-set: of two requests with the same code, one wins.
            let n = crate::db::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(*step)
            .bind(&uid)
            .execute(&mut *tx.conn)
            .await?;
            if n == 0 {
                return Err(DomainError::Refused("this code was already used; wait for the next one".into()).into());
            }
            n
        }
        TotpChange::UseRecovery(hash) => {
            let n = crate::db::query(
                "UPDATE recovery_codes SET used_at_us = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at_us IS NULL",
            )
            .bind(now)
            .bind(&uid)
            .bind(hash.as_str())
            .execute(&mut *tx.conn)
            .await?;
            if n == 0 {
                return Err(DomainError::Refused("this recovery code is not valid or was already used".into()).into());
            }
            tx.audit_in(INSTANCE_CHAIN, &actor, Audit::new("use_recovery_code", "user", &uid));
            n
        }
    };
    if changed == 0 {
        return Err(StoreError::NotFound("user"));
    }
    Ok(crate::commands::Output::Done)
}
