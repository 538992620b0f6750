//! Each fake provider driven by a real client: lettre for SMTP, reqwest for the HTTP APIs, a
//! raw TcpStream for protocol edge cases. One test binary, one module per provider.

mod faults;
mod kavenegar;
mod smart;
mod sms;
mod smtp;
mod smtp_wire;
mod telegram;
mod webhook;
mod whatsapp;

use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(5);

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("a plain HTTP client builds")
}

/// A form body the way browsers and most SDKs encode it.
pub fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("pairs encode")
}

pub const FORM: &str = "application/x-www-form-urlencoded";
