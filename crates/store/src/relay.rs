//! Live events across processes on PostgreSQL, with LISTEN/NOTIFY — no extra broker.
//!
//! The writer adds `pg_notify` calls to each batch's transaction, so other processes hear of a
//! change exactly when it commits (PostgreSQL delivers notifications at commit, never for a
//! rolled-back transaction). Every process listens and re-publishes what other processes
//! committed on its own in-process broadcast, so live streams, caches and (later) the watch
//! matcher see every change whichever process made it.
//!
//! NOTIFY is not durable: a process that was disconnected misses what happened meanwhile.
//! Consumers that must not miss anything read the outbox or `Store::events_since` (every
//! event carries its clinic's seq, so a hole is visible); the relay is for liveness.
//!
//! Any database role allowed to LISTEN reads this channel: it carries [`Event`]s only — kinds,
//! ids and seqs, never a code, a contact or a hold id (those stay in the outbox messages).

use crate::db::{self, Conn};
use crate::error::StoreResult;
use crate::tx::Event;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The channel every Nobat process listens on.
pub(crate) const CHANNEL: &str = "nobat_events";

/// PostgreSQL refuses payloads of 8000 bytes or more; stay well below.
const MAX_PAYLOAD: usize = 7000;

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The process that committed the events, so it does not hear itself twice.
    origin: Uuid,
    events: Vec<Event>,
}

/// Queues notifications for `events` in the open transaction.
pub(crate) async fn notify(conn: &mut Conn, origin: Uuid, events: &[Event]) -> StoreResult<()> {
    let mut chunk: Vec<Event> = Vec::new();
    let mut size = 0;
    for e in events {
        let len = serde_json::to_string(e).map(|s| s.len()).unwrap_or(0);
        if !chunk.is_empty() && size + len > MAX_PAYLOAD {
            send(conn, origin, std::mem::take(&mut chunk)).await?;
            size = 0;
        }
        if len > MAX_PAYLOAD {
            tracing::warn!(topic = %e.kind, "event too large to relay; other processes will not see it live");
            continue;
        }
        size += len;
        chunk.push(e.clone());
    }
    if !chunk.is_empty() {
        send(conn, origin, chunk).await?;
    }
    Ok(())
}

async fn send(conn: &mut Conn, origin: Uuid, events: Vec<Event>) -> StoreResult<()> {
    let payload = serde_json::to_string(&Envelope { origin, events }).unwrap_or_default();
    db::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(conn).await?;
    Ok(())
}

/// Listens for other processes' events and re-publishes them locally, reconnecting forever.
pub(crate) async fn listen(url: String, origin: Uuid, out: broadcast::Sender<Event>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "cannot LISTEN; retrying");
                } else {
                    delay = Duration::from_millis(200);
                    loop {
                        match listener.try_recv().await {
                            // The connection dropped (and will be re-established on the next
                            // call): notifications sent meanwhile are lost, so tell local
                            // listeners to re-read what they cache.
                            Ok(None) => {
                                tracing::warn!("event relay reconnecting; announcing a gap");
                                let _ = out.send(gap());
                            }
                            Ok(Some(n)) => match serde_json::from_str::<Envelope>(n.payload()) {
                                Ok(env) if env.origin != origin => {
                                    for e in env.events {
                                        let _ = out.send(e);
                                    }
                                }
                                Ok(_) => {}
                                Err(e) => tracing::warn!(error = %e, "unreadable notification"),
                            },
                            Err(e) => {
                                tracing::warn!(error = %e, "event relay lost its connection");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "event relay cannot connect"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// The event that tells local listeners some other process's events may have been missed.
fn gap() -> Event {
    Event::local(nobat_core::ClinicId(Uuid::nil()), crate::events::EventKind::RelayGap, Default::default())
}
