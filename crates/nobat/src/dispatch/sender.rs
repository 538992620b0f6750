//! Due messages → providers. Claims leased batches, renders and sends each (a bounded number
//! at once), and records each attempt as soon as the provider answered (see the module doc of
//! `dispatch` for the one duplicate window).

use super::Dispatcher;
use anyhow::anyhow;
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use nobat_i18n::Lang;
use nobat_notify::retry::{self, Next};
use nobat_notify::{ChannelKind, MessageKind, Outgoing, SendError};
use nobat_store::commands::{Attempt, ClaimedMessage, MessageCommand};
use nobat_store::{Command, Output, StoreError};
use std::time::Duration;

pub const BATCH: u32 = 64;

/// Sends one claimed batch of due messages; answers how many it claimed.
pub async fn send_batch(d: &Dispatcher) -> anyhow::Result<usize> {
    let lease = SignedDuration::try_from(d.settings.lease).unwrap_or(SignedDuration::from_mins(5));
    let messages = match d.store.execute(Command::ClaimMessages { limit: BATCH, lease }).await? {
        Output::Messages(m) => m,
        other => return Err(anyhow!("claiming messages answered {other:?}")),
    };
    let claimed = messages.len();
    futures::stream::iter(messages)
        .for_each_concurrent(d.settings.concurrency.max(1), |m| async move { send_one(d, m).await })
        .await;
    Ok(claimed)
}

async fn send_one(d: &Dispatcher, m: ClaimedMessage) {
    if let Some(reason) = superseded(d, &m).await {
        return record(d, m, Attempt::Superseded { reason }).await;
    }
    let outcome = match attempt(d, &m).await {
        Ok(accepted) => Attempt::Sent { provider_id: accepted.provider_id },
        Err(error) => {
            let jitter = rand::random::<f64>();
            match retry::after_failure(&error, m.attempts, d.settings.max_attempts, d.settings.retry_base, jitter) {
                Next::Retry(wait) => {
                    let wait = SignedDuration::try_from(wait).unwrap_or(SignedDuration::from_hours(1));
                    let at = Timestamp::now().checked_add(wait).unwrap_or(Timestamp::MAX);
                    tracing::info!(message = %m.id, attempts = m.attempts, %error, "message not sent; retried later");
                    Attempt::Retry { at, error: error.to_string() }
                }
                Next::Dead => {
                    tracing::warn!(message = %m.id, attempts = m.attempts, %error, "message dead-lettered");
                    Attempt::Dead { error: error.to_string() }
                }
            }
        }
    };
    record(d, m, outcome).await;
}

/// Records an attempt. A sent message not recorded is sent again when its lease runs out, so
/// the record is retried a few times before giving up.
async fn record(d: &Dispatcher, m: ClaimedMessage, attempt: Attempt) {
    for pause in [0u64, 100, 500, 2000] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        match d.store.execute(Command::RecordMessage { message: m.clone(), attempt: attempt.clone() }).await {
            Ok(_) => return,
            Err(StoreError::LeaseLost) => {
                tracing::warn!(message = %m.id, "message lease lost before its attempt was recorded");
                return;
            }
            Err(e) => tracing::warn!(message = %m.id, error = %e, "could not record a message attempt; trying again"),
        }
    }
    tracing::error!(message = %m.id, "a message attempt went unrecorded; it is tried again when its lease runs out");
}

/// A confirmation, a change or a reminder of an appointment that is no longer booked (it was
/// cancelled or moved while the message waited for a retry) is not sent: the patient would
/// hear of it after the cancellation. Checked just before sending.
async fn superseded(d: &Dispatcher, m: &ClaimedMessage) -> Option<String> {
    if let Some(reason) = super::planner_queue::superseded(d, m).await {
        return Some(reason);
    }
    let about_booked = matches!(
        MessageKind::parse(&m.kind),
        Some(MessageKind::BookingConfirmed | MessageKind::BookingRescheduled | MessageKind::Reminder)
    );
    let appointment = m.appointment.filter(|_| about_booked)?;
    match d.store.appointment_facts(m.clinic, appointment).await {
        Ok(Some(f)) if f.status != "booked" => Some(format!("superseded: the appointment is {}", f.status)),
        Ok(None) => Some("superseded: the appointment is gone".into()),
        _ => None,
    }
}

/// Renders and sends one message.
async fn attempt(d: &Dispatcher, m: &ClaimedMessage) -> Result<nobat_notify::Accepted, SendError> {
    let channel_kind = ChannelKind::parse(&m.channel)
        .ok_or_else(|| SendError::Permanent { reason: format!("unknown channel {}", m.channel) })?;
    // The clinic's own account when it set one (sealed credentials), else the instance's.
    let channel = crate::clinic_channels::resolve(&d.store, &d.keys, &d.registry, m.clinic, channel_kind)
        .await
        .map_err(|e| SendError::Transient { reason: format!("{e:#}"), after: None })?
        .ok_or_else(|| SendError::Transient {
            reason: format!("no {} channel is configured", m.channel),
            after: None,
        })?;
    let lang = Lang::from_tag(&m.language).unwrap_or(Lang::En);
    let super::text::Composed { rendered, attachments } = super::text::render(d, m, lang)
        .await
        .map_err(|e| SendError::Transient { reason: format!("rendering: {e:#}"), after: None })?;
    let out = Outgoing {
        idempotency_key: m.id.clone(),
        to: m.recipient.clone(),
        lang,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        attachments,
        buttons: Vec::new(),
        template: None,
    };
    mark_sending(d, m, channel_kind, &out.text).await?;
    // The channel bounds each protocol step; this bounds the whole send, so a provider that
    // trickles answers cannot hold the message past its lease.
    let limit = d.settings.email.timeout.saturating_mul(2);
    match tokio::time::timeout(limit, channel.send(&out)).await {
        Ok(result) => result,
        Err(_) => Err(SendError::Transient { reason: format!("no answer in {limit:?}"), after: None }),
    }
}

/// Commits the "sending" mark (this attempt's number, and an SMS's segments and cost) before
/// the provider is called: after a crash, the messages that may have reached a provider
/// without a record are exactly those with a mark and no outcome. Not marked, not sent (the
/// attempt is retried; a lost lease means another process has the message now).
async fn mark_sending(d: &Dispatcher, m: &ClaimedMessage, channel: ChannelKind, text: &str) -> Result<(), SendError> {
    let segments = (channel == ChannelKind::Sms).then(|| i64::from(nobat_notify::segments::sms_segments(text).1));
    let cost_micros = segments.zip(d.settings.sms_segment_price_micros).map(|(n, price)| n.saturating_mul(price));
    let mark = MessageCommand::MarkSending { message: m.clone(), segments, cost_micros };
    d.store.execute(Command::Messages(mark)).await.map(|_| ()).map_err(|e| SendError::Transient {
        reason: format!("could not mark the message as sending: {e}"),
        after: None,
    })
}
