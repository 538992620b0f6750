//! Placeholder docs.
pub mod fault;
pub mod http;
pub mod mail;
pub mod recorder;
mod server;
mod sink;
pub mod smart;
pub mod sms;
pub mod smtp;
pub mod telegram;
pub mod webhook;
pub mod whatsapp;

pub use fault::Fault;
pub use http::{HttpFake, HttpRequest, HttpResponse};
pub use mail::{Attachment, Mail};
pub use recorder::Recorder;
pub use sink::HttpSink;
pub use smart::SmartFeed;
pub use sms::{KavenegarFake, Sms, TwilioFake};
pub use smtp::{SmtpFake, SmtpFault, SmtpMessage};
pub use telegram::{TelegramFake, TgUser};
pub use webhook::WebhookFake;
pub use whatsapp::{WaMessage, WhatsAppFake};
