//! The channels a process can send through, built once from configuration, with a clinic's
//! own credentials (set through the admin API, stored encrypted) taking precedence.

use crate::channel::{Channel, ChannelKind};
use crate::channels::{HttpSms, Kavenegar, Telegram, Twilio, WhatsApp};
use crate::http::{DEFAULT_TIMEOUT, Http};
use crate::settings::{ChannelSettings, Provider, SettingError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The email channel's settings (configuration keys `smtp_url`, `smtp_from`; see `nobat config
/// reference`). Email is on when `smtp_url` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// `smtp_url`: `smtp://host:port`, `smtps://…`, `smtp://…?tls=required`.
    pub smtp_url: Option<String>,
    /// `smtp_from`: the sender, `Clinic <noreply@example.org>`.
    pub smtp_from: String,
    /// How long one SMTP conversation may take before it counts as a transient failure.
    pub timeout: Duration,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            smtp_url: None,
            smtp_from: "Nobat <noreply@localhost>".into(),
            timeout: Duration::from_secs(30),
        }
    }
}

impl EmailSettings {
    /// Checks the settings without building anything (no runtime needed).
    pub fn check(&self) -> Result<(), String> {
        match &self.smtp_url {
            Some(url) => crate::smtp::SmtpChannel::check(url, &self.smtp_from).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }

    /// The SMTP channel, when email is configured.
    pub fn channel(&self) -> Result<Option<Arc<dyn Channel>>, String> {
        match &self.smtp_url {
            Some(url) => {
                let smtp =
                    crate::smtp::SmtpChannel::new(url, &self.smtp_from, self.timeout).map_err(|e| e.to_string())?;
                Ok(Some(Arc::new(smtp)))
            }
            None => Ok(None),
        }
    }
}

/// The configured channels.
#[derive(Clone, Default)]
pub struct Registry {
    defaults: BTreeMap<ChannelKind, Arc<dyn Channel>>,
    /// Kept to build clinics' channels (their credentials, the instance's endpoints).
    settings: Option<Arc<ChannelSettings>>,
    http: Option<Http>,
}

/// A channel for a provider configuration (one HTTP client shared by all).
pub fn build(provider: Provider, http: &Http) -> Arc<dyn Channel> {
    match provider {
        Provider::Twilio(c) => Arc::new(Twilio::new(c, http.clone())),
        Provider::Kavenegar(c) => Arc::new(Kavenegar::new(c, http.clone())),
        Provider::HttpSms(c) => Arc::new(HttpSms::new(c, http.clone())),
        Provider::Telegram(c) => Arc::new(Telegram::new(c, http.clone())),
        Provider::WhatsApp(c) => Arc::new(WhatsApp::new(c, http.clone())),
    }
}

impl Registry {
    /// A registry holding exactly these channels (tests; the dispatcher's own wiring).
    pub fn with(channels: impl IntoIterator<Item = Arc<dyn Channel>>) -> Registry {
        Registry { defaults: channels.into_iter().map(|c| (c.kind(), c)).collect(), settings: None, http: None }
    }

    /// The instance's channels from its configuration. Needs a Tokio runtime only to send.
    pub fn from_settings(settings: &ChannelSettings) -> Result<Registry, SettingError> {
        let timeout = settings.channel_timeout_ms.map(Duration::from_millis).unwrap_or(DEFAULT_TIMEOUT);
        let http = Http::new(timeout);
        let mut defaults = BTreeMap::new();
        for p in settings.providers()? {
            let ch = build(p, &http);
            defaults.insert(ch.kind(), ch);
        }
        Ok(Registry { defaults, settings: Some(Arc::new(settings.clone())), http: Some(http) })
    }

    /// Adds (or replaces) a channel, e.g. the dispatcher's SMTP channel.
    pub fn insert(&mut self, channel: Arc<dyn Channel>) {
        self.defaults.insert(channel.kind(), channel);
    }

    /// The channel to send `kind` with for a clinic. `clinic` is that clinic's decrypted
    /// credentials for it, when it set its own (then a channel is built for them; `None` if
    /// they no longer validate, rather than silently sending with the instance's).
    pub fn resolve(&self, kind: ChannelKind, clinic: Option<&serde_json::Value>) -> Option<Arc<dyn Channel>> {
        match clinic {
            None => self.defaults.get(&kind).cloned(),
            Some(creds) => self.try_resolve(kind, creds).ok(),
        }
    }

    /// As [`Registry::resolve`] for a clinic's credentials, saying what is wrong with them.
    pub fn try_resolve(&self, kind: ChannelKind, creds: &serde_json::Value) -> Result<Arc<dyn Channel>, SettingError> {
        let settings = self.settings.clone().unwrap_or_default();
        let provider = settings.clinic_provider(kind, creds)?;
        let http = self.http.clone().unwrap_or_default();
        Ok(build(provider, &http))
    }

    pub fn has(&self, kind: ChannelKind) -> bool {
        self.defaults.contains_key(&kind)
    }

    /// No instance channel at all. (Clinics may still have their own credentials.)
    pub fn is_empty(&self) -> bool {
        self.defaults.is_empty()
    }
}
