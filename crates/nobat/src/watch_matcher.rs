//! The watch matcher: every process runs one. It claims the `watches` outbox consumer's
//! deliveries (cancellations, moves, released and expired holds, new hours…) and has the store
//! match each to the watches waiting for that time (`WatchOp::Match`: notices, offer holds and
//! bookings written, and the delivery completed, in one transaction). A process that was down
//! resumes from the consumer's cursor, so no freed slot is lost; several processes on one
//! PostgreSQL database take disjoint deliveries, and the practitioner's lock inside the
//! transaction keeps two of them from giving one slot twice.

use anyhow::anyhow;
use nobat_store::commands::{CONSUMERS, WatchOp};
use nobat_store::{Command, EventKind, Output, Store, StoreError};
use std::time::Duration;

pub const CONSUMER: &str = "watches";
const BATCH: u32 = 32;
/// A delivery is matched in one short transaction; a crashed matcher's rows come back then.
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);
/// The longest sleep between rounds (other processes' events, retries coming due).
const POLL: Duration = Duration::from_secs(2);

/// One round: matches every claimable delivery.
pub async fn round(store: &Store) -> anyhow::Result<()> {
    loop {
        let cmd = Command::ClaimOutbox { consumer: CONSUMER.into(), limit: BATCH, lease: LEASE };
        let items = match store.execute(cmd).await? {
            Output::Outbox(items) => items,
            other => return Err(anyhow!("claiming the outbox answered {other:?}")),
        };
        let claimed = items.len();
        for item in items {
            match store.execute(Command::Watch(WatchOp::Match(item.clone()))).await {
                Ok(_) | Err(StoreError::LeaseLost) => {}
                Err(e) => {
                    let error = format!("{e}");
                    tracing::warn!(topic = %item.topic, %error, "could not match a freed slot to watches; retried later");
                    if let Err(e) = store.execute(Command::RetryOutbox { item, after: None, error }).await {
                        tracing::warn!(error = %e, "could not give the delivery back; its lease runs out");
                    }
                }
            }
        }
        if claimed < BATCH as usize {
            return Ok(());
        }
    }
}

/// Waits for an event the matcher wants (in this process), or at most [`POLL`].
pub async fn pause(events: &mut tokio::sync::broadcast::Receiver<nobat_store::Event>) {
    let wanted = |k: EventKind| CONSUMERS.iter().any(|c| c.name == CONSUMER && c.wants.contains(&k));
    let _ = tokio::time::timeout(POLL, async {
        loop {
            match events.recv().await {
                Ok(e) if wanted(e.kind) => return,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    })
    .await;
}
