//! The `nobat` binary as a library: build the application from a [`Config`] and a listener,
//! run it until a shutdown signal. Tests start the real application on port 0.

pub mod accounts;
pub mod backups;
pub mod channels_config;
pub mod clinic_channels;
pub mod config;
pub mod data_keys;
pub mod demo;
pub mod demo_notes;
pub mod demo_queue;
pub mod dispatch;
pub mod import_cli;
pub mod metrics;
pub mod reference;
pub mod secrets;
pub mod serve;
pub mod sources;
pub mod supervisor;
pub mod telegram_bot;
pub mod telegram_patient;
pub mod telegram_staff;
pub mod timers;
pub mod watch_matcher;
pub mod webhooks;

pub use config::Config;

use anyhow::Context;
use jiff::SignedDuration;
use nobat_store::{Store, StoreOptions};
use nobat_web::AppState;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// A built, not yet running, Nobat server.
pub struct Application {
    listener: TcpListener,
    store: Store,
    state: AppState,
    metrics: Option<TcpListener>,
    backups: Option<(String, backups::Schedule)>,
    limits: serve::Limits,
    /// The message dispatcher (runs as a supervised worker).
    dispatcher: dispatch::Dispatcher,
    channels: channels_config::ChannelConfig,
    /// The poller of followed sources (sources.rs).
    sources: sources::SourceSettings,
    /// Held while the server runs: one server per SQLite data directory, and no restore under
    /// a running server.
    _lock: Option<std::fs::File>,
}

/// Creates the data directory if it does not exist yet. Every engine needs it: on SQLite it
/// holds the database, on any engine the generated secret and the demo's credentials.
pub fn ensure_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the data directory {}", dir.display()))
}

/// Takes the data directory's lock, or says who holds it.
pub fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    ensure_data_dir(dir)?;
    let path = dir.join("nobat.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            anyhow::bail!("another nobat is using {} (stop it first)", dir.display())
        }
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("locking {}", path.display())),
    }
}

impl Application {
    /// Opens (and migrates) the database, binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        // First, before anything is written anywhere: a missing, unwritable data directory must
        // stop the start, not a later step (the demo's credentials) half-way.
        ensure_data_dir(&config.data_dir)?;
        let lock =
            if config.database_url.starts_with("sqlite:") { Some(lock_data_dir(&config.data_dir)?) } else { None };
        let options = StoreOptions {
            read_pool_size: config.read_pool_size,
            max_batch: config.max_batch,
            migrate: true,
            pg_writers: config.pg_writers,
            write_timeout: std::time::Duration::from_millis(config.write_timeout_ms),
            write_queue: config.write_queue,
            session: config.pg_session,
        };
        let store = Store::open(&config.database_url, options)
            .await
            .with_context(|| format!("opening {}", config::redact_url(&config.database_url)))?;
        let master = secrets::load(config.secret_key.as_deref(), &config.data_dir)?;
        secrets::check_fingerprint(&config.database_url, &master).await?;
        let data_keys = std::sync::Arc::new(data_keys::load(config.data_keys.as_deref(), &config.data_dir)?);
        let listener =
            TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", listener.local_addr().map_or(config.listen, |a| a)));
        let keys = std::sync::Arc::new(nobat_web::auth::keys::Keys::from_master(&master));
        let auth = nobat_web::auth::AuthConfig::new(
            nobat_web::auth::keys::Keys::from_master(&master),
            config.limits,
            public_url.clone(),
        );
        // The instance's channels: SMS, Telegram, WhatsApp from their keys, email from SMTP's.
        let mut registry = config.channels.registry()?;
        if let Some(email) = config.messages.email.channel().map_err(|e| anyhow::anyhow!("smtp_url: {e}"))? {
            registry.insert(email);
        }
        let dispatcher = dispatch::Dispatcher {
            store: store.clone(),
            registry,
            settings: config.messages.clone(),
            public_url: public_url.clone(),
            keys,
            messages: std::sync::Arc::new(nobat_i18n::Messages::load().context("loading the message catalogues")?),
            overrides: Default::default(),
            last_prune: Default::default(),
        };
        let state = AppState {
            store: store.clone(),
            hold_ttl: SignedDuration::from_secs(i64::from(config.hold_ttl_seconds)),
            hold_caps: config.hold_caps,
            workers: Default::default(),
            auth: std::sync::Arc::new(auth),
            webhooks_allow_private: config.channels.webhook_allow_private_addresses,
            smart: config.smart,
            smart_stale: SignedDuration::from_secs(config.sources.stale_seconds as i64),
            data_keys,
            data_dir: config.data_dir.clone(),
        };
        let metrics = match config.metrics_listen {
            Some(addr) => {
                metrics::handle();
                Some(TcpListener::bind(addr).await.with_context(|| format!("metrics listener on {addr}"))?)
            }
            None => None,
        };
        let backups = config.backup_dir.clone().map(|dir| {
            let schedule = backups::Schedule {
                dir,
                every: Duration::from_secs(config.backup_interval_seconds),
                keep_daily: config.backup_keep_daily,
                keep_weekly: config.backup_keep_weekly,
            };
            (config.database_url.clone(), schedule)
        });
        Ok(Self {
            listener,
            store,
            state,
            metrics,
            backups,
            limits: config.serve_limits(),
            dispatcher,
            channels: config.channels.clone(),
            sources: config.sources,
            _lock: lock,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Where metrics are served, if they are.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The record of failing background workers (what `/readyz` reports).
    pub fn workers(&self) -> nobat_web::health::WorkerHealth {
        self.state.workers.clone()
    }

    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The data key ring sealing clinical content (what `state.data_keys` holds).
    pub fn data_keys(&self) -> std::sync::Arc<nobat_store::at_rest::DataKeys> {
        self.state.data_keys.clone()
    }

    /// Serves until `shutdown` completes, then stops taking requests, lets in-flight ones
    /// finish, commits queued writes and closes the database.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        // Durable timers (hold expiry, retention, …): one runner per process, see timers.rs.
        let runner = {
            let (store, pace) = (self.store.clone(), self.store.clone());
            let registered = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            tokio::spawn(supervisor::supervise_paced(
                "jobs",
                self.state.workers.clone(),
                self.store.clone(),
                move || {
                    let (store, registered) = (store.clone(), registered.clone());
                    async move {
                        if !registered.load(std::sync::atomic::Ordering::Relaxed) {
                            timers::register_recurring(&store).await?;
                            registered.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        timers::round(&store).await
                    }
                },
                move || {
                    let store = pace.clone();
                    async move { timers::pause(&store).await }
                },
            ))
        };
        // Outgoing messages: one dispatcher per process, see dispatch/mod.rs. It runs even with
        // no instance channel configured: a clinic may set its own credentials at any time
        // (until one does, each round is one small read). Idle, it wakes on the events it
        // plans from and otherwise every poll interval.
        let dispatcher = {
            let (d, pace) = (self.dispatcher.clone(), self.dispatcher.clone());
            let events = std::sync::Arc::new(tokio::sync::Mutex::new(self.store.subscribe()));
            tokio::spawn(supervisor::supervise_paced(
                "dispatcher",
                self.state.workers.clone(),
                self.store.clone(),
                move || {
                    let d = d.clone();
                    async move { d.round().await }
                },
                move || {
                    let (d, events) = (pace.clone(), events.clone());
                    async move { d.pause(&mut *events.lock().await).await }
                },
            ))
        };
        // Watches: the `watches` outbox consumer matches freed time to watchers (watch_matcher.rs).
        let matcher = {
            let (store, events) =
                (self.store.clone(), std::sync::Arc::new(tokio::sync::Mutex::new(self.store.subscribe())));
            tokio::spawn(supervisor::supervise_paced(
                "watches",
                self.state.workers.clone(),
                self.store.clone(),
                move || {
                    let store = store.clone();
                    async move { watch_matcher::round(&store).await }
                },
                move || {
                    let events = events.clone();
                    async move { watch_matcher::pause(&mut *events.lock().await).await }
                },
            ))
        };
        // The instance Telegram bot (telegram_bot.rs): polled by whichever process holds its lease.
        let telegram = match &self.channels.settings.telegram_bot_token {
            Some(token) if !token.is_empty() => {
                let url = self
                    .channels
                    .settings
                    .telegram_api_url
                    .clone()
                    .unwrap_or_else(|| "https://api.telegram.org".into());
                let poller = telegram_bot::Poller::new(self.store.clone(), &url, token)?
                    .with_staff(self.state.clone())
                    .with_links(self.state.auth.clone());
                let (p, pace) = (poller.clone(), poller.clone());
                let task = tokio::spawn(supervisor::supervise_paced(
                    "telegram-bot",
                    self.state.workers.clone(),
                    self.store.clone(),
                    move || {
                        let p = p.clone();
                        async move { p.round().await }
                    },
                    move || {
                        let p = pace.clone();
                        async move { p.pause().await }
                    },
                ));
                Some((poller, task))
            }
            _ => None,
        };
        // Clinics' webhooks: the `webhooks` outbox consumer (webhooks.rs).
        let webhooks =
            webhooks::spawn(self.store.clone(), self.state.auth.clone(), self.state.workers.clone(), &self.channels);
        // Followed sources (issue 13): every process runs a poller; a lease per source makes
        // exactly one poll it at a time.
        let poller = {
            let poller = sources::Poller {
                store: self.store.clone(),
                http: nobat_notify::http::Http::new(Duration::from_secs(20)),
                settings: self.sources,
                owner: uuid::Uuid::now_v7().to_string(),
            };
            tokio::spawn(supervisor::supervise(
                "sources",
                sources::ROUND_PAUSE,
                self.state.workers.clone(),
                self.store.clone(),
                move || {
                    let poller = poller.clone();
                    async move { poller.round().await.map(|_| ()) }
                },
            ))
        };
        let backups = self.backups.map(|(url, schedule)| tokio::spawn(backups::run(url, schedule)));
        let metrics = self.metrics.map(|listener| {
            let router = metrics::router(self.store.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "metrics listener stopped");
                }
            })
        });
        let app = nobat_web::app(self.state);
        // Live event streams never end by themselves: end them when the shutdown begins.
        let store = self.store.clone();
        let shutdown = async move {
            shutdown.await;
            store.drain();
        };
        serve::serve(self.listener, app, self.limits, shutdown).await.context("serving HTTP")?;
        runner.abort();
        dispatcher.abort();
        poller.abort();
        matcher.abort();
        // The round under way finishes (bounded), so no delivery stays leased after a restart.
        webhooks
            .stop(Duration::from_millis(self.channels.webhook_timeout_ms.saturating_mul(2)) + Duration::from_secs(1))
            .await;
        if let Some((poller, task)) = telegram {
            poller.stop(task, Duration::from_secs(30)).await;
        }
        if let Some(b) = backups {
            b.abort();
        }
        if let Some(m) = metrics {
            m.abort();
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
