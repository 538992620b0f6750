//! The job runner: every process runs one. It claims due jobs from the `jobs` table with a
//! lease, runs each (the handler and the job's completion commit together, see
//! `nobat_store::commands` `RunJob`), and gives failed ones back to be retried with backoff.
//! Between rounds it sleeps until the next job is due — at most [`POLL`], so jobs scheduled by
//! other processes (or left by a crashed one) are picked up — and wakes early when this process
//! schedules one sooner. Several processes on one PostgreSQL database claim disjoint jobs
//! (`FOR UPDATE SKIP LOCKED`), and only a lease holder can finish a job, so each due job takes
//! effect once. Jobs that came due while no process was running run at the next start.

use anyhow::anyhow;
use jiff::{SignedDuration, Timestamp};
use nobat_store::commands::{ClaimedJob, IfScheduled, NewJob, RETENTION, RETENTION_KEY};
use nobat_store::{Command, Output, Store, StoreError};
use std::time::Duration;

/// How long a claim is exclusive. A handler is one short transaction; a process that dies with
/// claimed jobs delays them by at most this.
pub const LEASE: SignedDuration = SignedDuration::from_secs(60);
/// The longest sleep between rounds.
pub const POLL: Duration = Duration::from_secs(5);
/// Jobs claimed at once; they are run concurrently, so the writer commits them in batches.
const BATCH: u32 = 64;

/// Registers the recurring jobs (keeping their time if they are already scheduled).
pub async fn register_recurring(store: &Store) -> anyhow::Result<()> {
    let retention = NewJob {
        clinic: None,
        kind: RETENTION,
        key: RETENTION_KEY.into(),
        run_at: Timestamp::now(),
        payload: serde_json::json!({}),
        if_scheduled: IfScheduled::Keep,
    };
    store.execute(Command::ScheduleJob(retention)).await?;
    Ok(())
}

/// One round: claims and runs due jobs until none are left. Fails (for the supervisor: three
/// failing rounds in a row make `/readyz` report the runner) when claiming fails or a job failed.
pub async fn round(store: &Store) -> anyhow::Result<()> {
    let mut failures = Vec::new();
    loop {
        let jobs = match store.execute(Command::ClaimDueJobs { limit: BATCH, lease: LEASE }).await? {
            Output::Jobs(jobs) => jobs,
            other => return Err(anyhow!("claiming jobs answered {other:?}")),
        };
        let claimed = jobs.len();
        let mut running = tokio::task::JoinSet::new();
        for job in jobs {
            let store = store.clone();
            running.spawn(async move { run_one(&store, job).await });
        }
        while let Some(done) = running.join_next().await {
            if let Ok(Some(failure)) = done {
                failures.push(failure);
            }
        }
        if claimed < BATCH as usize {
            break;
        }
    }
    match failures.len() {
        0 => Ok(()),
        n => Err(anyhow!("{n} job(s) failed, e.g. {}", failures[0])),
    }
}

/// Runs one claimed job; on failure gives it back and says what failed.
async fn run_one(store: &Store, job: ClaimedJob) -> Option<String> {
    match store.execute(Command::RunJob(job.clone())).await {
        Ok(_) => None,
        Err(StoreError::LeaseLost) => {
            // Rescheduled, or our lease ran out and another runner has it: not ours to finish.
            tracing::warn!(kind = %job.kind, key = %job.key, "job lease lost before it ran; left to its new holder");
            None
        }
        Err(e) => {
            let error = format!("{e}");
            tracing::warn!(kind = %job.kind, key = %job.key, attempts = job.attempts, %error, "job failed");
            let what = format!("{} {}: {error}", job.kind, job.key);
            if let Err(e) = store.execute(Command::FailJob { job, error }).await {
                tracing::warn!(error = %e, "could not record the job's failure; it runs again when its lease ends");
            }
            Some(what)
        }
    }
}

/// Waits for the next round (see the module doc).
pub async fn pause(store: &Store) {
    if let Err(e) = store.wait_for_jobs(POLL).await {
        tracing::debug!(error = %e, "cannot read the next job's time");
        tokio::time::sleep(POLL).await;
    }
}
