//! Failed sign-ins and the locks they lead to.
//!
//! Failures are counted per (account, client network): a stranger failing from their network
//! locks that pair only, and the owner signing in from another network is not affected. One
//! more row per account (network [`ACCOUNT_WIDE`]) counts failures from every network against a
//! much higher ceiling, which bounds guessing spread over many networks; while it holds, only
//! networks with no failure on record for the account are heard. Accounts are named by a keyed
//! hash of the email, computed the same way for addresses without an account, so a lock
//! behaves — and answers — the same whether or not the account exists.

use crate::audit::Audit;
use crate::audit::{AuditActor, INSTANCE_CHAIN};
use crate::error::StoreResult;
use crate::identity::LoginKey;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::UserId;
use serde_json::json;

/// How many failed logins in a row from one network are free before that network is locked
/// out of the account, and the longest such lock.
const FREE_FAILURES: i64 = 5;
const MAX_LOCK: SignedDuration = SignedDuration::from_hours(1);

/// The network name of the account-wide row.
pub const ACCOUNT_WIDE: &str = "*";
/// Failures in a row, from all networks together, before the account-wide lock.
pub const ACCOUNT_CEILING: i64 = 100;
/// How long the account-wide lock lasts (it shuts out only networks that have failed).
const ACCOUNT_LOCK: SignedDuration = SignedDuration::from_mins(15);

/// The lock after `failures` failed logins in a row from one network: none for the first few,
/// then doubling from 30 seconds up to an hour.
pub fn lockout(failures: i64) -> Option<SignedDuration> {
    let over = failures - FREE_FAILURES;
    if over < 0 {
        return None;
    }
    let secs = 30i64.saturating_mul(1i64 << over.min(20));
    Some(SignedDuration::from_secs(secs).min(MAX_LOCK))
}

/// The account-wide lock after `failures` in a row from every network together.
pub fn account_lockout(failures: i64) -> Option<SignedDuration> {
    (failures >= ACCOUNT_CEILING).then_some(ACCOUNT_LOCK)
}

/// Counts a failed sign-in (or a wrong password on an account page) for the account and the
/// network it came from, and locks them for a while after too many in a row.
pub(crate) async fn login_failed(
    tx: &mut WriteTx<'_>,
    key: &LoginKey,
    user: Option<UserId>,
) -> StoreResult<crate::commands::Output> {
    let pair = count(tx, &key.account, &key.network, lockout).await?;
    let wide = count(tx, &key.account, ACCOUNT_WIDE, account_lockout).await?;
    // Only accounts that exist are named in the trail; the network is not recorded (it is
    // personal data and says nothing the lock itself does not).
    if let Some(user) = user {
        for (scope, (failures, until)) in [("network", pair), ("account", wide)] {
            let Some(until) = until else { continue };
            tx.audit_in(
                INSTANCE_CHAIN,
                &AuditActor::system(),
                Audit::new("lock", "user", &user.to_string())
                    .after(&json!({ "scope": scope, "failed_logins": failures, "locked_until": until })),
            );
        }
    }
    Ok(crate::commands::Output::Count(u64::try_from(pair.0).unwrap_or(0)))
}

/// Adds one failure to a row; its count, and the lock it now has if `rule` gives one.
async fn count(
    tx: &mut WriteTx<'_>,
    account: &str,
    network: &str,
    rule: fn(i64) -> Option<SignedDuration>,
) -> StoreResult<(i64, Option<Timestamp>)> {
    let now = tx.now.as_microsecond();
    let failures = crate::db::query(
        "INSERT INTO login_failures (account_key, network, failures, updated_at_us) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (account_key, network) DO UPDATE SET failures = login_failures.failures + 1, \
         updated_at_us = excluded.updated_at_us RETURNING failures",
    )
    .bind(account)
    .bind(network)
    .bind(now)
    .fetch_one(&mut *tx.conn)
    .await?
    .int("failures")?;
    let Some(lock) = rule(failures) else { return Ok((failures, None)) };
    let until = tx.now.checked_add(lock).unwrap_or(tx.now);
    crate::db::query("UPDATE login_failures SET locked_until_us = $1 WHERE account_key = $2 AND network = $3")
        .bind(until.as_microsecond())
        .bind(account)
        .bind(network)
        .execute(&mut *tx.conn)
        .await?;
    Ok((failures, Some(until)))
}

/// A successful sign-in from `key.network`: that network's count and the account-wide count
/// start again. Other networks' locks stay (a stranger's lock is theirs).
pub(crate) async fn login_succeeded(tx: &mut WriteTx<'_>, key: &LoginKey) -> StoreResult<()> {
    crate::db::query("DELETE FROM login_failures WHERE account_key = $1 AND network IN ($2, $3)")
        .bind(&key.account)
        .bind(&key.network)
        .bind(ACCOUNT_WIDE)
        .execute(&mut *tx.conn)
        .await?;
    Ok(())
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

    #[test]
    fn the_account_wide_lock_needs_far_more_failures_and_is_short() {
        assert_eq!(account_lockout(ACCOUNT_CEILING - 1), None);
        assert_eq!(account_lockout(ACCOUNT_CEILING), Some(SignedDuration::from_mins(15)));
        // The ceiling is far above one network's budget.
        const { assert!(ACCOUNT_CEILING >= 20 * FREE_FAILURES) };
    }
}
