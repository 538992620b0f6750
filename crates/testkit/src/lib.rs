//! Fake providers on loopback for Nobat's tests — a dev-dependency, never used by production
//! code.
//!
//! Each fake listens on `127.0.0.1` port 0, speaks the provider's real wire protocol (so the
//! production adapters are exercised unchanged: only their base URL points here), records
//! what it accepted, and can be switched into fault modes while a test runs.
//!
//! | fake | protocol | accepted items |
//! |---|---|---|
//! | [`SmtpFake`] | SMTP (RFC 5321), optional AUTH PLAIN/LOGIN | [`SmtpMessage`] (envelope + raw data; [`SmtpMessage::mail`] decodes) |
//! | [`TelegramFake`] | Bot API `/bot{token}/{method}`, long polling | [`telegram::BotMessage`], edits, callback answers, per-chat transcript |
//! | [`TwilioFake`], [`KavenegarFake`] | their REST APIs | [`Sms`] |
//! | [`WhatsAppFake`] | WhatsApp Cloud API (Graph) | [`WaMessage`] |
//! | [`HttpSink`] / [`WebhookFake`] | any HTTP (generic SMS template, webhooks) | [`HttpRequest`]; [`webhook`] checks HMAC-SHA256 signatures |
//! | [`SmartFeed`] | SMART Scheduling Links `$bulk-publish` + NDJSON, FHIR `Slot` search | request log ([`HttpFake::requests`]) |
//!
//! ## Using one in a test
//!
//! ```no_run
//! use std::time::Duration;
//! use nobat_testkit::{SmtpFake, SmtpFault, keys};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let smtp = SmtpFake::start().await?;
//! // Start the server under test with NOBAT_SMTP_URL = smtp.url() ("smtp://127.0.0.1:PORT").
//! smtp.fail_next(2, SmtpFault::TempFail451); // the first two deliveries fail with 451
//! // … book an appointment through the API …
//! let mails = smtp.wait_for(1, Duration::from_secs(5)).await;
//! let mail = mails[0].mail();
//! assert!(mail.subject().unwrap_or_default().contains("نوبت"));
//! assert!(mail.attachment_named(".ics").is_some());
//! smtp.messages().assert_exactly_once(keys::smtp_message_id, ["expected-id@host"]);
//! # Ok(()) }
//! ```
//!
//! The HTTP fakes dereference to [`HttpFake`], which carries the shared switches:
//! [`HttpFake::fail_next`] (5xx in the provider's error shape), [`HttpFake::rate_limit_next`]
//! (429 with `retry_after`), [`HttpFake::hang_next`] (client timeout),
//! [`HttpFake::drop_next`], [`HttpFake::accept_then_drop_next`] (accepted but the answer is
//! lost — the one window where a retry duplicates), [`HttpFake::set_delay`] (slow),
//! [`HttpFake::fail_for`] / [`HttpFake::hang_for`] (down for a while, then back by itself),
//! [`HttpFake::stop`] / [`HttpFake::restart`] (connection refused, then back on the same
//! port). [`HttpFake::requests`] logs every attempt, faulted ones included; each fake's own
//! recorder (`sent()`, `received()`, `messages()`) holds only what it accepted, so
//! "every message reached the provider exactly once" is one call to
//! [`Recorder::assert_exactly_once`] with a key extractor (see [`keys`]). The SMTP fake has
//! the same ideas in SMTP terms ([`SmtpFault`]: 451, 421, 550, drops, hangs;
//! [`SmtpFake::fail_for`], [`SmtpFake::reject_recipient`], [`SmtpFake::stop`]).
//!
//! A Telegram conversation is driven from the users' side ([`TelegramBot::start_command`],
//! [`TelegramBot::send_text`], [`TelegramBot::share_contact`], [`TelegramBot::tap`]) and
//! read back with [`TelegramBot::wait_for_reply`] and [`TelegramBot::transcript_text`]. One
//! server holds several bots ([`TelegramFake::add_bot`], [`TelegramFake::revoke`]); it
//! pushes updates to a webhook after `setWebhook`, enforces flood limits when asked
//! ([`TelegramBot::set_flood_limits`]) and records two processes polling one bot at once
//! ([`TelegramBot::poll_conflicts`]).
//!
//! Delivery reports: [`TwilioFake::report_status`] (StatusCallback, `X-Twilio-Signature`),
//! [`KavenegarFake::set_status`] (`status.json`), [`WhatsAppFake::report_status`] (status
//! webhook, `X-Hub-Signature-256`).
//!
//! Feeds for watches: [`SmartFeed::start_with_fixtures`] serves the SMART project's real
//! example data; [`SmartFeed::start_messy`] a small feed with one of each defect real
//! publishers produce; [`smart_data`] builds lines (e.g. slots next week).
//!
//! The fakes need a Tokio runtime (`#[tokio::test]`); they stop when dropped.
pub mod fault;
pub mod http;
pub mod kavenegar;
pub mod keys;
pub mod mail;
pub mod recorder;
mod server;
mod sink;
pub mod smart;
pub mod smart_data;
pub mod sms;
pub mod smtp;
pub mod telegram;
pub mod twilio;
pub mod webhook;
pub mod whatsapp;

pub use fault::Fault;
pub use http::{HttpFake, HttpRequest, HttpResponse};
pub use kavenegar::KavenegarFake;
pub use mail::{Attachment, Mail};
pub use recorder::Recorder;
pub use sink::HttpSink;
pub use smart::SmartFeed;
pub use sms::Sms;
pub use smtp::{SmtpFake, SmtpFault, SmtpMessage};
pub use telegram::{TelegramBot, TelegramFake, TgUser};
pub use twilio::TwilioFake;
pub use webhook::WebhookFake;
pub use whatsapp::{WaMessage, WhatsAppFake};
