//! The `webhooks` outbox consumer: every appointment event of a clinic is POSTed as JSON to
//! each of the clinic's webhook endpoints, signed
//! `X-Nobat-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (the
//! timestamp inside the signature lets receivers refuse replays of old deliveries).
//!
//! One outbox delivery per event; an endpoint that answered 2xx is recorded in
//! `webhook_sends` at once, so when another endpoint of the same clinic fails and the event
//! is retried (after `webhook_retry_seconds`, doubling, via the outbox's release) only the
//! endpoints that have not taken it are called again. After the consumer's attempts (10) the
//! delivery is dead-lettered with its last error; at once when every failure is for good (a
//! receiver's 4xx other than 408/429, or a URL that now resolves to a private address). A
//! crash between a receiver's 2xx and the record can repeat that one delivery: receivers
//! de-duplicate by `X-Nobat-Event-Id`.

use hmac::{Hmac, Mac};
use jiff::SignedDuration;
use nobat_notify::SendError;
use nobat_notify::http::{Http, classify, request};
use nobat_store::commands::{ChannelCommand, OutboxItem};
use nobat_store::{Command, Output, Store};
use nobat_web::auth::AuthConfig;
use nobat_web::auth::vault;
use serde_json::json;
use sha2::Sha256;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONSUMER: &str = "webhooks";
/// Events claimed per round, sent concurrently.
const BATCH: u32 = 16;
/// How long `webhook_sends` rows are kept: longer than the consumer's 72 h stale limit and the
/// outbox's week of retention, so a retry never meets a forgotten send.
const SENDS_KEPT: SignedDuration = SignedDuration::from_hours(8 * 24);

pub struct Webhooks {
    store: Store,
    auth: Arc<AuthConfig>,
    http: Http,
    retry_base: Duration,
    last_prune: std::sync::Mutex<Option<Instant>>,
    /// `webhook_allow_private_addresses`: else each URL is resolved and checked before sending.
    allow_private: bool,
}

/// `t=<unix>,v1=<hex>` for `body` signed at `t`.
pub fn signature(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhooks {
    pub fn new(
        store: Store,
        auth: Arc<AuthConfig>,
        timeout: Duration,
        retry_base: Duration,
        allow_private: bool,
    ) -> Webhooks {
        let last_prune = std::sync::Mutex::new(None);
        Webhooks { store, auth, http: Http::new(timeout), retry_base, last_prune, allow_private }
    }

    /// One round: claims due deliveries and sends them; returns how many were claimed.
    pub async fn round(&self) -> anyhow::Result<usize> {
        self.prune_now_and_then().await?;
        // Until some clinic registers an endpoint there is nobody to deliver to: claim nothing
        // (the deliveries wait in the log, go stale after the consumer's 72 h and are
        // dead-lettered by retention, as before this worker existed).
        if !self.store.any_webhooks().await? {
            return Ok(0);
        }
        // The lease covers every endpoint of a clinic timing out once, with room to spare.
        let lease = SignedDuration::try_from(self.http.timeout() * 12 + Duration::from_secs(30))?;
        let claimed =
            match self.store.execute(Command::ClaimOutbox { consumer: CONSUMER.into(), limit: BATCH, lease }).await? {
                Output::Outbox(items) => items,
                other => anyhow::bail!("claim answered {other:?}"),
            };
        let n = claimed.len();
        let results = futures::future::join_all(claimed.into_iter().map(|item| self.deliver(item))).await;
        for r in results {
            r?;
        }
        Ok(n)
    }

    async fn deliver(&self, item: OutboxItem) -> anyhow::Result<()> {
        let clinic = item.clinic;
        let endpoints = self.store.webhooks(clinic).await?;
        let done = self.store.webhook_sent_to(clinic, &item.id).await?;
        let body = json!({
            "id": item.id,
            "type": item.topic,
            "clinic": clinic.to_string(),
            "seq": item.seq,
            "data": item.payload,
        })
        .to_string();
        let mut errors = Vec::new();
        let mut wait = None;
        let mut refused_for_good = 0;
        for e in endpoints.iter().filter(|e| !done.contains(&e.id)) {
            // Resolved again now: a name registered public may have been pointed inside since.
            // (The connection resolves once more; a name that flips between the two lookups is
            // the remaining gap.)
            if !self.allow_private
                && let Err(why) = nobat_web::webhook_target::check_public(&e.url).await
            {
                errors.push(format!("{}: refused: the URL {why}", e.id));
                refused_for_good += 1;
                continue;
            }
            let Some(secret) =
                vault::open(&self.auth.keys, &vault::webhook_aad(&clinic.to_string(), &e.id), &e.secret_sealed)
            else {
                errors.push(format!("{}: its secret does not open (was the instance secret changed?)", e.id));
                continue;
            };
            let t = jiff::Timestamp::now().as_second();
            let req = request(
                "POST",
                &e.url,
                &[
                    ("content-type", "application/json".into()),
                    ("user-agent", "Nobat-Webhooks/1".into()),
                    ("x-nobat-event", item.topic.clone()),
                    ("x-nobat-event-id", item.id.clone()),
                    ("x-nobat-signature", signature(&secret, t, body.as_bytes())),
                ],
                body.clone().into_bytes(),
            );
            let outcome = match req {
                Ok(req) => match self.http.send(req).await {
                    Ok(reply) => classify(&reply, "webhook receiver"),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => {
                    let cmd =
                        ChannelCommand::WebhookSent { clinic, message_id: item.id.clone(), endpoint_id: e.id.clone() };
                    self.store.execute(Command::Channels(cmd)).await?;
                }
                Err(SendError::Transient { reason, after }) => {
                    wait = wait.max(after);
                    errors.push(format!("{}: {reason}", e.id));
                }
                // A receiver's 4xx other than 408 and 429 will not change by retrying.
                Err(SendError::Permanent { reason }) => {
                    refused_for_good += 1;
                    errors.push(format!("{}: {reason}", e.id));
                }
            }
        }
        if errors.is_empty() {
            self.store.execute(Command::CompleteOutbox(vec![item])).await?;
            return Ok(());
        }
        let error = errors.join("; ");
        if refused_for_good == errors.len() {
            // Every failure is for good: dead-lettered now, not after the attempts.
            tracing::warn!(clinic = %clinic, message = %item.id, %error, "webhook delivery refused; dead-lettered");
            let cmd = nobat_store::commands::MessageCommand::DeadLetter { item, error };
            return match self.store.execute(Command::Messages(cmd)).await {
                Ok(_) | Err(nobat_store::StoreError::LeaseLost) => Ok(()),
                Err(e) => Err(e.into()),
            };
        }
        let exp = self.retry_base.saturating_mul(1 << (item.attempts.clamp(1, 12) - 1) as u32);
        let after = exp.max(wait.unwrap_or_default()).min(Duration::from_secs(3600));
        tracing::warn!(clinic = %clinic, message = %item.id, attempts = item.attempts, %error, "webhook delivery failed");
        let after = Some(SignedDuration::try_from(after)?);
        match self.store.execute(Command::RetryOutbox { item, after, error }).await {
            // The lease ran out meanwhile (a very slow round): whoever holds it now decides.
            Err(nobat_store::StoreError::NotFound(_)) => Ok(()),
            r => r.map(|_| ()).map_err(Into::into),
        }
    }

    async fn prune_now_and_then(&self) -> anyhow::Result<()> {
        {
            let mut last = self.last_prune.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(3600)) {
                return Ok(());
            }
            *last = Some(Instant::now());
        }
        let before = jiff::Timestamp::now().checked_sub(SENDS_KEPT)?.as_microsecond();
        self.store
            .execute(Command::Channels(ChannelCommand::PruneWebhookSends { before_us: before, batch: 1000 }))
            .await?;
        Ok(())
    }

    /// Until the next round: an event was committed in this process (or relayed from
    /// another), or a second passed (retries come due by time).
    pub async fn pause(&self, events: &mut tokio::sync::broadcast::Receiver<nobat_store::Event>) {
        let _ = tokio::time::timeout(Duration::from_secs(1), events.recv()).await;
    }
}

/// The running worker: stop it with [`Running::stop`] so that no delivery is left leased.
pub struct Running {
    task: tokio::task::JoinHandle<()>,
    stopping: Arc<std::sync::atomic::AtomicBool>,
    busy: Arc<tokio::sync::Mutex<()>>,
}

impl Running {
    /// Lets the round under way finish (its deliveries completed or released, not left
    /// leased until the lease runs out), within `grace`, then ends the worker.
    pub async fn stop(self, grace: Duration) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = tokio::time::timeout(grace, self.busy.lock()).await;
        self.task.abort();
    }
}

/// Starts the worker, supervised (see `supervisor.rs`).
pub fn spawn(
    store: Store,
    auth: Arc<AuthConfig>,
    health: nobat_web::health::WorkerHealth,
    cfg: &crate::channels_config::ChannelConfig,
) -> Running {
    let worker = Arc::new(Webhooks::new(
        store.clone(),
        auth,
        Duration::from_millis(cfg.webhook_timeout_ms),
        Duration::from_secs(cfg.webhook_retry_seconds),
        cfg.webhook_allow_private_addresses,
    ));
    let events = Arc::new(tokio::sync::Mutex::new(store.subscribe()));
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy = Arc::new(tokio::sync::Mutex::new(()));
    let (w1, w2, stop, held) = (worker.clone(), worker, stopping.clone(), busy.clone());
    let task = tokio::spawn(crate::supervisor::supervise_paced(
        "webhooks",
        health,
        store,
        move || {
            let (w, stop, held) = (w1.clone(), stop.clone(), held.clone());
            async move {
                let _round = held.lock().await;
                // A full batch means more may be waiting: go again before pausing.
                while !stop.load(std::sync::atomic::Ordering::SeqCst) && w.round().await? == BATCH as usize {}
                Ok(())
            }
        },
        move || {
            let (w, events) = (w2.clone(), events.clone());
            async move {
                let mut rx = events.lock().await;
                w.pause(&mut rx).await;
            }
        },
    ));
    Running { task, stopping, busy }
}
