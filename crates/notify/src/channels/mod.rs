//! One adapter per provider, each a [`crate::Channel`]. They never retry by themselves (the
//! dispatcher does) and map outcomes the same way: 2xx taken; 429, 5xx, timeouts, refused
//! or cut-off connections transient; any other 4xx permanent.

pub mod http_sms;
pub mod kavenegar;
pub mod telegram;
pub mod telegram_limit;
pub mod twilio;
pub mod whatsapp;

pub use http_sms::{HttpSms, HttpSmsConfig};
pub use kavenegar::{Kavenegar, KavenegarConfig};
pub use telegram::{Telegram, TelegramConfig};
pub use twilio::{Twilio, TwilioConfig};
pub use whatsapp::{WhatsApp, WhatsAppConfig};
