//! Outgoing messages (the `messages` table, migration 0007): planned from the dispatcher's
//! outbox deliveries, claimed with leases, and the outcome of each attempt recorded.
//!
//! Planning writes the messages and completes the outbox delivery in one transaction, and a
//! message's `source` is unique per clinic, so a delivery handed out again after a crash plans
//! nothing twice. Claiming leases due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL): several
//! processes take disjoint rows, and only the lease holder records the attempt. What to do
//! after a failure (retry when, or dead) is decided by the caller; when a message goes dead
//! the clinic's owners and admins get an admin alert, written in the same transaction (a
//! durable message like any other, not an in-process event).

use super::outbox::OutboxItem;
use crate::db::Value;
use crate::error::{StoreError, StoreResult};
use crate::rows;
use crate::tx::WriteTx;
use jiff::{SignedDuration, Timestamp};
use nobat_core::{AppointmentId, ClinicId};
use serde::{Deserialize, Serialize};

/// A message to write as `queued`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessage {
    pub appointment: Option<AppointmentId>,
    /// `nobat_notify::MessageKind` wire name.
    pub kind: String,
    /// `nobat_notify::ChannelKind` wire name.
    pub channel: String,
    pub recipient: String,
    pub language: String,
    /// Unique per clinic: what planned it (see the migration).
    pub source: String,
    /// What it says beyond what can be read again (a code, a link, an alert's detail).
    pub facts: serde_json::Value,
    /// For an SMS: the (channel, recipient) to use instead when the clinic's monthly SMS
    /// budget is spent (the patient's email). Without one, the message is not sent at all.
    #[serde(default)]
    pub fallback: Option<(String, String)>,
}

/// A clinic's monthly SMS budget when it set none.
pub const DEFAULT_SMS_BUDGET: i64 = 1000;

/// A leased message, ready to render and send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimedMessage {
    pub clinic: ClinicId,
    pub id: String,
    pub appointment: Option<AppointmentId>,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub language: String,
    pub facts: serde_json::Value,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub lease: String,
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    /// The provider took it: never sent again.
    Sent { provider_id: Option<String> },
    /// Try again at `at`.
    Retry { at: Timestamp, error: String },
    /// Given up on (permanent failure, or no attempt left): the clinic's admins are alerted.
    Dead { error: String },
    /// No longer worth sending (a confirmation of an appointment cancelled since): `dead`
    /// with the reason, and nobody is alerted.
    Superseded { reason: String },
}

/// Writes `messages` (skipping any whose source was planned before) and completes the outbox
/// delivery they were planned from, together. Counts the messages written.
pub(crate) async fn plan(
    tx: &mut WriteTx<'_>,
    delivery: &OutboxItem,
    messages: &[NewMessage],
) -> StoreResult<super::Output> {
    let done = match super::outbox::complete(tx, std::slice::from_ref(delivery)).await? {
        super::Output::Count(n) => n,
        _ => 0,
    };
    if done == 0 {
        // Another claimer holds the delivery now; it plans the same messages (or already did).
        return Err(StoreError::LeaseLost);
    }
    let clinic = delivery.clinic.to_string();
    let mut written = 0;
    for m in messages {
        // An outside watcher: once per slot and within the rate limits, decided here.
        if let Some((watch, slot)) = m.source.strip_prefix("source-watch:").and_then(|r| r.split_once(':'))
            && !super::sources::watch_notice_allowed(tx, watch, slot).await?
        {
            continue;
        }
        if m.channel == "sms" && !sms_budget_left(tx, &clinic).await? {
            alert_admins_once_a_month(tx, delivery.clinic).await?;
            let Some((channel, recipient)) = &m.fallback else { continue };
            let instead =
                NewMessage { channel: channel.clone(), recipient: recipient.clone(), fallback: None, ..m.clone() };
            written += insert(tx, &clinic, &instead).await?;
            continue;
        }
        written += insert(tx, &clinic, m).await?;
    }
    Ok(super::Output::Count(written))
}

/// The calendar month (UTC) `now` falls in, as `YYYY-MM`, and its first instant.
fn month(now: Timestamp) -> (String, i64) {
    let d = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let first = d.first_of_month().to_zoned(jiff::tz::TimeZone::UTC).map_or(0, |z| z.timestamp().as_microsecond());
    (format!("{:04}-{:02}", d.year(), d.month()), first)
}

/// Whether the clinic may send one more SMS this month (counted from the messages planned).
async fn sms_budget_left(tx: &mut WriteTx<'_>, clinic: &str) -> StoreResult<bool> {
    let (_, since) = month(tx.now);
    let budget = crate::db::query("SELECT sms_monthly_budget FROM clinics WHERE id = $1")
        .bind(clinic)
        .fetch_optional(&mut *tx.conn)
        .await?
        .map(|r| rows::opt_int(&r, "sms_monthly_budget"))
        .transpose()?
        .flatten()
        .unwrap_or(DEFAULT_SMS_BUDGET);
    let used = crate::db::query(
        "SELECT COUNT(*) AS n FROM messages WHERE clinic_id = $1 AND channel = 'sms' AND created_at_us >= $2",
    )
    .bind(clinic)
    .bind(since)
    .fetch_one(&mut *tx.conn)
    .await?
    .int("n")?;
    Ok(used < budget)
}

/// The SMS budget ran out: the admins hear it once per month (the alert's source is unique).
async fn alert_admins_once_a_month(tx: &mut WriteTx<'_>, clinic: ClinicId) -> StoreResult<()> {
    let (month, _) = month(tx.now);
    let facts = serde_json::json!({
        "alert_key": "sms-budget-spent",
        "detail": format!("The SMS budget of {month} is spent; messages go by email where the patient has one."),
    });
    alert(tx, clinic, &format!("sms-budget:{month}"), facts).await
}

async fn insert(tx: &mut WriteTx<'_>, clinic: &str, m: &NewMessage) -> StoreResult<u64> {
    let now = tx.now.as_microsecond();
    let n = crate::db::query(
        "INSERT INTO messages (clinic_id, id, appointment_id, kind, channel, recipient, language, status, attempts, \
           source, facts, created_at_us, available_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $9, $10, $10) \
         ON CONFLICT (clinic_id, source) DO NOTHING",
    )
    .bind(clinic)
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(Value::from(m.appointment.map(|a| a.to_string())))
    .bind(m.kind.as_str())
    .bind(m.channel.as_str())
    .bind(m.recipient.as_str())
    .bind(m.language.as_str())
    .bind(m.source.as_str())
    .bind(m.facts.to_string())
    .bind(now)
    .execute(&mut *tx.conn)
    .await?;
    Ok(n)
}

/// Leases up to `limit` due messages (queued, or failed and past their backoff) for `lease`.
pub(crate) async fn claim(tx: &mut WriteTx<'_>, limit: u32, lease: SignedDuration) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    let until = tx.now.checked_add(lease).unwrap_or(Timestamp::MAX).as_microsecond();
    let token = uuid::Uuid::new_v4().to_string();
    let sql = format!(
        "UPDATE messages SET leased_until_us = $2, lease_token = $3, attempts = attempts + 1 \
         WHERE (clinic_id, id) IN (SELECT m.clinic_id, m.id FROM messages m \
             WHERE m.status IN ('queued', 'failed') AND m.available_at_us <= $1 \
               AND (m.leased_until_us IS NULL OR m.leased_until_us <= $1) \
             ORDER BY m.available_at_us LIMIT $4{}) \
         RETURNING clinic_id, id, appointment_id, kind, channel, recipient, language, facts, attempts, lease_token",
        tx.skip_locked()
    );
    let found = crate::db::query(sql)
        .bind(now)
        .bind(until)
        .bind(token.as_str())
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(&mut *tx.conn)
        .await?;
    let mut out = Vec::with_capacity(found.len());
    for r in &found {
        out.push(ClaimedMessage {
            clinic: rows::parse(r, "clinic_id")?,
            id: rows::text(r, "id")?,
            appointment: rows::opt_parse(r, "appointment_id")?,
            kind: rows::text(r, "kind")?,
            channel: rows::text(r, "channel")?,
            recipient: rows::text(r, "recipient")?,
            language: rows::text(r, "language")?,
            facts: rows::json(r, "facts")?,
            attempts: rows::int(r, "attempts")?,
            lease: rows::text(r, "lease_token")?,
        });
    }
    Ok(super::Output::Messages(out))
}

/// Records an attempt's outcome, if the lease is still the caller's (else `LeaseLost`).
pub(crate) async fn record(tx: &mut WriteTx<'_>, m: &ClaimedMessage, attempt: &Attempt) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    let (status, available, error, provider, sent) = match attempt {
        Attempt::Sent { provider_id } => ("sent", now, None, provider_id.clone(), Some(now)),
        Attempt::Retry { at, error } => ("failed", at.as_microsecond(), Some(error.clone()), None, None),
        Attempt::Dead { error } | Attempt::Superseded { reason: error } => {
            ("dead", now, Some(error.clone()), None, None)
        }
    };
    let error: Option<String> = error.map(|e| e.chars().take(1000).collect());
    // A sent or dead message's private facts (a code) are no longer needed.
    let keep_facts = i64::from(status == "failed");
    let n = crate::db::query(
        "UPDATE messages SET status = $4, available_at_us = $5, last_error = COALESCE($6, last_error), \
           provider_id = COALESCE($7, provider_id), sent_at_us = COALESCE($8, sent_at_us), \
           facts = CASE WHEN $9 = 1 THEN facts ELSE '{}' END, leased_until_us = NULL, lease_token = NULL, \
           sending_attempt = NULL \
         WHERE clinic_id = $1 AND id = $2 AND lease_token = $3",
    )
    .bind(m.clinic.to_string())
    .bind(m.id.as_str())
    .bind(m.lease.as_str())
    .bind(status)
    .bind(available)
    .bind(Value::from(error.clone()))
    .bind(Value::from(provider))
    .bind(Value::from(sent))
    .bind(keep_facts)
    .execute(&mut *tx.conn)
    .await?;
    if n == 0 {
        return Err(StoreError::LeaseLost);
    }
    if matches!(attempt, Attempt::Dead { .. }) && m.kind != "admin_alert" {
        alert_admins(tx, m, error.as_deref().unwrap_or_default()).await?;
    }
    Ok(super::Output::Done)
}

/// A message went dead: its clinic's admins hear which and why (for the instance's own
/// messages, the operators).
async fn alert_admins(tx: &mut WriteTx<'_>, dead: &ClaimedMessage, error: &str) -> StoreResult<()> {
    // Which message and why; not the patient's address (the admin can look it up).
    let facts = serde_json::json!({
        "alert_key": "message-dead",
        "detail": format!("{} by {} (message {}): {error}", dead.kind, dead.channel, dead.id),
        "appointment": dead.appointment,
    });
    alert(tx, dead.clinic, &format!("dead:{}", dead.id), facts).await
}

/// The nil clinic: instance-wide messages (to operators), as operator alert events use.
pub const INSTANCE: ClinicId = ClinicId(uuid::Uuid::nil());

/// A background worker keeps failing (`operator.alert`): the instance's operators get a
/// durable message, at most one per worker per hour.
pub(crate) async fn alert_operators(tx: &mut WriteTx<'_>, worker: &str) -> StoreResult<super::Output> {
    let hour = tx.now.as_second() / 3600;
    let facts = serde_json::json!({
        "alert_key": "worker-failing",
        "detail": format!("The background worker `{worker}` keeps failing; see /readyz and the log."),
    });
    alert(tx, INSTANCE, &format!("operator:{worker}:{hour}"), facts).await?;
    Ok(super::Output::Done)
}

/// One admin alert per owner and admin of `clinic` (per operator for [`INSTANCE`]), by email,
/// in the clinic's language (English for operators). `source` makes it once per recipient.
pub(crate) async fn alert(
    tx: &mut WriteTx<'_>,
    clinic: ClinicId,
    source: &str,
    facts: serde_json::Value,
) -> StoreResult<()> {
    let recipients = if clinic == INSTANCE {
        crate::db::query(
            "SELECT id, email, 'en' AS default_language FROM users WHERE is_operator = 1 AND disabled = 0 ORDER BY id",
        )
        .fetch_all(&mut *tx.conn)
        .await?
    } else {
        admins(tx, &clinic.to_string()).await?
    };
    for a in &recipients {
        let alert = NewMessage {
            appointment: None,
            kind: "admin_alert".into(),
            channel: "email".into(),
            recipient: rows::text(a, "email")?,
            language: rows::text(a, "default_language")?,
            source: format!("{source}:{}", rows::text(a, "id")?),
            facts: facts.clone(),
            fallback: None,
        };
        insert(tx, &clinic.to_string(), &alert).await?;
        // Staff who linked Telegram and opted in get it there too (issue 14).
        super::telegram_staff::queue_alert(tx, &rows::text(a, "id")?, &alert.source, &alert.facts).await?;
    }
    Ok(())
}

async fn admins(tx: &mut WriteTx<'_>, clinic: &str) -> StoreResult<Vec<crate::db::Row>> {
    let admins = crate::db::query(
        "SELECT u.id, u.email, c.default_language FROM memberships m JOIN users u ON u.id = m.user_id \
           JOIN clinics c ON c.id = m.clinic_id \
         WHERE m.clinic_id = $1 AND m.role IN ('owner', 'admin') AND u.disabled = 0 ORDER BY u.id",
    )
    .bind(clinic)
    .fetch_all(&mut *tx.conn)
    .await?;
    Ok(admins)
}
