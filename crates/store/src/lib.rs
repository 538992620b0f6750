//! Nobat's persistence: one code path for SQLite and PostgreSQL.
//!
//! * Writes go through [`Store::execute`] as [`Command`]s to the writer ([`writer`]), which
//!   batches them into group commits: one writer on SQLite (it admits one at a time), several
//!   on PostgreSQL, each owning the practitioners whose id hashes to it.
//! * Reads ([`reads`]) use a pool of read connections and never wait for the writer.
//! * Committed changes are published as [`Event`]s ([`Store::subscribe`]).
//!
//! SQL is written once, in the common dialect (`$1` placeholders, `RETURNING`, integer
//! microsecond instants, TEXT ids); [`Engine`] is matched only where the engines truly differ
//! (transaction start, connection settings, the PostgreSQL-only exclusion constraint).

pub mod at_rest;
pub mod audit;
pub mod backup;
mod cache;
mod calendar;
pub mod commands;
pub mod copy;
pub mod db;
mod directory_cache;
mod engine;
mod error;
pub mod events;
pub mod identity;
pub mod intake;
pub mod message_templates;
pub mod migrate;
pub mod model;
pub mod queues;
pub mod reads;
mod relay;
mod rows;
pub mod sealed_columns;
pub mod settings;
pub mod transfer;
mod tx;
pub mod watches;
mod writer;

pub use audit::AuditActor;
pub use commands::{Command, Output, TelegramOp, TelegramOutput, TelegramStaffOp, TelegramStaffOutput};
pub use directory_cache::ClinicContext;
pub use engine::{Engine, sqlite_url_in};
pub use error::{StoreError, StoreResult};
pub use events::{Event, EventKind, Subjects};

use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Point-in-time figures about the whole instance.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Gauges {
    /// Read connections on loan at the moment of asking (this process), and the pool size.
    pub read_pool_in_use: usize,
    pub read_pool_size: usize,
    /// Deliveries (message × consumer) not yet delivered or dead-lettered, plus events a
    /// consumer has not looked at yet (of any kind, so an upper bound), and the oldest's age.
    pub outbox_pending: i64,
    pub outbox_oldest_age_seconds: f64,
    pub holds_active: i64,
    /// Scheduled jobs due for more than a minute and not being run: the runners are behind or down.
    pub jobs_overdue: i64,
    /// Jobs that failed too often and wait for an operator (`jobs` rows with status `dead`).
    pub jobs_dead: i64,
    pub appointments_upcoming: i64,
    pub clinics: i64,
}

/// Tuning knobs; the defaults suit one small server.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Read connections in the pool.
    pub read_pool_size: u32,
    /// Most commands committed together in one transaction.
    pub max_batch: usize,
    /// Apply pending migrations when opening (the server does; `nobat migrate` does it alone).
    pub migrate: bool,
    /// Writer connections on PostgreSQL (SQLite always has exactly one).
    pub pg_writers: usize,
    /// How long [`Store::execute`] waits for its command to be committed. Past it the caller
    /// hears [`StoreError::OutcomeUnknown`], and the writer drops the command if it has not
    /// started it yet. Shorter than the HTTP request timeout, so the answer is this one.
    pub write_timeout: std::time::Duration,
    /// Commands waiting for each writer, at most. A command that finds the queue full is
    /// refused at once ([`StoreError::Busy`]) rather than piling up behind a stalled writer.
    pub write_queue: usize,
    /// Limits every PostgreSQL session of this store sets for itself.
    pub session: SessionLimits,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            read_pool_size: 8,
            max_batch: 128,
            migrate: true,
            pg_writers: 4,
            write_timeout: std::time::Duration::from_secs(10),
            write_queue: 1024,
            session: SessionLimits::default(),
        }
    }
}

/// What each PostgreSQL connection sets at its start (as startup options, so a pooler or a
/// server default cannot leave them out), instead of trusting the server's defaults:
///
/// * `lock_timeout`: a statement waiting longer than this for a lock fails (and the writer
///   retries the command a few times), so one stuck transaction cannot hold every writer.
/// * `statement_timeout`: no statement runs longer than this.
/// * `idle_in_transaction_session_timeout`: the server ends a session that sits inside a
///   transaction doing nothing this long — a process frozen (SIGSTOP, swapped out, a debugger)
///   between its last statement and COMMIT gives up its row locks and the audit chain head
///   instead of blocking every other process's writes forever. Its own commit then fails, and
///   its callers hear "outcome unknown", never "done".
/// * `tcp_keepalives_*`: the server notices a client host that vanished without closing its
///   connection (sqlx does not expose the client socket's keepalive; these are the server's
///   keepalives on the same connection, and do the same job for the locks it holds).
/// * `synchronous_commit = on`: "booked" means flushed to disk, whatever the server default.
///
/// Zero turns a timeout off. Migrations and `nobat migrate-to` run with the timeouts off:
/// they may legitimately wait for another process's migration or copy a large database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub lock_timeout: std::time::Duration,
    pub statement_timeout: std::time::Duration,
    pub idle_in_transaction_timeout: std::time::Duration,
    /// Seconds of silence before the server probes the connection.
    pub keepalive_idle: std::time::Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            lock_timeout: std::time::Duration::from_secs(5),
            statement_timeout: std::time::Duration::from_secs(30),
            idle_in_transaction_timeout: std::time::Duration::from_secs(10),
            keepalive_idle: std::time::Duration::from_secs(60),
        }
    }
}

impl SessionLimits {
    /// For long maintenance sessions: no lock, statement or idle limit; keepalives stay.
    pub fn unbounded() -> Self {
        let zero = std::time::Duration::ZERO;
        Self { lock_timeout: zero, statement_timeout: zero, idle_in_transaction_timeout: zero, ..Self::default() }
    }
}

/// The handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    readers: db::Readers,
    /// One sender per writer; a command goes to the writer of the practitioner it locks.
    writers: Vec<mpsc::Sender<writer::Job>>,
    write_timeout: std::time::Duration,
    events: broadcast::Sender<Event>,
    shutdown: watch::Sender<bool>,
    /// Turns true when the server stops taking requests: live streams end then, so a graceful
    /// shutdown does not wait for clients that never hang up.
    draining: watch::Sender<bool>,
    writer_done: Mutex<Vec<oneshot::Receiver<()>>>,
    directory: Arc<directory_cache::DirectoryCache>,
    /// Woken when a command of this process may have scheduled a job sooner than the job
    /// runner is waiting for.
    timers: tokio::sync::Notify,
    /// The LISTEN task relaying other processes' events (PostgreSQL only).
    relay: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Store {
    /// Connects, migrates (unless told not to), checks the schema version and starts the writer.
    pub async fn open(url: &str, options: StoreOptions) -> StoreResult<Store> {
        let engine = Engine::from_url(url)?;
        let mut conn = engine::connect_writer(engine, url, &SessionLimits::unbounded()).await?;
        let checked = async {
            if options.migrate {
                migrate::run(&mut conn, engine).await?;
            }
            let version = migrate::version(&mut conn).await?;
            if version != migrate::current_version() {
                return Err(StoreError::SchemaMismatch(format!(
                    "the database is at schema version {version}, this nobat needs {}; run `nobat migrate`",
                    migrate::current_version()
                )));
            }
            Ok(())
        }
        .await;
        conn.close().await;
        checked?;
        let readers = engine::connect_readers(engine, url, options.read_pool_size, &options.session).await?;
        let (events, _) = broadcast::channel(4096);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let origin = uuid::Uuid::new_v4();
        // PostgreSQL serializes writers on row locks, so several connections commit in
        // parallel; SQLite takes one writer at a time, so more would only queue on its lock.
        let count = match engine {
            Engine::Sqlite => 1,
            Engine::Postgres => options.pg_writers.clamp(1, 64),
        };
        let directory = Arc::new(directory_cache::DirectoryCache::default());
        let mut writers = Vec::with_capacity(count);
        let mut writer_done = Vec::with_capacity(count);
        for _ in 0..count {
            let (tx, rx) = mpsc::channel(options.write_queue.max(1));
            let setup = WriterSetup {
                session: options.session,
                engine,
                url: url.to_owned(),
                max_batch: options.max_batch.max(1),
                events: events.clone(),
                origin,
                directory: directory.clone(),
            };
            writer_done.push(spawn_writer(setup, rx, shutdown_rx.clone()).await?);
            writers.push(tx);
        }
        tokio::spawn(directory_cache::follow(Arc::downgrade(&directory), events.subscribe()));
        let relay =
            (engine == Engine::Postgres).then(|| tokio::spawn(relay::listen(url.to_owned(), origin, events.clone())));
        Ok(Store {
            inner: Arc::new(Inner {
                engine,
                readers,
                writers,
                write_timeout: options.write_timeout,
                events,
                shutdown,
                draining: watch::channel(false).0,
                writer_done: Mutex::new(writer_done),
                relay: Mutex::new(relay),
                directory,
                timers: tokio::sync::Notify::new(),
            }),
        })
    }

    /// Applies pending migrations and returns the versions applied, without starting anything.
    pub async fn migrate(url: &str) -> StoreResult<Vec<i64>> {
        let engine = Engine::from_url(url)?;
        let mut conn = engine::connect_writer(engine, url, &SessionLimits::unbounded()).await?;
        let applied = migrate::run(&mut conn, engine).await;
        conn.close().await;
        applied
    }

    /// The practitioner a command locks first. Commands that name an appointment only are
    /// looked up, when there are several writers, so that every change to one practitioner
    /// goes through the same writer and concurrent writers rarely cross locks. (The writer
    /// checks again under the lock; a stale answer costs only a possible deadlock retry.)
    async fn lock_key(&self, cmd: &Command) -> String {
        let appointment = match cmd {
            Command::Cancel(r) => Some((r.clinic, r.appointment)),
            Command::SetStatus(r) => Some((r.clinic, r.appointment)),
            Command::Reschedule(r) if r.practitioner.is_none() => Some((r.clinic, r.appointment)),
            _ => None,
        };
        match appointment {
            Some((clinic, id)) if self.inner.writers.len() > 1 => {
                self.appointment(clinic, id).await.map(|a| a.practitioner.to_string()).unwrap_or_default()
            }
            _ => cmd.lock_key(),
        }
    }

    pub fn engine(&self) -> Engine {
        self.inner.engine
    }

    /// Sends a command to the writer and waits until it is committed (or refused).
    ///
    /// A full queue is refused at once ([`StoreError::Busy`]: nothing was done). A command not
    /// answered within the write timeout gives [`StoreError::OutcomeUnknown`]: the writer drops
    /// it if it has not started it by then (it checks that its caller is still waiting before
    /// each command), but one already under way may still commit — so the answer says so, and
    /// a retry with the same Idempotency-Key is the safe way on. Dropping this future (the
    /// client went away, the HTTP timeout fired) likewise drops a command not yet started.
    pub async fn execute(&self, cmd: Command) -> StoreResult<Output> {
        let (reply, answer) = oneshot::channel();
        let writers = &self.inner.writers;
        let key = self.lock_key(&cmd).await;
        let wakes = cmd.schedules_jobs();
        let index = if writers.len() == 1 {
            0
        } else {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            (h.finish() % writers.len() as u64) as usize
        };
        let slot = writers[index].try_reserve().map_err(|e| match e {
            mpsc::error::TrySendError::Full(()) => {
                metrics::counter!("nobat_commands_total", "command" => cmd.name(), "outcome" => "busy").increment(1);
                StoreError::Busy
            }
            mpsc::error::TrySendError::Closed(()) => StoreError::Unavailable("the server is shutting down".into()),
        })?;
        slot.send(writer::Job { cmd, key, reply });
        let out = match tokio::time::timeout(self.inner.write_timeout, answer).await {
            Ok(Ok(result)) => result,
            // The writer went away holding the command: it may have committed it.
            Ok(Err(_)) | Err(_) => Err(StoreError::OutcomeUnknown),
        };
        if wakes && out.is_ok() {
            // A stored permit if the runner is not waiting yet: the wake-up is never lost.
            self.inner.timers.notify_one();
        }
        out
    }

    /// Publishes an event that is not the result of a database change (an operator alert) to
    /// this process's listeners.
    pub fn announce(&self, event: Event) {
        let _ = self.inner.events.send(event);
    }

    /// Committed events, in commit order, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Ends live streams ([`Self::draining`]): the server is shutting down.
    pub fn drain(&self) {
        let _ = self.inner.draining.send(true);
    }

    /// Turns true when live streams must end (see [`Self::drain`]).
    pub fn draining(&self) -> watch::Receiver<bool> {
        self.inner.draining.subscribe()
    }

    /// Ready to serve: every writer is running, a read connection answers, and the schema is
    /// the one this binary expects.
    pub async fn ready(&self) -> StoreResult<()> {
        if self.inner.writers.iter().any(|w| w.is_closed()) {
            return Err(StoreError::Unavailable("a database writer has stopped".into()));
        }
        let mut conn = self.reader().await?;
        let version = migrate::version(&mut conn).await?;
        if version != migrate::current_version() {
            return Err(StoreError::SchemaMismatch(format!(
                "schema version {version}, expected {}",
                migrate::current_version()
            )));
        }
        Ok(())
    }

    /// Figures for the metrics endpoint and `nobat stats`, read from the database (so they
    /// are the same whichever process is asked).
    pub async fn gauges(&self) -> StoreResult<Gauges> {
        let mut conn = self.reader().await?;
        let now = jiff::Timestamp::now().as_microsecond();
        let row = db::query(
            "SELECT (SELECT COUNT(*) FROM outbox_deliveries WHERE status = 'pending') AS outbox_pending, \
                    (SELECT MIN(created_at_us) FROM outbox_deliveries WHERE status = 'pending') AS outbox_oldest_us, \
                    (SELECT COUNT(*) FROM holds WHERE expires_at_us > $1) AS holds_active, \
                    (SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND run_at_us <= $1 - 60000000 \
                       AND (leased_until_us IS NULL OR leased_until_us <= $1)) AS jobs_overdue, \
                    (SELECT COUNT(*) FROM jobs WHERE status = 'dead') AS jobs_dead, \
                    (SELECT COUNT(*) FROM appointments WHERE occupies = 1 AND start_us > $1) AS appointments_upcoming, \
                    (SELECT COUNT(*) FROM clinics) AS clinics",
        )
        .bind(now)
        .fetch_one(&mut conn)
        .await?;
        let mut pending = row.int("outbox_pending")?;
        let mut oldest = row.opt_int("outbox_oldest_us")?;
        // Events a consumer has not turned into deliveries yet are pending for it too.
        for c in commands::CONSUMERS {
            let behind = db::query(
                "SELECT CAST(COALESCE(SUM(h.last_seq - COALESCE(k.last_seq, 0)), 0) AS BIGINT) AS behind, \
                        MIN(e.at_us) AS oldest_us \
                 FROM event_heads h LEFT JOIN outbox_cursors k ON k.clinic_id = h.clinic_id AND k.consumer = $1 \
                 LEFT JOIN events e ON e.clinic_id = h.clinic_id AND e.seq = COALESCE(k.last_seq, 0) + 1 \
                 WHERE h.last_seq > COALESCE(k.last_seq, 0)",
            )
            .bind(c.name)
            .fetch_one(&mut conn)
            .await?;
            pending += behind.int("behind")?;
            oldest = match (oldest, behind.opt_int("oldest_us")?) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        drop(conn);
        let (read_pool_in_use, read_pool_size) = self.inner.readers.in_use();
        Ok(Gauges {
            read_pool_in_use,
            read_pool_size,
            outbox_pending: pending,
            outbox_oldest_age_seconds: oldest.map_or(0.0, |t| (now - t).max(0) as f64 / 1e6),
            holds_active: row.int("holds_active")?,
            jobs_overdue: row.int("jobs_overdue")?,
            jobs_dead: row.int("jobs_dead")?,
            appointments_upcoming: row.int("appointments_upcoming")?,
            clinics: row.int("clinics")?,
        })
    }

    /// The session settings PostgreSQL applied to this store's connections (from a read
    /// connection; the writers are opened with the same options), as `(name, value with unit)`.
    /// Empty on SQLite. For diagnostics, and to prove the settings are Nobat's own.
    pub async fn session_settings(&self) -> StoreResult<Vec<(String, String)>> {
        if self.inner.engine != Engine::Postgres {
            return Ok(Vec::new());
        }
        let mut conn = self.reader().await?;
        let rows = db::query(
            "SELECT name, setting || COALESCE(unit, '') AS value FROM pg_settings WHERE name IN \
             ('lock_timeout', 'statement_timeout', 'idle_in_transaction_session_timeout', 'synchronous_commit', \
              'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count') ORDER BY name",
        )
        .fetch_all(&mut conn)
        .await?;
        rows.iter().map(|r| Ok((r.text("name")?, r.text("value")?))).collect()
    }

    /// Checks that a read connection answers.
    pub async fn ping(&self) -> StoreResult<()> {
        self.reader().await?.ping().await
    }

    /// Finishes queued writes, stops the writer and closes the pool. Later writes are refused.
    pub async fn close(&self) {
        self.drain();
        let _ = self.inner.shutdown.send(true);
        if let Some(relay) = self.inner.relay.lock().ok().and_then(|mut t| t.take()) {
            relay.abort();
        }
        let done: Vec<_> = self.inner.writer_done.lock().map(|mut d| d.drain(..).collect()).unwrap_or_default();
        for d in done {
            let _ = d.await;
        }
        self.inner.readers.close().await;
    }

    pub(crate) async fn reader(&self) -> StoreResult<db::ReadConn> {
        self.inner.readers.acquire().await
    }
}

/// What a writer is started with.
struct WriterSetup {
    session: SessionLimits,
    engine: Engine,
    url: String,
    max_batch: usize,
    events: broadcast::Sender<Event>,
    origin: uuid::Uuid,
    directory: Arc<directory_cache::DirectoryCache>,
}

/// Starts the writer on a thread of its own, with its own single-threaded runtime: SQLite's
/// calls (and its fsync at every commit) block, and must never stall the request workers.
/// Returns once the writer's connection is open; the receiver completes when it has stopped.
async fn spawn_writer(
    setup: WriterSetup,
    rx: mpsc::Receiver<writer::Job>,
    shutdown: watch::Receiver<bool>,
) -> StoreResult<oneshot::Receiver<()>> {
    let (ready_tx, ready_rx) = oneshot::channel::<StoreResult<()>>();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let WriterSetup { session, engine, url, max_batch, events, origin, directory } = setup;
    std::thread::Builder::new()
        .name("nobat-writer".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(async move {
                    match engine::connect_writer(engine, &url, &session).await {
                        Ok(conn) => {
                            let _ = ready_tx.send(Ok(()));
                            let cache = cache::CalendarCache::default();
                            let writer = writer::Writer {
                                conn,
                                engine,
                                url,
                                session,
                                max_batch,
                                events,
                                origin,
                                cache,
                                directory,
                                commit_sent: false,
                            };
                            writer.run(rx, shutdown).await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                }),
                Err(e) => {
                    let _ = ready_tx.send(Err(StoreError::Unavailable(format!("cannot start the writer: {e}"))));
                }
            }
            let _ = done_tx.send(());
        })
        .map_err(|e| StoreError::Unavailable(format!("cannot start the writer thread: {e}")))?;
    ready_rx.await.map_err(|_| StoreError::Unavailable("the writer thread stopped while starting".into()))??;
    Ok(done_rx)
}
