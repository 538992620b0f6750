//! Durable timers: scheduled jobs in the `jobs` table, run by whichever process claims them.
//!
//! * A job is named by (clinic, kind, key) — scheduling the same name again is idempotent
//!   ([`IfScheduled`] says whether the new time replaces the old one).
//! * A runner claims due jobs with a lease ([`claim`]); on PostgreSQL `FOR UPDATE SKIP LOCKED`
//!   makes concurrent claimers in several processes take disjoint jobs.
//! * [`run`] performs a claimed job in one transaction: it first deletes the job's row *if the
//!   lease is still this runner's*, then applies the kind's handler. The deletion and the
//!   handler's writes commit together, so a job whose handler only writes to the database takes
//!   effect exactly once even if its lease ran out and another process claimed it meanwhile
//!   (one of the two finds the row gone or re-leased and changes nothing). Handlers with
//!   effects outside the database (a webhook) are at-least-once and must be idempotent.
//! * A failed job is tried again after a growing pause ([`nobat_core::jobs::retry_after`]) and
//!   kept as `dead` after [`nobat_core::jobs::MAX_ATTEMPTS`] claims.
//!
//! Adding a job kind: a constant below, a handler arm in [`run`], and a [`schedule_in`] call in
//! the transaction that makes the job necessary (or at start-up for a recurring one).

use crate::error::{StoreError, StoreResult};
use crate::rows;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::ClinicId;
use serde::{Deserialize, Serialize};

/// The `clinic_id` of instance-wide jobs (the audit trail's instance chain uses the same word).
pub const INSTANCE: &str = "instance";

/// Expires one hold at its `expires_at`; key: the hold id.
pub const HOLD_EXPIRE: &str = "hold.expire";
/// The retention pass (patients past their clinic's retention, expired sessions, old codes);
/// instance-wide, key [`RETENTION_KEY`]. Reschedules itself every [`RETENTION_EVERY`].
pub const RETENTION: &str = "retention";
pub const RETENTION_KEY: &str = "sweep";
/// Hourly, as before timers: the privacy promises (codes scrubbed a day after they were sent,
/// patients anonymised on the day their retention ends) assume a pass at least that often.
pub const RETENTION_EVERY: SignedDuration = SignedDuration::from_hours(1);
/// Records that it ran (in `job_probe_runs`, with the claim's lease as `runner`) and nothing else: a check of the runner.
pub const PROBE: &str = "probe";

/// What scheduling a name that is already scheduled does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfScheduled {
    /// The new time and payload replace the old ones (attempts start again; a lease held on it
    /// is broken, so a runner busy with the old schedule cannot complete it).
    Replace,
    /// A pending job keeps its time (how recurring jobs are registered at every start-up); a
    /// dead one is brought back to run now.
    Keep,
}

/// A job to schedule.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// `None`: an instance-wide job.
    pub clinic: Option<ClinicId>,
    pub kind: &'static str,
    pub key: String,
    pub run_at: Timestamp,
    /// Ids only: the payload is stored and logged on failure.
    pub payload: serde_json::Value,
    pub if_scheduled: IfScheduled,
}

/// A job a runner has claimed; finishing it needs `lease`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimedJob {
    /// A clinic id, or [`INSTANCE`].
    pub clinic: String,
    pub kind: String,
    pub key: String,
    pub run_at: Timestamp,
    pub payload: serde_json::Value,
    /// Claims so far, this one included.
    pub attempts: i64,
    pub lease: String,
}

fn clinic_text(clinic: Option<ClinicId>) -> String {
    clinic.map_or_else(|| INSTANCE.to_owned(), |c| c.to_string())
}

/// Schedules a job inside the caller's transaction: it exists if and only if the change that
/// needs it commits.
pub(crate) async fn schedule_in(tx: &mut WriteTx<'_>, j: &NewJob) -> StoreResult<()> {
    let conflict = match j.if_scheduled {
        IfScheduled::Replace => {
            "DO UPDATE SET run_at_us = excluded.run_at_us, payload = excluded.payload, status = 'pending', \
             attempts = 0, lease_owner = NULL, leased_until_us = NULL, last_error = NULL, updated_at_us = excluded.updated_at_us"
        }
        IfScheduled::Keep => {
            "DO UPDATE SET run_at_us = excluded.run_at_us, status = 'pending', attempts = 0, last_error = NULL, \
             updated_at_us = excluded.updated_at_us WHERE jobs.status = 'dead'"
        }
    };
    let sql = format!(
        "INSERT INTO jobs (clinic_id, kind, key, run_at_us, payload, status, attempts, created_at_us, updated_at_us) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6) ON CONFLICT (clinic_id, kind, key) {conflict}"
    );
    crate::db::query(sql)
        .bind(clinic_text(j.clinic))
        .bind(j.kind)
        .bind(j.key.as_str())
        .bind(j.run_at.as_microsecond())
        .bind(j.payload.to_string())
        .bind(tx.now.as_microsecond())
        .execute(&mut *tx.conn)
        .await?;
    Ok(())
}

pub(crate) async fn schedule(tx: &mut WriteTx<'_>, j: &NewJob) -> StoreResult<super::Output> {
    schedule_in(tx, j).await?;
    Ok(super::Output::Done)
}

/// Unschedules a job (nothing if it is not scheduled); returns how many rows went.
pub(crate) async fn cancel_in(
    tx: &mut WriteTx<'_>,
    clinic: Option<ClinicId>,
    kind: &str,
    key: &str,
) -> StoreResult<u64> {
    crate::db::query("DELETE FROM jobs WHERE clinic_id = $1 AND kind = $2 AND key = $3")
        .bind(clinic_text(clinic))
        .bind(kind)
        .bind(key)
        .execute(&mut *tx.conn)
        .await
}

pub(crate) async fn cancel(
    tx: &mut WriteTx<'_>,
    clinic: Option<ClinicId>,
    kind: &str,
    key: &str,
) -> StoreResult<super::Output> {
    Ok(super::Output::Count(cancel_in(tx, clinic, kind, key).await?))
}

/// Leases up to `limit` due jobs, oldest due first.
pub(crate) async fn claim(tx: &mut WriteTx<'_>, limit: u32, lease: SignedDuration) -> StoreResult<super::Output> {
    let until = tx.now.checked_add(lease).unwrap_or(Timestamp::MAX);
    // The process id in front says which process holds a lease (for operators reading the
    // table); the random part makes each claim's lease its own.
    let token = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4());
    let sql = format!(
        "UPDATE jobs SET lease_owner = $4, leased_until_us = $2, attempts = attempts + 1, updated_at_us = $1 \
         WHERE (clinic_id, kind, key) IN \
           (SELECT clinic_id, kind, key FROM jobs \
             WHERE status = 'pending' AND run_at_us <= $1 AND (leased_until_us IS NULL OR leased_until_us <= $1) \
             ORDER BY run_at_us LIMIT $3{}) \
         RETURNING clinic_id, kind, key, run_at_us, payload, attempts, lease_owner",
        tx.skip_locked()
    );
    let found = crate::db::query(sql)
        .bind(tx.now.as_microsecond())
        .bind(until.as_microsecond())
        .bind(i64::from(limit.clamp(1, 1000)))
        .bind(token.as_str())
        .fetch_all(&mut *tx.conn)
        .await?;
    let mut jobs = found
        .iter()
        .map(|r| {
            Ok(ClaimedJob {
                clinic: rows::text(r, "clinic_id")?,
                kind: rows::text(r, "kind")?,
                key: rows::text(r, "key")?,
                run_at: rows::ts(r, "run_at_us")?,
                payload: rows::json(r, "payload")?,
                attempts: rows::int(r, "attempts")?,
                lease: rows::text(r, "lease_owner")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    jobs.sort_by_key(|j| j.run_at);
    Ok(super::Output::Jobs(jobs))
}

/// Takes the claimed job's row if the lease is still this runner's: the proof that nobody
/// else finishes it. Fails (changing nothing) when the lease was lost.
async fn take(tx: &mut WriteTx<'_>, job: &ClaimedJob) -> StoreResult<()> {
    let taken = crate::db::query(
        "DELETE FROM jobs WHERE clinic_id = $1 AND kind = $2 AND key = $3 AND lease_owner = $4 AND status = 'pending'",
    )
    .bind(job.clinic.as_str())
    .bind(job.kind.as_str())
    .bind(job.key.as_str())
    .bind(job.lease.as_str())
    .execute(&mut *tx.conn)
    .await?;
    if taken == 0 {
        return Err(StoreError::LeaseLost);
    }
    Ok(())
}

/// Runs a claimed job's handler and finishes the job, in one transaction (see the module doc).
pub(crate) async fn run(tx: &mut WriteTx<'_>, job: &ClaimedJob) -> StoreResult<super::Output> {
    take(tx, job).await?;
    let clinic = || -> StoreResult<ClinicId> {
        job.clinic.parse().map_err(|_| StoreError::Corrupt(format!("job {} has no clinic", job.kind)))
    };
    match job.kind.as_str() {
        HOLD_EXPIRE => {
            let hold = job.key.parse().map_err(|_| StoreError::Corrupt(format!("hold id {:?}", job.key)))?;
            super::holds::expire_hold(tx, clinic()?, hold).await?;
        }
        RETENTION => {
            // One bounded pass per transaction; while a pass finds a full batch there is more
            // to do, so the next run is now, else in an hour.
            // The sweep erases patients 50 at a time and prunes one batch of the event log and
            // the outbox; a second batch finding rows means the log is behind (a busy instance
            // writes more than a batch an hour), so that too runs again at once until it is not.
            let erased = matches!(super::privacy::retention_sweep(tx).await?, super::Output::Count(50..));
            let pruned = super::outbox::prune(tx, super::outbox::RETENTION, 1000).await?;
            let more = erased || matches!(pruned, super::Output::Count(1..));
            let next = if more { tx.now } else { tx.now.checked_add(RETENTION_EVERY).unwrap_or(tx.now) };
            let again = NewJob {
                clinic: None,
                kind: RETENTION,
                key: RETENTION_KEY.into(),
                run_at: next,
                payload: serde_json::json!({}),
                if_scheduled: IfScheduled::Replace,
            };
            schedule_in(tx, &again).await?;
        }
        PROBE => {
            crate::db::query("INSERT INTO job_probe_runs (clinic_id, key, runner, ran_at_us) VALUES ($1, $2, $3, $4)")
                .bind(job.clinic.as_str())
                .bind(job.key.as_str())
                .bind(job.lease.as_str())
                .bind(tx.now.as_microsecond())
                .execute(&mut *tx.conn)
                .await?;
        }
        super::reminders::REMINDER => super::reminders::run(tx, clinic()?, &job.payload).await?,
        super::sources::SOURCE_WATCH_EXPIRE => super::sources::expire_watch(tx, &job.key).await?,
        super::queue::QUEUE_GRACE => {
            let ticket = job.key.parse().map_err(|_| StoreError::Corrupt(format!("ticket id {:?}", job.key)))?;
            super::queue_tickets::expire(tx, clinic()?, ticket).await?;
        }
        super::queue::QUEUE_CLOSE => {
            let queue = job.key.parse().map_err(|_| StoreError::Corrupt(format!("queue id {:?}", job.key)))?;
            super::queue_day::auto_close(tx, clinic()?, queue).await?;
        }
        super::watches::WATCH_EXPIRE => super::watches::expire(tx, clinic()?, &job.key).await?,
        other => return Err(StoreError::Corrupt(format!("no handler for job kind {other:?}"))),
    }
    Ok(super::Output::Done)
}

/// Finishes a claimed job whose work was done outside the database (only its lease holder may).
pub(crate) async fn complete(tx: &mut WriteTx<'_>, job: &ClaimedJob) -> StoreResult<super::Output> {
    take(tx, job).await?;
    Ok(super::Output::Done)
}

/// Gives a failed job back to be tried again later, or keeps it as dead after too many
/// attempts. Only its lease holder may.
pub(crate) async fn fail(tx: &mut WriteTx<'_>, job: &ClaimedJob, error: &str) -> StoreResult<super::Output> {
    let (status, next) = match nobat_core::jobs::retry_after(job.attempts) {
        Some(pause) => ("pending", tx.now.checked_add(pause).unwrap_or(Timestamp::MAX)),
        None => ("dead", tx.now),
    };
    let error: String = error.chars().take(2000).collect();
    let done = crate::db::query(
        "UPDATE jobs SET status = $5, run_at_us = $6, last_error = $7, lease_owner = NULL, leased_until_us = NULL, \
         updated_at_us = $8 WHERE clinic_id = $1 AND kind = $2 AND key = $3 AND lease_owner = $4",
    )
    .bind(job.clinic.as_str())
    .bind(job.kind.as_str())
    .bind(job.key.as_str())
    .bind(job.lease.as_str())
    .bind(status)
    .bind(next.as_microsecond())
    .bind(error)
    .bind(tx.now.as_microsecond())
    .execute(&mut *tx.conn)
    .await?;
    if done == 0 {
        return Err(StoreError::LeaseLost);
    }
    if status == "dead" {
        tracing::error!(kind = %job.kind, key = %job.key, attempts = job.attempts, "job failed too often; kept as dead");
    }
    Ok(super::Output::Done)
}
