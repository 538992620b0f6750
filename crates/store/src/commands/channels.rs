//! A clinic's own channel credentials and its webhook endpoints (issue 12). Secrets arrive
//! already sealed by the web layer (which holds the instance keys); the store never sees them
//! in clear, and the audit trail records which fields changed, never their values.

use crate::audit::{Audit, AuditActor};
use crate::error::{StoreError, StoreResult};
use crate::tx::WriteTx;
use nobat_core::{ClinicId, DomainError};
use serde_json::json;

/// The channel changes, one `Command::Channels` variant so the shared enum grows by one line.
#[derive(Debug, Clone)]
pub enum ChannelCommand {
    /// Sets (replaces) a clinic's credentials for one channel.
    PutCredentials {
        clinic: ClinicId,
        channel: String,
        sealed: String,
        fields: Vec<String>,
        actor: AuditActor,
    },
    DeleteCredentials {
        clinic: ClinicId,
        channel: String,
        actor: AuditActor,
    },
    CreateWebhook {
        clinic: ClinicId,
        endpoint: NewWebhook,
        actor: AuditActor,
    },
    DeleteWebhook {
        clinic: ClinicId,
        id: String,
        actor: AuditActor,
    },
    /// An endpoint took an outbox message (the webhooks worker, after a 2xx).
    WebhookSent {
        clinic: ClinicId,
        message_id: String,
        endpoint_id: String,
    },
    /// Forgets sends older than `before_us` (their outbox rows are long finished).
    PruneWebhookSends {
        before_us: i64,
        batch: u32,
    },
}

/// At most this many webhook endpoints per clinic: each event is sent to every one.
pub const MAX_WEBHOOKS: i64 = 10;

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub id: String,
    pub url: String,
    pub secret_sealed: String,
    pub description: String,
}

pub(crate) async fn apply(tx: &mut WriteTx<'_>, cmd: &ChannelCommand) -> StoreResult<super::Output> {
    let now = tx.now.as_microsecond();
    match cmd {
        ChannelCommand::PutCredentials { clinic, channel, sealed, fields, actor } => {
            let before = crate::db::query("SELECT fields FROM clinic_channels WHERE clinic_id = $1 AND channel = $2")
                .bind(clinic.to_string())
                .bind(channel.as_str())
                .fetch_optional(&mut *tx.conn)
                .await?
                .map(|r| crate::rows::json::<Vec<String>>(&r, "fields"))
                .transpose()?;
            crate::db::query(
                "INSERT INTO clinic_channels (clinic_id, channel, sealed, fields, updated_at_us) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (clinic_id, channel) DO UPDATE SET sealed = excluded.sealed, fields = excluded.fields, \
                 updated_at_us = excluded.updated_at_us",
            )
            .bind(clinic.to_string())
            .bind(channel.as_str())
            .bind(sealed.as_str())
            .bind(json!(fields).to_string())
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            let entry = Audit::new(if before.is_some() { "update" } else { "create" }, "channel_credentials", channel)
                .before_opt(before.map(|f| json!({ "fields_set": f })).as_ref())
                .after(&json!({ "fields_set": fields }));
            tx.audit(*clinic, actor, entry);
            Ok(super::Output::Done)
        }
        ChannelCommand::DeleteCredentials { clinic, channel, actor } => {
            let row =
                crate::db::query("DELETE FROM clinic_channels WHERE clinic_id = $1 AND channel = $2 RETURNING fields")
                    .bind(clinic.to_string())
                    .bind(channel.as_str())
                    .fetch_optional(&mut *tx.conn)
                    .await?
                    .ok_or(StoreError::NotFound("channel credentials"))?;
            let fields: Vec<String> = crate::rows::json(&row, "fields")?;
            tx.audit(
                *clinic,
                actor,
                Audit::new("delete", "channel_credentials", channel).before(&json!({ "fields_set": fields })),
            );
            Ok(super::Output::Done)
        }
        ChannelCommand::CreateWebhook { clinic, endpoint: e, actor } => {
            // The cap is checked here, in the transaction that inserts, under the clinic row's
            // lock (a no-op update: a row lock on PostgreSQL, where writers and processes run
            // side by side; SQLite has one writer): two concurrent creates cannot both pass.
            crate::db::query("UPDATE clinics SET id = id WHERE id = $1")
                .bind(clinic.to_string())
                .execute(&mut *tx.conn)
                .await?;
            let row = crate::db::query("SELECT COUNT(*) AS n FROM webhook_endpoints WHERE clinic_id = $1")
                .bind(clinic.to_string())
                .fetch_one(&mut *tx.conn)
                .await?;
            if crate::rows::int(&row, "n")? >= MAX_WEBHOOKS {
                return Err(DomainError::invalid(
                    "url",
                    format!("a clinic has at most {MAX_WEBHOOKS} webhook endpoints"),
                )
                .into());
            }
            crate::db::query(
                "INSERT INTO webhook_endpoints (clinic_id, id, url, secret_sealed, description, created_at_us) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(clinic.to_string())
            .bind(e.id.as_str())
            .bind(e.url.as_str())
            .bind(e.secret_sealed.as_str())
            .bind(e.description.as_str())
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            let after = json!({ "url": e.url, "description": e.description });
            tx.audit(*clinic, actor, Audit::new("create", "webhook", &e.id).after(&after));
            Ok(super::Output::Done)
        }
        ChannelCommand::DeleteWebhook { clinic, id, actor } => {
            let row = crate::db::query(
                "DELETE FROM webhook_endpoints WHERE clinic_id = $1 AND id = $2 RETURNING url, description",
            )
            .bind(clinic.to_string())
            .bind(id.as_str())
            .fetch_optional(&mut *tx.conn)
            .await?
            .ok_or(StoreError::NotFound("webhook"))?;
            let before = json!({ "url": crate::rows::text(&row, "url")?,
                                 "description": crate::rows::text(&row, "description")? });
            crate::db::query("DELETE FROM webhook_sends WHERE clinic_id = $1 AND endpoint_id = $2")
                .bind(clinic.to_string())
                .bind(id.as_str())
                .execute(&mut *tx.conn)
                .await?;
            tx.audit(*clinic, actor, Audit::new("delete", "webhook", id).before(&before));
            Ok(super::Output::Done)
        }
        ChannelCommand::WebhookSent { clinic, message_id, endpoint_id } => {
            crate::db::query(
                "INSERT INTO webhook_sends (clinic_id, message_id, endpoint_id, sent_at_us) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (clinic_id, message_id, endpoint_id) DO NOTHING",
            )
            .bind(clinic.to_string())
            .bind(message_id.as_str())
            .bind(endpoint_id.as_str())
            .bind(now)
            .execute(&mut *tx.conn)
            .await?;
            Ok(super::Output::Done)
        }
        ChannelCommand::PruneWebhookSends { before_us, batch } => {
            let n = crate::db::query(
                "DELETE FROM webhook_sends WHERE (clinic_id, message_id, endpoint_id) IN \
                 (SELECT clinic_id, message_id, endpoint_id FROM webhook_sends WHERE sent_at_us < $1 LIMIT $2)",
            )
            .bind(*before_us)
            .bind(i64::from(*batch))
            .execute(&mut *tx.conn)
            .await?;
            Ok(super::Output::Count(n))
        }
    }
}
