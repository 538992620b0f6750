//! What the job runner needs to know between rounds: when the next job is due.

use crate::Store;
use crate::error::StoreResult;
use jiff::Timestamp;
use std::time::Duration;

impl Store {
    /// When the earliest pending, unleased job is due (`None`: nothing scheduled). Jobs leased
    /// by a runner are left out: they are being run, or come back when their lease runs out.
    pub async fn next_job_due(&self) -> StoreResult<Option<Timestamp>> {
        let mut conn = self.reader().await?;
        let now = Timestamp::now().as_microsecond();
        let row = crate::db::query(
            "SELECT MIN(run_at_us) AS next FROM jobs \
             WHERE status = 'pending' AND (leased_until_us IS NULL OR leased_until_us <= $1)",
        )
        .bind(now)
        .fetch_one(&mut conn)
        .await?;
        row.opt_int("next")?.map(crate::rows::micros).transpose()
    }

    /// Waits until the next job is due, at most `max`, and less if this process schedules a
    /// job in the meantime (a hold made now may expire sooner than anything known before).
    /// Other processes' new jobs are seen after at most `max`.
    pub async fn wait_for_jobs(&self, max: Duration) -> StoreResult<()> {
        let wait = match self.next_job_due().await? {
            Some(due) => {
                let left = due.as_microsecond().saturating_sub(Timestamp::now().as_microsecond());
                Duration::from_micros(u64::try_from(left).unwrap_or(0)).min(max)
            }
            None => max,
        };
        if wait.is_zero() {
            return Ok(());
        }
        let _ = tokio::time::timeout(wait, self.inner.timers.notified()).await;
        Ok(())
    }
}
