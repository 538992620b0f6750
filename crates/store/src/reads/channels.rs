//! Reads of a clinic's channel credentials and webhook endpoints. Sealed values are returned
//! as stored; only the web layer (and the webhooks worker) holds the key to open them.

use crate::Store;
use crate::error::StoreResult;
use crate::rows::{json, text, ts};
use jiff::Timestamp;
use nobat_core::ClinicId;

/// A clinic's stored credentials for one channel.
#[derive(Debug, Clone)]
pub struct StoredCredentials {
    pub channel: String,
    pub sealed: String,
    /// Which fields are set (names only).
    pub fields: Vec<String>,
    pub updated_at: Timestamp,
}

/// A webhook endpoint as stored.
#[derive(Debug, Clone)]
pub struct WebhookEndpoint {
    pub clinic: ClinicId,
    pub id: String,
    pub url: String,
    pub secret_sealed: String,
    pub description: String,
    pub created_at: Timestamp,
}

impl Store {
    /// Every channel a clinic set its own credentials for.
    pub async fn channel_credentials(&self, clinic: ClinicId) -> StoreResult<Vec<StoredCredentials>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT channel, sealed, fields, updated_at_us FROM clinic_channels WHERE clinic_id = $1 ORDER BY channel",
        )
        .bind(clinic.to_string())
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok(StoredCredentials {
                    channel: text(r, "channel")?,
                    sealed: text(r, "sealed")?,
                    fields: json(r, "fields")?,
                    updated_at: ts(r, "updated_at_us")?,
                })
            })
            .collect()
    }

    /// A clinic's credentials for one channel, if it set them.
    pub async fn channel_credential(&self, clinic: ClinicId, channel: &str) -> StoreResult<Option<StoredCredentials>> {
        Ok(self.channel_credentials(clinic).await?.into_iter().find(|c| c.channel == channel))
    }

    /// A clinic's webhook endpoints, oldest first.
    pub async fn webhooks(&self, clinic: ClinicId) -> StoreResult<Vec<WebhookEndpoint>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query(
            "SELECT id, url, secret_sealed, description, created_at_us FROM webhook_endpoints \
             WHERE clinic_id = $1 ORDER BY created_at_us, id",
        )
        .bind(clinic.to_string())
        .fetch_all(&mut conn)
        .await?;
        found
            .iter()
            .map(|r| {
                Ok(WebhookEndpoint {
                    clinic,
                    id: text(r, "id")?,
                    url: text(r, "url")?,
                    secret_sealed: text(r, "secret_sealed")?,
                    description: text(r, "description")?,
                    created_at: ts(r, "created_at_us")?,
                })
            })
            .collect()
    }

    /// Whether any clinic has a webhook endpoint (until one does, the webhooks consumer has
    /// nothing to do and leaves its deliveries alone).
    pub async fn any_webhooks(&self) -> StoreResult<bool> {
        let mut conn = self.reader().await?;
        let found =
            crate::db::query("SELECT 1 AS one FROM webhook_endpoints LIMIT 1").fetch_optional(&mut conn).await?;
        Ok(found.is_some())
    }

    /// Whether any clinic set its own channel credentials (the dispatcher has work even with
    /// no instance channel).
    pub async fn any_channel_credentials(&self) -> StoreResult<bool> {
        let mut conn = self.reader().await?;
        let found = crate::db::query("SELECT 1 AS one FROM clinic_channels LIMIT 1").fetch_optional(&mut conn).await?;
        Ok(found.is_some())
    }

    /// The endpoints that already took an outbox message.
    pub async fn webhook_sent_to(&self, clinic: ClinicId, message_id: &str) -> StoreResult<Vec<String>> {
        let mut conn = self.reader().await?;
        let found = crate::db::query("SELECT endpoint_id FROM webhook_sends WHERE clinic_id = $1 AND message_id = $2")
            .bind(clinic.to_string())
            .bind(message_id)
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(|r| text(r, "endpoint_id")).collect()
    }
}
