//! The channel adapter interface. One implementation per provider; the dispatcher sees only
//! this trait, so a new gateway is one file and one line in the registry.

use futures::future::BoxFuture;
use nobat_i18n::Lang;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a message travels. Wire names are what `GET …/appointments/{id}/messages` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Email,
    Sms,
    Telegram,
    Whatsapp,
    Webhook,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] =
        [ChannelKind::Email, ChannelKind::Sms, ChannelKind::Telegram, ChannelKind::Whatsapp, ChannelKind::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Sms => "sms",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Whatsapp => "whatsapp",
            ChannelKind::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A file sent with an email (the appointment's `.ics`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    /// e.g. `text/calendar; charset=utf-8; method=REQUEST`
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A button under a Telegram message (inline keyboard): a link or a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    Url { label: String, url: String },
    Callback { label: String, data: String },
}

/// A WhatsApp Cloud API template message: business-initiated messages must use an approved
/// template; `params` fill its body's `{{1}}`, `{{2}}`… in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaTemplate {
    pub name: String,
    /// The template's language code as registered with Meta (e.g. `fa`, `en_US`).
    pub language: String,
    pub params: Vec<String>,
}

/// One message ready to hand to a provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Stable for the message across every attempt (the dispatcher's message id). Sent to the
    /// provider wherever its protocol has a place for it (SMTP `Message-ID`, an
    /// `Idempotency-Key` header, a gateway's local id), so a retry after a lost answer can be
    /// recognised — and so the test fakes can count deliveries per message.
    pub idempotency_key: String,
    /// Email address, E.164 phone number, Telegram chat id, or webhook URL.
    pub to: String,
    pub lang: Lang,
    pub subject: Option<String>,
    /// Plain text (already RTL-marked where the language needs it).
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub buttons: Vec<Button>,
    /// WhatsApp only: the approved template to send instead of free text.
    pub template: Option<WaTemplate>,
}

/// The provider took the message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accepted {
    /// The provider's own id for it (Twilio SID, Telegram message id, SMTP queue id…), kept
    /// so delivery reports can be matched later.
    pub provider_id: Option<String>,
}

/// Why a send did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again: 5xx, a timeout, connection refused, 429, SMTP 4xx. `after` is the
    /// provider's own wait (Telegram's `retry_after`, `Retry-After`) when it gave one.
    #[error("temporary failure: {reason}")]
    Transient { reason: String, after: Option<Duration> },
    /// Will never succeed as it is: an invalid number, a rejected recipient (SMTP 5xx), a bad
    /// token, a 4xx other than 429. Dead-lettered at once.
    #[error("permanent failure: {reason}")]
    Permanent { reason: String },
}

/// A provider adapter. Implementations must be cheap to call concurrently and must not
/// retry by themselves: the dispatcher owns retries, backoff and dead-lettering, and records
/// every attempt.
pub trait Channel: Send + Sync {
    fn kind(&self) -> ChannelKind;
    fn send<'a>(&'a self, msg: &'a Outgoing) -> BoxFuture<'a, Result<Accepted, SendError>>;
}
