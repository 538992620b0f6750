//! The instance's channel settings (flat, as the configuration file and `NOBAT_*` variables
//! give them) and a clinic's own credentials (JSON, set through the admin API), turned into
//! provider configurations.
//!
//! A clinic may bring its own *credentials*, never its own *endpoints*: base URLs always come
//! from the instance, so a clinic administrator cannot make the server send requests (with
//! secrets in them) to an address of their choosing. For the same reason the generic
//! templated-HTTP SMS gateway is instance-only.

use crate::channel::ChannelKind;
use crate::channels::{HttpSmsConfig, KavenegarConfig, TelegramConfig, TwilioConfig, WhatsAppConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every channel key of the instance configuration; `None` = not set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelSettings {
    /// `twilio`, `kavenegar` or `http`; SMS is off when unset.
    pub sms_provider: Option<String>,
    pub twilio_api_url: Option<String>,
    pub twilio_account_sid: Option<String>,
    pub twilio_auth_token: Option<String>,
    pub twilio_from: Option<String>,
    pub twilio_messaging_service_sid: Option<String>,
    pub kavenegar_api_url: Option<String>,
    pub kavenegar_api_key: Option<String>,
    pub kavenegar_sender: Option<String>,
    pub sms_http_url: Option<String>,
    pub sms_http_method: Option<String>,
    pub sms_http_body: Option<String>,
    pub sms_http_content_type: Option<String>,
    pub sms_http_auth_header: Option<String>,
    pub sms_http_auth_value: Option<String>,
    pub sms_http_id_pointer: Option<String>,
    pub telegram_api_url: Option<String>,
    pub telegram_bot_token: Option<String>,
    pub whatsapp_api_url: Option<String>,
    pub whatsapp_api_version: Option<String>,
    pub whatsapp_phone_number_id: Option<String>,
    pub whatsapp_access_token: Option<String>,
    /// Deadline of one provider request, milliseconds.
    pub channel_timeout_ms: Option<u64>,
}

/// A provider configuration, ready to build a channel from.
#[derive(Debug, Clone, PartialEq)]
pub enum Provider {
    Twilio(TwilioConfig),
    Kavenegar(KavenegarConfig),
    HttpSms(HttpSmsConfig),
    Telegram(TelegramConfig),
    WhatsApp(WhatsAppConfig),
}

/// A setting that is wrong, by key, with why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingError {
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: &str) -> SettingError {
    SettingError { field: field.into(), message: message.into() }
}

fn need(v: &Option<String>, field: &str) -> Result<String, SettingError> {
    v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| err(field, "is required"))
}

fn url(v: &Option<String>, field: &str, default: &str) -> Result<String, SettingError> {
    let u = v.clone().unwrap_or_else(|| default.to_owned());
    if !(u.starts_with("https://") || u.starts_with("http://")) {
        return Err(err(field, "must start with https:// or http://"));
    }
    Ok(u.trim_end_matches('/').to_owned())
}

impl ChannelSettings {
    /// The instance's providers, one per configured channel kind.
    pub fn providers(&self) -> Result<Vec<Provider>, SettingError> {
        let mut out = Vec::new();
        if let Some(p) = self.sms_provider.as_deref().filter(|p| !p.is_empty()) {
            out.push(match p {
                "twilio" => Provider::Twilio(self.twilio(None)?),
                "kavenegar" => Provider::Kavenegar(self.kavenegar(None)?),
                "http" => Provider::HttpSms(self.http_sms()?),
                _ => return Err(err("sms_provider", "must be twilio, kavenegar or http")),
            });
        }
        if self.telegram_bot_token.is_some() {
            out.push(Provider::Telegram(self.telegram(None)?));
        }
        if self.whatsapp_access_token.is_some() || self.whatsapp_phone_number_id.is_some() {
            out.push(Provider::WhatsApp(self.whatsapp(None)?));
        }
        Ok(out)
    }

    fn twilio(&self, clinic: Option<&Value>) -> Result<TwilioConfig, SettingError> {
        let c = |k: &str| clinic.and_then(|v| v[k].as_str()).map(str::to_owned);
        let base = url(&self.twilio_api_url, "twilio_api_url", "https://api.twilio.com")?;
        Ok(match clinic {
            Some(_) => TwilioConfig {
                base_url: base,
                account_sid: need(&c("account_sid"), "account_sid")?,
                auth_token: need(&c("auth_token"), "auth_token")?,
                from: c("from"),
                messaging_service_sid: c("messaging_service_sid"),
            },
            None => TwilioConfig {
                base_url: base,
                account_sid: need(&self.twilio_account_sid, "twilio_account_sid")?,
                auth_token: need(&self.twilio_auth_token, "twilio_auth_token")?,
                from: self.twilio_from.clone(),
                messaging_service_sid: self.twilio_messaging_service_sid.clone(),
            },
        })
        .and_then(|t| {
            if t.from.is_none() && t.messaging_service_sid.is_none() {
                Err(err(
                    if clinic.is_some() { "from" } else { "twilio_from" },
                    "or a messaging service sid is required",
                ))
            } else {
                Ok(t)
            }
        })
    }

    fn kavenegar(&self, clinic: Option<&Value>) -> Result<KavenegarConfig, SettingError> {
        let base = url(&self.kavenegar_api_url, "kavenegar_api_url", "https://api.kavenegar.com")?;
        Ok(match clinic {
            Some(v) => KavenegarConfig {
                base_url: base,
                api_key: need(&v["api_key"].as_str().map(str::to_owned), "api_key")?,
                sender: v["sender"].as_str().map(str::to_owned),
            },
            None => KavenegarConfig {
                base_url: base,
                api_key: need(&self.kavenegar_api_key, "kavenegar_api_key")?,
                sender: self.kavenegar_sender.clone(),
            },
        })
    }

    fn http_sms(&self) -> Result<HttpSmsConfig, SettingError> {
        let method = self.sms_http_method.clone().unwrap_or_else(|| "POST".into()).to_ascii_uppercase();
        if !matches!(method.as_str(), "GET" | "POST" | "PUT") {
            return Err(err("sms_http_method", "must be GET, POST or PUT"));
        }
        let target = url(&self.sms_http_url, "sms_http_url", "")?;
        if !target.contains("{to}") && !self.sms_http_body.as_deref().is_some_and(|b| b.contains("{to}")) {
            return Err(err("sms_http_url", "the URL or sms_http_body must contain {to}"));
        }
        Ok(HttpSmsConfig {
            url: target,
            method,
            body: self.sms_http_body.clone(),
            content_type: self.sms_http_content_type.clone().unwrap_or_else(|| "application/json".into()),
            auth_header: self.sms_http_auth_header.clone(),
            auth_value: self.sms_http_auth_value.clone(),
            id_pointer: self.sms_http_id_pointer.clone(),
        })
    }

    fn telegram(&self, clinic: Option<&Value>) -> Result<TelegramConfig, SettingError> {
        let token = match clinic {
            Some(v) => need(&v["bot_token"].as_str().map(str::to_owned), "bot_token")?,
            None => need(&self.telegram_bot_token, "telegram_bot_token")?,
        };
        // A bot token is `digits:secret`; anything else is a paste error worth catching now.
        if !token
            .split_once(':')
            .is_some_and(|(id, s)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty())
        {
            return Err(err(
                if clinic.is_some() { "bot_token" } else { "telegram_bot_token" },
                "is not a bot token (123456:ABC…)",
            ));
        }
        Ok(TelegramConfig {
            api_url: url(&self.telegram_api_url, "telegram_api_url", "https://api.telegram.org")?,
            bot_token: token,
            per_chat_ms: None,
            global_per_sec: None,
        })
    }

    fn whatsapp(&self, clinic: Option<&Value>) -> Result<WhatsAppConfig, SettingError> {
        let c = |k: &str| clinic.and_then(|v| v[k].as_str()).map(str::to_owned);
        let (id, token) = match clinic {
            Some(_) => (need(&c("phone_number_id"), "phone_number_id")?, need(&c("access_token"), "access_token")?),
            None => (
                need(&self.whatsapp_phone_number_id, "whatsapp_phone_number_id")?,
                need(&self.whatsapp_access_token, "whatsapp_access_token")?,
            ),
        };
        Ok(WhatsAppConfig {
            api_url: url(&self.whatsapp_api_url, "whatsapp_api_url", "https://graph.facebook.com")?,
            api_version: self.whatsapp_api_version.clone().unwrap_or_else(|| "v21.0".into()),
            phone_number_id: id,
            access_token: token,
        })
    }

    /// The provider for a clinic's own credentials of `kind` (validated: the admin API calls
    /// this before storing them).
    pub fn clinic_provider(&self, kind: ChannelKind, creds: &Value) -> Result<Provider, SettingError> {
        if !creds.is_object() {
            return Err(err("credentials", "must be an object"));
        }
        match kind {
            ChannelKind::Sms => match creds["provider"].as_str() {
                Some("twilio") => Ok(Provider::Twilio(self.twilio(Some(creds))?)),
                Some("kavenegar") => Ok(Provider::Kavenegar(self.kavenegar(Some(creds))?)),
                _ => Err(err("provider", "must be twilio or kavenegar")),
            },
            ChannelKind::Telegram => Ok(Provider::Telegram(self.telegram(Some(creds))?)),
            ChannelKind::Whatsapp => Ok(Provider::WhatsApp(self.whatsapp(Some(creds))?)),
            ChannelKind::Email | ChannelKind::Webhook => {
                Err(err("channel", "takes no per-clinic credentials here (sms, telegram, whatsapp)"))
            }
        }
    }
}

/// The fields a clinic's credentials of `kind` may carry, and which of them are secrets
/// (never shown back).
pub fn credential_fields(kind: ChannelKind) -> &'static [(&'static str, bool)] {
    match kind {
        ChannelKind::Sms => &[
            ("provider", false),
            ("account_sid", false),
            ("auth_token", true),
            ("from", false),
            ("messaging_service_sid", false),
            ("api_key", true),
            ("sender", false),
        ],
        ChannelKind::Telegram => &[("bot_token", true)],
        ChannelKind::Whatsapp => &[("phone_number_id", false), ("access_token", true)],
        ChannelKind::Email | ChannelKind::Webhook => &[],
    }
}
