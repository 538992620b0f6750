//! What the SMS gateway fakes record. The gateways: [`TwilioFake`] (Twilio's Messages API)
//! and [`KavenegarFake`] (Kavenegar's REST API), each with its real paths, authentication,
//! answers and error shapes; the generic templated-HTTP provider is [`crate::HttpSink`].

use crate::http::HttpRequest;
pub use crate::kavenegar::KavenegarFake;
pub use crate::twilio::TwilioFake;

/// One SMS a gateway accepted.
#[derive(Clone, Debug)]
pub struct Sms {
    /// The gateway's id for it (`SM…` for Twilio, a number for Kavenegar).
    pub id: String,
    pub to: String,
    pub from: Option<String>,
    pub body: String,
    /// The request that carried it (headers, for idempotency keys).
    pub request: HttpRequest,
}

/// E.164: `+` and 8 to 15 digits, first not 0.
pub fn is_e164(s: &str) -> bool {
    let Some(d) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
}
