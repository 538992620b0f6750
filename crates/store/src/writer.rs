//! The writer: one task that owns the write connection and applies commands in batches.
//!
//! It takes whatever commands are waiting (up to `max_batch`), opens one transaction, applies
//! each in its own savepoint — a failed command rolls back alone, with its audit entries —
//! seals the successful commands' audit entries into their clinics' hash chains
//! (`crate::audit::seal`), numbers its events per clinic (`crate::events::seal`, whose head
//! rows are the last locks taken), commits once, and only then answers each caller
//! and publishes the committed events in order. One fsync serves the whole
//! batch; with a single waiting command there is no savepoint and latency is one commit.
//!
//! Booking commands are sorted by the practitioner they lock before they are applied, so on
//! PostgreSQL two processes' batches mostly take row locks in the same order. When a command
//! still meets a deadlock, a serialization failure or a unique-key race with another process,
//! the whole batch is rolled back and its commands rerun one transaction each, with retries.

use crate::commands::{self, Command, Output};
use crate::db::Conn;
use crate::engine::{self, Engine};
use crate::error::{StoreError, StoreResult};
use crate::tx::{Event, WriteTx};
use jiff::Timestamp;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

const RETRIES: usize = 5;
/// Tries at BEGIN when SQLite is locked by another connection; each waits up to the
/// connection's `busy_timeout` (5 s) before the pause between tries.
const BEGIN_ATTEMPTS: usize = 4;

pub(crate) struct Job {
    pub cmd: Command,
    /// The practitioner the command will lock first (empty if none): batches are applied in
    /// this order, and on PostgreSQL it picks the writer.
    pub key: String,
    pub reply: oneshot::Sender<StoreResult<Output>>,
}

pub(crate) struct Writer {
    pub conn: Conn,
    pub engine: Engine,
    pub url: String,
    pub session: crate::SessionLimits,
    pub max_batch: usize,
    pub events: broadcast::Sender<Event>,
    /// This process, as named in the events it relays to others.
    pub origin: uuid::Uuid,
    pub cache: crate::cache::CalendarCache,
    pub directory: std::sync::Arc<crate::directory_cache::DirectoryCache>,
    /// Set once COMMIT has been sent for the current transaction: a failure after that point
    /// leaves the outcome unknown; before it, nothing was committed.
    pub commit_sent: bool,
}

/// The answer a job gets when its caller has already gone: nobody reads it.
fn abandoned() -> StoreResult<Output> {
    Err(StoreError::Unavailable("the caller left before the command started; it was not run".into()))
}

impl Writer {
    /// Runs until `shutdown` turns true, then finishes every command already queued.
    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Job>, mut shutdown: watch::Receiver<bool>) {
        loop {
            let stopping = tokio::select! {
                biased;
                job = rx.recv() => Err(job),
                res = shutdown.wait_for(|stop| *stop) => Ok(res.is_ok()),
            };
            let first = match stopping {
                Err(job) => job,
                Ok(_) => {
                    // Refuse new commands, finish the ones already queued.
                    rx.close();
                    rx.recv().await
                }
            };
            let Some(first) = first else { break };
            let mut batch = vec![first];
            while batch.len() < self.max_batch {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.run_batch(batch).await;
        }
        self.conn.close().await;
        tracing::info!("writer stopped");
    }

    #[tracing::instrument(level = "debug", skip_all, fields(size = batch.len()))]
    async fn run_batch(&mut self, mut batch: Vec<Job>) {
        // A caller who has gone (timed out, disconnected) was told its change may not happen:
        // never start it. (Checked again before each command, as waiting for BEGIN can be long.)
        batch.retain(|job| {
            let gone = job.reply.is_closed();
            if gone {
                metrics::counter!("nobat_commands_total", "command" => job.cmd.name(), "outcome" => "abandoned")
                    .increment(1);
            }
            !gone
        });
        if batch.is_empty() {
            return;
        }
        batch.sort_by(|a, b| a.key.cmp(&b.key));
        let started = std::time::Instant::now();
        metrics::histogram!("nobat_writer_batch_size").record(batch.len() as f64);
        // `shared`: the commands without a result were all in the failed transaction (a batch);
        // otherwise only the first of them was, and the rest never started.
        let (results, events, failure, shared) = if batch.len() == 1 {
            let (r, e, f) = self.apply_each(&batch).await;
            (r, e, f, false)
        } else {
            match self.apply_batch(&batch).await {
                Ok(Some((results, events))) => (results, events, None, true),
                // A deadlock or serialization failure cannot be cured inside the batch (earlier
                // commands still hold their locks): the batch was rolled back; run each
                // command in its own transaction instead.
                Ok(None) => {
                    self.cache.clear();
                    let (r, e, f) = self.apply_each(&batch).await;
                    (r, e, f, false)
                }
                Err(e) => (Vec::new(), Vec::new(), Some(e), true),
            }
        };
        let first_missing = results.len();
        // Publish before answering, and drop cached clinic contexts right here, so a caller
        // who hears "done" and asks again never reads what this batch replaced.
        for event in events {
            if event.kind.changes_directory() {
                self.directory.invalidate();
            }
            // Nobody listening is fine; listeners that lag re-sync from the database.
            let _ = self.events.send(event);
        }
        metrics::histogram!("nobat_writer_batch_seconds").record(started.elapsed().as_secs_f64());
        let commit_sent = self.commit_sent;
        let mut results = results.into_iter();
        for (i, job) in batch.into_iter().enumerate() {
            let result = results.next().unwrap_or_else(|| {
                let in_failed_tx = shared || i == first_missing;
                if in_failed_tx && commit_sent {
                    // The connection failed at or after COMMIT: it may have committed.
                    Err(StoreError::OutcomeUnknown)
                } else {
                    Err(StoreError::Unavailable("the database failed before this change was saved".into()))
                }
            });
            let outcome = match &result {
                Ok(_) => "ok",
                Err(
                    StoreError::Domain(_)
                    | StoreError::NotFound(_)
                    | StoreError::AlreadyExists(_)
                    | StoreError::IdempotencyMismatch,
                ) => "refused",
                Err(StoreError::OutcomeUnknown) => "unknown",
                Err(_) => "error",
            };
            metrics::counter!("nobat_commands_total", "command" => job.cmd.name(), "outcome" => outcome).increment(1);
            let _ = job.reply.send(result);
        }
        if let Some(e) = failure {
            self.cache.clear();
            tracing::error!(error = %e, "write transaction failed; its commands were not committed");
            self.recover().await;
        }
    }

    /// One command, no savepoint: commit on success, roll back on error.
    async fn apply_single(&mut self, job: &Job) -> Result<(StoreResult<Output>, Vec<Event>), StoreError> {
        let cmd = &job.cmd;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.begin().await?;
            // BEGIN may have waited long for another connection's lock.
            if job.reply.is_closed() {
                self.conn.run("ROLLBACK").await?;
                return Ok((abandoned(), Vec::new()));
            }
            let mut tx = WriteTx {
                conn: &mut self.conn,
                engine: self.engine,
                cache: &mut self.cache,
                now: now_micros(),
                events: Vec::new(),
                audits: Vec::new(),
                redactions: Vec::new(),
            };
            let result = commands::apply(&mut tx, cmd).await;
            let events = std::mem::take(&mut tx.events);
            let audits = std::mem::take(&mut tx.audits);
            let redactions = std::mem::take(&mut tx.redactions);
            let now_us = tx.now.as_microsecond();
            let result = match result {
                Ok(out) => match crate::audit::seal(&mut self.conn, audits, &redactions, now_us).await {
                    // The event heads are the very last locks: numbered after the audit seal.
                    Ok(()) => crate::events::seal(&mut self.conn, events).await.map(|events| (out, events)),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            match result {
                Ok((out, events)) => {
                    self.relay(&events).await?;
                    self.commit_sent = true;
                    self.conn.run("COMMIT").await?;
                    return Ok((Ok(out), events));
                }
                Err(e) => {
                    self.conn.run("ROLLBACK").await?;
                    if e.is_retriable() && attempt < RETRIES {
                        tracing::debug!(command = cmd.name(), error = %e, "retrying");
                        continue;
                    }
                    log_failure(cmd, &e);
                    if e.is_retriable() {
                        // Lost to concurrent changes several times: nothing was written, and a
                        // retry from the client is the right answer.
                        let busy =
                            "the database was busy with conflicting changes; nothing was saved, please try again";
                        return Ok((Err(StoreError::Unavailable(busy.into())), Vec::new()));
                    }
                    return Ok((Err(e), Vec::new()));
                }
            }
        }
    }

    /// Each command in its own transaction. Stops at the first failure of the connection
    /// itself: the results and events of the commands committed before it are kept.
    async fn apply_each(&mut self, batch: &[Job]) -> (Vec<StoreResult<Output>>, Vec<Event>, Option<StoreError>) {
        let mut results = Vec::with_capacity(batch.len());
        let mut events = Vec::new();
        for job in batch {
            if job.reply.is_closed() {
                results.push(abandoned());
                continue;
            }
            match self.apply_single(job).await {
                Ok((result, ev)) => {
                    results.push(result);
                    events.extend(ev);
                }
                Err(e) => return (results, events, Some(e)),
            }
        }
        (results, events, None)
    }

    /// Several commands in one transaction, each in a savepoint. `None` when a command hit a
    /// retriable conflict and the whole batch was rolled back.
    #[allow(clippy::type_complexity)]
    async fn apply_batch(
        &mut self,
        batch: &[Job],
    ) -> Result<Option<(Vec<StoreResult<Output>>, Vec<Event>)>, StoreError> {
        let now = now_micros();
        self.begin().await?;
        let mut results = Vec::with_capacity(batch.len());
        let mut events = Vec::new();
        let mut pending = Vec::new();
        let mut audits = Vec::new();
        let mut redactions = Vec::new();
        let mut aborted = false;
        let inner = async {
            for job in batch {
                if job.reply.is_closed() {
                    results.push(abandoned());
                    continue;
                }
                self.conn.run("SAVEPOINT cmd").await?;
                let mut tx = WriteTx {
                    conn: &mut self.conn,
                    engine: self.engine,
                    cache: &mut self.cache,
                    now,
                    events: Vec::new(),
                    audits: Vec::new(),
                    redactions: Vec::new(),
                };
                let result = commands::apply(&mut tx, &job.cmd).await;
                let job_events = std::mem::take(&mut tx.events);
                let job_audits = std::mem::take(&mut tx.audits);
                let job_redactions = std::mem::take(&mut tx.redactions);
                match result {
                    Ok(out) => {
                        self.conn.run("RELEASE SAVEPOINT cmd").await?;
                        pending.extend(job_events);
                        audits.extend(job_audits);
                        redactions.extend(job_redactions);
                        results.push(Ok(out));
                    }
                    Err(e) if e.is_retriable() => {
                        tracing::debug!(command = job.cmd.name(), error = %e, "conflict in batch; rerunning one by one");
                        aborted = true;
                        self.conn.run("ROLLBACK").await?;
                        return Ok(());
                    }
                    Err(e) => {
                        self.conn.run("ROLLBACK TO SAVEPOINT cmd").await?;
                        self.conn.run("RELEASE SAVEPOINT cmd").await?;
                        log_failure(&job.cmd, &e);
                        results.push(Err(e));
                    }
                }
            }
            let sealed = crate::audit::seal(&mut self.conn, std::mem::take(&mut audits), &redactions, now.as_microsecond());
            match sealed.await {
                Err(e) if e.is_retriable() => {
                    aborted = true;
                    self.conn.run("ROLLBACK").await?;
                    return Ok(());
                }
                other => other?,
            }
            // The event heads are the very last locks: numbered after the audit seal.
            match crate::events::seal(&mut self.conn, std::mem::take(&mut pending)).await {
                Err(e) if e.is_retriable() => {
                    aborted = true;
                    self.conn.run("ROLLBACK").await?;
                    return Ok(());
                }
                other => events = other?,
            }
            self.relay(&events).await?;
            self.commit_sent = true;
            self.conn.run("COMMIT").await?;
            Ok::<_, StoreError>(())
        }
        .await;
        match inner {
            Ok(()) if aborted => Ok(None),
            Ok(()) => Ok(Some((results, events))),
            Err(e) => {
                let _ = self.conn.run("ROLLBACK").await;
                Err(e)
            }
        }
    }

    /// Opens the write transaction. SQLite answers BUSY when another connection (a CLI command,
    /// a backup, an operator's shell) holds the write lock longer than `busy_timeout`: that is
    /// retried a few times with a growing pause instead of failing the whole batch. Bounded, so
    /// a lock never released still ends in an error (and the callers' own deadline comes first).
    async fn begin(&mut self) -> Result<(), StoreError> {
        self.commit_sent = false;
        let mut pause = Duration::from_millis(50);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.conn.run(self.engine.begin_write()).await {
                Err(e) if e.is_retriable() && attempt < BEGIN_ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "the database is locked by another connection; waiting");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }

    /// On PostgreSQL, tells the other processes about these events when the transaction commits.
    async fn relay(&mut self, events: &[Event]) -> Result<(), StoreError> {
        if self.engine == Engine::Postgres && !events.is_empty() {
            crate::relay::notify(&mut self.conn, self.origin, events).await?;
        }
        Ok(())
    }

    /// After a failed transaction: keep the connection if it still answers, else reconnect
    /// with backoff until it does.
    async fn recover(&mut self) {
        if self.conn.ping().await.is_ok() {
            let _ = self.conn.run("ROLLBACK").await;
            return;
        }
        let mut delay = Duration::from_millis(100);
        loop {
            match engine::connect_writer(self.engine, &self.url, &self.session).await {
                Ok(conn) => {
                    self.conn = conn;
                    tracing::warn!("writer reconnected to the database");
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, retry_in_ms = delay.as_millis() as u64, "writer cannot reach the database");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}

fn log_failure(cmd: &Command, e: &StoreError) {
    match e {
        StoreError::Database(cause) => tracing::error!(command = cmd.name(), error = %cause, "command failed"),
        StoreError::Corrupt(what) => tracing::error!(command = cmd.name(), %what, "command read corrupt data"),
        other => tracing::debug!(command = cmd.name(), error = %other, "command refused"),
    }
}

/// The clock, truncated to what the database stores, so an answer given from memory and the
/// same record read back later are identical.
fn now_micros() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now)
}
