//! The dispatcher: every process runs one. It turns the `dispatcher` consumer's outbox
//! deliveries into messages ([`planner`]) and sends the messages that are due ([`sender`]).
//!
//! Delivery is at-least-once to the provider, with the message id as the idempotency key
//! (SMTP `Message-ID`), and never again once the provider accepted it: the attempt is
//! recorded right after the provider's answer. The only window for a duplicate is a crash
//! (or a lost database) between the provider accepting a message and that record committing:
//! the lease then runs out and the message is sent again. The window is one commit long; the
//! lease (default 5 minutes) is far longer than a send may take (the channel timeout, 30 s), so
//! a slow send is never taken over by another process while it is still going.

mod planner;
mod planner_queue;
mod planner_secure;
mod planner_sources;
mod planner_watch;
mod sender;
mod text;

use nobat_notify::{EmailSettings, Registry};
use nobat_store::{EventKind, Store};
use std::time::Duration;

/// The dispatcher's tuning (configuration keys `smtp_url`, `smtp_from`, `message_*`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub email: EmailSettings,
    /// Attempts before a message is dead-lettered.
    pub max_attempts: i64,
    /// The first retry's wait; doubled per attempt, at most an hour, with jitter.
    pub retry_base: Duration,
    /// How long a claimed message is exclusive.
    pub lease: Duration,
    /// Messages sent at once.
    pub concurrency: usize,
    /// The longest sleep between rounds (messages due later, other processes' work).
    pub poll: Duration,
    /// What one SMS segment costs, in millionths of the operator's currency (unset: SMS are
    /// not priced).
    pub sms_segment_price_micros: Option<i64>,
    /// How long a message's row (recipient, kind, outcome, cost) is kept.
    pub retention: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            email: EmailSettings::default(),
            max_attempts: 8,
            retry_base: Duration::from_secs(30),
            lease: Duration::from_secs(300),
            concurrency: 8,
            poll: Duration::from_secs(2),
            sms_segment_price_micros: None,
            retention: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

/// What a round needs; cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    pub store: Store,
    pub registry: Registry,
    pub settings: Settings,
    /// Where people reach this instance (invitation and manage links).
    pub public_url: String,
    /// Signs the manage links in patients' messages.
    pub keys: std::sync::Arc<nobat_web::auth::keys::Keys>,
    /// The catalogues, compiled once; and each clinic's own wording, cached.
    pub messages: std::sync::Arc<nobat_i18n::Messages>,
    pub overrides: std::sync::Arc<nobat_store::message_templates::OverridesCache>,
    /// When this process last pruned old messages (once an hour).
    pub last_prune: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl Dispatcher {
    /// One round: plans the claimable outbox deliveries and sends the due messages, a batch of
    /// each in turn, until neither has more.
    pub async fn round(&self) -> anyhow::Result<()> {
        self.prune_now_and_then().await?;
        // Nothing can be sent (no instance channel, no clinic's own): the deliveries wait,
        // unclaimed (until the dispatcher consumer's max_age), so a channel configured later
        // still sends what is recent. One small read per round.
        if self.registry.is_empty() && !self.store.any_channel_credentials().await? {
            return Ok(());
        }
        // A batch planned is a batch sent: under a burst, the first messages leave while later
        // deliveries are still being planned (planning everything first held every message
        // back by the whole burst's planning time).
        loop {
            let planned = planner::plan_batch(self).await?;
            let sent = sender::send_batch(self).await?;
            if planned < planner::BATCH as usize && sent < sender::BATCH as usize {
                return Ok(());
            }
        }
    }

    /// Waits for the next round: an event the dispatcher plans from in this process, or at
    /// most `poll` (retries coming due, other processes' events).
    pub async fn pause(&self, events: &mut tokio::sync::broadcast::Receiver<nobat_store::Event>) {
        let wanted = |k: EventKind| {
            nobat_store::commands::CONSUMERS.iter().any(|c| c.name == planner::CONSUMER && c.wants.contains(&k))
        };
        let _ = tokio::time::timeout(self.settings.poll, async {
            loop {
                match events.recv().await {
                    Ok(e) if wanted(e.kind) => return,
                    // A worker keeps failing (supervisor.rs): the operators get a durable
                    // message, sent in the next round.
                    Ok(e) if e.kind == EventKind::OperatorAlert => {
                        let worker = e.subjects.worker.unwrap_or_default();
                        if let Err(err) = self.store.execute(nobat_store::Command::AlertOperators { worker }).await {
                            tracing::warn!(error = %err, "could not record an operator alert");
                        }
                        return;
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        std::future::pending::<()>().await;
                    }
                }
            }
        })
        .await;
    }
}

/// The channels a clinic's messages can go by: the instance's, and those the clinic set its own
/// credentials for (whether they still open is found out when sending: a message that cannot
/// be sent is retried, then dead-lettered and the clinic's admins told).
pub(crate) async fn channels_of(
    d: &Dispatcher,
    clinic: nobat_core::ClinicId,
) -> anyhow::Result<std::collections::HashSet<nobat_notify::ChannelKind>> {
    let mut set: std::collections::HashSet<_> =
        nobat_notify::ChannelKind::ALL.iter().copied().filter(|k| d.registry.has(*k)).collect();
    if clinic != nobat_store::commands::INSTANCE_CLINIC {
        for c in d.store.channel_credentials(clinic).await? {
            set.extend(nobat_notify::ChannelKind::parse(&c.channel));
        }
    }
    Ok(set)
}

impl Dispatcher {
    /// Retention of the `messages` rows (`message_retention_days`), once an hour per process,
    /// in bounded batches. (Erasing a patient blanks their addresses at once; this is the rest.)
    async fn prune_now_and_then(&self) -> anyhow::Result<()> {
        {
            let mut last = self.last_prune.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(3600)) {
                return Ok(());
            }
            *last = Some(std::time::Instant::now());
        }
        let keep = jiff::SignedDuration::try_from(self.settings.retention)?;
        for _ in 0..10 {
            let cmd = nobat_store::commands::MessageCommand::Prune { keep, batch: 1000 };
            match self.store.execute(nobat_store::Command::Messages(cmd)).await? {
                nobat_store::Output::Count(1000) => continue,
                _ => break,
            }
        }
        Ok(())
    }
}
