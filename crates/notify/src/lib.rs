//! Outgoing messages: what they say and how they travel.
//!
//! This crate has no database: the dispatcher (`crates/nobat/src/dispatch/`) claims what is
//! due from the store, builds a [`MessageContext`], renders it here ([`render`]) in the
//! recipient's language, and hands the result to a [`Channel`] chosen from the [`Registry`].
//! Channels are adapters for real providers (SMTP, Twilio, Kavenegar, a generic templated
//! HTTP SMS gateway, the Telegram Bot API, the WhatsApp Cloud API); their base URLs are
//! configuration, so tests point them at the fakes in `nobat-testkit` and production at the
//! real endpoints.
//!
//! | module | holds |
//! |---|---|
//! | [`channel`] | the [`Channel`] trait, [`Outgoing`], [`Accepted`], [`SendError`] |
//! | [`kind`] | [`MessageKind`]: every kind of message Nobat sends |
//! | [`context`] | [`MessageContext`]: the facts a message is rendered from |
//! | [`render`] | a kind + context + language → subject, text, html |
//! | [`registry`] | channels built from configuration, per clinic credentials |
//! | [`plan`] | who is told what, on which channel, in which language (pure) |
//! | [`retry`] | after a failed attempt: retry when, or dead (pure) |
//! | [`smtp`] | the email channel (lettre) |
//! | [`settings`] | the instance's channel keys and clinics' credentials → provider configs |
//! | [`channels`] | the adapters: Twilio, Kavenegar, templated HTTP SMS, Telegram, WhatsApp |
//! | [`http`] | the HTTP client they share (rustls with ring) and the outcome mapping |
//! | [`ics`] | the `.ics` attached to booking emails |

pub mod channel;
pub mod channels;
pub mod context;
pub mod http;
pub mod ics;
pub mod kind;
pub mod plan;
pub mod registry;
pub mod render;
pub mod retry;
pub mod segments;
pub mod settings;
pub mod smtp;

pub use channel::{Accepted, Attachment, Button, Channel, ChannelKind, Outgoing, SendError, WaTemplate};
pub use context::MessageContext;
pub use kind::MessageKind;
pub use registry::{EmailSettings, Registry};
pub use render::{Rendered, render};
pub use settings::{ChannelSettings, SettingError};
