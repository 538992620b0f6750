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
}

impl Dispatcher {
    /// One round: plans every claimable outbox delivery, then sends every due message.
    pub async fn round(&self) -> anyhow::Result<()> {
        planner::plan_all(self).await?;
        sender::send_all(self).await
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
