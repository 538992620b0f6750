//! Failed sign-ins and the lock they lead to.

use crate::audit::{AuditActor, INSTANCE_CHAIN};
use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use jiff::SignedDuration;
use nobat_core::UserId;
use serde_json::json;

/// How many failed logins in a row are free before the account locks, and the longest lock.
const FREE_FAILURES: i64 = 5;
const MAX_LOCK: SignedDuration = SignedDuration::from_hours(1);

/// The lock after `failures` failed logins in a row: none for the first few, then doubling
/// from 30 seconds up to an hour.
pub fn lockout(failures: i64) -> Option<SignedDuration> {
    let over = failures - FREE_FAILURES;
    if over < 0 {
        return None;
    }
    let secs = 30i64.saturating_mul(1i64 << over.min(20));
    Some(SignedDuration::from_secs(secs).min(MAX_LOCK))
}
/// Counts a failed login and locks the account for a while after too many in a row.
pub(crate) async fn login_failed(tx: &mut WriteTx<'_>, user: UserId) -> StoreResult<crate::commands::Output> {
    let row = crate::db::query(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins, email",
    )
    .bind(user.to_string())
    .fetch_optional(&mut *tx.conn)
    .await?
    .ok_or(StoreError::NotFound("user"))?;
    let failures = row.int("failed_logins")?;
    if let Some(lock) = lockout(failures) {
        let until = tx.now.checked_add(lock).unwrap_or(tx.now);
        crate::db::query("UPDATE users SET locked_until_us = $1 WHERE id = $2")
            .bind(until.as_microsecond())
            .bind(user.to_string())
            .execute(&mut *tx.conn)
            .await?;
        let actor = AuditActor::system();
        tx.audit_in(
            INSTANCE_CHAIN,
            &actor,
            "lock",
            "user",
            &user.to_string(),
            None::<&()>,
            Some(&json!({ "failed_logins": failures, "locked_until": until })),
            None,
        );
    }
    Ok(crate::commands::Output::Count(u64::try_from(failures).unwrap_or(0)))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_starts_after_five_failures_and_doubles_to_an_hour() {
        assert_eq!(lockout(4), None);
        assert_eq!(lockout(5), Some(SignedDuration::from_secs(30)));
        assert_eq!(lockout(6), Some(SignedDuration::from_secs(60)));
        assert_eq!(lockout(12), Some(SignedDuration::from_hours(1)));
        assert_eq!(lockout(10_000), Some(SignedDuration::from_hours(1)));
    }
}
