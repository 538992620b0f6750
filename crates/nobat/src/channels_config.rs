//! The channel keys of the configuration (issue 12): which SMS gateway, the Telegram bot, the
//! WhatsApp number, webhook delivery pacing. Kept here so `config.rs` only gains one field;
//! the keys are documented in `reference.rs` like every other.

use crate::config::FileConfig;
use nobat_notify::ChannelSettings;
use std::fmt;

/// Flags and `NOBAT_*` variables for the channel keys (secrets' values are never shown in
/// `--help`).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ChannelOverrides {
    /// SMS gateway: twilio, kavenegar or http [default: SMS off].
    #[arg(long, env = "NOBAT_SMS_PROVIDER", global = true)]
    pub sms_provider: Option<String>,
    /// Twilio API base URL [default: https://api.twilio.com].
    #[arg(long, env = "NOBAT_TWILIO_API_URL", global = true)]
    pub twilio_api_url: Option<String>,
    #[arg(long, env = "NOBAT_TWILIO_ACCOUNT_SID", global = true)]
    pub twilio_account_sid: Option<String>,
    #[arg(long, env = "NOBAT_TWILIO_AUTH_TOKEN", global = true, hide_env_values = true)]
    pub twilio_auth_token: Option<String>,
    #[arg(long, env = "NOBAT_TWILIO_FROM", global = true)]
    pub twilio_from: Option<String>,
    /// Kavenegar API base URL [default: https://api.kavenegar.com].
    #[arg(long, env = "NOBAT_KAVENEGAR_API_URL", global = true)]
    pub kavenegar_api_url: Option<String>,
    #[arg(long, env = "NOBAT_KAVENEGAR_API_KEY", global = true, hide_env_values = true)]
    pub kavenegar_api_key: Option<String>,
    #[arg(long, env = "NOBAT_KAVENEGAR_SENDER", global = true)]
    pub kavenegar_sender: Option<String>,
    /// Generic SMS gateway URL, with {to} {text} {id} placeholders.
    #[arg(long, env = "NOBAT_SMS_HTTP_URL", global = true)]
    pub sms_http_url: Option<String>,
    #[arg(long, env = "NOBAT_SMS_HTTP_AUTH_VALUE", global = true, hide_env_values = true)]
    pub sms_http_auth_value: Option<String>,
    /// Telegram Bot API base URL [default: https://api.telegram.org].
    #[arg(long, env = "NOBAT_TELEGRAM_API_URL", global = true)]
    pub telegram_api_url: Option<String>,
    #[arg(long, env = "NOBAT_TELEGRAM_BOT_TOKEN", global = true, hide_env_values = true)]
    pub telegram_bot_token: Option<String>,
    /// WhatsApp Cloud API base URL [default: https://graph.facebook.com].
    #[arg(long, env = "NOBAT_WHATSAPP_API_URL", global = true)]
    pub whatsapp_api_url: Option<String>,
    #[arg(long, env = "NOBAT_WHATSAPP_PHONE_NUMBER_ID", global = true)]
    pub whatsapp_phone_number_id: Option<String>,
    #[arg(long, env = "NOBAT_WHATSAPP_ACCESS_TOKEN", global = true, hide_env_values = true)]
    pub whatsapp_access_token: Option<String>,
}

/// The merged channel configuration.
#[derive(Clone)]
pub struct ChannelConfig {
    pub settings: ChannelSettings,
    /// Deadline of one webhook POST.
    pub webhook_timeout_ms: u64,
    /// First pause before a failed webhook delivery is tried again; doubles each time, at
    /// most an hour.
    pub webhook_retry_seconds: u64,
    /// Whether webhook URLs may point at loopback, private, link-local or multicast addresses
    /// (refused by default: a clinic admin must not reach the instance's own network).
    pub webhook_allow_private_addresses: bool,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            settings: ChannelSettings::default(),
            webhook_timeout_ms: 10_000,
            webhook_retry_seconds: 30,
            webhook_allow_private_addresses: false,
        }
    }
}

impl ChannelConfig {
    /// Defaults < file < flags and environment.
    pub fn merge(file: &FileConfig, o: &ChannelOverrides) -> ChannelConfig {
        let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
        let settings = ChannelSettings {
            sms_provider: pick(&o.sms_provider, &file.sms_provider),
            twilio_api_url: pick(&o.twilio_api_url, &file.twilio_api_url),
            twilio_account_sid: pick(&o.twilio_account_sid, &file.twilio_account_sid),
            twilio_auth_token: pick(&o.twilio_auth_token, &file.twilio_auth_token),
            twilio_from: pick(&o.twilio_from, &file.twilio_from),
            twilio_messaging_service_sid: file.twilio_messaging_service_sid.clone(),
            kavenegar_api_url: pick(&o.kavenegar_api_url, &file.kavenegar_api_url),
            kavenegar_api_key: pick(&o.kavenegar_api_key, &file.kavenegar_api_key),
            kavenegar_sender: pick(&o.kavenegar_sender, &file.kavenegar_sender),
            sms_http_url: pick(&o.sms_http_url, &file.sms_http_url),
            sms_http_method: file.sms_http_method.clone(),
            sms_http_body: file.sms_http_body.clone(),
            sms_http_content_type: file.sms_http_content_type.clone(),
            sms_http_auth_header: file.sms_http_auth_header.clone(),
            sms_http_auth_value: pick(&o.sms_http_auth_value, &file.sms_http_auth_value),
            sms_http_id_pointer: file.sms_http_id_pointer.clone(),
            telegram_api_url: pick(&o.telegram_api_url, &file.telegram_api_url),
            telegram_bot_token: pick(&o.telegram_bot_token, &file.telegram_bot_token),
            whatsapp_api_url: pick(&o.whatsapp_api_url, &file.whatsapp_api_url),
            whatsapp_api_version: file.whatsapp_api_version.clone(),
            whatsapp_phone_number_id: pick(&o.whatsapp_phone_number_id, &file.whatsapp_phone_number_id),
            whatsapp_access_token: pick(&o.whatsapp_access_token, &file.whatsapp_access_token),
            channel_timeout_ms: file.channel_timeout_ms,
        };
        ChannelConfig {
            settings,
            webhook_timeout_ms: file.webhook_timeout_ms.unwrap_or(10_000),
            webhook_retry_seconds: file.webhook_retry_seconds.unwrap_or(30),
            webhook_allow_private_addresses: file.webhook_allow_private_addresses.unwrap_or(false),
        }
    }

    /// Refuses a configuration whose channels cannot be built, naming the key.
    pub fn validate(&self) -> anyhow::Result<()> {
        nobat_notify::Registry::from_settings(&self.settings).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(ms) = self.settings.channel_timeout_ms
            && !(100..=120_000).contains(&ms)
        {
            anyhow::bail!("channel_timeout_ms must be between 100 and 120000");
        }
        if !(100..=120_000).contains(&self.webhook_timeout_ms) {
            anyhow::bail!("webhook_timeout_ms must be between 100 and 120000");
        }
        if !(1..=3600).contains(&self.webhook_retry_seconds) {
            anyhow::bail!("webhook_retry_seconds must be between 1 and 3600");
        }
        Ok(())
    }

    /// The instance's channels.
    pub fn registry(&self) -> anyhow::Result<nobat_notify::Registry> {
        nobat_notify::Registry::from_settings(&self.settings).map_err(|e| anyhow::anyhow!("{e}"))
    }
}

impl fmt::Debug for ChannelConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.settings;
        let secret = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("ChannelConfig")
            .field("sms_provider", &s.sms_provider)
            .field("twilio_api_url", &s.twilio_api_url)
            .field("twilio_account_sid", &s.twilio_account_sid)
            .field("twilio_auth_token", &secret(&s.twilio_auth_token))
            .field("twilio_from", &s.twilio_from)
            .field("kavenegar_api_url", &s.kavenegar_api_url)
            .field("kavenegar_api_key", &secret(&s.kavenegar_api_key))
            .field("sms_http_url", &s.sms_http_url)
            .field("sms_http_auth_value", &secret(&s.sms_http_auth_value))
            .field("telegram_api_url", &s.telegram_api_url)
            .field("telegram_bot_token", &secret(&s.telegram_bot_token))
            .field("whatsapp_api_url", &s.whatsapp_api_url)
            .field("whatsapp_phone_number_id", &s.whatsapp_phone_number_id)
            .field("whatsapp_access_token", &secret(&s.whatsapp_access_token))
            .field("webhook_timeout_ms", &self.webhook_timeout_ms)
            .field("webhook_retry_seconds", &self.webhook_retry_seconds)
            .field("webhook_allow_private_addresses", &self.webhook_allow_private_addresses)
            .finish()
    }
}
